package order

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/timers"
)

// TimerReserveRelease is the timer kind that makes an order's reserve
// available once its plan's days have passed.
const TimerReserveRelease = "order.reserve_release"

type reservePayload struct {
	Order string `json:"order"`
}

// ReserveTimer is the timer that releases order o's reserve, its plan's
// days after at (when the order completed): one per order.
func ReserveTimer(o Order, at time.Time) (timers.Timer, error) {
	days := 0
	if o.Reserve != nil {
		days = o.Reserve.Days
	}
	t, err := timers.New(TimerReserveRelease, at.UTC().Add(time.Duration(days)*24*time.Hour), reservePayload{Order: o.ID})
	if err != nil {
		return t, errs.E("order.ReserveTimer", errs.Internal, err)
	}
	t.Dedupe, t.CreatedAt = TimerReserveRelease+":"+o.ID, at.UTC()
	return t, nil
}

// ClawbackStore is what reserves and refunds after completion need of
// the store.
type ClawbackStore interface {
	// ReleaseReserve makes what is left of order orderID's reserve
	// available in one transaction, once (a reserve_released posting),
	// with the event ev makes of the posting; it returns the posting, or
	// nil when nothing is left (released already, or taken by a refund).
	// NotFound if there is no such order.
	ReleaseReserve(ctx context.Context, orderID string, at time.Time, ev func(Posting) events.Event) (*Posting, error)
	// Clawback refunds completed order id after its completion, in one
	// transaction: step, given the order as stored, returns it refunded
	// (in full: Refunded; in part: Completed with its Refund), the refund's
	// record and the events; the store posts ClawbackPosting with what is
	// left of the order's reserve and what its merchant has available,
	// reading them under the merchant's lock. step's error is returned and
	// nothing is written. NotFound if there is no such order.
	Clawback(ctx context.Context, id string, at time.Time, step func(o Order) (Order, RefundRecord, []events.Event, error)) (Order, error)
	// SetRefundRef records the provider's id of order orderID's refund
	// (a cancellation's, made before the store recorded it).
	SetRefundRef(ctx context.Context, orderID, ref string) error
}

// ReserveReleaseTimer is the handler of TimerReserveRelease: the order's
// reserve becomes available, once; fired again, or for an order whose
// reserve a refund took, it does nothing.
func (s *Service) ReserveReleaseTimer(ctx context.Context, t timers.Timer) error {
	var p reservePayload
	if err := json.Unmarshal(t.Payload, &p); err != nil || p.Order == "" {
		return nil
	}
	_, err := s.Store.ReleaseReserve(ctx, p.Order, s.Now().UTC(), func(pt Posting) events.Event {
		return events.New(events.LedgerReserveReleased, pt.OrderID, pt.MerchantID, pt.CreatedAt, events.ReserveRelease{V: events.ReserveReleaseV1,
			OrderID: pt.OrderID, MerchantID: pt.MerchantID, Currency: pt.Currency, Amount: amountOf(pt, Available), At: pt.CreatedAt})
	})
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	return err
}

// amountOf is what posting p moved on account a.
func amountOf(p Posting, a Account) int64 {
	var n int64
	for _, e := range p.Entries {
		if e.Account == a {
			n += e.Amount.Minor
		}
	}
	return n
}

// ClawbackInput is an operator's refund of a completed order.
type ClawbackInput struct {
	Amount int64  `json:"amount" minimum:"1" doc:"The refund, in minor units of the order's currency: at most its total"`
	Reason string `json:"reason" minLength:"1" maxLength:"500" doc:"Why, as the buyer and the merchant read it (a chargeback, goods recalled)"`
}

// RefundCompleted is an operator's refund of an order after it completed
// (a chargeback the marketplace accepted, goods recalled): the buyer is
// refunded through the payment provider (idempotently, by the order's
// refund key), and the merchant gives back the refunded share of its
// settlement, from the order's reserve first, then from what it has
// available; what it lacks, its money paid out already, it owes, and its
// next payouts recover it (ClawbackPosting). The refunded share of the
// commission is reversed. An order refunded once, by a dispute or an
// operator, is not refunded again. Errors: Unauthenticated, Forbidden (not
// an operator), NotFound, Invalid (amount, reason), Conflict (not
// completed, or refunded already), Unavailable (the provider).
func (s *Service) RefundCompleted(ctx context.Context, actor identity.Actor, id string, in ClawbackInput) (Order, error) {
	const op = "order.RefundCompleted"
	switch {
	case actor.IsAnonymous():
		return Order{}, errs.E(op, errs.Unauthenticated, "sign in")
	case !actor.IsOperator():
		return Order{}, errs.E(op, errs.Forbidden, "only operators refund a completed order")
	}
	reason, err := messageText(op, "reason", in.Reason, true)
	if err != nil {
		return Order{}, err
	}
	if len(reason) > 500 {
		return Order{}, errs.Field(op, "reason", "at most 500 characters")
	}
	o, err := s.Store.Order(ctx, id)
	if err != nil {
		return Order{}, err
	}
	if err := refundable(op, o, in.Amount); err != nil {
		return Order{}, err
	}
	co, err := s.Store.Checkout(ctx, o.CheckoutID)
	if err != nil {
		return Order{}, err
	}
	prov, ok := s.Providers[co.Payment.Provider]
	if !ok {
		return Order{}, errs.E(op, errs.Unavailable, "the payment's provider is not configured")
	}
	refund := money.Amount{Minor: in.Amount, Currency: o.Total.Currency}
	res, err := prov.Refund(ctx, co.Payment.ProviderRef, "refund/"+o.ID, refund)
	if err != nil {
		return Order{}, errs.E(op, errs.Unavailable, err)
	}
	return s.Store.Clawback(ctx, o.ID, s.Now().UTC(), func(o Order) (Order, RefundRecord, []events.Event, error) {
		at := s.Now().UTC()
		if err := refundable(op, o, in.Amount); err != nil {
			return o, RefundRecord{}, nil, err
		}
		settle, com, err := RefundShare(o, refund)
		if err != nil {
			return o, RefundRecord{}, nil, err
		}
		o.Refund = &OrderRefund{Amount: refund, Settlement: settle, Commission: com, AfterCompletion: true, At: at}
		o.UpdatedAt = at
		if refund.Minor == o.Total.Minor {
			o.Status = Refunded
		}
		return o, RefundRecord{OrderID: o.ID, Amount: refund, ProviderRef: res.Ref}, []events.Event{orderEvent(events.OrderRefunded, o, reason, at)}, nil
	})
}

// refundable checks that an operator may refund amount of order o after
// its completion.
func refundable(op string, o Order, amount int64) error {
	switch {
	case amount < 1 || amount > o.Total.Minor:
		return errs.Field(op, "amount", fmt.Sprintf("1 to the order's total, %d", o.Total.Minor))
	case o.Status != Completed:
		return errs.E(op, errs.Conflict, "only a completed order is refunded this way; a "+wording(o.Status)+" one is not")
	case o.Refund != nil:
		return errs.E(op, errs.Conflict, "the order was refunded already")
	}
	return nil
}
