package order_test

import (
	"context"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/timers"
)

// withReserve puts Provence on a plan that keeps bps of each order's
// settlement in reserve for days.
func withReserve(t testing.TB, m *testkit.Market, bps int64, days int) {
	t.Helper()
	ctx := context.Background()
	plan, err := m.Merchants.CreatePlan(ctx, identity.System, merchant.PlanInput{Code: "reserved", Name: "Reserved", Currency: "EUR", CommissionBps: 800,
		ReserveBps: bps, ReserveDays: days})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Merchants.AssignPlan(ctx, identity.System, m.Provence.ID, plan.ID, ""); err != nil {
		t.Fatal(err)
	}
}

// countPostings counts orderID's postings of kind.
func countPostings(t *testing.T, db *sqlstore.DB, orderID string, kind order.PostingKind) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM ledger_postings WHERE order_id = $1 AND kind = $2`, orderID, string(kind)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRollingReserve: a plan with a reserve keeps its share of each
// completed order's settlement in reserve, out of what a payout pays;
// the reserve becomes available its days later, by its timer, once (also
// when the timer fires again), never before; a plan's reserve is checked.
func TestRollingReserve(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		for _, in := range []merchant.PlanInput{{ReserveBps: 6000, ReserveDays: 10}, {ReserveBps: 500}, {ReserveDays: 5}, {ReserveBps: 500, ReserveDays: 400}} {
			in.Code, in.Name, in.Currency = "bad", "Bad", "EUR"
			if _, err := m.Merchants.CreatePlan(ctx, identity.System, in); !errs.Is(err, errs.Invalid) {
				t.Errorf("a plan with reserve %d bps for %d days: %v", in.ReserveBps, in.ReserveDays, err)
			}
		}
		withReserve(t, m, 1000, 14)
		r := disputeRunner(db, m)
		buyer := m.Buyer(t)
		o := confirmedSoap(t, m, buyer)
		if o.Reserve == nil || o.Reserve.Bps != 1000 || o.Reserve.Days != 14 {
			t.Fatalf("the order's reserve: %+v", o.Reserve)
		}
		reserve := o.Settlement.Minor / 10 // rounded down
		b := balances(t, m, m.Provence.ID)
		if b["reserve EUR"] != reserve || b["available EUR"] != o.Settlement.Minor-reserve || b["held EUR"] != 0 {
			t.Fatalf("after completion: %v (settlement %d)", b, o.Settlement.Minor)
		}
		ps, err := m.Orders.PayOutNow(ctx, m.PVStaff, m.Provence.ID)
		if err != nil || len(ps) != 1 || ps[0].Amount.Minor != o.Settlement.Minor-reserve {
			t.Fatalf("the payout pays what is not in reserve: %+v %v", ps, err)
		}
		m.Clock.Advance(13 * day)
		runTimers(t, r)
		if b := balances(t, m, m.Provence.ID); b["reserve EUR"] != reserve {
			t.Fatalf("released before its days: %v", b)
		}
		m.Clock.Advance(day + time.Minute)
		runTimers(t, r)
		b = balances(t, m, m.Provence.ID)
		if b["reserve EUR"] != 0 || b["available EUR"] != reserve {
			t.Fatalf("after its days: %v", b)
		}
		if err := m.Orders.ReserveReleaseTimer(ctx, reserveTimer(t, o)); err != nil {
			t.Fatal(err)
		}
		if n := countPostings(t, db, o.ID, order.PostReserveReleased); n != 1 || balances(t, m, m.Provence.ID)["available EUR"] != reserve {
			t.Errorf("the timer fired again: %d releases, %v", n, balances(t, m, m.Provence.ID))
		}
		if n := countEvents(t, db, "ledger.reserve_released", o.ID); n != 1 {
			t.Errorf("%d reserve_released events", n)
		}
	})
}

func reserveTimer(t *testing.T, o order.Order) timers.Timer {
	t.Helper()
	tm, err := order.ReserveTimer(o, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func holdTimer(o order.Order, d order.Dispute) timers.Timer {
	return timers.Timer{Kind: order.TimerHoldLimit, Payload: []byte(`{"order":"` + o.ID + `","dispute":"` + d.ID + `"}`)}
}

// TestClawbackAfterPayout: an operator refunds a completed order whose
// money was paid out: the buyer is refunded at the provider (the refund
// recorded with its ref), the commission's share is reversed, and what the
// merchant no longer has is owed; the next payouts recover it, a payout
// smaller than what is owed paying nothing and recovering all. Only
// operators refund this way, once per order, never more than its total,
// never an order not completed.
func TestClawbackAfterPayout(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		buyer := m.Buyer(t)
		o := confirmedSoap(t, m, buyer)
		if _, err := m.Orders.PayOutNow(ctx, m.PVStaff, m.Provence.ID); err != nil {
			t.Fatal(err)
		}
		in := order.ClawbackInput{Amount: o.Total.Minor, Reason: "The card's holder disputed the charge."}
		for name, a := range map[string]identity.Actor{"its merchant": m.PVStaff, "its buyer": buyer} {
			if _, err := m.Orders.RefundCompleted(ctx, a, o.ID, in); !errs.Is(err, errs.Forbidden) {
				t.Errorf("%s refunds a completed order: %v", name, err)
			}
		}
		if _, err := m.Orders.RefundCompleted(ctx, identity.Actor{}, o.ID, in); !errs.Is(err, errs.Unauthenticated) {
			t.Errorf("a visitor: %v", err)
		}
		if _, err := m.Orders.RefundCompleted(ctx, identity.System, o.ID, order.ClawbackInput{Amount: o.Total.Minor + 1, Reason: "x"}); !errs.Is(err, errs.Invalid) {
			t.Errorf("more than its total: %v", err)
		}
		if _, err := m.Orders.RefundCompleted(ctx, identity.System, o.ID, order.ClawbackInput{Amount: 100}); !errs.Is(err, errs.Invalid) {
			t.Errorf("no reason: %v", err)
		}
		paid := paidSoap(t, m, buyer)
		if _, err := m.Orders.RefundCompleted(ctx, identity.System, paid.ID, in); !errs.Is(err, errs.Conflict) {
			t.Errorf("an order not completed: %v", err)
		}
		before := balances(t, m, m.Provence.ID)

		half := order.ClawbackInput{Amount: o.Total.Minor / 2, Reason: "Half the goods recalled."}
		got, err := m.Orders.RefundCompleted(ctx, identity.System, o.ID, half)
		if err != nil || got.Status != order.Completed || got.Refund == nil || got.Refund.Amount.Minor != half.Amount {
			t.Fatalf("refunded in part: %+v %v", got.Refund, err)
		}
		s, c := got.Refund.Settlement.Minor, got.Refund.Commission.Minor
		if s <= 0 || c <= 0 {
			t.Fatalf("the refund's shares: %d %d", s, c)
		}
		b := balances(t, m, m.Provence.ID)
		if b["owed EUR"] != -s || b["available EUR"] != 0 || b["paid EUR"] != before["paid EUR"] || b["fees EUR"] != before["fees EUR"]-c {
			t.Fatalf("after the clawback: %v (before %v, s %d c %d)", b, before, s, c)
		}
		if n, ref := refundRow(t, db, o.ID); n != half.Amount || ref == "" {
			t.Errorf("the refund's row: %d %q", n, ref)
		}
		if _, err := m.Orders.RefundCompleted(ctx, identity.System, o.ID, half); !errs.Is(err, errs.Conflict) {
			t.Errorf("refunded twice: %v", err)
		}
		if n := countPostings(t, db, o.ID, order.PostClawback); n != 1 {
			t.Errorf("%d clawback postings", n)
		}

		// The next order's settlement is less than what is owed when s
		// is large, more otherwise: either way the payouts recover it all,
		// and pay the rest.
		next := ship(t, m, paid.ID)
		if _, err := m.Orders.ConfirmDelivery(ctx, buyer, next.ID); err != nil {
			t.Fatal(err)
		}
		owed, avail := s, next.Settlement.Minor
		ps, err := m.Orders.PayOutNow(ctx, m.PVStaff, m.Provence.ID)
		b = balances(t, m, m.Provence.ID)
		switch {
		case avail > owed:
			if err != nil || len(ps) != 1 || ps[0].Amount.Minor != avail-owed || b["owed EUR"] != 0 || b["available EUR"] != 0 {
				t.Fatalf("a payout after the clawback: %+v %v %v", ps, err, b)
			}
		default:
			if !errs.Is(err, errs.Conflict) || b["owed EUR"] != avail-owed || b["available EUR"] != 0 {
				t.Fatalf("a payout recovering all: %+v %v %v", ps, err, b)
			}
		}

		// A full refund after payout leaves nothing of the order.
		third := confirmedSoap(t, m, buyer)
		b0 := balances(t, m, m.Provence.ID)
		full, err := m.Orders.RefundCompleted(ctx, identity.System, third.ID, order.ClawbackInput{Amount: third.Total.Minor, Reason: "Counterfeit."})
		if err != nil || full.Status != order.Refunded {
			t.Fatalf("refunded in full: %+v %v", full.Status, err)
		}
		b = balances(t, m, m.Provence.ID)
		if sum := b["available EUR"] + b["owed EUR"] - b0["available EUR"] - b0["owed EUR"]; sum != -third.Settlement.Minor {
			t.Errorf("a full clawback takes %d of available and owed, not the settlement %d", sum, third.Settlement.Minor)
		}
	})
}

// TestClawbackTakesTheReserveFirst: a refund after completion takes the
// order's reserve before what is available, and the reserve's timer then
// releases only what is left of it.
func TestClawbackTakesTheReserveFirst(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		withReserve(t, m, 2000, 7)
		r := disputeRunner(db, m)
		buyer := m.Buyer(t)
		o := confirmedSoap(t, m, buyer)
		reserve := o.Settlement.Minor / 5
		got, err := m.Orders.RefundCompleted(ctx, identity.System, o.ID, order.ClawbackInput{Amount: 100, Reason: "A part missing."})
		if err != nil {
			t.Fatal(err)
		}
		s := got.Refund.Settlement.Minor
		if s >= reserve {
			t.Fatalf("the test needs a refund under the reserve: %d >= %d", s, reserve)
		}
		b := balances(t, m, m.Provence.ID)
		if b["reserve EUR"] != reserve-s || b["available EUR"] != o.Settlement.Minor-reserve || b["owed EUR"] != 0 {
			t.Fatalf("after the clawback: %v", b)
		}
		m.Clock.Advance(8 * day)
		runTimers(t, r)
		b = balances(t, m, m.Provence.ID)
		if b["reserve EUR"] != 0 || b["available EUR"] != o.Settlement.Minor-s {
			t.Fatalf("after the reserve's days: %v", b)
		}
	})
}

// TestHoldLimitDecidesAnOpenDispute: a dispute escalated to an operator
// who never decides it is decided when its order reaches the hold limit
// (90 days from the order): the buyer is refunded what they asked for, and
// no money stays held. A dispute decided before the limit is left.
func TestHoldLimitDecidesAnOpenDispute(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		r := disputeRunner(db, m)
		buyer := m.Buyer(t)
		o := delivered(t, m, buyer)
		d, err := m.Orders.OpenDispute(ctx, buyer, o.ID, order.DisputeInput{Reason: order.ReasonNotAsDescribed, Message: "Not the colour shown.", Refund: 500})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Orders.Answer(ctx, m.PVStaff, d.ID, order.AnswerInput{Action: "contest", Message: "It is the colour shown."}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Orders.Escalate(ctx, buyer, d.ID); err != nil {
			t.Fatal(err)
		}
		m.Clock.Advance(60 * day)
		runTimers(t, r)
		if got, _ := m.Orders.Dispute(ctx, buyer, d.ID); got.Status != order.DisputeEscalated {
			t.Fatalf("decided before the limit: %s", got.Status)
		}
		m.Clock.Advance(o.CreatedAt.Add(order.ProtectionLimit + time.Minute).Sub(m.Clock.Now()))
		runTimers(t, r)
		m.Clock.Advance(5 * time.Minute) // the refund's own timer, should the provider have been down
		runTimers(t, r)
		got, err := m.Orders.Dispute(ctx, buyer, d.ID)
		if err != nil || got.Status != order.DisputeClosed || got.Refund == nil || got.Refund.Minor != 500 || got.DecidedBy != order.PartyDeadline {
			t.Fatalf("at the limit: %+v %v", got, err)
		}
		if b := balances(t, m, m.Provence.ID); b["held EUR"] != 0 {
			t.Errorf("money still held at the limit: %v", b)
		}
		if err := m.Orders.HoldLimitTimer(ctx, holdTimer(o, d)); err != nil {
			t.Errorf("fired again: %v", err)
		}
		if n, _ := refundRow(t, db, o.ID); n != 500 {
			t.Errorf("refunded %d", n)
		}
	})
}
