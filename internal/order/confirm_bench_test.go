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

	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// BenchmarkConfirmDelivery measures confirmations of delivery: 64 buyers
// at once, each confirming its own shipped order (soap from Provence, on a
// plan that keeps a rolling reserve), so that each confirmation moves the
// order, posts its release (held to available and reserve), arms the
// reserve's timer and writes the event, in one transaction. The orders are
// placed and shipped before the clock starts. It reports confirmations/s
// and the p99 of one. SQLite runs with synchronous=NORMAL and FULL;
// PostgreSQL when SESAME_TEST_POSTGRES is set.
//
//	go test ./internal/order/ -run '^$' -bench ConfirmDelivery -benchtime 2000x
func BenchmarkConfirmDelivery(b *testing.B) {
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
			m.Stock.Now, m.Orders.Now = time.Now, time.Now
			m.SetStock(b, "fos", m.Provence.ID, "SOAP", 100_000_000)
			withReserve(b, m, 1000, 14)
			paris := testkit.Paris()
			actors := m.Buyers(b, b.N)
			ids := make([]string, b.N)
			staff := identity.Actor{Role: identity.Staff, UserID: "usr_bench", MerchantID: m.Provence.ID}
			for i := range ids {
				c := cartWith(b, m, actors[i], "bazaar", "EUR", &paris, "SOAP")
				co, _, err := m.Orders.Checkout(ctx, order.Access{Actor: actors[i]}, c.ID, order.CheckoutInput{Payment: order.PaymentInput{Provider: "sandbox", Token: payment.TokenSuccess}})
				if err != nil || len(co.Orders) != 1 {
					b.Fatalf("checkout: %v", err)
				}
				if _, err := m.Orders.Ship(ctx, staff, co.Orders[0].ID, order.ShipInput{Carrier: "Colissimo", TrackingNumber: "6A12345678901"}); err != nil {
					b.Fatal(err)
				}
				ids[i] = co.Orders[0].ID
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
					o, err := m.Orders.ConfirmDelivery(ctx, actors[i], ids[i])
					if err != nil || o.Status != order.Completed {
						b.Errorf("confirm: %v %s", err, o.Status)
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
			b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "confirmations/s")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		})
	}
}
