-- +goose Up
-- The e-mails Sesame sends, queued by the consumers of its events (dedupe:
-- one mail per event and purpose, however often the event is delivered)
-- and sent by the mail sender, which retries with next_at until the SMTP
-- server accepts (sent_at).
CREATE TABLE mails (
    id         TEXT PRIMARY KEY,
    dedupe     TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    to_addr    TEXT NOT NULL,
    to_name    TEXT NOT NULL DEFAULT '',
    lang       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    next_at    TIMESTAMP NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    sent_at    TIMESTAMP
);
CREATE INDEX mails_due ON mails (next_at) WHERE sent_at IS NULL;

-- +goose Down
SELECT 'forward-only';
