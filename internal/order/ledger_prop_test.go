package order_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/timers"
)

// TestRandomLedgerAddsUp: a seeded random sequence of 240 steps, which
// interleaves the lives of a hundred orders or more: checkouts (random
// carts of both merchants, in EUR or GBP, paid at once or after the buyer's
// action), payments confirmed or expired, cancellations, shipments,
// deliveries, confirmations by the buyer and by the timer (each retried or
// fired twice at random), disputes asking for some or all of an order,
// answered, accepted, escalated, withdrawn, decided or left to their
// deadlines (refunds in full and in part), operators' refunds of completed
// orders (clawbacks, from the reserve Provence's plan keeps, what is
// available, or owed and recovered by the next payouts), reserves
// released by their timers, keep the ledger whole: after every step, for
// every merchant and currency, held + available + paid + fees is the
// settlement and commission of its paid, not cancelled orders, less the
// shares disputes refunded, to the minor unit (held that of the orders not yet completed, available that
// of the completed ones); every posting sums to zero; no merchant's
// balance is negative; the marketplace's clearing is the opposite of all
// the merchants' balances. Provence settles in pounds, Shenzhen in euros.
func TestRandomLedgerAddsUp(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		plan, err := m.Merchants.CreatePlan(ctx, identity.System, merchant.PlanInput{Code: "sterling", Name: "Sterling", Currency: "GBP", CommissionBps: 1150,
			ReserveBps: 1000, ReserveDays: 14})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Merchants.AssignPlan(ctx, identity.System, m.Provence.ID, plan.ID, ""); err != nil {
			t.Fatal(err)
		}
		for _, s := range []struct{ wh, merchant, sku string }{{"szx", m.Shenzhen.ID, "CASE-16"}, {"szx", m.Shenzhen.ID, "CASE-S25"},
			{"fos", m.Provence.ID, "SOAP"}, {"fos", m.Provence.ID, "PERFUME"}} {
			m.SetStock(t, s.wh, s.merchant, s.sku, 100_000)
		}
		staff := map[string]identity.Actor{m.Shenzhen.ID: m.SZStaff, m.Provence.ID: m.PVStaff}
		steps := 240
		if testing.Short() {
			steps = 40
		}
		buyers := m.Buyers(t, steps)
		rng := rand.New(rand.NewPCG(2026, 12))
		skus := []string{"CASE-16", "CASE-S25", "SOAP", "PERFUME"}
		var orders []placed
		pick := func(sts ...order.Status) *placed {
			stored := allOrders(t, m)
			var in []placed
			for _, p := range orders {
				if slices.Contains(sts, stored[p.o.ID].Status) {
					in = append(in, p)
				}
			}
			if len(in) == 0 {
				return nil
			}
			return &in[rng.IntN(len(in))]
		}
		ok := func(step int, what string, err error) {
			t.Helper()
			if err != nil && !errs.Is(err, errs.Conflict) {
				t.Fatalf("step %d: %s: %v", step, what, err)
			}
		}
		ops := map[string]int{}
		runner := disputeRunner(db, m)
		for step := range steps {
			op := rng.IntN(15)
			switch {
			case op < 3 || len(orders) == 0: // a checkout
				ops["checkout"]++
				buyer := buyers[step]
				cur := []string{"EUR", "GBP"}[rng.IntN(2)]
				c, _, err := m.Orders.CreateCart(ctx, buyer, order.CartInput{Channel: "bazaar", Currency: cur})
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, sku := range skus {
					if rng.IntN(2) == 0 && !(n == 0 && sku == skus[len(skus)-1]) {
						continue
					}
					n++
					if _, err := m.Orders.AddLine(ctx, as(buyer), c.ID, order.LineInput{VariantID: m.Variants[sku], Quantity: 1 + rng.Int64N(3)}); err != nil {
						t.Fatalf("step %d: add %s: %v", step, sku, err)
					}
				}
				if _, err := m.Orders.SetAddress(ctx, as(buyer), c.ID, testkit.Paris()); err != nil {
					t.Fatal(err)
				}
				token := payment.TokenSuccess
				if rng.IntN(4) == 0 {
					token = payment.TokenRequiresAction
				}
				co, _, err := m.Orders.Checkout(ctx, as(buyer), c.ID, pay(token))
				if err != nil {
					t.Fatalf("step %d: checkout: %v", step, err)
				}
				for _, o := range co.Orders {
					orders = append(orders, placed{o: o, buyer: buyer, pay: co.Payment.ID})
				}
			case op == 3: // a pending payment confirmed, or expired
				p := pick(order.PendingPayment)
				if p == nil {
					continue
				}
				if rng.IntN(2) == 0 {
					ops["confirm payment"]++
					_, err := m.Orders.ConfirmPayment(ctx, p.buyer, p.pay)
					ok(step, "confirm payment", err)
				} else {
					ops["expire payment"]++
					m.Clock.Advance(16 * time.Minute)
					ok(step, "expire", m.Orders.ExpiryTimer(ctx, timers.Timer{Payload: []byte(`{"payment":"` + p.pay + `"}`)}))
				}
			case op == 4: // a cancellation before shipment
				if p := pick(order.Paid, order.PendingPayment); p != nil {
					ops["cancel"]++
					_, err := m.Orders.Cancel(ctx, p.buyer, p.o.ID, "")
					ok(step, "cancel", err)
				}
			case op == 5 || op == 6: // a shipment
				if p := pick(order.Paid); p != nil {
					ops["ship"]++
					_, err := m.Orders.Ship(ctx, staff[p.o.MerchantID], p.o.ID, order.ShipInput{Carrier: "Colissimo", TrackingNumber: "6A12345678901"})
					ok(step, "ship", err)
				}
			case op == 7: // a delivery
				if p := pick(order.Shipped); p != nil {
					ops["deliver"]++
					_, err := m.Orders.Deliver(ctx, staff[p.o.MerchantID], p.o.ID)
					ok(step, "deliver", err)
				}
			case op == 8: // the buyer confirms, perhaps twice
				if p := pick(order.Shipped, order.Delivered); p != nil {
					ops["confirm delivery"]++
					for range 1 + rng.IntN(2) {
						_, err := m.Orders.ConfirmDelivery(ctx, p.buyer, p.o.ID)
						ok(step, "confirm delivery", err)
					}
				}
			case op == 9 && rng.IntN(2) == 0: // an operator refunds a completed order, in full or in part
				p := pick(order.Completed)
				if p == nil {
					continue
				}
				ops["clawback"]++
				_, err := m.Orders.RefundCompleted(ctx, identity.System, p.o.ID, order.ClawbackInput{Amount: 1 + rng.Int64N(p.o.Total.Minor), Reason: "Chargeback."})
				ok(step, "clawback", err)
			case op == 10 || op == 11: // the buyer disputes, asking for some or all
				if p := pick(order.Shipped, order.Delivered); p != nil {
					ops["dispute"]++
					_, err := m.Orders.OpenDispute(ctx, p.buyer, p.o.ID, order.DisputeInput{Reason: order.ReasonDamaged, Message: "Broken.",
						Refund: rng.Int64N(p.o.Total.Minor + 1)})
					ok(step, "dispute", err)
				}
			case op == 12 || op == 13 || op == 14 && rng.IntN(3) > 0: // the party whose turn it is acts, perhaps twice
				p := pick(order.Disputed)
				if p == nil {
					continue
				}
				d, err := m.Orders.OrderDispute(ctx, p.buyer, p.o.ID)
				if err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				for range 1 + rng.IntN(2) {
					switch d.Status {
					case order.DisputeAwaitingMerchant:
						in := order.AnswerInput{Action: []string{"refund", "offer", "contest"}[rng.IntN(3)], Message: "No."}
						if in.Action == "offer" {
							if d.Requested.Minor < 2 {
								in.Action = "refund"
							}
							in.Amount = 1 + rng.Int64N(max(d.Requested.Minor-1, 1))
						}
						ops["answer "+in.Action]++
						_, err = m.Orders.Answer(ctx, staff[p.o.MerchantID], d.ID, in)
					case order.DisputeAwaitingBuyer:
						switch rng.IntN(3) {
						case 0:
							ops["accept"]++
							_, err = m.Orders.Accept(ctx, p.buyer, d.ID)
						case 1:
							ops["escalate"]++
							_, err = m.Orders.Escalate(ctx, p.buyer, d.ID)
						default:
							ops["withdraw"]++
							_, err = m.Orders.Withdraw(ctx, p.buyer, d.ID)
						}
					case order.DisputeEscalated:
						ops["decide"]++
						_, err = m.Orders.Decide(ctx, identity.System, d.ID, order.DecisionInput{Refund: rng.Int64N(p.o.Total.Minor + 1), Message: "Decided."})
					}
					ok(step, "dispute step", err)
				}
			case op == 14 && rng.IntN(2) == 0: // the disputes' deadlines pass
				ops["deadlines"]++
				m.Clock.Advance(8 * 24 * time.Hour)
				runTimers(t, runner)
			case op == 14: // a payout run, or a merchant's payout now
				if rng.IntN(2) == 0 {
					ops["payout run"]++
					_, err := m.Orders.RunPayouts(ctx)
					ok(step, "payout run", err)
				} else {
					ops["payout now"]++
					_, err := m.Orders.PayOutNow(ctx, m.PVStaff, m.Provence.ID)
					ok(step, "payout now", err)
				}
			default: // the protection ends: the timer fires, perhaps twice
				p := pick(order.Shipped, order.Delivered)
				if p == nil {
					continue
				}
				ops["auto-confirm"]++
				got, err := m.Orders.Order(ctx, identity.System, p.o.ID)
				if err != nil {
					t.Fatal(err)
				}
				if wait := got.ProtectionEndsAt.Sub(m.Clock.Now()); wait > 0 {
					m.Clock.Advance(wait + time.Minute)
				}
				for range 1 + rng.IntN(2) {
					ok(step, "auto-confirm", m.Orders.AutoConfirmTimer(ctx, timers.Timer{Payload: []byte(`{"order":"` + p.o.ID + `"}`)}))
				}
			}
			checkLedger(t, db, m, step)
		}
		t.Logf("%d steps, %d orders: %v", steps, len(orders), ops)
	})
}

// placed is an order of the random sequence, with its buyer and payment.
type placed struct {
	o     order.Order
	buyer identity.Actor
	pay   string
}

// allOrders returns every order as stored, by id.
func allOrders(t testing.TB, m *testkit.Market) map[string]order.Order {
	t.Helper()
	out := map[string]order.Order{}
	cursor := ""
	for {
		os, next, err := m.Orders.Orders(context.Background(), identity.System, cursor, order.MaxPage)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range os {
			out[o.ID] = o
		}
		if next == "" {
			return out
		}
		cursor = next
	}
}

// checkLedger checks the ledger's balances against the orders as stored,
// and that every posting sums to zero.
func checkLedger(t *testing.T, db *sqlstore.DB, m *testkit.Market, step int) {
	t.Helper()
	ctx := context.Background()
	var os []order.Order
	for _, o := range allOrders(t, m) {
		os = append(os, o)
	}
	want := ledgerWant(t, os)
	got := map[string]int64{}
	for _, id := range []string{m.Shenzhen.ID, m.Provence.ID} {
		for k, v := range balances(t, m, id) {
			got[id+" "+k] = v
			owed := strings.HasPrefix(k, "owed ")
			if v < 0 && !owed || v > 0 && owed {
				t.Fatalf("step %d: %s %s is %d", step, id, k, v)
			}
		}
	}
	for k, v := range balances(t, m, "") {
		got[k] = v
	}
	// What was paid out, what is kept in reserve and what a clawback
	// left owed are the completed orders' money: the orders' view counts
	// them available.
	for k, v := range got {
		for _, acc := range []string{" paid ", " reserve ", " owed "} {
			if id, cur, ok := strings.Cut(k, acc); ok {
				got[id+" available "+cur] += v
				delete(got, k)
			}
		}
	}
	// Accounts never posted to are absent from got; those whose postings
	// cancel out are there at zero.
	for k, v := range got {
		if _, ok := want[k]; !ok && v == 0 {
			want[k] = 0
		}
	}
	for k, v := range want {
		if _, ok := got[k]; !ok && v == 0 {
			delete(want, k)
		}
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Fatalf("step %d: the ledger (-got +want):\n%s", step, diff)
	}
	// The invariant as the merchant sees it: its accounts together are its
	// paid, not cancelled orders' settlement and commission.
	total := map[string]int64{}
	for _, o := range os {
		if o.Status != order.PendingPayment && o.Status != order.Cancelled && o.Status != order.Refunded {
			settle, com, err := order.Escrow(o)
			if err != nil {
				t.Fatal(err)
			}
			total[o.MerchantID+" "+settle.Currency] += settle.Minor + com.Minor
			if o.Refund != nil { // what buyers paid, less what was refunded
				total[o.MerchantID+" "+settle.Currency] -= o.Refund.Settlement.Minor + o.Refund.Commission.Minor
			}
		}
	}
	sum := map[string]int64{}
	for _, id := range []string{m.Shenzhen.ID, m.Provence.ID} {
		for _, cur := range []string{"EUR", "GBP"} {
			for _, a := range []string{"held", "available", "reserve", "paid", "fees", "owed"} {
				if v, ok := got[id+" "+a+" "+cur]; ok {
					sum[id+" "+cur] += v
				}
			}
		}
	}
	for k, v := range sum {
		if v == 0 && total[k] == 0 {
			delete(sum, k)
		}
	}
	if diff := cmp.Diff(sum, total); diff != "" {
		t.Fatalf("step %d: held + available + paid + fees (-got +want):\n%s", step, diff)
	}
	// Each posting sums to zero (the table's CHECK holds it too) and
	// moves some money.
	var unbalanced, empty int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_postings WHERE clearing + held + available + paid + fees + reserve + owed <> 0`).Scan(&unbalanced); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_postings WHERE clearing = 0 AND held = 0 AND available = 0 AND paid = 0 AND fees = 0 AND reserve = 0 AND owed = 0`).Scan(&empty); err != nil {
		t.Fatal(err)
	}
	if unbalanced != 0 || empty != 0 {
		t.Fatalf("step %d: %d postings do not sum to zero, %d have no entries", step, unbalanced, empty)
	}
}

// ledgerWant is what the ledger should hold of orders os as stored, by
// "merchant account currency", and the clearing account's by "clearing
// currency".
func ledgerWant(t testing.TB, os []order.Order) map[string]int64 {
	t.Helper()
	want := map[string]int64{}
	for _, o := range os {
		var held, available, refundedFee int64
		switch o.Status {
		case order.Paid, order.Shipped, order.Delivered, order.Disputed:
			held = o.Settlement.Minor
		case order.Completed:
			available = o.Settlement.Minor
			if o.Refund != nil { // refunded in part: the rest is available
				available -= o.Refund.Settlement.Minor
				refundedFee = o.Refund.Commission.Minor
			}
		default: // cancelled, refunded in full: nothing stays
			continue
		}
		fee := o.Commission
		if fee.Currency != o.Settlement.Currency {
			r, err := money.ParseRate(o.FXRate)
			if err != nil {
				t.Fatal(err)
			}
			if fee, err = fee.Convert(o.Settlement.Currency, r, money.HalfUp); err != nil {
				t.Fatal(err)
			}
		}
		key := func(account string) string {
			return fmt.Sprintf("%s %s %s", o.MerchantID, account, o.Settlement.Currency)
		}
		want[key("held")] += held
		want[key("available")] += available
		want[key("fees")] += fee.Minor - refundedFee
		want["clearing "+o.Settlement.Currency] -= held + available + fee.Minor - refundedFee
	}
	return want
}
