-- +goose Up
-- A cart line names a variant by id: the catalogue finds its product.
CREATE INDEX variants_id ON variants (id);

-- The law: tax rates, thresholds and fees as rows with their validity, so
-- that a change of law is new rows. Amounts in minor units of their currency.
CREATE TABLE tax_rules (
    id              TEXT PRIMARY KEY,
    kind            TEXT    NOT NULL,
    country         TEXT    NOT NULL,
    class           TEXT    NOT NULL DEFAULT '',
    subheading      TEXT    NOT NULL DEFAULT '',
    rate_bps        INTEGER NOT NULL DEFAULT 0 CHECK (rate_bps BETWEEN 0 AND 10000),
    amount_minor    INTEGER NOT NULL DEFAULT 0,
    amount_currency TEXT    NOT NULL DEFAULT '',
    limit_minor     INTEGER NOT NULL DEFAULT 0,
    limit_currency  TEXT    NOT NULL DEFAULT '',
    valid_from      TIMESTAMP NOT NULL,
    valid_to        TIMESTAMP,
    note            TEXT    NOT NULL DEFAULT ''
);

-- Exchange rates, each with the time it starts to apply; the newest rate
-- of a pair started by a moment is the rate at that moment.
CREATE TABLE fx_rates (
    base       TEXT NOT NULL,
    quote      TEXT NOT NULL,
    valid_from TIMESTAMP NOT NULL,
    rate       TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (base, quote, valid_from)
);

-- How customs and tax see a category's goods.
CREATE TABLE category_tariffs (
    category_id TEXT PRIMARY KEY REFERENCES categories (id),
    hs_code     TEXT NOT NULL,
    tax_class   TEXT NOT NULL
);

-- A cart is a buyer's (buyer_id) or an anonymous client's (token_hash, the
-- SHA-256 of the token it holds) on one channel. attempt counts its
-- checkouts whose payment failed.
CREATE TABLE carts (
    id         TEXT PRIMARY KEY,
    channel_id TEXT NOT NULL REFERENCES channels (id),
    currency   TEXT NOT NULL,
    country    TEXT NOT NULL,
    buyer_id   TEXT REFERENCES users (id),
    token_hash TEXT,
    status     TEXT NOT NULL CHECK (status IN ('open', 'checked_out', 'merged')),
    address    TEXT,
    attempt    INTEGER NOT NULL DEFAULT 0,
    version    INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (buyer_id IS NOT NULL OR token_hash IS NOT NULL)
);
CREATE UNIQUE INDEX carts_buyer_open ON carts (buyer_id, channel_id) WHERE status = 'open' AND buyer_id IS NOT NULL;

CREATE TABLE cart_lines (
    id          TEXT PRIMARY KEY,
    cart_id     TEXT    NOT NULL REFERENCES carts (id),
    variant_id  TEXT    NOT NULL,
    product_id  TEXT    NOT NULL,
    merchant_id TEXT    NOT NULL,
    sku         TEXT    NOT NULL,
    quantity    INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    added_at    TIMESTAMP NOT NULL,
    UNIQUE (cart_id, variant_id)
);

-- One checkout per attempt of a cart: a retried checkout finds the one
-- made, and a payment is never taken twice for it.
CREATE TABLE checkouts (
    id         TEXT PRIMARY KEY,
    cart_id    TEXT    NOT NULL REFERENCES carts (id),
    attempt    INTEGER NOT NULL,
    buyer_id   TEXT    NOT NULL REFERENCES users (id),
    currency   TEXT    NOT NULL,
    total      INTEGER NOT NULL CHECK (total >= 0),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (cart_id, attempt)
);

CREATE TABLE payments (
    id           TEXT PRIMARY KEY,
    checkout_id  TEXT    NOT NULL UNIQUE REFERENCES checkouts (id),
    provider     TEXT    NOT NULL,
    provider_ref TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('captured', 'requires_action', 'failed', 'refunded')),
    amount       INTEGER NOT NULL CHECK (amount > 0),
    currency     TEXT    NOT NULL,
    reason       TEXT    NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    UNIQUE (provider, provider_ref)
);

-- An order is one merchant's part of a checkout; doc holds its lines (each
-- with the price, tax rule, rate and amount and the commission it was sold
-- at), parcels and address. cbec_cny is its value under China's
-- cross-border regime, which the yearly limit sums.
CREATE TABLE orders (
    id             TEXT PRIMARY KEY,
    checkout_id    TEXT    NOT NULL REFERENCES checkouts (id),
    merchant_id    TEXT    NOT NULL REFERENCES merchants (id),
    buyer_id       TEXT    NOT NULL REFERENCES users (id),
    channel_id     TEXT    NOT NULL REFERENCES channels (id),
    reservation_id TEXT REFERENCES reservations (id),
    status         TEXT    NOT NULL CHECK (status IN ('pending_payment', 'paid', 'cancelled', 'shipped', 'delivered', 'completed', 'disputed', 'refunded')),
    currency       TEXT    NOT NULL,
    total          INTEGER NOT NULL CHECK (total >= 0),
    cbec_cny       INTEGER NOT NULL DEFAULT 0,
    doc            TEXT    NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX orders_buyer ON orders (buyer_id, id);
CREATE INDEX orders_merchant ON orders (merchant_id, id);
CREATE INDEX orders_checkout ON orders (checkout_id);

CREATE TABLE refunds (
    id           TEXT PRIMARY KEY,
    payment_id   TEXT    NOT NULL REFERENCES payments (id),
    order_id     TEXT    NOT NULL UNIQUE REFERENCES orders (id),
    amount       INTEGER NOT NULL CHECK (amount > 0),
    currency     TEXT    NOT NULL,
    created_at   TIMESTAMP NOT NULL
);

-- +goose Down
SELECT 'forward-only';
