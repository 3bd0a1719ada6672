// Package testkit opens real databases for tests: SQLite always, and
// PostgreSQL when SESAME_TEST_POSTGRES holds a server URL (each test gets a
// fresh database of its own, dropped at the end).
package testkit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/sesame-market/sesame/internal/sqlstore"
)

// PostgresEnv names the variable that holds a PostgreSQL server URL for tests.
const PostgresEnv = "SESAME_TEST_POSTGRES"

// Engines returns the engines the store suite runs on here: SQLite, and
// PostgreSQL when PostgresEnv is set.
func Engines() []sqlstore.Engine {
	e := []sqlstore.Engine{sqlstore.SQLite}
	if os.Getenv(PostgresEnv) != "" {
		e = append(e, sqlstore.Postgres)
	}
	return e
}

// ForEachEngine runs fn as a subtest per engine, each with a fresh database.
func ForEachEngine(t *testing.T, fn func(t *testing.T, db *sqlstore.DB)) {
	t.Helper()
	for _, e := range Engines() {
		t.Run(string(e), func(t *testing.T) {
			fn(t, Open(t, e))
		})
	}
}

// Open opens a fresh, migrated database on engine e, closed (and for
// PostgreSQL dropped) when the test ends.
func Open(tb testing.TB, e sqlstore.Engine) *sqlstore.DB {
	tb.Helper()
	ctx := context.Background()
	dsn := DSN(tb, e)
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		tb.Fatalf("open %s: %v", e, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// DSN returns the address of a fresh, empty database on engine e: a file in
// a temporary folder for SQLite, a new database on the test server for
// PostgreSQL (skipping the test when none is configured).
func DSN(tb testing.TB, e sqlstore.Engine) string {
	tb.Helper()
	if e == sqlstore.SQLite {
		return filepath.Join(tb.TempDir(), "sesame.db")
	}
	base := os.Getenv(PostgresEnv)
	if base == "" {
		tb.Skip(PostgresEnv + " is not set")
	}
	admin := adminDB(tb, base)
	name := "sesame_test_" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

var (
	adminOnce sync.Once
	admin     *sql.DB
	adminErr  error
)

func adminDB(tb testing.TB, base string) *sql.DB {
	adminOnce.Do(func() {
		admin, adminErr = sql.Open("pgx", base)
		if adminErr == nil {
			admin.SetMaxOpenConns(4)
			adminErr = admin.Ping()
		}
	})
	if adminErr != nil {
		tb.Fatalf("connect to %s: %v", PostgresEnv, adminErr)
	}
	return admin
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Clock is a fixed, settable clock for tests.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock stopped at 2026-11-11 00:00 UTC.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
