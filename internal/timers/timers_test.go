package timers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/timers"
)

// effectKind is the kind of the rows test handlers write as their database
// effect: a timer nobody handles, due far in the future, written through
// the store with the handler's context.
const effectKind = "test.effect"

func schedule(t *testing.T, s timers.Scheduler, kind string, due time.Time, payload any) timers.Timer {
	t.Helper()
	tm, err := timers.Schedule(context.Background(), s, kind, due, payload)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// recordEffect writes one effect row naming the timer that ran.
func recordEffect(ctx context.Context, s timers.Scheduler, tm timers.Timer) error {
	e, err := timers.New(effectKind, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), map[string]string{"of": tm.ID})
	if err != nil {
		return err
	}
	return s.ScheduleTimer(ctx, e)
}

// effects counts the effect rows per timer id.
func effects(t *testing.T, st *sqlstore.Timers) map[string]int {
	t.Helper()
	es, err := st.PendingTimers(context.Background(), effectKind)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, e := range es {
		var p struct{ Of string }
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatal(err)
		}
		n[p.Of]++
	}
	return n
}

func pending(t *testing.T, st *sqlstore.Timers, kind string) []timers.Timer {
	t.Helper()
	ts, err := st.PendingTimers(context.Background(), kind)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestDueTimerFiresOnce runs a due timer once, with its payload, and leaves
// a future one alone until its time comes.
func TestDueTimerFiresOnce(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		clock := testkit.NewClock()
		st := db.Timers()
		due := schedule(t, st, "test.work", clock.Now().Add(-time.Second), map[string]int{"n": 7})
		future := schedule(t, st, "test.work", clock.Now().Add(time.Hour), nil)
		var ran []string
		r := &timers.Runner{Store: st, Now: clock.Now}
		r.Handle("test.work", func(ctx context.Context, tm timers.Timer) error {
			ran = append(ran, tm.ID)
			if tm.ID == due.ID && string(tm.Payload) != `{"n":7}` {
				t.Errorf("payload %s", tm.Payload)
			}
			if tm.Attempts != 1 {
				t.Errorf("attempt %d, want 1", tm.Attempts)
			}
			return recordEffect(ctx, st, tm)
		})
		for range 3 {
			if _, err := r.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if len(ran) != 1 || ran[0] != due.ID {
			t.Fatalf("ran %v, want only the due timer %s", ran, due.ID)
		}
		if p := pending(t, st, "test.work"); len(p) != 1 || p[0].ID != future.ID {
			t.Fatalf("pending %v, want only the future timer", p)
		}
		clock.Advance(time.Hour)
		if n, err := r.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("ran %d (%v) once the future timer was due, want 1", n, err)
		}
		if p := pending(t, st, "test.work"); len(p) != 0 {
			t.Fatalf("pending %v after both ran", p)
		}
		if e := effects(t, st); len(e) != 2 || e[due.ID] != 1 || e[future.ID] != 1 {
			t.Fatalf("effects %v, want one per timer", e)
		}
	})
}

// TestFailedTimerRetriesLater records a failing handler's error and attempt,
// rolls back what the handler wrote, and runs the timer again only after
// the backoff, this time with the previous error in hand.
func TestFailedTimerRetriesLater(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		clock := testkit.NewClock()
		st := db.Timers()
		tm := schedule(t, st, "test.flaky", clock.Now(), nil)
		var seen []timers.Timer
		r := &timers.Runner{Store: st, Now: clock.Now}
		r.Handle("test.flaky", func(ctx context.Context, tm timers.Timer) error {
			seen = append(seen, tm)
			if err := recordEffect(ctx, st, tm); err != nil {
				return err
			}
			if len(seen) < 3 {
				return fmt.Errorf("carrier down (try %d)", len(seen))
			}
			return nil
		})
		r.RunOnce(ctx)
		p := pending(t, st, "test.flaky")
		if len(p) != 1 || p[0].Attempts != 1 || p[0].LastError != "carrier down (try 1)" || p[0].Lease != "" {
			t.Fatalf("after a failure: %+v, want attempts 1, the error, no lease", p)
		}
		if !p[0].DueAt.Equal(clock.Now().Add(time.Second)) {
			t.Fatalf("due again at %s, want a second later", p[0].DueAt)
		}
		if e := effects(t, st); len(e) != 0 {
			t.Fatalf("a failed run left its effect: %v", e)
		}
		if r.RunOnce(ctx); len(seen) != 1 {
			t.Fatalf("retried before its backoff: %d runs", len(seen))
		}
		clock.Advance(time.Second)
		r.RunOnce(ctx)
		p = pending(t, st, "test.flaky")
		if len(seen) != 2 || len(p) != 1 || p[0].Attempts != 2 || !p[0].DueAt.Equal(clock.Now().Add(2*time.Second)) {
			t.Fatalf("second failure: %d runs, %+v; want attempts 2, due 2 s later", len(seen), p)
		}
		clock.Advance(2 * time.Second)
		r.RunOnce(ctx)
		if len(seen) != 3 || seen[2].Attempts != 3 || seen[2].LastError != "carrier down (try 2)" {
			t.Fatalf("third run saw %+v", seen[len(seen)-1])
		}
		if p := pending(t, st, "test.flaky"); len(p) != 0 {
			t.Fatalf("still pending after success: %+v", p)
		}
		if e := effects(t, st); len(e) != 1 || e[tm.ID] != 1 {
			t.Fatalf("effects %v, want the successful run's only", e)
		}
	})
}

// TestAbandonedTimerTakenAfterItsLease: a poller that took a timer and died
// holds it until its lease ends; then another takes it, and the dead
// poller's late finish (had it been only slow) commits nothing.
func TestAbandonedTimerTakenAfterItsLease(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		clock := testkit.NewClock()
		st := db.Timers()
		tm := schedule(t, st, "test.work", clock.Now(), nil)
		taken, err := st.TakeTimers(ctx, []string{"test.work"}, clock.Now(), 10, 30*time.Second)
		if err != nil || len(taken) != 1 {
			t.Fatalf("take: %v %v", taken, err)
		}
		ran := 0
		r := &timers.Runner{Store: st, Now: clock.Now, Lease: 30 * time.Second}
		r.Handle("test.work", func(ctx context.Context, tm timers.Timer) error {
			ran++
			return recordEffect(ctx, st, tm)
		})
		clock.Advance(29 * time.Second)
		if r.RunOnce(ctx); ran != 0 {
			t.Fatal("a timer was taken while its lease held")
		}
		clock.Advance(time.Second)
		if r.RunOnce(ctx); ran != 1 {
			t.Fatalf("ran %d times after the lease ended, want 1", ran)
		}
		err = st.RunTimer(ctx, taken[0], time.Time{}, func(ctx context.Context) error { return recordEffect(ctx, st, tm) })
		if errs.KindOf(err) != errs.Conflict {
			t.Fatalf("the first taker's late finish: %v, want Conflict", err)
		}
		if e := effects(t, st); e[tm.ID] != 1 {
			t.Fatalf("effects %v, want one", e)
		}
	})
}

// TestRecurringTimer keeps one row per recurring kind however often and by
// however many runners it is started, and moves it on after each run, also
// after a failure.
func TestRecurringTimer(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		clock := testkit.NewClock()
		st := db.Timers()
		runs := 0
		fail := false
		newRunner := func() *timers.Runner {
			r := &timers.Runner{Store: st, Now: clock.Now}
			r.Every("test.sweep", 10*time.Minute, func(ctx context.Context) error {
				runs++
				if fail {
					return errors.New("database away")
				}
				return nil
			})
			return r
		}
		a, b := newRunner(), newRunner()
		for _, r := range []*timers.Runner{a, b, a} {
			if err := r.Start(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if p := pending(t, st, "test.sweep"); len(p) != 1 || !p[0].DueAt.Equal(clock.Now()) {
			t.Fatalf("after three starts: %+v, want one timer due now", p)
		}
		a.RunOnce(ctx)
		b.RunOnce(ctx)
		p := pending(t, st, "test.sweep")
		if runs != 1 || len(p) != 1 || !p[0].DueAt.Equal(clock.Now().Add(10*time.Minute)) || p[0].Attempts != 0 {
			t.Fatalf("%d runs, %+v; want 1 run and the timer due in 10 minutes", runs, p)
		}
		clock.Advance(10 * time.Minute)
		fail = true
		a.RunOnce(ctx)
		if p := pending(t, st, "test.sweep"); len(p) != 1 || p[0].Attempts != 1 || p[0].LastError != "database away" {
			t.Fatalf("after a failed run: %+v", p)
		}
		fail = false
		clock.Advance(time.Second)
		a.RunOnce(ctx)
		if p := pending(t, st, "test.sweep"); runs != 3 || len(p) != 1 || p[0].Attempts != 0 || p[0].LastError != "" {
			t.Fatalf("%d runs, %+v after recovery", runs, p)
		}
	})
}

// TestTwoPollersNeverRunTheSameTimer runs two pollers, each with its own
// connection pools as on two nodes, on one database full of due timers:
// every timer runs once, and its effect is written once.
func TestTwoPollersNeverRunTheSameTimer(t *testing.T) {
	for _, e := range testkit.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			dsn := testkit.DSN(t, e)
			var dbs []*sqlstore.DB
			for range 2 {
				db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				dbs = append(dbs, db)
			}
			const n = 300
			now := time.Now().UTC()
			for i := range n {
				schedule(t, dbs[i%2].Timers(), "test.work", now.Add(-time.Duration(i)*time.Millisecond), nil)
			}
			var (
				mu   sync.Mutex
				runs = map[string]int{}
				by   = map[int]int{}
				wg   sync.WaitGroup
			)
			for p, db := range dbs {
				st := db.Timers()
				r := &timers.Runner{Store: st, Batch: 7}
				r.Handle("test.work", func(ctx context.Context, tm timers.Timer) error {
					mu.Lock()
					runs[tm.ID]++
					by[p]++
					mu.Unlock()
					return recordEffect(ctx, st, tm)
				})
				wg.Go(func() {
					for {
						ran, err := r.RunOnce(ctx)
						if err != nil {
							t.Error(err)
							return
						}
						if ran == 0 {
							return
						}
					}
				})
			}
			wg.Wait()
			if len(runs) != n {
				t.Fatalf("%d timers ran, want %d", len(runs), n)
			}
			for id, c := range runs {
				if c != 1 {
					t.Errorf("timer %s ran %d times", id, c)
				}
			}
			ef := effects(t, dbs[0].Timers())
			for id, c := range ef {
				if c != 1 {
					t.Errorf("timer %s has %d effects", id, c)
				}
			}
			if len(ef) != n || len(pending(t, dbs[0].Timers(), "test.work")) != 0 {
				t.Fatalf("%d effects and some timers left", len(ef))
			}
			t.Logf("runs per poller: %v", by)
		})
	}
}

// TestIdlePollWritesNothing: a poll that finds nothing due commits no
// transaction (on SQLite it would take the writer, and wake the relay,
// every second).
func TestIdlePollWritesNothing(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		st := db.Timers()
		schedule(t, st, "test.work", time.Now().Add(time.Hour), nil)
		schedule(t, st, "test.other", time.Now().Add(-time.Hour), nil) // due, but nobody here handles it
		var commits atomic.Int32
		db.AfterCommit = func() { commits.Add(1) }
		r := &timers.Runner{Store: st}
		r.Handle("test.work", func(context.Context, timers.Timer) error { return nil })
		for range 5 {
			if n, err := r.RunOnce(ctx); err != nil || n != 0 {
				t.Fatalf("ran %d (%v)", n, err)
			}
		}
		if n := commits.Load(); n != 0 {
			t.Fatalf("%d commits by idle polls", n)
		}
	})
}

// TestStoppedRunnerReleasesItsTimers: a Runner stopped in the middle of a
// handler gives the timer back at once (not after its lease), with nothing
// of the handler's writes committed.
func TestStoppedRunnerReleasesItsTimers(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		st := db.Timers()
		tm := schedule(t, st, "test.work", time.Now().Add(-time.Second), nil)
		ctx, cancel := context.WithCancel(context.Background())
		started := make(chan struct{})
		r := &timers.Runner{Store: st, Interval: 10 * time.Millisecond}
		r.Handle("test.work", func(ctx context.Context, tm timers.Timer) error {
			if err := recordEffect(ctx, st, tm); err != nil {
				return err
			}
			close(started)
			<-ctx.Done()
			return ctx.Err()
		})
		done := make(chan error)
		go func() { done <- r.Run(ctx) }()
		<-started
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		p := pending(t, st, "test.work")
		if len(p) != 1 || p[0].Lease != "" || p[0].DueAt.Sub(tm.DueAt).Abs() > time.Millisecond {
			t.Fatalf("after the stop: %+v, want the timer released, due as before", p)
		}
		if e := effects(t, st); len(e) != 0 {
			t.Fatalf("the interrupted run committed %v", e)
		}
	})
}
