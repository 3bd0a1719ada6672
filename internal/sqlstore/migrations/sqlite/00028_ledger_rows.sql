-- +goose Up
-- A posting is one row: its entries are its amounts on the five accounts
-- (signed, 0 where it has none), which sum to zero. Every checkout writes
-- one posting per merchant order in its transaction: one row and its two
-- indexes, where a posting table and an entry table took nine B-tree
-- inserts. Keyed by its primary key alone (WITHOUT ROWID).
CREATE TABLE ledger_postings_new (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    order_id    TEXT NOT NULL REFERENCES orders (id),
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    currency    TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    clearing    INTEGER NOT NULL DEFAULT 0,
    held        INTEGER NOT NULL DEFAULT 0,
    available   INTEGER NOT NULL DEFAULT 0,
    paid        INTEGER NOT NULL DEFAULT 0,
    fees        INTEGER NOT NULL DEFAULT 0,
    CHECK (clearing + held + available + paid + fees = 0),
    UNIQUE (order_id, kind)
) WITHOUT ROWID;
INSERT INTO ledger_postings_new (id, kind, order_id, merchant_id, currency, created_at, clearing, held, available, paid, fees)
    SELECT p.id, p.kind, p.order_id, p.merchant_id, p.currency, p.created_at,
        COALESCE(SUM(CASE e.account WHEN 'clearing' THEN e.amount END), 0),
        COALESCE(SUM(CASE e.account WHEN 'held' THEN e.amount END), 0),
        COALESCE(SUM(CASE e.account WHEN 'available' THEN e.amount END), 0),
        COALESCE(SUM(CASE e.account WHEN 'paid' THEN e.amount END), 0),
        COALESCE(SUM(CASE e.account WHEN 'fees' THEN e.amount END), 0)
    FROM ledger_postings p LEFT JOIN ledger_entries e ON e.posting_id = p.id
    GROUP BY p.id, p.kind, p.order_id, p.merchant_id, p.currency, p.created_at;
DROP TABLE ledger_entries;
DROP TABLE ledger_postings;
ALTER TABLE ledger_postings_new RENAME TO ledger_postings;
CREATE INDEX ledger_postings_merchant ON ledger_postings (merchant_id, id);

-- +goose Down
SELECT 'forward-only';
