package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/text"
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
	MerchantStatus string `json:"merchant_status,omitempty"`
	// Lang is the language of the person's e-mails.
	Lang string `json:"lang,omitempty" doc:"The language of the person's e-mails (a BCP 47 tag)"`
	// EmailVerified is true once the person followed a link mailed to
	// the address (verification or password reset); EmailVerifiedAt says
	// when. Unverified accounts may shop all the same.
	EmailVerified   bool       `json:"email_verified" doc:"Whether the person followed a link mailed to the address"`
	EmailVerifiedAt *time.Time `json:"email_verified_at,omitempty" doc:"When the address was verified"`
	PasswordHash    string     `json:"-"`
	CreatedAt       time.Time  `json:"created_at"`
}

// Actor returns the actor a session of u acts as.
func (u User) Actor() Actor {
	return Actor{Role: u.Role, UserID: u.ID, MerchantID: u.MerchantID, StaffRole: u.StaffRole, PartnerID: u.PartnerID, MerchantStatus: u.MerchantStatus}
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
	// AddEvents records events about users (requests for mails).
	AddEvents(ctx context.Context, evs ...events.Event) error

	// CreateToken inserts t unless its user has limit or more tokens of
	// its purpose created at or after since (RateLimited), counted and
	// inserted under the user's lock so that concurrent mints count alike.
	CreateToken(ctx context.Context, t Token, since time.Time, limit int) error
	// RedeemToken, in one transaction, locks the token of r.TokenHash,
	// checks it with Redeemable, marks it used, verifies the user's e-mail
	// and, for a reset, sets the password hash and deletes every session
	// of the user; it returns the user as changed. Errors: NotFound (no such
	// token), Redeemable's; either way nothing changed.
	RedeemToken(ctx context.Context, r Redemption) (User, error)
	// DeleteTokensBefore deletes the tokens that expired before t.
	DeleteTokensBefore(ctx context.Context, t time.Time) (int64, error)

	CreateSession(ctx context.Context, s Session) error
	// SessionByToken returns the session with the token hash, expired or
	// not, and its user; NotFound if there is none.
	SessionByToken(ctx context.Context, tokenHash string) (Session, User, error)
	// TouchSession records a use of session id.
	TouchSession(ctx context.Context, id string, lastSeen, idleExpires time.Time) error
	// DeleteSession ends the session with the token hash, if any.
	DeleteSession(ctx context.Context, tokenHash string) error
	// ListSessions returns the user's sessions, expired or not, newest first.
	ListSessions(ctx context.Context, userID string) ([]Session, error)
	// DeleteUserSession ends session id of the user; NotFound if the user has no such session.
	DeleteUserSession(ctx context.Context, userID, id string) error
	// DeleteUserSessions ends every session of the user and returns how many.
	DeleteUserSessions(ctx context.Context, userID string) (int64, error)
	// DeleteExpiredSessions deletes the sessions ended at now by either limit.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)

	// LoginAttempt applies p.Attempt to the e-mail's failure record in one
	// transaction (so that nodes and concurrent attempts count alike) and
	// returns the wait, positive if the attempt is refused.
	LoginAttempt(ctx context.Context, email string, now time.Time, p ThrottlePolicy) (time.Duration, error)
	// ClearLoginFailures forgets the e-mail's failures.
	ClearLoginFailures(ctx context.Context, email string) error
	// DeleteLoginFailuresBefore deletes the records whose last failure is before t.
	DeleteLoginFailuresBefore(ctx context.Context, t time.Time) (int64, error)

	CreateAPIKey(ctx context.Context, k APIKey) error
	// APIKeyByID returns NotFound if there is no such key.
	APIKeyByID(ctx context.Context, id string) (APIKey, error)
	// ListAPIKeys returns the keys of the merchant or the partner (one is set), newest first.
	ListAPIKeys(ctx context.Context, merchantID, partnerID string) ([]APIKey, error)
	// RevokeAPIKey marks key id revoked at t unless it already is; NotFound if there is no such key.
	RevokeAPIKey(ctx context.Context, id string, t time.Time) error
	// TouchAPIKey records a use of key id at t.
	TouchAPIKey(ctx context.Context, id string, t time.Time) error

	// CreatePartner inserts the partner, its first user and the event; Conflict if the email is taken.
	CreatePartner(ctx context.Context, p PartnerOrg, owner User, ev events.Event) error
	// PartnerByID returns NotFound if there is no such partner.
	PartnerByID(ctx context.Context, id string) (PartnerOrg, error)
	ListPartners(ctx context.Context) ([]PartnerOrg, error)
}

// Service is the identity service.
type Service struct {
	Store Store
	Now   func() time.Time
	// Sessions gives sessions their lifetimes.
	Sessions SessionPolicy
	// Throttle slows down password guessing per account; nil turns it off.
	Throttle *ThrottlePolicy
	// Hasher bounds the password hashes in flight. NewService gives the
	// service a hasher of its own; a process shares one between every
	// service that hashes (merchant.Service too). It must not be nil.
	Hasher *Hasher
}

// NewService returns a service with the default session lifetimes and
// throttling, a default hasher of its own and the real clock.
func NewService(st Store) *Service {
	t := DefaultThrottlePolicy()
	return &Service{Store: st, Now: func() time.Time { return time.Now().UTC() }, Sessions: DefaultSessionPolicy(), Throttle: &t, Hasher: NewDefaultHasher()}
}

func (s *Service) throttle() ThrottlePolicy {
	if s.Throttle == nil {
		return ThrottlePolicy{}
	}
	return *s.Throttle
}

// Registration is what a person gives to open an account.
type Registration struct {
	Email    string `json:"email" maxLength:"254" doc:"E-mail address, used to sign in"`
	Name     string `json:"name" minLength:"1" maxLength:"200" doc:"Display name"`
	Password string `json:"password" minLength:"10" maxLength:"128" doc:"At least 10 characters"`
	Lang     string `json:"lang,omitempty" maxLength:"35" doc:"The language of the account's e-mails (a BCP 47 tag such as fr); default: the channel's default language, else en"`
	Channel  string `json:"channel,omitempty" maxLength:"64" doc:"Buyers: the storefront (channel code) whose pages the links of the account's e-mails open"`
}

// validEmail returns email trimmed and lower-cased, checked to be an
// address. Errors: Invalid.
func validEmail(op, email string) (string, error) {
	email, err := text.Line(op, "email", email, 254, true)
	if err != nil {
		return "", err
	}
	email = strings.ToLower(email)
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || !strings.Contains(email, "@") {
		return "", errs.Field(op, "email", "not a valid e-mail address")
	}
	return email, nil
}

// validPassword checks a new password: 10 to 128 characters of text.
// Errors: Invalid.
func validPassword(op, password string) error {
	if err := text.Raw(op, "password", password); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(password); n < 10 || n > 128 {
		return errs.Field(op, "password", "must be 10 to 128 characters")
	}
	return nil
}

// validLang reports whether l looks like a BCP 47 tag: a language of 2
// or 3 lower-case letters, then subtags of 1 to 8 letters or digits.
func validLang(l string) bool {
	parts := strings.Split(l, "-")
	if n := len(parts[0]); n < 2 || n > 3 || strings.Trim(parts[0], "abcdefghijklmnopqrstuvwxyz") != "" {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) < 1 || len(p) > 8 || strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
			return false
		}
	}
	return true
}

// NewUser checks r and returns a user of the given role with a password
// hashed by h, waiting for a place in h only as long as ctx lives (and h's
// MaxWait). It does not store it. Errors: Invalid, Unavailable.
func NewUser(ctx context.Context, h *Hasher, op string, r Registration, role Role, now time.Time) (User, error) {
	email, err := validEmail(op, r.Email)
	if err != nil {
		return User{}, err
	}
	name, err := text.Line(op, "name", r.Name, 200, true)
	if err != nil {
		return User{}, err
	}
	if err := validPassword(op, r.Password); err != nil {
		return User{}, err
	}
	lang := strings.TrimSpace(r.Lang)
	if lang == "" {
		lang = "en"
	}
	if len(lang) > 35 || !validLang(lang) {
		return User{}, errs.Field(op, "lang", "must be a language tag such as en, fr or zh")
	}
	hash, err := h.Hash(ctx, r.Password)
	if err != nil {
		return User{}, errs.E(op, errs.Other, err)
	}
	return User{ID: ids.New(ids.User), Email: email, Name: name, Role: role, Lang: lang, PasswordHash: hash, CreatedAt: now}, nil
}

// RegisterBuyer opens a buyer account; its event has the mail consumer
// send the verification link. Errors: Invalid, Conflict (email taken),
// Unavailable (too many passwords being hashed).
func (s *Service) RegisterBuyer(ctx context.Context, r Registration) (User, error) {
	const op = "identity.RegisterBuyer"
	ch, err := text.Line(op, "channel", r.Channel, 64, false)
	if err != nil {
		return User{}, err
	}
	u, err := NewUser(ctx, s.Hasher, op, r, Buyer, s.Now())
	if err != nil {
		return User{}, err
	}
	ev := events.New(events.UserRegistered, u.ID, "", u.CreatedAt, events.Account{V: events.AccountV1, UserID: u.ID, Role: string(u.Role), Channel: ch})
	if err := s.Store.CreateUser(ctx, u, ev); err != nil {
		return User{}, errs.E(op, errs.Other, err)
	}
	return u, nil
}

// CreateOperator opens an operator account; only operators may. Errors:
// Forbidden, Invalid, Conflict, Unavailable.
func (s *Service) CreateOperator(ctx context.Context, actor Actor, r Registration) (User, error) {
	const op = "identity.CreateOperator"
	if !actor.IsOperator() {
		return User{}, errs.E(op, errs.Forbidden, "only operators may create operators")
	}
	u, err := NewUser(ctx, s.Hasher, op, r, Operator, s.Now())
	if err != nil {
		return User{}, err
	}
	ev := events.New(events.UserRegistered, u.ID, "", u.CreatedAt, events.Account{V: events.AccountV1, UserID: u.ID, Role: string(u.Role)})
	if err := s.Store.CreateUser(ctx, u, ev); err != nil {
		return User{}, errs.E(op, errs.Other, err)
	}
	return u, nil
}

// AddStaff adds a person to merchant merchantID's staff; only its owners (or
// an operator) may. Errors: Forbidden, Invalid, Conflict, Unavailable.
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
	u, err := NewUser(ctx, s.Hasher, op, r, Staff, s.Now())
	if err != nil {
		return User{}, err
	}
	u.MerchantID, u.StaffRole = merchantID, staffRole
	ev := events.New(events.UserRegistered, u.ID, merchantID, u.CreatedAt, events.Account{V: events.AccountV1, UserID: u.ID, Role: string(u.Role), StaffRole: staffRole})
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
// Forbidden, Invalid, Conflict, Unavailable.
func (s *Service) CreatePartner(ctx context.Context, actor Actor, in PartnerInput) (PartnerOrg, User, error) {
	const op = "identity.CreatePartner"
	if !actor.IsOperator() {
		return PartnerOrg{}, User{}, errs.E(op, errs.Forbidden, "only operators may register logistics partners")
	}
	name, err := text.Line(op, "name", in.Name, 200, true)
	if err != nil {
		return PartnerOrg{}, User{}, err
	}
	if !ValidCountry(in.Country) {
		return PartnerOrg{}, User{}, errs.Field(op, "country", "must be an ISO 3166-1 alpha-2 code")
	}
	now := s.Now()
	u, err := NewUser(ctx, s.Hasher, op, in.Login, Partner, now)
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

// Credentials are what a person signs in with.
type Credentials struct {
	Email    string
	Password string
	// RememberMe asks for a long session (buyers only).
	RememberMe bool
}

// Login signs in without "remember me"; see SignIn for the errors.
func (s *Service) Login(ctx context.Context, email, password string) (string, User, error) {
	token, u, _, err := s.SignIn(ctx, Credentials{Email: email, Password: password})
	return token, u, err
}

// SignIn checks an e-mail and password and opens a session. It returns the
// raw session token (for the cookie), the user and the session. An unknown
// e-mail costs the same work as a wrong password (a dummy hash is checked),
// and both count towards the e-mail's throttle, so neither the answer nor
// its time tells which e-mails have accounts. Errors: Invalid (not text),
// Unauthenticated (the same for an unknown email and a wrong password),
// RateLimited (too many failures for this e-mail: retry after
// errs.RetryAfter), Unavailable (too many passwords being checked).
func (s *Service) SignIn(ctx context.Context, c Credentials) (string, User, Session, error) {
	const op = "identity.SignIn"
	bad := errs.E(op, errs.Unauthenticated, "wrong e-mail or password")
	email, err := text.Line(op, "email", c.Email, 254, true)
	if err != nil {
		return "", User{}, Session{}, err
	}
	email = strings.ToLower(email)
	if err := text.Raw(op, "password", c.Password); err != nil {
		return "", User{}, Session{}, err
	}
	if utf8.RuneCountInString(c.Password) > 128 {
		return "", User{}, Session{}, bad // no account has such a password: do not hash a megabyte
	}
	now := s.Now()
	wait, err := s.Store.LoginAttempt(ctx, email, now, s.throttle())
	if err != nil {
		return "", User{}, Session{}, errs.E(op, errs.Other, err)
	}
	if wait > 0 {
		// Refused before the account is looked up: the same for every e-mail.
		secs := int64((wait + time.Second - 1) / time.Second)
		return "", User{}, Session{}, errs.Retry(op, errs.RateLimited, wait,
			fmt.Sprintf("too many failed sign-ins for this e-mail; retry in %d s", secs))
	}
	u, err := s.Store.UserByEmail(ctx, email)
	found := err == nil
	hash := u.PasswordHash
	switch {
	case errs.Is(err, errs.NotFound):
		hash = dummyHash
	case err != nil:
		return "", User{}, Session{}, errs.E(op, errs.Other, err)
	}
	ok, err := s.Hasher.Check(ctx, hash, c.Password)
	if err != nil {
		return "", User{}, Session{}, errs.E(op, errs.Other, err)
	}
	if !found || !ok {
		return "", User{}, Session{}, bad
	}
	if err := s.Store.ClearLoginFailures(ctx, email); err != nil {
		return "", User{}, Session{}, errs.E(op, errs.Other, err)
	}
	token := randomToken(32)
	se := newSession(ids.New(ids.Session), hashSecret(token), u.ID, now, s.Sessions.For(u.Role, c.RememberMe))
	if err := s.Store.CreateSession(ctx, se); err != nil {
		return "", User{}, Session{}, errs.E(op, errs.Other, err)
	}
	return token, u, se, nil
}

// Logout ends the session with the given raw token. Ending an unknown session
// is not an error. Errors: Internal.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.Store.DeleteSession(ctx, hashSecret(token))
}

// Authenticate returns the actor of a session token, and records the use
// (at most once a minute) for the idle timeout. Errors: Unauthenticated.
func (s *Service) Authenticate(ctx context.Context, token string) (Actor, error) {
	const op = "identity.Authenticate"
	ended := errs.E(op, errs.Unauthenticated, "the session has expired or was ended; sign in again")
	se, u, err := s.Store.SessionByToken(ctx, hashSecret(token))
	if errs.Is(err, errs.NotFound) {
		return Actor{}, ended
	}
	if err != nil {
		return Actor{}, errs.E(op, errs.Other, err)
	}
	now := s.Now()
	if se.Expired(now) {
		return Actor{}, ended // the sweep deletes it
	}
	if next, write := se.seen(now); write {
		if err := s.Store.TouchSession(ctx, se.ID, next.LastSeenAt, next.IdleExpiresAt); err != nil {
			return Actor{}, errs.E(op, errs.Other, err)
		}
	}
	a := u.Actor()
	a.SessionID = se.ID
	return a, nil
}

// Me is who is calling: the signed-in person, or the API key and the
// merchant or partner it acts for.
type Me struct {
	Role           Role    `json:"role"`
	MerchantID     string  `json:"merchant_id,omitempty"`
	PartnerID      string  `json:"partner_id,omitempty"`
	MerchantStatus string  `json:"merchant_status,omitempty"`
	User           *User   `json:"user,omitempty" doc:"The signed-in person (session)"`
	SessionID      string  `json:"session_id,omitempty" doc:"The session of the request"`
	APIKey         *APIKey `json:"api_key,omitempty" doc:"The key of the request (API key)"`
}

// Me returns who is calling. Errors: Unauthenticated, NotFound.
func (s *Service) Me(ctx context.Context, actor Actor) (Me, error) {
	const op = "identity.Me"
	if actor.IsAnonymous() {
		return Me{}, errs.E(op, errs.Unauthenticated, "sign in, or send an API key, to see who you are")
	}
	me := Me{Role: actor.Role, MerchantID: actor.MerchantID, PartnerID: actor.PartnerID, MerchantStatus: actor.MerchantStatus}
	if actor.APIKeyID != "" {
		k, err := s.Store.APIKeyByID(ctx, actor.APIKeyID)
		if err != nil {
			return Me{}, errs.E(op, errs.Other, err)
		}
		k.Prefix = k.prefix()
		me.APIKey = &k
		return me, nil
	}
	u, err := s.Store.UserByID(ctx, actor.UserID)
	if err != nil {
		return Me{}, errs.E(op, errs.Other, err)
	}
	me.User, me.SessionID = &u, actor.SessionID
	return me, nil
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
