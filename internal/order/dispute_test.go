package order_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"image"
	"image/color"
	"image/png"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/timers"
)

// photoPNG is a small PNG photo.
func photoPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 6))
	for x := range 8 {
		img.Set(x, 3, color.RGBA{200, 30, 30, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// delivered is a buyer's delivered order of soap.
func delivered(t *testing.T, m *testkit.Market, buyer identity.Actor) order.Order {
	t.Helper()
	o := paidSoap(t, m, buyer)
	ship(t, m, o.ID)
	m.Clock.Advance(2 * day)
	d, err := m.Orders.Deliver(context.Background(), m.PVStaff, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func disputeRunner(db *sqlstore.DB, m *testkit.Market) *timers.Runner {
	r := autoConfirmRunner(db, m)
	r.Handle(order.TimerDisputeDeadline, m.Orders.DisputeDeadlineTimer)
	r.Handle(order.TimerDisputeRefund, m.Orders.DisputeRefundTimer)
	r.Handle(order.TimerReserveRelease, m.Orders.ReserveReleaseTimer)
	r.Handle(order.TimerHoldLimit, m.Orders.HoldLimitTimer)
	return r
}

func refundRow(t *testing.T, db *sqlstore.DB, orderID string) (int64, string) {
	t.Helper()
	var (
		n   int64
		ref string
	)
	err := db.QueryRowContext(context.Background(), `SELECT amount, provider_ref FROM refunds WHERE order_id = $1`, orderID).Scan(&n, &ref)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return n, ref
}

// TestDisputeRefundedInFull: the buyer of a delivered order disputes it
// with a photo; only its buyer, its merchant and operators see the
// dispute and its photo; the merchant refunds what was asked: the order
// is refunded, the refund recorded with the provider's ref, and the ledger
// gives the whole escrow back to clearing (held and fees back to zero).
func TestDisputeRefundedInFull(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		buyer, other := m.Buyer(t), m.Buyer(t)
		o := delivered(t, m, buyer)
		pic := photoPNG(t)
		d, err := m.Orders.OpenDispute(ctx, buyer, o.ID, order.DisputeInput{Reason: order.ReasonDamaged, Message: "The bar arrived broken in two.",
			Photos: []order.PhotoUpload{{Data: pic}}})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != order.DisputeAwaitingMerchant || d.Requested != o.Total || d.ReplyDueAt == nil ||
			!d.ReplyDueAt.Equal(m.Clock.Now().UTC().Add(order.MerchantReplyDays*day)) || len(d.Messages) != 1 || len(d.Messages[0].Photos) != 1 {
			t.Fatalf("opened: %+v", d)
		}
		got, _ := m.Orders.Order(ctx, buyer, o.ID)
		if got.Status != order.Disputed || countEvents(t, db, events.OrderDisputed, o.ID) != 1 || countEvents(t, db, events.DisputeOpened, d.ID) != 1 {
			t.Fatalf("the order: %s", got.Status)
		}
		if _, err := m.Orders.OpenDispute(ctx, buyer, o.ID, order.DisputeInput{Reason: order.ReasonDamaged, Message: "again"}); !errs.Is(err, errs.Conflict) {
			t.Errorf("a second dispute: %v", err)
		}
		// Who sees it.
		for name, a := range map[string]identity.Actor{"another buyer": other, "another merchant": m.SZStaff, "anyone": {}} {
			if _, err := m.Orders.Dispute(ctx, a, d.ID); !errs.Is(err, errs.NotFound) && !errs.Is(err, errs.Unauthenticated) {
				t.Errorf("%s reads the dispute: %v", name, err)
			}
			if _, err := m.Orders.DisputePhoto(ctx, a, d.ID, d.Messages[0].Photos[0]); !errs.Is(err, errs.NotFound) && !errs.Is(err, errs.Unauthenticated) {
				t.Errorf("%s reads the photo: %v", name, err)
			}
			if _, err := m.Orders.Answer(ctx, a, d.ID, order.AnswerInput{Action: "refund"}); !errs.Is(err, errs.NotFound) && !errs.Is(err, errs.Unauthenticated) {
				t.Errorf("%s answers: %v", name, err)
			}
		}
		for _, a := range []identity.Actor{buyer, m.PVStaff, identity.System} {
			p, err := m.Orders.DisputePhoto(ctx, a, d.ID, d.Messages[0].Photos[0])
			if err != nil || !bytes.Equal(p.Data, pic) || p.ContentType != "image/png" {
				t.Errorf("the photo: %s %v", p.ContentType, err)
			}
		}
		if _, err := m.Orders.Answer(ctx, buyer, d.ID, order.AnswerInput{Action: "refund"}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("the buyer answers for the merchant: %v", err)
		}
		if _, err := m.Orders.Decide(ctx, m.PVStaff, d.ID, order.DecisionInput{Refund: 1, Message: "mine"}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("the merchant decides: %v", err)
		}
		if _, err := m.Orders.Escalate(ctx, buyer, d.ID); !errs.Is(err, errs.Conflict) {
			t.Errorf("escalated before the merchant answered: %v", err)
		}
		if _, err := m.Orders.PostMessage(ctx, m.PVStaff, d.ID, order.MessageInput{Message: "Sorry: we refund it."}); err != nil {
			t.Fatal(err)
		}
		r, err := m.Orders.Answer(ctx, m.PVStaff, d.ID, order.AnswerInput{Action: "refund"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != order.DisputeClosed || r.Outcome != order.OutcomeRefunded || r.Refund == nil || *r.Refund != o.Total || r.DecidedBy != order.PartyMerchant || len(r.Messages) != 2 {
			t.Fatalf("refunded: %+v", r)
		}
		got, _ = m.Orders.Order(ctx, buyer, o.ID)
		if got.Status != order.Refunded || got.Refund == nil || got.Refund.Amount != o.Total || got.Refund.Settlement != o.Settlement {
			t.Fatalf("the order: %s %+v", got.Status, got.Refund)
		}
		if n, ref := refundRow(t, db, o.ID); n != o.Total.Minor || ref == "" {
			t.Errorf("the refund row: %d %q", n, ref)
		}
		b := balances(t, m, m.Provence.ID)
		if b["held EUR"] != 0 || b["fees EUR"] != 0 || b["available EUR"] != 0 {
			t.Errorf("the merchant's ledger: %v", b)
		}
		if c := balances(t, m, ""); c["clearing EUR"] != 0 {
			t.Errorf("clearing: %v", c)
		}
		if _, err := m.Orders.PostMessage(ctx, buyer, d.ID, order.MessageInput{Message: "thanks"}); !errs.Is(err, errs.Conflict) {
			t.Errorf("a message after closing: %v", err)
		}
		if countEvents(t, db, events.OrderRefunded, o.ID) != 1 || countEvents(t, db, events.DisputeClosed, d.ID) != 1 {
			t.Error("the closing events")
		}
	})
}

// TestPartialRefundReversesCommission: the merchant offers part of what
// was asked, the buyer accepts: the order is completed, the offer refunded,
// and the ledger takes back the same share of the settlement and of the
// commission; the rest of the settlement is available.
func TestPartialRefundReversesCommission(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		buyer := m.Buyer(t)
		o := delivered(t, m, buyer)
		d, err := m.Orders.OpenDispute(ctx, buyer, o.ID, order.DisputeInput{Reason: order.ReasonNotAsDescribed, Message: "Not lavender at all."})
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []int64{0, o.Total.Minor, o.Total.Minor + 1} {
			if _, err := m.Orders.Answer(ctx, m.PVStaff, d.ID, order.AnswerInput{Action: "offer", Amount: bad}); !errs.Is(err, errs.Invalid) {
				t.Errorf("an offer of %d: %v", bad, err)
			}
		}
		offer := o.Total.Minor / 3
		a, err := m.Orders.Answer(ctx, m.PVStaff, d.ID, order.AnswerInput{Action: "offer", Amount: offer, Message: "A third back?"})
		if err != nil || a.Status != order.DisputeAwaitingBuyer || a.Offer == nil || a.Offer.Minor != offer {
			t.Fatalf("offered: %+v %v", a, err)
		}
		if _, err := m.Orders.Answer(ctx, m.PVStaff, d.ID, order.AnswerInput{Action: "refund"}); !errs.Is(err, errs.Conflict) {
			t.Errorf("answered twice: %v", err)
		}
		r, err := m.Orders.Accept(ctx, buyer, d.ID)
		if err != nil || r.Outcome != order.OutcomePartiallyRefunded || r.Refund.Minor != offer {
			t.Fatalf("accepted: %+v %v", r, err)
		}
		got, _ := m.Orders.Order(ctx, buyer, o.ID)
		settle, com, err := order.RefundShare(o, money.Amount{Minor: offer, Currency: o.Total.Currency})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != order.Completed || got.ConfirmedAt == nil || got.Refund == nil || got.Refund.Settlement != settle || got.Refund.Commission != com {
			t.Fatalf("the order: %s %+v", got.Status, got.Refund)
		}
		// The shares are the offer's share of each, to the minor unit (the
		// order's total also holds the VAT the marketplace collected, which
		// is not the merchant's).
		wantS, _ := o.Settlement.Allocate([]int64{offer, o.Total.Minor - offer})
		wantC, _ := o.Commission.Allocate([]int64{offer, o.Total.Minor - offer})
		if settle != wantS[0] || com != wantC[0] || com.Minor == 0 || com.Minor >= o.Commission.Minor {
			t.Errorf("shares %d + %d of a refund of %d of %d (settlement %d, commission %d)", settle.Minor, com.Minor, offer, o.Total.Minor, o.Settlement.Minor, o.Commission.Minor)
		}
		b := balances(t, m, m.Provence.ID)
		if b["held EUR"] != 0 || b["available EUR"] != o.Settlement.Minor-settle.Minor || b["fees EUR"] != o.Commission.Minor-com.Minor {
			t.Errorf("the merchant's ledger: %v (settlement %d, commission %d)", b, o.Settlement.Minor, o.Commission.Minor)
		}
		if c := balances(t, m, ""); c["clearing EUR"] != -(o.Settlement.Minor + o.Commission.Minor - settle.Minor - com.Minor) {
			t.Errorf("clearing: %v", c)
		}
		var kinds []string
		for _, p := range postings(t, m, m.Provence.ID) {
			kinds = append(kinds, string(p.Kind))
		}
		if len(kinds) != 2 || kinds[0] != "paid" || kinds[1] != "refunded" {
			t.Errorf("postings: %v", kinds)
		}
	})
}

// TestDisputeDeadlines: a merchant's silence refunds the buyer what they
// asked for (after a kill, the refund timer completes it once); a buyer's
// silence accepts the offer; a buyer's silence on a contested claim drops
// it and the order completes with its whole settlement available. The
// protection never confirms an order while its dispute is open, however
// long an operator takes.
func TestDisputeDeadlines(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		r := disputeRunner(db, m)
		buyer := m.Buyer(t)
		silent, offered, contested, escalated := delivered(t, m, buyer), delivered(t, m, buyer), delivered(t, m, buyer), delivered(t, m, buyer)
		open := func(o order.Order, refund int64) order.Dispute {
			d, err := m.Orders.OpenDispute(ctx, buyer, o.ID, order.DisputeInput{Reason: order.ReasonNotReceived, Message: "Nothing came.", Refund: refund})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		ds := open(silent, silent.Total.Minor-100)
		do := open(offered, 0)
		dc := open(contested, 0)
		de := open(escalated, 0)
		if _, err := m.Orders.Answer(ctx, m.PVStaff, do.ID, order.AnswerInput{Action: "offer", Amount: 250}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Orders.Answer(ctx, m.PVStaff, dc.ID, order.AnswerInput{Action: "contest"}); !errs.Is(err, errs.Invalid) {
			t.Errorf("a contest without a message: %v", err)
		}
		for _, id := range []string{dc.ID, de.ID} {
			if _, err := m.Orders.Answer(ctx, m.PVStaff, id, order.AnswerInput{Action: "contest", Message: "Tracking shows it delivered."}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := m.Orders.Escalate(ctx, buyer, de.ID); err != nil {
			t.Fatal(err)
		}
		m.Clock.Advance(order.MerchantReplyDays*day - time.Hour)
		runTimers(t, r)
		if d, _ := m.Orders.Dispute(ctx, buyer, ds.ID); d.Status != order.DisputeAwaitingMerchant {
			t.Fatalf("before the deadline: %s", d.Status)
		}
		m.Clock.Advance(2 * time.Hour)
		runTimers(t, r) // the deadline decides a refund
		if d, _ := m.Orders.Dispute(ctx, buyer, ds.ID); d.Status != order.DisputeRefunding || d.DecidedBy != order.PartyDeadline {
			t.Fatalf("after the deadline: %s", d.Status)
		}
		m.Clock.Advance(2 * time.Minute)
		runTimers(t, r) // its refund timer makes it
		d, _ := m.Orders.Dispute(ctx, buyer, ds.ID)
		if d.Status != order.DisputeClosed || d.Outcome != order.OutcomePartiallyRefunded || d.Refund.Minor != silent.Total.Minor-100 {
			t.Fatalf("the silent merchant's dispute: %+v", d)
		}
		if n, _ := refundRow(t, db, silent.ID); n != silent.Total.Minor-100 {
			t.Errorf("refund row %d", n)
		}
		m.Clock.Advance(order.BuyerReplyDays * day)
		runTimers(t, r)
		m.Clock.Advance(2 * time.Minute)
		runTimers(t, r)
		if d, _ := m.Orders.Dispute(ctx, buyer, do.ID); d.Outcome != order.OutcomePartiallyRefunded || d.Refund.Minor != 250 || d.DecidedBy != order.PartyDeadline {
			t.Errorf("the silent buyer's offer: %+v", d)
		}
		if d, _ := m.Orders.Dispute(ctx, buyer, dc.ID); d.Outcome != order.OutcomeRejected {
			t.Errorf("the silent buyer's contested claim: %+v", d)
		}
		if o, _ := m.Orders.Order(ctx, buyer, contested.ID); o.Status != order.Completed || o.Refund != nil {
			t.Errorf("the contested order: %s", o.Status)
		}
		// Weeks later, short of the hold limit, the escalated dispute still
		// waits for an operator: its order neither confirmed itself nor was
		// refunded.
		m.Clock.Advance(escalated.CreatedAt.Add(order.ProtectionLimit - time.Hour).Sub(m.Clock.Now()))
		runTimers(t, r)
		if o, _ := m.Orders.Order(ctx, buyer, escalated.ID); o.Status != order.Disputed {
			t.Errorf("the escalated order: %s", o.Status)
		}
		if _, err := m.Orders.Decide(ctx, identity.System, de.ID, order.DecisionInput{Refund: escalated.Total.Minor + 1, Message: "x"}); !errs.Is(err, errs.Invalid) {
			t.Errorf("a decision beyond the total: %v", err)
		}
		d, err := m.Orders.Decide(ctx, identity.System, de.ID, order.DecisionInput{Refund: 0, Message: "The carrier's proof of delivery holds."})
		if err != nil || d.Outcome != order.OutcomeRejected || d.DecidedBy != order.PartyOperator {
			t.Fatalf("decided: %+v %v", d, err)
		}
		b := balances(t, m, m.Provence.ID)
		if b["held EUR"] != 0 {
			t.Errorf("held after every dispute closed: %v", b)
		}
	})
}

// failing is a provider that cannot refund.
type failing struct{ payment.Sandbox }

func (failing) Refund(context.Context, string, string, money.Amount) (payment.Result, error) {
	return payment.Result{}, errs.E("test", errs.Unavailable, "down")
}

// TestRefundSurvivesTheProvider: a refund decided while the provider is
// down is recorded (the dispute is refunding) and completed once by its
// timer when the provider is back, however often the timer fires.
func TestRefundSurvivesTheProvider(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		r := disputeRunner(db, m)
		buyer := m.Buyer(t)
		o := delivered(t, m, buyer)
		d, err := m.Orders.OpenDispute(ctx, buyer, o.ID, order.DisputeInput{Reason: order.ReasonWrongItem, Message: "A candle, not soap."})
		if err != nil {
			t.Fatal(err)
		}
		m.Orders.Providers["sandbox"] = failing{}
		got, err := m.Orders.Answer(ctx, m.PVStaff, d.ID, order.AnswerInput{Action: "refund"})
		if err != nil || got.Status != order.DisputeRefunding {
			t.Fatalf("answered while the provider is down: %+v %v", got, err)
		}
		m.Clock.Advance(2 * time.Minute)
		runTimers(t, r) // fails, retried later
		if d, _ := m.Orders.Dispute(ctx, buyer, d.ID); d.Status != order.DisputeRefunding {
			t.Fatalf("while down: %s", d.Status)
		}
		m.Orders.Providers["sandbox"] = payment.Sandbox{}
		m.Clock.Advance(time.Hour)
		runTimers(t, r)
		// The timer fires again, as after a kill before its deletion.
		if err := m.Orders.DisputeRefundTimer(ctx, timers.Timer{Payload: []byte(`{"order":"` + o.ID + `","dispute":"` + d.ID + `"}`)}); err != nil {
			t.Fatal(err)
		}
		if d, _ := m.Orders.Dispute(ctx, buyer, d.ID); d.Status != order.DisputeClosed || d.Outcome != order.OutcomeRefunded {
			t.Fatalf("after: %+v", d)
		}
		if countEvents(t, db, events.OrderRefunded, o.ID) != 1 {
			t.Error("refunded twice")
		}
	})
}

// TestWithdrawResumesProtection: a dispute withdrawn gives the order back
// its status and what was left of its protection, which then confirms it.
func TestWithdrawResumesProtection(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		r := disputeRunner(db, m)
		buyer := m.Buyer(t)
		o := delivered(t, m, buyer)
		m.Clock.Advance(3 * day)
		left := o.ProtectionEndsAt.Sub(m.Clock.Now())
		d, err := m.Orders.OpenDispute(ctx, buyer, o.ID, order.DisputeInput{Reason: order.ReasonNotAsDescribed, Message: "Smaller than shown."})
		if err != nil {
			t.Fatal(err)
		}
		m.Clock.Advance(2 * day)
		if _, err := m.Orders.Withdraw(ctx, m.PVStaff, d.ID); !errs.Is(err, errs.Forbidden) {
			t.Errorf("the merchant withdraws: %v", err)
		}
		w, err := m.Orders.Withdraw(ctx, buyer, d.ID)
		if err != nil || w.Outcome != order.OutcomeWithdrawn {
			t.Fatalf("withdrawn: %+v %v", w, err)
		}
		got, _ := m.Orders.Order(ctx, buyer, o.ID)
		if got.Status != order.Delivered || !got.ProtectionEndsAt.Equal(m.Clock.Now().UTC().Add(left)) {
			t.Fatalf("resumed: %s %v, want %v", got.Status, got.ProtectionEndsAt, m.Clock.Now().UTC().Add(left))
		}
		if _, err := m.Orders.OpenDispute(ctx, buyer, o.ID, order.DisputeInput{Reason: order.ReasonDamaged, Message: "again"}); !errs.Is(err, errs.Conflict) {
			t.Errorf("reopened: %v", err)
		}
		m.Clock.Advance(left + time.Minute)
		runTimers(t, r)
		if got, _ := m.Orders.Order(ctx, buyer, o.ID); got.Status != order.Completed {
			t.Errorf("after the resumed protection: %s", got.Status)
		}
	})
}

// TestDisputeRefusals: a dispute of an order not shipped, of one whose
// protection ended, or with a bad reason, refund, message or photo is
// refused and changes nothing.
func TestDisputeRefusals(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		buyer, other := m.Buyer(t), m.Buyer(t)
		paid := paidSoap(t, m, buyer)
		o := delivered(t, m, buyer)
		pic := photoPNG(t)
		// A file of a few kilobytes that decodes to 25 million pixels.
		var huge bytes.Buffer
		if err := png.Encode(&huge, image.NewGray(image.Rect(0, 0, 5000, 5000))); err != nil || huge.Len() > order.MaxPhotoBytes {
			t.Fatalf("%d bytes, %v", huge.Len(), err)
		}
		before, err := db.Fingerprint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		good := order.DisputeInput{Reason: order.ReasonDamaged, Message: "Broken."}
		for name, c := range map[string]struct {
			id   string
			in   func(order.DisputeInput) order.DisputeInput
			kind errs.Kind
		}{
			"not shipped":      {paid.ID, func(in order.DisputeInput) order.DisputeInput { return in }, errs.Conflict},
			"a reason unknown": {o.ID, func(in order.DisputeInput) order.DisputeInput { in.Reason = "changed_my_mind"; return in }, errs.Invalid},
			"no message":       {o.ID, func(in order.DisputeInput) order.DisputeInput { in.Message = "  "; return in }, errs.Invalid},
			"beyond the total": {o.ID, func(in order.DisputeInput) order.DisputeInput { in.Refund = o.Total.Minor + 1; return in }, errs.Invalid},
			"a text as a photo": {o.ID, func(in order.DisputeInput) order.DisputeInput {
				in.Photos = []order.PhotoUpload{{Data: []byte("hello")}}
				return in
			}, errs.Invalid},
			"a truncated photo": {o.ID, func(in order.DisputeInput) order.DisputeInput {
				in.Photos = []order.PhotoUpload{{Data: pic[:40]}}
				return in
			}, errs.Invalid},
			"a photo of 25 million pixels": {o.ID, func(in order.DisputeInput) order.DisputeInput {
				in.Photos = []order.PhotoUpload{{Data: huge.Bytes()}}
				return in
			}, errs.Invalid},
			"four photos": {o.ID, func(in order.DisputeInput) order.DisputeInput {
				in.Photos = []order.PhotoUpload{{Data: pic}, {Data: pic}, {Data: pic}, {Data: pic}}
				return in
			}, errs.Invalid},
		} {
			if _, err := m.Orders.OpenDispute(ctx, buyer, c.id, c.in(good)); !errs.Is(err, c.kind) {
				t.Errorf("%s: %v, want %v", name, err, c.kind)
			}
		}
		if _, err := m.Orders.OpenDispute(ctx, other, o.ID, good); !errs.Is(err, errs.NotFound) {
			t.Errorf("another buyer: %v", err)
		}
		if after, _ := db.Fingerprint(ctx); after != before {
			t.Error("a refused dispute changed the database")
		}
		m.Clock.Advance(o.ProtectionEndsAt.Sub(m.Clock.Now()) + time.Second)
		if _, err := m.Orders.OpenDispute(ctx, buyer, o.ID, good); !errs.Is(err, errs.Conflict) {
			t.Errorf("after the protection: %v", err)
		}
	})
}
