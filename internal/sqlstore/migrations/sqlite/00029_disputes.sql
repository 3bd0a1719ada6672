-- +goose Up
-- Buyers' disputes of orders (docs/disputes.md): one per order. The
-- document holds the dispute's state (amounts, deadline, outcome); status,
-- the parties and the times are columns for the lists and the locks.
CREATE TABLE disputes (
    id          TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL UNIQUE REFERENCES orders (id),
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    buyer_id    TEXT NOT NULL REFERENCES users (id),
    status      TEXT NOT NULL CHECK (status IN ('awaiting_merchant', 'awaiting_buyer', 'escalated', 'refunding', 'closed')),
    doc         TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX disputes_merchant ON disputes (merchant_id, id);
CREATE INDEX disputes_buyer ON disputes (buyer_id, id);
CREATE INDEX disputes_status ON disputes (status, id);

-- A dispute's thread; photos is the JSON array of its photos' ids.
CREATE TABLE dispute_messages (
    id         TEXT PRIMARY KEY,
    dispute_id TEXT NOT NULL REFERENCES disputes (id),
    author     TEXT NOT NULL CHECK (author IN ('buyer', 'merchant', 'operator')),
    body       TEXT NOT NULL,
    photos     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX dispute_messages_dispute ON dispute_messages (dispute_id, id);

-- The photos of a dispute's evidence, private to its parties: checked
-- images of at most 4 MiB, kept with the data they prove.
CREATE TABLE dispute_photos (
    id           TEXT PRIMARY KEY,
    dispute_id   TEXT NOT NULL REFERENCES disputes (id),
    content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/gif')),
    data         BLOB NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX dispute_photos_dispute ON dispute_photos (dispute_id);

-- A refund's id at the payment provider.
ALTER TABLE refunds ADD COLUMN provider_ref TEXT NOT NULL DEFAULT '';

-- +goose Down
SELECT 'forward-only';
