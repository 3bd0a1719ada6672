package inventory_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/promise"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestOffersPromiseDelivery: a buyer in Paris is promised tomorrow for a SKU
// the merchant holds in Ile-de-France, 7-15 days for one it holds only in
// Shenzhen, nothing for one it holds nowhere; once the Paris stock is gone
// the promise falls back to Shenzhen; a warehouse that serves only some
// countries promises nothing elsewhere.
func TestOffersPromiseDelivery(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := newEnv(t, db, "MUG")
		// Tuesday 17 November 2026, 10:00 in Paris: before the cut-off.
		e.clock.Advance(time.Date(2026, 11, 17, 9, 0, 0, 0, time.UTC).Sub(e.clock.Now()))
		sys := identity.System
		wh := func(in inventory.WarehouseInput) inventory.Warehouse {
			t.Helper()
			in.OwnerMerchantID = e.mID
			w, _, err := e.inv.Create(ctx, sys, in)
			if err != nil {
				t.Fatal(err)
			}
			return w
		}
		sz := wh(inventory.WarehouseInput{Code: "m-szx", Name: "Shenzhen", Country: "CN", City: "Shenzhen", Region: "CN-GD"})
		idf := wh(inventory.WarehouseInput{Code: "m-gou", Name: "Goussainville", Country: "FR", City: "Goussainville", Postcode: "95190"})
		if idf.Region != "FR-IDF" || idf.TimeZone != "Europe/Paris" || idf.CutOff != "14:00" || sz.TimeZone != "Asia/Shanghai" {
			t.Fatalf("defaults: %+v %+v", idf, sz)
		}
		uk := wh(inventory.WarehouseInput{Code: "m-dav", Name: "Daventry", Country: "GB", City: "Daventry", Region: "GB-ENG", Serves: []string{"GB"}})
		e.set(t, e.m, sz.ID, "", "CASE", 10)
		e.set(t, e.m, idf.ID, "", "CASE", 2)
		e.set(t, e.m, sz.ID, "", "CABLE", 5)
		e.set(t, e.m, uk.ID, "", "MUG", 6)
		paris := &promise.Destination{Country: "FR", Postcode: "75011"}
		offers, err := e.stock.Offers(ctx, e.mID, []string{"CASE", "CABLE", "MUG"}, nil, paris)
		if err != nil {
			t.Fatal(err)
		}
		day := func(s string) promise.Date {
			d, err := promise.ParseDate(s)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		c := offers["CASE"]
		if c.Availability != inventory.LowStock && c.Availability != inventory.InStock || c.Promise == nil ||
			c.Promise.ShipsFrom != "FR" || c.Promise.Earliest != day("2026-11-18") || c.Promise.Latest != day("2026-11-18") {
			t.Errorf("CASE from Goussainville to Paris: %+v %+v, want 18 November", c, c.Promise)
		}
		if cb := offers["CABLE"]; cb.Promise == nil || cb.Promise.ShipsFrom != "CN" || cb.Promise.Latest.Sub(cb.Promise.Earliest) != 8 ||
			cb.Promise.Earliest.Sub(day("2026-11-17")) < 7 {
			t.Errorf("CABLE from Shenzhen: %+v", cb.Promise)
		}
		if m := offers["MUG"]; m.Promise != nil || m.Availability != inventory.OutOfStock {
			t.Errorf("MUG, held only in a warehouse serving Britain, to Paris: %+v", m)
		}
		// A channel's availability counts the warehouses that reach one of
		// its markets.
		for _, tc := range []struct {
			markets []string
			want    inventory.Availability
		}{{[]string{"FR"}, inventory.OutOfStock}, {[]string{"FR", "GB"}, inventory.InStock}, {nil, inventory.InStock}} {
			got, err := e.stock.Offers(ctx, e.mID, []string{"MUG"}, tc.markets, nil)
			if err != nil || got["MUG"].Availability != tc.want || got["MUG"].Promise != nil {
				t.Errorf("MUG on a channel selling to %v: %+v %v, want %s", tc.markets, got["MUG"], err, tc.want)
			}
		}
		// The Paris stock gone, CASE comes from Shenzhen.
		e.set(t, e.m, idf.ID, "", "CASE", 0)
		offers, err = e.stock.Offers(ctx, e.mID, []string{"CASE"}, nil, paris)
		if err != nil || offers["CASE"].Promise == nil || offers["CASE"].Promise.ShipsFrom != "CN" {
			t.Errorf("CASE without Paris stock: %+v %v", offers["CASE"].Promise, err)
		}
		// Bad warehouse details are refused.
		for _, in := range []inventory.WarehouseInput{
			{Code: "bad-1", Name: "x", Country: "FR", City: "x", TimeZone: "Mars/Olympus"},
			{Code: "bad-2", Name: "x", Country: "FR", City: "x", CutOff: "25:00"},
			{Code: "bad-3", Name: "x", Country: "FR", City: "x", Region: "DE-SN"},
			{Code: "bad-4", Name: "x", Country: "FR", City: "x", Serves: []string{"France"}},
			{Code: "bad-5", Name: "x", Country: "FR", City: "x", Latitude: new(48.9)},
		} {
			in.OwnerMerchantID = e.mID
			if _, _, err := e.inv.Create(ctx, sys, in); !errs.Is(err, errs.Invalid) {
				t.Errorf("%s: %v, want Invalid", in.Code, err)
			}
		}
	})
}

// TestAvailabilityFollowsWrites: buyers' availability is cached, yet every
// write of this process shows at once (the test's clock stands still, so
// no entry ever ages out): counts, reservations, their release and
// expiry, and receipts; and reads racing reservations leave it true.
func TestAvailabilityFollowsWrites(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		avail := func() inventory.Availability {
			t.Helper()
			a, err := e.stock.Availability(ctx, e.mID, []string{"CASE"})
			if err != nil {
				t.Fatal(err)
			}
			return a["CASE"]
		}
		want := func(what string, w inventory.Availability) {
			t.Helper()
			if got := avail(); got != w {
				t.Errorf("%s: %s, want %s", what, got, w)
			}
		}
		want("nothing counted", inventory.OutOfStock)
		e.set(t, e.m, e.w1, "", "CASE", 10)
		want("10 counted", inventory.InStock)
		item := []inventory.Item{{MerchantID: e.mID, SKU: "CASE", Quantity: 6}}
		r, _, err := e.stock.Reserve(ctx, inventory.ReserveInput{Ref: "c1", Items: item})
		if err != nil {
			t.Fatal(err)
		}
		want("6 of 10 reserved", inventory.LowStock)
		if _, err := e.stock.Release(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		want("released", inventory.InStock)
		r, _, err = e.stock.Reserve(ctx, inventory.ReserveInput{Ref: "c2", Items: item})
		if err != nil {
			t.Fatal(err)
		}
		want("6 reserved again", inventory.LowStock)
		e.clock.Advance(inventory.DefaultHold + time.Second)
		if err := e.stock.Expire(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		want("expired", inventory.InStock)
		e.set(t, e.m, e.w1, "", "CASE", 0)
		want("counted 0", inventory.OutOfStock)
		c, err := e.stock.Announce(ctx, e.m, e.w1, consignment("", "CASE", 30))
		if err != nil {
			t.Fatal(err)
		}
		want("announced, not received", inventory.OutOfStock)
		if _, err := e.stock.Receive(ctx, e.m, c.ID, []inventory.ReceiptLine{{SKU: "CASE", Received: 30}}); err != nil {
			t.Fatal(err)
		}
		want("30 received", inventory.InStock)

		// 30 buyers take one unit each while others read.
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for range 4 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
						avail()
					}
				}
			})
		}
		var buyers sync.WaitGroup
		for i := range 30 {
			buyers.Go(func() {
				if _, _, err := e.stock.Reserve(ctx, inventory.ReserveInput{Ref: "race-" + string(rune('a'+i)),
					Items: []inventory.Item{{MerchantID: e.mID, SKU: "CASE", Quantity: 1}}}); err != nil {
					t.Error(err)
				}
			})
		}
		buyers.Wait()
		close(stop)
		wg.Wait()
		want("all 30 reserved", inventory.OutOfStock)
	})
}
