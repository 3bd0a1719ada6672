-- +goose Up
-- The catalogue's own ids are stored as their 16 bytes (the UUID after the
-- "prd_"/"var_" prefix), and each fact is held once: translations, options
-- and prices live only in the product's document; listings no longer copy
-- the merchant (the product has it). products.view holds the pre-rendered
-- pieces of what buyers see (see sqlstore/productview.go); NULL until it is
-- rendered, and reads render from the document meanwhile. Keyed by the id
-- itself (WITHOUT ROWID): a page's join finds each product in one b-tree,
-- not an index and then the table; rows (about 1.3 KB) sit well within a
-- 16 KiB page.
CREATE TABLE products_new (
    id          BLOB PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    brand_id    TEXT REFERENCES brands (id),
    category_id TEXT NOT NULL REFERENCES categories (id),
    version     INTEGER NOT NULL,
    doc         BLOB NOT NULL,
    view        BLOB
) WITHOUT ROWID;
INSERT INTO products_new (id, merchant_id, brand_id, category_id, version, doc)
    SELECT unhex(substr(id, 5)), merchant_id, brand_id, category_id, version, CAST(doc AS BLOB) FROM products;

-- A variant row is its SKU, unique per merchant, and the product it belongs
-- to; the rest of the variant is in the document. Variant ids are random
-- UUIDv7s, unique without an index of their own.
CREATE TABLE variants_new (
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    sku         TEXT NOT NULL,
    id          BLOB NOT NULL,
    product_id  BLOB NOT NULL REFERENCES products_new (id),
    PRIMARY KEY (merchant_id, sku)
) WITHOUT ROWID;
INSERT INTO variants_new (id, product_id, merchant_id, sku)
    SELECT unhex(substr(id, 5)), unhex(substr(product_id, 5)), merchant_id, sku FROM variants;

CREATE TABLE listings_new (
    channel_id TEXT NOT NULL REFERENCES channels (id),
    product_id BLOB NOT NULL REFERENCES products_new (id),
    active     BOOLEAN NOT NULL,
    listed_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (channel_id, product_id)
) WITHOUT ROWID;
INSERT INTO listings_new (channel_id, product_id, active, listed_at)
    SELECT channel_id, unhex(substr(product_id, 5)), active, listed_at FROM listings;

DROP TABLE listings;
DROP TABLE prices;
DROP TABLE product_translations;
DROP TABLE variants;
DROP TABLE products;
ALTER TABLE products_new RENAME TO products;
ALTER TABLE variants_new RENAME TO variants;
ALTER TABLE listings_new RENAME TO listings;
CREATE INDEX products_merchant ON products (merchant_id, id);
CREATE INDEX listings_product ON listings (product_id);

-- Rendered pages are cached per range of product ids: a change to a listed
-- product bumps the version of its range on each channel that shows it,
-- rather than the channel's one row (see sqlstore/buckets.go).
CREATE TABLE catalog_buckets (
    channel_id TEXT NOT NULL REFERENCES channels (id),
    bucket     INTEGER NOT NULL,
    version    INTEGER NOT NULL,
    PRIMARY KEY (channel_id, bucket)
) WITHOUT ROWID;

-- +goose Down
SELECT 'forward-only';
