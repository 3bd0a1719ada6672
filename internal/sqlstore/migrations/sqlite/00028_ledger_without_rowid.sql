-- +goose Up
-- The ledger's tables keyed by their primary keys alone (WITHOUT ROWID):
-- a posting and each of its entries is then one B-tree insert fewer, in
-- the transaction of every checkout. PostgreSQL keeps its tables as they
-- are (no such storage choice).
CREATE TABLE ledger_postings_new (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    order_id    TEXT NOT NULL REFERENCES orders (id),
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    currency    TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (order_id, kind)
) WITHOUT ROWID;
INSERT INTO ledger_postings_new (id, kind, order_id, merchant_id, currency, created_at)
    SELECT id, kind, order_id, merchant_id, currency, created_at FROM ledger_postings ORDER BY id;

CREATE TABLE ledger_entries_new (
    posting_id  TEXT NOT NULL REFERENCES ledger_postings_new (id),
    seq         INTEGER NOT NULL,
    account     TEXT NOT NULL,
    merchant_id TEXT REFERENCES merchants (id),
    currency    TEXT NOT NULL,
    amount      INTEGER NOT NULL,
    PRIMARY KEY (posting_id, seq)
) WITHOUT ROWID;
INSERT INTO ledger_entries_new (posting_id, seq, account, merchant_id, currency, amount)
    SELECT posting_id, seq, account, merchant_id, currency, amount FROM ledger_entries ORDER BY posting_id, seq;

DROP TABLE ledger_entries;
DROP TABLE ledger_postings;
ALTER TABLE ledger_postings_new RENAME TO ledger_postings;
ALTER TABLE ledger_entries_new RENAME TO ledger_entries;
CREATE INDEX ledger_postings_merchant ON ledger_postings (merchant_id, id);
CREATE INDEX ledger_entries_balance ON ledger_entries (merchant_id, account, currency, amount);

-- +goose Down
SELECT 'forward-only';
