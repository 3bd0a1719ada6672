package sqlstore

import (
	"context"
	"database/sql"
	"testing"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/events"
)

// AppendEventsThenFail writes evs to the outbox inside a business transaction
// that then fails with cause, as a store method does when a rule is broken
// after its events were written. Tests in package sqlstore_test (which need
// testkit, itself importing sqlstore) use it to check that a rolled-back
// change leaves no event behind.
func (db *DB) AppendEventsThenFail(ctx context.Context, cause error, evs ...events.Event) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := insertEvents(ctx, tx, evs); err != nil {
			return err
		}
		return cause
	})
}

// ExecForTest runs one write statement outside every store rule, to build
// data as an older Sesame left it.
func (db *DB) ExecForTest(ctx context.Context, q string, args ...any) error {
	_, err := db.w.ExecContext(ctx, q, args...)
	return err
}

// ProductKey is product id as the catalogue tables store it, to bind in a
// test's own query.
func ProductKey(id string) any { return prodID(id) }

// DocJSON is the JSON of a stored products.doc value.
func DocJSON(t testing.TB, stored []byte) []byte {
	t.Helper()
	b, err := docJSON(stored)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BeforeImportWrite makes fn run between each import's plan and its write
// transaction.
func (db *DB) BeforeImportWrite(fn func()) { db.beforeImportWrite = fn }

// StoredID is the value a catalogue id (prefix "prd", "var") is stored as.
func StoredID(prefix, id string) []byte { return idBytes(prefix, id) }

// HoldWriter runs a write transaction that waits for release (or ctx)
// before it ends, once it has begun: started reports that.
func (db *DB) HoldWriter(ctx context.Context, started chan<- struct{}, release <-chan struct{}) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		close(started)
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
}

// QueuedWrites is how many write transactions wait for their group.
func (db *DB) QueuedWrites() int {
	db.queue.mu.Lock()
	defer db.queue.mu.Unlock()
	return len(db.queue.pending)
}

// DecodeDoc reads a product's stored document, for tests of migrations.
func DecodeDoc(b []byte) (catalog.Product, error) { return loadProduct("sqlstore.DecodeDoc", b) }

// Undo27 takes a database at schema 27 back to 26 by hand (the products'
// SKUs dropped), so that a test can write data with today's code and then
// see migration 27 fill it in.
func (db *DB) Undo27(ctx context.Context) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`ALTER TABLE products DROP COLUMN skus`, `DELETE FROM goose_db_version WHERE version_id = 27`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
}
