package inventory_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// BenchmarkReserve measures checkout's reservations: 64 buyers at once,
// each reserving one unit of its own SKU per checkout (distinct SKUs: no
// row is shared, so the figure is the store's, not a hot row's), each a
// committed transaction (the reservation, its lines, the stock and the
// expiry timer). SQLite runs with synchronous=NORMAL (durable against a
// crash of the process) and FULL (an fsync per commit); PostgreSQL with its
// defaults (fsync, synchronous_commit on) when SESAME_TEST_POSTGRES is set.
//
//	go test ./internal/inventory/ -run '^$' -bench Reserve -benchtime 5s
func BenchmarkReserve(b *testing.B) {
	type setup struct {
		name string
		open func(b *testing.B) *sqlstore.DB
	}
	setups := []setup{
		{"sqlite", func(b *testing.B) *sqlstore.DB { return openSQLite(b, false) }},
		{"sqlite-syncfull", func(b *testing.B) *sqlstore.DB { return openSQLite(b, true) }},
	}
	for _, e := range testkit.Engines() {
		if e == sqlstore.Postgres {
			setups = append(setups, setup{"postgres", func(b *testing.B) *sqlstore.DB { return testkit.Open(b, e) }})
		}
	}
	for _, s := range setups {
		b.Run(s.name, func(b *testing.B) {
			ctx := context.Background()
			db := s.open(b)
			const buyers = 64
			var skus []string
			for i := range buyers {
				skus = append(skus, fmt.Sprintf("B-%02d", i))
			}
			e := newEnv(b, db, skus...)
			e.stock.Now = time.Now // holds end in real time, after the run
			for i := range buyers {
				e.set(b, e.m, e.w1, "", fmt.Sprintf("B-%02d", i), inventory.MaxOnHand)
			}
			var next, refs atomic.Int64
			b.SetParallelism(max(1, buyers/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				sku := fmt.Sprintf("B-%02d", next.Add(1)%buyers)
				for pb.Next() {
					ref := fmt.Sprintf("checkout-%d", refs.Add(1))
					if _, _, err := e.stock.Reserve(ctx, inventory.ReserveInput{Ref: ref,
						Items: []inventory.Item{{MerchantID: e.mID, SKU: sku, Quantity: 1}}}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reservations/s")
		})
	}
}

func openSQLite(b *testing.B, full bool) *sqlstore.DB {
	db, err := sqlstore.Open(context.Background(), filepath.Join(b.TempDir(), "sesame.db"), sqlstore.Options{SyncFull: full})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}
