package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestWritesCommitInGroups: SQLite's write transactions that queue up
// behind a long one commit together in one group, yet each stands alone:
// the ones that fail leave nothing, the others are all committed before
// any is answered, and one whose caller gave up while it waited never
// runs.
func TestWritesCommitInGroups(t *testing.T) {
	db := testkit.Open(t, sqlstore.SQLite)
	ctx := context.Background()
	var commits atomic.Int64
	db.AfterCommit = func() { commits.Add(1) }
	started, release := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() { held <- db.HoldWriter(ctx, started, release) }()
	<-started

	clock := testkit.NewClock()
	const n = 50
	evs := make([]events.Event, n+1)
	for i := range evs {
		evs[i] = events.New("test.grouped", fmt.Sprintf("agg-%d", i), "", clock.Now(), map[string]int{"i": i})
	}
	cause := errors.New("a rule is broken")
	results := make([]error, n+1)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%3 == 0 {
				results[i] = db.AppendEventsThenFail(ctx, cause, evs[i])
			} else {
				results[i] = db.AppendEvents(ctx, evs[i])
			}
		}()
	}
	// One more, whose caller gives up while it waits.
	gone, give := context.WithCancel(ctx)
	quit := make(chan error, 1)
	go func() { quit <- db.AppendEvents(gone, evs[n]) }()
	for deadline := time.Now().Add(10 * time.Second); db.QueuedWrites() < n+1; {
		if time.Now().After(deadline) {
			t.Fatalf("only %d writes queued", db.QueuedWrites())
		}
		time.Sleep(time.Millisecond)
	}
	give()
	if err := <-quit; !errors.Is(err, context.Canceled) {
		t.Fatalf("the abandoned write: %v", err)
	}
	before := commits.Load()
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	var want []string
	for i := range n {
		switch {
		case i%3 == 0 && !errors.Is(results[i], cause):
			t.Errorf("write %d: %v, want its own failure", i, results[i])
		case i%3 != 0 && results[i] != nil:
			t.Errorf("write %d: %v", i, results[i])
		case i%3 != 0:
			want = append(want, evs[i].ID)
		}
	}
	got := outboxPendingIDs(t, ctx, db, 1000)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("the outbox holds %d events, want the %d that succeeded", len(got), len(want))
	}
	// The held transaction and the 50 behind it: 51 writes in at most a
	// few commits, not 51.
	if c := commits.Load(); c > 3 || c < 2 || before > 0 {
		t.Errorf("%d commits (%d before the release) for %d writes", c, before, n+1)
	}
}
