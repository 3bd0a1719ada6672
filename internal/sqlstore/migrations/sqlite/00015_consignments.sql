-- +goose Up
-- A consignment is stock a merchant announces to a warehouse (its own, or a
-- hub whose partner serves it): its units count as inbound until the
-- warehouse receives it, then as on hand, as many as arrived. received is
-- what the warehouse counted; a line whose count differs from what was
-- announced is a discrepancy, kept as it was recorded.
CREATE TABLE consignments (
    id           TEXT PRIMARY KEY,
    warehouse_id TEXT NOT NULL REFERENCES warehouses (id),
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    reference    TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('announced', 'received')),
    announced_by TEXT NOT NULL,
    announced_at TIMESTAMP NOT NULL,
    received_by  TEXT,
    received_at  TIMESTAMP
);
CREATE INDEX consignments_warehouse ON consignments (warehouse_id, status, id);

CREATE TABLE consignment_lines (
    consignment_id TEXT    NOT NULL REFERENCES consignments (id),
    sku            TEXT    NOT NULL,
    announced      INTEGER NOT NULL CHECK (announced > 0),
    received       INTEGER CHECK (received >= 0),
    PRIMARY KEY (consignment_id, sku)
);

-- +goose Down
DROP TABLE consignment_lines;
DROP TABLE consignments;
