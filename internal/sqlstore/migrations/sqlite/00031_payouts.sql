-- +goose Up
-- Payouts (docs/payouts.md): money paid out of a merchant's available
-- balance to its payout account. A payout posts once, with no order: the
-- ledger's postings now belong to an order or to a payout.
CREATE TABLE payouts (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    currency     TEXT NOT NULL,
    amount       INTEGER NOT NULL CHECK (amount > 0),
    status       TEXT NOT NULL CHECK (status IN ('pending', 'paid')),
    provider     TEXT NOT NULL,
    account      TEXT NOT NULL,
    provider_ref TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    paid_at      TIMESTAMP
);
CREATE INDEX payouts_merchant ON payouts (merchant_id, id);
-- At most one payout of a merchant and currency under way.
CREATE UNIQUE INDEX payouts_pending ON payouts (merchant_id, currency) WHERE status = 'pending';

-- Where a merchant is paid: its account at a payout provider.
CREATE TABLE payout_accounts (
    merchant_id TEXT PRIMARY KEY REFERENCES merchants (id),
    provider    TEXT NOT NULL,
    account     TEXT NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE ledger_postings_new (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    order_id    TEXT REFERENCES orders (id),
    payout_id   TEXT REFERENCES payouts (id),
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    currency    TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    clearing    INTEGER NOT NULL DEFAULT 0,
    held        INTEGER NOT NULL DEFAULT 0,
    available   INTEGER NOT NULL DEFAULT 0,
    paid        INTEGER NOT NULL DEFAULT 0,
    fees        INTEGER NOT NULL DEFAULT 0,
    CHECK (clearing + held + available + paid + fees = 0),
    CHECK ((order_id IS NULL) <> (payout_id IS NULL)),
    UNIQUE (order_id, kind),
    UNIQUE (payout_id, kind)
) WITHOUT ROWID;
INSERT INTO ledger_postings_new (id, kind, order_id, merchant_id, currency, created_at, clearing, held, available, paid, fees)
    SELECT id, kind, order_id, merchant_id, currency, created_at, clearing, held, available, paid, fees FROM ledger_postings;
DROP TABLE ledger_postings;
ALTER TABLE ledger_postings_new RENAME TO ledger_postings;
CREATE INDEX ledger_postings_merchant ON ledger_postings (merchant_id, id);

-- +goose Down
SELECT 'forward-only';
