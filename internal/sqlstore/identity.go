package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

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
	COALESCE(m.status, '')`

const userFrom = ` FROM users u LEFT JOIN merchants m ON m.id = u.merchant_id`

func scanUser(row interface{ Scan(...any) error }) (identity.User, error) {
	var u identity.User
	var role string
	err := row.Scan(&u.ID, &u.Email, &u.Name, &role, &u.MerchantID, &u.StaffRole, &u.PartnerID, &u.PasswordHash, &u.CreatedAt, &u.MerchantStatus)
	u.Role = identity.Role(role)
	u.CreatedAt = u.CreatedAt.UTC()
	return u, err
}

func insertUser(ctx context.Context, tx *sql.Tx, u identity.User) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, name, role, merchant_id, staff_role, partner_id, password_hash, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		u.ID, u.Email, u.Name, string(u.Role), nullStr(u.MerchantID), u.StaffRole, nullStr(u.PartnerID), u.PasswordHash, u.CreatedAt)
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
	_, err := s.db.exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		se.TokenHash, se.UserID, se.CreatedAt, se.ExpiresAt)
	return wrap("sqlstore.CreateSession", err, "session")
}

// UserBySession implements identity.Store.
func (s *Identity) UserBySession(ctx context.Context, tokenHash string, now time.Time) (identity.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN merchants m ON m.id = u.merchant_id
		WHERE s.token_hash = $1 AND s.expires_at > $2`, tokenHash, now))
	return u, wrap("sqlstore.UserBySession", err, "session")
}

// DeleteSession implements identity.Store.
func (s *Identity) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := s.db.exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
	return wrap("sqlstore.DeleteSession", err, "session")
}

// CreateAPIKey implements identity.Store.
func (s *Identity) CreateAPIKey(ctx context.Context, k identity.APIKey) error {
	_, err := s.db.exec(ctx, `INSERT INTO api_keys (id, name, merchant_id, partner_id, secret_hash, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, k.ID, k.Name, nullStr(k.MerchantID), nullStr(k.PartnerID), k.SecretHash, k.CreatedBy, k.CreatedAt)
	return wrap("sqlstore.CreateAPIKey", err, "API key")
}

// APIKeyByID implements identity.Store.
func (s *Identity) APIKeyByID(ctx context.Context, id string) (identity.APIKey, error) {
	var k identity.APIKey
	var revoked sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT k.id, k.name, COALESCE(k.merchant_id, ''), COALESCE(k.partner_id, ''), k.secret_hash, k.created_by, k.created_at,
		k.revoked_at, COALESCE(m.status, '') FROM api_keys k LEFT JOIN merchants m ON m.id = k.merchant_id WHERE k.id = $1`, id).
		Scan(&k.ID, &k.Name, &k.MerchantID, &k.PartnerID, &k.SecretHash, &k.CreatedBy, &k.CreatedAt, &revoked, &k.MerchantStatus)
	if revoked.Valid {
		t := revoked.Time.UTC()
		k.RevokedAt = &t
	}
	return k, wrap("sqlstore.APIKeyByID", err, "API key")
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
