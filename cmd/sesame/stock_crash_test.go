package main

import (
	"context"
	"path/filepath"
	"syscall"
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

// seedStock makes a merchant selling SKU "CASE" with onHand units in its
// own warehouse, and returns the merchant's and the warehouse's ids.
func seedStock(t *testing.T, db *sqlstore.DB, onHand int64) (merchantID, warehouseID string) {
	t.Helper()
	ctx := context.Background()
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	sys := identity.System
	ids := identity.NewService(db.Identity())
	ids.Hasher = identity.NewHasher(1, 30*time.Second)
	merchants := merchant.NewService(db.Merchants())
	merchants.Hasher = ids.Hasher
	chans := channel.NewService(db.Channels())
	cat := catalog.NewService(db.Catalog(), chans)
	_, err := chans.CreateChannel(ctx, sys, channel.ChannelInput{Code: "bazaar", Name: "Bazaar", Markets: []string{"FR"},
		Languages: []string{"fr"}, Currencies: []string{"EUR"}, Admission: channel.Open})
	check(err)
	c, err := cat.CreateCategory(ctx, sys, catalog.CategoryInput{Slug: "phones", Names: map[string]string{"en": "Phones"}})
	check(err)
	m, staff := testkit.ApprovedMerchant(t, merchants, "Cases", "CN", "cases@example.com")
	_, err = cat.CreateProduct(ctx, staff, catalog.ProductInput{CategoryID: c.ID, OriginCountry: "CN",
		Translations: map[string]catalog.Text{"en": {Title: "Case"}},
		Variants:     []catalog.VariantInput{{SKU: "CASE", Prices: []catalog.PriceInput{{Channel: "bazaar", Currency: "EUR", Amount: 990}}}}})
	check(err)
	w, _, err := inventory.NewService(db.Inventory()).Create(ctx, staff, inventory.WarehouseInput{Code: "sz", Name: "Shenzhen", Country: "CN", City: "Shenzhen"})
	check(err)
	_, err = inventory.NewStock(db.Stock()).SetStock(ctx, staff, w.ID, inventory.StockInput{SKU: "CASE", OnHand: onHand})
	check(err)
	return m.ID, w.ID
}

// TestReservationsExpireAcrossKill9 holds stock from outside a running
// Sesame, kills the process with SIGKILL before the holds end, and restarts
// it after: the holds that ended during the outage return their units at
// the restart, one confirmed (paid) meanwhile keeps them, and one that ends
// while Sesame runs returns its units without a restart.
func TestReservationsExpireAcrossKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Sesame twice")
	}
	for _, e := range testkit.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			dsn := filepath.Join(dir, "sesame.db")
			if e == sqlstore.Postgres {
				dsn = testkit.DSN(t, e)
			}
			db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			mID, whID := seedStock(t, db, 10)
			stock := inventory.NewStock(db.Stock())
			level := func() inventory.StockLevel {
				t.Helper()
				ls, err := db.Stock().StockOf(ctx, mID, []string{"CASE"})
				if err != nil || len(ls) != 1 || ls[0].WarehouseID != whID {
					t.Fatalf("stock = %+v, %v", ls, err)
				}
				return ls[0]
			}
			reserve := func(ref string, n int64, hold time.Duration) inventory.Reservation {
				t.Helper()
				r, created, err := stock.Reserve(ctx, inventory.ReserveInput{Ref: ref, Hold: hold,
					Items: []inventory.Item{{MerchantID: mID, SKU: "CASE", Quantity: n}}})
				if err != nil || !created {
					t.Fatalf("reserve %s: %v (created %v)", ref, err, created)
				}
				return r
			}
			status := func(id string) inventory.ReservationStatus {
				t.Helper()
				r, err := stock.Reservation(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				return r.Status
			}
			stderr := &syncBuffer{}
			waitFor := func(what string, ok func() bool) { t.Helper(); waitUntil(t, stderr, what, ok) }

			cmd := startTimerChild(t, dir, dsn, stderr)
			// A hold that ends while Sesame runs.
			short := reserve("checkout-short", 2, 300*time.Millisecond)
			waitFor("the short hold to expire", func() bool { return status(short.ID) == inventory.Expired })
			if l := level(); l.Reserved != 0 || l.Available != 10 {
				t.Fatalf("after the short hold: %+v", l)
			}
			// Holds that end while Sesame is down, and one paid before then.
			hold := 2 * time.Second
			a, b, paid := reserve("checkout-a", 3, hold), reserve("checkout-b", 1, hold), reserve("checkout-paid", 4, hold)
			due := a.ExpiresAt
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
			cmd.Wait()
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("the server ended with %v, not SIGKILL", cmd.ProcessState)
			}
			if time.Now().After(due) {
				t.Skip("the machine is too slow to kill the server before the holds end")
			}
			if _, err := stock.Confirm(ctx, paid.ID); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Until(due) + 300*time.Millisecond)
			if l := level(); l.Reserved != 8 || l.Available != 2 {
				t.Fatalf("during the outage, past the holds: %+v, want 8 reserved", l)
			}
			// No one may take the units of an ended hold until Sesame expires
			// it: the stock of a live, if late, hold is still held.
			if _, _, err := stock.Reserve(ctx, inventory.ReserveInput{Ref: "checkout-greedy", Items: []inventory.Item{{MerchantID: mID, SKU: "CASE", Quantity: 3}}}); err == nil {
				t.Fatal("reserved units still held")
			}

			cmd = startTimerChild(t, dir, dsn, stderr)
			waitFor("the holds that ended during the outage to expire", func() bool {
				return status(a.ID) == inventory.Expired && status(b.ID) == inventory.Expired
			})
			if got := status(paid.ID); got != inventory.Confirmed {
				t.Errorf("the paid reservation is %s, want confirmed", got)
			}
			l := level()
			if l.Reserved != 4 || l.Available != 6 || l.OnHand != 10 {
				t.Errorf("after the restart: %+v, want 4 reserved (the paid order's) of 10", l)
			}
		})
	}
}
