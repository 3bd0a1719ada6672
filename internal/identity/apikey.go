package identity

import (
	"context"
	"crypto/subtle"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/text"
)

// APIKey lets a merchant's or partner's integration call the API. The secret
// is shown once, at creation; only its hash is stored.
type APIKey struct {
	ID         string     `json:"id"`
	Prefix     string     `json:"prefix" doc:"How the key starts: enough to recognise it, useless to call with"`
	Name       string     `json:"name"`
	MerchantID string     `json:"merchant_id,omitempty"`
	PartnerID  string     `json:"partner_id,omitempty"`
	SecretHash string     `json:"-"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty" doc:"When the key stops working; absent if it does not expire"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty" doc:"The last request made with the key, to the minute"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	// MerchantStatus is the status of the key's merchant, read with the key.
	MerchantStatus string `json:"-"`
}

// APIKeyPrefix starts every API key, so that leaked keys are easy to scan for.
const APIKeyPrefix = "sesame_"

func (k APIKey) prefix() string { return APIKeyPrefix + k.ID + "." }

// Usable reports whether the key may authenticate at now: neither revoked
// nor expired.
func (k APIKey) Usable(now time.Time) bool {
	return k.RevokedAt == nil && (k.ExpiresAt == nil || now.Before(*k.ExpiresAt))
}

// APIKeyInput describes a new API key.
type APIKeyInput struct {
	Name          string     `json:"name" minLength:"1" maxLength:"100"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty" doc:"When the key stops working (RFC 3339, in the future). Omit both this and expires_in_days for a key that does not expire."`
	ExpiresInDays int        `json:"expires_in_days,omitempty" minimum:"1" maximum:"3650" doc:"The key stops working this many days from now"`
}

// keyOwner checks that exactly one of merchantID and partnerID is set and
// that actor may manage that owner's keys: a merchant's owners, a partner's
// users (people, not keys), and for listing and revoking operators.
func keyOwner(op string, actor Actor, merchantID, partnerID string, operatorsToo bool) error {
	if (merchantID == "") == (partnerID == "") {
		return errs.E(op, errs.Invalid, "a key belongs to exactly one merchant or partner")
	}
	if operatorsToo && actor.IsOperator() {
		return nil
	}
	if merchantID != "" && !actor.OwnerOf(merchantID) {
		return errs.E(op, errs.Forbidden, "only the merchant's owners may manage its API keys")
	}
	if partnerID != "" && (!actor.OperatesFor(partnerID) || actor.APIKeyID != "") {
		return errs.E(op, errs.Forbidden, "only the partner's users may manage its API keys")
	}
	return nil
}

// CreateAPIKey creates an API key for merchant merchantID (its owners may) or
// partner partnerID (its users may); exactly one must be set. It returns the
// raw key, which is never shown again. Errors: Forbidden, Invalid.
func (s *Service) CreateAPIKey(ctx context.Context, actor Actor, merchantID, partnerID string, in APIKeyInput) (string, APIKey, error) {
	const op = "identity.CreateAPIKey"
	if err := keyOwner(op, actor, merchantID, partnerID, false); err != nil {
		return "", APIKey{}, err
	}
	if err := RefuseUnapproved(op, actor); err != nil {
		return "", APIKey{}, err
	}
	name, err := text.Line(op, "name", in.Name, 100, true)
	if err != nil {
		return "", APIKey{}, err
	}
	now := s.Now()
	k := APIKey{ID: ids.New(ids.APIKey), Name: name, MerchantID: merchantID, PartnerID: partnerID, CreatedBy: actor.UserID, CreatedAt: now}
	switch {
	case in.ExpiresAt != nil && in.ExpiresInDays != 0:
		return "", APIKey{}, errs.Field(op, "expires_at", "give expires_at or expires_in_days, not both")
	case in.ExpiresAt != nil:
		t := in.ExpiresAt.UTC()
		if !t.After(now) {
			return "", APIKey{}, errs.Field(op, "expires_at", "must be in the future")
		}
		k.ExpiresAt = &t
	case in.ExpiresInDays < 0 || in.ExpiresInDays > 3650:
		return "", APIKey{}, errs.Field(op, "expires_in_days", "must be 1 to 3650")
	case in.ExpiresInDays > 0:
		t := now.AddDate(0, 0, in.ExpiresInDays)
		k.ExpiresAt = &t
	}
	secret := randomToken(32)
	k.SecretHash = hashSecret(secret)
	if err := s.Store.CreateAPIKey(ctx, k); err != nil {
		return "", APIKey{}, errs.E(op, errs.Other, err)
	}
	k.Prefix = k.prefix()
	return k.Prefix + secret, k, nil
}

// APIKeys lists the keys of merchant merchantID or partner partnerID (one
// set), revoked and expired ones included, newest first; never their
// secrets. The merchant's owners, the partner's users and operators may.
// Errors: Forbidden, Invalid.
func (s *Service) APIKeys(ctx context.Context, actor Actor, merchantID, partnerID string) ([]APIKey, error) {
	const op = "identity.APIKeys"
	if err := keyOwner(op, actor, merchantID, partnerID, true); err != nil {
		return nil, err
	}
	ks, err := s.Store.ListAPIKeys(ctx, merchantID, partnerID)
	if err != nil {
		return nil, errs.E(op, errs.Other, err)
	}
	for i := range ks {
		ks[i].Prefix = ks[i].prefix()
	}
	return ks, nil
}

// RevokeAPIKey revokes key keyID of merchant merchantID or partner partnerID:
// it is refused from the next request on. Revoking a revoked key changes
// nothing. The merchant's owners, the partner's users and operators may.
// Errors: Forbidden, Invalid, NotFound (no such key of that owner).
func (s *Service) RevokeAPIKey(ctx context.Context, actor Actor, merchantID, partnerID, keyID string) error {
	const op = "identity.RevokeAPIKey"
	if err := keyOwner(op, actor, merchantID, partnerID, true); err != nil {
		return err
	}
	k, err := s.Store.APIKeyByID(ctx, keyID)
	if err == nil && (k.MerchantID != merchantID || k.PartnerID != partnerID) {
		err = errs.E(op, errs.NotFound, "API key not found")
	}
	if err == nil {
		err = s.Store.RevokeAPIKey(ctx, k.ID, s.Now())
	}
	if err != nil {
		return errs.E(op, errs.Other, err)
	}
	return nil
}

// AuthenticateKey returns the actor of a raw API key, and records the use
// (at most once a minute). Errors: Unauthenticated (unknown, revoked or
// expired).
func (s *Service) AuthenticateKey(ctx context.Context, raw string) (Actor, error) {
	const op = "identity.AuthenticateKey"
	bad := errs.E(op, errs.Unauthenticated, "unknown, revoked or expired API key")
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
	now := s.Now()
	if subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(k.SecretHash)) != 1 || !k.Usable(now) {
		return Actor{}, bad
	}
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= touchEvery {
		if err := s.Store.TouchAPIKey(ctx, k.ID, now); err != nil {
			return Actor{}, errs.E(op, errs.Other, err)
		}
	}
	if k.MerchantID != "" {
		return Actor{Role: Staff, APIKeyID: k.ID, MerchantID: k.MerchantID, StaffRole: StaffMember, MerchantStatus: k.MerchantStatus}, nil
	}
	return Actor{Role: Partner, APIKeyID: k.ID, PartnerID: k.PartnerID}, nil
}
