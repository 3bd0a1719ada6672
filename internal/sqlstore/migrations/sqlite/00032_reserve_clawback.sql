-- +goose Up
-- Rolling reserves, clawbacks and reconciliation (docs/payouts.md).
--
-- A plan may hold back a share of each order's settlement for some days
-- after the order completes (reserve_bps for reserve_days).
ALTER TABLE plans ADD COLUMN reserve_bps INTEGER NOT NULL DEFAULT 0 CHECK (reserve_bps BETWEEN 0 AND 5000);
ALTER TABLE plans ADD COLUMN reserve_days INTEGER NOT NULL DEFAULT 0 CHECK (reserve_days BETWEEN 0 AND 365);

-- Two more accounts per merchant: reserve (settlement held back after
-- completion) and owed (negative by what a refund after payout took back
-- beyond what was available: the next payouts recover it). A recovery is a
-- posting of neither an order nor a payout: a payout run that took all of
-- what was available to pay back what was owed.
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
    reserve     INTEGER NOT NULL DEFAULT 0,
    owed        INTEGER NOT NULL DEFAULT 0,
    CHECK (clearing + held + available + paid + fees + reserve + owed = 0),
    CHECK (kind = 'recovered' AND order_id IS NULL AND payout_id IS NULL OR (order_id IS NULL) <> (payout_id IS NULL)),
    UNIQUE (order_id, kind),
    UNIQUE (payout_id, kind)
) WITHOUT ROWID;
INSERT INTO ledger_postings_new (id, kind, order_id, payout_id, merchant_id, currency, created_at, clearing, held, available, paid, fees)
    SELECT id, kind, order_id, payout_id, merchant_id, currency, created_at, clearing, held, available, paid, fees FROM ledger_postings;
DROP TABLE ledger_postings;
ALTER TABLE ledger_postings_new RENAME TO ledger_postings;
CREATE INDEX ledger_postings_merchant ON ledger_postings (merchant_id, id);
-- What a merchant owes is read at each payout: the few postings that moved
-- it are their own index.
CREATE INDEX ledger_postings_owed ON ledger_postings (merchant_id, currency) WHERE owed <> 0;

-- The sandbox payment provider's own books, as a real provider keeps its
-- balance transactions: what reconciliation compares the ledger with.
CREATE TABLE sandbox_transactions (
    ref        TEXT PRIMARY KEY,
    type       TEXT NOT NULL CHECK (type IN ('charge', 'refund', 'transfer')),
    status     TEXT NOT NULL,
    currency   TEXT NOT NULL,
    amount     INTEGER NOT NULL CHECK (amount > 0),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX sandbox_transactions_created ON sandbox_transactions (created_at);

-- +goose Down
SELECT 'forward-only';
