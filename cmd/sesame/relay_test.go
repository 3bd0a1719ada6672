package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/natsbus"
)

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// received is one message of the stream as a client outside the process
// reads it.
type received struct {
	event  events.Event
	msgID  string    // Nats-Msg-Id
	stored time.Time // when the stream stored it
}

// TestDemoRelaysWhileSeeding runs the demo with its embedded JetStream server
// listening on loopback, as scripts/relay-lag.sh does, and reads the stream
// from outside the process: the relay is live while the catalogue is
// written (the first batch's listing events are on the stream before the
// last batch's are written, where a relay started after the seed would
// publish nothing until the end), and once the outbox is drained every
// outbox row is on the stream exactly once, under its own id.
func TestDemoRelaysWhileSeeding(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	natsAddr := freeAddr(t)
	ready := make(chan string, 1)
	out := &syncBuffer{}
	done := make(chan error, 1)
	env := map[string]string{"SESAME_DATA": dir}
	// Sixteen catalogue batches of 500 products, each a transaction: the
	// demo imports three at a time, so the last are written well after
	// the first.
	args := []string{"demo", "--addr", "127.0.0.1:0", "--products", "8000", "--nats-listen", natsAddr}
	go func() {
		done <- runWith(ctx, args, func(k string) string { return env[k] }, out, hooks{Ready: ready, SeedBatch: 500})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("run returned early: %v\n%s", err, out)
	case <-time.After(120 * time.Second):
		t.Fatalf("not ready after 120s:\n%s", out)
	}
	if want := "nats-listen nats://" + natsAddr; !strings.Contains(out.String(), want) {
		t.Errorf("start-up output lacks %q:\n%s", want, out)
	}
	if !strings.Contains(out.String(), "/s at the start, ") {
		t.Errorf("the seed report lacks its rates:\n%s", out)
	}

	nc, err := nats.Connect("nats://" + natsAddr)
	if err != nil {
		t.Fatalf("connect to the demo's JetStream: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := js.OrderedConsumer(ctx, natsbus.StreamName, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []received
	cc, err := cons.Consume(func(m jetstream.Msg) {
		r := received{msgID: m.Headers().Get(jetstream.MsgIDHeader)}
		if md, err := m.Metadata(); err == nil {
			r.stored = md.Timestamp
		}
		if err := json.Unmarshal(m.Data(), &r.event); err != nil {
			t.Errorf("message %s: %v", m.Subject(), err)
		}
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Stop()

	// A reader of its own beside the demo's (WAL lets it read while the
	// relay writes): the outbox as the database holds it.
	rdb, err := sql.Open("sqlite", filepath.Join(dir, "sesame.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	outbox := func() (ids map[string]bool, pending int) {
		rows, err := rdb.Query(`SELECT id, published_at IS NULL FROM outbox`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		ids = map[string]bool{}
		for rows.Next() {
			var id string
			var unpublished bool
			if err := rows.Scan(&id, &unpublished); err != nil {
				t.Fatal(err)
			}
			ids[id] = true
			if unpublished {
				pending++
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return ids, pending
	}
	var rows map[string]bool
	for deadline := time.Now().Add(60 * time.Second); ; {
		var pending int
		rows, pending = outbox()
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if pending == 0 && n >= len(rows) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60s: %d outbox rows, %d pending, %d events read from the stream", len(rows), pending, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Anything relayed late would show as an extra message.
	time.Sleep(500 * time.Millisecond)
	cc.Stop()
	mu.Lock()
	all := slices.Clone(got)
	mu.Unlock()

	// Exactly once, under its own id.
	times := map[string]int{}
	var firstListing *received
	var lastListingAt time.Time
	for i := range all {
		r := &all[i]
		times[r.event.ID]++
		if r.msgID != r.event.ID {
			t.Errorf("event %s published with Nats-Msg-Id %q", r.event.ID, r.msgID)
		}
		if !rows[r.event.ID] {
			t.Errorf("event %s (%s) on the stream is in no outbox row", r.event.ID, r.event.Type)
		}
		if r.event.Type == events.ListingsUpserted || r.event.Type == events.ListingUpserted {
			if firstListing == nil {
				firstListing = r
			}
			if r.event.At.After(lastListingAt) {
				lastListingAt = r.event.At
			}
		}
	}
	for id := range rows {
		if times[id] != 1 {
			t.Errorf("outbox row %s is on the stream %d times; want once", id, times[id])
		}
	}
	if firstListing == nil {
		t.Fatal("no listing event on the stream")
	}
	// The last batch's events are stamped as they are written, inside the
	// seed; the first batch's were already stored by then.
	if !firstListing.stored.Before(lastListingAt) {
		t.Errorf("the first listing event was stored at %s, after the last batch's were written (%s): the relay waited for the seed",
			firstListing.stored.Format(time.StampMicro), lastListingAt.Format(time.StampMicro))
	}
	t.Logf("%d events; the first listing event was stored %s before the last batch was written",
		len(all), lastListingAt.Sub(firstListing.stored).Round(time.Millisecond))

	cancel()
	awaitShutdown(t, done)
}
