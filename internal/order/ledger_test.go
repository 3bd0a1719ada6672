package order_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/timers"
)

// balances returns a merchant's ledger ("" : the marketplace's) by
// account and currency, read as an operator.
func balances(t testing.TB, m *testkit.Market, merchantID string) map[string]int64 {
	t.Helper()
	var bs []order.Balance
	var err error
	if merchantID == "" {
		bs, err = m.Orders.MarketplaceLedger(context.Background(), identity.System)
	} else {
		bs, err = m.Orders.Ledger(context.Background(), identity.System, merchantID)
	}
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, b := range bs {
		if (b.Account == order.Reserve || b.Account == order.Owed) && b.Amount.Minor == 0 {
			continue // the accounts of reserves and clawbacks, where none moved
		}
		out[string(b.Account)+" "+b.Amount.Currency] = b.Amount.Minor
	}
	return out
}

// postings returns every posting of a merchant, checking each sums to zero.
func postings(t testing.TB, m *testkit.Market, merchantID string) []order.Posting {
	t.Helper()
	var all []order.Posting
	after := ""
	for {
		ps, next, err := m.Orders.LedgerEntries(context.Background(), identity.System, merchantID, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ps...)
		if next == "" {
			break
		}
		after = next
	}
	for _, p := range all {
		if p.Sum() != 0 || len(p.Entries) == 0 {
			t.Errorf("posting %+v sums to %d", p, p.Sum())
		}
	}
	return all
}

// TestLedgerOfTwoMerchants: a checkout in pounds of two merchants on a
// euro plan holds each order's settlement and takes its commission,
// converted at the order's rate; the buyer's confirmation makes one
// available, a cancellation reverses the other; a confirmation retried, a
// timer fired twice, post nothing more. Only the merchant's staff and
// operators read its ledger.
func TestLedgerOfTwoMerchants(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		buyer := m.Buyer(t)
		c := cartWith(t, m, buyer, "bazaar", "GBP", ptr(testkit.Paris()), "CASE-16", "SOAP", "PERFUME")
		co, _, err := m.Orders.Checkout(ctx, as(buyer), c.ID, pay(payment.TokenSuccess))
		if err != nil || len(co.Orders) != 2 {
			t.Fatalf("checkout: %+v %v", co, err)
		}
		byMerchant := map[string]order.Order{}
		for _, o := range co.Orders {
			byMerchant[o.MerchantID] = o
		}
		sz, pv := byMerchant[m.Shenzhen.ID], byMerchant[m.Provence.ID]
		var cleared int64
		for _, o := range co.Orders {
			if o.Settlement.Currency != "EUR" || o.Commission.Currency != "GBP" || o.FXRate == "" {
				t.Fatalf("order %s: settlement %v, commission %v, rate %q", o.ID, o.Settlement, o.Commission, o.FXRate)
			}
			rate, err := money.ParseRate(o.FXRate)
			if err != nil {
				t.Fatal(err)
			}
			fee, err := o.Commission.Convert("EUR", rate, money.HalfUp)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int64{"held EUR": o.Settlement.Minor, "available EUR": 0, "paid EUR": 0, "fees EUR": fee.Minor}
			if diff := cmp.Diff(balances(t, m, o.MerchantID), want); diff != "" {
				t.Errorf("%s's ledger after payment (-got +want):\n%s", o.MerchantName, diff)
			}
			cleared += o.Settlement.Minor + fee.Minor
		}
		if diff := cmp.Diff(balances(t, m, ""), map[string]int64{"clearing EUR": -cleared}); diff != "" {
			t.Errorf("the marketplace's ledger (-got +want):\n%s", diff)
		}

		for name, a := range map[string]identity.Actor{"another merchant": m.SZStaff, "the buyer": buyer, "anonymous": {}} {
			if _, err := m.Orders.Ledger(ctx, a, m.Provence.ID); !errs.Is(err, errs.NotFound) && !(a.IsAnonymous() && errs.Is(err, errs.Unauthenticated)) {
				t.Errorf("%s reads Provence's ledger: %v", name, err)
			}
			if _, _, err := m.Orders.LedgerEntries(ctx, a, m.Provence.ID, "", 20); !errs.Is(err, errs.NotFound) && !(a.IsAnonymous() && errs.Is(err, errs.Unauthenticated)) {
				t.Errorf("%s reads Provence's entries: %v", name, err)
			}
			if _, err := m.Orders.MarketplaceLedger(ctx, a); !errs.Is(err, errs.Forbidden) && !errs.Is(err, errs.Unauthenticated) {
				t.Errorf("%s reads the marketplace's ledger: %v", name, err)
			}
		}
		if bs, err := m.Orders.Ledger(ctx, m.PVStaff, m.Provence.ID); err != nil || len(bs) != 6 {
			t.Errorf("Provence reads its ledger: %v %v", bs, err)
		}

		// Provence's order is confirmed by its buyer, then by its timer.
		s := ship(t, m, pv.ID)
		if diff := cmp.Diff(balances(t, m, m.Provence.ID)["held EUR"], pv.Settlement.Minor); diff != "" {
			t.Errorf("held after shipment: %s", diff)
		}
		if _, err := m.Orders.ConfirmDelivery(ctx, buyer, pv.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Orders.ConfirmDelivery(ctx, buyer, pv.ID); !errs.Is(err, errs.Conflict) {
			t.Errorf("confirmed twice: %v", err)
		}
		m.Clock.Advance(100 * day)
		for range 2 {
			if err := m.Orders.AutoConfirmTimer(ctx, timers.Timer{Payload: []byte(`{"order":"` + s.ID + `"}`)}); err != nil {
				t.Fatal(err)
			}
		}
		pvFee := balances(t, m, m.Provence.ID)["fees EUR"]
		if diff := cmp.Diff(balances(t, m, m.Provence.ID), map[string]int64{"held EUR": 0, "available EUR": pv.Settlement.Minor, "paid EUR": 0, "fees EUR": pvFee}); diff != "" {
			t.Errorf("Provence's ledger after confirmation (-got +want):\n%s", diff)
		}
		var kinds []order.PostingKind
		for _, p := range postings(t, m, m.Provence.ID) {
			kinds = append(kinds, p.Kind)
			if p.OrderID != pv.ID || p.Currency != "EUR" {
				t.Errorf("posting %+v", p)
			}
		}
		if diff := cmp.Diff(kinds, []order.PostingKind{order.PostPaid, order.PostReleased}); diff != "" {
			t.Errorf("Provence's postings (-got +want):\n%s", diff)
		}

		// Shenzhen's order is cancelled before shipment: refunded, reversed.
		if _, err := m.Orders.Cancel(ctx, buyer, sz.ID, ""); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(balances(t, m, m.Shenzhen.ID), map[string]int64{"held EUR": 0, "available EUR": 0, "paid EUR": 0, "fees EUR": 0}); diff != "" {
			t.Errorf("Shenzhen's ledger after cancellation (-got +want):\n%s", diff)
		}
		if got := len(postings(t, m, m.Shenzhen.ID)); got != 2 {
			t.Errorf("Shenzhen has %d postings, want paid and reversed", got)
		}
		if diff := cmp.Diff(balances(t, m, ""), map[string]int64{"clearing EUR": -(pv.Settlement.Minor + pvFee)}); diff != "" {
			t.Errorf("the marketplace's ledger at the end (-got +want):\n%s", diff)
		}
	})
}

// TestLedgerOfAPaymentConfirmed: a payment that required the buyer's
// action posts when it is captured, not before; one that fails or expires
// posts nothing.
func TestLedgerOfAPaymentConfirmed(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		buyer := m.Buyer(t)
		c := cartWith(t, m, buyer, "bazaar", "EUR", ptr(testkit.Paris()), "SOAP")
		co, _, err := m.Orders.Checkout(ctx, as(buyer), c.ID, pay(payment.TokenRequiresAction))
		if err != nil || co.Orders[0].Status != order.PendingPayment {
			t.Fatalf("checkout: %+v %v", co, err)
		}
		if got := balances(t, m, m.Provence.ID); len(got) != 0 {
			t.Fatalf("a pending payment posted %v", got)
		}
		if _, err := m.Orders.ConfirmPayment(ctx, buyer, co.Payment.ID); err != nil {
			t.Fatal(err)
		}
		o := co.Orders[0]
		want := map[string]int64{"held EUR": o.Settlement.Minor, "available EUR": 0, "paid EUR": 0, "fees EUR": o.Commission.Minor}
		if diff := cmp.Diff(balances(t, m, m.Provence.ID), want); diff != "" {
			t.Errorf("Provence's ledger after the payment's confirmation (-got +want):\n%s", diff)
		}
		if diff := cmp.Diff(balances(t, m, ""), map[string]int64{"clearing EUR": -(o.Settlement.Minor + o.Commission.Minor)}); diff != "" {
			t.Errorf("the marketplace's ledger (-got +want):\n%s", diff)
		}

		other := m.Buyer(t)
		c2 := cartWith(t, m, other, "bazaar", "EUR", ptr(testkit.Paris()), "SOAP")
		co2, _, err := m.Orders.Checkout(ctx, as(other), c2.ID, pay(payment.TokenRequiresAction))
		if err != nil {
			t.Fatal(err)
		}
		m.Clock.Advance(20 * time.Minute)
		if err := m.Orders.ExpiryTimer(ctx, timers.Timer{Payload: []byte(`{"payment":"` + co2.Payment.ID + `"}`)}); err != nil {
			t.Fatal(err)
		}
		if got, _ := m.Orders.Order(ctx, other, co2.Orders[0].ID); got.Status != order.Cancelled {
			t.Fatalf("the expired payment's order is %s", got.Status)
		}
		if diff := cmp.Diff(balances(t, m, m.Provence.ID), want); diff != "" {
			t.Errorf("an expired payment posted (-got +want):\n%s", diff)
		}
	})
}
