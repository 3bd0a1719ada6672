package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
)

// SQLite has one writer, and most of a short write transaction's cost is
// its commit: the WAL frames of every page it touched, written (and, with
// synchronous=FULL, synced) once per commit. Under load the transactions
// of inTx therefore commit in groups: whoever holds the write turn runs
// every transaction waiting for it, each inside a savepoint of one
// transaction (a failing one is rolled back alone), commits once, and only
// then answers them all. Nothing is acknowledged before it is committed,
// and a group that fails to commit fails every transaction in it.

// maxGroup bounds a group, so that the first in line is not kept waiting
// behind an endless stream.
const maxGroup = 64

// writeReq is a transaction waiting for its group.
type writeReq struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	done chan error // buffered: the leader never blocks on it
	// state is waiting, then running (the leader's) or abandoned (the
	// caller's, whose context ended first): never both.
	state atomic.Int32
}

const (
	waiting int32 = iota
	running
	abandoned
)

// writeQueue holds the transactions waiting for the write turn.
type writeQueue struct {
	mu      sync.Mutex
	pending []*writeReq
}

func (q *writeQueue) push(r *writeReq) {
	q.mu.Lock()
	q.pending = append(q.pending, r)
	q.mu.Unlock()
}

func (q *writeQueue) take() []*writeReq {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := min(len(q.pending), maxGroup)
	out := q.pending[:n:n]
	q.pending = q.pending[n:]
	if len(q.pending) == 0 {
		q.pending = nil
	}
	return out
}

// groupTx runs fn in the next group of SQLite write transactions and
// returns once that group has committed (or fn failed).
func (db *DB) groupTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	db.queue.push(r)
	for {
		select {
		case err := <-r.done:
			return err
		case <-ctx.Done():
			if r.state.CompareAndSwap(waiting, abandoned) {
				return ctx.Err() // it will never run
			}
			return <-r.done // it is running: its outcome is the caller's
		case db.writeTurn <- struct{}{}:
			// The turn is ours: lead groups until our own has run.
			for {
				select {
				case err := <-r.done:
					<-db.writeTurn
					return err
				default:
				}
				g := db.queue.take()
				if len(g) == 0 {
					// Ours was answered by the group before; the next
					// select reads it.
					break
				}
				db.runGroup(g)
			}
			<-db.writeTurn
		}
	}
}

// runGroup runs the group g in one transaction and answers each.
func (db *DB) runGroup(g []*writeReq) {
	results := make([]error, len(g))
	// The transaction is the group's, not one caller's: a caller whose
	// context ends fails alone.
	tx, err := db.w.BeginTx(context.Background(), nil)
	if err != nil {
		for _, r := range g {
			r.done <- err
		}
		return
	}
	db.own(tx)
	defer disown(tx)
	bg := context.Background()
	save := func(q string) error {
		if len(g) == 1 {
			return nil
		}
		_, err := db.txExec(bg, tx, q)
		return err
	}
	broken := error(nil)
	for i, r := range g {
		if !r.state.CompareAndSwap(waiting, running) {
			results[i] = context.Canceled // abandoned: nobody reads it
			continue
		}
		if err := r.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if broken = save("SAVEPOINT sesame_group"); broken != nil {
			break
		}
		if err := r.fn(tx); err != nil {
			results[i] = err
			if len(g) == 1 {
				break
			}
			if broken = save("ROLLBACK TO SAVEPOINT sesame_group"); broken != nil {
				break
			}
		}
		if broken = save("RELEASE SAVEPOINT sesame_group"); broken != nil {
			break
		}
	}
	ok := 0
	for _, err := range results {
		if err == nil {
			ok++
		}
	}
	switch {
	case broken != nil:
		tx.Rollback()
		fail(g, results, errors.Join(errors.New("sqlstore: a savepoint of the group failed"), broken))
	case ok == 0:
		tx.Rollback()
	default:
		if err := tx.Commit(); err != nil {
			fail(g, results, err)
		} else if db.AfterCommit != nil {
			db.AfterCommit()
		}
	}
	for i, r := range g {
		r.done <- results[i]
	}
}

// fail marks every transaction of g that had not failed as failed by err.
func fail(g []*writeReq, results []error, err error) {
	for i := range g {
		if results[i] == nil {
			results[i] = err
		}
	}
}

// owners maps SQLite's open write transactions to their DB, so that the
// helpers that write inside any transaction (the outbox, timers, stock)
// run statements prepared once on the write connection (see writeStmt)
// without every caller passing its DB along.
var owners sync.Map // *sql.Tx → *DB

func (db *DB) own(tx *sql.Tx) { owners.Store(tx, db) }
func disown(tx *sql.Tx)       { owners.Delete(tx) }
func ownerOf(tx *sql.Tx) *DB {
	if v, ok := owners.Load(tx); ok {
		return v.(*DB)
	}
	return nil
}

// execIn runs a statement of tx, prepared once when tx is SQLite's.
func execIn(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	if db := ownerOf(tx); db != nil {
		return db.txExec(ctx, tx, q, args...)
	}
	return tx.ExecContext(ctx, q, args...)
}

// queryIn is execIn for a query.
func queryIn(ctx context.Context, tx *sql.Tx, q string, args ...any) (*sql.Rows, error) {
	if db := ownerOf(tx); db != nil {
		if st := db.writeStmt(ctx, tx, q); st != nil {
			return st.QueryContext(ctx, args...)
		}
	}
	return tx.QueryContext(ctx, q, args...)
}

// queryRowIn is execIn for a one-row query.
func queryRowIn(ctx context.Context, tx *sql.Tx, q string, args ...any) *sql.Row {
	if db := ownerOf(tx); db != nil {
		return db.txQueryRow(ctx, tx, q, args...)
	}
	return tx.QueryRowContext(ctx, q, args...)
}
