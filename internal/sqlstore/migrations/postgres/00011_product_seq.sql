-- +goose Up
-- On SQLite this version keys products by an integer that listings carry,
-- so that a page's join seeks a shallow b-tree. PostgreSQL keeps rows in a
-- heap and finds them through the primary key's index, which holds only
-- ids, so its schema stays as it is; the version is kept so that both
-- engines number their schemas alike.
SELECT 1;

-- +goose Down
SELECT 'forward-only';
