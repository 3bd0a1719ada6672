-- +goose Up
-- Buyers' reviews (docs/reviews.md): one per line of a confirmed order.
-- product_id is the line's product as the order recorded it (the order's
-- document holds it; products are kept by their compact ids, see 00011).
CREATE TABLE reviews (
    id          TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL REFERENCES orders (id),
    line_id     TEXT NOT NULL,
    product_id  TEXT NOT NULL,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    buyer_id    TEXT NOT NULL REFERENCES users (id),
    channel_id  TEXT NOT NULL REFERENCES channels (id),
    stars       INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    body        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('published', 'hidden')),
    reason      TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    UNIQUE (order_id, line_id)
);
CREATE INDEX reviews_product ON reviews (product_id, status, id);

-- A buyer's rating of an order's merchant on the three axes, once per order.
CREATE TABLE seller_ratings (
    order_id      TEXT PRIMARY KEY REFERENCES orders (id),
    merchant_id   TEXT NOT NULL REFERENCES merchants (id),
    described     INTEGER NOT NULL CHECK (described BETWEEN 1 AND 5),
    communication INTEGER NOT NULL CHECK (communication BETWEEN 1 AND 5),
    shipping      INTEGER NOT NULL CHECK (shipping BETWEEN 1 AND 5),
    created_at    TIMESTAMP NOT NULL
);

-- The ratings, kept in the transaction of each review's write or
-- moderation, so that a page reads one row: counts and sums, never an
-- average.
CREATE TABLE product_ratings (
    product_id TEXT PRIMARY KEY,
    reviews    INTEGER NOT NULL CHECK (reviews >= 0),
    stars      INTEGER NOT NULL CHECK (stars >= 0)
);
CREATE TABLE merchant_ratings (
    merchant_id   TEXT PRIMARY KEY REFERENCES merchants (id),
    orders        INTEGER NOT NULL CHECK (orders >= 0),
    described     INTEGER NOT NULL,
    communication INTEGER NOT NULL,
    shipping      INTEGER NOT NULL
);

-- +goose Down
SELECT 'forward-only';
