-- +goose Up
-- A coupon is a merchant's (merchant_id; it discounts only that merchant's
-- goods) or the marketplace's (merchant_id NULL; it discounts the cart),
-- on one channel or all. kind is percent (percent_bps of the goods) or
-- fixed (amount_minor in currency, at most the goods). max_uses and
-- max_per_buyer are 0 for no limit.
CREATE TABLE coupons (
    id            TEXT PRIMARY KEY,
    code          TEXT    NOT NULL UNIQUE,
    merchant_id   TEXT REFERENCES merchants (id),
    channel_id    TEXT REFERENCES channels (id),
    kind          TEXT    NOT NULL CHECK (kind IN ('percent', 'fixed')),
    percent_bps   INTEGER NOT NULL DEFAULT 0 CHECK (percent_bps BETWEEN 0 AND 10000),
    amount_minor  INTEGER NOT NULL DEFAULT 0 CHECK (amount_minor >= 0),
    currency      TEXT    NOT NULL DEFAULT '',
    min_spend     INTEGER NOT NULL DEFAULT 0 CHECK (min_spend >= 0),
    max_uses      INTEGER NOT NULL DEFAULT 0 CHECK (max_uses >= 0),
    max_per_buyer INTEGER NOT NULL DEFAULT 0 CHECK (max_per_buyer >= 0),
    valid_from    TIMESTAMP NOT NULL,
    valid_to      TIMESTAMP,
    version       INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX coupons_merchant ON coupons (merchant_id, id);

CREATE TABLE cart_coupons (
    cart_id   TEXT NOT NULL REFERENCES carts (id),
    coupon_id TEXT NOT NULL REFERENCES coupons (id),
    added_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (cart_id, coupon_id)
);

-- A redemption holds one use of a coupon for a checkout attempt (ref): held
-- from before the charge, redeemed with the checkout. A held use older
-- than the checkout hold no longer counts (its checkout died).
CREATE TABLE coupon_redemptions (
    coupon_id   TEXT NOT NULL REFERENCES coupons (id),
    ref         TEXT NOT NULL,
    buyer_id    TEXT NOT NULL REFERENCES users (id),
    status      TEXT NOT NULL CHECK (status IN ('held', 'redeemed')),
    checkout_id TEXT,
    amount      INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (coupon_id, ref)
);
CREATE INDEX coupon_redemptions_buyer ON coupon_redemptions (coupon_id, buyer_id);

-- +goose Down
SELECT 'forward-only';
