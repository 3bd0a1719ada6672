-- +goose Up
-- Sesame core schema, PostgreSQL dialect. Keep in step with sqlite/00001_core.sql:
-- same tables, same columns, same constraints; only types differ.

CREATE TABLE outbox (
    id           TEXT PRIMARY KEY,
    type         TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    tenant       TEXT NOT NULL DEFAULT '',
    payload      TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    published_at TIMESTAMPTZ
);
CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL;

CREATE TABLE inbox (
    consumer     TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE partners (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    country    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE plans (
    id              TEXT PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    currency        TEXT NOT NULL,
    deposit_minor   BIGINT NOT NULL CHECK (deposit_minor >= 0),
    yearly_fee_minor BIGINT NOT NULL CHECK (yearly_fee_minor >= 0),
    commission_bps  BIGINT NOT NULL CHECK (commission_bps BETWEEN 0 AND 10000),
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE programmes (
    id                      TEXT PRIMARY KEY,
    code                    TEXT NOT NULL UNIQUE,
    name                    TEXT NOT NULL,
    description             TEXT NOT NULL DEFAULT '',
    countries               TEXT NOT NULL DEFAULT '[]',
    deposit_discount_bps    BIGINT NOT NULL CHECK (deposit_discount_bps BETWEEN 0 AND 10000),
    yearly_fee_discount_bps BIGINT NOT NULL CHECK (yearly_fee_discount_bps BETWEEN 0 AND 10000),
    commission_discount_bps BIGINT NOT NULL CHECK (commission_discount_bps BETWEEN 0 AND 10000),
    created_at              TIMESTAMPTZ NOT NULL
);

CREATE TABLE merchants (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    country             TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'suspended')),
    legal_name          TEXT NOT NULL,
    registration_number TEXT NOT NULL,
    vat_number          TEXT NOT NULL DEFAULT '',
    address             TEXT NOT NULL,
    email               TEXT NOT NULL,
    phone               TEXT NOT NULL,
    self_certified      BOOLEAN NOT NULL,
    status_reason       TEXT NOT NULL DEFAULT '',
    plan_id             TEXT REFERENCES plans (id),
    programme_id        TEXT REFERENCES programmes (id),
    reviewed_by         TEXT NOT NULL DEFAULT '',
    reviewed_at         TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX merchants_status ON merchants (status, id);

CREATE TABLE plan_commissions (
    plan_id        TEXT NOT NULL REFERENCES plans (id),
    category_id    TEXT NOT NULL,
    commission_bps BIGINT NOT NULL CHECK (commission_bps BETWEEN 0 AND 10000),
    PRIMARY KEY (plan_id, category_id)
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('buyer', 'merchant_staff', 'partner', 'operator')),
    merchant_id   TEXT REFERENCES merchants (id),
    staff_role    TEXT NOT NULL DEFAULT '',
    partner_id    TEXT REFERENCES partners (id),
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    merchant_id TEXT REFERENCES merchants (id),
    partner_id  TEXT REFERENCES partners (id),
    secret_hash TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ,
    CHECK ((merchant_id IS NULL) <> (partner_id IS NULL))
);

CREATE TABLE channels (
    id               TEXT PRIMARY KEY,
    code             TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    markets          TEXT NOT NULL,
    languages        TEXT NOT NULL,
    currencies       TEXT NOT NULL,
    default_language TEXT NOT NULL,
    admission        TEXT NOT NULL CHECK (admission IN ('open', 'curated')),
    description      TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE channel_merchants (
    channel_id  TEXT NOT NULL REFERENCES channels (id),
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    admitted_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel_id, merchant_id)
);

CREATE TABLE shops (
    id          TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    channel_id  TEXT NOT NULL REFERENCES channels (id),
    name        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (merchant_id, channel_id)
);

CREATE TABLE pavilions (
    id          TEXT PRIMARY KEY,
    channel_id  TEXT NOT NULL REFERENCES channels (id),
    slug        TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (channel_id, slug)
);

CREATE TABLE pavilion_merchants (
    pavilion_id TEXT NOT NULL REFERENCES pavilions (id),
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    position    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (pavilion_id, merchant_id)
);

CREATE TABLE categories (
    id         TEXT PRIMARY KEY,
    parent_id  TEXT REFERENCES categories (id),
    slug       TEXT NOT NULL UNIQUE,
    names      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE brands (
    id          TEXT PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    merchant_id TEXT REFERENCES merchants (id),
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE channel_brands (
    channel_id  TEXT NOT NULL REFERENCES channels (id),
    brand_id    TEXT NOT NULL REFERENCES brands (id),
    admitted_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel_id, brand_id)
);

CREATE TABLE products (
    id             TEXT PRIMARY KEY,
    merchant_id    TEXT NOT NULL REFERENCES merchants (id),
    brand_id       TEXT REFERENCES brands (id),
    category_id    TEXT NOT NULL REFERENCES categories (id),
    origin_country TEXT NOT NULL,
    media          TEXT NOT NULL DEFAULT '[]',
    attributes     TEXT NOT NULL DEFAULT '{}',
    version        BIGINT NOT NULL,
    doc            TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX products_merchant ON products (merchant_id, id);

CREATE TABLE product_translations (
    product_id  TEXT NOT NULL REFERENCES products (id),
    lang        TEXT NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (product_id, lang)
);

CREATE TABLE variants (
    id          TEXT PRIMARY KEY,
    product_id  TEXT NOT NULL REFERENCES products (id),
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    sku         TEXT NOT NULL,
    options     TEXT NOT NULL DEFAULT '{}',
    position    INTEGER NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (merchant_id, sku)
);
CREATE INDEX variants_product ON variants (product_id, position);

CREATE TABLE prices (
    variant_id   TEXT NOT NULL REFERENCES variants (id),
    channel_id   TEXT NOT NULL REFERENCES channels (id),
    currency     TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor >= 0),
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (variant_id, channel_id, currency)
);

CREATE TABLE listings (
    channel_id  TEXT NOT NULL REFERENCES channels (id),
    product_id  TEXT NOT NULL REFERENCES products (id),
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    active      BOOLEAN NOT NULL,
    listed_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel_id, product_id)
);
CREATE INDEX listings_merchant ON listings (merchant_id);
CREATE INDEX listings_product ON listings (product_id);

CREATE TABLE warehouses (
    id                  TEXT PRIMARY KEY,
    code                TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    country             TEXT NOT NULL,
    city                TEXT NOT NULL,
    owner_merchant_id   TEXT REFERENCES merchants (id),
    operator_partner_id TEXT REFERENCES partners (id),
    created_at          TIMESTAMPTZ NOT NULL,
    CHECK (owner_merchant_id IS NOT NULL OR operator_partner_id IS NOT NULL)
);

-- +goose Down
SELECT 'forward-only';
