package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/timers"
)

// timersTestEnv makes a child Sesame (TestServeChild) handle the test's
// timer kinds.
const timersTestEnv = "SESAME_TEST_TIMERS"

const (
	// recordKind's handler writes a ranKind row naming the timer, through
	// the store with the handler's context: its effect commits with the
	// timer's end, or not at all. With {"slow":true} its first attempt
	// waits until the process dies, so that it is in flight at the kill.
	recordKind = "test.record"
	ranKind    = "test.ran"
	crashLease = 2 * time.Second
)

// registerTestTimers is the child's hooks.Timers when timersTestEnv is set:
// it adds the test's timer kinds, with a short interval and lease.
func registerTestTimers(r *timers.Runner, db *sqlstore.DB) {
	r.Interval, r.Lease = 100*time.Millisecond, crashLease
	st := db.Timers()
	r.Handle(recordKind, func(ctx context.Context, t timers.Timer) error {
		var p struct{ Slow bool }
		json.Unmarshal(t.Payload, &p)
		if p.Slow && t.Attempts == 1 {
			<-ctx.Done()
			return ctx.Err()
		}
		ran, err := timers.New(ranKind, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), map[string]string{"of": t.ID})
		if err != nil {
			return err
		}
		return st.ScheduleTimer(ctx, ran)
	})
}

// startTimerChild starts this test binary as `sesame serve` on dsn with the
// test's timer kinds.
func startTimerChild(t *testing.T, dir, dsn string, stderr *syncBuffer) *exec.Cmd {
	t.Helper()
	cmd, _ := spawnSesame(t, stderr, childEnv+"=serve --addr 127.0.0.1:0", "SESAME_DATA="+dir, "SESAME_DB="+dsn, "SESAME_LOG_LEVEL=warn",
		timersTestEnv+"=1")
	return cmd
}

// TestTimersSurviveKill9 schedules timers into a running Sesame process,
// kills it with SIGKILL while one is running and before others are due,
// restarts it after they are due, and checks that every timer ran exactly
// once (its effect committed once): those run before the kill are not run
// again, those due during the outage run after the restart, and the one
// the kill interrupted is taken again once its lease ends. The recurring
// sweeps keep one timer each across the restart.
func TestTimersSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Sesame twice")
	}
	for _, e := range testkit.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			dsn := filepath.Join(dir, "sesame.db")
			if e == sqlstore.Postgres {
				dsn = testkit.DSN(t, e)
			}
			stderr := &syncBuffer{}
			cmd := startTimerChild(t, dir, dsn, stderr)
			db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			st := db.Timers()
			schedule := func(due time.Time, payload any) string {
				tm, err := timers.New(recordKind, due, payload)
				if err != nil {
					t.Fatal(err)
				}
				if err := st.ScheduleTimer(ctx, tm); err != nil {
					t.Fatal(err)
				}
				return tm.ID
			}
			ranOf := func() map[string]int {
				rs, err := st.PendingTimers(ctx, ranKind)
				if err != nil {
					t.Fatal(err)
				}
				n := map[string]int{}
				for _, r := range rs {
					var p struct{ Of string }
					json.Unmarshal(r.Payload, &p)
					n[p.Of]++
				}
				return n
			}
			waitFor := func(what string, ok func() bool) { t.Helper(); waitUntil(t, stderr, what, ok) }

			now := time.Now().UTC()
			var all, before []string
			for range 3 {
				id := schedule(now.Add(-time.Second), nil)
				all, before = append(all, id), append(before, id)
			}
			slow := schedule(now.Add(-500*time.Millisecond), map[string]bool{"slow": true})
			all = append(all, slow)
			waitFor("the due timers to run and the slow one to be taken", func() bool {
				if len(ranOf()) < len(before) {
					return false
				}
				for _, p := range pendingOf(t, st, recordKind) {
					if p.ID == slow && p.Lease != "" {
						return true
					}
				}
				return false
			})
			due := time.Now().UTC().Add(1500 * time.Millisecond)
			var during []string
			for range 5 {
				id := schedule(due, nil)
				all, during = append(all, id), append(during, id)
			}
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
			cmd.Wait()
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("the server ended with %v, not SIGKILL", cmd.ProcessState)
			}
			if time.Now().After(due) {
				t.Skip("the machine is too slow to kill the server before the timers are due")
			}
			ran := ranOf()
			for _, id := range during {
				if ran[id] != 0 {
					t.Fatalf("timer %s ran before it was due", id)
				}
			}
			if ran[slow] != 0 {
				t.Fatal("the slow timer's first attempt committed")
			}
			time.Sleep(time.Until(due) + 300*time.Millisecond)

			cmd = startTimerChild(t, dir, dsn, stderr)
			waitFor("every timer to run", func() bool { return len(ranOf()) >= len(all) })
			time.Sleep(1500 * time.Millisecond) // room for a second run, were there one
			cmd.Process.Signal(os.Interrupt)
			cmd.Wait()

			ran = ranOf()
			for _, id := range all {
				if ran[id] != 1 {
					t.Errorf("timer %s ran %d times, want once", id, ran[id])
				}
			}
			if len(ran) != len(all) {
				t.Errorf("%d timers ran, want %d", len(ran), len(all))
			}
			if p := pendingOf(t, st, recordKind); len(p) != 0 {
				t.Errorf("timers left: %+v", p)
			}
			for _, k := range []string{timerSessionSweep, timerIdemSweep} {
				if p := pendingOf(t, st, k); len(p) != 1 {
					t.Errorf("%d timers of %s after two starts, want 1", len(p), k)
				}
			}
		})
	}
}

// waitUntil polls ok for up to 30 s, failing the test with the server's
// output if it never holds.
func waitUntil(t *testing.T, stderr fmt.Stringer, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; server output:\n%s", what, stderr)
		}
	}
}

func pendingOf(t *testing.T, st *sqlstore.Timers, kind string) []timers.Timer {
	t.Helper()
	ts, err := st.PendingTimers(context.Background(), kind)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}
