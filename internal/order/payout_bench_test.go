package order_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/testkit"
)

// BenchmarkPayoutRun measures the daily payout run over a marketplace of
// SESAME_PAYOUT_MERCHANTS merchants (10,000 by default) and
// SESAME_PAYOUT_ORDERS confirmed orders (1,000,000), each with its paid
// and released postings, seeded before the clock starts: the run pays
// every merchant's available balance out through the sandbox, a posting,
// a payout row, a timer and two events per merchant. It reports the run's
// seconds, payouts/s and the peak heap during the run (sampled every
// 20 ms), which stays flat as merchants grow because the run pages through
// them. One run per iteration: use -benchtime 1x.
//
//	go test ./internal/order/ -run '^$' -bench PayoutRun -benchtime 1x -timeout 30m
func BenchmarkPayoutRun(b *testing.B) {
	merchants, orders := envInt("SESAME_PAYOUT_MERCHANTS", 10_000), envInt("SESAME_PAYOUT_ORDERS", 1_000_000)
	for _, e := range testkit.Engines() {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			db := testkit.Open(b, e)
			m := testkit.NewMarket(b, db)
			m.Orders.Now = time.Now
			like := confirmedSoap(b, m, m.Buyer(b))
			var secs, peak float64
			paid := 0
			for i := range b.N {
				b.StopTimer()
				start := time.Now()
				if err := db.SeedSettledOrders(ctx, like, merchants, orders, fmt.Sprintf("b%d", i)); err != nil {
					b.Fatal(err)
				}
				b.Logf("%s: seeded %d merchants and %d orders in %s", e, merchants, orders, time.Since(start).Round(time.Second))
				runtime.GC()
				var top atomic.Uint64
				done := make(chan struct{})
				go func() {
					var ms runtime.MemStats
					for {
						runtime.ReadMemStats(&ms)
						if ms.HeapAlloc > top.Load() {
							top.Store(ms.HeapAlloc)
						}
						select {
						case <-done:
							return
						case <-time.After(20 * time.Millisecond):
						}
					}
				}()
				b.StartTimer()
				run, err := m.Orders.RunPayouts(ctx)
				b.StopTimer()
				close(done)
				if err != nil {
					b.Fatal(err)
				}
				if run.Payouts < merchants || run.Pending != 0 {
					b.Fatalf("the run paid %+v, want %d merchants paid", run, merchants)
				}
				secs += run.Seconds
				paid += run.Payouts
				peak = max(peak, float64(top.Load())/(1<<20))
			}
			b.ReportMetric(secs/float64(b.N), "s/run")
			b.ReportMetric(float64(paid)/secs, "payouts/s")
			b.ReportMetric(peak, "peak-heap-MiB")
		})
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
