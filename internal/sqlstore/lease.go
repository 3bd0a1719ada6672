package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
)

// TakeLease takes the lease name for holder until db.Now()+ttl, or renews it
// when holder already has it. It reports false, and changes nothing, while
// another holder's lease has not expired. The check and the write are one
// statement, so two nodes asking at once cannot both get it, on either
// engine. It returns Invalid (no name, holder or a ttl below 1ms), Internal
// or Unavailable errors.
func (db *DB) TakeLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	const op = "sqlstore.TakeLease"
	if name == "" || holder == "" || ttl < time.Millisecond {
		return false, errs.E(op, errs.Invalid, "a lease needs a name, a holder and a ttl of at least 1ms")
	}
	ok, err := db.takeLease(ctx, db.w, name, holder, ttl)
	return ok, wrap(op, err, "lease")
}

// rowQuerier reads one row: a *sql.DB, the store's read pool (*DB) or a
// *sql.Tx.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// takeLease is TakeLease's statement, on the write pool or inside a
// transaction.
func (db *DB) takeLease(ctx context.Context, q rowQuerier, name, holder string, ttl time.Duration) (bool, error) {
	now := db.Now().UTC()
	var got string
	err := q.QueryRowContext(ctx,
		`INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
		 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		 WHERE leases.holder = excluded.holder OR leases.expires_at <= $4
		 RETURNING holder`,
		name, holder, now.Add(ttl), now).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // the WHERE refused: someone else holds it
	}
	if err != nil {
		return false, err
	}
	return got == holder, nil
}

// ReleaseLease gives the lease name up if holder has it, so that another
// node can take it at once instead of waiting for it to expire. Releasing a
// lease one does not hold does nothing. It returns Internal or Unavailable
// errors.
func (db *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	const op = "sqlstore.ReleaseLease"
	_, err := db.w.ExecContext(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder)
	return wrap(op, err, "lease")
}
