-- +goose Up
-- A merchant that names a logistics partner for its warehouse only asks: the
-- partner accepts or declines, or an operator assigns it (recorded as a link
-- accepted at once). A warehouse's operator_partner_id is set only by an
-- accepted link or by an operator, so a partner sees and operates nothing it
-- did not accept. Keep in step with the other engine's 00004_partner_links.sql.
CREATE TABLE partner_links (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    partner_id   TEXT NOT NULL REFERENCES partners (id),
    warehouse_id TEXT NOT NULL REFERENCES warehouses (id),
    status       TEXT NOT NULL CHECK (status IN ('requested', 'accepted', 'declined')),
    requested_by TEXT NOT NULL DEFAULT '',
    decided_by   TEXT NOT NULL DEFAULT '',
    requested_at TIMESTAMP NOT NULL,
    decided_at   TIMESTAMP
);
-- One open request per warehouse and partner.
CREATE UNIQUE INDEX partner_links_open ON partner_links (warehouse_id, partner_id) WHERE status = 'requested';
CREATE INDEX partner_links_partner ON partner_links (partner_id, status, id);
CREATE INDEX partner_links_merchant ON partner_links (merchant_id, status, id);

-- Partners named on merchants' warehouses before links existed were imposed,
-- never accepted: each becomes a request that partner must accept first.
INSERT INTO partner_links (id, merchant_id, partner_id, warehouse_id, status, requested_at)
    SELECT 'plk_' || substr(id, 4), owner_merchant_id, operator_partner_id, id, 'requested', created_at
    FROM warehouses WHERE owner_merchant_id IS NOT NULL AND operator_partner_id IS NOT NULL;
UPDATE warehouses SET operator_partner_id = NULL WHERE owner_merchant_id IS NOT NULL AND operator_partner_id IS NOT NULL;

-- +goose Down
SELECT 'forward-only';
