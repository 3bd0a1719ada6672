package identity

import (
	"context"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
)

// Lifetime bounds a session: it ends Absolute after sign-in, or Idle after
// the last request, whichever comes first.
type Lifetime struct {
	Absolute time.Duration
	Idle     time.Duration
}

// SessionPolicy gives each kind of session its lifetime.
type SessionPolicy struct {
	// Staff applies to merchant staff, partners and operators, who act for
	// others and hold rights worth stealing.
	Staff Lifetime
	// Buyer applies to a buyer's session without "remember me".
	Buyer Lifetime
	// Remembered applies to a buyer's session with "remember me".
	Remembered Lifetime
}

// DefaultSessionPolicy follows OWASP ASVS level 2 (3.3.2: re-authenticate
// at least every 12 hours or after 30 minutes of inactivity) for everyone who
// acts for a merchant, a partner or the marketplace; buyers, who risk only
// their own account, may stay signed in on a device they trust. It is a
// function rather than a variable so that no code can change every
// service's policy at once.
func DefaultSessionPolicy() SessionPolicy {
	return SessionPolicy{
		Staff:      Lifetime{Absolute: 12 * time.Hour, Idle: 30 * time.Minute},
		Buyer:      Lifetime{Absolute: 12 * time.Hour, Idle: 2 * time.Hour},
		Remembered: Lifetime{Absolute: 30 * 24 * time.Hour, Idle: 7 * 24 * time.Hour},
	}
}

// For returns the lifetime of a session of role; remember is honoured for
// buyers only.
func (p SessionPolicy) For(role Role, remember bool) Lifetime {
	switch {
	case role != Buyer:
		return p.Staff
	case remember:
		return p.Remembered
	}
	return p.Buyer
}

// touchEvery is how stale last_seen_at may get: a session is written at most
// once a minute however often it is used, so that reads do not become
// writes. The idle timeout is thus up to a minute shorter than configured.
const touchEvery = time.Minute

// Session is a signed-in person's cookie session. Only the token's hash is
// stored; ID is the public name by which the session is listed and ended.
type Session struct {
	ID            string        `json:"id"`
	TokenHash     string        `json:"-"`
	UserID        string        `json:"-"`
	CreatedAt     time.Time     `json:"created_at"`
	LastSeenAt    time.Time     `json:"last_seen_at" doc:"The last request, to the minute"`
	ExpiresAt     time.Time     `json:"expires_at" doc:"When the session ends however active it is"`
	IdleTimeout   time.Duration `json:"-"`
	IdleExpiresAt time.Time     `json:"idle_expires_at" doc:"When the session ends unless used before"`
	Current       bool          `json:"current" doc:"Whether this is the session of the request"`
}

// newSession returns a session opened at now with lifetime l.
func newSession(id, tokenHash, userID string, now time.Time, l Lifetime) Session {
	s := Session{ID: id, TokenHash: tokenHash, UserID: userID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(l.Absolute), IdleTimeout: l.Idle}
	s.IdleExpiresAt = earlier(now.Add(l.Idle), s.ExpiresAt)
	return s
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Expired reports whether the session has ended at now, by either limit.
func (s Session) Expired(now time.Time) bool {
	return !now.Before(s.ExpiresAt) || !now.Before(s.IdleExpiresAt)
}

// seen returns the session as used at now, and whether that is worth a write
// (the last one is at least touchEvery old).
func (s Session) seen(now time.Time) (Session, bool) {
	if now.Sub(s.LastSeenAt) < touchEvery {
		return s, false
	}
	s.LastSeenAt = now
	s.IdleExpiresAt = earlier(now.Add(s.IdleTimeout), s.ExpiresAt)
	return s, true
}

// ListSessions lists the signed-in person's live sessions, newest first, the
// current one marked. Errors: Unauthenticated (anonymous), Forbidden (an API
// key has no sessions).
func (s *Service) ListSessions(ctx context.Context, actor Actor) ([]Session, error) {
	const op = "identity.ListSessions"
	if err := sessionHolder(op, actor); err != nil {
		return nil, err
	}
	all, err := s.Store.ListSessions(ctx, actor.UserID)
	if err != nil {
		return nil, errs.E(op, errs.Other, err)
	}
	now := s.Now()
	out := make([]Session, 0, len(all))
	for _, se := range all {
		if se.Expired(now) {
			continue
		}
		se.Current = se.ID == actor.SessionID
		out = append(out, se)
	}
	return out, nil
}

// EndSession ends one of the signed-in person's sessions. Errors:
// Unauthenticated, Forbidden (an API key), NotFound (no such session of
// theirs).
func (s *Service) EndSession(ctx context.Context, actor Actor, id string) error {
	const op = "identity.EndSession"
	if err := sessionHolder(op, actor); err != nil {
		return err
	}
	if err := s.Store.DeleteUserSession(ctx, actor.UserID, id); err != nil {
		return errs.E(op, errs.Other, err)
	}
	return nil
}

// LogoutEverywhere ends every session of the signed-in person, the current
// one included, and returns how many ended. Errors: Unauthenticated,
// Forbidden (an API key).
func (s *Service) LogoutEverywhere(ctx context.Context, actor Actor) (int64, error) {
	const op = "identity.LogoutEverywhere"
	if err := sessionHolder(op, actor); err != nil {
		return 0, err
	}
	n, err := s.Store.DeleteUserSessions(ctx, actor.UserID)
	if err != nil {
		return 0, errs.E(op, errs.Other, err)
	}
	return n, nil
}

func sessionHolder(op string, actor Actor) error {
	switch {
	case actor.IsAnonymous():
		return errs.E(op, errs.Unauthenticated, "sign in to manage your sessions")
	case actor.UserID == "":
		return errs.E(op, errs.Forbidden, "an API key has no sessions")
	}
	return nil
}

// Sweep deletes the sessions that have ended, the sign-in failure records
// that no longer matter and the mailed tokens expired a day ago, and
// returns how many sessions and records it deleted. Errors: Internal.
func (s *Service) Sweep(ctx context.Context) (sessions, failures int64, err error) {
	const op = "identity.Sweep"
	now := s.Now()
	if sessions, err = s.Store.DeleteExpiredSessions(ctx, now); err != nil {
		return 0, 0, errs.E(op, errs.Other, err)
	}
	if failures, err = s.Store.DeleteLoginFailuresBefore(ctx, s.throttle().ForgetBefore(now)); err != nil {
		return sessions, 0, errs.E(op, errs.Other, err)
	}
	// Mailed tokens a day past their expiry: a link that late is refused
	// as unknown rather than as expired, and the counts of recent mints
	// never reach that far back.
	if _, err = s.Store.DeleteTokensBefore(ctx, now.Add(-24*time.Hour)); err != nil {
		return sessions, failures, errs.E(op, errs.Other, err)
	}
	return sessions, failures, nil
}

// SweepEvery runs Sweep every interval until ctx ends, reporting each
// outcome to report (which may be nil).
func (s *Service) SweepEvery(ctx context.Context, interval time.Duration, report func(sessions, failures int64, err error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, f, err := s.Sweep(ctx)
			if report != nil && ctx.Err() == nil {
				report(n, f, err)
			}
		}
	}
}
