package identity

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/text"
)

// Purpose is what a mailed token lets its bearer do.
type Purpose string

// The purposes of mailed tokens.
const (
	// VerifyEmail proves that the person reads the account's e-mail.
	VerifyEmail Purpose = "verify_email"
	// ResetPassword sets a new password (and proves the e-mail too).
	ResetPassword Purpose = "reset_password"
)

// Token is a single-use secret mailed to a person, a link's key. Only the
// SHA-256 of the raw token is stored: a copy of the database lets no one
// verify an address or take an account over.
type Token struct {
	Hash      string
	UserID    string
	Purpose   Purpose
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// TokenPolicy is how long a token of one purpose lives and how many may be
// minted for one person within Window: past that, asking again mails
// nothing until the window has passed (the links already sent still work).
type TokenPolicy struct {
	Lifetime time.Duration
	PerUser  int
	Window   time.Duration
}

// TokenPolicyOf returns the policy of a purpose: a verification link lives
// 7 days, a reset link 1 hour (it takes an account over); three of either
// per person and hour.
func TokenPolicyOf(p Purpose) TokenPolicy {
	if p == ResetPassword {
		return TokenPolicy{Lifetime: time.Hour, PerUser: 3, Window: time.Hour}
	}
	return TokenPolicy{Lifetime: 7 * 24 * time.Hour, PerUser: 3, Window: time.Hour}
}

// tokenBytes is the randomness of a token: 256 bits.
const tokenBytes = 32

// The causes of a refused token, which pages tell apart (errors.Is).
var (
	ErrLinkInvalid = errors.New("this link is not valid")
	ErrLinkUsed    = errors.New("this link has been used already")
	ErrLinkExpired = errors.New("this link has expired; ask for a new one")
)

// linkError is the Invalid error, on the field token, of a refused token.
func linkError(op string, cause error) error {
	return &errs.Error{Op: op, Kind: errs.Invalid, Field: "token", Err: cause}
}

// Redeemable says whether t may be used at now for purpose: it must be of
// that purpose, unused and unexpired. Errors: Invalid (on the field token,
// wrapping ErrLinkInvalid, ErrLinkUsed or ErrLinkExpired).
func Redeemable(op string, t Token, purpose Purpose, now time.Time) error {
	switch {
	case t.Purpose != purpose:
		return linkError(op, ErrLinkInvalid)
	case t.UsedAt != nil:
		return linkError(op, ErrLinkUsed)
	case !now.Before(t.ExpiresAt):
		return linkError(op, ErrLinkExpired)
	}
	return nil
}

// redeem has the store redeem r; an unknown token is refused as Invalid.
func (s *Service) redeem(ctx context.Context, op string, r Redemption) (User, error) {
	u, err := s.Store.RedeemToken(ctx, r)
	if errs.Is(err, errs.NotFound) {
		return User{}, linkError(op, ErrLinkInvalid)
	}
	if err != nil {
		return User{}, errs.E(op, errs.Other, err)
	}
	return u, nil
}

// Redemption is what redeeming a token does besides using it up: it
// verifies the e-mail (always: the person read the mail) and, for a reset,
// sets the password hash and ends every session of the person.
type Redemption struct {
	TokenHash    string
	Purpose      Purpose
	PasswordHash string // set for ResetPassword
	At           time.Time
}

// MintToken makes a token of purpose for user userID and returns it raw
// (to be mailed, never stored or published) with the user. It is called by
// the mail consumer, which holds the event that asked for the mail: the
// raw token never travels on the bus. Errors: NotFound (no such user),
// RateLimited (the person has been sent enough of these lately: mail
// nothing).
func (s *Service) MintToken(ctx context.Context, userID string, purpose Purpose) (string, User, error) {
	const op = "identity.MintToken"
	u, err := s.Store.UserByID(ctx, userID)
	if err != nil {
		return "", User{}, errs.E(op, errs.Other, err)
	}
	p := TokenPolicyOf(purpose)
	now := s.Now()
	raw := randomToken(tokenBytes)
	t := Token{Hash: hashSecret(raw), UserID: u.ID, Purpose: purpose, CreatedAt: now, ExpiresAt: now.Add(p.Lifetime)}
	if err := s.Store.CreateToken(ctx, t, now.Add(-p.Window), p.PerUser); err != nil {
		return "", User{}, errs.E(op, errs.Other, err)
	}
	return raw, u, nil
}

// rawToken checks the shape of a token from a link. Errors: Invalid.
func rawToken(op, token string) (string, error) {
	token = strings.TrimSpace(token)
	if len(token) < 40 || len(token) > 100 || strings.Trim(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		return "", linkError(op, ErrLinkInvalid)
	}
	return token, nil
}

// VerifyEmail redeems a verification token: the account's e-mail is
// verified from now on. Errors: Invalid (an unknown, expired, used or
// wrong-purpose token; nothing changed).
func (s *Service) VerifyEmail(ctx context.Context, token string) (User, error) {
	const op = "identity.VerifyEmail"
	raw, err := rawToken(op, token)
	if err != nil {
		return User{}, err
	}
	return s.redeem(ctx, op, Redemption{TokenHash: hashSecret(raw), Purpose: VerifyEmail, At: s.Now()})
}

// ResetPassword redeems a reset token: the account's password becomes
// password (the rules of registration), every session of the person ends
// and the e-mail counts as verified. Errors: Invalid (the password, or an
// unknown, expired, used or wrong-purpose token; nothing changed),
// Unavailable (too many passwords being hashed).
func (s *Service) ResetPassword(ctx context.Context, token, password string) (User, error) {
	const op = "identity.ResetPassword"
	raw, err := rawToken(op, token)
	if err != nil {
		return User{}, err
	}
	if err := validPassword(op, password); err != nil {
		return User{}, err
	}
	hash, err := s.Hasher.Hash(ctx, password)
	if err != nil {
		return User{}, errs.E(op, errs.Other, err)
	}
	return s.redeem(ctx, op, Redemption{TokenHash: hashSecret(raw), Purpose: ResetPassword, PasswordHash: hash, At: s.Now()})
}

// RequestPasswordReset asks for a reset link to be mailed to email, on the
// storefront channel (a channel code; empty: the mail chooses). It answers
// the same whether or not an account has the e-mail, so that no one learns
// which do: only an account's request becomes an event, and the mail
// consumer mails at most TokenPolicyOf(ResetPassword).PerUser links an
// hour. Errors: Invalid (not an e-mail address).
func (s *Service) RequestPasswordReset(ctx context.Context, email, channel string) error {
	const op = "identity.RequestPasswordReset"
	email, err := validEmail(op, email)
	if err != nil {
		return err
	}
	u, err := s.Store.UserByEmail(ctx, email)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return errs.E(op, errs.Other, err)
	}
	return s.requestMail(ctx, op, events.PasswordResetRequested, u, channel)
}

// RequestVerification asks for the signed-in person's verification link to
// be mailed again, on the storefront channel (empty: the mail chooses).
// Errors: Unauthenticated, Forbidden (an API key), Conflict (the e-mail is
// verified already).
func (s *Service) RequestVerification(ctx context.Context, actor Actor, channel string) error {
	const op = "identity.RequestVerification"
	if err := sessionHolder(op, actor); err != nil {
		return err
	}
	u, err := s.Store.UserByID(ctx, actor.UserID)
	if err != nil {
		return errs.E(op, errs.Other, err)
	}
	if u.EmailVerifiedAt != nil {
		return errs.E(op, errs.Conflict, "the e-mail is verified already")
	}
	return s.requestMail(ctx, op, events.VerificationRequested, u, channel)
}

func (s *Service) requestMail(ctx context.Context, op, typ string, u User, channel string) error {
	ch, err := text.Line(op, "channel", channel, 64, false)
	if err != nil {
		return err
	}
	ev := events.New(typ, u.ID, "", s.Now(), events.Account{V: events.AccountV1, UserID: u.ID, Role: string(u.Role), Channel: ch})
	if err := s.Store.AddEvents(ctx, ev); err != nil {
		return errs.E(op, errs.Other, err)
	}
	return nil
}
