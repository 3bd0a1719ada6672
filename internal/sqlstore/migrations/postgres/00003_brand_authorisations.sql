-- +goose Up
-- A brand registered by a merchant (brands.merchant_id) belongs to it; any
-- other merchant, and every merchant for a marketplace brand (merchant_id
-- NULL), may use it only with an operator's authorisation, recorded here.
CREATE TABLE brand_authorisations (
    brand_id    TEXT NOT NULL REFERENCES brands (id),
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    granted_by  TEXT NOT NULL,
    granted_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (brand_id, merchant_id)
);
CREATE INDEX brand_authorisations_merchant ON brand_authorisations (merchant_id);

-- Products stored before brands had owners keep their brand: each merchant
-- already selling a brand it does not own is authorised for it, by
-- "migration", so no listing disappears on upgrade. Operators review and
-- revoke these like any other authorisation.
INSERT INTO brand_authorisations (brand_id, merchant_id, granted_by, granted_at)
SELECT p.brand_id, p.merchant_id, 'migration', MIN(p.created_at)
FROM products p JOIN brands b ON b.id = p.brand_id
WHERE b.merchant_id IS NULL OR b.merchant_id <> p.merchant_id
GROUP BY p.brand_id, p.merchant_id;

-- +goose Down
SELECT 'forward-only';
