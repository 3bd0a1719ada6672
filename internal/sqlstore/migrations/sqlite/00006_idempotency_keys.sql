-- +goose Up
-- idempotency_keys holds the first response to each POST that carried an
-- Idempotency-Key, scoped to the caller, for 24 hours. A row is in_flight
-- while its request runs (lease and locked_until say who runs it and until
-- when) and completed once its response is stored; the completion commits in
-- the same transaction as the request's work, so a crash leaves either both
-- or neither.
CREATE TABLE idempotency_keys (
    scope        TEXT    NOT NULL,
    idem_key     TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    state        TEXT    NOT NULL CHECK (state IN ('in_flight', 'completed')),
    lease        TEXT    NOT NULL,
    locked_until TIMESTAMP NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    response     BLOB,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
SELECT 'forward-only';
