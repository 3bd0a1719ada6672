package order_test

import (
	"context"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// BenchmarkCheckout measures checkouts: 64 buyers at once, each paying for
// a cart of 3 lines from 2 merchants (a phone case from Shenzhen, another
// from Ile-de-France, soap from Provence) with the sandbox card; each
// checkout prices the cart, reserves the stock of both merchants, charges,
// and commits the checkout, its payment and its 2 orders. The carts are
// filled before the clock starts. It reports checkouts/s and the p99 of one
// checkout. SQLite runs with synchronous=NORMAL and FULL; PostgreSQL when
// SESAME_TEST_POSTGRES is set.
//
//	go test ./internal/order/ -run '^$' -bench Checkout -benchtime 2000x
func BenchmarkCheckout(b *testing.B) {
	type setup struct {
		name string
		open func(b *testing.B) *sqlstore.DB
	}
	sqlite := func(full bool) func(b *testing.B) *sqlstore.DB {
		return func(b *testing.B) *sqlstore.DB {
			db, err := sqlstore.Open(context.Background(), filepath.Join(b.TempDir(), "sesame.db"), sqlstore.Options{SyncFull: full})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			return db
		}
	}
	setups := []setup{{"sqlite", sqlite(false)}, {"sqlite-syncfull", sqlite(true)}}
	for _, e := range testkit.Engines() {
		if e == sqlstore.Postgres {
			setups = append(setups, setup{"postgres", func(b *testing.B) *sqlstore.DB { return testkit.Open(b, e) }})
		}
	}
	for _, s := range setups {
		b.Run(s.name, func(b *testing.B) {
			ctx := context.Background()
			m := testkit.NewMarket(b, s.open(b))
			m.Stock.Now, m.Orders.Now = time.Now, time.Now // holds end in real time, after the run
			for _, st := range []struct{ wh, merchant, sku string }{{"szx", m.Shenzhen.ID, "CASE-S25"}, {"idf", m.Shenzhen.ID, "CASE-16"}, {"fos", m.Provence.ID, "SOAP"}} {
				m.SetStock(b, st.wh, st.merchant, st.sku, 100_000_000)
			}
			// One buyer per cart (a buyer has one open cart per channel),
			// every cart filled before the clock starts.
			paris := testkit.Paris()
			carts := make([]order.Cart, b.N)
			actors := m.Buyers(b, b.N)
			for i := range carts {
				carts[i] = cartWith(b, m, actors[i], "bazaar", "EUR", &paris, "CASE-S25", "CASE-16", "SOAP")
			}
			const buyers = 64
			var (
				next atomic.Int64
				mu   sync.Mutex
				lat  []time.Duration
			)
			b.SetParallelism(max(1, buyers/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					i := next.Add(1) - 1
					t0 := time.Now()
					co, _, err := m.Orders.Checkout(ctx, order.Access{Actor: actors[i]}, carts[i].ID, order.CheckoutInput{Payment: order.PaymentInput{Provider: "sandbox", Token: payment.TokenSuccess}})
					if err != nil || co.Payment.Status != payment.Captured || len(co.Orders) != 2 {
						b.Errorf("checkout: %v %+v", err, co.Payment)
						return
					}
					mine = append(mine, time.Since(t0))
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
			b.StopTimer()
			if len(lat) == 0 {
				return
			}
			slices.Sort(lat)
			b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "checkouts/s")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		})
	}
}
