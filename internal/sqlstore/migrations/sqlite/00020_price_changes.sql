-- +goose Up
-- Every change of a variant's price on a channel: the price before and
-- after. What a buyer is shown as a reduction's reference (the EU's Omnibus
-- rule: the lowest price of the 30 days before it) is read from these.
CREATE TABLE price_changes (
    product_id TEXT    NOT NULL,
    variant_id TEXT    NOT NULL,
    channel_id TEXT    NOT NULL,
    currency   TEXT    NOT NULL,
    old_amount INTEGER NOT NULL,
    new_amount INTEGER NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX price_changes_product ON price_changes (product_id, changed_at);

-- +goose Down
SELECT 'forward-only';
