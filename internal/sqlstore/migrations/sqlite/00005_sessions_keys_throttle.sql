-- +goose Up
-- Sessions get a public id (listed and ended by it; the token's hash never
-- leaves the server), an absolute lifetime (expires_at) and an idle timeout
-- (idle_expires_at, moved forward at most once a minute from last_seen_at).
-- Sessions opened before carried neither, so they end here: their holders
-- sign in again.
DROP TABLE sessions;
CREATE TABLE sessions (
    id              TEXT PRIMARY KEY,
    token_hash      TEXT NOT NULL UNIQUE,
    user_id         TEXT NOT NULL REFERENCES users (id),
    created_at      TIMESTAMP NOT NULL,
    last_seen_at    TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP NOT NULL,
    idle_seconds    INTEGER NOT NULL CHECK (idle_seconds > 0),
    idle_expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_idle_expires ON sessions (idle_expires_at);

-- API keys may expire, and record when they were last used (at most once a
-- minute, so that reads do not become writes).
ALTER TABLE api_keys ADD COLUMN expires_at TIMESTAMP;
ALTER TABLE api_keys ADD COLUMN last_used_at TIMESTAMP;
CREATE INDEX api_keys_merchant ON api_keys (merchant_id);
CREATE INDEX api_keys_partner ON api_keys (partner_id);

-- Failed sign-ins per account, keyed by the lower-cased e-mail whether or
-- not an account has it (so that throttling does not reveal which do). In
-- the database so that every node throttles alike.
CREATE TABLE login_failures (
    email          TEXT PRIMARY KEY,
    failures       INTEGER NOT NULL,
    last_failed_at TIMESTAMP NOT NULL,
    locked_until   TIMESTAMP
);
CREATE INDEX login_failures_last ON login_failures (last_failed_at);

-- +goose Down
SELECT 'forward-only';
