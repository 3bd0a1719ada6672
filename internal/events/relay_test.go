package events_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
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
		if took > ttl+ttl/3+time.Second { // a second of slack for a loaded machine
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

// TestRelayThroughput measures the relay while N events are committed in
// batches of 1,000 as fast as the store takes them (a bulk import's shape):
// events/s, and the lag from an event's creation to its acknowledgement by
// the stream and to its delivery to a consumer, p50 and p99. It runs only
// when SESAME_RELAY_BENCH holds N, e.g.
//
//	SESAME_RELAY_BENCH=100000 go test ./internal/events/ -run TestRelayThroughput -v
//
// SESAME_RELAY_BENCH_BATCH sets the relay's batch size (default
// events.DefaultRelayBatch). SESAME_RELAY_BENCH_SYNC=1 publishes one event at a time instead, for
// comparison.
func TestRelayThroughput(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SESAME_RELAY_BENCH"))
	if n <= 0 {
		t.Skip("SESAME_RELAY_BENCH is not set")
	}
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		bus := startBus(t)
		var (
			mu       sync.Mutex
			pubLag   = make([]time.Duration, 0, n)
			consLag  = make([]time.Duration, 0, n)
			created  = make(map[string]time.Time, n)
			lastAck  time.Time
			consumed atomic.Int64
		)
		stop, err := bus.Subscribe(ctx, "bench", "", func(_ context.Context, e events.Event) error {
			now := time.Now()
			mu.Lock()
			consLag = append(consLag, now.Sub(created[e.ID]))
			mu.Unlock()
			consumed.Add(1)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		pub := &timingPublisher{Bus: bus, onAck: func(ids []string, at time.Time) {
			mu.Lock()
			for _, id := range ids {
				pubLag = append(pubLag, at.Sub(created[id]))
			}
			lastAck = at
			mu.Unlock()
		}}
		batch, _ := strconv.Atoi(os.Getenv("SESAME_RELAY_BENCH_BATCH"))
		r := &events.Relay{Outbox: db, Publisher: pub, Lease: db, Batch: batch}
		if os.Getenv("SESAME_RELAY_BENCH_SYNC") != "" {
			// For comparison: one publish at a time, each awaited.
			r.Publisher = &syncPublisher{pub}
		}
		db.AfterCommit = r.Notify
		rctx, stopRelay := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- r.Run(rctx) }()
		defer func() { stopRelay(); <-done }()

		start := time.Now()
		for i := 0; i < n; i += 1000 {
			evs := make([]events.Event, min(1000, n-i))
			now := time.Now()
			mu.Lock()
			for j := range evs {
				evs[j] = events.New(events.ProductUpdated, fmt.Sprintf("prd_%d", i+j), "", now,
					map[string]any{"title": "Thé vert 绿茶", "price": 1250, "n": i + j})
				created[evs[j].ID] = now
			}
			mu.Unlock()
			if err := db.AppendEvents(ctx, evs...); err != nil {
				t.Fatal(err)
			}
		}
		inserted := time.Since(start)
		eventually(t, ctx, "every event consumed", func() bool { return consumed.Load() >= int64(n) })
		consumedIn := time.Since(start)
		mu.Lock()
		defer mu.Unlock()
		pct := func(d []time.Duration, p float64) time.Duration {
			slices.Sort(d)
			return d[min(len(d)-1, int(float64(len(d))*p))].Round(time.Millisecond)
		}
		t.Logf("%d events committed in %s (%.0f/s); relayed in %s (%.0f events/s); consumed in %s (%.0f/s)",
			n, inserted.Round(time.Millisecond), float64(n)/inserted.Seconds(),
			lastAck.Sub(start).Round(time.Millisecond), float64(n)/lastAck.Sub(start).Seconds(),
			consumedIn.Round(time.Millisecond), float64(n)/consumedIn.Seconds())
		t.Logf("lag creation→stream ack p50 %s p99 %s; creation→consumer p50 %s p99 %s",
			pct(pubLag, 0.5), pct(pubLag, 0.99), pct(consLag, 0.5), pct(consLag, 0.99))
	})
}

// syncPublisher publishes one event at a time through a timingPublisher.
type syncPublisher struct{ p *timingPublisher }

func (s *syncPublisher) Publish(ctx context.Context, e events.Event) error {
	if err := s.p.Bus.Publish(ctx, e); err != nil {
		return err
	}
	s.p.onAck([]string{e.ID}, time.Now())
	return nil
}

// timingPublisher reports when each batch was acknowledged.
type timingPublisher struct {
	*natsbus.Bus
	onAck func(ids []string, at time.Time)
}

func (p *timingPublisher) PublishBatch(ctx context.Context, evs []events.Event) ([]string, error) {
	acked, err := p.Bus.PublishBatch(ctx, evs)
	p.onAck(acked, time.Now())
	return acked, err
}

// writerStore is an Outbox and a Leaser whose writes wait for one writer, as
// on SQLite, where a bulk import holds it for its whole transaction; reads
// do not wait (WAL). Its waiters are served in order.
type writerStore struct {
	writer  chan struct{} // one slot: the write connection
	markFor time.Duration

	mu        sync.Mutex
	pending   []events.Event
	committed map[string]time.Time
	holder    string
	expires   time.Time
}

func (s *writerStore) write(ctx context.Context, d time.Duration) error {
	select {
	case s.writer <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	time.Sleep(d)
	<-s.writer
	return nil
}

func (s *writerStore) PendingEvents(_ context.Context, limit int) ([]events.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.pending[:min(limit, len(s.pending))]), nil
}

func (s *writerStore) MarkPublished(ctx context.Context, ids []string) error {
	if err := s.write(ctx, s.markFor); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = slices.DeleteFunc(s.pending, func(e events.Event) bool { return slices.Contains(ids, e.ID) })
	return nil
}

// MarkPublishedTakingLease marks and renews in one write, as sqlstore does.
func (s *writerStore) MarkPublishedTakingLease(ctx context.Context, ids []string, _, holder string, ttl time.Duration) (bool, error) {
	if err := s.write(ctx, s.markFor); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = slices.DeleteFunc(s.pending, func(e events.Event) bool { return slices.Contains(ids, e.ID) })
	if s.holder != holder && time.Now().Before(s.expires) {
		return false, nil
	}
	s.holder, s.expires = holder, time.Now().Add(ttl)
	return true, nil
}

func (s *writerStore) PrunePublished(ctx context.Context, _ time.Duration, _ int) (int64, error) {
	return 0, s.write(ctx, time.Millisecond)
}

func (s *writerStore) TakeLease(ctx context.Context, _, holder string, ttl time.Duration) (bool, error) {
	if err := s.write(ctx, time.Millisecond); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holder != holder && time.Now().Before(s.expires) {
		return false, nil
	}
	s.holder, s.expires = holder, time.Now().Add(ttl)
	return true, nil
}

func (s *writerStore) ReleaseLease(context.Context, string, string) error { return nil }

// timedPublisher notes when each event reached the bus.
type timedPublisher struct {
	mu sync.Mutex
	at map[string]time.Time
}

func (p *timedPublisher) Publish(ctx context.Context, e events.Event) error {
	_, err := p.PublishBatch(ctx, []events.Event{e})
	return err
}

func (p *timedPublisher) PublishBatch(_ context.Context, evs []events.Event) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := make([]string, len(evs))
	for i, e := range evs {
		if _, ok := p.at[e.ID]; !ok {
			p.at[e.ID] = time.Now()
		}
		ids[i] = e.ID
	}
	return ids, nil
}

// TestRelayKeepsUpWithABulkImport: an import commits a batch of events every
// transaction, holding the one writer throughout, and starts the next at
// once; a transaction lasts two thirds of the lease's TTL, so the lease is
// due for renewal at every batch. Each batch reaches the bus soon after its
// commit, not a whole transaction later: the relay renews its lease in the
// write that marks a batch (one wait for the writer), where a renewal of its
// own before the next read held every other batch or more back by one
// transaction.
func TestRelayKeepsUpWithABulkImport(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const (
		tx      = 200 * time.Millisecond // one import transaction
		batches = 10
	)
	st := &writerStore{writer: make(chan struct{}, 1), markFor: 5 * time.Millisecond, committed: map[string]time.Time{}}
	pub := &timedPublisher{at: map[string]time.Time{}}
	r := &events.Relay{Outbox: st, Publisher: pub, Lease: st, Holder: "node", LeaseTTL: 3 * tx / 2, Retention: -1,
		Interval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()

	var firsts []string // the first event of each batch
	for b := range batches {
		st.writer <- struct{}{}
		time.Sleep(tx)
		evs := make([]events.Event, 20)
		for i := range evs {
			evs[i] = events.New("test.imported", fmt.Sprint(b, "-", i), "", time.Now(), nil)
		}
		st.mu.Lock()
		st.pending = append(st.pending, evs...)
		for _, e := range evs {
			st.committed[e.ID] = time.Now()
		}
		st.mu.Unlock()
		<-st.writer
		r.Notify()
		firsts = append(firsts, evs[0].ID)
		time.Sleep(3 * time.Millisecond) // the importer prepares its next batch, in less than a marking
	}
	eventually(t, ctx, "every batch published", func() bool {
		pub.mu.Lock()
		defer pub.mu.Unlock()
		return len(pub.at) == batches*20
	})
	cancel()
	<-done

	var lags []time.Duration
	pub.mu.Lock()
	for _, id := range firsts[1:] { // the first batch finds the relay idle
		lags = append(lags, pub.at[id].Sub(st.committed[id]))
	}
	pub.mu.Unlock()
	// A batch or two may be late when a goroutine of a loaded machine runs
	// late (the relay's request for the writer then comes after the
	// importer's); a relay that waits for the next transaction holds back
	// every other batch or more.
	slices.Sort(lags)
	if third := lags[len(lags)-3]; third > tx/2 {
		t.Errorf("batches reached the bus up to %s after their commit, with transactions of %s: the relay waited for the next one (lags %v)", lags[len(lags)-1], tx, lags)
	}
}
