-- +goose Up
-- leases names who does a job that only one node may do at a time (the
-- event relay, the timer poller). The holder renews expires_at while it
-- lives; once it has passed, any node may take the lease over.
CREATE TABLE leases (
    name       TEXT NOT NULL PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
SELECT 'forward-only';
