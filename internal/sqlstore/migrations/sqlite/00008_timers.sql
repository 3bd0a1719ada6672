-- +goose Up
-- timers holds work due at a time. A poller takes due rows under a lease
-- (lease names the take, taken_until ends it, so that a crashed poller's
-- timers are taken again); a run deletes its row, or moves a recurring one to
-- its next due time, in the transaction of the run's own writes. dedupe, when
-- set, is unique: one row per recurring kind however many nodes start.
CREATE TABLE timers (
    id          TEXT    PRIMARY KEY,
    kind        TEXT    NOT NULL,
    dedupe      TEXT    UNIQUE,
    due_at      TIMESTAMP NOT NULL,
    payload     TEXT    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT    NOT NULL DEFAULT '',
    lease       TEXT    NOT NULL DEFAULT '',
    taken_until TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX timers_due ON timers (due_at);

-- +goose Down
SELECT 'forward-only';
