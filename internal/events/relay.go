package events

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
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
	// PrunePublished deletes, among the limit oldest events, those
	// published more than age ago, and returns how many it deleted; pending
	// events are never deleted.
	PrunePublished(ctx context.Context, age time.Duration, limit int) (int64, error)
}

// Publisher puts one event on the bus. It publishes with e.ID as the
// deduplication id and returns only once the bus has acknowledged the event as
// stored, so that a nil error means the event can no longer be lost and a
// second Publish of the same event within the deduplication window is a no-op.
type Publisher interface {
	Publish(ctx context.Context, e Event) error
}

// BatchPublisher is a Publisher that can have many events in flight at once.
// PublishBatch publishes evs without waiting between them, then waits for
// every acknowledgement, and returns the ids of the events the bus
// acknowledged as stored (in any order) with the first failure, if any. An
// event not in acked may or may not be on the bus; the relay publishes it
// again, which deduplication makes harmless.
type BatchPublisher interface {
	Publisher
	PublishBatch(ctx context.Context, evs []Event) (acked []string, err error)
}

// Leaser keeps leases: a named job that one holder at a time may do, until
// its lease expires unless renewed. sqlstore.DB is one, so that the relays of
// every node sharing a database elect one of them.
type Leaser interface {
	// TakeLease takes or renews the lease for holder for ttl, reporting
	// false while another holder's lease runs.
	TakeLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease gives up the lease if holder has it.
	ReleaseLease(ctx context.Context, name, holder string) error
}

// LeaseMarker is an Outbox that keeps the relay's lease too and can renew
// it in the transaction that marks a batch published, reporting, as
// TakeLease does, whether the lease is the holder's; the events are marked
// either way. A relay whose Lease is its Outbox renews that way while it
// publishes: on SQLite every write waits for the one writer, which a bulk
// import holds for whole transactions, and a renewal of its own made each
// batch wait for one more of them.
type LeaseMarker interface {
	MarkPublishedTakingLease(ctx context.Context, ids []string, name, holder string, ttl time.Duration) (bool, error)
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
	// DefaultRelayBatch is large because a batch costs one query, one
	// round of acknowledgements and one write transaction, whatever its size:
	// on SQLite, whose one writer the relay shares with the store, 1,000 fell
	// behind a bulk import (9,800 events/s against 13,600 committed, lag p50
	// 2.8 s) where 4,000 kept up (10,200 against 10,800, p50 0.6 s).
	DefaultRelayBatch    = 4000
	DefaultRelayInterval = 200 * time.Millisecond
	// DefaultLeaseName is the lease the relays of one database share.
	DefaultLeaseName = "events.relay"
	// DefaultLeaseTTL bounds how long the relays of a database stand still
	// after the active one dies: its lease runs out and a standby polling
	// every third of it takes over, within 1⅓ TTL of the last renewal.
	DefaultLeaseTTL = 6 * time.Second
	// DefaultRetention is how long published events stay in the outbox:
	// a day of history to inspect or replay from after an incident.
	DefaultRetention = 24 * time.Hour
	// DefaultPruneEvery is how often the active relay prunes.
	DefaultPruneEvery = time.Minute
	// pruneBatch rows are deleted per statement, and at most pruneRounds
	// statements run per relay cycle, so that a large backlog of old rows
	// is deleted over many cycles and never delays publishing for long.
	pruneBatch  = 1000
	pruneRounds = 10
	// maxRelayBackoff caps the wait after a failure, so that the relay picks
	// up again soon after the bus or the database come back.
	maxRelayBackoff = 10 * time.Second
	minRelayBackoff = 100 * time.Millisecond
)

// Relay moves committed events from the Outbox to the bus, in id order.
//
// It reads a batch of pending events, publishes them all asynchronously
// when the Publisher is a BatchPublisher (one at a time otherwise), waits for
// their acknowledgements and marks the acknowledged ones published in one
// statement. An event is marked published only after the bus acknowledged
// it, so a crash between the two publishes it again on restart; the bus drops
// the copy because the event id is the deduplication id. A Relay never drops
// an event: on failure it logs, backs off and tries again. Events of a batch
// that failed while later ones succeeded are published again after them:
// consumers must not rely on a global order across aggregates.
//
// With a Lease, only the relay holding the lease publishes, so that the
// nodes of a scale-out deployment do not all publish every event. The lease
// is for efficiency, not correctness: two relays that both believe they hold
// it (a holder paused past its TTL) publish copies the bus deduplicates.
// Without a Lease, every relay publishes what it finds pending.
//
// Once in a while the holder deletes events published more than Retention
// ago.
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

	// Lease, if set, elects one relay among those sharing the outbox.
	Lease Leaser
	// LeaseName (default DefaultLeaseName), Holder (default a random id)
	// and LeaseTTL (default DefaultLeaseTTL) describe the lease.
	LeaseName string
	Holder    string
	LeaseTTL  time.Duration
	// Retention is how long published events are kept (default
	// DefaultRetention; negative: for ever). PruneEvery is how often they
	// are pruned (default DefaultPruneEvery).
	Retention  time.Duration
	PruneEvery time.Duration

	initOnce sync.Once
	wake     chan struct{} // holds at most one pending wake-up
	sem      chan struct{} // serialises cycles between Run and Flush
	// Guarded by sem:
	held      bool      // the lease was ours at renewedAt
	renewedAt time.Time // last successful TakeLease, by the local clock
	pruneAt   time.Time // next prune is due
}

func (r *Relay) init() {
	r.initOnce.Do(func() {
		r.wake = make(chan struct{}, 1)
		r.sem = make(chan struct{}, 1)
		if r.Holder == "" {
			var b [8]byte
			rand.Read(b[:])
			r.Holder = "relay-" + hex.EncodeToString(b[:])
		}
		if r.LeaseName == "" {
			r.LeaseName = DefaultLeaseName
		}
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

func (r *Relay) leaseTTL() time.Duration {
	if r.LeaseTTL > 0 {
		return r.LeaseTTL
	}
	return DefaultLeaseTTL
}

func (r *Relay) retention() time.Duration {
	if r.Retention != 0 {
		return r.Retention
	}
	return DefaultRetention
}

func (r *Relay) pruneEvery() time.Duration {
	if r.PruneEvery > 0 {
		return r.PruneEvery
	}
	return DefaultPruneEvery
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

// Run relays events until ctx is done, then returns nil. It takes or renews
// the lease (when there is one), drains the pending events, prunes when due,
// waits for Interval or a Notify, and starts again; a relay that does not
// hold the lease polls it every third of its TTL instead. Failures of the
// outbox or the bus are logged and retried with a growing delay; they never
// end Run. It returns an error only when the Relay is not wired.
//
// Run does not release the lease when it returns, so that a process that
// dies and one that stops look alike to the others; call Release on a clean
// shutdown to hand over at once.
func (r *Relay) Run(ctx context.Context) error {
	if r.Outbox == nil || r.Publisher == nil {
		return errors.New("events.Relay: Outbox and Publisher are required")
	}
	r.init()
	log := r.logger()
	backoff := time.Duration(0)
	for {
		held, err := r.cycle(ctx, true)
		if ctx.Err() != nil {
			return nil
		}
		var wait <-chan struct{}
		var d time.Duration
		switch {
		case err != nil:
			// Wake-ups are ignored while backing off: with a broken bus, a
			// busy store would otherwise turn them into a retry storm.
			backoff = min(max(2*backoff, minRelayBackoff), maxRelayBackoff)
			d = backoff
			log.LogAttrs(ctx, slog.LevelWarn, "event relay failed; retrying",
				slog.String("err", err.Error()), slog.Duration("retry_in", d))
		case !held:
			// A standby: wake-ups are for the holder.
			backoff = 0
			d = r.leaseTTL() / 3
		default:
			backoff = 0
			d = min(r.interval(), r.leaseTTL()/3)
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
// With a Lease, it publishes only if it holds or can take the lease: another
// node's relay publishes otherwise.
func (r *Relay) Flush(ctx context.Context) error {
	if r.Outbox == nil || r.Publisher == nil {
		return errors.New("events.Relay: Outbox and Publisher are required")
	}
	r.init()
	_, err := r.cycle(ctx, false)
	return err
}

// Release gives the lease up, if this relay holds it, so that another node
// takes over without waiting for it to expire. Call it after Run returned.
func (r *Relay) Release(ctx context.Context) error {
	if r.Lease == nil {
		return nil
	}
	r.init()
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-r.sem }()
	r.held = false
	return r.Lease.ReleaseLease(ctx, r.LeaseName, r.Holder)
}

// errLeaseLost ends a drain whose relay no longer holds the lease.
var errLeaseLost = errors.New("lease lost")

// cycle holds the lease, drains and, when prune is set and it is due,
// prunes. It reports whether this relay holds the lease (always true
// without a Lease). Only one cycle runs at a time, so that Run and Flush do
// not publish the same events twice in parallel.
func (r *Relay) cycle(ctx context.Context, prune bool) (bool, error) {
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-r.sem }()
	if err := r.hold(ctx, r.renewBeforeRead()); err != nil || !r.held {
		return false, err
	}
	err := r.drain(ctx)
	if errors.Is(err, errLeaseLost) {
		r.logger().LogAttrs(ctx, slog.LevelInfo, "event relay lease lost; standing by", slog.String("holder", r.Holder))
		return false, nil
	}
	if err == nil && prune {
		err = r.prune(ctx)
	}
	return r.held, err
}

// hold takes the lease when this relay does not hold it, and renews it once
// after has passed since the last renewal (so that a busy relay does not
// write the lease row at every cycle); sem is held.
func (r *Relay) hold(ctx context.Context, after time.Duration) error {
	if r.Lease == nil {
		r.held = true
		return nil
	}
	if r.held && time.Since(r.renewedAt) < after {
		return nil
	}
	start := time.Now()
	ok, err := r.Lease.TakeLease(ctx, r.LeaseName, r.Holder, r.leaseTTL())
	return r.renewed(ctx, start, ok, err)
}

// renewed records the outcome of a TakeLease begun at start; sem is held.
func (r *Relay) renewed(ctx context.Context, start time.Time, ok bool, err error) error {
	if err != nil {
		// Unknown: stop publishing, as if the lease were lost, until a
		// renewal succeeds.
		r.held = false
		return fmt.Errorf("take lease %s: %w", r.LeaseName, err)
	}
	if ok && !r.held {
		r.logger().LogAttrs(ctx, slog.LevelInfo, "event relay took the lease", slog.String("holder", r.Holder))
	}
	r.held = ok
	if ok {
		// Counted from before the statement, so that the local idea of the
		// expiry is never later than the database's.
		r.renewedAt = start
	}
	return nil
}

// A relay renews its lease once a third of the TTL has passed
// (renewAfter). With a LeaseMarker it does so with the marking of a batch
// while it publishes, and when it finds nothing to publish; only once the TTL
// has passed since the last renewal began, when the lease may have run out,
// does it renew before reading (renewBeforeRead). Otherwise it renews
// before reading once the third has passed.
func (r *Relay) renewAfter() time.Duration { return r.leaseTTL() / 3 }

func (r *Relay) renewBeforeRead() time.Duration {
	if _, ok := r.leaseMarker(); ok {
		return r.leaseTTL()
	}
	return r.renewAfter()
}

// leaseMarker returns the Outbox as a LeaseMarker when it is the Lease too.
func (r *Relay) leaseMarker() (LeaseMarker, bool) {
	lm, ok := r.Outbox.(LeaseMarker)
	if !ok || r.Lease == nil {
		return nil, false
	}
	t := reflect.TypeOf(r.Lease)
	if t != reflect.TypeOf(r.Outbox) || !t.Comparable() || any(r.Lease) != any(r.Outbox) {
		return nil, false
	}
	return lm, true
}

// mark marks the published events, renewing the lease in the same
// transaction when it is due and the Outbox can; sem is held.
func (r *Relay) mark(ctx context.Context, ids []string) error {
	lm, ok := r.leaseMarker()
	if !ok || (r.held && time.Since(r.renewedAt) < r.renewAfter()) {
		return r.MarkPublished(ctx, ids)
	}
	start := time.Now()
	held, err := lm.MarkPublishedTakingLease(ctx, ids, r.LeaseName, r.Holder, r.leaseTTL())
	if err != nil {
		// Neither done: the lease is as unknown as after a failed renewal.
		r.held = false
		return err
	}
	return r.renewed(ctx, start, held, nil)
}

// drain publishes pending events batch by batch until none is left,
// renewing the lease as it goes (see renewAfter); sem is held.
func (r *Relay) drain(ctx context.Context) error {
	n := r.batch()
	for {
		if err := r.hold(ctx, r.renewBeforeRead()); err != nil {
			return err
		}
		if !r.held {
			return errLeaseLost
		}
		evs, err := r.PendingEvents(ctx, n)
		if err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		if len(evs) == 0 {
			// Nothing to publish: a moment when renewing costs nothing.
			if err := r.hold(ctx, r.renewAfter()); err != nil {
				return err
			}
			if !r.held {
				return errLeaseLost
			}
			return nil
		}
		published, perr := r.publish(ctx, evs)
		// Mark what made it, even after a failure: it saves publishing those
		// again, and what did not make it stays pending.
		if len(published) > 0 {
			if err := r.mark(ctx, published); err != nil {
				return errors.Join(perr, fmt.Errorf("mark events published: %w", err))
			}
		}
		if perr != nil {
			return perr
		}
		if !r.held {
			return errLeaseLost
		}
		if len(evs) < n {
			return nil
		}
	}
}

// publish puts evs on the bus and returns the ids acknowledged.
func (r *Relay) publish(ctx context.Context, evs []Event) ([]string, error) {
	if bp, ok := r.Publisher.(BatchPublisher); ok {
		acked, err := bp.PublishBatch(ctx, evs)
		if err != nil {
			err = fmt.Errorf("publish %d events (%d acknowledged): %w", len(evs), len(acked), err)
		}
		return acked, err
	}
	published := make([]string, 0, len(evs))
	for _, e := range evs {
		if err := r.Publish(ctx, e); err != nil {
			return published, fmt.Errorf("publish event %s (%s): %w", e.ID, e.Type, err)
		}
		published = append(published, e.ID)
	}
	return published, nil
}

// prune deletes old published events when due, at most pruneRounds
// statements per cycle; sem is held.
func (r *Relay) prune(ctx context.Context) error {
	age := r.retention()
	if age < 0 || time.Now().Before(r.pruneAt) {
		return nil
	}
	for range pruneRounds {
		n, err := r.PrunePublished(ctx, age, pruneBatch)
		if err != nil {
			return fmt.Errorf("prune outbox: %w", err)
		}
		if n < pruneBatch {
			r.pruneAt = time.Now().Add(r.pruneEvery())
			return nil
		}
	}
	// More is left: the next cycle goes on, after publishing.
	return nil
}
