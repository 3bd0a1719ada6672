-- +goose Up
-- The payment providers' webhook events Sesame has handled: a replayed
-- event (same id) is acknowledged and changes nothing.
CREATE TABLE provider_events (
    provider    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    PRIMARY KEY (provider, event_id)
);

-- +goose Down
SELECT 'forward-only';
