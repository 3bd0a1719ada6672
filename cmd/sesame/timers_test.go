package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestSweepsRunAsTimers runs Sesame's recurring timers once: the session
// sweep forgets an old sign-in failure, the idempotency-key sweep an
// expired key, and each timer is then due again one interval later.
func TestSweepsRunAsTimers(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		clock := testkit.NewClock()
		db.Now = clock.Now
		ids := identity.NewService(db.Identity())
		ids.Now, ids.Hasher = clock.Now, identity.NewHasher(1, 30*time.Second)
		if _, _, err := ids.Login(ctx, "nobody@example.com", "wrong password!"); err == nil {
			t.Fatal("signed in as nobody")
		}
		rctx, _, err := db.Idempotency().Claim(ctx, "test", "key-1", "hash")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Idempotency().Complete(rctx, 201, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		count := func(table string) int {
			var n int
			if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if count("login_failures") != 1 || count("idempotency_keys") != 1 {
			t.Fatal("setup wrote no failure or no key")
		}
		clock.Advance(30 * 24 * time.Hour)
		r := newTimerRunner(db, ids, inventory.NewStock(db.Stock()), config{SessionSweep: 7 * time.Minute}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		r.Now = clock.Now
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := r.RunOnce(ctx); err != nil || n != 2 {
			t.Fatalf("ran %d timers (%v), want the two sweeps", n, err)
		}
		if count("login_failures") != 0 || count("idempotency_keys") != 0 {
			t.Fatalf("after the sweeps: %d failures, %d keys", count("login_failures"), count("idempotency_keys"))
		}
		for kind, every := range map[string]time.Duration{timerSessionSweep: 7 * time.Minute, timerIdemSweep: idemSweepInterval} {
			p := pendingOf(t, db.Timers(), kind)
			if len(p) != 1 || !p[0].DueAt.Equal(clock.Now().Add(every)) {
				t.Errorf("%s: %+v, want one timer due in %s", kind, p, every)
			}
		}
	})
}
