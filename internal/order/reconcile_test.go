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
)

// alteredBooks is the sandbox whose balance transactions lost one (drop),
// have another amount for one (bump: a minor unit more) and one more
// (stray): a provider's books as reconciliation must catch them.
type alteredBooks struct {
	payment.Sandbox
	drop, bump string
	stray      payment.Txn
}

func (a alteredBooks) Transactions(ctx context.Context, from, to time.Time, fn func(payment.Txn) error) error {
	if err := a.Sandbox.Transactions(ctx, from, to, func(t payment.Txn) error {
		switch t.Ref {
		case a.drop:
			return nil
		case a.bump:
			t.Amount.Minor++
		}
		return fn(t)
	}); err != nil {
		return err
	}
	return fn(a.stray)
}

// TestReconciliation: the ledger's charges, refunds and transfers at the
// sandbox match its books one for one; a transfer the provider lost, a
// refund of another amount and a charge Sesame never recorded are each
// listed as a difference, with both sides' amounts; movements of another
// period are left out. Only operators reconcile; a bad period or provider
// is refused.
func TestReconciliation(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		buyer := m.Buyer(t)
		day0 := m.Clock.Now().Truncate(24 * time.Hour)
		kept := confirmedSoap(t, m, buyer)
		cancelled := paidSoap(t, m, buyer)
		if _, err := m.Orders.Cancel(ctx, buyer, cancelled.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Orders.PayOutNow(ctx, m.PVStaff, m.Provence.ID); err != nil {
			t.Fatal(err)
		}
		m.Clock.Advance(3 * day)
		later := paidSoap(t, m, buyer) // another period's

		rec := func() order.Reconciliation {
			t.Helper()
			r, err := m.Orders.Reconcile(ctx, identity.System, "sandbox", day0, day0.Add(day))
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		r := rec()
		if r.Matched != 4 || len(r.Differences) != 0 {
			t.Fatalf("two charges, a refund and a transfer: %d matched, differences %+v", r.Matched, r.Differences)
		}
		for _, tot := range r.Totals {
			if tot.Sesame != tot.Provider {
				t.Errorf("the %s totals differ: %+v", tot.Type, tot)
			}
		}
		var lost, refundRef string
		if err := db.QueryRowContext(ctx, `SELECT provider_ref FROM payouts WHERE merchant_id = $1`, m.Provence.ID).Scan(&lost); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, `SELECT provider_ref FROM refunds WHERE order_id = $1`, cancelled.ID).Scan(&refundRef); err != nil || refundRef == "" {
			t.Fatalf("the cancellation's refund has no provider ref: %q %v", refundRef, err)
		}
		sandbox := m.Orders.Providers["sandbox"].(payment.Sandbox)
		m.Orders.Providers["sandbox"] = alteredBooks{Sandbox: sandbox, drop: lost, bump: refundRef, stray: payment.Txn{Type: payment.TxnCharge,
			Ref: "sbx_ch_stray", Amount: money.Amount{Minor: 999, Currency: "EUR"}, At: day0.Add(time.Hour)}}
		r = rec()
		got := map[string]order.Difference{}
		for _, d := range r.Differences {
			got[d.Kind] = d
		}
		if r.Matched != 2 || len(r.Differences) != 3 {
			t.Fatalf("after the provider's books changed: %d matched, %+v", r.Matched, r.Differences)
		}
		if d := got[order.DiffMissingAtProvider]; d.Type != "transfer" || d.Ref != lost || d.Sesame == nil || d.Provider != nil {
			t.Errorf("the lost transfer: %+v", d)
		}
		if d := got[order.DiffAmount]; d.Type != "refund" || d.Of != cancelled.ID || d.Sesame == nil || d.Provider == nil || d.Provider.Minor != d.Sesame.Minor+1 {
			t.Errorf("the refund of another amount: %+v", d)
		}
		if d := got[order.DiffMissingInSesame]; d.Type != "charge" || d.Ref != "sbx_ch_stray" || d.Provider == nil || d.Provider.Minor != 999 {
			t.Errorf("the stray charge: %+v", d)
		}
		if r, err := m.Orders.Reconcile(ctx, identity.System, "sandbox", day0.Add(3*day), day0.Add(4*day)); err != nil || r.Matched != 1 || len(r.Differences) != 0 {
			t.Errorf("the later period holds only %s's charge: %+v %v", later.ID, r, err)
		}
		_ = kept
		m.Orders.Providers["sandbox"] = sandbox

		for name, a := range map[string]identity.Actor{"a merchant": m.PVStaff, "a buyer": buyer} {
			if _, err := m.Orders.Reconcile(ctx, a, "sandbox", day0, day0.Add(day)); !errs.Is(err, errs.Forbidden) {
				t.Errorf("%s reconciles: %v", name, err)
			}
		}
		if _, err := m.Orders.Reconcile(ctx, identity.Actor{}, "sandbox", day0, day0.Add(day)); !errs.Is(err, errs.Unauthenticated) {
			t.Errorf("a visitor reconciles: %v", err)
		}
		for name, c := range map[string]struct {
			provider string
			from, to time.Time
		}{"an unknown provider": {"paypal", day0, day0.Add(day)}, "backwards": {"sandbox", day0, day0.Add(-day)},
			"too long": {"sandbox", day0, day0.Add(40 * day)}} {
			if _, err := m.Orders.Reconcile(ctx, identity.System, c.provider, c.from, c.to); !errs.Is(err, errs.Invalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}
