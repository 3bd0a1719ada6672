package sqlstore_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

func pending(t *testing.T, db *sqlstore.DB) int64 {
	t.Helper()
	p, _, err := db.OutboxStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func event() events.Event {
	return events.New("test.happened", "agg", "", time.Now(), map[string]int{"n": 1})
}

// TestIdempotencyRunCommitsWorkWithResponse checks the deferred transaction:
// the work of a run is invisible to others until Complete, reads inside the
// run see it, a failing store call inside the run is rolled back to its
// savepoint without spoiling the rest (PostgreSQL aborts a transaction on
// error otherwise), AfterCommit fires once, after the commit, and a second
// claim replays the stored response.
func TestIdempotencyRunCommitsWorkWithResponse(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		var commits atomic.Int32
		db.AfterCommit = func() { commits.Add(1) }
		idem := db.Idempotency()
		run, stored, err := idem.Claim(ctx, "user:u1", "k1", "h1")
		if err != nil || run == nil || stored != nil {
			t.Fatalf("claim: %v %v %q", run, err, stored)
		}
		if err := db.AppendEvents(run, event()); err != nil {
			t.Fatal(err)
		}
		if err := db.AppendEventsThenFail(run, errors.New("rule broken"), event()); err == nil {
			t.Fatal("the failing call succeeded")
		}
		if err := db.AppendEvents(run, event()); err != nil {
			t.Fatalf("a call after a failed one: %v", err)
		}
		var inside int
		if err := db.QueryRowContext(run, `SELECT COUNT(*) FROM outbox`).Scan(&inside); err != nil || inside != 2 {
			t.Fatalf("the run reads %d events of its own (err %v), want 2", inside, err)
		}
		if got := pending(t, db); got != 0 {
			t.Fatalf("%d events visible before the completion commits", got)
		}
		if commits.Load() != 0 {
			t.Fatal("AfterCommit fired before the outer commit")
		}
		if err := idem.Complete(run, 201, []byte("response")); err != nil {
			t.Fatal(err)
		}
		if got := pending(t, db); got != 2 {
			t.Fatalf("%d events after the commit, want 2", got)
		}
		if commits.Load() != 1 {
			t.Fatalf("AfterCommit fired %d times, want 1", commits.Load())
		}
		run, stored, err = idem.Claim(ctx, "user:u1", "k1", "h1")
		if err != nil || run != nil || string(stored) != "response" {
			t.Fatalf("replay: %v %v %q", run, err, stored)
		}
		_, _, err = idem.Claim(ctx, "user:u1", "k1", "other")
		wantKind(t, err, errs.Invalid)
		// Another scope's same key is another key.
		run, _, err = idem.Claim(ctx, "user:u2", "k1", "other")
		if err != nil || run == nil {
			t.Fatalf("another scope: %v %v", run, err)
		}
		if err := idem.Release(run); err != nil {
			t.Fatal(err)
		}
	})
}

// TestIdempotencyReleaseAndLeases checks that a released run leaves nothing
// and frees its key, that a live claim is Conflict, and that an abandoned
// claim (its process died: lease expired) is taken over, while the old run,
// should it wake up, can no longer commit.
func TestIdempotencyReleaseAndLeases(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		db.Now = func() time.Time { return now }
		idem := db.Idempotency()
		run, _, err := idem.Claim(ctx, "s", "k", "h")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.AppendEvents(run, event()); err != nil {
			t.Fatal(err)
		}
		if err := idem.Release(run); err != nil {
			t.Fatal(err)
		}
		if got := pending(t, db); got != 0 {
			t.Fatalf("a released run left %d events", got)
		}
		old, _, err := idem.Claim(ctx, "s", "k", "h")
		if err != nil || old == nil {
			t.Fatalf("claim after release: %v", err)
		}
		_, _, err = idem.Claim(ctx, "s", "k", "h")
		wantKind(t, err, errs.Conflict)
		now = now.Add(idem.Lease + time.Second)
		taken, _, err := idem.Claim(ctx, "s", "k", "h")
		if err != nil || taken == nil {
			t.Fatalf("takeover: %v", err)
		}
		wantKind(t, idem.Complete(old, 201, []byte("old")), errs.Conflict)
		if err := db.AppendEvents(taken, event()); err != nil {
			t.Fatal(err)
		}
		if err := idem.Complete(taken, 201, []byte("new")); err != nil {
			t.Fatal(err)
		}
		if _, stored, _ := idem.Claim(ctx, "s", "k", "h"); string(stored) != "new" {
			t.Fatalf("stored %q, want the taking-over run's", stored)
		}
		if got := pending(t, db); got != 1 {
			t.Fatalf("%d events, want 1", got)
		}
	})
}

// TestIdempotencyKeysExpire checks that a key is forgotten after
// IdempotencyTTL, by Claim at once and by Sweep.
func TestIdempotencyKeysExpire(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		db.Now = func() time.Time { return now }
		idem := db.Idempotency()
		for _, k := range []string{"a", "b"} {
			run, _, err := idem.Claim(ctx, "s", k, "h")
			if err != nil {
				t.Fatal(err)
			}
			if err := idem.Complete(run, 200, []byte(k)); err != nil {
				t.Fatal(err)
			}
		}
		now = now.Add(sqlstore.IdempotencyTTL + time.Minute)
		run, stored, err := idem.Claim(ctx, "s", "a", "another request")
		if err != nil || run == nil || stored != nil {
			t.Fatalf("an expired key was not forgotten: %v %q", err, stored)
		}
		if err := idem.Complete(run, 200, []byte("a2")); err != nil {
			t.Fatal(err)
		}
		n, err := idem.Sweep(ctx, now.Add(-sqlstore.IdempotencyTTL))
		if err != nil || n != 1 {
			t.Fatalf("swept %d (err %v), want 1 (b)", n, err)
		}
		var left int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM idempotency_keys`).Scan(&left); err != nil || left != 1 {
			t.Fatalf("%d keys left (err %v), want 1", left, err)
		}
	})
}
