package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
)

// AddEvents implements identity.Store.
func (s *Identity) AddEvents(ctx context.Context, evs ...events.Event) error {
	err := s.db.inTx(ctx, func(tx *sql.Tx) error { return insertEvents(ctx, tx, evs) })
	return wrap("sqlstore.AddEvents", err, "event")
}

// lockUser takes the user row's lock (a write of nothing, as for a
// merchant: it works alike on both engines), so that what the transaction
// reads next about the user is not changed under it.
func lockUser(ctx context.Context, tx *sql.Tx, id string) error {
	res, err := tx.ExecContext(ctx, `UPDATE users SET id = id WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return cmpErr(err, sql.ErrNoRows)
	}
	return nil
}

// CreateToken implements identity.Store.
func (s *Identity) CreateToken(ctx context.Context, t identity.Token, since time.Time, limit int) error {
	const op = "sqlstore.CreateToken"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if err := lockUser(ctx, tx, t.UserID); err != nil {
			return wrap(op, err, "user")
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_tokens WHERE user_id = $1 AND purpose = $2 AND created_at >= $3`,
			t.UserID, string(t.Purpose), since).Scan(&n); err != nil {
			return err
		}
		if n >= limit {
			return errs.E(op, errs.RateLimited, "enough of these links were mailed lately")
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO user_tokens (hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			t.Hash, t.UserID, string(t.Purpose), t.CreatedAt, t.ExpiresAt)
		return err
	})
	return wrap(op, err, "token")
}

// RedeemToken implements identity.Store. The token's row is locked first
// (a write of nothing), so that of two redemptions of one token the second
// reads it used, on either engine.
func (s *Identity) RedeemToken(ctx context.Context, r identity.Redemption) (identity.User, error) {
	const op = "sqlstore.RedeemToken"
	var u identity.User
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE user_tokens SET hash = hash WHERE hash = $1`, r.TokenHash)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, sql.ErrNoRows)
		}
		t := identity.Token{Hash: r.TokenHash}
		var purpose string
		var used sql.NullTime
		if err := tx.QueryRowContext(ctx, `SELECT user_id, purpose, created_at, expires_at, used_at FROM user_tokens WHERE hash = $1`, r.TokenHash).
			Scan(&t.UserID, &purpose, &t.CreatedAt, &t.ExpiresAt, &used); err != nil {
			return err
		}
		t.Purpose, t.CreatedAt, t.ExpiresAt, t.UsedAt = identity.Purpose(purpose), t.CreatedAt.UTC(), t.ExpiresAt.UTC(), timePtr(used)
		if err := identity.Redeemable(op, t, r.Purpose, r.At); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE user_tokens SET used_at = $2 WHERE hash = $1`, r.TokenHash, r.At); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET email_verified_at = COALESCE(email_verified_at, $2) WHERE id = $1`, t.UserID, r.At); err != nil {
			return err
		}
		if r.Purpose == identity.ResetPassword {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, t.UserID, r.PasswordHash); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, t.UserID); err != nil {
				return err
			}
			// The new password is not locked out by the guesses at the old one.
			if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE email = (SELECT email FROM users WHERE id = $1)`, t.UserID); err != nil {
				return err
			}
		}
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+userFrom+` WHERE u.id = $1`, t.UserID))
		return err
	})
	if err != nil {
		return identity.User{}, wrap(op, err, "token")
	}
	return u, nil
}

// DeleteTokensBefore implements identity.Store.
func (s *Identity) DeleteTokensBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.db.exec(ctx, `DELETE FROM user_tokens WHERE expires_at < $1`, t)
	if err != nil {
		return 0, wrap("sqlstore.DeleteTokensBefore", err, "token")
	}
	n, err := res.RowsAffected()
	return n, wrap("sqlstore.DeleteTokensBefore", err, "token")
}
