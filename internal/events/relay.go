package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Outbox is the store side of the relay: the events committed with the
// changes they describe and not yet known to be on the bus.
type Outbox interface {
	// PendingEvents returns up to limit unpublished events, oldest id first.
	PendingEvents(ctx context.Context, limit int) ([]Event, error)
	// MarkPublished records that the events with these ids are on the bus.
	MarkPublished(ctx context.Context, ids []string) error
}

// Publisher puts one event on the bus. It publishes with e.ID as the
// deduplication id and returns only once the bus has acknowledged the event as
// stored, so that a nil error means the event can no longer be lost and a
// second Publish of the same event within the deduplication window is a no-op.
type Publisher interface {
	Publish(ctx context.Context, e Event) error
}

// Subscriber delivers the events of the bus to a handler, at least once.
//
// durable names the consumer: its position survives restarts, so events
// acknowledged before a restart are not delivered again. filter is a subject
// filter such as "sesame.catalog.>" ("" means every event). The handler's
// event is acknowledged when it returns nil and delivered again later when it
// returns an error. stop ends the subscription and waits for a running
// handler to return; it must not be called from inside the handler.
type Subscriber interface {
	Subscribe(ctx context.Context, durable, filter string, h Handler) (stop func(), err error)
}

// Defaults of the Relay.
const (
	DefaultRelayBatch    = 100
	DefaultRelayInterval = 200 * time.Millisecond
	// maxRelayBackoff caps the wait after a failure, so that the relay picks
	// up again soon after the bus or the database come back.
	maxRelayBackoff = 10 * time.Second
	minRelayBackoff = 100 * time.Millisecond
)

// Relay moves committed events from the Outbox to the bus, in id order.
//
// An event is marked published only after the Publisher has acknowledged it,
// so a crash between the two publishes it again on restart; the bus drops the
// copy because the event id is the deduplication id. A Relay never drops an
// event: on failure it logs, backs off and tries again.
//
// Several relays may run against one outbox (one per node in scale-out mode):
// each publishes what it finds pending and the bus deduplicates, at the cost
// of extra publishes. Consumers must not rely on a global order across
// aggregates in any case.
//
// A Relay must not be copied after first use.
type Relay struct {
	Outbox
	Publisher
	// Logger receives failures; nil discards them.
	Logger *slog.Logger
	// Batch is the number of events read per query (default DefaultRelayBatch).
	Batch int
	// Interval is the longest wait between two polls of the outbox when
	// nobody calls Notify (default DefaultRelayInterval).
	Interval time.Duration

	initOnce sync.Once
	wake     chan struct{} // holds at most one pending wake-up
	sem      chan struct{} // serialises drains between Run and Flush
}

func (r *Relay) init() {
	r.initOnce.Do(func() {
		r.wake = make(chan struct{}, 1)
		r.sem = make(chan struct{}, 1)
	})
}

func (r *Relay) batch() int {
	if r.Batch > 0 {
		return r.Batch
	}
	return DefaultRelayBatch
}

func (r *Relay) interval() time.Duration {
	if r.Interval > 0 {
		return r.Interval
	}
	return DefaultRelayInterval
}

func (r *Relay) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Notify wakes the relay up so that it publishes without waiting for the next
// poll. It never blocks: stores call it after each commit that wrote events,
// and wake-ups that arrive while one is already pending are merged.
func (r *Relay) Notify() {
	r.init()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run relays events until ctx is done, then returns nil. It drains the
// pending events, waits for Interval or a Notify, and starts again. Failures
// of the outbox or the bus are logged and retried with a growing delay; they
// never end Run. It returns an error only when the Relay is not wired.
func (r *Relay) Run(ctx context.Context) error {
	if r.Outbox == nil || r.Publisher == nil {
		return errors.New("events.Relay: Outbox and Publisher are required")
	}
	r.init()
	log := r.logger()
	backoff := time.Duration(0)
	for {
		err := r.drain(ctx)
		if ctx.Err() != nil {
			return nil
		}
		var wait <-chan struct{}
		var d time.Duration
		if err != nil {
			// Wake-ups are ignored while backing off: with a broken bus, a
			// busy store would otherwise turn them into a retry storm.
			backoff = min(max(2*backoff, minRelayBackoff), maxRelayBackoff)
			d = backoff
			log.LogAttrs(ctx, slog.LevelWarn, "event relay failed; retrying",
				slog.String("err", err.Error()), slog.Duration("retry_in", d))
		} else {
			backoff = 0
			d = r.interval()
			wait = r.wake
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-wait:
		case <-t.C:
		}
		t.Stop()
	}
}

// Flush publishes every pending event once, synchronously, and returns the
// first failure. Tests use it to make delivery deterministic, and shutdown
// uses it to leave nothing behind that the next start would have to publish.
func (r *Relay) Flush(ctx context.Context) error {
	if r.Outbox == nil || r.Publisher == nil {
		return errors.New("events.Relay: Outbox and Publisher are required")
	}
	r.init()
	return r.drain(ctx)
}

// drain publishes pending events batch by batch until none is left. Only one
// drain runs at a time, so that Run and Flush do not publish the same events
// twice in parallel.
func (r *Relay) drain(ctx context.Context) error {
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-r.sem }()
	n := r.batch()
	for {
		evs, err := r.PendingEvents(ctx, n)
		if err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		if len(evs) == 0 {
			return nil
		}
		published := make([]string, 0, len(evs))
		var perr error
		for _, e := range evs {
			if err := r.Publish(ctx, e); err != nil {
				perr = fmt.Errorf("publish event %s (%s): %w", e.ID, e.Type, err)
				break
			}
			published = append(published, e.ID)
		}
		// Mark what made it, even after a failure: it saves publishing those
		// again, and what did not make it stays pending.
		if len(published) > 0 {
			if err := r.MarkPublished(ctx, published); err != nil {
				return errors.Join(perr, fmt.Errorf("mark events published: %w", err))
			}
		}
		if perr != nil {
			return perr
		}
		if len(evs) < n {
			return nil
		}
	}
}
