// Package sqlstore implements every Store interface of Sesame's domains on
// database/sql, for SQLite (modernc.org/sqlite, pure Go) and PostgreSQL (pgx).
//
// The two engines share query text: SQL is written in the subset both accept
// ($N placeholders, which modernc binds by number; ON CONFLICT; RETURNING).
// There is no dialect type: where they differ, the code checks db.Engine in
// the few places that need it (opening the pools, goose's dialect, prepared
// write statements on SQLite only, FOR UPDATE on PostgreSQL, JSON
// aggregation of plan commissions), and classify reads either driver's
// constraint errors. Migrations are one folder per engine, embedded,
// numbered and forward-only, applied by goose at open.
package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/money"
)

//go:embed migrations
var migrations embed.FS

// Engine names a SQL engine.
type Engine string

// The engines Sesame runs on.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// DB is an open Sesame database: a write pool and a read pool (the same pool
// on PostgreSQL; on SQLite one writer connection, since SQLite serialises
// writes anyway, beside a pool of readers).
type DB struct {
	Engine Engine
	w, r   *sql.DB
	// Now is the clock for rows the store stamps itself (published_at, ...).
	Now   func() time.Time
	stmts stmtCache
	// wstmts caches statements prepared on SQLite's write connection, for
	// the statements of deferred transactions.
	wstmts stmtCache
	// Formatters formats the prices of the views the catalogue renders.
	Formatters *money.Formatters
	// AfterCommit, if set, is called after every committed write
	// transaction; the event relay uses it to publish without waiting.
	AfterCommit func()
	// writeTurn, on SQLite, orders the transactions of inTx first come
	// first served: database/sql hands the single write connection to a
	// random waiter, so under a stream of imports a short write (the
	// relay's lease, a buyer's order) could wait many turns.
	writeTurn chan struct{}
	// queue holds the SQLite write transactions waiting for their group
	// (see groupTx).
	queue writeQueue
	// beforeImportWrite, set by tests, runs between an import's plan and
	// its write transaction.
	beforeImportWrite func()
}

// Options tune Open.
type Options struct {
	// Formatters formats the prices of pre-rendered views (a new cache
	// when nil); a process shares one with the catalogue service.
	Formatters *money.Formatters
	// SyncFull makes SQLite fsync on every commit (synchronous=FULL), so that an
	// acknowledged write survives power loss. Without it, WAL's NORMAL mode is
	// used: durable against process crashes, not power loss.
	SyncFull bool
	// ReadConns caps the read pool (default 8 × GOMAXPROCS, at least 16).
	// A request waiting for a connection is handed one at random
	// (database/sql), so a pool much smaller than the requests in flight
	// makes some wait many turns: the tail latency of a busy server. Idle
	// SQLite connections cost little (readers map the file).
	ReadConns int
	// MigrateTo stops the migrations at this version (0: apply them all).
	// Upgrade tests use it to build a database as an older Sesame left it.
	MigrateTo int64
}

// Open opens the database named by dsn and applies pending migrations. A dsn
// starting with postgres:// or postgresql:// selects PostgreSQL; anything else
// is a SQLite file path (its folder is created if missing).
func Open(ctx context.Context, dsn string, opt Options) (*DB, error) {
	const op = "sqlstore.Open"
	db := &DB{Now: func() time.Time { return time.Now().UTC() }, Formatters: opt.Formatters}
	if db.Formatters == nil {
		db.Formatters = money.NewFormatters(money.DefaultFormattersSize)
	}
	reads := opt.ReadConns
	if reads <= 0 {
		reads = max(16, 8*runtime.GOMAXPROCS(0))
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db.Engine = Postgres
		p, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, errs.E(op, errs.Invalid, err)
		}
		p.SetMaxOpenConns(reads + 8)
		p.SetMaxIdleConns(reads + 8)
		p.SetConnMaxIdleTime(5 * time.Minute)
		db.w, db.r = p, p
	} else {
		db.Engine = SQLite
		if err := os.MkdirAll(filepath.Dir(dsn), 0o755); err != nil {
			return nil, errs.E(op, errs.Invalid, err)
		}
		sync := "NORMAL"
		if opt.SyncFull {
			sync = "FULL"
		}
		file := "file:" + (&url.URL{Path: dsn}).EscapedPath()
		if err := createSQLite(ctx, dsn, file); err != nil {
			return nil, errs.E(op, errs.Unavailable, err)
		}
		base := file + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
			"&_pragma=synchronous(" + sync + ")&_pragma=temp_store(2)&_time_format=sqlite"
		// The writer maps the file as the readers do, and keeps 64 MiB of
		// pages (SQLite's default is 2 MiB): a bulk import's B-tree inserts
		// then find their pages in memory instead of reading them again.
		w, err := sql.Open("sqlite", base+"&_txlock=immediate&_pragma=cache_size(-65536)&_pragma=mmap_size(8589934592)")
		if err != nil {
			return nil, errs.E(op, errs.Invalid, err)
		}
		w.SetMaxOpenConns(1)
		db.writeTurn = make(chan struct{}, 1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		// Readers map the file rather than read it: a page read is then a
		// memory access, not a system call, and the pages are the kernel's
		// page cache, shared by every reader and not held twice. 8 GiB is
		// asked; this build of SQLite maps at most its first 2 GB and reads
		// the rest (docs/decisions.md).
		r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)&_pragma=mmap_size(8589934592)")
		if err != nil {
			w.Close()
			return nil, errs.E(op, errs.Invalid, err)
		}
		r.SetMaxOpenConns(reads)
		r.SetMaxIdleConns(reads)
		r.SetConnMaxLifetime(0)
		db.w, db.r = w, r
	}
	if err := db.w.PingContext(ctx); err != nil {
		db.Close()
		return nil, errs.E(op, errs.Unavailable, err)
	}
	if err := db.migrate(ctx, opt.MigrateTo); err != nil {
		db.Close()
		return nil, errs.E(op, errs.Internal, err)
	}
	if opt.MigrateTo == 0 {
		if err := db.renderMissingViews(ctx); err != nil {
			db.Close()
			return nil, errs.E(op, errs.Internal, err)
		}
		if err := db.seedLaw(ctx); err != nil {
			db.Close()
			return nil, errs.E(op, errs.Internal, err)
		}
	}
	return db, nil
}

// createSQLite makes a new SQLite database at path with 16 KiB pages, unless
// one is there already (it keeps its own page size). The page size can only
// be set before the first page is written, and the connection options apply
// journal_mode first, so a bare connection does it. A product's row is about
// 2 KB: small pages would leave a tail of each unused, and wider pages make
// b-trees shallower, so reads visit fewer pages.
func createSQLite(ctx context.Context, path, file string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	c, err := sql.Open("sqlite", file)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, q := range []string{`PRAGMA page_size = 16384`, `PRAGMA journal_mode = WAL`} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create %s: %w", path, err)
		}
	}
	return nil
}

// Close closes both pools.
func (db *DB) Close() error {
	err := db.w.Close()
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

func (db *DB) migrate(ctx context.Context, to int64) error {
	dialect := goose.DialectSQLite3
	if db.Engine == Postgres {
		dialect = goose.DialectPostgres
	}
	sub, err := fs.Sub(migrations, "migrations/"+string(db.Engine))
	if err != nil {
		return err
	}
	var popts []goose.ProviderOption
	if db.Engine == Postgres {
		// Nodes starting together against one fresh database would otherwise
		// race to create goose's table and apply the same migration: the
		// session advisory lock makes them take turns, and those that come
		// after find nothing left to apply. SQLite needs none: one process
		// owns the file, and its writes are serialised anyway.
		// Retried every second (goose's default is 5 s) for up to 5 minutes.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return err
		}
		popts = append(popts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db.w, sub, popts...)
	if err != nil {
		return err
	}
	if to > 0 {
		_, err = p.UpTo(ctx, to)
		return err
	}
	_, err = p.Up(ctx)
	return err
}

// MigrationVersion returns the version of the newest applied migration.
func (db *DB) MigrationVersion(ctx context.Context) (int64, error) {
	var v int64
	err := db.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&v)
	return v, err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.r.PingContext(ctx) }

// inTx runs fn in one write transaction and commits it, or rolls it back if fn
// fails. It is the only way a store method writes: one business transaction.
//
// When ctx carries a deferred transaction of db (see deferTx), fn joins it
// instead, inside a savepoint that is rolled back if fn fails: the store
// method's work then commits, or not, with whatever the deferred
// transaction's owner writes last (an idempotency key's stored response).
func (db *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if d := db.deferredIn(ctx); d != nil {
		return d.run(ctx, fn)
	}
	if db.writeTurn != nil {
		return db.groupTx(ctx, fn)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if db.AfterCommit != nil {
		db.AfterCommit()
	}
	return nil
}

// exec runs one write statement: inside ctx's deferred transaction when
// there is one (so that it commits with it, and so that SQLite's single write
// connection, which that transaction holds, is not asked for twice), else on
// its own.
func (db *DB) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if d := db.deferredIn(ctx); d != nil {
		var res sql.Result
		err := d.run(ctx, func(tx *sql.Tx) error {
			var err error
			res, err = tx.ExecContext(ctx, q, args...)
			return err
		})
		return res, err
	}
	return db.w.ExecContext(ctx, q, args...)
}

// deferredTx is one write transaction shared by every store call made with a
// context that carries it, committed by its owner at the end. It begins at
// the first write, so that a request's reads before it (and a request that
// writes nothing) hold no write lock. The store calls of one request run one
// after the other; mu only guards against misuse.
type deferredTx struct {
	db     *DB
	mu     sync.Mutex
	tx     *sql.Tx
	open   atomic.Pointer[sql.Tx] // tx while it is open, for the read helpers (which never wait for mu)
	broken bool                   // a savepoint could not be rolled back: never commit
	done   bool
}

type deferredKey struct{}

// deferTx returns ctx carrying a new deferred transaction of db, which
// inTx, exec and the read helpers join. Its owner ends it with commit or
// rollback.
func (db *DB) deferTx(ctx context.Context) (context.Context, *deferredTx) {
	d := &deferredTx{db: db}
	return context.WithValue(ctx, deferredKey{}, d), d
}

// deferredIn returns the deferred transaction of db in ctx, or nil.
func (db *DB) deferredIn(ctx context.Context) *deferredTx {
	if d, _ := ctx.Value(deferredKey{}).(*deferredTx); d != nil && d.db == db {
		return d
	}
	return nil
}

// begun returns the transaction once it has begun (and until it ends), else nil.
func (d *deferredTx) begun() *sql.Tx { return d.open.Load() }

// exec runs a statement of the transaction (prepared once, on SQLite).
func (d *deferredTx) exec(ctx context.Context, q string) error {
	if st := d.db.writeStmt(ctx, d.tx, q); st != nil {
		_, err := st.ExecContext(ctx)
		return err
	}
	_, err := d.tx.ExecContext(ctx, q)
	return err
}

// end marks the transaction ended; mu is held.
func (d *deferredTx) end() {
	d.done = true
	d.open.Store(nil)
	if d.tx != nil {
		disown(d.tx)
	}
}

func (d *deferredTx) begin(ctx context.Context) error {
	if d.tx != nil {
		return nil
	}
	// The transaction outlives the call that begins it: its owner commits or
	// rolls it back, even if the request's context ends first.
	tx, err := d.db.w.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return err
	}
	d.tx = tx
	d.open.Store(tx)
	if d.db.Engine == SQLite {
		d.db.own(tx)
	}
	return nil
}

// run runs fn inside a savepoint of the transaction: a failing fn leaves no
// partial rows and, on PostgreSQL, does not abort the transaction.
func (d *deferredTx) run(ctx context.Context, fn func(tx *sql.Tx) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done {
		return errors.New("sqlstore: write after the deferred transaction ended")
	}
	if err := d.begin(ctx); err != nil {
		return err
	}
	// One name serves: calls do not nest (mu is held), and both engines
	// address the newest savepoint of a name.
	if err := d.exec(ctx, "SAVEPOINT sesame_call"); err != nil {
		d.broken = true
		return err
	}
	if err := fn(d.tx); err != nil {
		bg := context.WithoutCancel(ctx)
		if rerr := d.exec(bg, "ROLLBACK TO SAVEPOINT sesame_call"); rerr != nil {
			d.broken = true
			return errors.Join(err, rerr)
		}
		if rerr := d.exec(bg, "RELEASE SAVEPOINT sesame_call"); rerr != nil {
			d.broken = true
		}
		return err
	}
	if err := d.exec(ctx, "RELEASE SAVEPOINT sesame_call"); err != nil {
		d.broken = true
		return err
	}
	return nil
}

// commit runs last inside the transaction (beginning it if nothing was
// written), commits, and calls AfterCommit. On any failure nothing is
// committed.
func (d *deferredTx) commit(ctx context.Context, last func(tx *sql.Tx) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done {
		return errors.New("sqlstore: the deferred transaction has ended")
	}
	d.end()
	if d.broken {
		if d.tx != nil {
			d.tx.Rollback()
		}
		return errors.New("sqlstore: a savepoint of the deferred transaction failed")
	}
	if err := d.begin(ctx); err != nil {
		return err
	}
	d.open.Store(nil) // the read helpers go back to the pools
	if err := last(d.tx); err != nil {
		d.tx.Rollback()
		return err
	}
	if err := d.tx.Commit(); err != nil {
		return err
	}
	if d.db.AfterCommit != nil {
		d.db.AfterCommit()
	}
	return nil
}

// rollback ends the transaction without committing anything.
func (d *deferredTx) rollback() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.done && d.tx != nil {
		d.tx.Rollback()
	}
	d.end()
}

// insertEvents writes events to the outbox inside tx, up to eventsPerInsert
// in one statement: a checkout's four events are one round trip.
func insertEvents(ctx context.Context, tx *sql.Tx, evs []events.Event) error {
	for len(evs) > 0 {
		n := min(len(evs), eventsPerInsert)
		if _, err := execIn(ctx, tx, outboxInsert(n), eventArgs(evs[:n])...); err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		evs = evs[n:]
	}
	return nil
}

// eventsPerInsert bounds the rows of one outbox INSERT (and so the
// statements prepared for it: one per row count).
const eventsPerInsert = 16

// outboxInserts are the outbox INSERTs of 1 to eventsPerInsert rows.
var outboxInserts = func() []string {
	out := make([]string, eventsPerInsert+1)
	for n := 1; n <= eventsPerInsert; n++ {
		var b strings.Builder
		b.WriteString(`INSERT INTO outbox (id, type, aggregate_id, tenant, payload, created_at) VALUES `)
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			k := i * 6
			fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+5, k+6)
		}
		out[n] = b.String()
	}
	return out
}()

func outboxInsert(n int) string { return outboxInserts[n] }

func eventArgs(evs []events.Event) []any {
	args := make([]any, 0, 6*len(evs))
	for _, e := range evs {
		args = append(args, e.ID, e.Type, e.AggregateID, e.Tenant, string(e.Payload), e.At)
	}
	return args
}

// constraint classifies a driver error as a constraint violation.
type constraint int

const (
	noConstraint constraint = iota
	uniqueViolation
	foreignKeyViolation
	checkViolation
)

func classify(err error) constraint {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return uniqueViolation
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return foreignKeyViolation
		case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return checkViolation
		}
		return noConstraint
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return uniqueViolation
		case "23503":
			return foreignKeyViolation
		case "23514", "23502":
			return checkViolation
		}
	}
	return noConstraint
}

// wrap turns a driver error into a domain error: sql.ErrNoRows is NotFound,
// a unique violation is Conflict (with the given message), a foreign key or
// check violation is Invalid; the rest is Internal.
func wrap(op string, err error, what string) error {
	if err == nil {
		return nil
	}
	if errs.KindOf(err) != errs.Internal {
		return err // already a domain error
	}
	if errors.Is(err, sql.ErrNoRows) {
		return errs.E(op, errs.NotFound, what+" not found")
	}
	switch classify(err) {
	case uniqueViolation:
		return errs.E(op, errs.Conflict, what+" already exists")
	case foreignKeyViolation:
		return errs.E(op, errs.Invalid, "a referenced object does not exist")
	case checkViolation:
		return errs.E(op, errs.Invalid, "a value breaks a rule of "+what)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return errs.E(op, errs.Unavailable, err)
	}
	return errs.E(op, errs.Internal, err)
}

// forUpdate is the clause that locks the rows a read of a write
// transaction returns: PostgreSQL's FOR UPDATE; none on SQLite, whose one
// writer holds the whole database.
func (db *DB) forUpdate() string {
	if db.Engine == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// nullStr maps "" to NULL for optional references.
func nullStr(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// Fingerprint returns a digest of every row of every Sesame table, for
// tests that assert a refused request changed nothing.
func (db *DB) Fingerprint(ctx context.Context) (string, error) {
	tables := []string{"outbox", "partners", "plans", "programmes", "merchants", "plan_commissions", "users", "sessions", "api_keys",
		"channels", "channel_merchants", "shops", "pavilions", "pavilion_merchants", "categories", "brands", "channel_brands",
		"products", "variants", "listings", "catalog_buckets", "warehouses", "brand_authorisations", "partner_links", "timers", "share_links", "stock", "reservations", "reservation_lines", "consignments", "consignment_lines",
		"tax_rules", "fx_rates", "category_tariffs", "carts", "cart_lines", "checkouts", "payments", "orders", "refunds",
		"coupons", "cart_coupons", "coupon_redemptions", "mails", "provider_events", "user_tokens",
		"payouts", "payout_accounts", "ledger_postings", "disputes", "dispute_messages", "dispute_photos", "reviews", "review_photos", "channel_sharing", "share_commissions"}
	h := sha256.New()
	for _, t := range tables {
		rows, err := db.w.QueryContext(ctx, "SELECT * FROM "+t+" ORDER BY 1, 2")
		if err != nil {
			return "", err
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		n := 0
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return "", err
			}
			fmt.Fprintf(h, "%s%v\n", t, vals)
			n++
		}
		rows.Close()
		fmt.Fprintf(h, "%s:%d\n", t, n)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// stmts caches prepared read statements by query text. database/sql
// re-prepares a statement on each pooled connection as needed; without the
// cache SQLite would parse every query on every call.
type stmtCache struct{ m sync.Map }

// writeStmt returns q prepared for tx on SQLite's single write connection
// (database/sql finds the connection's prepared copy again), or nil when it
// is not prepared yet, and always on PostgreSQL, whose driver caches
// prepared statements itself. The first use prepares it in the background:
// preparing needs the write connection, which tx holds until it ends.
func (db *DB) writeStmt(ctx context.Context, tx *sql.Tx, q string) *sql.Stmt {
	if db.Engine != SQLite {
		return nil
	}
	v, loaded := db.wstmts.m.LoadOrStore(q, (*sql.Stmt)(nil))
	if !loaded {
		go func() {
			st, err := db.w.PrepareContext(context.Background(), q)
			if err != nil {
				db.wstmts.m.Delete(q)
				return
			}
			db.wstmts.m.Store(q, st)
		}()
		return nil
	}
	if st := v.(*sql.Stmt); st != nil {
		return tx.StmtContext(ctx, st)
	}
	return nil
}

// txExec runs a statement of tx, prepared once on SQLite's write
// connection (see writeStmt): the hot write paths (checkout, reservations)
// parse each statement once, not once per call.
func (db *DB) txExec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	if st := db.writeStmt(ctx, tx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, q, args...)
}

// txQueryRow is txExec for a one-row query.
func (db *DB) txQueryRow(ctx context.Context, tx *sql.Tx, q string, args ...any) *sql.Row {
	if st := db.writeStmt(ctx, tx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, q, args...)
}

func (db *DB) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := db.stmts.m.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.r.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.m.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// QueryContext runs a read query on the read pool with a cached statement,
// or inside ctx's deferred transaction once it has written, so that a
// request reads its own uncommitted work.
func (db *DB) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if d := db.deferredIn(ctx); d != nil {
		if tx := d.begun(); tx != nil {
			if st := db.writeStmt(ctx, tx, q); st != nil {
				return st.QueryContext(ctx, args...)
			}
			return tx.QueryContext(ctx, q, args...)
		}
	}
	st, err := db.prepared(ctx, q)
	if err != nil {
		return db.r.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs a one-row read query with a cached statement (inside
// ctx's deferred transaction once it has written, as QueryContext).
func (db *DB) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if d := db.deferredIn(ctx); d != nil {
		if tx := d.begun(); tx != nil {
			if st := db.writeStmt(ctx, tx, q); st != nil {
				return st.QueryRowContext(ctx, args...)
			}
			return tx.QueryRowContext(ctx, q, args...)
		}
	}
	st, err := db.prepared(ctx, q)
	if err != nil {
		return db.r.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}
