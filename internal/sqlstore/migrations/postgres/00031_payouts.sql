-- +goose Up
-- Payouts (docs/payouts.md): money paid out of a merchant's available
-- balance to its payout account. A payout posts once, with no order: the
-- ledger's postings now belong to an order or to a payout.
CREATE TABLE payouts (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    currency     TEXT NOT NULL,
    amount       BIGINT NOT NULL CHECK (amount > 0),
    status       TEXT NOT NULL CHECK (status IN ('pending', 'paid')),
    provider     TEXT NOT NULL,
    account      TEXT NOT NULL,
    provider_ref TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    paid_at      TIMESTAMPTZ
);
CREATE INDEX payouts_merchant ON payouts (merchant_id, id);
-- At most one payout of a merchant and currency under way.
CREATE UNIQUE INDEX payouts_pending ON payouts (merchant_id, currency) WHERE status = 'pending';

-- Where a merchant is paid: its account at a payout provider.
CREATE TABLE payout_accounts (
    merchant_id TEXT PRIMARY KEY REFERENCES merchants (id),
    provider    TEXT NOT NULL,
    account     TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

ALTER TABLE ledger_postings ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE ledger_postings ADD COLUMN payout_id TEXT REFERENCES payouts (id);
ALTER TABLE ledger_postings ADD CONSTRAINT ledger_postings_owner CHECK ((order_id IS NULL) <> (payout_id IS NULL));
ALTER TABLE ledger_postings ADD CONSTRAINT ledger_postings_payout_kind UNIQUE (payout_id, kind);

-- +goose Down
SELECT 'forward-only';
