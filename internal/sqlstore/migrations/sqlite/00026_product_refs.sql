-- +goose Up
-- A product's ref is the merchant's own reference for it, the key of a
-- catalogue feed (docs/import.md): importing a line whose ref the merchant
-- already uses updates that product. Products made through the API have
-- none (NULL, which the unique index does not compare).
ALTER TABLE products ADD COLUMN ref TEXT;
CREATE UNIQUE INDEX products_ref ON products (merchant_id, ref);

-- +goose Down
DROP INDEX products_ref;
ALTER TABLE products DROP COLUMN ref;
