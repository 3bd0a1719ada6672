package order_test

import (
	"context"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/timers"
)

const day = 24 * time.Hour

// paidSoap is a buyer's paid order of soap from Provence.
func paidSoap(t testing.TB, m *testkit.Market, buyer identity.Actor) order.Order {
	t.Helper()
	c := cartWith(t, m, buyer, "bazaar", "EUR", ptr(testkit.Paris()), "SOAP")
	co, _, err := m.Orders.Checkout(context.Background(), as(buyer), c.ID, pay(payment.TokenSuccess))
	if err != nil || co.Orders[0].Status != order.Paid {
		t.Fatalf("checkout: %+v %v", co, err)
	}
	return co.Orders[0]
}

func ship(t testing.TB, m *testkit.Market, id string) order.Order {
	t.Helper()
	o, err := m.Orders.Ship(context.Background(), m.PVStaff, id, order.ShipInput{Carrier: "Colissimo", TrackingNumber: "6A12345678901"})
	if err != nil {
		t.Fatalf("ship: %v", err)
	}
	return o
}

// countEvents counts the outbox rows of type typ about order id.
func countEvents(t *testing.T, db *sqlstore.DB, typ, id string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM outbox WHERE type = $1 AND aggregate_id = $2`, typ, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func autoConfirmRunner(db *sqlstore.DB, m *testkit.Market) *timers.Runner {
	r := &timers.Runner{Store: db.Timers(), Now: m.Clock.Now}
	r.Handle(order.TimerAutoConfirm, m.Orders.AutoConfirmTimer)
	r.Handle(order.TimerPaymentExpiry, m.Orders.ExpiryTimer)
	r.Handle(inventory.TimerReservationExpiry, m.Stock.ExpiryTimer)
	return r
}

func runTimers(t *testing.T, r *timers.Runner) {
	t.Helper()
	for range 3 {
		if _, err := r.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestShippedDeliveredConfirmed: the merchant ships a paid order with its
// tracking number (its stock leaves the warehouse) and records its
// delivery; the buyer confirms receipt. Others find no such order; a
// shipped order cannot be cancelled; each step writes its event once.
func TestShippedDeliveredConfirmed(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		buyer, other := m.Buyer(t), m.Buyer(t)
		o := paidSoap(t, m, buyer)
		in := order.ShipInput{Carrier: "Colissimo", TrackingNumber: "6A12345678901"}
		for name, a := range map[string]identity.Actor{"another merchant": m.SZStaff, "the buyer": buyer, "another buyer": other, "an operator": identity.System} {
			if _, err := m.Orders.Ship(ctx, a, o.ID, in); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s ships: %v", name, err)
			}
		}
		if _, err := m.Orders.Ship(ctx, m.PVStaff, o.ID, order.ShipInput{Carrier: "Colissimo"}); !errs.Is(err, errs.Invalid) {
			t.Errorf("no tracking number: %v", err)
		}
		if _, err := m.Orders.Deliver(ctx, m.PVStaff, o.ID); !errs.Is(err, errs.Conflict) {
			t.Errorf("delivered before shipment: %v", err)
		}
		if _, err := m.Orders.ConfirmDelivery(ctx, buyer, o.ID); !errs.Is(err, errs.Conflict) {
			t.Errorf("confirmed before shipment: %v", err)
		}
		before := stockOf(t, m, "fos", m.Provence.ID, "SOAP")
		shipAt := m.Clock.Now().UTC()
		s := ship(t, m, o.ID)
		if s.Status != order.Shipped || s.Carrier != "Colissimo" || s.TrackingNumber != "6A12345678901" || s.ShippedAt == nil || !s.ShippedAt.Equal(shipAt) ||
			s.ProtectionEndsAt == nil || !s.ProtectionEndsAt.Equal(shipAt.Add(30*day)) || s.ProtectionExtended {
			t.Fatalf("shipped: %+v", s.Shipment)
		}
		if after := stockOf(t, m, "fos", m.Provence.ID, "SOAP"); after.OnHand != before.OnHand-1 || after.Reserved != before.Reserved-1 || after.Shipped != before.Shipped+1 {
			t.Errorf("stock after shipment: %+v, before %+v", after, before)
		}
		if _, err := m.Orders.Ship(ctx, m.PVStaff, o.ID, in); !errs.Is(err, errs.Conflict) {
			t.Errorf("shipped twice: %v", err)
		}
		for _, a := range []identity.Actor{buyer, m.PVStaff, identity.System} {
			if _, err := m.Orders.Cancel(ctx, a, o.ID, ""); !errs.Is(err, errs.Conflict) {
				t.Errorf("cancelled after shipment: %v", err)
			}
		}
		got, err := m.Orders.Order(ctx, buyer, o.ID)
		if err != nil || got.TrackingNumber != "6A12345678901" || got.ProtectionEndsAt == nil {
			t.Fatalf("the buyer's order: %+v %v", got.Shipment, err)
		}

		m.Clock.Advance(3 * day)
		for name, a := range map[string]identity.Actor{"another merchant": m.SZStaff, "the buyer": buyer} {
			if _, err := m.Orders.Deliver(ctx, a, o.ID); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s delivers: %v", name, err)
			}
		}
		deliverAt := m.Clock.Now().UTC()
		d, err := m.Orders.Deliver(ctx, m.PVStaff, o.ID)
		if err != nil || d.Status != order.Delivered || d.DeliveredAt == nil || !d.DeliveredAt.Equal(deliverAt) || !d.ProtectionEndsAt.Equal(deliverAt.Add(10*day)) {
			t.Fatalf("delivered: %+v %v", d.Shipment, err)
		}

		for name, a := range map[string]identity.Actor{"another buyer": other, "the merchant": m.PVStaff, "an operator": identity.System} {
			if _, err := m.Orders.ConfirmDelivery(ctx, a, o.ID); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s confirms: %v", name, err)
			}
		}
		c, err := m.Orders.ConfirmDelivery(ctx, buyer, o.ID)
		if err != nil || c.Status != order.Completed || c.ConfirmedAt == nil {
			t.Fatalf("confirmed: %+v %v", c, err)
		}
		if _, err := m.Orders.ConfirmDelivery(ctx, buyer, o.ID); !errs.Is(err, errs.Conflict) {
			t.Errorf("confirmed twice: %v", err)
		}
		if _, err := m.Orders.ExtendProtection(ctx, buyer, o.ID); !errs.Is(err, errs.Conflict) {
			t.Errorf("extended once confirmed: %v", err)
		}
		// The timers armed by the shipment and the delivery find the order
		// confirmed.
		m.Clock.Advance(40 * day)
		runTimers(t, autoConfirmRunner(db, m))
		for _, typ := range []string{"order.shipped", "order.delivered", "order.confirmed"} {
			if n := countEvents(t, db, typ, o.ID); n != 1 {
				t.Errorf("%d %s events, want 1", n, typ)
			}
		}
	})
}

// TestProtectionEndsAndConfirms: the auto-confirm timer confirms a
// delivered order when its protection ends, 10 days after delivery, and not
// before; one never delivered 30 days after shipment; the timer run again
// confirms nothing more.
func TestProtectionEndsAndConfirms(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		buyer := m.Buyer(t)
		r := autoConfirmRunner(db, m)
		delivered, lost := paidSoap(t, m, buyer), paidSoap(t, m, buyer)
		ship(t, m, delivered.ID)
		ship(t, m, lost.ID)
		m.Clock.Advance(2 * day)
		if _, err := m.Orders.Deliver(ctx, identity.System, delivered.ID); err != nil {
			t.Fatalf("an operator records the delivery: %v", err)
		}
		status := func(id string) order.Order {
			t.Helper()
			o, err := m.Orders.Order(ctx, buyer, id)
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		m.Clock.Advance(10*day - time.Minute)
		runTimers(t, r)
		if o := status(delivered.ID); o.Status != order.Delivered {
			t.Fatalf("a minute before its protection ends: %s", o.Status)
		}
		m.Clock.Advance(2 * time.Minute)
		runTimers(t, r)
		o := status(delivered.ID)
		if o.Status != order.Completed || o.ConfirmedAt == nil || o.ConfirmedAt.Before(*o.ProtectionEndsAt) {
			t.Fatalf("when its protection ended: %+v", o)
		}
		if o := status(lost.ID); o.Status != order.Shipped {
			t.Fatalf("the order never delivered, day 12: %s", o.Status)
		}
		m.Clock.Advance(18 * day)
		runTimers(t, r)
		if o := status(lost.ID); o.Status != order.Completed {
			t.Fatalf("the order never delivered, day 30: %s", o.Status)
		}
		// The timer fired again (a redelivery) confirms nothing more.
		for _, id := range []string{delivered.ID, lost.ID} {
			if err := m.Orders.AutoConfirmTimer(ctx, timers.Timer{Payload: []byte(`{"order":"` + id + `"}`)}); err != nil {
				t.Fatal(err)
			}
			if n := countEvents(t, db, "order.confirmed", id); n != 1 {
				t.Errorf("%d order.confirmed events, want 1", n)
			}
		}
	})
}

// TestExtendProtection: the buyer extends the protection once by 15 days
// (a second time is a Conflict), and the order confirms itself at the new
// date, not the old; never later than 90 days after the order.
func TestExtendProtection(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		buyer, other := m.Buyer(t), m.Buyer(t)
		r := autoConfirmRunner(db, m)
		o := paidSoap(t, m, buyer)
		ship(t, m, o.ID)
		d, err := m.Orders.Deliver(ctx, m.PVStaff, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		for name, a := range map[string]identity.Actor{"another buyer": other, "the merchant": m.PVStaff} {
			if _, err := m.Orders.ExtendProtection(ctx, a, o.ID); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s extends: %v", name, err)
			}
		}
		e, err := m.Orders.ExtendProtection(ctx, buyer, o.ID)
		if err != nil || !e.ProtectionExtended || !e.ProtectionEndsAt.Equal(d.ProtectionEndsAt.Add(15*day)) || e.Status != order.Delivered {
			t.Fatalf("extended: %+v %v", e.Shipment, err)
		}
		if _, err := m.Orders.ExtendProtection(ctx, buyer, o.ID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("extended twice: %v", err)
		}
		// One timer per step that moved the clock (shipment, delivery,
		// extension); the refused extension armed none.
		var armed int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM timers WHERE kind = $1 AND dedupe LIKE $2`, order.TimerAutoConfirm,
			order.TimerAutoConfirm+":"+o.ID+":%").Scan(&armed); err != nil || armed != 3 {
			t.Fatalf("%d auto-confirm timers (%v), want 3", armed, err)
		}
		m.Clock.Advance(11 * day)
		runTimers(t, r)
		if got, _ := m.Orders.Order(ctx, buyer, o.ID); got.Status != order.Delivered {
			t.Fatalf("at the old end of its protection: %s", got.Status)
		}
		m.Clock.Advance(15 * day)
		runTimers(t, r)
		if got, _ := m.Orders.Order(ctx, buyer, o.ID); got.Status != order.Completed {
			t.Fatalf("at the new end of its protection: %s", got.Status)
		}
		if n := countEvents(t, db, "order.protection_extended", o.ID); n != 1 {
			t.Errorf("%d order.protection_extended events", n)
		}

		// Shipped 80 days after the order, extended: 90 days at most.
		late := paidSoap(t, m, buyer)
		m.Clock.Advance(80 * day)
		s := ship(t, m, late.ID)
		limit := late.CreatedAt.Add(90 * day)
		if !s.ProtectionEndsAt.Equal(limit) {
			t.Fatalf("shipped on day 80: protection ends %v, want %v", s.ProtectionEndsAt, limit)
		}
		if _, err := m.Orders.ExtendProtection(ctx, buyer, late.ID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("extended past the limit: %v", err)
		}
		capped := paidSoap(t, m, buyer)
		m.Clock.Advance(50 * day)
		ship(t, m, capped.ID) // protection ends on day 80
		x, err := m.Orders.ExtendProtection(ctx, buyer, capped.ID)
		if want := capped.CreatedAt.Add(90 * day); err != nil || !x.ProtectionEndsAt.Equal(want) {
			t.Fatalf("extended to %v (%v), want the limit %v", x.ProtectionEndsAt, err, want)
		}
	})
}

// TestChannelProtection: a channel's own protection (set by an operator
// only, within bounds) gives its orders their dates: 20 days after
// shipment, 5 after delivery, extended by 7.
func TestChannelProtection(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		buyer := m.Buyer(t)
		if p, err := m.Channels.Protection(ctx, "bazaar"); err != nil || p != (channel.Protection{ChannelID: p.ChannelID, Days: 10, UnconfirmedDays: 30, ExtensionDays: 15}) || p.ChannelID == "" {
			t.Fatalf("the default protection: %+v %v", p, err)
		}
		short := channel.Protection{Days: 5, UnconfirmedDays: 20, ExtensionDays: 7}
		if _, err := m.Channels.SetProtection(ctx, m.PVStaff, "bazaar", short); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("a merchant sets the protection: %v", err)
		}
		for _, bad := range []channel.Protection{{Days: 0, UnconfirmedDays: 20}, {Days: 5, UnconfirmedDays: 4}, {Days: 5, UnconfirmedDays: 91}, {Days: 5, UnconfirmedDays: 20, ExtensionDays: -1}} {
			if _, err := m.Channels.SetProtection(ctx, identity.System, "bazaar", bad); !errs.Is(err, errs.Invalid) {
				t.Errorf("%+v: %v", bad, err)
			}
		}
		if _, err := m.Channels.SetProtection(ctx, identity.System, "bazaar", short); err != nil {
			t.Fatal(err)
		}
		if p, err := m.Channels.Protection(ctx, "bazaar"); err != nil || p.Days != 5 || p.UnconfirmedDays != 20 || p.ExtensionDays != 7 {
			t.Fatalf("the bazaar's protection: %+v %v", p, err)
		}
		o := paidSoap(t, m, buyer)
		s := ship(t, m, o.ID)
		if !s.ProtectionEndsAt.Equal(s.ShippedAt.Add(20 * day)) {
			t.Fatalf("shipped: ends %v", s.ProtectionEndsAt)
		}
		m.Clock.Advance(day)
		d, err := m.Orders.Deliver(ctx, m.PVStaff, o.ID)
		if err != nil || !d.ProtectionEndsAt.Equal(d.DeliveredAt.Add(5*day)) {
			t.Fatalf("delivered: ends %v (%v)", d.ProtectionEndsAt, err)
		}
		e, err := m.Orders.ExtendProtection(ctx, buyer, o.ID)
		if err != nil || !e.ProtectionEndsAt.Equal(d.ProtectionEndsAt.Add(7*day)) {
			t.Fatalf("extended: ends %v (%v)", e.ProtectionEndsAt, err)
		}
		if n := countEvents(t, db, "channel.protection.changed", s.ChannelID); n != 1 {
			t.Errorf("%d channel.protection.changed events", n)
		}
	})
}
