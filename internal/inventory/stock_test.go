package inventory_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/timers"
)

const pw = "correct horse battery"

// env is a small marketplace with stock: merchant M (staff m, API key
// mKey) owns warehouses w1, w2 and w3 and sells SKUs "CASE" and "CABLE" (and moreSKUs);
// merchant N (staff n) sells "N-1" and owns wN; partner P (actor p) runs the
// hub, serves M (an operator assigned it to M's w3) and not N; partner Q
// (actor q) serves no one.
type env struct {
	db                  *sqlstore.DB
	inv                 *inventory.Service
	stock               *inventory.Stock
	clock               *testkit.Clock
	m, mKey, n, p, q    identity.Actor
	buyer               identity.Actor
	mID, nID            string
	w1, w2, w3, wN, hub string
}

func newEnv(t testing.TB, db *sqlstore.DB, moreSKUs ...string) *env {
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
	ids.Hasher = identity.NewHasher(2, 30*time.Second)
	merchants := merchant.NewService(db.Merchants())
	merchants.Hasher = ids.Hasher
	chans := channel.NewService(db.Channels())
	cat := catalog.NewService(db.Catalog(), chans)
	e := &env{db: db, clock: testkit.NewClock(), inv: inventory.NewService(db.Inventory()), stock: inventory.NewStock(db.Stock())}
	e.inv.Now, e.stock.Now = e.clock.Now, e.clock.Now
	_, err := chans.CreateChannel(ctx, sys, channel.ChannelInput{Code: "bazaar", Name: "Bazaar", Markets: []string{"FR"},
		Languages: []string{"fr"}, Currencies: []string{"EUR"}, Admission: channel.Open})
	check(err)
	c, err := cat.CreateCategory(ctx, sys, catalog.CategoryInput{Slug: "phones", Names: map[string]string{"en": "Phones"}})
	check(err)
	seller := func(name string, skus ...string) (string, identity.Actor) {
		m, staff := testkit.ApprovedMerchant(t, merchants, name, "CN", name+"@example.com")
		var vs []catalog.VariantInput
		for _, sku := range skus {
			vs = append(vs, catalog.VariantInput{SKU: sku, Prices: []catalog.PriceInput{{Channel: "bazaar", Currency: "EUR", Amount: 990}}})
		}
		_, err := cat.CreateProduct(ctx, staff, catalog.ProductInput{CategoryID: c.ID, OriginCountry: "CN",
			Translations: map[string]catalog.Text{"en": {Title: name + " product"}}, Variants: vs})
		check(err)
		return m.ID, staff
	}
	e.mID, e.m = seller("m", append([]string{"CASE", "CABLE"}, moreSKUs...)...)
	e.nID, e.n = seller("n", "N-1")
	e.mKey = identity.Actor{Role: identity.Staff, APIKeyID: "key_1", MerchantID: e.mID, StaffRole: identity.StaffOwner, MerchantStatus: identity.MerchantApproved}
	partner := func(name string) (string, identity.Actor) {
		p, u, err := ids.CreatePartner(ctx, sys, identity.PartnerInput{Name: name, Country: "FR",
			Login: identity.Registration{Email: name + "@example.com", Name: name, Password: pw}})
		check(err)
		return p.ID, u.Actor()
	}
	pID, p := partner("p")
	_, e.q = partner("q")
	e.p = p
	wh := func(actor identity.Actor, in inventory.WarehouseInput) string {
		w, _, err := e.inv.Create(ctx, actor, in)
		check(err)
		return w.ID
	}
	e.w1 = wh(e.m, inventory.WarehouseInput{Code: "m-sz", Name: "Shenzhen", Country: "CN", City: "Shenzhen"})
	e.w2 = wh(e.m, inventory.WarehouseInput{Code: "m-yw", Name: "Yiwu", Country: "CN", City: "Yiwu"})
	e.w3 = wh(sys, inventory.WarehouseInput{Code: "m-idf", Name: "IDF", Country: "FR", City: "Roissy", OwnerMerchantID: e.mID, OperatorPartnerID: pID})
	e.wN = wh(e.n, inventory.WarehouseInput{Code: "n-1", Name: "N", Country: "CN", City: "Yiwu"})
	e.hub = wh(sys, inventory.WarehouseInput{Code: "p-hub", Name: "Hub", Country: "FR", City: "Gonesse", OperatorPartnerID: pID})
	e.buyer = identity.Actor{Role: identity.Buyer, UserID: "usr_1"}
	return e
}

func (e *env) set(t testing.TB, actor identity.Actor, wh, merchant, sku string, n int64) inventory.StockLevel {
	t.Helper()
	l, err := e.stock.SetStock(context.Background(), actor, wh, inventory.StockInput{MerchantID: merchant, SKU: sku, OnHand: n})
	if err != nil {
		t.Fatalf("count %s in %s: %v", sku, wh, err)
	}
	return l
}

func wantKind(t *testing.T, what string, err error, kind errs.Kind) {
	t.Helper()
	if got := errs.KindOf(err); got != kind {
		t.Fatalf("%s: error kind = %v, want %v (err: %v)", what, got, kind, err)
	}
}

// totals sums the stock of a SKU over every warehouse, read straight from
// the table.
type totals struct{ onHand, reserved, shipped, negative int64 }

func (e *env) totals(t *testing.T, merchantID, sku string) totals {
	t.Helper()
	rows, err := e.db.QueryContext(context.Background(), `SELECT on_hand, reserved, shipped FROM stock WHERE merchant_id = $1 AND sku = $2`, merchantID, sku)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var s totals
	for rows.Next() {
		var on, res, sh int64
		if err := rows.Scan(&on, &res, &sh); err != nil {
			t.Fatal(err)
		}
		s.onHand, s.reserved, s.shipped = s.onHand+on, s.reserved+res, s.shipped+sh
		if on-res < 0 || on < 0 || res < 0 {
			s.negative++
		}
	}
	return s
}

func TestStockIsCountedByThoseWhoHoldIt(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		// The owner counts its own warehouse; its API key too (an ERP).
		l := e.set(t, e.m, e.w1, "", "CASE", 12)
		if l.OnHand != 12 || l.Available != 12 || l.MerchantID != e.mID || l.Reserved != 0 {
			t.Fatalf("level = %+v", l)
		}
		e.set(t, e.mKey, e.w1, e.mID, "CABLE", 3)
		// The partner operating M's warehouse counts it, and counts M's
		// stock in its hub (it serves M); an operator may count anything.
		e.set(t, e.p, e.w3, "", "CASE", 5)
		e.set(t, e.p, e.hub, e.mID, "CASE", 7)
		e.set(t, identity.System, e.w2, "", "CASE", 1)
		av, err := e.stock.Availability(ctx, e.mID, []string{"CASE", "CABLE", "NONE"})
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(map[string]inventory.Availability{"CASE": inventory.InStock, "CABLE": inventory.LowStock, "NONE": inventory.OutOfStock}, av); d != "" {
			t.Fatalf("availability (-want +got):\n%s", d)
		}
		list, _, err := e.stock.ListStock(ctx, e.p, e.hub, "", 10)
		if err != nil || len(list) != 1 || list[0].SKU != "CASE" || list[0].OnHand != 7 {
			t.Fatalf("hub stock = %+v, %v", list, err)
		}

		before, err := db.Fingerprint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		refusals := []struct {
			what  string
			actor identity.Actor
			wh    string
			in    inventory.StockInput
			kind  errs.Kind
			field string
		}{
			{"anonymous", identity.Actor{}, e.w1, inventory.StockInput{SKU: "CASE", OnHand: 1}, errs.Unauthenticated, ""},
			{"a buyer", e.buyer, e.w1, inventory.StockInput{SKU: "CASE", OnHand: 1}, errs.NotFound, ""},
			{"another merchant's warehouse", e.n, e.w1, inventory.StockInput{SKU: "CASE", OnHand: 1}, errs.NotFound, ""},
			{"a partner not operating it", e.q, e.hub, inventory.StockInput{MerchantID: e.mID, SKU: "CASE", OnHand: 1}, errs.NotFound, ""},
			{"the partner on a warehouse it does not run", e.p, e.w1, inventory.StockInput{SKU: "CASE", OnHand: 1}, errs.NotFound, ""},
			{"another merchant's SKU in an owned warehouse", e.m, e.w1, inventory.StockInput{MerchantID: e.nID, SKU: "N-1", OnHand: 1}, errs.Invalid, "merchant_id"},
			{"a merchant the hub's partner does not serve", e.p, e.hub, inventory.StockInput{MerchantID: e.nID, SKU: "N-1", OnHand: 1}, errs.Invalid, "merchant_id"},
			{"a hub count naming no merchant", e.p, e.hub, inventory.StockInput{SKU: "CASE", OnHand: 1}, errs.Invalid, "merchant_id"},
			{"a SKU the merchant does not have", e.m, e.w1, inventory.StockInput{SKU: "N-1", OnHand: 1}, errs.Invalid, "sku"},
			{"a malformed SKU", e.m, e.w1, inventory.StockInput{SKU: "CASE 1'--", OnHand: 1}, errs.Invalid, "sku"},
			{"a negative count", e.m, e.w1, inventory.StockInput{SKU: "CASE", OnHand: -1}, errs.Invalid, "on_hand"},
			{"an absurd count", e.m, e.w1, inventory.StockInput{SKU: "CASE", OnHand: inventory.MaxOnHand + 1}, errs.Invalid, "on_hand"},
			{"an unknown warehouse", e.m, "wh_0190", inventory.StockInput{SKU: "CASE", OnHand: 1}, errs.NotFound, ""},
		}
		for _, r := range refusals {
			_, err := e.stock.SetStock(ctx, r.actor, r.wh, r.in)
			wantKind(t, r.what, err, r.kind)
			if r.field != "" && errs.FieldOf(err) != r.field {
				t.Errorf("%s: field = %q, want %q", r.what, errs.FieldOf(err), r.field)
			}
		}
		if _, _, err := e.stock.ListStock(ctx, e.q, e.hub, "", 10); !errs.Is(err, errs.NotFound) {
			t.Errorf("another partner lists the hub: %v", err)
		}
		if _, _, err := e.stock.ListStock(ctx, e.n, e.w1, "", 10); !errs.Is(err, errs.NotFound) {
			t.Errorf("another merchant lists w1: %v", err)
		}
		after, _ := db.Fingerprint(ctx)
		if before != after {
			t.Fatal("a refused count changed the database")
		}

		// A count lower than the reserved units is refused: they are promised.
		r, _, err := e.stock.Reserve(ctx, inventory.ReserveInput{Ref: "chk_1", Items: []inventory.Item{{MerchantID: e.mID, SKU: "CABLE", Quantity: 2}}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.stock.SetStock(ctx, e.m, e.w1, inventory.StockInput{SKU: "CABLE", OnHand: 1})
		wantKind(t, "a count below the reserved units", err, errs.Conflict)
		if l := e.set(t, e.m, e.w1, "", "CABLE", 2); l.Available != 0 || l.Reserved != 2 {
			t.Fatalf("count of exactly the reserved units: %+v", l)
		}
		if _, err := e.stock.Release(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		// Paging by merchant and SKU.
		page1, next, err := e.stock.ListStock(ctx, e.m, e.w1, "", 1)
		if err != nil || len(page1) != 1 || page1[0].SKU != "CABLE" || next != page1[0].MerchantID+"/CABLE" {
			t.Fatalf("page 1 = %+v, next %q, %v", page1, next, err)
		}
		page2, next, err := e.stock.ListStock(ctx, e.m, e.w1, next, 1)
		if err != nil || len(page2) != 1 || page2[0].SKU != "CASE" || next != "" {
			t.Fatalf("page 2 = %+v, next %q, %v", page2, next, err)
		}
		_, _, err = e.stock.ListStock(ctx, e.m, e.w1, "nonsense", 1)
		wantKind(t, "a malformed cursor", err, errs.Invalid)
	})
}

// TestStockNeverGoesBelowZero checks the database's own guard: whatever a
// statement does, reserved stays within on-hand and nothing is negative.
func TestStockNeverGoesBelowZero(t *testing.T) {
	for _, engine := range testkit.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			dsn := testkit.DSN(t, engine)
			db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			driver := "pgx"
			if engine == sqlstore.SQLite {
				driver = "sqlite"
			}
			raw, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { raw.Close() })
			e := newEnv(t, db)
			e.set(t, e.m, e.w1, "", "CASE", 2)
			for _, q := range []string{
				`UPDATE stock SET reserved = 3`,
				`UPDATE stock SET on_hand = -1, reserved = 0`,
				`UPDATE stock SET reserved = -1`,
				`UPDATE stock SET shipped = -1`,
				`UPDATE stock SET inbound = -1`,
			} {
				if _, err := raw.ExecContext(ctx, q); err == nil {
					t.Errorf("%s: accepted", q)
				}
			}
			if s := e.totals(t, e.mID, "CASE"); s.onHand != 2 || s.reserved != 0 {
				t.Fatalf("stock changed: %+v", s)
			}
		})
	}
}

// TestConcurrentBuyersReserveExactlyTheStock: 200 buyers at once for a SKU
// with 50 units over 3 warehouses get exactly 50 units; then while paid
// orders ship, others are released and the rest expire, on-hand always
// equals available + reserved + shipped.
func TestConcurrentBuyersReserveExactlyTheStock(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.set(t, e.m, e.w1, "", "CASE", 20)
		e.set(t, e.m, e.w2, "", "CASE", 20)
		e.set(t, e.p, e.w3, "", "CASE", 10)
		const total = 50

		// A sampler reads the table throughout.
		stop := make(chan struct{})
		var samples, broken atomic.Int64
		var sampler sync.WaitGroup
		sampler.Add(1)
		go func() {
			defer sampler.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				s := e.totals(t, e.mID, "CASE")
				samples.Add(1)
				if s.negative > 0 || s.onHand+s.shipped != total || s.reserved > s.onHand {
					broken.Add(1)
					t.Errorf("sample: %+v", s)
				}
				time.Sleep(time.Millisecond)
			}
		}()

		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			won     []inventory.Reservation
			refused atomic.Int64
		)
		for i := range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, created, err := e.stock.Reserve(ctx, inventory.ReserveInput{Ref: fmt.Sprintf("chk_%03d", i),
					Items: []inventory.Item{{MerchantID: e.mID, SKU: "CASE", Quantity: 1}}})
				switch {
				case err == nil && created:
					mu.Lock()
					won = append(won, r)
					mu.Unlock()
				case errs.Is(err, errs.Conflict):
					refused.Add(1)
				default:
					t.Errorf("buyer %d: created %v, %v", i, created, err)
				}
			}()
		}
		wg.Wait()
		if len(won) != total || refused.Load() != 200-total {
			t.Fatalf("%d reservations and %d refusals, want %d and %d", len(won), refused.Load(), total, 200-total)
		}
		perWH := map[string]int64{}
		for _, r := range won {
			for _, l := range r.Lines {
				perWH[l.WarehouseID] += l.Quantity
			}
		}
		if d := cmp.Diff(map[string]int64{e.w1: 20, e.w2: 20, e.w3: 10}, perWH); d != "" {
			t.Fatalf("units reserved per warehouse (-want +got):\n%s", d)
		}
		if s := e.totals(t, e.mID, "CASE"); s.reserved != total || s.onHand != total {
			t.Fatalf("after the rush: %+v", s)
		}

		// Paid orders ship, others are cancelled, the rest expire, all at once.
		e.clock.Advance(inventory.DefaultHold + time.Second)
		var shipped, released, expired atomic.Int64
		for i, r := range won {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				switch i % 3 {
				case 0:
					if _, err = e.stock.Confirm(ctx, r.ID); err == nil {
						_, err = e.stock.Ship(ctx, r.ID)
						shipped.Add(1)
					}
				case 1:
					_, err = e.stock.Release(ctx, r.ID)
					released.Add(1)
				default:
					err = e.stock.Expire(ctx, r.ID)
					expired.Add(1)
				}
				if err != nil {
					t.Errorf("reservation %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		close(stop)
		sampler.Wait()
		if samples.Load() < 5 {
			t.Fatalf("only %d samples were taken", samples.Load())
		}
		s := e.totals(t, e.mID, "CASE")
		if s.shipped != shipped.Load() || s.reserved != 0 || s.onHand != total-shipped.Load() {
			t.Fatalf("at the end: %+v (shipped %d, released %d, expired %d)", s, shipped.Load(), released.Load(), expired.Load())
		}
		for i, r := range won {
			got, err := e.stock.Reservation(ctx, r.ID)
			want := []inventory.ReservationStatus{inventory.Shipped, inventory.Released, inventory.Expired}[i%3]
			if err != nil || got.Status != want || got.EndedAt == nil {
				t.Fatalf("reservation %d: %+v, %v (want %s)", i, got, err, want)
			}
		}
		t.Logf("%d samples, %d broken", samples.Load(), broken.Load())
	})
}

// TestReservationRetriesFindTheirReservation: a checkout that retries (or
// sends twice at once) holds its units once.
func TestReservationRetriesFindTheirReservation(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.set(t, e.m, e.w1, "", "CASE", 10)
		e.set(t, e.m, e.w2, "", "CABLE", 10)
		in := inventory.ReserveInput{Ref: "chk_retry", Items: []inventory.Item{{MerchantID: e.mID, SKU: "CASE", Quantity: 2}, {MerchantID: e.mID, SKU: "CABLE", Quantity: 1}}}
		var (
			wg      sync.WaitGroup
			created atomic.Int64
			idsSeen sync.Map
		)
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, c, err := e.stock.Reserve(ctx, in)
				if err != nil {
					t.Error(err)
					return
				}
				if c {
					created.Add(1)
				}
				idsSeen.Store(r.ID, true)
			}()
		}
		wg.Wait()
		n := 0
		idsSeen.Range(func(any, any) bool { n++; return true })
		if created.Load() != 1 || n != 1 {
			t.Fatalf("%d created, %d ids", created.Load(), n)
		}
		if s := e.totals(t, e.mID, "CASE"); s.reserved != 2 {
			t.Fatalf("CASE reserved %d, want 2", s.reserved)
		}
		// A split order: the SKUs lie in two warehouses.
		var r inventory.Reservation
		idsSeen.Range(func(k, _ any) bool { r, _ = e.stock.Reservation(ctx, k.(string)); return false })
		want := []inventory.Line{{MerchantID: e.mID, SKU: "CABLE", WarehouseID: e.w2, Quantity: 1}, {MerchantID: e.mID, SKU: "CASE", WarehouseID: e.w1, Quantity: 2}}
		if d := cmp.Diff(want, r.Lines); d != "" {
			t.Fatalf("lines (-want +got):\n%s", d)
		}
		// Once released, the ref may reserve anew.
		if _, err := e.stock.Release(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		r2, c, err := e.stock.Reserve(ctx, in)
		if err != nil || !c || r2.ID == r.ID {
			t.Fatalf("after release: %+v, %v, %v", r2, c, err)
		}
		// Bad input changes nothing.
		before, _ := db.Fingerprint(ctx)
		for what, bad := range map[string]inventory.ReserveInput{
			"no ref":          {Items: in.Items},
			"no items":        {Ref: "x"},
			"zero quantity":   {Ref: "x", Items: []inventory.Item{{MerchantID: e.mID, SKU: "CASE"}}},
			"no merchant":     {Ref: "x", Items: []inventory.Item{{SKU: "CASE", Quantity: 1}}},
			"a malformed SKU": {Ref: "x", Items: []inventory.Item{{MerchantID: e.mID, SKU: "' OR 1=1", Quantity: 1}}},
		} {
			_, _, err := e.stock.Reserve(ctx, bad)
			wantKind(t, what, err, errs.Invalid)
		}
		for what, short := range map[string]inventory.ReserveInput{
			"more than the stock": {Ref: "y", Items: []inventory.Item{{MerchantID: e.mID, SKU: "CASE", Quantity: 9}}},
			"an unstocked SKU":    {Ref: "y", Items: []inventory.Item{{MerchantID: e.nID, SKU: "N-1", Quantity: 1}}},
			"one short line of two": {Ref: "y", Items: []inventory.Item{{MerchantID: e.mID, SKU: "CABLE", Quantity: 1},
				{MerchantID: e.mID, SKU: "CASE", Quantity: 5}, {MerchantID: e.mID, SKU: "CASE", Quantity: 4}}},
		} {
			_, _, err := e.stock.Reserve(ctx, short)
			wantKind(t, what, err, errs.Conflict)
		}
		if after, _ := db.Fingerprint(ctx); after != before {
			t.Fatal("a refused reservation changed the database")
		}
		for what, id := range map[string]string{"unknown": "rsv_0190d5e4b7c87a4c9f2a3e1d5c6b7a89", "malformed": "x'; --"} {
			_, err := e.stock.Confirm(ctx, id)
			wantKind(t, what, err, errs.NotFound)
		}
		_, err = e.stock.Ship(ctx, r2.ID)
		wantKind(t, "shipping an unpaid reservation", err, errs.Conflict)
		_, err = e.stock.Confirm(ctx, r.ID)
		wantKind(t, "confirming a released reservation", err, errs.Conflict)
	})
}

// TestReservationsExpire runs the expiry timers as the server's poller
// does: held units return to stock once, a paid reservation keeps them, and
// a timer that runs again (a retry) changes nothing.
func TestReservationsExpire(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.set(t, e.m, e.w1, "", "CASE", 3)
		hold := func(ref string) inventory.Reservation {
			r, _, err := e.stock.Reserve(ctx, inventory.ReserveInput{Ref: ref, Hold: time.Minute,
				Items: []inventory.Item{{MerchantID: e.mID, SKU: "CASE", Quantity: 1}}})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		unpaid, paid := hold("chk_unpaid"), hold("chk_paid")
		if _, err := e.stock.Confirm(ctx, paid.ID); err != nil {
			t.Fatal(err)
		}
		runner := &timers.Runner{Store: db.Timers(), Now: e.clock.Now}
		runner.Handle(inventory.TimerReservationExpiry, e.stock.ExpiryTimer)
		if n, err := runner.RunOnce(ctx); err != nil || n != 0 {
			t.Fatalf("before the hold ends: ran %d, %v", n, err)
		}
		e.clock.Advance(time.Minute)
		if n, err := runner.RunOnce(ctx); err != nil || n != 2 {
			t.Fatalf("at the hold's end: ran %d, %v", n, err)
		}
		if r, _ := e.stock.Reservation(ctx, unpaid.ID); r.Status != inventory.Expired {
			t.Fatalf("unpaid: %s", r.Status)
		}
		if r, _ := e.stock.Reservation(ctx, paid.ID); r.Status != inventory.Confirmed {
			t.Fatalf("paid: %s", r.Status)
		}
		if s := e.totals(t, e.mID, "CASE"); s.reserved != 1 || s.onHand != 3 {
			t.Fatalf("after expiry: %+v", s)
		}
		// The timer's work run again is a no-op.
		if err := e.stock.Expire(ctx, unpaid.ID); err != nil {
			t.Fatal(err)
		}
		if s := e.totals(t, e.mID, "CASE"); s.reserved != 1 {
			t.Fatalf("a second expiry returned units again: %+v", s)
		}
		// A payment arriving after expiry finds the units gone.
		_, err := e.stock.Confirm(ctx, unpaid.ID)
		wantKind(t, "confirming an expired reservation", err, errs.Conflict)
		// An early timer (a clock behind) does not expire a live hold.
		early := hold("chk_early")
		if err := e.stock.Expire(ctx, early.ID); err != nil {
			t.Fatal(err)
		}
		if r, _ := e.stock.Reservation(ctx, early.ID); r.Status != inventory.Held {
			t.Fatalf("early expiry: %s", r.Status)
		}
	})
}

func TestPickSources(t *testing.T) {
	lvl := func(wh, sku string, n int64) inventory.StockLevel {
		return inventory.StockLevel{WarehouseID: wh, MerchantID: "m", SKU: sku, OnHand: n, Available: n}
	}
	item := func(sku string, n int64) inventory.Item {
		return inventory.Item{MerchantID: "m", SKU: sku, Quantity: n}
	}
	line := func(wh, sku string, n int64) inventory.Line {
		return inventory.Line{MerchantID: "m", SKU: sku, WarehouseID: wh, Quantity: n}
	}
	for _, c := range []struct {
		name   string
		items  []inventory.Item
		levels []inventory.StockLevel
		want   []inventory.Line
		short  bool
	}{
		{"one warehouse has all: no split", []inventory.Item{item("a", 1), item("b", 1)},
			[]inventory.StockLevel{lvl("w1", "a", 5), lvl("w2", "a", 5), lvl("w2", "b", 1)},
			[]inventory.Line{line("w2", "a", 1), line("w2", "b", 1)}, false},
		{"the fuller of two that have all", []inventory.Item{item("a", 2)},
			[]inventory.StockLevel{lvl("w1", "a", 2), lvl("w2", "a", 9)},
			[]inventory.Line{line("w2", "a", 2)}, false},
		{"a tie goes to the first by id", []inventory.Item{item("a", 1)},
			[]inventory.StockLevel{lvl("w2", "a", 3), lvl("w1", "a", 3)},
			[]inventory.Line{line("w1", "a", 1)}, false},
		{"split by SKU when none has all", []inventory.Item{item("a", 1), item("b", 1)},
			[]inventory.StockLevel{lvl("w1", "a", 1), lvl("w2", "b", 1)},
			[]inventory.Line{line("w1", "a", 1), line("w2", "b", 1)}, false},
		{"one SKU over two warehouses", []inventory.Item{item("a", 5)},
			[]inventory.StockLevel{lvl("w1", "a", 2), lvl("w2", "a", 4)},
			[]inventory.Line{line("w2", "a", 4), line("w1", "a", 1)}, false},
		{"not enough in all", []inventory.Item{item("a", 7)},
			[]inventory.StockLevel{lvl("w1", "a", 2), lvl("w2", "a", 4)}, nil, true},
		{"reserved units do not count", []inventory.Item{item("a", 1)},
			[]inventory.StockLevel{{WarehouseID: "w1", MerchantID: "m", SKU: "a", OnHand: 3, Reserved: 3}}, nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := inventory.PickSources(c.items, c.levels)
			if c.short {
				wantKind(t, c.name, err, errs.Conflict)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Fatalf("(-want +got):\n%s", d)
			}
		})
	}
}

// TestReserveAllHoldsAllOrNone: a checkout's reservations (one per
// merchant) are held in one go: when one merchant's stock falls short, the
// other's units are not held either; a retry finds the ones it made.
func TestReserveAllHoldsAllOrNone(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.set(t, e.m, e.w1, "", "CASE", 10)
		e.set(t, e.n, e.wN, "", "N-1", 2)
		ins := func(nQty int64) []inventory.ReserveInput {
			return []inventory.ReserveInput{
				{Ref: "chk_all/" + e.mID, Items: []inventory.Item{{MerchantID: e.mID, SKU: "CASE", Quantity: 3}}},
				{Ref: "chk_all/" + e.nID, Items: []inventory.Item{{MerchantID: e.nID, SKU: "N-1", Quantity: nQty}}},
			}
		}
		before, _ := db.Fingerprint(ctx)
		_, err := e.stock.ReserveAll(ctx, ins(3))
		wantKind(t, "the second merchant short", err, errs.Conflict)
		bad := ins(1)
		bad[1].Items[0].SKU = "not a sku"
		_, err = e.stock.ReserveAll(ctx, bad)
		wantKind(t, "the second input malformed", err, errs.Invalid)
		if after, _ := db.Fingerprint(ctx); after != before {
			t.Fatal("a refused reservation of two merchants held some stock")
		}
		rs, err := e.stock.ReserveAll(ctx, ins(2))
		if err != nil || len(rs) != 2 || rs[0].Ref != "chk_all/"+e.mID || rs[1].Lines[0].WarehouseID != e.wN {
			t.Fatalf("both: %+v %v", rs, err)
		}
		again, err := e.stock.ReserveAll(ctx, ins(2))
		if err != nil || again[0].ID != rs[0].ID || again[1].ID != rs[1].ID {
			t.Fatalf("the retry made new reservations: %+v %v", again, err)
		}
		if m, n := e.totals(t, e.mID, "CASE"), e.totals(t, e.nID, "N-1"); m.reserved != 3 || n.reserved != 2 {
			t.Fatalf("reserved: CASE %d, N-1 %d; want 3 and 2", m.reserved, n.reserved)
		}
	})
}
