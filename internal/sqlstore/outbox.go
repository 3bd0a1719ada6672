package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
)

// The relay reads and marks the outbox through these methods.
var (
	_ events.Outbox      = (*DB)(nil)
	_ events.LeaseMarker = (*DB)(nil)
)

// PendingEvents returns up to limit events not yet published, in id order.
// Event ids are time-ordered, so this is roughly the order in which the
// events were created. A limit below 1 is treated as 1. It returns Internal or
// Unavailable errors.
func (db *DB) PendingEvents(ctx context.Context, limit int) ([]events.Event, error) {
	const op = "sqlstore.PendingEvents"
	limit = max(limit, 1)
	rows, err := db.r.QueryContext(ctx,
		`SELECT id, type, aggregate_id, tenant, payload, created_at FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1`,
		limit)
	if err != nil {
		return nil, wrap(op, err, "event")
	}
	defer rows.Close()
	evs := make([]events.Event, 0, min(limit, 256))
	for rows.Next() {
		var (
			e       events.Event
			payload string
			at      time.Time
		)
		if err := rows.Scan(&e.ID, &e.Type, &e.AggregateID, &e.Tenant, &payload, &at); err != nil {
			return nil, wrap(op, err, "event")
		}
		e.At = at.UTC()
		// An empty payload would make the event unmarshallable JSON; nil
		// marshals as null.
		if payload != "" {
			e.Payload = json.RawMessage(payload)
		}
		evs = append(evs, e)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err, "event")
	}
	return evs, nil
}

// markChunk bounds the ids of one UPDATE: far below the bind limits of
// both engines (32766 on SQLite, 65535 on PostgreSQL), and large enough that
// a relay batch is one statement.
const markChunk = 1000

// MarkPublished stamps the events with these ids as published at db.Now().
// Unknown ids and events already marked are ignored, so that a relay that
// repeats itself after a crash does no harm. A batch is one UPDATE ... IN
// (...) per markChunk ids, in one transaction. It returns Internal or
// Unavailable errors.
func (db *DB) MarkPublished(ctx context.Context, ids []string) error {
	const op = "sqlstore.MarkPublished"
	if len(ids) == 0 {
		return nil
	}
	return wrap(op, db.inTx(ctx, func(tx *sql.Tx) error {
		return db.markPublished(ctx, tx, ids)
	}), "event")
}

// MarkPublishedTakingLease is MarkPublished and TakeLease in one
// transaction: the relay renews its lease with the batch it marks, so that on
// SQLite it waits for the one writer once, not twice, while a bulk import
// holds it for whole transactions. The lease is taken or renewed as
// TakeLease would, and the events are marked whatever its outcome (they are
// on the bus either way). It returns Invalid (see TakeLease), Internal or
// Unavailable errors; with an error, neither is done.
func (db *DB) MarkPublishedTakingLease(ctx context.Context, ids []string, name, holder string, ttl time.Duration) (bool, error) {
	const op = "sqlstore.MarkPublishedTakingLease"
	if name == "" || holder == "" || ttl < time.Millisecond {
		return false, errs.E(op, errs.Invalid, "a lease needs a name, a holder and a ttl of at least 1ms")
	}
	var ok bool
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if ok, err = db.takeLease(ctx, tx, name, holder, ttl); err != nil {
			return err
		}
		return db.markPublished(ctx, tx, ids)
	})
	if err != nil {
		return false, wrap(op, err, "event")
	}
	return ok, nil
}

// markPublished is MarkPublished's statements, inside tx.
func (db *DB) markPublished(ctx context.Context, tx *sql.Tx, ids []string) error {
	now := db.Now()
	for len(ids) > 0 {
		part := ids[:min(len(ids), markChunk)]
		ids = ids[len(part):]
		q, args := inList(`UPDATE outbox SET published_at = $1 WHERE published_at IS NULL AND id IN `, []any{now}, part)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// PrunePublished deletes, among the limit oldest events (by id), those
// published before db.Now()-age, and returns how many it deleted. Pending
// events are never deleted. Ids are time-ordered and pruning goes oldest
// first, so the oldest events are the ones due: looking only at the head of
// the primary key needs no index on published_at (which every
// MarkPublished would have to maintain) and never scans the table. A few
// events still pending at the head only narrow the next calls' window. One
// call is one short statement, so that a large prune, done as many calls,
// never holds the writer for long (SQLite has one). A limit below 1 is
// treated as 1. It returns Internal or Unavailable errors.
func (db *DB) PrunePublished(ctx context.Context, age time.Duration, limit int) (int64, error) {
	const op = "sqlstore.PrunePublished"
	limit = max(limit, 1)
	res, err := db.w.ExecContext(ctx,
		`DELETE FROM outbox WHERE id IN (
		   SELECT id FROM (SELECT id, published_at FROM outbox ORDER BY id LIMIT $2) AS head
		   WHERE published_at IS NOT NULL AND published_at < $1)`,
		db.Now().Add(-age), limit)
	if err != nil {
		return 0, wrap(op, err, "event")
	}
	n, err := res.RowsAffected()
	return n, wrap(op, err, "event")
}

// AppendEvents writes events to the outbox in one transaction of their own.
// Business changes write their events with the change, in the store method's
// transaction; this is for events that describe no row of this database
// (system events) and for tests. An id already in the outbox is a Conflict
// and writes none of the events.
func (db *DB) AppendEvents(ctx context.Context, evs ...events.Event) error {
	const op = "sqlstore.AppendEvents"
	if len(evs) == 0 {
		return nil
	}
	return wrap(op, db.inTx(ctx, func(tx *sql.Tx) error {
		return insertEvents(ctx, tx, evs)
	}), "event")
}

// ProcessOnce runs fn for the event eventID on behalf of consumer, unless the
// inbox records that it already ran to completion; it reports whether fn was
// called. When fn fails, nothing is recorded and its error is returned, so the
// bus delivers the event again.
//
// fn runs outside any transaction of this database (it may use the store
// itself, and SQLite has a single writer connection), so the inbox row is
// written after fn returns. A crash between the two, or two deliveries of the
// same event handled at the same moment, runs fn twice: fn's effects must be
// idempotent anyway. The inbox makes repeats rare and cheap, not impossible.
// It returns fn's error, or Internal or Unavailable errors.
func (db *DB) ProcessOnce(ctx context.Context, consumer, eventID string, fn func(ctx context.Context) error) (bool, error) {
	const op = "sqlstore.ProcessOnce"
	var n int
	err := db.r.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM inbox WHERE consumer = $1 AND event_id = $2`, consumer, eventID).Scan(&n)
	if err != nil {
		return false, wrap(op, err, "inbox entry")
	}
	if n > 0 {
		return false, nil
	}
	if err := fn(ctx); err != nil {
		return true, err
	}
	// ON CONFLICT DO NOTHING: a concurrent delivery may have recorded the
	// event first, which is not a failure of this one.
	_, err = db.w.ExecContext(ctx,
		`INSERT INTO inbox (consumer, event_id, processed_at) VALUES ($1, $2, $3) ON CONFLICT (consumer, event_id) DO NOTHING`,
		consumer, eventID, db.Now())
	if err != nil {
		return true, wrap(op, err, "inbox entry")
	}
	return true, nil
}

// OutboxStats counts the events waiting to be published and those already
// published, for health checks and the operator dashboard. It returns
// Internal or Unavailable errors.
func (db *DB) OutboxStats(ctx context.Context) (pending, published int64, err error) {
	const op = "sqlstore.OutboxStats"
	err = db.r.QueryRowContext(ctx,
		`SELECT COUNT(*) - COUNT(published_at), COUNT(published_at) FROM outbox`).Scan(&pending, &published)
	if err != nil {
		return 0, 0, wrap(op, err, "event")
	}
	return pending, published, nil
}

// ProcessOnceTx runs fn for the event eventID on behalf of consumer exactly
// once: fn's effect and the consumer's inbox row commit together, in one
// transaction. Store calls fn makes with the context it is given join that
// transaction (the deferred transaction of inTx), so they see each other's
// writes and commit, or not, with the inbox row. It reports whether fn ran
// and committed; false with no error means the inbox already held the event.
//
// The inbox row is written first, so a concurrent delivery of the same event
// waits on it (PostgreSQL's unique index; SQLite's single writer) and then
// finds it: fn never runs twice for one event. When fn fails, or the commit
// does, nothing of either is kept and the error is returned, so the bus
// delivers the event again. fn must not start work of its own outside the
// store (its effect would not roll back). It returns fn's error, Invalid if
// ctx already carries a transaction of this store, or Internal or
// Unavailable errors.
func (db *DB) ProcessOnceTx(ctx context.Context, consumer, eventID string, fn func(ctx context.Context) error) (bool, error) {
	const op = "sqlstore.ProcessOnceTx"
	if db.deferredIn(ctx) != nil {
		return false, errs.E(op, errs.Invalid, "ProcessOnceTx inside another transaction of the store")
	}
	tctx, d := db.deferTx(ctx)
	var fresh bool
	err := d.run(tctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(tctx,
			`INSERT INTO inbox (consumer, event_id, processed_at) VALUES ($1, $2, $3) ON CONFLICT (consumer, event_id) DO NOTHING`,
			consumer, eventID, db.Now())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		fresh = n == 1
		return err
	})
	if err != nil {
		d.rollback()
		return false, wrap(op, err, "inbox entry")
	}
	if !fresh {
		d.rollback()
		return false, nil
	}
	if err := fn(tctx); err != nil {
		d.rollback()
		return false, err
	}
	if err := d.commit(tctx, func(*sql.Tx) error { return nil }); err != nil {
		return false, wrap(op, err, "inbox entry")
	}
	return true, nil
}
