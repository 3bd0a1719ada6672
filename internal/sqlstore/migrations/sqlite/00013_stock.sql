-- +goose Up
-- Stock of a merchant's SKU in a warehouse. on_hand is what the warehouse
-- holds, reserved the part of it promised to checkouts and paid orders
-- (available = on_hand - reserved), inbound what consignments announce and
-- the warehouse has not received, shipped what has left for buyers. A SKU is
-- the merchant's (the variants table's key); the warehouse is the merchant's
-- own or a partner's hub that serves it. The CHECKs make oversold stock
-- impossible whatever the code does.
CREATE TABLE stock (
    merchant_id  TEXT    NOT NULL,
    sku          TEXT    NOT NULL,
    warehouse_id TEXT    NOT NULL REFERENCES warehouses (id),
    on_hand      INTEGER NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved     INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand),
    inbound      INTEGER NOT NULL DEFAULT 0 CHECK (inbound >= 0),
    shipped      INTEGER NOT NULL DEFAULT 0 CHECK (shipped >= 0),
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (merchant_id, sku, warehouse_id),
    FOREIGN KEY (merchant_id, sku) REFERENCES variants (merchant_id, sku)
) WITHOUT ROWID;
CREATE INDEX stock_warehouse ON stock (warehouse_id, merchant_id, sku);

-- A reservation holds units for a checkout (ref names it) until it is paid
-- (confirmed), released, or it expires (a timer at expires_at); a confirmed
-- reservation ends when its units ship. One live reservation per ref, so
-- that a retried checkout finds the one it made.
CREATE TABLE reservations (
    id         TEXT PRIMARY KEY,
    ref        TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('held', 'confirmed', 'released', 'expired', 'shipped')),
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    ended_at   TIMESTAMP
);
CREATE UNIQUE INDEX reservations_live_ref ON reservations (ref) WHERE status IN ('held', 'confirmed');

CREATE TABLE reservation_lines (
    reservation_id TEXT    NOT NULL REFERENCES reservations (id),
    merchant_id    TEXT    NOT NULL,
    sku            TEXT    NOT NULL,
    warehouse_id   TEXT    NOT NULL,
    quantity       INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (reservation_id, merchant_id, sku, warehouse_id),
    FOREIGN KEY (merchant_id, sku, warehouse_id) REFERENCES stock (merchant_id, sku, warehouse_id)
) WITHOUT ROWID;

-- +goose Down
SELECT 'forward-only';
