package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

func outboxCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// outboxEvents makes n events at the test clock's time, with distinct payloads.
func outboxEvents(clock *testkit.Clock, n int) []events.Event {
	evs := make([]events.Event, n)
	for i := range evs {
		evs[i] = events.New(events.ProductCreated, fmt.Sprintf("prd_%03d", i), "tenant-1", clock.Now(),
			map[string]any{"n": i, "title": "Thé vert 绿茶"})
	}
	return evs
}

func outboxPendingIDs(t *testing.T, ctx context.Context, db *sqlstore.DB, limit int) []string {
	t.Helper()
	evs, err := db.PendingEvents(ctx, limit)
	if err != nil {
		t.Fatalf("PendingEvents: %v", err)
	}
	ids := make([]string, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	return ids
}

func outboxEventIDs(evs []events.Event) []string {
	ids := make([]string, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	return ids
}

func TestOutboxPendingInOrder(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := outboxCtx(t)
		clock := testkit.NewClock()
		evs := outboxEvents(clock, 7)
		// Three committed transactions.
		for _, part := range [][]events.Event{evs[:2], evs[2:3], evs[3:]} {
			if err := db.AppendEvents(ctx, part...); err != nil {
				t.Fatalf("AppendEvents: %v", err)
			}
		}
		got, err := db.PendingEvents(ctx, 100)
		if err != nil {
			t.Fatalf("PendingEvents: %v", err)
		}
		// Events round-trip whole: ids, types, payloads and times.
		if diff := cmp.Diff(got, evs); diff != "" {
			t.Errorf("pending events (-got +want):\n%s", diff)
		}
		if diff := cmp.Diff(outboxPendingIDs(t, ctx, db, 3), outboxEventIDs(evs[:3])); diff != "" {
			t.Errorf("first page (-got +want):\n%s", diff)
		}
		pending, published, err := db.OutboxStats(ctx)
		if err != nil {
			t.Fatalf("OutboxStats: %v", err)
		}
		if pending != 7 || published != 0 {
			t.Errorf("OutboxStats = %d pending, %d published; want 7, 0", pending, published)
		}
	})
}

func TestOutboxMarkPublished(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := outboxCtx(t)
		clock := testkit.NewClock()
		db.Now = clock.Now
		evs := outboxEvents(clock, 5)
		if err := db.AppendEvents(ctx, evs...); err != nil {
			t.Fatalf("AppendEvents: %v", err)
		}
		if err := db.MarkPublished(ctx, []string{evs[0].ID, evs[2].ID, "evt_unknown"}); err != nil {
			t.Fatalf("MarkPublished: %v", err)
		}
		want := outboxEventIDs([]events.Event{evs[1], evs[3], evs[4]})
		if diff := cmp.Diff(outboxPendingIDs(t, ctx, db, 100), want); diff != "" {
			t.Errorf("pending after marking (-got +want):\n%s", diff)
		}
		// Marking again is harmless; an empty list does nothing.
		if err := db.MarkPublished(ctx, []string{evs[0].ID}); err != nil {
			t.Fatalf("MarkPublished again: %v", err)
		}
		if err := db.MarkPublished(ctx, nil); err != nil {
			t.Fatalf("MarkPublished(nil): %v", err)
		}
		if err := db.MarkPublished(ctx, outboxEventIDs(evs)); err != nil {
			t.Fatalf("MarkPublished all: %v", err)
		}
		if got := outboxPendingIDs(t, ctx, db, 100); len(got) != 0 {
			t.Errorf("pending after marking all = %v; want none", got)
		}
		pending, published, err := db.OutboxStats(ctx)
		if err != nil {
			t.Fatalf("OutboxStats: %v", err)
		}
		if pending != 0 || published != 5 {
			t.Errorf("OutboxStats = %d pending, %d published; want 0, 5", pending, published)
		}
	})
}

func TestOutboxRollback(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := outboxCtx(t)
		clock := testkit.NewClock()
		evs := outboxEvents(clock, 4)
		if err := db.AppendEvents(ctx, evs[0]); err != nil {
			t.Fatalf("AppendEvents: %v", err)
		}
		cause := errors.New("stock would go below zero")
		if err := db.AppendEventsThenFail(ctx, cause, evs[1], evs[2]); !errors.Is(err, cause) {
			t.Fatalf("AppendEventsThenFail = %v; want %v", err, cause)
		}
		// A batch with an id already in the outbox fails whole: the first
		// event of the batch is not written either.
		if err := db.AppendEvents(ctx, evs[3], evs[0]); !errs.Is(err, errs.Conflict) {
			t.Fatalf("AppendEvents with a duplicate id = %v; want a Conflict", err)
		}
		if diff := cmp.Diff(outboxPendingIDs(t, ctx, db, 100), []string{evs[0].ID}); diff != "" {
			t.Errorf("pending after rollbacks (-got +want):\n%s", diff)
		}
		pending, published, err := db.OutboxStats(ctx)
		if err != nil {
			t.Fatalf("OutboxStats: %v", err)
		}
		if pending != 1 || published != 0 {
			t.Errorf("OutboxStats = %d pending, %d published; want 1, 0", pending, published)
		}
	})
}

func TestProcessOnce(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := outboxCtx(t)
		calls := map[string]int{}
		apply := func(consumer, eventID string) func(context.Context) error {
			return func(context.Context) error {
				calls[consumer+"/"+eventID]++
				return nil
			}
		}
		steps := []struct {
			consumer, event string
			wantRan         bool
		}{
			{"search", "evt_1", true},
			{"search", "evt_1", false},
			{"search", "evt_2", true},
			{"payouts", "evt_1", true}, // another consumer has its own inbox
			{"search", "evt_2", false},
			{"payouts", "evt_1", false},
		}
		for _, s := range steps {
			ran, err := db.ProcessOnce(ctx, s.consumer, s.event, apply(s.consumer, s.event))
			if err != nil {
				t.Fatalf("ProcessOnce(%s, %s): %v", s.consumer, s.event, err)
			}
			if ran != s.wantRan {
				t.Errorf("ProcessOnce(%s, %s) ran = %v; want %v", s.consumer, s.event, ran, s.wantRan)
			}
		}
		want := map[string]int{"search/evt_1": 1, "search/evt_2": 1, "payouts/evt_1": 1}
		if diff := cmp.Diff(calls, want); diff != "" {
			t.Errorf("calls (-got +want):\n%s", diff)
		}

		// A failing fn records nothing, so the next delivery runs it again.
		boom := errors.New("index unavailable")
		ran, err := db.ProcessOnce(ctx, "search", "evt_3", func(context.Context) error { return boom })
		if !ran || !errors.Is(err, boom) {
			t.Fatalf("ProcessOnce with failing fn = %v, %v; want true, %v", ran, err, boom)
		}
		ran, err = db.ProcessOnce(ctx, "search", "evt_3", apply("search", "evt_3"))
		if !ran || err != nil {
			t.Fatalf("ProcessOnce after a failure = %v, %v; want true, nil", ran, err)
		}
		if calls["search/evt_3"] != 1 {
			t.Errorf("search/evt_3 applied %d times; want 1", calls["search/evt_3"])
		}
	})
}

// TestOutboxMarkPublishedLargeBatch marks more ids than one statement takes.
func TestOutboxMarkPublishedLargeBatch(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := outboxCtx(t)
		clock := testkit.NewClock()
		evs := outboxEvents(clock, 2500)
		if err := db.AppendEvents(ctx, evs...); err != nil {
			t.Fatalf("AppendEvents: %v", err)
		}
		if err := db.MarkPublished(ctx, outboxEventIDs(evs[:2400])); err != nil {
			t.Fatalf("MarkPublished: %v", err)
		}
		if diff := cmp.Diff(outboxPendingIDs(t, ctx, db, 1000), outboxEventIDs(evs[2400:])); diff != "" {
			t.Errorf("pending (-got +want):\n%s", diff)
		}
	})
}

func TestOutboxPrunePublished(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := outboxCtx(t)
		clock := testkit.NewClock()
		db.Now = clock.Now
		evs := outboxEvents(clock, 10)
		if err := db.AppendEvents(ctx, evs...); err != nil {
			t.Fatalf("AppendEvents: %v", err)
		}
		if err := db.MarkPublished(ctx, outboxEventIDs(evs[:4])); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
		if err := db.MarkPublished(ctx, outboxEventIDs(evs[4:6])); err != nil {
			t.Fatal(err)
		}
		clock.Advance(30 * time.Minute)
		// Only the four published 90 minutes ago are older than an hour,
		// deleted three at most per call; pending events stay.
		for _, want := range []int64{3, 1, 0} {
			n, err := db.PrunePublished(ctx, time.Hour, 3)
			if err != nil {
				t.Fatalf("PrunePublished: %v", err)
			}
			if n != want {
				t.Errorf("PrunePublished deleted %d; want %d", n, want)
			}
		}
		pending, published, err := db.OutboxStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if pending != 4 || published != 2 {
			t.Errorf("OutboxStats = %d pending, %d published; want 4, 2", pending, published)
		}
		clock.Advance(time.Hour)
		if n, err := db.PrunePublished(ctx, time.Hour, 100); err != nil || n != 2 {
			t.Errorf("PrunePublished = %d, %v; want 2", n, err)
		}
		if diff := cmp.Diff(outboxPendingIDs(t, ctx, db, 100), outboxEventIDs(evs[6:])); diff != "" {
			t.Errorf("pending after pruning (-got +want):\n%s", diff)
		}
	})
}
