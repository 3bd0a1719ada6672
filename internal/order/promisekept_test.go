package order_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/timers"
)

// followPaid hands every pending order.paid event to the promises'
// consumer, twice, as a redelivery would.
func followPaid(t *testing.T, db *sqlstore.DB, m *testkit.Market) {
	t.Helper()
	ctx := context.Background()
	evs, err := db.PendingEvents(ctx, 10000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		for range 2 {
			if err := m.Orders.FollowPromises(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func promiseRunner(db *sqlstore.DB, m *testkit.Market) *timers.Runner {
	r := autoConfirmRunner(db, m)
	r.Handle(order.TimerPromiseDue, m.Orders.PromiseDueTimer)
	return r
}

// compensation is the coupon and liability of order id's compensation,
// and how many it has.
func compensation(t *testing.T, db *sqlstore.DB, id string) (code string, amount int64, liable, liableID string, n int) {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), `SELECT c.code, p.amount, p.liable, p.liable_id FROM compensations p JOIN coupons c ON c.id = p.coupon_id
		WHERE p.order_id = $1`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&code, &amount, &liable, &liableID); err != nil {
			t.Fatal(err)
		}
		n++
	}
	return code, amount, liable, liableID, n
}

// TestPromiseKept: the day after an order's latest promised day, its
// promise is decided once. Delivered by then, it was kept. Not delivered,
// it was missed: its buyer gets a coupon of the channel's share of the
// order's total, that only they may use, and the merchant that ran the
// warehouse is charged for it (from what it has available, the rest
// owed); a partner's warehouse charges the partner instead. A cancelled
// order promised nothing more. Each warehouse's on-time counts are its
// own people's and the operators' to read.
func TestPromiseKept(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		r := promiseRunner(db, m)

		// A partner runs a warehouse near Paris for the Shenzhen seller.
		p, pu, err := m.Identity.CreatePartner(ctx, identity.System, identity.PartnerInput{Name: "Francilienne", Country: "FR",
			Login: identity.Registration{Email: "ops@francilienne.example", Name: "Ops", Password: "correct horse battery"}})
		if err != nil {
			t.Fatal(err)
		}
		w, _, err := m.Inventory.Create(ctx, identity.System, inventory.WarehouseInput{Code: "fl-roissy", Name: "Roissy", Country: "FR", City: "Roissy-en-France",
			Postcode: "95700", OwnerMerchantID: m.Shenzhen.ID, OperatorPartnerID: p.ID})
		if err != nil {
			t.Fatal(err)
		}
		m.Warehouses["roissy"] = w.ID
		m.SetStock(t, "roissy", m.Shenzhen.ID, "CASE-S25", 10)
		partner := pu.Actor()

		kept, lateBuyer, other, quitter := m.Buyer(t), m.Buyer(t), m.Buyer(t), m.Buyer(t)
		onTime := paidSoap(t, m, kept)
		late := paidSoap(t, m, lateBuyer)
		cancelled := paidSoap(t, m, quitter)
		c := cartWith(t, m, lateBuyer, "bazaar", "EUR", ptr(testkit.Paris()), "CASE-S25")
		co, _, err := m.Orders.Checkout(ctx, as(lateBuyer), c.ID, pay(payment.TokenSuccess))
		if err != nil || co.Orders[0].Parcels[0].WarehouseID != m.Warehouses["roissy"] {
			t.Fatalf("the case's checkout: %+v %v", co.Orders, err)
		}
		fromPartner := co.Orders[0]
		if _, err := m.Orders.Cancel(ctx, quitter, cancelled.ID, ""); err != nil {
			t.Fatal(err)
		}
		followPaid(t, db, m)
		ship(t, m, onTime.ID)
		ship(t, m, late.ID)
		if _, err := m.Orders.Ship(ctx, m.SZStaff, fromPartner.ID, order.ShipInput{Carrier: "Colissimo", TrackingNumber: "6A99999999999"}); err != nil {
			t.Fatal(err)
		}
		m.Clock.Advance(24 * time.Hour)
		if _, err := m.Orders.Deliver(ctx, m.PVStaff, onTime.ID); err != nil {
			t.Fatal(err)
		}

		// Before the day after the latest, nothing is decided.
		latest := func(o order.Order) time.Time {
			l := o.Parcels[0].Latest
			return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC).Add(24 * time.Hour)
		}
		m.Clock.Advance(latest(late).Add(-time.Hour).Sub(m.Clock.Now()))
		runTimers(t, r)
		if _, _, _, _, n := compensation(t, db, late.ID); n != 0 {
			t.Fatal("compensated before the promise ended")
		}
		before := balances(t, m, m.Provence.ID)
		m.Clock.Advance(2 * time.Hour)
		runTimers(t, r)
		if d := latest(fromPartner).Add(time.Hour).Sub(m.Clock.Now()); d > 0 {
			m.Clock.Advance(d)
		}
		runTimers(t, r)

		if _, _, _, _, n := compensation(t, db, onTime.ID); n != 0 {
			t.Error("an order delivered on time was compensated")
		}
		if _, _, _, _, n := compensation(t, db, cancelled.ID); n != 0 {
			t.Error("a cancelled order was compensated")
		}
		code, amount, liable, liableID, n := compensation(t, db, late.ID)
		if want := late.Total.Minor * 1000 / 10000; n != 1 || amount != want || liable != "merchant" || liableID != m.Provence.ID {
			t.Fatalf("the late order's compensation: %s %d (want %d) %s %s ×%d", code, amount, want, liable, liableID, n)
		}
		after := balances(t, m, m.Provence.ID)
		if got := (before["available EUR"] + before["owed EUR"]) - (after["available EUR"] + after["owed EUR"]); got != amount {
			t.Errorf("Provence was charged %d, want %d (%v → %v)", got, amount, before, after)
		}
		if after["available EUR"] < 0 {
			t.Errorf("available went negative: %v", after)
		}
		_, pAmount, pLiable, pLiableID, pn := compensation(t, db, fromPartner.ID)
		if pn != 1 || pLiable != "partner" || pLiableID != p.ID || pAmount != fromPartner.Total.Minor/10 {
			t.Errorf("the partner's late order: %d %s %s ×%d", pAmount, pLiable, pLiableID, pn)
		}
		if got := countEvents(t, db, events.OrderCompensated, late.ID); got != 1 {
			t.Errorf("%d order.compensated events", got)
		}

		// Decided once: its timer again, and the order paid again, change
		// nothing.
		followPaid(t, db, m)
		m.Clock.Advance(time.Hour)
		runTimers(t, r)
		if _, _, _, _, n := compensation(t, db, late.ID); n != 1 {
			t.Errorf("%d compensations", n)
		}
		if got := balances(t, m, m.Provence.ID); got["available EUR"]+got["owed EUR"] != after["available EUR"]+after["owed EUR"] {
			t.Errorf("charged again: %v → %v", after, got)
		}

		// The coupon is the late buyer's alone.
		oc := cartWith(t, m, other, "bazaar", "EUR", ptr(testkit.Paris()), "SOAP")
		if _, err := m.Orders.ApplyCoupon(ctx, as(other), oc.ID, code); !errs.Is(err, errs.Invalid) {
			t.Errorf("another buyer applies the coupon: %v", err)
		}
		lc := cartWith(t, m, lateBuyer, "bazaar", "EUR", ptr(testkit.Paris()), "SOAP")
		if _, err := m.Orders.ApplyCoupon(ctx, as(lateBuyer), lc.ID, code); err != nil {
			t.Errorf("the late buyer applies their coupon: %v", err)
		}
		q, err := m.Orders.Cart(ctx, as(lateBuyer), lc.ID)
		if err != nil || q.Discount.Minor != amount {
			t.Errorf("the coupon's discount: %d, want %d (%v)", q.Discount.Minor, amount, err)
		}

		// On time, by warehouse and lane.
		fos, err := m.Orders.OnTime(ctx, m.PVStaff, m.Warehouses["fos"], 30)
		if err != nil || len(fos) != 1 || fos[0].Kept != 1 || fos[0].Missed != 1 || fos[0].To != "FR" || fos[0].From != "FR-13" {
			t.Errorf("Fos's on-time: %+v %v", fos, err)
		}
		if got, err := m.Orders.OnTime(ctx, partner, m.Warehouses["roissy"], 30); err != nil || len(got) != 1 || got[0].Missed != 1 {
			t.Errorf("the partner's on-time: %+v %v", got, err)
		}
		for _, a := range []identity.Actor{m.SZStaff, partner, kept} {
			if _, err := m.Orders.OnTime(ctx, a, m.Warehouses["fos"], 30); !errs.Is(err, errs.NotFound) && !errs.Is(err, errs.Forbidden) {
				t.Errorf("%+v reads Fos's on-time: %v", a, err)
			}
		}
		if _, err := m.Orders.OnTime(ctx, m.PVStaff, "", 30); !errs.Is(err, errs.Forbidden) {
			t.Errorf("a merchant reads every warehouse's: %v", err)
		}
		all, err := m.Orders.OnTime(ctx, identity.System, "", 30)
		if err != nil || len(all) != 2 || !slices.ContainsFunc(all, func(l order.LaneOnTime) bool { return l.WarehouseID == m.Warehouses["roissy"] }) {
			t.Errorf("every warehouse's on-time: %+v %v", all, err)
		}
		if _, err := m.Orders.OnTime(ctx, identity.System, "", 0); !errs.Is(err, errs.Invalid) {
			t.Errorf("0 days: %v", err)
		}
	})
}
