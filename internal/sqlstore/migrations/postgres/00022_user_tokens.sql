-- +goose Up
-- The language of a person's e-mails, and when their address was verified
-- (NULL: not yet). Accounts opened before speak English.
ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMPTZ;

-- The single-use tokens of mailed links (verification, password reset),
-- kept as the SHA-256 of the raw token only.
CREATE TABLE user_tokens (
    hash       TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    purpose    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose, created_at);
CREATE INDEX user_tokens_expiry ON user_tokens (expires_at);

-- +goose Down
SELECT 'forward-only';
