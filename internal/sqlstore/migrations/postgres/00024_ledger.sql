-- +goose Up
-- The ledger of buyer protection's escrow (docs/orders.md, "Ledger"): one
-- posting per order and kind (paid, released, reversed), written in the
-- transaction of the order's move, whose entries sum to zero.
CREATE TABLE ledger_postings (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    order_id    TEXT NOT NULL REFERENCES orders (id),
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    currency    TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (order_id, kind)
);
CREATE INDEX ledger_postings_merchant ON ledger_postings (merchant_id, id);

-- An entry's merchant_id is NULL on the marketplace's accounts (clearing).
-- A balance is the sum of an account's entries: the index covers it, so a
-- merchant's balances are one index range.
CREATE TABLE ledger_entries (
    posting_id  TEXT NOT NULL REFERENCES ledger_postings (id),
    seq         BIGINT NOT NULL,
    account     TEXT NOT NULL,
    merchant_id TEXT REFERENCES merchants (id),
    currency    TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    PRIMARY KEY (posting_id, seq)
);
CREATE INDEX ledger_entries_balance ON ledger_entries (merchant_id, account, currency, amount);

-- +goose Down
SELECT 'forward-only';
