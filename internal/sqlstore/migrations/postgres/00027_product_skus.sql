-- +goose Up
-- A product's SKUs, as a JSON array in variant order, beside its view: a
-- product page reads the view and the stock of its variants (by merchant
-- and SKU, the stock's key) in one query (sqlstore/buckets.go), for about
-- 20 bytes a product rather than an index of variants by product.
ALTER TABLE products ADD COLUMN skus TEXT NOT NULL DEFAULT '[]';
UPDATE products p SET skus = g.skus
    FROM (SELECT product_id, json_agg(sku ORDER BY id)::text AS skus FROM variants GROUP BY product_id) AS g
    WHERE g.product_id = p.id;

-- +goose Down
ALTER TABLE products DROP COLUMN skus;
