package events_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/natsbus"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

func startBus(t *testing.T) *natsbus.Bus {
	t.Helper()
	bus, err := natsbus.StartEmbedded(t.TempDir(), nil)
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(func() { bus.Close() })
	return bus
}

// countingPublisher counts the events one relay put on the bus.
type countingPublisher struct {
	*natsbus.Bus
	n atomic.Int64
}

func (p *countingPublisher) PublishBatch(ctx context.Context, evs []events.Event) ([]string, error) {
	acked, err := p.Bus.PublishBatch(ctx, evs)
	p.n.Add(int64(len(acked)))
	return acked, err
}

// ledger is a consumer that applies each event once through the inbox.
type ledger struct {
	mu         sync.Mutex
	effects    map[string]int
	deliveries map[string]int
}

func newLedger(t *testing.T, ctx context.Context, db *sqlstore.DB, bus *natsbus.Bus) *ledger {
	l := &ledger{effects: map[string]int{}, deliveries: map[string]int{}}
	stop, err := bus.Subscribe(ctx, "ledger", "", func(ctx context.Context, e events.Event) error {
		l.mu.Lock()
		l.deliveries[e.ID]++
		l.mu.Unlock()
		_, err := db.ProcessOnce(ctx, "ledger", e.ID, func(context.Context) error {
			l.mu.Lock()
			l.effects[e.ID]++
			l.mu.Unlock()
			return nil
		})
		return err
	})
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	t.Cleanup(stop)
	return l
}

func (l *ledger) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.effects)
}

func eventually(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestRelayLeaseTakeover: two relays on one database; only the lease holder
// publishes. The holder is killed (its Run ends without releasing the
// lease, as when its process dies); the other takes over within the lease's
// TTL and a third, and the consumer applies every event exactly once.
func TestRelayLeaseTakeover(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		bus := startBus(t)
		got := newLedger(t, ctx, db, bus)

		const ttl = 1500 * time.Millisecond
		type node struct {
			relay *events.Relay
			pub   *countingPublisher
			kill  func() // ends Run without releasing the lease, once
		}
		var nodes [2]*node
		for i := range nodes {
			pub := &countingPublisher{Bus: bus}
			r := &events.Relay{Outbox: db, Publisher: pub, Lease: db, Holder: fmt.Sprintf("node-%d", i),
				LeaseTTL: ttl, Batch: 50, Interval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
			rctx, kill := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- r.Run(rctx) }()
			n := &node{relay: r, pub: pub, kill: sync.OnceFunc(func() {
				kill()
				if err := <-done; err != nil {
					t.Errorf("Run: %v", err)
				}
			})}
			nodes[i] = n
		}
		defer func() {
			for _, n := range nodes {
				n.kill()
			}
		}()

		// Writers commit events all along.
		var all []string
		write := func(k int) {
			for range k {
				evs := make([]events.Event, 10)
				for j := range evs {
					evs[j] = events.New(events.ProductUpdated, fmt.Sprintf("prd_%d", len(all)+j), "", time.Now(), map[string]int{"n": j})
				}
				if err := db.AppendEvents(ctx, evs...); err != nil {
					t.Fatalf("AppendEvents: %v", err)
				}
				for _, e := range evs {
					all = append(all, e.ID)
				}
				for _, n := range nodes {
					n.relay.Notify()
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		write(30)
		eventually(t, ctx, "first 300 events applied", func() bool { return got.count() == len(all) })
		a, b := nodes[0], nodes[1]
		if a.pub.n.Load() == 0 {
			a, b = b, a
		}
		if a.pub.n.Load() == 0 || b.pub.n.Load() != 0 {
			t.Fatalf("published by the two relays: %d and %d; want all by one", a.pub.n.Load(), b.pub.n.Load())
		}

		// Kill the holder without releasing its lease, then keep writing.
		a.kill()
		killed := time.Now()
		before := b.pub.n.Load()
		write(1)
		eventually(t, ctx, "the standby publishing", func() bool { return b.pub.n.Load() > before })
		took := time.Since(killed)
		t.Logf("the standby took over %s after the kill (TTL %s)", took, ttl)
		if took > ttl+ttl/3+500*time.Millisecond {
			t.Errorf("the standby took over after %s; want within %s", took, ttl+ttl/3)
		}
		write(30)
		eventually(t, ctx, "every event applied", func() bool { return got.count() == len(all) })
		time.Sleep(200 * time.Millisecond) // room for a stray redelivery to show
		want := make(map[string]int, len(all))
		for _, id := range all {
			want[id] = 1
		}
		got.mu.Lock()
		defer got.mu.Unlock()
		if diff := cmp.Diff(got.effects, want); diff != "" {
			t.Errorf("effects per event (-got +want):\n%s", diff)
		}
		// JetStream deduplication: nothing reached the consumer twice.
		if diff := cmp.Diff(got.deliveries, want); diff != "" {
			t.Errorf("deliveries per event (-got +want):\n%s", diff)
		}
		if pending, _, err := db.OutboxStats(ctx); err != nil || pending != 0 {
			t.Errorf("OutboxStats pending = %d, %v; want 0", pending, err)
		}
	})
}

// TestRelayPrunesPublishedEvents: the holder deletes events published more
// than Retention ago, and leaves pending ones.
func TestRelayPrunesPublishedEvents(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		clock := testkit.NewClock()
		db.Now = clock.Now
		bus := startBus(t)
		r := &events.Relay{Outbox: db, Publisher: bus, Lease: db, Retention: time.Hour, PruneEvery: time.Millisecond,
			Interval: 10 * time.Millisecond}
		evs := make([]events.Event, 2500)
		for i := range evs {
			evs[i] = events.New(events.ProductUpdated, fmt.Sprintf("prd_%d", i), "", clock.Now(), nil)
		}
		if err := db.AppendEvents(ctx, evs...); err != nil {
			t.Fatal(err)
		}
		if err := r.Flush(ctx); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		clock.Advance(2 * time.Hour)
		if err := db.AppendEvents(ctx, events.New(events.ProductUpdated, "prd_late", "", clock.Now(), nil)); err != nil {
			t.Fatal(err)
		}
		rctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- r.Run(rctx) }()
		eventually(t, ctx, "old events pruned", func() bool {
			pending, published, err := db.OutboxStats(ctx)
			return err == nil && pending == 0 && published == 1
		})
		stop()
		<-done
		if err := r.Release(ctx); err != nil {
			t.Fatalf("Release: %v", err)
		}
		// Released: another holder takes the lease at once.
		if ok, err := db.TakeLease(ctx, events.DefaultLeaseName, "other", time.Minute); err != nil || !ok {
			t.Errorf("TakeLease after Release = %v, %v; want true", ok, err)
		}
	})
}
