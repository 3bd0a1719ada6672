-- +goose Up
-- A person's link to a product listed on a channel (/s/{code}). The channel
-- is named by its code, which never changes; the product by its 16 bytes, as
-- the catalogue's tables name it. A person has one link per product and
-- channel; visits are counted in place (visits = visits + 1).
CREATE TABLE share_links (
    code       TEXT PRIMARY KEY,
    sharer_id  TEXT NOT NULL REFERENCES users (id),
    channel    TEXT NOT NULL REFERENCES channels (code),
    product_id BYTEA NOT NULL REFERENCES products (id),
    visits     BIGINT NOT NULL DEFAULT 0 CHECK (visits >= 0),
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (sharer_id, channel, product_id)
);
-- A sharer's links, newest first.
CREATE INDEX share_links_sharer ON share_links (sharer_id, created_at DESC, code DESC);

-- +goose Down
SELECT 'forward-only';
