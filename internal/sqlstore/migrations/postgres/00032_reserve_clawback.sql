-- +goose Up
-- Rolling reserves, clawbacks and reconciliation (docs/payouts.md).
--
-- A plan may hold back a share of each order's settlement for some days
-- after the order completes (reserve_bps for reserve_days).
ALTER TABLE plans
    ADD COLUMN reserve_bps  INTEGER NOT NULL DEFAULT 0 CHECK (reserve_bps BETWEEN 0 AND 5000),
    ADD COLUMN reserve_days INTEGER NOT NULL DEFAULT 0 CHECK (reserve_days BETWEEN 0 AND 365);

-- Two more accounts per merchant: reserve (settlement held back after
-- completion) and owed (negative by what a refund after payout took back
-- beyond what was available: the next payouts recover it). A recovery is a
-- posting of neither an order nor a payout.
ALTER TABLE ledger_postings
    ADD COLUMN reserve BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN owed    BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ledger_postings DROP CONSTRAINT ledger_postings_sum;
ALTER TABLE ledger_postings ADD CONSTRAINT ledger_postings_sum CHECK (clearing + held + available + paid + fees + reserve + owed = 0);
ALTER TABLE ledger_postings DROP CONSTRAINT ledger_postings_owner;
ALTER TABLE ledger_postings ADD CONSTRAINT ledger_postings_owner
    CHECK (kind = 'recovered' AND order_id IS NULL AND payout_id IS NULL OR (order_id IS NULL) <> (payout_id IS NULL));
CREATE INDEX ledger_postings_owed ON ledger_postings (merchant_id, currency) WHERE owed <> 0;

-- The sandbox payment provider's own books, as a real provider keeps its
-- balance transactions: what reconciliation compares the ledger with.
CREATE TABLE sandbox_transactions (
    ref        TEXT PRIMARY KEY,
    type       TEXT NOT NULL CHECK (type IN ('charge', 'refund', 'transfer')),
    status     TEXT NOT NULL,
    currency   TEXT NOT NULL,
    amount     BIGINT NOT NULL CHECK (amount > 0),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sandbox_transactions_created ON sandbox_transactions (created_at);

-- +goose Down
SELECT 'forward-only';
