-- +goose Up
-- A plan's commission is bounded per order line: at least min, at most max
-- (minor units of the plan's currency; 0 is no bound), for its default rate
-- and for each category's.
ALTER TABLE plans ADD COLUMN commission_min_minor BIGINT NOT NULL DEFAULT 0 CHECK (commission_min_minor >= 0);
ALTER TABLE plans ADD COLUMN commission_max_minor BIGINT NOT NULL DEFAULT 0 CHECK (commission_max_minor >= 0);
ALTER TABLE plan_commissions ADD COLUMN min_minor BIGINT NOT NULL DEFAULT 0 CHECK (min_minor >= 0);
ALTER TABLE plan_commissions ADD COLUMN max_minor BIGINT NOT NULL DEFAULT 0 CHECK (max_minor >= 0);

-- +goose Down
SELECT 'forward-only';
