package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/sesame-market/sesame/internal/errs"
)

// Argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).
// They are stored with each hash, so they can be raised without a migration.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// HashMemory is the memory one password hash (or check) takes, in bytes.
const HashMemory = argonMemory * 1024

// DefaultHashBudget is the memory that password hashing may take at once
// unless configured otherwise: 128 MiB, six hashes in flight (fewer on
// machines with fewer than 5 CPUs; see HashSlots).
const DefaultHashBudget = 128 << 20

// DefaultHashWait is how long a hash waits for a free place before the call
// is refused as Unavailable.
const DefaultHashWait = 5 * time.Second

var b64 = base64.RawStdEncoding

// Hasher hashes and checks passwords with at most a fixed number of hashes
// in flight. Each argon2id hash takes HashMemory bytes: without a bound, a
// burst of sign-ins takes the process's memory with it (32 concurrent logins
// once took it from 98 MB to 1.1 GB).
type Hasher struct {
	slots chan struct{}
	// MaxWait is how long a call waits for a place before it is refused
	// (Unavailable, retry after a second).
	MaxWait time.Duration

	mu    sync.Mutex
	stats HasherStats
}

// HasherStats count a hasher's work.
type HasherStats struct {
	InFlight int   // hashes running now
	Peak     int   // the most that ever ran at once
	Done     int64 // hashes and checks completed
	Refused  int64 // calls refused after MaxWait
}

// NewHasher returns a hasher with the given number of places (at least 1).
func NewHasher(slots int, maxWait time.Duration) *Hasher {
	return &Hasher{slots: make(chan struct{}, max(1, slots)), MaxWait: maxWait}
}

// HashSlots returns the number of hashes that fit in budget bytes, and no
// more than cpus, at least 1. A hash is CPU-bound (one lane), so more in
// flight than CPUs do not finish sooner; they only hold their memory longer,
// and the garbage collector's headroom doubles it. Measured on 2 CPUs under
// 1,000 concurrent wrong sign-ins (scripts/login-flood.sh): 2 in flight
// peaked at 216 MB RSS, 3 at 249 to 290 MB, 6 at 377 MB, for about the same
// sign-ins per second.
func HashSlots(budget int64, cpus int) int {
	return int(max(1, min(budget/HashMemory, int64(cpus))))
}

// Slots returns the number of hashes that may run at once.
func (h *Hasher) Slots() int { return cap(h.slots) }

// Stats returns the hasher's counts.
func (h *Hasher) Stats() HasherStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stats
}

// acquire takes a place, waiting at most MaxWait and only as long as ctx
// lives, so that a client that gives up frees its place in the queue.
// Errors: Unavailable.
func (h *Hasher) acquire(ctx context.Context) (release func(), err error) {
	const op = "identity.hash"
	var timeout <-chan time.Time
	if h.MaxWait > 0 {
		t := time.NewTimer(h.MaxWait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, errs.E(op, errs.Unavailable, ctx.Err())
	case <-timeout:
		h.mu.Lock()
		h.stats.Refused++
		h.mu.Unlock()
		return nil, errs.Retry(op, errs.Unavailable, time.Second, "too many sign-ins at once; retry shortly")
	}
	h.mu.Lock()
	h.stats.InFlight++
	h.stats.Peak = max(h.stats.Peak, h.stats.InFlight)
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		h.stats.InFlight--
		h.stats.Done++
		h.mu.Unlock()
		<-h.slots
	}, nil
}

// Hash returns the argon2id hash of password in the PHC string format.
// Errors: Unavailable (no place in time), Internal.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return hashPassword(password)
}

// Check reports whether password matches the PHC-encoded hash. Errors:
// Unavailable (no place in time).
func (h *Hasher) Check(ctx context.Context, hash, password string) (bool, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	return checkPassword(hash, password), nil
}

// NewDefaultHasher returns a hasher with the default budget for this
// machine's CPUs. Each service built by NewService gets its own; a process
// that serves shares one between every service that hashes (cmd/sesame
// wires it), so that the memory bound is the process's.
func NewDefaultHasher() *Hasher {
	return NewHasher(HashSlots(DefaultHashBudget, runtime.GOMAXPROCS(0)), DefaultHashWait)
}

func hashPassword(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// checkPassword reports whether password matches the PHC-encoded hash.
func checkPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	// A stored hash asking for more memory than Sesame's own parameters
	// would break the bound the hasher keeps.
	if m > argonMemory || p != argonThreads {
		return false
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when a login names an unknown email, so that
// the response time does not reveal which emails have accounts. It is a
// constant (the hash of a throwaway password, made once with Sesame's
// parameters) rather than a hash computed at start-up, so that importing the
// package costs no argon2 run and holds no state; TestDummyHashUsesOurParameters
// keeps its parameters those of a real hash, or the timing would differ.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$Sl0xWr4DWXmgjcLD6ZGTdA$LV6VCplUvxtybQQzl/gbAgPWF+qXrGbUO+sRoBET5OE"
