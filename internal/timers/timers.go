// Package timers runs Sesame's work that falls due at a time (a reservation
// that expires, an escrow that confirms itself, a delivery promise to check,
// the periodic sweeps) from rows of a timers table rather than from
// goroutines, so that nothing due is lost when a process dies.
//
// A timer is scheduled in the same transaction as the business write that
// needs it (the store's methods write it beside their rows). A Runner polls
// for due timers, takes a batch under a lease, and runs each kind's handler.
// The handler's writes, made through the store with the context it is given,
// commit in one transaction with the timer's deletion (or, for a recurring
// timer, its move to the next due time): a crash before that commit leaves
// the timer in place, and once its lease runs out a poller takes it again. A
// handler therefore runs at least once and its database effect commits
// exactly once; effects outside the database (a mail) must be idempotent.
package timers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/sesame-market/sesame/internal/ids"
)

// IDPrefix prefixes timer ids.
const IDPrefix = "tmr"

// Timer is one piece of work due at a time.
type Timer struct {
	ID   string
	Kind string
	// Dedupe, when set, is unique among pending timers: scheduling a second
	// timer with the same Dedupe does nothing. Recurring timers use their
	// kind, so that there is one row per kind however many nodes start.
	Dedupe  string
	DueAt   time.Time
	Payload json.RawMessage
	// Attempts counts the times the timer was taken, this one included.
	Attempts int
	// LastError is the failure of the previous attempt, if any.
	LastError string
	// Lease identifies the take that holds the timer; the store only
	// finishes a timer whose lease still holds.
	Lease     string
	CreatedAt time.Time
}

// New returns a timer of kind due at dueAt with payload encoded as JSON
// (nil gives an empty object).
func New(kind string, dueAt time.Time, payload any) (Timer, error) {
	t := Timer{ID: ids.New(IDPrefix), Kind: kind, DueAt: dueAt.UTC(), Payload: json.RawMessage(`{}`)}
	if kind == "" {
		return t, errors.New("timers: a timer needs a kind")
	}
	if payload != nil {
		b, err := json.Marshal(payload)
		if err != nil {
			return t, fmt.Errorf("timers: payload of %s: %w", kind, err)
		}
		t.Payload = b
	}
	return t, nil
}

// Scheduler schedules timers. Called with a context that carries a
// transaction of the store (a handler's, or a request's deferred one), the
// timer commits with it.
type Scheduler interface {
	// ScheduleTimer writes t (an id is made when it has none); a timer whose
	// Dedupe is already pending is ignored.
	ScheduleTimer(ctx context.Context, t Timer) error
}

// Schedule schedules a timer of kind due at dueAt with payload (see New)
// through s, in the transaction ctx carries if any, and returns it.
func Schedule(ctx context.Context, s Scheduler, kind string, dueAt time.Time, payload any) (Timer, error) {
	t, err := New(kind, dueAt, payload)
	if err != nil {
		return t, err
	}
	return t, s.ScheduleTimer(ctx, t)
}

// Store is the store side of the Runner.
type Store interface {
	Scheduler
	// TakeTimers leases up to limit due timers of the given kinds for lease:
	// timers due at now or before, not held by a lease still running. Each
	// taken timer's Attempts is counted up. Two takers never get the same
	// timer while its lease runs.
	TakeTimers(ctx context.Context, kinds []string, now time.Time, limit int, lease time.Duration) ([]Timer, error)
	// RunTimer runs fn with a context whose store writes join one
	// transaction; if fn succeeds and t's lease still holds, that
	// transaction also deletes t (next zero) or moves it to next (a
	// recurring timer, its attempts reset), and commits. If fn fails or the
	// lease was lost, nothing commits and the error says so.
	RunTimer(ctx context.Context, t Timer, next time.Time, fn func(ctx context.Context) error) error
	// FailTimer releases t after a failed attempt, due again at retryAt,
	// with msg as its last error (if its lease still holds).
	FailTimer(ctx context.Context, t Timer, retryAt time.Time, msg string) error
}

// Handler does the work of a timer. Its store writes must use ctx, so that
// they commit with the timer's end.
type Handler func(ctx context.Context, t Timer) error

// Defaults of the Runner.
const (
	DefaultBatch    = 50
	DefaultInterval = time.Second
	DefaultLease    = time.Minute
	minBackoff      = time.Second
	maxBackoff      = time.Hour
)

// Runner polls the store for due timers and runs their handlers. Several
// Runners (one per node) may poll one database: a timer is taken by one of
// them at a time.
//
// Handle and Every must be called before Run.
type Runner struct {
	Store Store
	// Logger receives failures; nil discards them.
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Batch is the number of timers taken per poll (default DefaultBatch).
	Batch int
	// Interval is the wait between polls when none are due (default
	// DefaultInterval): the lateness a timer may have.
	Interval time.Duration
	// Lease is how long a taken timer is held before another poller may
	// take it as abandoned (default DefaultLease). A handler should finish
	// well within it.
	Lease time.Duration
	// Backoff is the wait before a failed timer is tried again, given the
	// attempts so far (default: doubling from 1 s up to 1 h).
	Backoff func(attempts int) time.Duration

	mu       sync.Mutex
	handlers map[string]Handler
	every    map[string]time.Duration
}

// Handle registers h for timers of kind, replacing any previous handler.
func (r *Runner) Handle(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.handlers == nil {
		r.handlers = map[string]Handler{}
	}
	r.handlers[kind] = h
}

// Every registers fn as recurring work of kind, run every interval: one
// timer of that kind (Dedupe = kind) is created by Start if missing, and each
// run moves it to its next due time in the transaction of the run's writes.
func (r *Runner) Every(kind string, interval time.Duration, fn func(ctx context.Context) error) {
	r.Handle(kind, func(ctx context.Context, _ Timer) error { return fn(ctx) })
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.every == nil {
		r.every = map[string]time.Duration{}
	}
	r.every[kind] = interval
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (r *Runner) backoff(attempts int) time.Duration {
	if r.Backoff != nil {
		return r.Backoff(attempts)
	}
	d := minBackoff
	for i := 1; i < attempts && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

func (r *Runner) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ks := make([]string, 0, len(r.handlers))
	for k := range r.handlers {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Start creates the timer of each recurring kind that has none, due now. It
// is idempotent: nodes starting together create one timer per kind.
func (r *Runner) Start(ctx context.Context) error {
	r.mu.Lock()
	kinds := make([]string, 0, len(r.every))
	for k := range r.every {
		kinds = append(kinds, k)
	}
	r.mu.Unlock()
	sort.Strings(kinds)
	for _, k := range kinds {
		t, err := New(k, r.now(), nil)
		if err != nil {
			return err
		}
		t.Dedupe = k
		if err := r.Store.ScheduleTimer(ctx, t); err != nil {
			return fmt.Errorf("timers: schedule %s: %w", k, err)
		}
	}
	return nil
}

// RunOnce takes one batch of due timers and runs them, one after the other.
// It returns how many it ran successfully; a handler's failure is recorded
// on its timer (retried after Backoff), not returned. It returns an error
// only when the store fails to give timers.
func (r *Runner) RunOnce(ctx context.Context) (int, error) {
	kinds := r.kinds()
	if len(kinds) == 0 {
		return 0, nil
	}
	batch := r.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	lease := r.Lease
	if lease <= 0 {
		lease = DefaultLease
	}
	ts, err := r.Store.TakeTimers(ctx, kinds, r.now(), batch, lease)
	if err != nil {
		return 0, err
	}
	ran := 0
	for _, t := range ts {
		if ctx.Err() != nil {
			r.release(ctx, t)
			continue
		}
		if r.run(ctx, t) {
			ran++
		}
	}
	return ran, nil
}

// release gives back a timer the Runner took but will not finish because
// it is stopping, so that the next poller need not wait for its lease.
func (r *Runner) release(ctx context.Context, t Timer) {
	if err := r.Store.FailTimer(context.WithoutCancel(ctx), t, t.DueAt, "not finished: the poller stopped"); err != nil {
		r.logger().Warn("timer not released; taken again after its lease", "kind", t.Kind, "timer", t.ID, "err", err)
	}
}

func (r *Runner) run(ctx context.Context, t Timer) bool {
	r.mu.Lock()
	h := r.handlers[t.Kind]
	interval, recurring := r.every[t.Kind]
	r.mu.Unlock()
	var next time.Time
	if recurring {
		next = r.now().Add(interval)
	}
	err := r.Store.RunTimer(ctx, t, next, func(ctx context.Context) (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		return h(ctx, t)
	})
	if err == nil {
		return true
	}
	if ctx.Err() != nil {
		r.release(ctx, t) // shutting down: not the handler's failure
		return false
	}
	retry := r.now().Add(r.backoff(t.Attempts))
	if recurring {
		// Recurring work keeps its pace: a failed sweep is tried again at
		// the next interval at the latest.
		if next.Before(retry) {
			retry = next
		}
	}
	r.logger().Warn("timer failed", "kind", t.Kind, "timer", t.ID, "attempts", t.Attempts, "retry_at", retry, "err", err)
	if ferr := r.Store.FailTimer(context.WithoutCancel(ctx), t, retry, err.Error()); ferr != nil {
		r.logger().Warn("timer failure not recorded; retried after its lease", "kind", t.Kind, "timer", t.ID, "err", ferr)
	}
	return false
}

// Run creates the recurring timers (Start) and then polls until ctx ends,
// returning nil. A full batch is followed by the next at once; otherwise
// it waits Interval. Store failures are logged and retried at the next poll.
func (r *Runner) Run(ctx context.Context) error {
	if r.Store == nil {
		return errors.New("timers.Runner: Store is required")
	}
	interval := r.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	log := r.logger()
	started := false
	for {
		if !started {
			if err := r.Start(ctx); err != nil {
				if ctx.Err() == nil {
					log.Warn("recurring timers not created yet", "err", err)
				}
			} else {
				started = true
			}
		}
		n, err := r.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn("taking due timers", "err", err)
		}
		batch := r.Batch
		if batch <= 0 {
			batch = DefaultBatch
		}
		wait := interval
		if err == nil && n >= batch {
			wait = 0
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}
