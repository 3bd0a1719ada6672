-- +goose Up
-- On SQLite, migration 28 rebuilds the ledger's tables keyed by their
-- primary keys alone (WITHOUT ROWID). PostgreSQL's tables are heaps with
-- their indexes either way: nothing changes here.
SELECT 1;

-- +goose Down
SELECT 1;
