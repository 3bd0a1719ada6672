-- +goose Up
-- A channel's buyer protection, in days: an order confirms itself
-- protection_days after its delivery is recorded, or unconfirmed_days after
-- its shipment while none is; its buyer may extend it once by
-- extension_days. A channel without a row has the defaults
-- (channel.DefaultProtection).
CREATE TABLE channel_protection (
    channel_id       TEXT PRIMARY KEY REFERENCES channels (id),
    protection_days  INTEGER NOT NULL CHECK (protection_days > 0),
    unconfirmed_days INTEGER NOT NULL CHECK (unconfirmed_days > 0),
    extension_days   INTEGER NOT NULL CHECK (extension_days >= 0),
    updated_at       TIMESTAMP NOT NULL
);

-- +goose Down
SELECT 'forward-only';
