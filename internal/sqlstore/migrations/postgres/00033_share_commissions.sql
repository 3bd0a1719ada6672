-- +goose Up
-- Deal-sharing commissions (docs/sharing.md).
--
-- A channel's share commission, in basis points of an order's goods. A
-- channel without a row has the default (channel.DefaultSharing).
CREATE TABLE channel_sharing (
    channel_id     TEXT PRIMARY KEY REFERENCES channels (id),
    commission_bps INTEGER NOT NULL CHECK (commission_bps BETWEEN 0 AND 3000),
    updated_at     TIMESTAMPTZ NOT NULL
);

-- The commission an order placed through a share link credits its sharer:
-- one per order, written with the checkout and moved with the order
-- (pending, then payable or reversed). amount is what the checkout
-- credited, reversed what refunds took back of it since; what is payable is
-- amount - reversed. product_id and title name the shared product as the
-- order sold it; the buyer is not named.
CREATE TABLE share_commissions (
    order_id   TEXT PRIMARY KEY REFERENCES orders (id),
    code       TEXT NOT NULL REFERENCES share_links (code),
    sharer_id  TEXT NOT NULL REFERENCES users (id),
    channel_id TEXT NOT NULL REFERENCES channels (id),
    product_id TEXT NOT NULL,
    title      TEXT NOT NULL,
    currency   TEXT NOT NULL,
    rate_bps   INTEGER NOT NULL CHECK (rate_bps BETWEEN 0 AND 3000),
    amount     BIGINT NOT NULL CHECK (amount >= 0),
    reversed   BIGINT NOT NULL DEFAULT 0 CHECK (reversed >= 0 AND reversed <= amount),
    status     TEXT NOT NULL CHECK (status IN ('pending', 'payable', 'reversed')),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
-- A sharer's commissions, newest first; a link's, for its counts.
CREATE INDEX share_commissions_sharer ON share_commissions (sharer_id, created_at DESC, order_id DESC);
CREATE INDEX share_commissions_code ON share_commissions (code);

-- +goose Down
SELECT 'forward-only';
