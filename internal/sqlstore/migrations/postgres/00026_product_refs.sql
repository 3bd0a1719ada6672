-- +goose Up
-- A product's ref is the merchant's own reference for it, the key of a
-- catalogue feed (docs/import.md): importing a line whose ref the merchant
-- already uses updates that product. Products made through the API have
-- none (NULL), and no entry in the index: a catalogue made through the
-- API or the demo pays nothing for it.
ALTER TABLE products ADD COLUMN ref TEXT;
CREATE UNIQUE INDEX products_ref ON products (merchant_id, ref) WHERE ref IS NOT NULL;

-- +goose Down
DROP INDEX products_ref;
ALTER TABLE products DROP COLUMN ref;
