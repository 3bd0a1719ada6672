-- +goose Up
-- A review's photos (up to three, checked images of at most 4 MiB): their
-- ids in the review's row, in order; their bytes here, shown while the
-- review is published.
ALTER TABLE reviews ADD COLUMN photos TEXT NOT NULL DEFAULT '[]';
CREATE TABLE review_photos (
    id           TEXT PRIMARY KEY,
    review_id    TEXT NOT NULL REFERENCES reviews (id),
    content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/gif')),
    data         BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX review_photos_review ON review_photos (review_id);

-- +goose Down
SELECT 'forward-only';
