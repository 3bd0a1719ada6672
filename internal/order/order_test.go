package order_test

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/pricing"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/timers"
)

func ptr[T any](v T) *T { return &v }

func as(a identity.Actor) order.Access { return order.Access{Actor: a} }

// cartWith opens buyer's cart on channel and adds skus (one each).
func cartWith(t testing.TB, m *testkit.Market, buyer identity.Actor, channel, currency string, addr *order.Address, skus ...string) order.Cart {
	t.Helper()
	ctx := context.Background()
	c, _, err := m.Orders.CreateCart(ctx, buyer, order.CartInput{Channel: channel, Currency: currency})
	if err != nil {
		t.Fatal(err)
	}
	for _, sku := range skus {
		if _, err := m.Orders.AddLine(ctx, as(buyer), c.ID, order.LineInput{VariantID: m.Variants[sku], Quantity: 1}); err != nil {
			t.Fatalf("add %s: %v", sku, err)
		}
	}
	if addr != nil {
		if _, err := m.Orders.SetAddress(ctx, as(buyer), c.ID, *addr); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func pay(token string) order.CheckoutInput {
	return order.CheckoutInput{Payment: order.PaymentInput{Provider: "sandbox", Token: token}}
}

func stockOf(t testing.TB, m *testkit.Market, code, merchantID, sku string) inventory.StockLevel {
	t.Helper()
	ls, _, err := m.Stock.ListStock(context.Background(), identity.System, m.Warehouses[code], "", 500)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.MerchantID == merchantID && l.SKU == sku {
			return l
		}
	}
	t.Fatalf("no stock of %s in %s", sku, code)
	return inventory.StockLevel{}
}

// TestCartOfTwoMerchantsToParis: a Paris buyer's cart of a phone case (sent
// tomorrow from Ile-de-France: French VAT, no customs), a Galaxy case (from
// Shenzhen: IOSS VAT, the 3 EUR duty and the French handling fee) and soap
// from Provence (French VAT) is priced in two merchants' three parcels whose
// totals add up; checkout takes one payment and makes one order per
// merchant whose totals add up to it; a retry returns the same checkout.
func TestCartOfTwoMerchantsToParis(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		buyer := m.Buyer(t)
		c := cartWith(t, m, buyer, "bazaar", "EUR", ptr(testkit.Paris()), "CASE-16", "CASE-S25", "SOAP")
		q, err := m.Orders.Cart(ctx, as(buyer), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !q.Ready || len(q.Groups) != 3 {
			t.Fatalf("quote: ready %v, %d groups, problems %v", q.Ready, len(q.Groups), q.Problems)
		}
		var sum int64
		for _, g := range q.Groups {
			sum += g.Total.Minor
			if g.Total.Minor != g.Subtotal.Minor+g.Shipping.Minor+g.Tax.Minor+g.Duty.Minor {
				t.Errorf("group %+v does not add up", g)
			}
			switch {
			case g.ShipsFrom == "CN":
				// 10.00 EUR case: 20% VAT of goods and 4.90 EUR shipping, 3.00 duty, 2.00 handling.
				if g.Regime != pricing.IOSS || g.Duty.Minor != 500 || g.Tax.Minor != 200+g.Shipping.Minor/5 {
					t.Errorf("Shenzhen parcel: %+v", g)
				}
			case g.MerchantID == m.Shenzhen.ID:
				if g.Regime != pricing.Domestic || g.Duty.Minor != 0 || g.Latest == nil || g.Latest.String() != "2026-12-02" {
					t.Errorf("Ile-de-France parcel: %+v", g)
				}
			default:
				if g.Regime != pricing.Domestic || g.Tax.Minor != 130+g.Shipping.Minor/5 {
					t.Errorf("Provence parcel: %+v", g)
				}
			}
		}
		if sum != q.Total.Minor || q.Total.Minor != q.Subtotal.Minor+q.Shipping.Minor+q.Tax.Minor+q.Duty.Minor {
			t.Fatalf("the cart's total %d is not its groups' %d", q.Total.Minor, sum)
		}
		co, created, err := m.Orders.Checkout(ctx, as(buyer), c.ID, pay(payment.TokenSuccess))
		if err != nil || !created {
			t.Fatalf("checkout: %v (created %v)", err, created)
		}
		if co.Payment.Status != payment.Captured || co.Payment.Amount != q.Total || len(co.Orders) != 2 {
			t.Fatalf("checkout: %+v", co)
		}
		var ordered int64
		for _, o := range co.Orders {
			ordered += o.Total.Minor
			if o.Status != order.Paid || o.Settlement.Currency != "EUR" || o.Commission.Minor <= 0 {
				t.Errorf("order %+v", o)
			}
			for _, l := range o.Lines {
				if l.TaxRule == "" || l.CommissionBps == 0 {
					t.Errorf("line %+v stores no tax rule or commission", l)
				}
			}
		}
		if ordered != co.Payment.Amount.Minor {
			t.Fatalf("orders total %d, payment %d", ordered, co.Payment.Amount.Minor)
		}
		again, created, err := m.Orders.Checkout(ctx, as(buyer), c.ID, pay(payment.TokenSuccess))
		if err != nil || created || again.ID != co.ID {
			t.Fatalf("a second checkout of the cart: %v created %v id %s, want %s", err, created, again.ID, co.ID)
		}
		if l := stockOf(t, m, "idf", m.Shenzhen.ID, "CASE-16"); l.Reserved != 1 {
			t.Errorf("the Paris case's unit is not reserved from Ile-de-France: %+v", l)
		}
		list, _, err := m.Orders.Orders(ctx, m.PVStaff, "", 20)
		if err != nil || len(list) != 1 || list[0].MerchantID != m.Provence.ID {
			t.Fatalf("Provence sees %v %v, want its one order", list, err)
		}
		other := m.Buyer(t)
		if _, err := m.Orders.Order(ctx, other, co.Orders[0].ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("another buyer reads the order: %v", err)
		}
		if _, err := m.Orders.Order(ctx, m.SZStaff, list[0].ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("another merchant reads Provence's order: %v", err)
		}
	})
}

// TestDeclinedThenPaid: a declined card makes no order and releases the
// stock; the cart stays open and the next card pays.
func TestDeclinedThenPaid(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		buyer := m.Buyer(t)
		c := cartWith(t, m, buyer, "bazaar", "EUR", ptr(testkit.Paris()), "SOAP")
		co, _, err := m.Orders.Checkout(ctx, as(buyer), c.ID, pay(payment.TokenDecline))
		if err != nil || co.Payment.Status != payment.Failed || len(co.Orders) != 0 {
			t.Fatalf("declined: %+v %v", co, err)
		}
		if l := stockOf(t, m, "fos", m.Provence.ID, "SOAP"); l.Reserved != 0 {
			t.Fatalf("a declined checkout keeps stock: %+v", l)
		}
		co2, created, err := m.Orders.Checkout(ctx, as(buyer), c.ID, pay(payment.TokenSuccess))
		if err != nil || !created || co2.Payment.Status != payment.Captured || co2.Payment.ProviderRef == co.Payment.ProviderRef {
			t.Fatalf("second attempt: %+v %v", co2, err)
		}
	})
}

// TestRequiresActionConfirmedOrExpired: a payment waiting for the buyer's
// action holds the stock; confirmed, the orders are paid; not confirmed in
// time, the expiry timer cancels them and the stock returns, once.
func TestRequiresActionConfirmedOrExpired(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		buyer := m.Buyer(t)
		c := cartWith(t, m, buyer, "bazaar", "EUR", ptr(testkit.Paris()), "PERFUME")
		co, _, err := m.Orders.Checkout(ctx, as(buyer), c.ID, pay(payment.TokenRequiresAction))
		if err != nil || co.Payment.Status != payment.RequiresAction || co.Orders[0].Status != order.PendingPayment {
			t.Fatalf("requires action: %+v %v", co, err)
		}
		if _, err := m.Orders.ConfirmPayment(ctx, m.Buyer(t), co.Payment.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("another buyer confirms: %v", err)
		}
		paid, err := m.Orders.ConfirmPayment(ctx, buyer, co.Payment.ID)
		if err != nil || paid.Payment.Status != payment.Captured || paid.Orders[0].Status != order.Paid {
			t.Fatalf("confirmed: %+v %v", paid, err)
		}
		if _, err := m.Orders.ConfirmPayment(ctx, buyer, co.Payment.ID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("confirmed twice: %v", err)
		}

		// A second cart left waiting expires.
		c2 := cartWith(t, m, buyer, "bazaar", "EUR", ptr(testkit.Paris()), "BAG")
		co2, _, err := m.Orders.Checkout(ctx, as(buyer), c2.ID, pay(payment.TokenRequiresAction))
		if err != nil {
			t.Fatal(err)
		}
		if l := stockOf(t, m, "fos", m.Provence.ID, "BAG"); l.Reserved != 1 {
			t.Fatalf("held: %+v", l)
		}
		m.Clock.Advance(inventory.DefaultHold + time.Minute)
		r := &timers.Runner{Store: db.Timers(), Now: m.Clock.Now}
		r.Handle(order.TimerPaymentExpiry, m.Orders.ExpiryTimer)
		r.Handle(inventory.TimerReservationExpiry, m.Stock.ExpiryTimer)
		for range 3 {
			if _, err := r.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		o, err := m.Orders.Order(ctx, buyer, co2.Orders[0].ID)
		if err != nil || o.Status != order.Cancelled {
			t.Fatalf("after the hold: %+v %v", o, err)
		}
		if l := stockOf(t, m, "fos", m.Provence.ID, "BAG"); l.Reserved != 0 || l.OnHand != 100 {
			t.Fatalf("the bag is not back: %+v", l)
		}
		// The timer retried finds nothing to do.
		if err := m.Orders.ExpiryTimer(ctx, timers.Timer{Payload: []byte(`{"payment":"` + co2.Payment.ID + `"}`)}); err != nil {
			t.Fatal(err)
		}
		// The buyer has the cart back, bag and all, and the next card pays.
		back, err := m.Orders.Current(ctx, as(buyer), c2.ChannelID)
		if err != nil || back.ID != c2.ID || len(back.Lines) != 1 || back.Lines[0].SKU != "BAG" || !back.Ready {
			t.Fatalf("the cart after the expiry: %+v %v", back, err)
		}
		co3, created, err := m.Orders.Checkout(ctx, as(buyer), c2.ID, pay(payment.TokenSuccess))
		if err != nil || !created || co3.ID == co2.ID || co3.Payment.Status != payment.Captured || co3.Orders[0].Status != order.Paid {
			t.Fatalf("paying the cart again: %+v %v", co3, err)
		}

		// A buyer who opened another cart meanwhile finds the lines of the
		// one left unpaid in it.
		c4 := cartWith(t, m, buyer, "bazaar", "EUR", ptr(testkit.Paris()), "SOAP", "PERFUME")
		co4, _, err := m.Orders.Checkout(ctx, as(buyer), c4.ID, pay(payment.TokenRequiresAction))
		if err != nil {
			t.Fatal(err)
		}
		c5 := cartWith(t, m, buyer, "bazaar", "EUR", nil, "SOAP")
		m.Clock.Advance(inventory.DefaultHold + time.Minute)
		for range 3 {
			if _, err := r.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if o, err := m.Orders.Order(ctx, buyer, co4.Orders[0].ID); err != nil || o.Status != order.Cancelled {
			t.Fatalf("the second unpaid checkout: %+v %v", o, err)
		}
		now, err := m.Orders.Current(ctx, as(buyer), c2.ChannelID)
		qty := map[string]int64{}
		for _, l := range now.Lines {
			qty[l.SKU] = l.Quantity
		}
		if err != nil || now.ID != c5.ID || len(qty) != 2 || qty["SOAP"] != 2 || qty["PERFUME"] != 1 {
			t.Fatalf("the open cart after the expiry: %s %v %v, want %s with 2 soaps and a perfume", now.ID, qty, err, c5.ID)
		}
	})
}

// TestCartTampering: bad quantities, unknown variants, another's cart and
// a price sent by the client change nothing.
func TestCartTampering(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		buyer := m.Buyer(t)
		c := cartWith(t, m, buyer, "bazaar", "EUR", nil, "SOAP")
		for _, q := range []int64{0, -1, 100, math.MaxInt64, math.MinInt64} {
			if _, err := m.Orders.AddLine(ctx, as(buyer), c.ID, order.LineInput{VariantID: m.Variants["CASE-16"], Quantity: q}); !errs.Is(err, errs.Invalid) {
				t.Errorf("quantity %d: %v", q, err)
			}
		}
		for _, v := range []string{"", "var_nope", "var_0193e5b4a8c87b2a9e0d4c1f2a3b4c5d", c.ID} {
			if _, err := m.Orders.AddLine(ctx, as(buyer), c.ID, order.LineInput{VariantID: v, Quantity: 1}); !errs.Is(err, errs.Invalid) {
				t.Errorf("variant %q: %v", v, err)
			}
		}
		thief := m.Buyer(t)
		if _, err := m.Orders.Cart(ctx, as(thief), c.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("another buyer reads the cart: %v", err)
		}
		if _, err := m.Orders.AddLine(ctx, as(thief), c.ID, order.LineInput{VariantID: m.Variants["SOAP"], Quantity: 1}); !errs.Is(err, errs.NotFound) {
			t.Errorf("another buyer adds to the cart: %v", err)
		}
		if _, _, err := m.Orders.Checkout(ctx, as(thief), c.ID, pay(payment.TokenSuccess)); !errs.Is(err, errs.NotFound) {
			t.Errorf("another buyer checks the cart out: %v", err)
		}
		if _, err := m.Orders.Cart(ctx, order.Access{Token: c.ID + ".00"}, c.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("a guessed token reads the cart: %v", err)
		}
		if _, _, err := m.Orders.Checkout(ctx, as(buyer), c.ID, pay(payment.TokenSuccess)); !errs.Is(err, errs.Invalid) {
			t.Errorf("checkout without an address: %v", err)
		}
		if _, _, err := m.Orders.Checkout(ctx, as(buyer), c.ID, order.CheckoutInput{Payment: order.PaymentInput{Provider: "cash", Token: "x"}}); !errs.Is(err, errs.Invalid) {
			t.Errorf("unknown provider: %v", err)
		}
		for _, a := range []order.Address{
			{Name: "A", Line1: "1 rue", Postcode: "ABC", City: "Paris", Country: "FR"},
			{Name: "A", Line1: "1 rue", Postcode: "75011", Country: "FR"},
			{Name: "A", Line1: "1 rue", Postcode: "75011", City: "Paris", Country: "US"},
			{Name: "A", Line1: "1 rue", Postcode: "75011", City: "Paris", Country: "ZZ"},
		} {
			if _, err := m.Orders.SetAddress(ctx, as(buyer), c.ID, a); !errs.Is(err, errs.Invalid) {
				t.Errorf("address %+v: %v", a, err)
			}
		}
		if _, _, err := m.Orders.CreateCart(ctx, buyer, order.CartInput{Channel: "bazaar", Currency: "CNY"}); !errs.Is(err, errs.Invalid) {
			t.Errorf("a currency the channel does not sell in: %v", err)
		}
		if _, _, err := m.Orders.CreateCart(ctx, m.SZStaff, order.CartInput{Channel: "bazaar"}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("a merchant opens a cart: %v", err)
		}
		q, err := m.Orders.Cart(ctx, as(buyer), c.ID)
		if err != nil || len(q.Lines) != 1 || q.Lines[0].Quantity != 1 || q.Lines[0].UnitPrice.Minor != 650 {
			t.Fatalf("after the refusals: %+v %v", q.Lines, err)
		}
		// Quantities add up to the limit, never past it.
		for range 3 {
			if _, err := m.Orders.AddLine(ctx, as(buyer), c.ID, order.LineInput{VariantID: m.Variants["SOAP"], Quantity: 60}); err != nil {
				t.Fatal(err)
			}
		}
		q, _ = m.Orders.Cart(ctx, as(buyer), c.ID)
		if q.Lines[0].Quantity != order.MaxQuantity || q.Total.Minor < 0 {
			t.Fatalf("quantity %d", q.Lines[0].Quantity)
		}
	})
}

// TestAnonymousCartMergesAtSignIn: a cart opened before signing in is
// reached by its token only, and joins the buyer's cart at sign-in.
func TestAnonymousCartMergesAtSignIn(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		anon, token, err := m.Orders.CreateCart(ctx, identity.Actor{}, order.CartInput{Channel: "bazaar"})
		if err != nil || token == "" {
			t.Fatalf("anonymous cart: %v %q", err, token)
		}
		acc := order.Access{Token: token}
		if _, err := m.Orders.AddLine(ctx, acc, anon.ID, order.LineInput{VariantID: m.Variants["SOAP"], Quantity: 2}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Orders.Cart(ctx, order.Access{}, anon.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("without the token: %v", err)
		}
		buyer := m.Buyer(t)
		mine := cartWith(t, m, buyer, "bazaar", "EUR", nil, "SOAP", "CASE-16")
		id, err := m.Orders.MergeAtSignIn(ctx, buyer, token)
		if err != nil || id != mine.ID {
			t.Fatalf("merge: %q %v", id, err)
		}
		q, err := m.Orders.Cart(ctx, as(buyer), mine.ID)
		if err != nil || len(q.Lines) != 2 {
			t.Fatalf("merged: %+v %v", q.Lines, err)
		}
		for _, l := range q.Lines {
			if l.SKU == "SOAP" && l.Quantity != 3 {
				t.Errorf("soap: %d, want 3", l.Quantity)
			}
		}
		if _, err := m.Orders.Cart(ctx, acc, anon.ID); err == nil {
			if _, err := m.Orders.AddLine(ctx, acc, anon.ID, order.LineInput{VariantID: m.Variants["SOAP"], Quantity: 1}); !errs.Is(err, errs.Conflict) {
				t.Fatalf("the merged cart still takes lines: %v", err)
			}
		}
		if _, _, err := m.Orders.Checkout(ctx, acc, anon.ID, pay(payment.TokenSuccess)); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("an anonymous checkout: %v", err)
		}
	})
}

// TestMallCrossBorderLimits: a Chinese buyer on the mall pays 70% of the
// import taxes; an order past the yearly 26,000 CNY is refused clearly.
func TestMallCrossBorderLimits(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		buyer := m.Buyer(t)
		shanghai := order.Address{Name: "王芳", Line1: "南京西路 1号", Postcode: "200040", City: "黄浦区", Region: "Shanghai Shi", Country: "CN"}
		c := cartWith(t, m, buyer, "mall", "CNY", nil, "PERFUME")
		if _, err := m.Orders.SetAddress(ctx, as(buyer), c.ID, shanghai); err != nil {
			t.Fatalf("Shanghai address: %v", err)
		}
		q, err := m.Orders.Cart(ctx, as(buyer), c.ID)
		if err != nil || !q.Ready || q.Groups[0].Regime != pricing.CBEC {
			t.Fatalf("mall quote: %+v %v", q, err)
		}
		// (13% + 15%) × 70% of 380 CNY.
		if q.Groups[0].Tax.Minor != 7448 {
			t.Errorf("perfume tax %d, want 74.48 CNY", q.Groups[0].Tax.Minor)
		}
		if _, _, err := m.Orders.Checkout(ctx, as(buyer), c.ID, pay(payment.TokenSuccess)); err != nil {
			t.Fatal(err)
		}
		// Three bags at 7,200 CNY each: single items within the yearly limit
		// pay the full tax; the fourth is past it.
		for i := range 4 {
			cb := cartWith(t, m, buyer, "mall", "CNY", nil, "BAG")
			if _, err := m.Orders.SetAddress(ctx, as(buyer), cb.ID, shanghai); err != nil {
				t.Fatal(err)
			}
			co, _, err := m.Orders.Checkout(ctx, as(buyer), cb.ID, pay(payment.TokenSuccess))
			if i < 3 {
				if err != nil || co.Orders[0].Parcels[0].Regime != pricing.CBECFull {
					t.Fatalf("bag %d: %v", i, err)
				}
				continue
			}
			if !errs.Is(err, errs.Conflict) && !errs.Is(err, errs.Invalid) {
				t.Fatalf("a bag past the yearly limit: %v", err)
			}
			// The cart says why, with a code and the limit for the
			// storefront to word in its buyer's language.
			q, err := m.Orders.Cart(ctx, as(buyer), cb.ID)
			if err != nil || q.Ready || len(q.Groups) != 1 {
				t.Fatalf("the refused cart: %+v %v", q, err)
			}
			g := q.Groups[0]
			if g.ProblemCode != pricing.RefusedYearlyLimit || g.ProblemLimit == nil || *g.ProblemLimit != (money.Amount{Minor: 2_600_000, Currency: "CNY"}) {
				t.Fatalf("the refused parcel: code %q limit %v (%s)", g.ProblemCode, g.ProblemLimit, g.Problem)
			}
		}
	})
}

// TestLastUnits: 200 buyers check out the last 50 units: exactly 50 orders,
// the stock never below zero.
func TestLastUnits(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		m.SetStock(t, "fos", m.Provence.ID, "PERFUME", 50)
		const buyers = 200
		carts := make([]order.Cart, buyers)
		actors := make([]identity.Actor, buyers)
		for i := range carts {
			actors[i] = m.Buyer(t)
			carts[i] = cartWith(t, m, actors[i], "bazaar", "EUR", ptr(testkit.Paris()), "PERFUME")
		}
		var wg sync.WaitGroup
		var paid, soldOut atomic.Int64
		for i := range carts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				co, _, err := m.Orders.Checkout(ctx, as(actors[i]), carts[i].ID, pay(payment.TokenSuccess))
				switch {
				case err == nil && co.Payment.Status == payment.Captured:
					paid.Add(1)
				case errs.Is(err, errs.Conflict):
					soldOut.Add(1)
				default:
					t.Errorf("buyer %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if paid.Load() != 50 || soldOut.Load() != buyers-50 {
			t.Fatalf("%d paid, %d sold out; want 50 and %d", paid.Load(), soldOut.Load(), buyers-50)
		}
		if l := stockOf(t, m, "fos", m.Provence.ID, "PERFUME"); l.Reserved != 50 || l.Available != 0 {
			t.Fatalf("stock %+v", l)
		}
		all, _, err := m.Orders.Orders(ctx, identity.System, "", 100)
		if err != nil || len(all) != 50 {
			t.Fatalf("%d orders, %v", len(all), err)
		}
	})
}

// TestCancelRefundsAndReturnsStock: a paid order cancelled before shipment
// is refunded in full and its units return; a cancelled one cannot be
// cancelled again.
func TestCancelRefundsAndReturnsStock(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		buyer := m.Buyer(t)
		c := cartWith(t, m, buyer, "bazaar", "EUR", ptr(testkit.Paris()), "SOAP")
		co, _, err := m.Orders.Checkout(ctx, as(buyer), c.ID, pay(payment.TokenSuccess))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Orders.Cancel(ctx, m.SZStaff, co.Orders[0].ID, ""); !errs.Is(err, errs.NotFound) {
			t.Fatalf("another merchant cancels: %v", err)
		}
		o, err := m.Orders.Cancel(ctx, buyer, co.Orders[0].ID, "changed my mind")
		if err != nil || o.Status != order.Cancelled {
			t.Fatalf("cancel: %+v %v", o, err)
		}
		if l := stockOf(t, m, "fos", m.Provence.ID, "SOAP"); l.Reserved != 0 {
			t.Fatalf("stock after cancel: %+v", l)
		}
		if _, err := m.Orders.Cancel(ctx, buyer, co.Orders[0].ID, ""); !errs.Is(err, errs.Conflict) {
			t.Fatalf("cancel twice: %v", err)
		}
	})
}

// TestProviderWebhookSettlesOnce: the provider's event that a payment
// awaiting action succeeded pays its orders; the same event again, or one
// about an unknown charge, changes nothing.
func TestProviderWebhookSettlesOnce(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		buyer := m.Buyer(t)
		c := cartWith(t, m, buyer, "bazaar", "EUR", ptr(testkit.Paris()), "SOAP")
		co, _, err := m.Orders.Checkout(ctx, as(buyer), c.ID, pay(payment.TokenRequiresAction))
		if err != nil {
			t.Fatal(err)
		}
		ev := payment.Event{ID: "evt_1", Type: "payment_intent.succeeded", Ref: co.Payment.ProviderRef, Status: payment.Captured}
		for range 2 {
			if err := m.Orders.ProviderEvent(ctx, "sandbox", ev); err != nil {
				t.Fatal(err)
			}
		}
		o, err := m.Orders.Order(ctx, buyer, co.Orders[0].ID)
		if err != nil || o.Status != order.Paid {
			t.Fatalf("after the webhook: %+v %v", o.Status, err)
		}
		evs, _ := db.PendingEvents(ctx, 1000)
		paidEvents := 0
		for _, e := range evs {
			if e.Type == "order.paid" && e.AggregateID == o.ID {
				paidEvents++
			}
		}
		if paidEvents != 1 {
			t.Fatalf("%d order.paid events", paidEvents)
		}
		// A failure reported for the same, paid, charge changes nothing.
		if err := m.Orders.ProviderEvent(ctx, "sandbox", payment.Event{ID: "evt_2", Ref: co.Payment.ProviderRef, Status: payment.Failed}); err != nil {
			t.Fatal(err)
		}
		if err := m.Orders.ProviderEvent(ctx, "sandbox", payment.Event{ID: "evt_3", Ref: "sbx_ch_unknown", Status: payment.Captured}); err != nil {
			t.Fatal(err)
		}
		if o, _ = m.Orders.Order(ctx, buyer, co.Orders[0].ID); o.Status != order.Paid {
			t.Fatalf("a late failure moved the order to %s", o.Status)
		}
	})
}
