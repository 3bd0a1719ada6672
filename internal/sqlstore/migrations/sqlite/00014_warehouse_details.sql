-- +goose Up
-- What the delivery promise needs of a warehouse: where it is (address,
-- postcode, coordinates, the carriers' region), its time zone and the
-- local cut-off before which a paid order leaves the same working day, and
-- the countries it sends to (empty: wherever a carrier lane reaches). Its
-- working days and holidays are its country's.
ALTER TABLE warehouses ADD COLUMN address   TEXT NOT NULL DEFAULT '';
ALTER TABLE warehouses ADD COLUMN postcode  TEXT NOT NULL DEFAULT '';
ALTER TABLE warehouses ADD COLUMN latitude  REAL;
ALTER TABLE warehouses ADD COLUMN longitude REAL;
ALTER TABLE warehouses ADD COLUMN region    TEXT NOT NULL DEFAULT '';
ALTER TABLE warehouses ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE warehouses ADD COLUMN cut_off   TEXT NOT NULL DEFAULT '14:00';
ALTER TABLE warehouses ADD COLUMN serves    TEXT NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE warehouses DROP COLUMN serves;
ALTER TABLE warehouses DROP COLUMN cut_off;
ALTER TABLE warehouses DROP COLUMN time_zone;
ALTER TABLE warehouses DROP COLUMN region;
ALTER TABLE warehouses DROP COLUMN longitude;
ALTER TABLE warehouses DROP COLUMN latitude;
ALTER TABLE warehouses DROP COLUMN postcode;
ALTER TABLE warehouses DROP COLUMN address;
