-- +goose Up
-- Products are kept in a rowid table keyed by seq, an integer given in
-- insertion order, and each listing carries its product's seq. A product row
-- is about 1.5 KB: keyed by its id (WITHOUT ROWID), the b-tree's interior
-- pages held whole rows, about ten to a page, so finding one took six
-- levels of large pages; keyed by an integer, interior pages hold a thousand
-- keys and a page of listings finds each product in three, in a small tree
-- that stays in memory. The id is still unique and indexed, for every other
-- read. seq is an INTEGER PRIMARY KEY, so VACUUM keeps it.
CREATE TABLE products_new (
    seq         INTEGER PRIMARY KEY,
    id          BLOB NOT NULL UNIQUE,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    brand_id    TEXT REFERENCES brands (id),
    category_id TEXT NOT NULL REFERENCES categories (id),
    version     INTEGER NOT NULL,
    doc         BLOB NOT NULL,
    view        BLOB
);
INSERT INTO products_new (id, merchant_id, brand_id, category_id, version, doc, view)
    SELECT id, merchant_id, brand_id, category_id, version, doc, view FROM products ORDER BY id;

CREATE TABLE variants_new (
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    sku         TEXT NOT NULL,
    id          BLOB NOT NULL,
    product_id  BLOB NOT NULL REFERENCES products_new (id),
    PRIMARY KEY (merchant_id, sku)
) WITHOUT ROWID;
INSERT INTO variants_new (merchant_id, sku, id, product_id) SELECT merchant_id, sku, id, product_id FROM variants;

CREATE TABLE listings_new (
    channel_id  TEXT NOT NULL REFERENCES channels (id),
    product_id  BLOB NOT NULL REFERENCES products_new (id),
    product_seq INTEGER NOT NULL,
    active      BOOLEAN NOT NULL,
    listed_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (channel_id, product_id)
) WITHOUT ROWID;
INSERT INTO listings_new (channel_id, product_id, product_seq, active, listed_at)
    SELECT l.channel_id, l.product_id, p.seq, l.active, l.listed_at FROM listings l JOIN products_new p ON p.id = l.product_id;

DROP TABLE listings;
DROP TABLE variants;
DROP TABLE products;
ALTER TABLE products_new RENAME TO products;
ALTER TABLE variants_new RENAME TO variants;
ALTER TABLE listings_new RENAME TO listings;
CREATE INDEX products_merchant ON products (merchant_id, id);
CREATE INDEX listings_product ON listings (product_id);

-- +goose Down
SELECT 'forward-only';
