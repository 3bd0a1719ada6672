-- +goose Up
-- The delivery promise, kept or missed (docs/promises.md).
--
-- A channel compensates a buyer whose order arrived after its latest
-- promised day with a coupon worth late_coupon_bps of the order's total
-- (0: none).
ALTER TABLE channel_protection ADD COLUMN late_coupon_bps INTEGER NOT NULL DEFAULT 1000 CHECK (late_coupon_bps BETWEEN 0 AND 5000);

-- A coupon may be for one buyer only (a compensation).
ALTER TABLE coupons ADD COLUMN buyer_id TEXT REFERENCES users (id);

-- Each parcel's promise, decided once, the day after its latest day: kept
-- when the order arrived by then. The lane is where the parcel left from
-- (its warehouse's region, else its country), the country it went to and
-- its carrier, so that each warehouse and lane counts its on-time rate.
CREATE TABLE promise_outcomes (
    order_id     TEXT NOT NULL REFERENCES orders (id),
    warehouse_id TEXT NOT NULL REFERENCES warehouses (id),
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    lane_from    TEXT NOT NULL,
    to_country   TEXT NOT NULL,
    carrier      TEXT NOT NULL,
    latest       TEXT NOT NULL,
    arrived_at   TIMESTAMPTZ,
    on_time      INTEGER NOT NULL CHECK (on_time IN (0, 1)),
    decided_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (order_id, warehouse_id)
);
CREATE INDEX promise_outcomes_warehouse ON promise_outcomes (warehouse_id, decided_at);
CREATE INDEX promise_outcomes_lane ON promise_outcomes (lane_from, to_country, carrier, decided_at);

-- A missed promise's compensation, once per order: the buyer's coupon, and
-- who pays for it (the merchant or the partner that runs the warehouse
-- that sent the late parcel).
CREATE TABLE compensations (
    order_id     TEXT PRIMARY KEY REFERENCES orders (id),
    buyer_id     TEXT NOT NULL REFERENCES users (id),
    coupon_id    TEXT NOT NULL REFERENCES coupons (id),
    currency     TEXT NOT NULL,
    amount       INTEGER NOT NULL CHECK (amount > 0),
    liable       TEXT NOT NULL CHECK (liable IN ('merchant', 'partner')),
    liable_id    TEXT NOT NULL,
    warehouse_id TEXT NOT NULL REFERENCES warehouses (id),
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX compensations_liable ON compensations (liable_id, created_at);

-- +goose Down
SELECT 'forward-only';
