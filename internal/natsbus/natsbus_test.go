package natsbus_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats-server/v2/server"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/natsbus"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// testCtx bounds a test: nothing in it may wait longer.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// testWriter sends log lines to t.Log until the test ends; lines written by
// the server's goroutines afterwards are dropped instead of panicking.
type testWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Helper()
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() { w.mu.Lock(); w.done = true; w.mu.Unlock() })
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// startBus starts an embedded server storing under dir, closed at the end of
// the test.
func startBus(t *testing.T, dir string, log *slog.Logger) *natsbus.Bus {
	t.Helper()
	bus, err := natsbus.StartEmbedded(dir, log)
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(func() {
		if err := bus.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return bus
}

// collector is a consumer that records every delivery.
type collector struct {
	mu     sync.Mutex
	counts map[string]int
}

func newCollector() *collector { return &collector{counts: map[string]int{}} }

func (c *collector) handle(_ context.Context, e events.Event) error {
	c.mu.Lock()
	c.counts[e.ID]++
	c.mu.Unlock()
	return nil
}

func (c *collector) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[string]int, len(c.counts))
	for k, v := range c.counts {
		m[k] = v
	}
	return m
}

func (c *collector) has(ids ...string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		if c.counts[id] == 0 {
			return false
		}
	}
	return true
}

func subscribe(t *testing.T, ctx context.Context, bus *natsbus.Bus, durable string, h events.Handler) {
	t.Helper()
	stop, err := bus.Subscribe(ctx, durable, "", h)
	if err != nil {
		t.Fatalf("Subscribe(%s): %v", durable, err)
	}
	t.Cleanup(stop)
}

// eventually polls cond every 10ms until it holds, failing the test when ctx
// ends first.
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

func streamMsgs(t *testing.T, ctx context.Context, bus *natsbus.Bus) uint64 {
	t.Helper()
	s, err := bus.JetStream().Stream(ctx, natsbus.StreamName)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	return info.State.Msgs
}

// settled reports whether the durable consumer has nothing left to deliver
// and nothing delivered but unacknowledged.
func settled(t *testing.T, ctx context.Context, bus *natsbus.Bus, durable string) bool {
	t.Helper()
	c, err := bus.JetStream().Consumer(ctx, natsbus.StreamName, durable)
	if err != nil {
		t.Fatalf("consumer %s: %v", durable, err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatalf("consumer %s info: %v", durable, err)
	}
	return info.NumPending == 0 && info.NumAckPending == 0
}

// runRelay runs r until the end of the test.
func runRelay(t *testing.T, r *events.Relay) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Relay.Run: %v", err)
		}
	})
}

func newEvents(n int, typ string) []events.Event {
	evs := make([]events.Event, n)
	for i := range evs {
		evs[i] = events.New(typ, fmt.Sprintf("prd_%03d", i), "", time.Now(), map[string]int{"n": i})
	}
	return evs
}

func ids(evs []events.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func onceEach(evs []events.Event) map[string]int {
	m := make(map[string]int, len(evs))
	for _, e := range evs {
		m[e.ID] = 1
	}
	return m
}

func TestRelayDeliversEveryCommittedEventOnce(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := testCtx(t)
		log := testLogger(t)
		bus := startBus(t, t.TempDir(), log)
		got := newCollector()
		subscribe(t, ctx, bus, "search", got.handle)
		relay := &events.Relay{Outbox: db, Publisher: bus, Logger: log, Batch: 32, Interval: time.Second}
		runRelay(t, relay)

		// 200 events in 20 transactions, committed while the relay runs and
		// woken up by Notify as a store does after its commits.
		evs := newEvents(200, events.ProductUpdated)
		for i := 0; i < len(evs); i += 10 {
			if err := db.AppendEvents(ctx, evs[i:i+10]...); err != nil {
				t.Fatalf("AppendEvents: %v", err)
			}
			relay.Notify()
		}

		eventually(t, ctx, "200 events delivered", func() bool { return got.has(ids(evs)...) })
		eventually(t, ctx, "consumer settled", func() bool { return settled(t, ctx, bus, "search") })
		if diff := cmp.Diff(got.snapshot(), onceEach(evs)); diff != "" {
			t.Errorf("deliveries per event (-got +want):\n%s", diff)
		}
		if n := streamMsgs(t, ctx, bus); n != 200 {
			t.Errorf("stream holds %d messages; want 200", n)
		}
		eventually(t, ctx, "outbox marked", func() bool {
			pending, published, err := db.OutboxStats(ctx)
			return err == nil && pending == 0 && published == 200
		})
	})
}

func TestRolledBackChangePublishesNothing(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := testCtx(t)
		log := testLogger(t)
		bus := startBus(t, t.TempDir(), log)
		got := newCollector()
		subscribe(t, ctx, bus, "search", got.handle)
		relay := &events.Relay{Outbox: db, Publisher: bus, Logger: log}

		evs := newEvents(4, events.ProductCreated)
		if err := db.AppendEvents(ctx, evs[0]); err != nil {
			t.Fatalf("AppendEvents: %v", err)
		}
		// The transaction writes evs[1] and evs[2], then fails on evs[0]'s
		// id: it rolls back, and its events with it.
		if err := db.AppendEvents(ctx, evs[1], evs[2], evs[0]); !errs.Is(err, errs.Conflict) {
			t.Fatalf("AppendEvents with a duplicate id = %v; want a Conflict", err)
		}
		if err := db.AppendEvents(ctx, evs[3]); err != nil {
			t.Fatalf("AppendEvents: %v", err)
		}
		if err := relay.Flush(ctx); err != nil {
			t.Fatalf("Flush: %v", err)
		}

		eventually(t, ctx, "committed events delivered", func() bool { return got.has(evs[0].ID, evs[3].ID) })
		eventually(t, ctx, "consumer settled", func() bool { return settled(t, ctx, bus, "search") })
		want := onceEach([]events.Event{evs[0], evs[3]})
		if diff := cmp.Diff(got.snapshot(), want); diff != "" {
			t.Errorf("deliveries (-got +want):\n%s", diff)
		}
		if n := streamMsgs(t, ctx, bus); n != 2 {
			t.Errorf("stream holds %d messages; want 2", n)
		}
	})
}

func TestRelayRestartAfterCrashDeduplicates(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := testCtx(t)
		log := testLogger(t)
		bus := startBus(t, t.TempDir(), log)

		evs := newEvents(30, events.ProductListed)
		for i := 0; i < len(evs); i += 10 {
			if err := db.AppendEvents(ctx, evs[i:i+10]...); err != nil {
				t.Fatalf("AppendEvents: %v", err)
			}
		}
		// A relay publishes the first 20 events, then the process dies before
		// it marks them published.
		crashed, err := db.PendingEvents(ctx, 20)
		if err != nil {
			t.Fatalf("PendingEvents: %v", err)
		}
		for _, e := range crashed {
			if err := bus.Publish(ctx, e); err != nil {
				t.Fatalf("Publish: %v", err)
			}
		}
		if pending, _, err := db.OutboxStats(ctx); err != nil || pending != 30 {
			t.Fatalf("OutboxStats pending = %d, %v; want 30 before the restart", pending, err)
		}

		// The restarted relay publishes all 30 again; the stream keeps one of each.
		relay := &events.Relay{Outbox: db, Publisher: bus, Logger: log, Batch: 7}
		if err := relay.Flush(ctx); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		if n := streamMsgs(t, ctx, bus); n != 30 {
			t.Errorf("stream holds %d messages; want 30 (one per distinct event)", n)
		}
		if pending, published, err := db.OutboxStats(ctx); err != nil || pending != 0 || published != 30 {
			t.Errorf("OutboxStats = %d, %d, %v; want 0 pending, 30 published", pending, published, err)
		}

		// A consumer applies effects through the inbox. Every third event's
		// first delivery fails after the effect was applied (as when the
		// process dies before acking), so the bus delivers it again.
		var (
			mu         sync.Mutex
			effects    = map[string]int{}
			deliveries = map[string]int{}
		)
		flaky := map[string]bool{}
		for i, e := range evs {
			if i%3 == 0 {
				flaky[e.ID] = true
			}
		}
		subscribe(t, ctx, bus, "ledger", func(ctx context.Context, e events.Event) error {
			mu.Lock()
			deliveries[e.ID]++
			first := deliveries[e.ID] == 1
			mu.Unlock()
			_, err := db.ProcessOnce(ctx, "ledger", e.ID, func(context.Context) error {
				mu.Lock()
				effects[e.ID]++
				mu.Unlock()
				return nil
			})
			if err != nil {
				return err
			}
			if first && flaky[e.ID] {
				return errors.New("lost before the ack")
			}
			return nil
		})

		eventually(t, ctx, "every event applied and the flaky ones redelivered", func() bool {
			mu.Lock()
			defer mu.Unlock()
			for _, e := range evs {
				if effects[e.ID] == 0 || flaky[e.ID] && deliveries[e.ID] < 2 {
					return false
				}
			}
			return true
		})
		eventually(t, ctx, "consumer settled", func() bool { return settled(t, ctx, bus, "ledger") })
		mu.Lock()
		defer mu.Unlock()
		if diff := cmp.Diff(effects, onceEach(evs)); diff != "" {
			t.Errorf("effects per event (-got +want):\n%s", diff)
		}
	})
}

// failingPublisher fails its first n publishes, as a bus that is down does.
type failingPublisher struct {
	events.Publisher
	failures atomic.Int32
}

func (p *failingPublisher) Publish(ctx context.Context, e events.Event) error {
	if p.failures.Add(-1) >= 0 {
		return errors.New("nats: no responders available for request")
	}
	return p.Publisher.Publish(ctx, e)
}

func TestRelayRetriesWithoutDropping(t *testing.T) {
	db := testkit.Open(t, sqlstore.SQLite)
	ctx := testCtx(t)
	log := testLogger(t)
	bus := startBus(t, t.TempDir(), log)
	got := newCollector()
	subscribe(t, ctx, bus, "search", got.handle)

	pub := &failingPublisher{Publisher: bus}
	pub.failures.Store(3)
	relay := &events.Relay{Outbox: db, Publisher: pub, Logger: slog.New(slog.DiscardHandler), Interval: 20 * time.Millisecond}
	evs := newEvents(10, events.ProductUnlisted)
	if err := db.AppendEvents(ctx, evs...); err != nil {
		t.Fatalf("AppendEvents: %v", err)
	}
	// Flush reports the failure and leaves the events pending.
	if err := relay.Flush(ctx); err == nil {
		t.Fatal("Flush with a failing bus succeeded")
	}
	if pending, _, err := db.OutboxStats(ctx); err != nil || pending != 10 {
		t.Fatalf("OutboxStats pending = %d, %v; want 10", pending, err)
	}
	// Run retries past the remaining failures.
	runRelay(t, relay)
	eventually(t, ctx, "events delivered after the failures", func() bool { return got.has(ids(evs)...) })
	eventually(t, ctx, "consumer settled", func() bool { return settled(t, ctx, bus, "search") })
	if diff := cmp.Diff(got.snapshot(), onceEach(evs)); diff != "" {
		t.Errorf("deliveries (-got +want):\n%s", diff)
	}
}

func TestEmbeddedRestartResumesDurableConsumer(t *testing.T) {
	ctx := testCtx(t)
	log := testLogger(t)
	dir := t.TempDir()

	before := newEvents(20, events.ProductCreated)
	// The first server syncs every write, as with SQLite's SyncFull; the
	// second runs with the default, reading the same files.
	bus, err := natsbus.StartEmbedded(dir, log, natsbus.WithSyncAlways(true))
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	got := newCollector()
	stop, err := bus.Subscribe(ctx, "mailer", "", got.handle)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	for _, e := range before {
		if err := bus.Publish(ctx, e); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	eventually(t, ctx, "first events delivered", func() bool { return got.has(ids(before)...) })
	eventually(t, ctx, "consumer settled", func() bool { return settled(t, ctx, bus, "mailer") })
	stop()
	if err := bus.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// The same folder, a new server: the stream, the consumer's position and
	// the duplicate window all survive.
	bus = startBus(t, dir, log)
	if n := streamMsgs(t, ctx, bus); n != 20 {
		t.Fatalf("stream holds %d messages after the restart; want 20", n)
	}
	if err := bus.Publish(ctx, before[0]); err != nil {
		t.Fatalf("Publish again: %v", err)
	}
	if n := streamMsgs(t, ctx, bus); n != 20 {
		t.Errorf("stream holds %d messages after publishing an old event again; want 20", n)
	}
	after := newEvents(10, events.ProductUpdated)
	got = newCollector()
	subscribe(t, ctx, bus, "mailer", got.handle)
	for _, e := range after {
		if err := bus.Publish(ctx, e); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	eventually(t, ctx, "new events delivered", func() bool { return got.has(ids(after)...) })
	eventually(t, ctx, "consumer settled", func() bool { return settled(t, ctx, bus, "mailer") })
	// Old events come first in the stream, so any redelivery of them would
	// have arrived before the new ones.
	if diff := cmp.Diff(got.snapshot(), onceEach(after)); diff != "" {
		t.Errorf("deliveries after the restart (-got +want):\n%s", diff)
	}
}

func TestSubscribeTerminatesUndecodableMessages(t *testing.T) {
	ctx := testCtx(t)
	bus := startBus(t, t.TempDir(), slog.New(slog.DiscardHandler))
	got := newCollector()
	subscribe(t, ctx, bus, "search", got.handle)
	if _, err := bus.JetStream().Publish(ctx, events.SubjectPrefix+"junk", []byte("not json")); err != nil {
		t.Fatalf("publish junk: %v", err)
	}
	e := newEvents(1, events.BrandCreated)[0]
	if err := bus.Publish(ctx, e); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	eventually(t, ctx, "the valid event delivered", func() bool { return got.has(e.ID) })
	// The junk is terminated, not left pending for redelivery.
	eventually(t, ctx, "consumer settled", func() bool { return settled(t, ctx, bus, "search") })
	if diff := cmp.Diff(got.snapshot(), map[string]int{e.ID: 1}); diff != "" {
		t.Errorf("deliveries (-got +want):\n%s", diff)
	}
}

func TestSubscribeFilterAndStop(t *testing.T) {
	ctx := testCtx(t)
	bus := startBus(t, t.TempDir(), slog.New(slog.DiscardHandler))
	got := newCollector()
	stop, err := bus.Subscribe(ctx, "merchants", events.SubjectPrefix+"merchant.>", got.handle)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	product := events.New(events.ProductCreated, "prd_1", "", time.Now(), nil)
	applied := events.New(events.MerchantApplied, "mer_1", "", time.Now(), nil)
	approved := events.New(events.MerchantApproved, "mer_1", "", time.Now(), nil)
	for _, e := range []events.Event{product, applied} {
		if err := bus.Publish(ctx, e); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	eventually(t, ctx, "merchant event delivered", func() bool { return got.has(applied.ID) })
	eventually(t, ctx, "consumer settled", func() bool { return settled(t, ctx, bus, "merchants") })
	stop()
	stop() // stopping twice is harmless
	if err := bus.Publish(ctx, approved); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	// The durable keeps the event for the next subscription instead.
	eventually(t, ctx, "event pending for the stopped consumer", func() bool {
		c, err := bus.JetStream().Consumer(ctx, natsbus.StreamName, "merchants")
		if err != nil {
			return false
		}
		info, err := c.Info(ctx)
		return err == nil && info.NumPending == 1
	})
	want := map[string]int{applied.ID: 1}
	if diff := cmp.Diff(got.snapshot(), want); diff != "" {
		t.Errorf("deliveries (-got +want):\n%s", diff)
	}
}

// TestConnectLeavesAnUnchangedStreamAlone: a node that starts does not
// rewrite the stream when its settings match (today's Connect reset every
// setting, replicas among them, on every start), keeps what an operator set
// beyond Sesame's settings, and asks for the configured replicas.
func TestConnectLeavesAnUnchangedStreamAlone(t *testing.T) {
	ctx := testCtx(t)
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	connect := func(opts ...natsbus.Option) (*natsbus.Bus, error) {
		bus, err := natsbus.Connect(ns.ClientURL(), testLogger(t), opts...)
		if err == nil {
			t.Cleanup(func() { bus.Close() })
		}
		return bus, err
	}
	bus, err := connect()
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	s, err := bus.JetStream().Stream(ctx, natsbus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	if cfg.Replicas != 1 || cfg.Duplicates != natsbus.DuplicateWindow {
		t.Errorf("stream replicas %d, duplicates %s; want 1, %s", cfg.Replicas, cfg.Duplicates, natsbus.DuplicateWindow)
	}
	// An operator caps the stream's size.
	cfg.MaxMsgs = 1_000_000
	if _, err := bus.JetStream().UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := connect(); err != nil {
		t.Fatalf("Connect again: %v", err)
	}
	s, err = bus.JetStream().Stream(ctx, natsbus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.MaxMsgs; got != 1_000_000 {
		t.Errorf("MaxMsgs after a restart = %d; want the operator's 1000000", got)
	}
	// Three replicas reach the server, which has no cluster to hold them.
	if _, err := connect(natsbus.WithReplicas(3)); err == nil || !strings.Contains(err.Error(), "replicas") {
		t.Errorf("Connect with 3 replicas on a lone server = %v; want a replicas error", err)
	}
	if _, err := natsbus.StartEmbedded(t.TempDir(), nil, natsbus.WithReplicas(3)); err == nil {
		t.Error("StartEmbedded with 3 replicas succeeded")
	}
}

// TestEmbeddedListen: with WithListen, a client outside the process reads
// the stream the embedded server holds; without it the server accepts no
// connection, and it never listens beyond loopback (it has no
// authentication).
func TestEmbeddedListen(t *testing.T) {
	ctx := testCtx(t)
	if url := startBus(t, t.TempDir(), testLogger(t)).ClientURL(); url != "" {
		t.Errorf("ClientURL without WithListen = %q; want none", url)
	}
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:4222", "127.0.0.1:x", "127.0.0.1"} {
		if bus, err := natsbus.StartEmbedded(t.TempDir(), nil, natsbus.WithListen(addr)); err == nil {
			bus.Close()
			t.Errorf("StartEmbedded listening on %q succeeded", addr)
		}
	}
	bus, err := natsbus.StartEmbedded(t.TempDir(), testLogger(t), natsbus.WithListen("127.0.0.1:0"))
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(func() { bus.Close() })
	url := bus.ClientURL()
	if !strings.HasPrefix(url, "nats://127.0.0.1:") || strings.HasSuffix(url, ":4222") {
		t.Fatalf("ClientURL = %q; want a free loopback port", url)
	}
	e := events.New("test.listened", "agg", "", time.Now(), nil)
	if err := bus.Publish(ctx, e); err != nil {
		t.Fatal(err)
	}
	outside, err := natsbus.Connect(url, testLogger(t))
	if err != nil {
		t.Fatalf("Connect to %s: %v", url, err)
	}
	t.Cleanup(func() { outside.Close() })
	s, err := outside.JetStream().Stream(ctx, natsbus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if n := s.CachedInfo().State.Msgs; n != 1 {
		t.Errorf("the stream seen from outside holds %d events; want 1", n)
	}
}

// TestFollowFromASequence: a follower started after sequence S gets, in
// order, exactly the matching events published after S, and an event its
// handler fails is given again before any later one.
func TestFollowFromASequence(t *testing.T) {
	ctx := testCtx(t)
	bus := startBus(t, t.TempDir(), testLogger(t))
	before := newEvents(3, events.ListingUpserted)
	if _, err := bus.PublishBatch(ctx, before); err != nil {
		t.Fatal(err)
	}
	seq, err := bus.LastSeq(ctx)
	if err != nil || seq != 3 {
		t.Fatalf("last sequence %d (%v), want 3", seq, err)
	}
	after := append(newEvents(4, events.ListingRemoved), newEvents(2, events.ProductCreated)...)
	if _, err := bus.PublishBatch(ctx, after); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	failed := false
	stop, err := bus.Follow(ctx, []string{events.SubjectPrefix + "catalog.listing.>"}, seq, func(_ context.Context, e events.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if len(got) == 1 && !failed {
			failed = true
			return errors.New("not yet")
		}
		got = append(got, e.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	eventually(t, ctx, "the four removals", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 4 })
	mu.Lock()
	defer mu.Unlock()
	if want := ids(after[:4]); !slices.Equal(got, want) || !failed {
		t.Fatalf("followed %v (failed once: %v), want %v", got, failed, want)
	}
}
