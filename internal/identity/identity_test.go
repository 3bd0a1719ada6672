package identity_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

const pw = "correct horse battery"

type env struct {
	db    *sqlstore.DB
	id    *identity.Service
	clock *testkit.Clock
	h     *identity.Hasher
}

func newEnv(t *testing.T, db *sqlstore.DB) *env {
	t.Helper()
	e := &env{db: db, id: identity.NewService(db.Identity()), clock: testkit.NewClock(), h: identity.NewHasher(4, 30*time.Second)}
	e.id.Now, e.id.Hasher = e.clock.Now, e.h
	return e
}

func (e *env) buyer(t *testing.T, email string) identity.User {
	t.Helper()
	u, err := e.id.RegisterBuyer(context.Background(), identity.Registration{Email: email, Name: "B", Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *env) signIn(t *testing.T, c identity.Credentials) (string, identity.Session) {
	t.Helper()
	token, _, se, err := e.id.SignIn(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return token, se
}

func wantKind(t *testing.T, err error, kind errs.Kind) {
	t.Helper()
	if got := errs.KindOf(err); got != kind {
		t.Fatalf("error kind = %v, want %v (err: %v)", got, kind, err)
	}
}

// TestSignInThrottle locks an e-mail after five failures, with a
// Retry-After that doubles, refuses even the right password while locked,
// and forgets the failures on success. An unknown e-mail is throttled the
// same way and costs the same hashing work, locked or not, so neither the
// answer nor the work tells which e-mails have accounts.
func TestSignInThrottle(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.buyer(t, "known@example.com")
		for _, email := range []string{"Known@Example.com", "nobody@example.com"} {
			hashes := func() int64 { return e.h.Stats().Done }
			for i := 1; i <= 5; i++ {
				before := hashes()
				_, _, err := e.id.Login(ctx, email, "wrong password!")
				wantKind(t, err, errs.Unauthenticated)
				if got := hashes() - before; got != 1 {
					t.Fatalf("%s: failure %d hashed %d times, want 1", email, i, got)
				}
			}
			before := hashes()
			_, _, err := e.id.Login(ctx, email, pw)
			wantKind(t, err, errs.RateLimited)
			if got := errs.RetryAfter(err); got != time.Second {
				t.Fatalf("%s: Retry-After %s, want 1s", email, got)
			}
			if got := hashes() - before; got != 0 {
				t.Fatalf("%s: a locked attempt hashed %d times", email, got)
			}
			e.clock.Advance(time.Second)
			_, _, err = e.id.Login(ctx, email, "wrong again!!")
			wantKind(t, err, errs.Unauthenticated)
			_, _, err = e.id.Login(ctx, email, pw)
			if got := errs.RetryAfter(err); got != 2*time.Second {
				t.Fatalf("%s: Retry-After after the 6th failure %s, want 2s (err %v)", email, got, err)
			}
			e.clock.Advance(2 * time.Second)
			_, _, err = e.id.Login(ctx, email, pw)
			if email == "nobody@example.com" {
				wantKind(t, err, errs.Unauthenticated)
				continue
			}
			if err != nil {
				t.Fatalf("the right password after the lock: %v", err)
			}
			// The success reset the count: four failures pass unthrottled.
			for i := 0; i < 4; i++ {
				_, _, err := e.id.Login(ctx, email, "wrong password!")
				wantKind(t, err, errs.Unauthenticated)
			}
			if _, _, err := e.id.Login(ctx, email, pw); err != nil {
				t.Fatalf("after a reset: %v", err)
			}
		}
		// The sweep forgets records an hour old, not fresh ones.
		e.clock.Advance(2 * time.Hour)
		_, _, err := e.id.Login(ctx, "fresh@example.com", "wrong password!")
		wantKind(t, err, errs.Unauthenticated)
		_, n, err := e.id.Sweep(ctx)
		if err != nil || n != 1 {
			t.Fatalf("sweep deleted %d failure records (err %v), want 1 (nobody@)", n, err)
		}
	})
}

// TestSignInTakesTheSameTime compares the time of wrong sign-ins for an
// existing and an unknown e-mail, interleaved so that a busy machine slows
// both alike, by their fastest run (the least disturbed). The bound is loose:
// it catches an unknown e-mail that skips the hash (some 40 times faster).
func TestSignInTakesTheSameTime(t *testing.T) {
	db := testkit.Open(t, sqlstore.SQLite)
	e := newEnv(t, db)
	e.id.Throttle = nil
	e.buyer(t, "known@example.com")
	fastest := map[string]time.Duration{}
	for range 7 {
		for _, email := range []string{"known@example.com", "nobody@example.com"} {
			start := time.Now()
			_, _, err := e.id.Login(context.Background(), email, "wrong password!")
			d := time.Since(start)
			wantKind(t, err, errs.Unauthenticated)
			if f, ok := fastest[email]; !ok || d < f {
				fastest[email] = d
			}
		}
	}
	known, unknown := fastest["known@example.com"], fastest["nobody@example.com"]
	if r := float64(known) / float64(unknown); r > 3 || r < 1.0/3 {
		t.Fatalf("wrong sign-in takes %s for a known e-mail, %s for an unknown one", known, unknown)
	}
}

// TestSignInRefusesBadText answers 422 (Invalid), not a database error, to a
// NUL or invalid UTF-8 in the e-mail or password.
func TestSignInRefusesBadText(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		for _, c := range [][2]string{{"a\x00@example.com", pw}, {"\xff@example.com", pw}, {"a@example.com", "pass\x00word12"}, {"a@example.com", "\xffpassword12"}} {
			_, _, err := e.id.Login(context.Background(), c[0], c[1])
			wantKind(t, err, errs.Invalid)
		}
	})
}

// TestHashingIsBounded sends 200 concurrent sign-ins (unknown e-mails, so
// each hashes): no more than the hasher's places hash at once, every one is
// answered, and a caller whose context ends or who waits too long frees its
// place with Unavailable.
func TestHashingIsBounded(t *testing.T) {
	db := testkit.Open(t, sqlstore.SQLite)
	e := newEnv(t, db)
	e.h = identity.NewHasher(3, time.Minute)
	e.id.Hasher = e.h
	var wg sync.WaitGroup
	results := make(chan error, 200)
	for i := range 200 {
		wg.Go(func() {
			_, _, err := e.id.Login(context.Background(), fmt.Sprintf("n%d@example.com", i), "wrong password!")
			results <- err
		})
	}
	wg.Wait()
	close(results)
	for err := range results {
		wantKind(t, err, errs.Unauthenticated)
	}
	st := e.h.Stats()
	if st.Peak > 3 || st.Peak < 2 || st.Done != 200 || st.InFlight != 0 {
		t.Fatalf("stats %+v: want a peak of at most 3 (and some concurrency), 200 done", st)
	}

	// One place, taken: a waiter whose client gives up leaves at once; one
	// that waits past MaxWait is told to retry.
	h := identity.NewHasher(1, 200*time.Millisecond)
	e.id.Hasher = h
	release, err := identity.Hold(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	_, err = h.Hash(ctx, pw)
	wantKind(t, err, errs.Unavailable)
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("a cancelled waiter waited %s", d)
	}
	_, _, err = e.id.Login(context.Background(), "someone@example.com", "wrong password!")
	wantKind(t, err, errs.Unavailable)
	if got := errs.RetryAfter(err); got != time.Second {
		t.Fatalf("Retry-After %s, want 1s", got)
	}
	_, err = e.id.RegisterBuyer(context.Background(), identity.Registration{Email: "new@example.com", Name: "N", Password: pw})
	wantKind(t, err, errs.Unavailable)
	if st := h.Stats(); st.Refused != 2 {
		t.Fatalf("refused %d, want 2", st.Refused)
	}
}

// TestSessionLifetimes keeps an active staff session for 12 hours and no
// more, ends one idle for 30 minutes, gives a remembered buyer 30 days and
// writes last_seen_at at most once a minute; the sweep deletes what ended.
func TestSessionLifetimes(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		sys := identity.System
		if _, err := e.id.CreateOperator(ctx, sys, identity.Registration{Email: "op@example.com", Name: "Op", Password: pw}); err != nil {
			t.Fatal(err)
		}
		e.buyer(t, "b@example.com")
		active, _ := e.signIn(t, identity.Credentials{Email: "op@example.com", Password: pw, RememberMe: true})
		idle, _ := e.signIn(t, identity.Credentials{Email: "op@example.com", Password: pw})
		remembered, rse := e.signIn(t, identity.Credentials{Email: "b@example.com", Password: pw, RememberMe: true})
		plain, _ := e.signIn(t, identity.Credentials{Email: "b@example.com", Password: pw})
		if got := rse.ExpiresAt.Sub(rse.CreatedAt); got != 30*24*time.Hour {
			t.Fatalf("remembered buyer: %s", got)
		}
		auth := func(token string) error {
			_, err := e.id.Authenticate(ctx, token)
			return err
		}
		lastSeen := func(token string) time.Time {
			t.Helper()
			a, err := e.id.Authenticate(ctx, token)
			if err != nil {
				t.Fatal(err)
			}
			ss, err := e.id.ListSessions(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range ss {
				if s.Current {
					return s.LastSeenAt
				}
			}
			t.Fatal("no current session")
			return time.Time{}
		}
		start := e.clock.Now()
		e.clock.Advance(30 * time.Second)
		if got := lastSeen(active); !got.Equal(start) {
			t.Fatalf("last seen written within a minute: %s", got)
		}
		e.clock.Advance(31 * time.Second)
		if got := lastSeen(active); !got.Equal(e.clock.Now()) {
			t.Fatalf("last seen %s, want %s", got, e.clock.Now())
		}
		// Used every 20 minutes: alive to the 12th hour, then over.
		for e.clock.Now().Before(start.Add(12*time.Hour - 20*time.Minute)) {
			e.clock.Advance(20 * time.Minute)
			if err := auth(active); err != nil {
				t.Fatalf("active staff session ended at %s: %v", e.clock.Now().Sub(start), err)
			}
			if err := auth(remembered); err != nil {
				t.Fatal(err)
			}
		}
		wantKind(t, auth(idle), errs.Unauthenticated)
		wantKind(t, auth(plain), errs.Unauthenticated) // a buyer's 2 h idle
		e.clock.Advance(20 * time.Minute)
		wantKind(t, auth(active), errs.Unauthenticated)
		if err := auth(remembered); err != nil {
			t.Fatalf("remembered buyer after 12 h: %v", err)
		}
		n, _, err := e.id.Sweep(ctx)
		if err != nil || n != 3 {
			t.Fatalf("sweep deleted %d sessions (err %v), want 3", n, err)
		}
		e.clock.Advance(7*24*time.Hour + time.Minute)
		wantKind(t, auth(remembered), errs.Unauthenticated)
		if n, _, _ := e.id.Sweep(ctx); n != 1 {
			t.Fatalf("sweep deleted %d, want the idle remembered session", n)
		}
	})
}

// TestSessionsListedAndEnded lists one's sessions (current marked), refuses
// to end another person's, ends one by id, and signs out everywhere.
func TestSessionsListedAndEnded(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.buyer(t, "a@example.com")
		e.buyer(t, "b@example.com")
		t1, s1 := e.signIn(t, identity.Credentials{Email: "a@example.com", Password: pw})
		e.clock.Advance(time.Second)
		t2, s2 := e.signIn(t, identity.Credentials{Email: "a@example.com", Password: pw})
		tb, _ := e.signIn(t, identity.Credentials{Email: "b@example.com", Password: pw})
		a1, _ := e.id.Authenticate(ctx, t1)
		b, _ := e.id.Authenticate(ctx, tb)
		ss, err := e.id.ListSessions(ctx, a1)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range ss {
			got = append(got, fmt.Sprintf("%s %v", s.ID, s.Current))
		}
		if want := []string{s2.ID + " false", s1.ID + " true"}; !slices.Equal(got, want) {
			t.Fatalf("sessions %v, want %v", got, want)
		}
		wantKind(t, e.id.EndSession(ctx, b, s2.ID), errs.NotFound)
		if err := e.id.EndSession(ctx, a1, s2.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.id.Authenticate(ctx, t2)
		wantKind(t, err, errs.Unauthenticated)
		t3, _ := e.signIn(t, identity.Credentials{Email: "a@example.com", Password: pw})
		if n, err := e.id.LogoutEverywhere(ctx, a1); err != nil || n != 2 {
			t.Fatalf("logout everywhere ended %d (err %v), want 2", n, err)
		}
		for _, tok := range []string{t1, t3} {
			_, err := e.id.Authenticate(ctx, tok)
			wantKind(t, err, errs.Unauthenticated)
		}
		if _, err := e.id.Authenticate(ctx, tb); err != nil {
			t.Fatalf("another person's session ended: %v", err)
		}
		_, err = e.id.ListSessions(ctx, identity.Actor{Role: identity.Partner, PartnerID: "ptn_1", APIKeyID: "key_1"})
		wantKind(t, err, errs.Forbidden)
		_, err = e.id.LogoutEverywhere(ctx, identity.Actor{})
		wantKind(t, err, errs.Unauthenticated)
	})
}

// TestAPIKeysListedRevokedAndExpiring covers a key's life: created with an
// expiry, listed without its secret, last use recorded at most once a
// minute, refused once expired or revoked; only owners and operators manage
// keys, and a key named under another merchant is not found.
func TestAPIKeysListedRevokedAndExpiring(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		ms := merchant.NewService(db.Merchants())
		ms.Now = e.clock.Now
		owner := func(name, email string) (string, identity.Actor) {
			m, _, err := ms.Apply(ctx, identity.Actor{}, merchant.Application{Name: name, Country: "FR",
				Trader: merchant.Trader{LegalName: name, RegistrationNumber: "1", Address: "Paris", Email: email, Phone: "+33 1", SelfCertified: true},
				Owner:  identity.Registration{Email: email, Name: name, Password: pw}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ms.Approve(ctx, identity.System, m.ID); err != nil {
				t.Fatal(err)
			}
			tok, _ := e.signIn(t, identity.Credentials{Email: email, Password: pw})
			a, err := e.id.Authenticate(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			return m.ID, a
		}
		mA, ownerA := owner("A", "a@example.com")
		mB, ownerB := owner("B", "b@example.com")

		past := e.clock.Now().Add(-time.Minute)
		_, _, err := e.id.CreateAPIKey(ctx, ownerA, mA, "", identity.APIKeyInput{Name: "old", ExpiresAt: &past})
		wantKind(t, err, errs.Invalid)
		_, _, err = e.id.CreateAPIKey(ctx, ownerA, mA, "", identity.APIKeyInput{Name: "both", ExpiresAt: &past, ExpiresInDays: 1})
		wantKind(t, err, errs.Invalid)
		rawDay, day, err := e.id.CreateAPIKey(ctx, ownerA, mA, "", identity.APIKeyInput{Name: "a day", ExpiresInDays: 1})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Second)
		rawKeep, keep, err := e.id.CreateAPIKey(ctx, ownerA, mA, "", identity.APIKeyInput{Name: "erp"})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = e.id.CreateAPIKey(ctx, ownerB, mB, "", identity.APIKeyInput{Name: "b"})
		if err != nil {
			t.Fatal(err)
		}

		use := func(raw string) error {
			a, err := e.id.AuthenticateKey(ctx, raw)
			if err == nil {
				if _, err := e.id.Me(ctx, a); err != nil {
					t.Fatalf("Me for a key: %v", err)
				}
			}
			return err
		}
		list := func(actor identity.Actor, m string) map[string]identity.APIKey {
			t.Helper()
			ks, err := e.id.APIKeys(ctx, actor, m, "")
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]identity.APIKey{}
			for _, k := range ks {
				out[k.Name] = k
			}
			return out
		}
		created := e.clock.Now()
		if err := use(rawDay); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(30 * time.Second)
		if err := use(rawDay); err != nil {
			t.Fatal(err)
		}
		ks := list(ownerA, mA)
		if len(ks) != 2 || ks["a day"].LastUsedAt == nil || !ks["a day"].LastUsedAt.Equal(created) || ks["erp"].LastUsedAt != nil {
			t.Fatalf("keys after use: %+v", ks)
		}
		if k := ks["a day"]; k.Prefix != "sesame_"+day.ID+"." || k.ExpiresAt == nil || !k.ExpiresAt.Equal(day.CreatedAt.Add(24*time.Hour)) {
			t.Fatalf("listed key %+v", k)
		}
		if len(list(identity.System, mA)) != 2 {
			t.Fatal("an operator does not see the keys")
		}
		_, err = e.id.APIKeys(ctx, ownerB, mA, "")
		wantKind(t, err, errs.Forbidden)
		keyActor, _ := e.id.AuthenticateKey(ctx, rawKeep)
		_, err = e.id.APIKeys(ctx, keyActor, mA, "")
		wantKind(t, err, errs.Forbidden)

		e.clock.Advance(24 * time.Hour)
		wantKind(t, use(rawDay), errs.Unauthenticated)
		if err := use(rawKeep); err != nil {
			t.Fatal(err)
		}

		wantKind(t, e.id.RevokeAPIKey(ctx, ownerB, mA, "", keep.ID), errs.Forbidden)
		wantKind(t, e.id.RevokeAPIKey(ctx, ownerB, mB, "", keep.ID), errs.NotFound)
		wantKind(t, e.id.RevokeAPIKey(ctx, keyActor, mA, "", keep.ID), errs.Forbidden)
		if err := e.id.RevokeAPIKey(ctx, ownerA, mA, "", keep.ID); err != nil {
			t.Fatal(err)
		}
		wantKind(t, use(rawKeep), errs.Unauthenticated)
		revokedAt := *list(ownerA, mA)["erp"].RevokedAt
		e.clock.Advance(time.Hour)
		if err := e.id.RevokeAPIKey(ctx, identity.System, mA, "", keep.ID); err != nil {
			t.Fatalf("revoking again: %v", err)
		}
		if got := *list(ownerA, mA)["erp"].RevokedAt; !got.Equal(revokedAt) {
			t.Fatalf("revoked_at moved from %s to %s", revokedAt, got)
		}
		wantKind(t, e.id.RevokeAPIKey(ctx, ownerA, mA, "", "key_0"), errs.NotFound)
		names := []string{}
		for n := range list(ownerA, mA) {
			names = append(names, n)
		}
		sort.Strings(names)
		if !slices.Equal(names, []string{"a day", "erp"}) {
			t.Fatalf("keys %v", names)
		}
	})
}

// TestConcurrentGuessesAreCounted sends 40 wrong sign-ins for one e-mail at
// once, on a stopped clock: exactly the five the policy allows are checked
// and the other 35 are refused, on either engine (the record is taken under
// a lock, so concurrent attempts cannot all read "no failures yet").
func TestConcurrentGuessesAreCounted(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		e.buyer(t, "target@example.com")
		var wg sync.WaitGroup
		var mu sync.Mutex
		kinds := map[errs.Kind]int{}
		for range 40 {
			wg.Go(func() {
				_, _, err := e.id.Login(context.Background(), "target@example.com", "wrong password!")
				mu.Lock()
				kinds[errs.KindOf(err)]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if kinds[errs.Unauthenticated] != 5 || kinds[errs.RateLimited] != 35 {
			t.Fatalf("outcomes %v, want 5 unauthenticated and 35 rate-limited", kinds)
		}
	})
}

// TestSweepEvery runs the periodic sweep: it deletes an ended session within
// a few intervals and returns once its context ends.
func TestSweepEvery(t *testing.T) {
	db := testkit.Open(t, sqlstore.SQLite)
	e := newEnv(t, db)
	u := e.buyer(t, "b@example.com")
	e.signIn(t, identity.Credentials{Email: "b@example.com", Password: pw})
	e.clock.Advance(3 * time.Hour) // past a buyer's 2 h idle timeout
	ctx, cancel := context.WithCancel(context.Background())
	swept := make(chan int64, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.id.SweepEvery(ctx, 10*time.Millisecond, func(n, _ int64, err error) {
			if err != nil {
				t.Error(err)
			}
			swept <- n
		})
	}()
	deadline := time.After(5 * time.Second)
	for total := int64(0); total < 1; {
		select {
		case n := <-swept:
			total += n
		case <-deadline:
			t.Fatal("the sweep never deleted the ended session")
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the sweep did not stop with its context")
	}
	ss, err := db.Identity().ListSessions(context.Background(), u.ID)
	if err != nil || len(ss) != 0 {
		t.Fatalf("sessions left: %v %v", ss, err)
	}
}
