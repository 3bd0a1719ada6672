package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/share"
)

// Shares is the store of sharing links.
type Shares struct{ db *DB }

// Shares returns the store of sharing links.
func (db *DB) Shares() *Shares { return &Shares{db} }

var _ share.Store = (*Shares)(nil)

const shareCols = `code, sharer_id, channel, product_id, visits, created_at`

func scanShareLink(row interface{ Scan(...any) error }) (share.Link, error) {
	var l share.Link
	var product prodID
	err := row.Scan(&l.Code, &l.SharerID, &l.Channel, &product, &l.Visits, &l.CreatedAt)
	l.ProductID, l.CreatedAt = string(product), l.CreatedAt.UTC()
	return l, err
}

// CreateLink implements share.Store. The insert skips a link the sharer
// already has for the product on the channel (the UNIQUE constraint, so
// that two shares at once make one link); a taken code is a unique
// violation of the primary key, which ON CONFLICT with that target does not
// absorb, and answers Conflict.
func (s *Shares) CreateLink(ctx context.Context, l share.Link, ev events.Event) (share.Link, bool, error) {
	const op = "sqlstore.CreateLink"
	var out share.Link
	created := false
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO share_links (`+shareCols+`) VALUES ($1, $2, $3, $4, 0, $5)
			ON CONFLICT (sharer_id, channel, product_id) DO NOTHING`,
			l.Code, l.SharerID, l.Channel, prodID(l.ProductID), l.CreatedAt)
		if err != nil {
			return wrap(op, err, "a link with this code")
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			created, out = true, l
			return insertEvents(ctx, tx, []events.Event{ev})
		}
		out, err = scanShareLink(tx.QueryRowContext(ctx, `SELECT `+shareCols+` FROM share_links
			WHERE sharer_id = $1 AND channel = $2 AND product_id = $3`, l.SharerID, l.Channel, prodID(l.ProductID)))
		return err
	})
	return out, created, wrap(op, err, "link")
}

// Link implements share.Store.
func (s *Shares) Link(ctx context.Context, code string) (share.Link, error) {
	l, err := scanShareLink(s.db.QueryRowContext(ctx, `SELECT `+shareCols+` FROM share_links WHERE code = $1`, code))
	return l, wrap("sqlstore.Link", err, "link")
}

// Visit implements share.Store: one UPDATE adds the visit (the row's lock
// on PostgreSQL, the single writer on SQLite, so no visit is lost); when it
// changes nothing, the link is the sharer's own or does not exist.
func (s *Shares) Visit(ctx context.Context, code, visitorID string) (share.Link, error) {
	const op = "sqlstore.Visit"
	var l share.Link
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		l, err = scanShareLink(tx.QueryRowContext(ctx, `UPDATE share_links SET visits = visits + 1
			WHERE code = $1 AND sharer_id <> $2 RETURNING `+shareCols, code, visitorID))
		if errors.Is(err, sql.ErrNoRows) {
			l, err = scanShareLink(tx.QueryRowContext(ctx, `SELECT `+shareCols+` FROM share_links WHERE code = $1`, code))
		}
		return err
	})
	return l, wrap(op, err, "link")
}

// LinksOf implements share.Store.
func (s *Shares) LinksOf(ctx context.Context, sharerID string, limit int) ([]share.Link, error) {
	const op = "sqlstore.LinksOf"
	rows, err := s.db.QueryContext(ctx, `SELECT `+shareCols+` FROM share_links WHERE sharer_id = $1
		ORDER BY created_at DESC, code DESC LIMIT $2`, sharerID, limit)
	if err != nil {
		return nil, wrap(op, err, "link")
	}
	defer rows.Close()
	out := []share.Link{}
	for rows.Next() {
		l, err := scanShareLink(rows)
		if err != nil {
			return nil, wrap(op, err, "link")
		}
		out = append(out, l)
	}
	return out, wrap(op, rows.Err(), "link")
}
