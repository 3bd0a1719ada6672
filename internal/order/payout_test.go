package order_test

import (
	"context"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/timers"
)

// noTransfers is a provider whose transfers fail.
type noTransfers struct{ payment.Sandbox }

func (noTransfers) Transfer(context.Context, string, string, money.Amount) (payment.Result, error) {
	return payment.Result{}, errs.E("test", errs.Unavailable, "down")
}

// TestPayoutPaysWhatIsAvailable: a merchant's confirmed orders are paid
// out, its available balance moving to paid in one posting; nothing is
// paid twice: not by a second request, not by a run after it, not while a
// transfer the provider failed is pending (its timer completes it once);
// other merchants, buyers and visitors cannot pay it out; the statement's
// lines take the opening balances to the closing ones, its payout lines
// adding up to the payouts.
func TestPayoutPaysWhatIsAvailable(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		buyer := m.Buyer(t)
		start := m.Clock.Now()
		o := confirmedSoap(t, m, buyer)
		for name, a := range map[string]identity.Actor{"another merchant": m.SZStaff, "a buyer": buyer} {
			if _, err := m.Orders.PayOutNow(ctx, a, m.Provence.ID); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s pays out: %v", name, err)
			}
		}
		if _, err := m.Orders.PayOutNow(ctx, identity.Actor{}, m.Provence.ID); !errs.Is(err, errs.Unauthenticated) {
			t.Errorf("a visitor pays out: %v", err)
		}
		ps, err := m.Orders.PayOutNow(ctx, m.PVStaff, m.Provence.ID)
		if err != nil || len(ps) != 1 || ps[0].Status != order.PayoutPaid || ps[0].Amount != o.Settlement || ps[0].ProviderRef == "" {
			t.Fatalf("paid out: %+v %v", ps, err)
		}
		b := balances(t, m, m.Provence.ID)
		if b["available EUR"] != 0 || b["paid EUR"] != o.Settlement.Minor {
			t.Errorf("after the payout: %v", b)
		}
		if _, err := m.Orders.PayOutNow(ctx, m.PVStaff, m.Provence.ID); !errs.Is(err, errs.Conflict) {
			t.Errorf("paid out twice: %v", err)
		}
		if run, err := m.Orders.RunPayouts(ctx); err != nil || run.Payouts != 0 {
			t.Errorf("a run after it: %+v %v", run, err)
		}

		// The provider fails the next transfer: the payout is posted and
		// pending, a run does not make another, its timer completes it.
		o2 := confirmedSoap(t, m, buyer)
		m.Orders.Providers["sandbox"] = noTransfers{}
		run, err := m.Orders.RunPayouts(ctx)
		if err != nil || run.Payouts != 1 || run.Pending != 1 {
			t.Fatalf("a run while the provider is down: %+v %v", run, err)
		}
		if run, err = m.Orders.RunPayouts(ctx); err != nil || run.Merchants != 0 {
			t.Fatalf("a second run: %+v %v", run, err)
		}
		list, _, err := m.Orders.Payouts(ctx, m.PVStaff, m.Provence.ID, "", 10)
		if err != nil || len(list) != 2 || list[0].Status != order.PayoutPending || list[0].Amount != o2.Settlement {
			t.Fatalf("the payouts: %+v %v", list, err)
		}
		m.Orders.Providers["sandbox"] = payment.Sandbox{}
		r := &timers.Runner{Store: db.Timers(), Now: m.Clock.Now}
		r.Handle(order.TimerPayoutTransfer, m.Orders.PayoutTransferTimer)
		m.Clock.Advance(2 * time.Minute)
		runTimers(t, r)
		if err := m.Orders.PayoutTransferTimer(ctx, timers.Timer{Payload: []byte(`{"payout":"` + list[0].ID + `"}`)}); err != nil {
			t.Fatal(err)
		}
		if p, _ := db.Orders().Payout(ctx, list[0].ID); p.Status != order.PayoutPaid {
			t.Errorf("after its timer: %+v", p)
		}
		if n := countEvents(t, db, "payout.paid", list[0].ID); n != 1 {
			t.Errorf("%d payout.paid events", n)
		}

		st, err := m.Orders.Statement(ctx, m.PVStaff, m.Provence.ID, "EUR", start.Add(-time.Hour), m.Clock.Now().Add(time.Hour), true, nil)
		if err != nil {
			t.Fatal(err)
		}
		var payouts, paidLines int64
		for _, l := range st.Lines {
			if l.Kind == order.PostPayout {
				payouts += l.Paid.Minor
				paidLines++
			}
		}
		b = balances(t, m, m.Provence.ID)
		for _, c := range st.Closing {
			if c.Amount.Minor != b[string(c.Account)+" EUR"] {
				t.Errorf("closing %s %d, the ledger %d", c.Account, c.Amount.Minor, b[string(c.Account)+" EUR"])
			}
		}
		if paidLines != 2 || payouts != o.Settlement.Minor+o2.Settlement.Minor || st.PaidOut.Minor != payouts {
			t.Errorf("the statement's payouts: %d lines, %d, paid out %d", paidLines, payouts, st.PaidOut.Minor)
		}
		if _, err := m.Orders.Statement(ctx, m.SZStaff, m.Provence.ID, "EUR", start, m.Clock.Now(), true, nil); !errs.Is(err, errs.NotFound) {
			t.Errorf("another merchant's statement: %v", err)
		}
		if _, err := m.Orders.Statement(ctx, m.PVStaff, m.Provence.ID, "EUR", m.Clock.Now(), start, true, nil); !errs.Is(err, errs.Invalid) {
			t.Errorf("a period backwards: %v", err)
		}
	})
}

// TestPayoutAccount: a merchant sets where it is paid, at a provider
// Sesame pays out with; a Stripe account must be a Connect account's id;
// another merchant cannot set it.
func TestPayoutAccount(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		if _, err := m.Orders.SetPayoutAccount(ctx, m.SZStaff, m.Provence.ID, order.PayoutAccount{Provider: "sandbox", Account: "pv"}); !errs.Is(err, errs.NotFound) {
			t.Errorf("another merchant sets it: %v", err)
		}
		if _, err := m.Orders.SetPayoutAccount(ctx, m.PVStaff, m.Provence.ID, order.PayoutAccount{Provider: "paypal", Account: "pv"}); !errs.Is(err, errs.Invalid) {
			t.Errorf("an unknown provider: %v", err)
		}
		m.Orders.Providers["stripe"] = payment.Sandbox{}
		if _, err := m.Orders.SetPayoutAccount(ctx, m.PVStaff, m.Provence.ID, order.PayoutAccount{Provider: "stripe", Account: "FR76 3000"}); !errs.Is(err, errs.Invalid) {
			t.Errorf("an IBAN as a Stripe account: %v", err)
		}
		a, err := m.Orders.SetPayoutAccount(ctx, m.PVStaff, m.Provence.ID, order.PayoutAccount{Provider: "sandbox", Account: "provence-bank"})
		if err != nil || a.MerchantID != m.Provence.ID {
			t.Fatal(a, err)
		}
		confirmedSoap(t, m, m.Buyer(t))
		ps, err := m.Orders.PayOutNow(ctx, m.PVStaff, m.Provence.ID)
		if err != nil || ps[0].Account != "provence-bank" {
			t.Errorf("paid to: %+v %v", ps, err)
		}
	})
}
