package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/ids"
)

// User is a person's account. PasswordHash never leaves the service.
type User struct {
	ID         string `json:"id"`
	Email      string `json:"email"`
	Name       string `json:"name"`
	Role       Role   `json:"role"`
	MerchantID string `json:"merchant_id,omitempty"`
	StaffRole  string `json:"staff_role,omitempty"`
	PartnerID  string `json:"partner_id,omitempty"`
	// MerchantStatus is the status of the user's merchant, for staff.
	MerchantStatus string    `json:"merchant_status,omitempty"`
	PasswordHash   string    `json:"-"`
	CreatedAt      time.Time `json:"created_at"`
}

// Actor returns the actor a session of u acts as.
func (u User) Actor() Actor {
	return Actor{Role: u.Role, UserID: u.ID, MerchantID: u.MerchantID, StaffRole: u.StaffRole, PartnerID: u.PartnerID, MerchantStatus: u.MerchantStatus}
}

// Session is a signed-in person's cookie session; only the token's hash is stored.
type Session struct {
	TokenHash string
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// APIKey lets a merchant's or partner's integration call the API. The secret
// is shown once, at creation; only its hash is stored.
type APIKey struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	MerchantID string     `json:"merchant_id,omitempty"`
	PartnerID  string     `json:"partner_id,omitempty"`
	SecretHash string     `json:"-"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	// MerchantStatus is the status of the key's merchant, read with the key.
	MerchantStatus string `json:"-"`
}

// PartnerOrg is a logistics partner (3PL) that operates warehouses for merchants.
type PartnerOrg struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Country   string    `json:"country"`
	CreatedAt time.Time `json:"created_at"`
}

// Store persists identities. Methods return NotFound and Conflict errors as
// documented on each; anything else is Internal.
type Store interface {
	// CreateUser inserts u and the events; Conflict if the email is taken.
	CreateUser(ctx context.Context, u User, evs ...events.Event) error
	// UserByEmail returns NotFound if no account has the (lower-cased) email.
	UserByEmail(ctx context.Context, email string) (User, error)
	// UserByID returns NotFound if there is no such user.
	UserByID(ctx context.Context, id string) (User, error)
	CreateSession(ctx context.Context, s Session) error
	// UserBySession returns NotFound if the session is unknown or expired at now.
	UserBySession(ctx context.Context, tokenHash string, now time.Time) (User, error)
	DeleteSession(ctx context.Context, tokenHash string) error
	CreateAPIKey(ctx context.Context, k APIKey) error
	// APIKeyByID returns NotFound if there is no such key.
	APIKeyByID(ctx context.Context, id string) (APIKey, error)
	// CreatePartner inserts the partner, its first user and the event; Conflict if the email is taken.
	CreatePartner(ctx context.Context, p PartnerOrg, owner User, ev events.Event) error
	// PartnerByID returns NotFound if there is no such partner.
	PartnerByID(ctx context.Context, id string) (PartnerOrg, error)
	ListPartners(ctx context.Context) ([]PartnerOrg, error)
}

// Service is the identity service.
type Service struct {
	Store      Store
	Now        func() time.Time
	SessionTTL time.Duration
}

// NewService returns a service with a 30-day session lifetime and the real clock.
func NewService(st Store) *Service {
	return &Service{Store: st, Now: func() time.Time { return time.Now().UTC() }, SessionTTL: 30 * 24 * time.Hour}
}

// Registration is what a person gives to open an account.
type Registration struct {
	Email    string `json:"email" maxLength:"254" doc:"E-mail address, used to sign in"`
	Name     string `json:"name" minLength:"1" maxLength:"200" doc:"Display name"`
	Password string `json:"password" minLength:"10" maxLength:"128" doc:"At least 10 characters"`
}

// NewUser checks r and returns a user of the given role with a hashed
// password. It does not store it. Errors: Invalid.
func NewUser(op string, r Registration, role Role, now time.Time) (User, error) {
	email := strings.ToLower(strings.TrimSpace(r.Email))
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || !strings.Contains(email, "@") {
		return User{}, errs.Field(op, "email", "not a valid e-mail address")
	}
	name := strings.TrimSpace(r.Name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return User{}, errs.Field(op, "name", "must be 1 to 200 characters")
	}
	if n := utf8.RuneCountInString(r.Password); n < 10 || n > 128 {
		return User{}, errs.Field(op, "password", "must be 10 to 128 characters")
	}
	h, err := HashPassword(r.Password)
	if err != nil {
		return User{}, errs.E(op, errs.Internal, err)
	}
	return User{ID: ids.New(ids.User), Email: email, Name: name, Role: role, PasswordHash: h, CreatedAt: now}, nil
}

// RegisterBuyer opens a buyer account. Errors: Invalid, Conflict (email taken).
func (s *Service) RegisterBuyer(ctx context.Context, r Registration) (User, error) {
	const op = "identity.RegisterBuyer"
	u, err := NewUser(op, r, Buyer, s.Now())
	if err != nil {
		return User{}, err
	}
	ev := events.New(events.UserRegistered, u.ID, "", u.CreatedAt, map[string]string{"role": string(u.Role)})
	if err := s.Store.CreateUser(ctx, u, ev); err != nil {
		return User{}, errs.E(op, errs.Other, err)
	}
	return u, nil
}

// CreateOperator opens an operator account; only operators may. Errors:
// Forbidden, Invalid, Conflict.
func (s *Service) CreateOperator(ctx context.Context, actor Actor, r Registration) (User, error) {
	const op = "identity.CreateOperator"
	if !actor.IsOperator() {
		return User{}, errs.E(op, errs.Forbidden, "only operators may create operators")
	}
	u, err := NewUser(op, r, Operator, s.Now())
	if err != nil {
		return User{}, err
	}
	ev := events.New(events.UserRegistered, u.ID, "", u.CreatedAt, map[string]string{"role": string(u.Role)})
	if err := s.Store.CreateUser(ctx, u, ev); err != nil {
		return User{}, errs.E(op, errs.Other, err)
	}
	return u, nil
}

// AddStaff adds a person to merchant merchantID's staff; only its owners (or
// an operator) may. Errors: Forbidden, Invalid, Conflict.
func (s *Service) AddStaff(ctx context.Context, actor Actor, merchantID string, r Registration, staffRole string) (User, error) {
	const op = "identity.AddStaff"
	if err := RefuseUnapproved(op, actor); err != nil {
		return User{}, err
	}
	if !actor.OwnerOf(merchantID) && !actor.IsOperator() {
		return User{}, errs.E(op, errs.Forbidden, "only the merchant's owners may add staff")
	}
	if staffRole != StaffOwner && staffRole != StaffMember {
		return User{}, errs.Field(op, "role", "must be owner or staff")
	}
	u, err := NewUser(op, r, Staff, s.Now())
	if err != nil {
		return User{}, err
	}
	u.MerchantID, u.StaffRole = merchantID, staffRole
	ev := events.New(events.UserRegistered, u.ID, merchantID, u.CreatedAt, map[string]string{"role": string(u.Role), "staff_role": staffRole})
	if err := s.Store.CreateUser(ctx, u, ev); err != nil {
		return User{}, errs.E(op, errs.Other, err)
	}
	return u, nil
}

// PartnerInput describes a new logistics partner and its first user.
type PartnerInput struct {
	Name    string       `json:"name" minLength:"1" maxLength:"200"`
	Country string       `json:"country" pattern:"^[A-Z]{2}$" doc:"ISO 3166-1 alpha-2 country code"`
	Login   Registration `json:"login" doc:"The partner's first user"`
}

// CreatePartner registers a logistics partner; only operators may. Errors:
// Forbidden, Invalid, Conflict.
func (s *Service) CreatePartner(ctx context.Context, actor Actor, in PartnerInput) (PartnerOrg, User, error) {
	const op = "identity.CreatePartner"
	if !actor.IsOperator() {
		return PartnerOrg{}, User{}, errs.E(op, errs.Forbidden, "only operators may register logistics partners")
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return PartnerOrg{}, User{}, errs.Field(op, "name", "must not be empty")
	}
	if !ValidCountry(in.Country) {
		return PartnerOrg{}, User{}, errs.Field(op, "country", "must be an ISO 3166-1 alpha-2 code")
	}
	now := s.Now()
	u, err := NewUser(op, in.Login, Partner, now)
	if err != nil {
		return PartnerOrg{}, User{}, err
	}
	p := PartnerOrg{ID: ids.New(ids.Partner), Name: name, Country: in.Country, CreatedAt: now}
	u.PartnerID = p.ID
	ev := events.New(events.PartnerCreated, p.ID, p.ID, now, p)
	if err := s.Store.CreatePartner(ctx, p, u, ev); err != nil {
		return PartnerOrg{}, User{}, errs.E(op, errs.Other, err)
	}
	return p, u, nil
}

// ListPartners lists logistics partners: all of them for operators, its own
// for a partner. Errors: Forbidden.
func (s *Service) ListPartners(ctx context.Context, actor Actor) ([]PartnerOrg, error) {
	const op = "identity.ListPartners"
	switch {
	case actor.IsOperator():
		return s.Store.ListPartners(ctx)
	case actor.Role == Partner:
		p, err := s.Store.PartnerByID(ctx, actor.PartnerID)
		if err != nil {
			return nil, errs.E(op, errs.Other, err)
		}
		return []PartnerOrg{p}, nil
	}
	return nil, errs.E(op, errs.Forbidden, "only operators and partners may list partners")
}

// Login checks an email and password and opens a session. It returns the raw
// session token (for the cookie) and the user. Errors: Unauthenticated (the
// same for an unknown email and a wrong password).
func (s *Service) Login(ctx context.Context, email, password string) (string, User, error) {
	const op = "identity.Login"
	bad := errs.E(op, errs.Unauthenticated, "wrong e-mail or password")
	u, err := s.Store.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
	if errs.Is(err, errs.NotFound) {
		CheckPassword(dummyHash, password)
		return "", User{}, bad
	}
	if err != nil {
		return "", User{}, errs.E(op, errs.Other, err)
	}
	if !CheckPassword(u.PasswordHash, password) {
		return "", User{}, bad
	}
	token := randomToken(32)
	now := s.Now()
	if err := s.Store.CreateSession(ctx, Session{TokenHash: hashSecret(token), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.SessionTTL)}); err != nil {
		return "", User{}, errs.E(op, errs.Other, err)
	}
	return token, u, nil
}

// Logout ends the session with the given raw token. Ending an unknown session
// is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.Store.DeleteSession(ctx, hashSecret(token))
}

// Authenticate returns the actor of a session token. Errors: Unauthenticated.
func (s *Service) Authenticate(ctx context.Context, token string) (Actor, error) {
	const op = "identity.Authenticate"
	u, err := s.Store.UserBySession(ctx, hashSecret(token), s.Now())
	if errs.Is(err, errs.NotFound) {
		return Actor{}, errs.E(op, errs.Unauthenticated, "the session has expired or was ended; sign in again")
	}
	if err != nil {
		return Actor{}, errs.E(op, errs.Other, err)
	}
	return u.Actor(), nil
}

// APIKeyPrefix starts every API key, so that leaked keys are easy to scan for.
const APIKeyPrefix = "sesame_"

// CreateAPIKey creates an API key for merchant merchantID (its owners may) or
// partner partnerID (its users may); exactly one must be set. It returns the
// raw key, which is never shown again. Errors: Forbidden, Invalid.
func (s *Service) CreateAPIKey(ctx context.Context, actor Actor, merchantID, partnerID, name string) (string, APIKey, error) {
	const op = "identity.CreateAPIKey"
	if (merchantID == "") == (partnerID == "") {
		return "", APIKey{}, errs.E(op, errs.Invalid, "a key belongs to exactly one merchant or partner")
	}
	if merchantID != "" && !actor.OwnerOf(merchantID) {
		return "", APIKey{}, errs.E(op, errs.Forbidden, "only the merchant's owners may create API keys")
	}
	if err := RefuseUnapproved(op, actor); err != nil {
		return "", APIKey{}, err
	}
	if partnerID != "" && (!actor.OperatesFor(partnerID) || actor.APIKeyID != "") {
		return "", APIKey{}, errs.E(op, errs.Forbidden, "only the partner's users may create API keys")
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return "", APIKey{}, errs.Field(op, "name", "must be 1 to 100 characters")
	}
	k := APIKey{ID: ids.New(ids.APIKey), Name: name, MerchantID: merchantID, PartnerID: partnerID, CreatedBy: actor.UserID, CreatedAt: s.Now()}
	secret := randomToken(32)
	k.SecretHash = hashSecret(secret)
	if err := s.Store.CreateAPIKey(ctx, k); err != nil {
		return "", APIKey{}, errs.E(op, errs.Other, err)
	}
	return APIKeyPrefix + k.ID + "." + secret, k, nil
}

// AuthenticateKey returns the actor of a raw API key. Errors: Unauthenticated.
func (s *Service) AuthenticateKey(ctx context.Context, raw string) (Actor, error) {
	const op = "identity.AuthenticateKey"
	bad := errs.E(op, errs.Unauthenticated, "unknown or revoked API key")
	rest, ok := strings.CutPrefix(raw, APIKeyPrefix)
	if !ok {
		return Actor{}, bad
	}
	id, secret, ok := strings.Cut(rest, ".")
	if !ok || !ids.Valid(ids.APIKey, id) {
		return Actor{}, bad
	}
	k, err := s.Store.APIKeyByID(ctx, id)
	if errs.Is(err, errs.NotFound) {
		return Actor{}, bad
	}
	if err != nil {
		return Actor{}, errs.E(op, errs.Other, err)
	}
	if k.RevokedAt != nil || subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(k.SecretHash)) != 1 {
		return Actor{}, bad
	}
	if k.MerchantID != "" {
		return Actor{Role: Staff, APIKeyID: k.ID, MerchantID: k.MerchantID, StaffRole: StaffMember, MerchantStatus: k.MerchantStatus}, nil
	}
	return Actor{Role: Partner, APIKeyID: k.ID, PartnerID: k.PartnerID}, nil
}

// Me returns the signed-in user. Errors: Unauthenticated, NotFound.
func (s *Service) Me(ctx context.Context, actor Actor) (User, error) {
	if actor.UserID == "" {
		return User{}, errs.E("identity.Me", errs.Unauthenticated, "sign in to see your account")
	}
	return s.Store.UserByID(ctx, actor.UserID)
}

// ValidCountry reports whether c looks like an ISO 3166-1 alpha-2 code.
func ValidCountry(c string) bool {
	return len(c) == 2 && 'A' <= c[0] && c[0] <= 'Z' && 'A' <= c[1] && c[1] <= 'Z'
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret hashes a high-entropy secret (a session token or API key). A fast
// hash is right here: the secrets are random, not chosen by people.
func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
