package order_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/share"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// productOf is the product id of a SKU of the market.
func productOf(t testing.TB, m *testkit.Market, sku string) string {
	t.Helper()
	p, err := m.DB.Orders().VariantProduct(context.Background(), m.Variants[sku])
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// shareOf is sharer's link to the product of sku on channel code.
func shareOf(t testing.TB, m *testkit.Market, sharer identity.Actor, code, sku string) share.Link {
	t.Helper()
	l, _, err := m.Shares.Share(context.Background(), sharer, code, productOf(t, m, sku))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// checkoutVia checks buyer's cart of skus on bazaar out with in's share
// code and referral, paid.
func checkoutVia(t testing.TB, m *testkit.Market, buyer identity.Actor, in order.CheckoutInput, skus ...string) order.Checkout {
	t.Helper()
	c := cartWith(t, m, buyer, "bazaar", "EUR", ptr(testkit.Paris()), skus...)
	in.Payment = order.PaymentInput{Provider: "sandbox", Token: payment.TokenSuccess}
	co, _, err := m.Orders.Checkout(context.Background(), as(buyer), c.ID, in)
	if err != nil {
		t.Fatalf("checkout: %v", err)
	}
	return co
}

// commissionOf is the share commission of order id, if any.
func commissionOf(t testing.TB, db *sqlstore.DB, id string) (status string, amount, reversed int64, ok bool) {
	t.Helper()
	err := db.QueryRowContext(context.Background(), `SELECT status, amount, reversed FROM share_commissions WHERE order_id = $1`, id).Scan(&status, &amount, &reversed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, 0, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return status, amount, reversed, true
}

// orderOf is the order of merchantID in checkout co.
func orderOf(t testing.TB, co order.Checkout, merchantID string) order.Order {
	t.Helper()
	for _, o := range co.Orders {
		if o.MerchantID == merchantID {
			return o
		}
	}
	t.Fatalf("no order of %s in %+v", merchantID, co.Orders)
	return order.Order{}
}

// goodsShare is the commission bps of an order's goods, rounded down.
func goodsShare(o order.Order, bps int64) int64 {
	return (o.Subtotal.Minor - o.Discount.Minor) * bps / 10000
}

// TestShareCommissionCreditedThenPayable: a checkout through a share link
// credits its sharer, pending, on the order of the shared product only (not
// on another merchant's order of the same checkout), 3% of its goods
// rounded down; the order's confirmation makes it payable, once, also when
// the confirmation is tried again; the sharer's earnings add it up, and no
// one else's include it.
func TestShareCommissionCreditedThenPayable(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		sharer, buyer := m.Buyer(t), m.Buyer(t)
		l := shareOf(t, m, sharer, "bazaar", "SOAP")
		if _, err := m.Shares.Visit(ctx, l.Code, buyer.UserID, true); err != nil {
			t.Fatal(err)
		}
		co := checkoutVia(t, m, buyer, order.CheckoutInput{ShareCode: l.Code}, "SOAP", "CASE-16")
		o, other := orderOf(t, co, m.Provence.ID), orderOf(t, co, m.Shenzhen.ID)
		want := goodsShare(o, 300)
		if want <= 0 || (o.Subtotal.Minor-o.Discount.Minor)*300%10000 == 0 {
			t.Fatalf("the soap's goods %d make a poor test of the rounding", o.Subtotal.Minor)
		}
		if st, amount, rev, ok := commissionOf(t, db, o.ID); !ok || st != "pending" || amount != want || rev != 0 {
			t.Fatalf("the soap's commission: %s %d %d %v, want pending %d", st, amount, rev, ok, want)
		}
		if _, _, _, ok := commissionOf(t, db, other.ID); ok {
			t.Errorf("the other merchant's order credits the sharer")
		}
		if n := countEvents(t, db, events.ShareCommissionCreated, o.ID); n != 1 {
			t.Errorf("%d created events", n)
		}
		e, err := m.Orders.ShareEarnings(ctx, sharer)
		if err != nil {
			t.Fatal(err)
		}
		eur := func(n int64) money.Amount { return money.Amount{Minor: n, Currency: "EUR"} }
		wantE := order.ShareEarnings{
			Totals: []order.ShareTotal{{Currency: "EUR", Pending: eur(want), Payable: eur(0), Reversed: eur(0)}},
			Links:  []order.LinkEarnings{{Code: l.Code, Channel: "bazaar", ProductID: l.ProductID, Visits: 1, Orders: 1, Earnings: []money.Amount{eur(want)}}},
			Orders: []order.SharedOrder{{Date: co.CreatedAt, Code: l.Code, ProductID: l.ProductID, Title: "Lavender soap", RateBps: 300, Amount: eur(want),
				Reversed: eur(0), Status: order.SharePending}},
		}
		if diff := cmp.Diff(e, wantE); diff != "" {
			t.Errorf("the sharer's earnings (-got +want):\n%s", diff)
		}

		ship(t, m, o.ID)
		if _, err := m.Orders.ConfirmDelivery(ctx, buyer, o.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Orders.ConfirmDelivery(ctx, buyer, o.ID); !errs.Is(err, errs.Conflict) {
			t.Errorf("confirmed again: %v", err)
		}
		if st, amount, rev, _ := commissionOf(t, db, o.ID); st != "payable" || amount != want || rev != 0 {
			t.Errorf("after confirmation: %s %d %d", st, amount, rev)
		}
		if n := countEvents(t, db, events.ShareCommissionPayable, o.ID); n != 1 {
			t.Errorf("%d payable events", n)
		}
		e, _ = m.Orders.ShareEarnings(ctx, sharer)
		if len(e.Totals) != 1 || e.Totals[0].Payable != eur(want) || e.Totals[0].Pending != eur(0) || e.Orders[0].Status != order.SharePayable {
			t.Errorf("the earnings once confirmed: %+v", e)
		}
		// Nobody else sees them.
		if e, err := m.Orders.ShareEarnings(ctx, buyer); err != nil || len(e.Totals) != 0 || len(e.Orders) != 0 || len(e.Links) != 0 {
			t.Errorf("the buyer's earnings: %+v %v", e, err)
		}
		if _, err := m.Orders.ShareEarnings(ctx, identity.Actor{}); !errs.Is(err, errs.Unauthenticated) {
			t.Errorf("anonymous: %v", err)
		}
		key := m.SZStaff
		key.APIKeyID = "key_1"
		if _, err := m.Orders.ShareEarnings(ctx, key); !errs.Is(err, errs.Forbidden) {
			t.Errorf("an API key: %v", err)
		}
	})
}

// TestShareCommissionRefusals: a buyer's own link credits no one; the API's
// code of another channel's link, or of no link, is refused on share_code
// and nothing is charged; the storefront's referral that is not a link of
// the channel is ignored, and one that is credits; a channel whose rate is
// 0 credits no one.
func TestShareCommissionRefusals(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		sharer, buyer := m.Buyer(t), m.Buyer(t)
		own := shareOf(t, m, buyer, "bazaar", "SOAP")
		co := checkoutVia(t, m, buyer, order.CheckoutInput{ShareCode: own.Code}, "SOAP")
		if _, _, _, ok := commissionOf(t, db, co.Orders[0].ID); ok {
			t.Errorf("the buyer's own link credits them")
		}
		mall := shareOf(t, m, sharer, "mall", "SOAP")
		for _, code := range []string{mall.Code, "ZZZZZZZZ", "not-a-code"} {
			c := cartWith(t, m, buyer, "bazaar", "EUR", ptr(testkit.Paris()), "SOAP")
			in := pay(payment.TokenSuccess)
			in.ShareCode = code
			if _, _, err := m.Orders.Checkout(ctx, as(buyer), c.ID, in); !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "share_code" {
				t.Errorf("share code %q: %v", code, err)
			}
			got, err := m.Orders.Cart(ctx, as(buyer), c.ID)
			if err != nil || got.Status != order.CartOpen {
				t.Errorf("share code %q: the cart is %s (%v)", code, got.Status, err)
			}
			// The storefront's referral is ignored instead.
			co := checkoutVia(t, m, buyer, order.CheckoutInput{Referral: code}, "SOAP")
			if _, _, _, ok := commissionOf(t, db, co.Orders[0].ID); ok {
				t.Errorf("referral %q credits a sharer", code)
			}
		}
		l := shareOf(t, m, sharer, "bazaar", "SOAP")
		co = checkoutVia(t, m, buyer, order.CheckoutInput{Referral: l.Code}, "SOAP")
		if st, amount, _, ok := commissionOf(t, db, co.Orders[0].ID); !ok || st != "pending" || amount != goodsShare(co.Orders[0], 300) {
			t.Errorf("a referral of the channel: %s %d %v", st, amount, ok)
		}
		if _, err := m.Channels.SetSharing(ctx, identity.System, "bazaar", channel.Sharing{CommissionBps: 0}); err != nil {
			t.Fatal(err)
		}
		co = checkoutVia(t, m, buyer, order.CheckoutInput{ShareCode: l.Code}, "SOAP")
		if _, _, _, ok := commissionOf(t, db, co.Orders[0].ID); ok {
			t.Errorf("a rate of 0 credits the sharer")
		}
		if _, err := m.Channels.SetSharing(ctx, identity.System, "bazaar", channel.Sharing{CommissionBps: 1000}); err != nil {
			t.Fatal(err)
		}
		co = checkoutVia(t, m, buyer, order.CheckoutInput{ShareCode: l.Code}, "SOAP")
		if _, amount, _, _ := commissionOf(t, db, co.Orders[0].ID); amount != goodsShare(co.Orders[0], 1000) {
			t.Errorf("at 10%%: %d, want %d", amount, goodsShare(co.Orders[0], 1000))
		}
	})
}

// TestShareCommissionReversed: a cancelled order's commission is reversed
// in full, and so is a dispute's full refund's; a dispute's partial refund
// leaves payable the share of the order's total kept; a refund after
// completion reverses the refund's share of a payable commission, and all
// of it when it refunds the whole order. Each writes its event once.
func TestShareCommissionReversed(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		sharer, buyer := m.Buyer(t), m.Buyer(t)
		l := shareOf(t, m, sharer, "bazaar", "BAG")
		via := order.CheckoutInput{ShareCode: l.Code}
		check := func(name string, o order.Order, wantStatus string, wantReversed int64) {
			t.Helper()
			st, amount, rev, ok := commissionOf(t, db, o.ID)
			if !ok || st != wantStatus || amount != goodsShare(o, 300) || rev != wantReversed {
				t.Errorf("%s: %s %d reversed %d (%v), want %s %d reversed %d", name, st, amount, rev, ok, wantStatus, goodsShare(o, 300), wantReversed)
			}
		}
		// Cancelled before it shipped.
		o := checkoutVia(t, m, buyer, via, "BAG").Orders[0]
		if _, err := m.Orders.Cancel(ctx, buyer, o.ID, ""); err != nil {
			t.Fatal(err)
		}
		check("cancelled", o, "reversed", goodsShare(o, 300))
		if n := countEvents(t, db, events.ShareCommissionReversed, o.ID); n != 1 {
			t.Errorf("%d reversed events", n)
		}
		// Refunded in full by a dispute.
		disputed := func() (order.Order, order.Dispute) {
			t.Helper()
			o := checkoutVia(t, m, buyer, via, "BAG").Orders[0]
			ship(t, m, o.ID)
			if _, err := m.Orders.Deliver(ctx, m.PVStaff, o.ID); err != nil {
				t.Fatal(err)
			}
			d, err := m.Orders.OpenDispute(ctx, buyer, o.ID, order.DisputeInput{Reason: order.ReasonDamaged, Message: "Torn strap."})
			if err != nil {
				t.Fatal(err)
			}
			return o, d
		}
		o, d := disputed()
		if _, err := m.Orders.Answer(ctx, m.PVStaff, d.ID, order.AnswerInput{Action: "refund"}); err != nil {
			t.Fatal(err)
		}
		check("refunded in full", o, "reversed", goodsShare(o, 300))
		// Refunded in part: the share of the total kept is payable.
		o, d = disputed()
		offer := o.Total.Minor / 3
		if _, err := m.Orders.Answer(ctx, m.PVStaff, d.ID, order.AnswerInput{Action: "offer", Amount: offer, Message: "A third?"}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Orders.Accept(ctx, buyer, d.ID); err != nil {
			t.Fatal(err)
		}
		parts, _ := money.Amount{Minor: goodsShare(o, 300), Currency: "EUR"}.Allocate([]int64{offer, o.Total.Minor - offer})
		if parts[0].Minor == 0 {
			t.Fatal("a refund's share of 0 tests nothing")
		}
		check("refunded in part", o, "payable", parts[0].Minor)
		if countEvents(t, db, events.ShareCommissionPayable, o.ID) != 1 || countEvents(t, db, events.ShareCommissionReversed, o.ID) != 0 {
			t.Errorf("events of the partial refund")
		}
		// Refunded after completion: in part, then another order in full.
		refundAfter := func(amount func(order.Order) int64) order.Order {
			t.Helper()
			o := checkoutVia(t, m, buyer, via, "BAG").Orders[0]
			ship(t, m, o.ID)
			if _, err := m.Orders.ConfirmDelivery(ctx, buyer, o.ID); err != nil {
				t.Fatal(err)
			}
			check("confirmed", o, "payable", 0)
			if _, err := m.Orders.RefundCompleted(ctx, identity.System, o.ID, order.ClawbackInput{Amount: amount(o), Reason: "Recalled."}); err != nil {
				t.Fatal(err)
			}
			return o
		}
		o = refundAfter(func(o order.Order) int64 { return o.Total.Minor / 4 })
		parts, _ = money.Amount{Minor: goodsShare(o, 300), Currency: "EUR"}.Allocate([]int64{o.Total.Minor / 4, o.Total.Minor - o.Total.Minor/4})
		check("clawed back in part", o, "payable", parts[0].Minor)
		if n := countEvents(t, db, events.ShareCommissionReversed, o.ID); n != 1 {
			t.Errorf("%d reversed events of the partial clawback", n)
		}
		o = refundAfter(func(o order.Order) int64 { return o.Total.Minor })
		check("clawed back in full", o, "reversed", goodsShare(o, 300))
		e, err := m.Orders.ShareEarnings(ctx, sharer)
		if err != nil || len(e.Totals) != 1 || len(e.Orders) != 5 || e.Links[0].Orders != 5 {
			t.Fatalf("earnings: %+v %v", e, err)
		}
		var payable, reversed int64
		for _, so := range e.Orders {
			reversed += so.Reversed.Minor
			if so.Status == order.SharePayable {
				payable += so.Amount.Minor - so.Reversed.Minor
			}
		}
		if e.Totals[0].Payable.Minor != payable || e.Totals[0].Reversed.Minor != reversed || e.Totals[0].Pending.Minor != 0 {
			t.Errorf("the totals %+v, want payable %d reversed %d", e.Totals[0], payable, reversed)
		}
	})
}

// TestChannelSharingRate: a channel's share commission is 300 basis points
// until an operator sets another, from 0 to 3000; no one else may.
func TestChannelSharingRate(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		sh, err := m.Channels.Sharing(ctx, "bazaar")
		if err != nil || sh.CommissionBps != 300 || sh.ChannelID == "" {
			t.Fatalf("the default: %+v %v", sh, err)
		}
		if _, err := m.Channels.SetSharing(ctx, m.PVStaff, "bazaar", channel.Sharing{CommissionBps: 500}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("a merchant sets it: %v", err)
		}
		for _, bad := range []int64{-1, 3001} {
			if _, err := m.Channels.SetSharing(ctx, identity.System, "bazaar", channel.Sharing{CommissionBps: bad}); !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "commission_bps" {
				t.Errorf("a rate of %d: %v", bad, err)
			}
		}
		if _, err := m.Channels.SetSharing(ctx, identity.System, "nowhere", channel.Sharing{CommissionBps: 100}); !errs.Is(err, errs.NotFound) {
			t.Errorf("an unknown channel: %v", err)
		}
		for _, bps := range []int64{0, 3000, 450} {
			if _, err := m.Channels.SetSharing(ctx, identity.System, "bazaar", channel.Sharing{CommissionBps: bps}); err != nil {
				t.Fatal(err)
			}
		}
		if sh, err := m.Channels.Sharing(ctx, "bazaar"); err != nil || sh.CommissionBps != 450 {
			t.Errorf("after setting it: %+v %v", sh, err)
		}
		if sh, err := m.Channels.Sharing(ctx, "mall"); err != nil || sh.CommissionBps != 300 {
			t.Errorf("another channel: %+v %v", sh, err)
		}
	})
}

// TestShareCommissionPayableWhenProtectionEnds: an order its buyer never
// confirms completes when its protection ends, by its timer, and its
// commission becomes payable then, once, also when the timer fires again.
func TestShareCommissionPayableWhenProtectionEnds(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		sharer, buyer := m.Buyer(t), m.Buyer(t)
		l := shareOf(t, m, sharer, "bazaar", "SOAP")
		o := checkoutVia(t, m, buyer, order.CheckoutInput{ShareCode: l.Code}, "SOAP").Orders[0]
		ship(t, m, o.ID)
		if _, err := m.Orders.Deliver(ctx, m.PVStaff, o.ID); err != nil {
			t.Fatal(err)
		}
		r := autoConfirmRunner(db, m)
		m.Clock.Advance(9 * day)
		runTimers(t, r)
		if st, _, _, _ := commissionOf(t, db, o.ID); st != "pending" {
			t.Fatalf("before the protection ends: %s", st)
		}
		m.Clock.Advance(2 * day)
		runTimers(t, r)
		got, err := m.Orders.Order(ctx, buyer, o.ID)
		if err != nil || got.Status != order.Completed {
			t.Fatalf("the order: %s %v", got.Status, err)
		}
		if st, amount, _, _ := commissionOf(t, db, o.ID); st != "payable" || amount != goodsShare(o, 300) {
			t.Errorf("once the protection ended: %s %d", st, amount)
		}
		m.Clock.Advance(day)
		runTimers(t, r)
		if n := countEvents(t, db, events.ShareCommissionPayable, o.ID); n != 1 {
			t.Errorf("%d payable events", n)
		}
	})
}
