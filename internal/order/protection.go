package order

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/timers"
)

// Shipment is what an order records after payment: its shipment, its
// delivery, its confirmation and the buyer protection between them.
type Shipment struct {
	ShippedAt      *time.Time `json:"shipped_at,omitempty"`
	Carrier        string     `json:"carrier,omitempty"`
	TrackingNumber string     `json:"tracking_number,omitempty"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty"`
	// ConfirmedAt is when the order was completed: its buyer confirmed
	// receipt, or its protection ended.
	ConfirmedAt *time.Time `json:"confirmed_at,omitempty" doc:"When the order was confirmed (status completed): by its buyer, or when its protection ended"`
	// ProtectionEndsAt is when the order confirms itself unless its buyer
	// confirms or disputes it first.
	ProtectionEndsAt   *time.Time `json:"protection_ends_at,omitempty" doc:"When the order confirms itself (the buyer's protection ends) unless the buyer confirms it first"`
	ProtectionExtended bool       `json:"protection_extended" doc:"The buyer extended the protection (once at most)"`
}

// ProtectionLimit is the latest a buyer's protection ends, counted from
// the order (its payment completes within the checkout hold of that):
// however a channel's protection runs (channel.Protection) and whatever its
// buyer extends, the order confirms itself by then.
const ProtectionLimit = 90 * 24 * time.Hour

// TimerAutoConfirm is the timer kind that confirms an order whose buyer
// protection ended.
const TimerAutoConfirm = "order.auto_confirm"

type autoConfirmPayload struct {
	Order string `json:"order"`
}

// ShipInput is the carrier and the tracking number of a shipment.
type ShipInput struct {
	Carrier        string `json:"carrier" minLength:"1" maxLength:"100" doc:"The carrier's name"`
	TrackingNumber string `json:"tracking_number" minLength:"1" maxLength:"100" doc:"The carrier's tracking number of the parcel"`
}

// protection is the buyer protection of order o's channel.
func (s *Service) protection(ctx context.Context, o Order) (channel.Protection, error) {
	p, err := s.Channels.Protection(ctx, o.ChannelID)
	if err != nil {
		return p, errs.E("order.protection", errs.Other, err)
	}
	return p, nil
}

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// limit is the latest order o's protection may end.
func limit(o Order) time.Time { return o.CreatedAt.UTC().Add(ProtectionLimit) }

// autoConfirm is the timer that confirms order o at its ProtectionEndsAt;
// step names the transition that armed it, so that a retried transition
// schedules it once.
func autoConfirm(o Order, step string, at time.Time) (*timers.Timer, error) {
	t, err := timers.New(TimerAutoConfirm, *o.ProtectionEndsAt, autoConfirmPayload{Order: o.ID})
	if err != nil {
		return nil, errs.E("order.autoConfirm", errs.Internal, err)
	}
	t.Dedupe, t.CreatedAt = TimerAutoConfirm+":"+o.ID+":"+step, at
	return &t, nil
}

func wording(st Status) string { return strings.ReplaceAll(string(st), "_", " ") }

// merchantOrder returns an order its merchant's staff or API keys may
// act on: anyone else, operators included unless operator, finds none.
func (s *Service) merchantOrder(ctx context.Context, op string, actor identity.Actor, id string, operator bool) (Order, error) {
	o, err := s.Order(ctx, actor, id)
	if err != nil {
		return Order{}, err
	}
	if !actor.ActsFor(o.MerchantID) && !(operator && actor.IsOperator()) {
		return Order{}, errs.E(op, errs.NotFound, "order not found")
	}
	return o, nil
}

// buyerOrder returns an order of the actor's, a buyer.
func (s *Service) buyerOrder(ctx context.Context, op string, actor identity.Actor, id string) (Order, error) {
	o, err := s.Order(ctx, actor, id)
	if err != nil {
		return Order{}, err
	}
	if actor.Role != identity.Buyer || actor.UserID != o.BuyerID {
		return Order{}, errs.E(op, errs.NotFound, "order not found")
	}
	return o, nil
}

// moving is the step of Store.AdvanceOrder that moves an order to to,
// after change (given the order and the time) records what the move
// brings; when the move starts or moves the protection clock, the
// auto-confirm timer is armed under the step's name.
func moving(op string, to Status, typ string, change func(o *Order, at time.Time) error) func(Order, time.Time) (Order, *timers.Timer, []events.Event, error) {
	return func(o Order, at time.Time) (Order, *timers.Timer, []events.Event, error) {
		if !CanMove(o.Status, to) {
			return o, nil, nil, errs.E(op, errs.Conflict, "an order that is "+wording(o.Status)+" cannot be "+wording(to))
		}
		was := o.ProtectionEndsAt
		o.Status, o.UpdatedAt = to, at
		if err := change(&o, at); err != nil {
			return o, nil, nil, err
		}
		var t *timers.Timer
		if o.ProtectionEndsAt != nil && (was == nil || !was.Equal(*o.ProtectionEndsAt)) {
			var err error
			if t, err = autoConfirm(o, string(to), at); err != nil {
				return o, nil, nil, err
			}
		}
		return o, t, []events.Event{orderEvent(typ, o, "", at)}, nil
	}
}

// Ship records that the merchant sent a paid order, with its carrier and
// tracking number: its stock reservation is shipped, and the buyer's
// protection starts (the order confirms itself its channel's
// UnconfirmedDays later while no delivery is recorded). Only the order's merchant ships it. Errors:
// NotFound (not the actor's merchant's order), Invalid (no carrier or
// tracking number), Conflict (not paid).
func (s *Service) Ship(ctx context.Context, actor identity.Actor, id string, in ShipInput) (Order, error) {
	const op = "order.Ship"
	in.Carrier, in.TrackingNumber = strings.TrimSpace(in.Carrier), strings.TrimSpace(in.TrackingNumber)
	if in.Carrier == "" {
		return Order{}, errs.Field(op, "carrier", "the carrier is required")
	}
	if in.TrackingNumber == "" {
		return Order{}, errs.Field(op, "tracking_number", "the tracking number is required")
	}
	o, err := s.merchantOrder(ctx, op, actor, id, false)
	if err != nil {
		return Order{}, err
	}
	p, err := s.protection(ctx, o)
	if err != nil {
		return Order{}, err
	}
	return s.Store.AdvanceOrder(ctx, o.ID, s.Now().UTC(), moving(op, Shipped, events.OrderShipped, func(o *Order, at time.Time) error {
		end := minTime(at.Add(days(p.UnconfirmedDays)), limit(*o))
		o.ShippedAt, o.Carrier, o.TrackingNumber, o.ProtectionEndsAt = &at, in.Carrier, in.TrackingNumber, &end
		return nil
	}))
}

// Deliver records that a shipped order reached its buyer, at its
// merchant's word or an operator's (standing in for the carrier): the
// protection then ends its channel's Days later (never past its limit, nor before an
// extension the buyer made). Errors: NotFound, Conflict (not shipped).
func (s *Service) Deliver(ctx context.Context, actor identity.Actor, id string) (Order, error) {
	const op = "order.Deliver"
	o, err := s.merchantOrder(ctx, op, actor, id, true)
	if err != nil {
		return Order{}, err
	}
	p, err := s.protection(ctx, o)
	if err != nil {
		return Order{}, err
	}
	return s.Store.AdvanceOrder(ctx, o.ID, s.Now().UTC(), moving(op, Delivered, events.OrderDelivered, func(o *Order, at time.Time) error {
		end := minTime(at.Add(days(p.Days)), limit(*o))
		if o.ProtectionExtended && o.ProtectionEndsAt != nil && o.ProtectionEndsAt.After(end) {
			end = *o.ProtectionEndsAt
		}
		o.DeliveredAt, o.ProtectionEndsAt = &at, &end
		return nil
	}))
}

// ConfirmDelivery is the buyer's confirmation that a shipped or delivered
// order arrived: the order is completed and its protection ends. Errors:
// NotFound (not the buyer's), Conflict (not shipped nor delivered).
func (s *Service) ConfirmDelivery(ctx context.Context, actor identity.Actor, id string) (Order, error) {
	const op = "order.ConfirmDelivery"
	o, err := s.buyerOrder(ctx, op, actor, id)
	if err != nil {
		return Order{}, err
	}
	return s.Store.AdvanceOrder(ctx, o.ID, s.Now().UTC(), confirming(op, "confirmed_by_buyer"))
}

// confirming is the step that completes a shipped or delivered order.
func confirming(op, reason string) func(Order, time.Time) (Order, *timers.Timer, []events.Event, error) {
	return func(o Order, at time.Time) (Order, *timers.Timer, []events.Event, error) {
		if o.Status != Shipped && o.Status != Delivered {
			return o, nil, nil, errs.E(op, errs.Conflict, "an order that is "+wording(o.Status)+" cannot be confirmed")
		}
		o.Status, o.UpdatedAt, o.ConfirmedAt = Completed, at, &at
		return o, nil, []events.Event{orderEvent(events.OrderConfirmed, o, reason, at)}, nil
	}
}

// ExtendProtection moves a shipped or delivered order's auto-confirmation
// its channel's ExtensionDays later, once, at its buyer's request, never
// past ProtectionLimit after the order was placed. Errors: NotFound (not
// the buyer's), Conflict (extended already, not shipped nor delivered, at
// its limit already, or on a channel without extensions).
func (s *Service) ExtendProtection(ctx context.Context, actor identity.Actor, id string) (Order, error) {
	const op = "order.ExtendProtection"
	o, err := s.buyerOrder(ctx, op, actor, id)
	if err != nil {
		return Order{}, err
	}
	p, err := s.protection(ctx, o)
	if err != nil {
		return Order{}, err
	}
	return s.Store.AdvanceOrder(ctx, o.ID, s.Now().UTC(), func(o Order, at time.Time) (Order, *timers.Timer, []events.Event, error) {
		end, err := Extension(o, p)
		if err != nil {
			return o, nil, nil, err
		}
		o.ProtectionEndsAt, o.ProtectionExtended, o.UpdatedAt = &end, true, at
		t, err := autoConfirm(o, "extended", at)
		if err != nil {
			return o, nil, nil, err
		}
		return o, t, []events.Event{orderEvent(events.OrderProtectionExtended, o, "", at)}, nil
	})
}

// Extension is when order o's protection ends once extended under its
// channel's protection p. Errors: Conflict (o is not shipped nor
// delivered, was extended already, is on a channel without extensions, or
// its protection is at its limit already).
func Extension(o Order, p channel.Protection) (time.Time, error) {
	const op = "order.ExtendProtection"
	switch {
	case o.Status != Shipped && o.Status != Delivered || o.ProtectionEndsAt == nil:
		return time.Time{}, errs.E(op, errs.Conflict, "an order that is "+wording(o.Status)+" has no protection to extend")
	case o.ProtectionExtended:
		return time.Time{}, errs.E(op, errs.Conflict, "the protection was extended already")
	case p.ExtensionDays == 0:
		return time.Time{}, errs.E(op, errs.Conflict, "the channel's protection cannot be extended")
	}
	end := minTime(o.ProtectionEndsAt.Add(days(p.ExtensionDays)), limit(o))
	if !end.After(*o.ProtectionEndsAt) {
		return time.Time{}, errs.E(op, errs.Conflict, "the protection is at its limit already")
	}
	return end, nil
}

// AutoConfirmTimer is the handler of TimerAutoConfirm: an order still
// shipped or delivered when its protection ends is completed. Idempotent:
// an order confirmed, disputed or cancelled meanwhile is left, and so is one
// whose protection was moved later (a later timer is due then).
func (s *Service) AutoConfirmTimer(ctx context.Context, t timers.Timer) error {
	var p autoConfirmPayload
	if err := json.Unmarshal(t.Payload, &p); err != nil || p.Order == "" {
		return nil
	}
	confirm := confirming("order.AutoConfirmTimer", "protection_ended")
	_, err := s.Store.AdvanceOrder(ctx, p.Order, s.Now().UTC(), func(o Order, at time.Time) (Order, *timers.Timer, []events.Event, error) {
		if o.ProtectionEndsAt == nil || at.Before(*o.ProtectionEndsAt) {
			return o, nil, nil, errs.E("order.AutoConfirmTimer", errs.Conflict, "the protection has not ended")
		}
		return confirm(o, at)
	})
	if errs.Is(err, errs.Conflict) || errs.Is(err, errs.NotFound) {
		return nil
	}
	return err
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
