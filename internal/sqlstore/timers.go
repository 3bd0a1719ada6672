package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/timers"
)

// Timers is the store of the timers table: scheduling, and the poller's
// side (take under a lease, run, fail).
type Timers struct{ db *DB }

var _ timers.Store = (*Timers)(nil)

// Timers returns the timer store.
func (db *DB) Timers() *Timers { return &Timers{db: db} }

// insertTimer writes t inside tx, so that a store method schedules the timer
// a business write needs in that write's transaction. A timer whose dedupe
// is pending already is skipped.
func insertTimer(ctx context.Context, tx *sql.Tx, t timers.Timer) error {
	if t.ID == "" {
		t.ID = ids.New(timers.IDPrefix)
	}
	payload := string(t.Payload)
	if payload == "" {
		payload = "{}"
	}
	created := t.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	_, err := execIn(ctx, tx, `INSERT INTO timers (id, kind, dedupe, due_at, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (dedupe) DO NOTHING`, t.ID, t.Kind, nullStr(t.Dedupe), t.DueAt.UTC(), payload, created.UTC())
	return err
}

// ScheduleTimer implements timers.Scheduler: it writes t in a transaction of
// its own, or in the one ctx carries (a timer handler's, a request's). It
// returns Invalid for a timer without a kind, or Internal or Unavailable
// errors.
func (s *Timers) ScheduleTimer(ctx context.Context, t timers.Timer) error {
	const op = "sqlstore.ScheduleTimer"
	if t.Kind == "" {
		return errs.E(op, errs.Invalid, "a timer needs a kind")
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.db.Now()
	}
	return wrap(op, s.db.inTx(ctx, func(tx *sql.Tx) error { return insertTimer(ctx, tx, t) }), "timer")
}

// TakeTimers implements timers.Store. On PostgreSQL the due rows are locked
// with SKIP LOCKED, so that pollers of several nodes take disjoint batches
// without waiting for each other; on SQLite the single writer serialises
// takes. Either way the lease is written in the same statement that finds
// the rows. It returns Internal or Unavailable errors.
func (s *Timers) TakeTimers(ctx context.Context, kinds []string, now time.Time, limit int, lease time.Duration) ([]timers.Timer, error) {
	const op = "sqlstore.TakeTimers"
	if len(kinds) == 0 || limit <= 0 {
		return nil, nil
	}
	now = now.UTC()
	// A read first: most polls find nothing due, and a poll that writes
	// would take SQLite's writer (and wake the relay) every second.
	probe := []any{now}
	probeMarks := make([]string, len(kinds))
	for i, k := range kinds {
		probe = append(probe, k)
		probeMarks[i] = "$" + strconv.Itoa(len(probe))
	}
	var found string
	err := s.db.QueryRowContext(ctx, `SELECT id FROM timers WHERE kind IN (`+strings.Join(probeMarks, ", ")+`) AND due_at <= $1
		AND (taken_until IS NULL OR taken_until <= $1) LIMIT 1`, probe...).Scan(&found)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap(op, err, "timer")
	}
	token := newLease()
	args := []any{token, now.Add(lease), now, limit}
	marks := make([]string, len(kinds))
	for i, k := range kinds {
		args = append(args, k)
		marks[i] = "$" + strconv.Itoa(len(args))
	}
	lock := ""
	if s.db.Engine == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	q := `UPDATE timers SET lease = $1, taken_until = $2, attempts = attempts + 1
		WHERE id IN (SELECT id FROM timers WHERE kind IN (` + strings.Join(marks, ", ") + `) AND due_at <= $3
			AND (taken_until IS NULL OR taken_until <= $3) ORDER BY due_at LIMIT $4` + lock + `)
		RETURNING id, kind, dedupe, due_at, payload, attempts, last_error, created_at`
	var out []timers.Timer
	err = s.db.inTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				t       timers.Timer
				dedupe  sql.NullString
				payload string
			)
			if err := rows.Scan(&t.ID, &t.Kind, &dedupe, &t.DueAt, &payload, &t.Attempts, &t.LastError, &t.CreatedAt); err != nil {
				return err
			}
			t.Dedupe, t.Payload, t.Lease = dedupe.String, []byte(payload), token
			t.DueAt, t.CreatedAt = t.DueAt.UTC(), t.CreatedAt.UTC()
			out = append(out, t)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap(op, err, "timer")
	}
	slices.SortFunc(out, func(a, b timers.Timer) int {
		if c := a.DueAt.Compare(b.DueAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// errLeaseLost says that a timer's lease ended and another poller took it.
var errLeaseLost = errors.New("the timer's lease was lost to another poller")

// RunTimer implements timers.Store with a deferred transaction (the one
// idempotent requests use): every store call fn makes with the context it
// is given joins it, and the timer's deletion, or its move to next, is its
// last statement, so the handler's effect and the timer's end commit
// together. The timer's row is written last so that a handler that waits
// before writing does not hold SQLite's writer meanwhile. It returns fn's
// error, Conflict if the lease was lost, or Internal or Unavailable errors.
func (s *Timers) RunTimer(ctx context.Context, t timers.Timer, next time.Time, fn func(ctx context.Context) error) error {
	const op = "sqlstore.RunTimer"
	rctx, d := s.db.deferTx(ctx)
	if err := fn(rctx); err != nil {
		d.rollback()
		return err
	}
	err := d.commit(ctx, func(tx *sql.Tx) error {
		var res sql.Result
		var err error
		if next.IsZero() {
			res, err = tx.ExecContext(ctx, `DELETE FROM timers WHERE id = $1 AND lease = $2`, t.ID, t.Lease)
		} else {
			res, err = tx.ExecContext(ctx, `UPDATE timers SET due_at = $1, attempts = 0, last_error = '', lease = '', taken_until = NULL
				WHERE id = $2 AND lease = $3`, next.UTC(), t.ID, t.Lease)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errLeaseLost
		}
		return nil
	})
	if errors.Is(err, errLeaseLost) {
		return errs.E(op, errs.Conflict, err)
	}
	return wrap(op, err, "timer")
}

// FailTimer implements timers.Store: the timer is released, due again at
// retryAt, with msg (cut to 2,000 bytes) as its last error. It returns
// Conflict if the lease was lost, or Internal or Unavailable errors.
func (s *Timers) FailTimer(ctx context.Context, t timers.Timer, retryAt time.Time, msg string) error {
	const op = "sqlstore.FailTimer"
	if len(msg) > 2000 {
		msg = strings.ToValidUTF8(msg[:2000], "")
	}
	res, err := s.db.exec(ctx, `UPDATE timers SET due_at = $1, last_error = $2, lease = '', taken_until = NULL WHERE id = $3 AND lease = $4`,
		retryAt.UTC(), msg, t.ID, t.Lease)
	if err != nil {
		return wrap(op, err, "timer")
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(op, errs.Conflict, errLeaseLost)
	}
	return nil
}

// PendingTimers returns the timers of kind not yet done, by due time, for
// operators and tests. It returns Internal or Unavailable errors.
func (s *Timers) PendingTimers(ctx context.Context, kind string) ([]timers.Timer, error) {
	const op = "sqlstore.PendingTimers"
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, dedupe, due_at, payload, attempts, last_error, lease, created_at
		FROM timers WHERE kind = $1 ORDER BY due_at, id`, kind)
	if err != nil {
		return nil, wrap(op, err, "timer")
	}
	defer rows.Close()
	var out []timers.Timer
	for rows.Next() {
		var (
			t       timers.Timer
			dedupe  sql.NullString
			payload string
		)
		if err := rows.Scan(&t.ID, &t.Kind, &dedupe, &t.DueAt, &payload, &t.Attempts, &t.LastError, &t.Lease, &t.CreatedAt); err != nil {
			return nil, wrap(op, err, "timer")
		}
		t.Dedupe, t.Payload = dedupe.String, []byte(payload)
		t.DueAt, t.CreatedAt = t.DueAt.UTC(), t.CreatedAt.UTC()
		out = append(out, t)
	}
	return out, wrap(op, rows.Err(), "timer")
}
