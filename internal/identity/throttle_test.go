package identity

import (
	"testing"
	"time"
)

// TestThrottleBacksOffExponentially follows one e-mail through failures:
// free tries up to the threshold, then a lock that doubles with each failure
// up to the cap; attempts while locked are refused without lengthening it;
// failures an hour apart are forgiven.
func TestThrottleBacksOffExponentially(t *testing.T) {
	p := DefaultThrottlePolicy()
	now := time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)
	var f LoginFailures
	attempt := func() time.Duration {
		t.Helper()
		next, wait := p.Attempt(f, now)
		if wait == 0 {
			f = next
		} else if next != f {
			t.Fatalf("a refused attempt changed the record: %+v -> %+v", f, next)
		}
		return wait
	}
	for i := 1; i <= 4; i++ {
		if w := attempt(); w != 0 {
			t.Fatalf("attempt %d refused (wait %s)", i, w)
		}
		if !f.LockedUntil.IsZero() {
			t.Fatalf("locked after %d failures", i)
		}
	}
	if w := attempt(); w != 0 || f.LockedUntil != now.Add(time.Second) {
		t.Fatalf("5th attempt: wait %s, locked until %s; want allowed, then locked 1 s", w, f.LockedUntil)
	}
	if w := attempt(); w != time.Second {
		t.Fatalf("while locked: wait %s, want 1s", w)
	}
	now = now.Add(400 * time.Millisecond)
	if w := attempt(); w != 600*time.Millisecond {
		t.Fatalf("while locked: wait %s, want 600ms", w)
	}
	want := time.Second
	for i := 6; i <= 20; i++ {
		now = f.LockedUntil
		want = min(2*want, 15*time.Minute)
		if w := attempt(); w != 0 {
			t.Fatalf("attempt %d at the end of the lock refused", i)
		}
		if got := f.LockedUntil.Sub(now); got != want {
			t.Fatalf("after failure %d: locked %s, want %s", i, got, want)
		}
	}
	if want != 15*time.Minute {
		t.Fatalf("the lock never reached its cap: %s", want)
	}
	now = f.LastFailedAt.Add(time.Hour + time.Second)
	if w := attempt(); w != 0 || f.Failures != 1 || !f.LockedUntil.IsZero() {
		t.Fatalf("an hour later: wait %s, %+v; want a fresh count", w, f)
	}
	if got := p.ForgetBefore(now); got != now.Add(-time.Hour) {
		t.Fatalf("ForgetBefore = %s", got)
	}
	if _, w := (ThrottlePolicy{}).Attempt(LoginFailures{LockedUntil: now.Add(time.Hour)}, now); w != 0 {
		t.Fatal("a zero policy throttles")
	}
}

// TestSessionPolicy gives staff, partners and operators the strict lifetime
// whatever they ask, and buyers the long one only with "remember me".
func TestSessionPolicy(t *testing.T) {
	p := DefaultSessionPolicy()
	for _, tc := range []struct {
		role     Role
		remember bool
		want     Lifetime
	}{
		{Staff, true, Lifetime{12 * time.Hour, 30 * time.Minute}},
		{Partner, false, Lifetime{12 * time.Hour, 30 * time.Minute}},
		{Operator, true, Lifetime{12 * time.Hour, 30 * time.Minute}},
		{Buyer, false, Lifetime{12 * time.Hour, 2 * time.Hour}},
		{Buyer, true, Lifetime{30 * 24 * time.Hour, 7 * 24 * time.Hour}},
	} {
		if got := p.For(tc.role, tc.remember); got != tc.want {
			t.Errorf("For(%s, %v) = %+v, want %+v", tc.role, tc.remember, got, tc.want)
		}
	}
	now := time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)
	s := newSession("ses_1", "h", "usr_1", now, Lifetime{Absolute: time.Hour, Idle: 30 * time.Minute})
	if _, write := s.seen(now.Add(59 * time.Second)); write {
		t.Error("a session seen within a minute is written again")
	}
	s2, write := s.seen(now.Add(50 * time.Minute))
	if !write || s2.IdleExpiresAt != s.ExpiresAt {
		t.Errorf("idle expiry beyond the absolute one: %v %s", write, s2.IdleExpiresAt)
	}
	if !s.Expired(now.Add(30*time.Minute)) || s.Expired(now.Add(29*time.Minute)) {
		t.Error("idle expiry is off")
	}
}
