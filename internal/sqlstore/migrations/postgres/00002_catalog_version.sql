-- +goose Up
-- catalog_version counts changes to what a channel lists (listings, listed
-- products' content, merchant suspensions). Readers cache rendered pages
-- keyed by it, so any node sees a change at once.
ALTER TABLE channels ADD COLUMN catalog_version BIGINT NOT NULL DEFAULT 0;

-- +goose Down
SELECT 'forward-only';
