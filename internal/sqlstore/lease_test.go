package sqlstore_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

func TestLeaseTakeRenewExpireRelease(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := outboxCtx(t)
		clock := testkit.NewClock()
		db.Now = clock.Now
		take := func(holder string, want bool) {
			t.Helper()
			got, err := db.TakeLease(ctx, "relay", holder, 10*time.Second)
			if err != nil {
				t.Fatalf("TakeLease(%s): %v", holder, err)
			}
			if got != want {
				t.Fatalf("TakeLease(%s) = %v; want %v", holder, got, want)
			}
		}
		take("a", true)
		take("b", false)
		clock.Advance(9 * time.Second)
		take("a", true) // renewed: runs until 19s
		clock.Advance(9 * time.Second)
		take("b", false)
		// Another lease name is independent.
		if ok, err := db.TakeLease(ctx, "timers", "b", time.Second); err != nil || !ok {
			t.Fatalf("TakeLease(timers) = %v, %v; want true", ok, err)
		}
		clock.Advance(2 * time.Second) // a's lease has expired
		take("b", true)
		take("a", false)
		// Releasing someone else's lease does nothing; one's own frees it.
		if err := db.ReleaseLease(ctx, "relay", "a"); err != nil {
			t.Fatal(err)
		}
		take("a", false)
		if err := db.ReleaseLease(ctx, "relay", "b"); err != nil {
			t.Fatal(err)
		}
		take("a", true)
		if _, err := db.TakeLease(ctx, "relay", "", time.Second); !errs.Is(err, errs.Invalid) {
			t.Errorf("TakeLease without holder = %v; want Invalid", err)
		}
	})
}

// TestLeaseOneHolderUnderRace: holders asking at once never both get it.
func TestLeaseOneHolderUnderRace(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := outboxCtx(t)
		for round := range 20 {
			name := "race" + string(rune('a'+round))
			var wins atomic.Int32
			var wg sync.WaitGroup
			for h := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok, err := db.TakeLease(ctx, name, string(rune('A'+h)), time.Minute)
					if err != nil {
						t.Errorf("TakeLease: %v", err)
					}
					if ok {
						wins.Add(1)
					}
				}()
			}
			wg.Wait()
			if n := wins.Load(); n != 1 {
				t.Fatalf("round %d: %d holders got the lease; want 1", round, n)
			}
		}
	})
}

// TestConcurrentOpenMigratesOnce: nodes starting together on a fresh
// PostgreSQL database all open it (goose's session lock serialises them).
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	dsn := testkit.DSN(t, sqlstore.Postgres)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
			if err != nil {
				t.Errorf("Open: %v", err)
				return
			}
			defer db.Close()
			if _, err := db.TakeLease(ctx, "probe", "x", time.Second); err != nil {
				t.Errorf("schema incomplete after Open: %v", err)
			}
		}()
	}
	wg.Wait()
}

// TestMarkPublishedTakingLease: the relay's marking renews its lease in the
// same transaction; the events are marked whoever holds the lease, and the
// answer says whether it is the caller's.
func TestMarkPublishedTakingLease(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := outboxCtx(t)
		clock := testkit.NewClock()
		db.Now = clock.Now
		evs := []events.Event{events.New("test.a", "x", "", clock.Now(), nil), events.New("test.b", "x", "", clock.Now(), nil)}
		if err := db.AppendEvents(ctx, evs...); err != nil {
			t.Fatal(err)
		}
		if ok, err := db.MarkPublishedTakingLease(ctx, []string{evs[0].ID}, "relay", "a", 10*time.Second); err != nil || !ok {
			t.Fatalf("MarkPublishedTakingLease(a) = %v, %v; want the lease", ok, err)
		}
		if ok, _ := db.TakeLease(ctx, "relay", "b", time.Second); ok {
			t.Fatal("b took the lease a renewed")
		}
		clock.Advance(9 * time.Second)
		if ok, err := db.MarkPublishedTakingLease(ctx, nil, "relay", "a", 10*time.Second); err != nil || !ok {
			t.Fatalf("renewal by a = %v, %v", ok, err)
		}
		clock.Advance(9 * time.Second) // 18s: still a's, renewed at 9s
		if ok, err := db.MarkPublishedTakingLease(ctx, []string{evs[1].ID}, "relay", "b", 10*time.Second); err != nil || ok {
			t.Fatalf("MarkPublishedTakingLease(b) while a holds it = %v, %v; want refused", ok, err)
		}
		pending, published, err := db.OutboxStats(ctx)
		if err != nil || pending != 0 || published != 2 {
			t.Errorf("outbox: %d pending, %d published, %v; want both marked", pending, published, err)
		}
		if _, err := db.MarkPublishedTakingLease(ctx, nil, "relay", "", time.Second); !errs.Is(err, errs.Invalid) {
			t.Errorf("without a holder = %v; want Invalid", err)
		}
	})
}
