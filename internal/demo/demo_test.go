package demo

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestSeedsDoNotShareState seeds two marketplaces at once: each gets its
// own merchants, and the package's seller descriptions are left as they
// were (a seeding run once wrote its merchant ids into them).
func TestSeedsDoNotShareState(t *testing.T) {
	var wg sync.WaitGroup
	owners := make([]map[string]bool, 2)
	for i := range owners {
		db := testkit.Open(t, sqlstore.SQLite)
		chans := channel.NewService(db.Channels())
		s := Services{Identity: identity.NewService(db.Identity()), Merchants: merchant.NewService(db.Merchants()), Channels: chans,
			Catalog: catalog.NewService(db.Catalog(), chans), Inventory: inventory.NewService(db.Inventory())}
		wg.Go(func() {
			if _, err := Seed(context.Background(), s, 10, nil); err != nil {
				t.Error(err)
				return
			}
			ms, err := s.Merchants.List(context.Background(), identity.System, "", "", 100)
			if err != nil {
				t.Error(err)
				return
			}
			owners[i] = map[string]bool{}
			for _, m := range ms {
				owners[i][m.ID] = true
			}
		})
	}
	wg.Wait()
	for id := range owners[0] {
		if owners[1][id] {
			t.Errorf("merchant %s in both marketplaces", id)
		}
	}
	for _, sl := range sellerSpecs {
		if sl.m.ID != "" || sl.brandID != "" || sl.channels != nil {
			t.Errorf("seller %s keeps a seeding run's state: %s, %s", sl.name, sl.m.ID, sl.brandID)
		}
	}
}

// TestTenthRates: the seed reports its rate over the first and the last
// tenth of the catalogue, whole batches, so that a slowing seed shows.
func TestTenthRates(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		name       string
		marks      []mark
		start, end float64
	}{
		{"nothing", nil, 0, 0},
		{"one batch", []mark{{5000, 2 * s}}, 2500, 2500},
		// 20 batches of 10: the first 2 take 1s each, the last 2 take 2s each.
		{"slowing", func() []mark {
			var ms []mark
			at := time.Duration(0)
			for i := 1; i <= 20; i++ {
				if i > 18 {
					at += 2 * s
				} else {
					at += s
				}
				ms = append(ms, mark{i * 10, at})
			}
			return ms
		}(), 10, 5},
		// A tenth is not a whole batch: the batches that cover it count.
		{"coarse", []mark{{5000, s}, {10000, 3 * s}, {12000, 4 * s}}, 5000, 2000},
	} {
		start, end := tenthRates(tc.marks)
		if start != tc.start || end != tc.end {
			t.Errorf("%s: rates %.1f/s at the start, %.1f/s at the end; want %.1f, %.1f", tc.name, start, end, tc.start, tc.end)
		}
	}
}

// TestSeedStocksEveryProduct: every variant the demo sells has stock in its
// seller's warehouse; some of the Chinese sellers' products also wait in
// the Ile-de-France hub; and the buyer sees all three availabilities.
func TestSeedStocksEveryProduct(t *testing.T) {
	ctx := context.Background()
	db := testkit.Open(t, sqlstore.SQLite)
	chans := channel.NewService(db.Channels())
	s := Services{Identity: identity.NewService(db.Identity()), Merchants: merchant.NewService(db.Merchants()), Channels: chans,
		Catalog: catalog.NewService(db.Catalog(), chans), Inventory: inventory.NewService(db.Inventory()), Stock: inventory.NewStock(db.Stock()), Batch: 100}
	if _, err := Seed(ctx, s, 400, nil); err != nil {
		t.Fatal(err)
	}
	count := func(q string) int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT COUNT(*) FROM variants v WHERE NOT EXISTS (SELECT 1 FROM stock s WHERE s.merchant_id = v.merchant_id AND s.sku = v.sku)`); n != 0 {
		t.Errorf("%d variants without stock", n)
	}
	if n := count(`SELECT COUNT(*) FROM stock s JOIN warehouses w ON w.id = s.warehouse_id JOIN merchants m ON m.id = s.merchant_id
		WHERE w.country = 'FR' AND m.country = 'CN'`); n == 0 {
		t.Error("no Chinese seller's stock near the buyers")
	}
	if n := count(`SELECT COUNT(*) FROM outbox WHERE type = 'inventory.stock.counted'`); n != count(`SELECT COUNT(*) FROM stock`) {
		t.Errorf("%d stock events for %d stock rows", n, count(`SELECT COUNT(*) FROM stock`))
	}
	seen := map[inventory.Availability]bool{}
	rows, err := db.QueryContext(ctx, `SELECT SUM(on_hand - reserved) FROM stock GROUP BY merchant_id, sku`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var n int64
		rows.Scan(&n)
		seen[inventory.AvailabilityOf(n)] = true
	}
	if len(seen) != 3 {
		t.Errorf("availabilities seen: %v, want in stock, low and out", seen)
	}
}
