package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
)

// Identity is the identity store.
type Identity struct{ db *DB }

// Identity returns the identity store.
func (db *DB) Identity() *Identity { return &Identity{db} }

var _ identity.Store = (*Identity)(nil)

// userCols are read from users u LEFT JOIN merchants m (the merchant's
// status travels with the user, so that services can refuse a merchant
// that may not sell).
const userCols = `u.id, u.email, u.name, u.role, COALESCE(u.merchant_id, ''), u.staff_role, COALESCE(u.partner_id, ''), u.password_hash, u.created_at,
	COALESCE(m.status, ''), u.lang, u.email_verified_at`

const userFrom = ` FROM users u LEFT JOIN merchants m ON m.id = u.merchant_id`

func scanUser(row interface{ Scan(...any) error }) (identity.User, error) {
	var u identity.User
	var us userScan
	err := row.Scan(us.dest(nil, &u)...)
	us.finish(&u)
	return u, err
}

// userScan reads the columns of userCols into a user, after other columns
// where a query selects more (a session's).
type userScan struct {
	role     string
	verified sql.NullTime
}

func (us *userScan) dest(dest []any, u *identity.User) []any {
	return append(dest, &u.ID, &u.Email, &u.Name, &us.role, &u.MerchantID, &u.StaffRole, &u.PartnerID, &u.PasswordHash, &u.CreatedAt, &u.MerchantStatus,
		&u.Lang, &us.verified)
}

func (us *userScan) finish(u *identity.User) {
	u.Role = identity.Role(us.role)
	u.CreatedAt = u.CreatedAt.UTC()
	u.EmailVerifiedAt = timePtr(us.verified)
	u.EmailVerified = u.EmailVerifiedAt != nil
}

func insertUser(ctx context.Context, tx *sql.Tx, u identity.User) error {
	cols, vals := `id, email, name, role, merchant_id, staff_role, partner_id, password_hash, created_at`, `$1, $2, $3, $4, $5, $6, $7, $8, $9`
	args := []any{u.ID, u.Email, u.Name, string(u.Role), nullStr(u.MerchantID), u.StaffRole, nullStr(u.PartnerID), u.PasswordHash, u.CreatedAt}
	// The columns of migration 22 are named only when they differ from
	// their defaults, so that an account without them (English, not
	// verified: every staff, partner and operator account) is written alike
	// to a schema before it, as the migration tests write their old data.
	if u.Lang != "" && u.Lang != "en" {
		args = append(args, u.Lang)
		cols, vals = cols+", lang", vals+fmt.Sprintf(", $%d", len(args))
	}
	if u.EmailVerifiedAt != nil {
		args = append(args, *u.EmailVerifiedAt)
		cols, vals = cols+", email_verified_at", vals+fmt.Sprintf(", $%d", len(args))
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO users (`+cols+`) VALUES (`+vals+`)`, args...)
	return err
}

// CreateUser implements identity.Store.
func (s *Identity) CreateUser(ctx context.Context, u identity.User, evs ...events.Event) error {
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if err := insertUser(ctx, tx, u); err != nil {
			return wrap("sqlstore.CreateUser", err, "an account with this e-mail")
		}
		return insertEvents(ctx, tx, evs)
	})
	return wrap("sqlstore.CreateUser", err, "user")
}

// UserByEmail implements identity.Store.
func (s *Identity) UserByEmail(ctx context.Context, email string) (identity.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+userFrom+` WHERE u.email = $1`, email))
	return u, wrap("sqlstore.UserByEmail", err, "user")
}

// UserByID implements identity.Store.
func (s *Identity) UserByID(ctx context.Context, id string) (identity.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+userFrom+` WHERE u.id = $1`, id))
	return u, wrap("sqlstore.UserByID", err, "user")
}

// CreateSession implements identity.Store.
func (s *Identity) CreateSession(ctx context.Context, se identity.Session) error {
	_, err := s.db.exec(ctx, `INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at, idle_seconds, idle_expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		se.ID, se.TokenHash, se.UserID, se.CreatedAt, se.LastSeenAt, se.ExpiresAt, int64(se.IdleTimeout/time.Second), se.IdleExpiresAt)
	return wrap("sqlstore.CreateSession", err, "session")
}

const sessionCols = `s.id, s.token_hash, s.user_id, s.created_at, s.last_seen_at, s.expires_at, s.idle_seconds, s.idle_expires_at`

func scanSession(dest []any, se *identity.Session) []any {
	return append(dest, &se.ID, &se.TokenHash, &se.UserID, &se.CreatedAt, &se.LastSeenAt, &se.ExpiresAt, &se.IdleTimeout, &se.IdleExpiresAt)
}

// utcSession normalises the times read back (and the idle timeout, read as seconds).
func utcSession(se *identity.Session) {
	se.CreatedAt, se.LastSeenAt, se.ExpiresAt, se.IdleExpiresAt = se.CreatedAt.UTC(), se.LastSeenAt.UTC(), se.ExpiresAt.UTC(), se.IdleExpiresAt.UTC()
	se.IdleTimeout *= time.Second
}

// SessionByToken implements identity.Store.
func (s *Identity) SessionByToken(ctx context.Context, tokenHash string) (identity.Session, identity.User, error) {
	var se identity.Session
	var u identity.User
	var us userScan
	err := s.db.QueryRowContext(ctx, `SELECT `+sessionCols+`, `+userCols+` FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN merchants m ON m.id = u.merchant_id
		WHERE s.token_hash = $1`, tokenHash).Scan(us.dest(scanSession(nil, &se), &u)...)
	us.finish(&u)
	utcSession(&se)
	return se, u, wrap("sqlstore.SessionByToken", err, "session")
}

// TouchSession implements identity.Store.
func (s *Identity) TouchSession(ctx context.Context, id string, lastSeen, idleExpires time.Time) error {
	_, err := s.db.exec(ctx, `UPDATE sessions SET last_seen_at = $2, idle_expires_at = $3 WHERE id = $1`, id, lastSeen, idleExpires)
	return wrap("sqlstore.TouchSession", err, "session")
}

// DeleteSession implements identity.Store.
func (s *Identity) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := s.db.exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
	return wrap("sqlstore.DeleteSession", err, "session")
}

// ListSessions implements identity.Store.
func (s *Identity) ListSessions(ctx context.Context, userID string) ([]identity.Session, error) {
	const op = "sqlstore.ListSessions"
	rows, err := s.db.QueryContext(ctx, `SELECT `+sessionCols+` FROM sessions s WHERE s.user_id = $1 ORDER BY s.created_at DESC, s.id DESC`, userID)
	if err != nil {
		return nil, wrap(op, err, "session")
	}
	defer rows.Close()
	out := []identity.Session{}
	for rows.Next() {
		var se identity.Session
		if err := rows.Scan(scanSession(nil, &se)...); err != nil {
			return nil, wrap(op, err, "session")
		}
		utcSession(&se)
		out = append(out, se)
	}
	return out, wrap(op, rows.Err(), "session")
}

// DeleteUserSession implements identity.Store.
func (s *Identity) DeleteUserSession(ctx context.Context, userID, id string) error {
	const op = "sqlstore.DeleteUserSession"
	res, err := s.db.exec(ctx, `DELETE FROM sessions WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return wrap(op, err, "session")
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return wrap(op, cmpErr(err, sql.ErrNoRows), "session")
	}
	return nil
}

// cmpErr returns err, or fallback when err is nil.
func cmpErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

// DeleteUserSessions implements identity.Store.
func (s *Identity) DeleteUserSessions(ctx context.Context, userID string) (int64, error) {
	res, err := s.db.exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, wrap("sqlstore.DeleteUserSessions", err, "session")
	}
	n, err := res.RowsAffected()
	return n, wrap("sqlstore.DeleteUserSessions", err, "session")
}

// DeleteExpiredSessions implements identity.Store. The condition is
// identity.Session.Expired, written in SQL so that the sweep needs no scan.
func (s *Identity) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1 OR idle_expires_at <= $1`, now)
	if err != nil {
		return 0, wrap("sqlstore.DeleteExpiredSessions", err, "session")
	}
	n, err := res.RowsAffected()
	return n, wrap("sqlstore.DeleteExpiredSessions", err, "session")
}

// LoginAttempt implements identity.Store. A locked record refuses with a
// read alone (refusals do not change it), so that a flood of attempts on a
// locked e-mail does not queue for the writer. Otherwise the record is
// created if missing and then locked (FOR UPDATE on PostgreSQL; SQLite has
// one writer), so that concurrent attempts on any node are counted one after
// the other.
func (s *Identity) LoginAttempt(ctx context.Context, email string, now time.Time, p identity.ThrottlePolicy) (time.Duration, error) {
	const op = "sqlstore.LoginAttempt"
	if p.Threshold <= 0 {
		return 0, nil
	}
	if f, err := scanFailures(s.db.QueryRowContext(ctx, `SELECT failures, last_failed_at, locked_until FROM login_failures WHERE email = $1`, email), email); err == nil {
		if _, wait := p.Attempt(f, now); wait > 0 {
			return wait, nil
		}
	} else if !errors.Is(err, sql.ErrNoRows) {
		return 0, wrap(op, err, "login record")
	}
	lock := s.db.forUpdate()
	var wait time.Duration
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (email, failures, last_failed_at) VALUES ($1, 0, $2) ON CONFLICT (email) DO NOTHING`,
			email, now); err != nil {
			return err
		}
		f, err := scanFailures(tx.QueryRowContext(ctx, `SELECT failures, last_failed_at, locked_until FROM login_failures WHERE email = $1`+lock, email), email)
		if err != nil {
			return err
		}
		var next identity.LoginFailures
		next, wait = p.Attempt(f, now)
		if wait > 0 {
			return nil
		}
		var until sql.NullTime
		if !next.LockedUntil.IsZero() {
			until = sql.NullTime{Time: next.LockedUntil, Valid: true}
		}
		_, err = tx.ExecContext(ctx, `UPDATE login_failures SET failures = $2, last_failed_at = $3, locked_until = $4 WHERE email = $1`,
			email, next.Failures, next.LastFailedAt, until)
		return err
	})
	return wait, wrap(op, err, "login record")
}

func scanFailures(row *sql.Row, email string) (identity.LoginFailures, error) {
	f := identity.LoginFailures{Email: email}
	var locked sql.NullTime
	if err := row.Scan(&f.Failures, &f.LastFailedAt, &locked); err != nil {
		return f, err
	}
	f.LastFailedAt = f.LastFailedAt.UTC()
	if f.Failures == 0 {
		f.LastFailedAt = time.Time{} // a row created for an attempt, no failure counted yet
	}
	if locked.Valid {
		f.LockedUntil = locked.Time.UTC()
	}
	return f, nil
}

// ClearLoginFailures implements identity.Store.
func (s *Identity) ClearLoginFailures(ctx context.Context, email string) error {
	_, err := s.db.exec(ctx, `DELETE FROM login_failures WHERE email = $1`, email)
	return wrap("sqlstore.ClearLoginFailures", err, "login record")
}

// DeleteLoginFailuresBefore implements identity.Store.
func (s *Identity) DeleteLoginFailuresBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.db.exec(ctx, `DELETE FROM login_failures WHERE last_failed_at < $1`, t)
	if err != nil {
		return 0, wrap("sqlstore.DeleteLoginFailuresBefore", err, "login record")
	}
	n, err := res.RowsAffected()
	return n, wrap("sqlstore.DeleteLoginFailuresBefore", err, "login record")
}

// CreateAPIKey implements identity.Store.
func (s *Identity) CreateAPIKey(ctx context.Context, k identity.APIKey) error {
	const op = "sqlstore.CreateAPIKey"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if k.MerchantID != "" {
			// A merchant's key is created only while the merchant may sell,
			// read under the merchant row's lock (written first, as
			// SetMerchantStatus does), so a key cannot slip in beside a
			// concurrent rejection or suspension and outlive it.
			if _, err := tx.ExecContext(ctx, `UPDATE merchants SET status = status WHERE id = $1`, k.MerchantID); err != nil {
				return err
			}
			var status string
			if err := tx.QueryRowContext(ctx, `SELECT status FROM merchants WHERE id = $1`, k.MerchantID).Scan(&status); err != nil {
				return wrap(op, err, "merchant")
			}
			if status != identity.MerchantApproved {
				return errs.E(op, errs.Forbidden, "the merchant is "+status+"; only approved merchants create API keys")
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, name, merchant_id, partner_id, secret_hash, created_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, k.ID, k.Name, nullStr(k.MerchantID), nullStr(k.PartnerID), k.SecretHash, k.CreatedBy, k.CreatedAt, nullTime(k.ExpiresAt))
		return err
	})
	return wrap(op, err, "API key")
}

func nullTime(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: *t, Valid: true}
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

const apiKeyCols = `k.id, k.name, COALESCE(k.merchant_id, ''), COALESCE(k.partner_id, ''), k.secret_hash, k.created_by, k.created_at,
	k.expires_at, k.last_used_at, k.revoked_at, COALESCE(m.status, '')`

func scanAPIKey(row interface{ Scan(...any) error }) (identity.APIKey, error) {
	var k identity.APIKey
	var expires, used, revoked sql.NullTime
	err := row.Scan(&k.ID, &k.Name, &k.MerchantID, &k.PartnerID, &k.SecretHash, &k.CreatedBy, &k.CreatedAt, &expires, &used, &revoked, &k.MerchantStatus)
	k.CreatedAt = k.CreatedAt.UTC()
	k.ExpiresAt, k.LastUsedAt, k.RevokedAt = timePtr(expires), timePtr(used), timePtr(revoked)
	return k, err
}

// APIKeyByID implements identity.Store.
func (s *Identity) APIKeyByID(ctx context.Context, id string) (identity.APIKey, error) {
	k, err := scanAPIKey(s.db.QueryRowContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys k LEFT JOIN merchants m ON m.id = k.merchant_id WHERE k.id = $1`, id))
	return k, wrap("sqlstore.APIKeyByID", err, "API key")
}

// ListAPIKeys implements identity.Store.
func (s *Identity) ListAPIKeys(ctx context.Context, merchantID, partnerID string) ([]identity.APIKey, error) {
	const op = "sqlstore.ListAPIKeys"
	q := `SELECT ` + apiKeyCols + ` FROM api_keys k LEFT JOIN merchants m ON m.id = k.merchant_id WHERE k.merchant_id = $1 ORDER BY k.created_at DESC, k.id DESC`
	owner := merchantID
	if merchantID == "" {
		q = `SELECT ` + apiKeyCols + ` FROM api_keys k LEFT JOIN merchants m ON m.id = k.merchant_id WHERE k.partner_id = $1 ORDER BY k.created_at DESC, k.id DESC`
		owner = partnerID
	}
	rows, err := s.db.QueryContext(ctx, q, owner)
	if err != nil {
		return nil, wrap(op, err, "API key")
	}
	defer rows.Close()
	out := []identity.APIKey{}
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, wrap(op, err, "API key")
		}
		out = append(out, k)
	}
	return out, wrap(op, rows.Err(), "API key")
}

// RevokeAPIKey implements identity.Store. A revoked key keeps the time it
// was first revoked.
func (s *Identity) RevokeAPIKey(ctx context.Context, id string, t time.Time) error {
	const op = "sqlstore.RevokeAPIKey"
	res, err := s.db.exec(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1`, id, t)
	if err != nil {
		return wrap(op, err, "API key")
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return wrap(op, cmpErr(err, sql.ErrNoRows), "API key")
	}
	return nil
}

// TouchAPIKey implements identity.Store.
func (s *Identity) TouchAPIKey(ctx context.Context, id string, t time.Time) error {
	_, err := s.db.exec(ctx, `UPDATE api_keys SET last_used_at = $2 WHERE id = $1`, id, t)
	return wrap("sqlstore.TouchAPIKey", err, "API key")
}

// CreatePartner implements identity.Store.
func (s *Identity) CreatePartner(ctx context.Context, p identity.PartnerOrg, owner identity.User, ev events.Event) error {
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO partners (id, name, country, created_at) VALUES ($1, $2, $3, $4)`,
			p.ID, p.Name, p.Country, p.CreatedAt); err != nil {
			return err
		}
		if err := insertUser(ctx, tx, owner); err != nil {
			return wrap("sqlstore.CreatePartner", err, "an account with this e-mail")
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap("sqlstore.CreatePartner", err, "partner")
}

// PartnerByID implements identity.Store.
func (s *Identity) PartnerByID(ctx context.Context, id string) (identity.PartnerOrg, error) {
	var p identity.PartnerOrg
	err := s.db.QueryRowContext(ctx, `SELECT id, name, country, created_at FROM partners WHERE id = $1`, id).
		Scan(&p.ID, &p.Name, &p.Country, &p.CreatedAt)
	p.CreatedAt = p.CreatedAt.UTC()
	return p, wrap("sqlstore.PartnerByID", err, "partner")
}

// ListPartners implements identity.Store.
func (s *Identity) ListPartners(ctx context.Context) ([]identity.PartnerOrg, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, country, created_at FROM partners ORDER BY name, id`)
	if err != nil {
		return nil, wrap("sqlstore.ListPartners", err, "partner")
	}
	defer rows.Close()
	out := []identity.PartnerOrg{}
	for rows.Next() {
		var p identity.PartnerOrg
		if err := rows.Scan(&p.ID, &p.Name, &p.Country, &p.CreatedAt); err != nil {
			return nil, wrap("sqlstore.ListPartners", err, "partner")
		}
		p.CreatedAt = p.CreatedAt.UTC()
		out = append(out, p)
	}
	return out, wrap("sqlstore.ListPartners", rows.Err(), "partner")
}

// jsonText marshals v for a TEXT column.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("sqlstore: marshal: " + err.Error())
	}
	return string(b)
}
