-- +goose Up
-- A product-id bucket is keyed by the smallest product id it can hold (the
-- 16 bytes of a UUIDv7 whose milliseconds start the bucket, then zeros), so
-- that a page's query compares its rows' ids with bucket keys directly and
-- reads the versions of the buckets it spans itself, in its own snapshot.
-- The versions only validate caches held in memory, which a restart empties:
-- they start again from none.
DROP TABLE catalog_buckets;
CREATE TABLE catalog_buckets (
    channel_id TEXT NOT NULL REFERENCES channels (id),
    lo         BLOB NOT NULL,
    version    INTEGER NOT NULL,
    PRIMARY KEY (channel_id, lo)
) WITHOUT ROWID;

-- +goose Down
SELECT 'forward-only';
