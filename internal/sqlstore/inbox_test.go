package sqlstore_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestProcessOnceTxCommitsEffectWithInbox: a consumer's store writes made
// inside ProcessOnceTx commit with its inbox row or not at all, and an
// event processed once is never processed again.
func TestProcessOnceTxCommitsEffectWithInbox(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		at := time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)
		pending := func() int64 {
			n, _, err := db.OutboxStats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := pending()
		boom := errors.New("boom")
		ran, err := db.ProcessOnceTx(ctx, "test", "evt_1", func(ctx context.Context) error {
			if err := db.AppendEvents(ctx, events.New("test.effect", "x", "", at, nil)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) || ran {
			t.Fatalf("failing fn: ran %v, err %v", ran, err)
		}
		if got := pending(); got != before {
			t.Fatalf("a failed consumer left its effect: %d events, want %d", got, before)
		}
		calls := 0
		for range 2 {
			ran, err = db.ProcessOnceTx(ctx, "test", "evt_1", func(ctx context.Context) error {
				calls++
				return db.AppendEvents(ctx, events.New("test.effect", "x", "", at, nil))
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if calls != 1 || ran {
			t.Fatalf("fn ran %d times (last reported %v), want once", calls, ran)
		}
		if got := pending(); got != before+1 {
			t.Fatalf("effect events = %d, want 1", got-before)
		}
		// Another consumer processes the same event on its own.
		if ran, err := db.ProcessOnceTx(ctx, "other", "evt_1", func(context.Context) error { return nil }); !ran || err != nil {
			t.Fatalf("other consumer: ran %v, err %v", ran, err)
		}
	})
}

// TestProcessOnceTxConcurrentDeliveries: two deliveries of one event at the
// same moment run the consumer once; the second waits for the first's inbox
// row and then skips.
func TestProcessOnceTxConcurrentDeliveries(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		var calls atomic.Int32
		var wg sync.WaitGroup
		errc := make(chan error, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := db.ProcessOnceTx(ctx, "test", "evt_race", func(ctx context.Context) error {
					calls.Add(1)
					time.Sleep(30 * time.Millisecond) // hold the transaction open while the others arrive
					return db.AppendEvents(ctx, events.New("test.effect", "x", "", time.Now(), nil))
				})
				errc <- err
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := calls.Load(); n != 1 {
			t.Fatalf("the consumer ran %d times, want 1", n)
		}
	})
}
