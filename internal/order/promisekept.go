package order

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/pricing"
	"github.com/sesame-market/sesame/internal/promise"
	"github.com/sesame-market/sesame/internal/timers"
)

// TimerPromiseDue is the timer kind that decides an order's delivery
// promise the day after its latest promised day.
const TimerPromiseDue = "order.promise_due"

// CompensationDays is how long a late order's coupon is valid.
const CompensationDays = 90

// PostCompensation: a late order's compensation was charged to its
// merchant, who ran the warehouse that sent it late: the coupon's value,
// taken from what the merchant has available, the rest owed; clearing,
// which will pay for the coupon, receives it.
const PostCompensation PostingKind = "compensation"

type promisePayload struct {
	Order string `json:"order"`
}

// PromiseTimer is the timer that decides order o's promise: at midnight
// UTC after the latest day of its latest parcel. One per order.
func PromiseTimer(o Order, at time.Time) (timers.Timer, bool, error) {
	var last promise.Date
	for _, p := range o.Parcels {
		if p.Latest.After(last) {
			last = p.Latest
		}
	}
	if last.IsZero() {
		return timers.Timer{}, false, nil
	}
	next := last.AddDays(1)
	t, err := timers.New(TimerPromiseDue, time.Date(next.Year(), next.Month(), next.Day(), 0, 0, 0, 0, time.UTC), promisePayload{Order: o.ID})
	if err != nil {
		return t, false, errs.E("order.PromiseTimer", errs.Internal, err)
	}
	t.Dedupe, t.CreatedAt = TimerPromiseDue+":"+o.ID, at.UTC()
	return t, true, nil
}

// PromiseWarehouse is what deciding a promise needs of the warehouse that
// sent a parcel: the lane's origin (its region, else its country) and who
// runs it.
type PromiseWarehouse struct {
	Origin            string
	OwnerMerchantID   string
	OperatorPartnerID string
}

// PromiseDecision is what deciding an order's promise writes, in one
// transaction: each parcel's outcome and, for a late order, the buyer's
// coupon, its compensation and, when its merchant pays for it, the
// merchant's posting.
type PromiseDecision struct {
	Outcomes     []events.ParcelOutcome
	Coupon       *Coupon
	Compensation *events.Compensation
	// Charge is the compensation's value in the merchant's settlement
	// currency, when the merchant pays for it; the store posts it
	// (CompensationPosting) with what the merchant has available.
	Charge int64
	Events []events.Event
}

// PromiseStore is what deciding promises needs of the store.
type PromiseStore interface {
	// SchedulePromise writes timer t; one of the same Dedupe still pending
	// is kept instead.
	SchedulePromise(ctx context.Context, t timers.Timer) error
	// DecidePromise decides order orderID's promise, once, in one
	// transaction: step, given the order and the warehouses of its parcels,
	// returns the decision, which the store writes with the merchant's
	// posting (under its lock, for a Charge). An order decided already is
	// left as it is, and its decision returned empty. NotFound if there is
	// no such order.
	DecidePromise(ctx context.Context, orderID string, at time.Time, step func(o Order, whs map[string]PromiseWarehouse) (PromiseDecision, error)) (PromiseDecision, error)
	// OnTime counts the outcomes of the promises decided since since, of
	// one warehouse (warehouseID) or of all, by lane.
	OnTime(ctx context.Context, warehouseID string, since time.Time) ([]LaneOnTime, error)
	// PromiseWarehouse returns warehouse id as promises see it. NotFound
	// if there is none.
	PromiseWarehouse(ctx context.Context, id string) (PromiseWarehouse, error)
}

// LaneOnTime counts the promises of one lane (from a warehouse's origin to
// a country, by a carrier) kept and missed.
type LaneOnTime struct {
	WarehouseID string `json:"warehouse_id"`
	From        string `json:"from" doc:"The origin: the warehouse's region, else its country"`
	To          string `json:"to" doc:"The country the parcels went to"`
	Carrier     string `json:"carrier"`
	Kept        int    `json:"kept"`
	Missed      int    `json:"missed"`
}

// FollowPromises is the consumer of the order events that keeps the
// promises: an order paid gets the timer that decides its promise (the day
// after its latest day). Redelivered, it schedules nothing more while that
// timer is pending; after it fired, the decision is made once anyway.
func (s *Service) FollowPromises(ctx context.Context, e events.Event) error {
	if e.Type != events.OrderPaid {
		return nil
	}
	var p events.OrderChange
	if err := json.Unmarshal(e.Payload, &p); err != nil || p.OrderID == "" {
		return nil // not an event Sesame wrote
	}
	o, err := s.Store.Order(ctx, p.OrderID)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	t, ok, err := PromiseTimer(o, s.Now())
	if err != nil || !ok {
		return err
	}
	return s.Store.SchedulePromise(ctx, t)
}

// PromiseDueTimer is the handler of TimerPromiseDue: the order's promise
// is decided. Each parcel is on time when the order arrived (its delivery
// recorded, else its buyer's confirmation) by the parcel's latest day, in
// UTC. An order not paid, or cancelled before it shipped, promised nothing
// more. A late order whose buyer was not refunded in full gets the
// channel's compensation: a coupon worth its late_coupon_bps of the
// order's total, for that buyer only, on that channel, once, valid
// CompensationDays; whoever ran the warehouse that sent the late parcel
// pays for it: the partner that operates it (recorded, for the partner's
// invoice), else the merchant (a compensation posting). Fired again, it
// does nothing.
func (s *Service) PromiseDueTimer(ctx context.Context, t timers.Timer) error {
	var p promisePayload
	if err := json.Unmarshal(t.Payload, &p); err != nil || p.Order == "" {
		return nil
	}
	const op = "order.PromiseDueTimer"
	probe, err := s.Store.Order(ctx, p.Order)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	prot, err := s.protection(ctx, probe)
	if err != nil {
		return err
	}
	bps := int64(prot.LateCoupon())
	_, err = s.Store.DecidePromise(ctx, p.Order, s.Now().UTC(), func(o Order, whs map[string]PromiseWarehouse) (PromiseDecision, error) {
		return decidePromise(op, o, whs, bps, s.Now().UTC())
	})
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	return err
}

// decidePromise is the decision of order o's promise at at, the channel
// compensating a late order with bps of its total.
func decidePromise(op string, o Order, whs map[string]PromiseWarehouse, bps int64, at time.Time) (PromiseDecision, error) {
	var d PromiseDecision
	switch o.Status {
	case PendingPayment, Cancelled:
		return d, nil
	}
	arrived := o.DeliveredAt
	if arrived == nil && o.Status == Completed {
		arrived = o.ConfirmedAt
	}
	late := ""
	for _, p := range o.Parcels {
		w := whs[p.WarehouseID]
		on := arrived != nil && !promise.DateOf(*arrived, time.UTC).After(p.Latest)
		d.Outcomes = append(d.Outcomes, events.ParcelOutcome{WarehouseID: p.WarehouseID, LaneFrom: w.Origin, ToCountry: o.Address.Country,
			Carrier: p.Carrier, Latest: p.Latest.String(), ArrivedAt: arrived, OnTime: on})
		if !on && late == "" {
			late = p.WarehouseID
		}
	}
	if len(d.Outcomes) == 0 {
		return d, nil
	}
	d.Events = append(d.Events, events.New(events.PromiseDecided, o.ID, o.MerchantID, at, events.PromiseOutcome{V: events.PromiseOutcomeV1,
		OrderID: o.ID, MerchantID: o.MerchantID, Parcels: d.Outcomes, At: at}))
	refundedInFull := o.Status == Refunded || o.Refund != nil && o.Refund.Amount.Minor >= o.Total.Minor
	value := o.Total.Minor * bps / 10000
	if late == "" || refundedInFull || value <= 0 {
		return d, nil
	}
	code, err := compensationCode()
	if err != nil {
		return d, errs.E(op, errs.Internal, err)
	}
	amount := money.Amount{Minor: value, Currency: o.Total.Currency}
	validTo := at.Add(days(CompensationDays))
	d.Coupon = &Coupon{ID: ids.New(ids.Coupon), Code: code, ChannelID: o.ChannelID, Kind: Fixed, Amount: amount, MaxUses: 1, MaxPerBuyer: 1,
		BuyerID: o.BuyerID, ValidFrom: at, ValidTo: validTo, CreatedAt: at}
	w := whs[late]
	liable, liableID := "merchant", o.MerchantID
	if w.OperatorPartnerID != "" {
		liable, liableID = "partner", w.OperatorPartnerID
	}
	d.Compensation = &events.Compensation{V: events.CompensationV1, OrderID: o.ID, MerchantID: o.MerchantID, BuyerID: o.BuyerID, ChannelID: o.ChannelID,
		CouponCode: code, Amount: value, Currency: amount.Currency, ValidTo: validTo, Liable: liable, LiableID: liableID, At: at}
	if liable == "merchant" {
		charge := amount
		if charge.Currency != o.Settlement.Currency {
			r, err := money.ParseRate(o.FXRate)
			if err != nil {
				return d, errs.E(op, errs.Internal, fmt.Errorf("order %s: %w", o.ID, err))
			}
			if charge, err = charge.Convert(o.Settlement.Currency, r, pricing.FXRounding); err != nil {
				return d, errs.E(op, errs.Internal, err)
			}
		}
		d.Charge = charge.Minor
	}
	d.Events = append(d.Events, events.New(events.OrderCompensated, o.ID, o.MerchantID, at, *d.Compensation))
	return d, nil
}

// CompensationPosting is the posting of a late order's compensation
// charged to its merchant: charge, in the settlement currency, from what
// the merchant has available, the rest owed (its next payouts recover it),
// to clearing.
func CompensationPosting(o Order, charge, available int64, at time.Time) *Posting {
	cur := o.Settlement.Currency
	fromAvailable := min(charge, max(available, 0))
	p := &Posting{ID: ids.New(ids.Posting), Kind: PostCompensation, OrderID: o.ID, MerchantID: o.MerchantID, Currency: cur, CreatedAt: at.UTC(),
		Entries: []Entry{{Account: Clearing, Amount: money.Amount{Minor: charge, Currency: cur}}}}
	for _, e := range []Entry{{Account: Available, Amount: money.Amount{Minor: -fromAvailable}}, {Account: Owed, Amount: money.Amount{Minor: fromAvailable - charge}}} {
		if e.Amount.Minor != 0 {
			e.MerchantID, e.Amount.Currency = o.MerchantID, cur
			p.Entries = append(p.Entries, e)
		}
	}
	return p
}

// compensationCode is a new coupon code: LATE- and ten letters and digits
// (about 51 bits), which no one guesses.
func compensationCode() (string, error) {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	out := []byte("LATE-")
	for _, c := range b {
		out = append(out, alphabet[int(c)%len(alphabet)])
	}
	return string(out), nil
}

// OnTime is how often warehouse warehouseID (or every warehouse, "") kept
// its promises over the last days days, by lane: operators see every
// warehouse's; a warehouse's owner merchant and the partner that operates
// it see theirs. Errors: Unauthenticated, NotFound (not the actor's
// warehouse), Invalid (days).
func (s *Service) OnTime(ctx context.Context, actor identity.Actor, warehouseID string, days int) ([]LaneOnTime, error) {
	const op = "order.OnTime"
	switch {
	case actor.IsAnonymous():
		return nil, errs.E(op, errs.Unauthenticated, "sign in")
	case days < 1 || days > 366:
		return nil, errs.Field(op, "days", "1 to 366")
	case warehouseID == "" && !actor.IsOperator():
		return nil, errs.E(op, errs.Forbidden, "only operators see every warehouse's")
	}
	if warehouseID != "" && !actor.IsOperator() {
		w, err := s.Store.PromiseWarehouse(ctx, warehouseID)
		if err != nil {
			return nil, err
		}
		if !actor.ActsFor(w.OwnerMerchantID) && !actor.OperatesFor(w.OperatorPartnerID) {
			return nil, errs.E(op, errs.NotFound, "warehouse not found")
		}
	}
	return s.Store.OnTime(ctx, warehouseID, s.Now().UTC().Add(-time.Duration(days)*24*time.Hour))
}
