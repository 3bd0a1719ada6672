-- +goose Up
-- A posting is one row: its entries are its amounts on the five accounts
-- (signed, 0 where it has none), which sum to zero. Every checkout writes
-- one posting per merchant order in its transaction: one row and its two
-- indexes, where a posting table and an entry table took nine inserts.
ALTER TABLE ledger_postings
    ADD COLUMN clearing  BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN held      BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN available BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN paid      BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN fees      BIGINT NOT NULL DEFAULT 0;
UPDATE ledger_postings p SET
    clearing  = COALESCE(s.clearing, 0),
    held      = COALESCE(s.held, 0),
    available = COALESCE(s.available, 0),
    paid      = COALESCE(s.paid, 0),
    fees      = COALESCE(s.fees, 0)
FROM (SELECT posting_id,
        SUM(amount) FILTER (WHERE account = 'clearing') AS clearing,
        SUM(amount) FILTER (WHERE account = 'held') AS held,
        SUM(amount) FILTER (WHERE account = 'available') AS available,
        SUM(amount) FILTER (WHERE account = 'paid') AS paid,
        SUM(amount) FILTER (WHERE account = 'fees') AS fees
    FROM ledger_entries GROUP BY posting_id) s
WHERE s.posting_id = p.id;
ALTER TABLE ledger_postings ADD CONSTRAINT ledger_postings_sum CHECK (clearing + held + available + paid + fees = 0);
DROP TABLE ledger_entries;

-- +goose Down
SELECT 'forward-only';
