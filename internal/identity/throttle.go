package identity

import "time"

// ThrottlePolicy slows down password guessing against one account: after
// Threshold failed sign-ins, each one less than Window after the one before,
// the account is locked for BaseLock, doubling with every further failure up
// to MaxLock. A successful sign-in forgets the failures. The lock is short
// and grows only with failures, so that a stranger cannot lock a person out
// for long, while a guesser gets a few dozen tries a day instead of millions.
type ThrottlePolicy struct {
	Threshold int // 0 turns throttling off
	Window    time.Duration
	BaseLock  time.Duration
	MaxLock   time.Duration
}

// DefaultThrottlePolicy locks after 5 failures for 1 s, doubling up to
// 15 min; failures are forgotten an hour after the last one. It is a function
// rather than a variable so that no code can change every service's policy
// at once.
func DefaultThrottlePolicy() ThrottlePolicy {
	return ThrottlePolicy{Threshold: 5, Window: time.Hour, BaseLock: time.Second, MaxLock: 15 * time.Minute}
}

// LoginFailures is the record of failed sign-ins for one lower-cased
// e-mail, whether or not an account has it.
type LoginFailures struct {
	Email        string
	Failures     int
	LastFailedAt time.Time
	LockedUntil  time.Time // zero when not locked
}

// Attempt decides on a sign-in attempt at now given the e-mail's record. While
// the record is locked the attempt is refused: wait is how long is left, and
// next is f unchanged (refused attempts do not lengthen the lock). Otherwise
// the attempt is counted as a failure in advance (next is the record to
// store before the password is checked; a success clears it), so that
// concurrent guesses cannot all slip in before the first failure is
// recorded.
func (p ThrottlePolicy) Attempt(f LoginFailures, now time.Time) (next LoginFailures, wait time.Duration) {
	if p.Threshold <= 0 {
		return f, 0
	}
	if now.Before(f.LockedUntil) {
		return f, f.LockedUntil.Sub(now)
	}
	next = f
	if !f.LastFailedAt.IsZero() && now.Sub(f.LastFailedAt) > p.Window {
		next.Failures = 0
	}
	next.Failures++
	next.LastFailedAt = now
	next.LockedUntil = time.Time{}
	if next.Failures >= p.Threshold {
		next.LockedUntil = now.Add(p.lock(next.Failures - p.Threshold))
	}
	return next, 0
}

// lock returns BaseLock doubled n times, at most MaxLock.
func (p ThrottlePolicy) lock(n int) time.Duration {
	d := p.BaseLock
	for i := 0; i < n && d < p.MaxLock; i++ {
		d *= 2
	}
	return min(d, p.MaxLock)
}

// ForgetBefore returns the time before which a record whose last failure
// came earlier no longer matters (neither counted nor locked), for the sweep.
func (p ThrottlePolicy) ForgetBefore(now time.Time) time.Time {
	return now.Add(-max(p.Window, p.MaxLock))
}
