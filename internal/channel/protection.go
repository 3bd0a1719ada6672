package channel

import (
	"context"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
)

// Protection is how long a channel's buyers are protected once an order
// ships, in days: the order confirms itself Days after its delivery is
// recorded, or UnconfirmedDays after its shipment while none is, and its
// buyer may extend that once by ExtensionDays. The marketplace's hard
// limit (order.ProtectionLimit after the order) bounds them all.
type Protection struct {
	ChannelID       string `json:"channel_id" readOnly:"true"`
	Days            int    `json:"protection_days" minimum:"1" maximum:"60" doc:"Days after the delivery is recorded until the order confirms itself"`
	UnconfirmedDays int    `json:"unconfirmed_days" minimum:"1" maximum:"90" doc:"Days after shipment until the order confirms itself while no delivery is recorded"`
	ExtensionDays   int    `json:"extension_days" minimum:"0" maximum:"60" doc:"Days the buyer's one extension adds (0: no extension)"`
	// LateCouponBps is the compensation of a buyer whose order arrived
	// after its latest promised day: a coupon worth that share of the
	// order's total, in basis points (nil: DefaultLateCouponBps).
	LateCouponBps *int `json:"late_coupon_bps,omitempty" minimum:"0" maximum:"5000" doc:"A late order's compensation: a coupon worth this share of its total, in basis points (0: none; absent: 1000, 10 %)"`
}

// DefaultLateCouponBps is the compensation of a late order on a channel
// that set none: a coupon of 10 % of its total.
const DefaultLateCouponBps = 1000

// LateCoupon is p's compensation of a late order, in basis points of its
// total.
func (p Protection) LateCoupon() int {
	if p.LateCouponBps == nil {
		return DefaultLateCouponBps
	}
	return *p.LateCouponBps
}

// DefaultProtection is the protection of a channel that has none of its
// own.
func DefaultProtection() Protection {
	return Protection{Days: 10, UnconfirmedDays: 30, ExtensionDays: 15}
}

// Protection returns a channel's buyer protection (DefaultProtection
// unless an operator set another). Errors: NotFound.
func (s *Service) Protection(ctx context.Context, idOrCode string) (Protection, error) {
	ch, err := s.Public(ctx, idOrCode)
	if err != nil {
		return Protection{}, err
	}
	p, err := s.Store.Protection(ctx, ch.ID)
	if errs.Is(err, errs.NotFound) {
		p, err = DefaultProtection(), nil
	}
	p.ChannelID = ch.ID
	return p, err
}

// SetProtection sets a channel's buyer protection; orders already shipped
// keep the dates they were given. Operators only. Errors: Forbidden,
// NotFound, Invalid.
func (s *Service) SetProtection(ctx context.Context, actor identity.Actor, idOrCode string, p Protection) (Protection, error) {
	const op = "channel.SetProtection"
	if !actor.IsOperator() {
		return Protection{}, errs.E(op, errs.Forbidden, "only operators set a channel's protection")
	}
	ch, err := s.Public(ctx, idOrCode)
	if err != nil {
		return Protection{}, err
	}
	switch {
	case p.Days < 1 || p.Days > 60:
		return Protection{}, errs.Field(op, "protection_days", "must be 1 to 60")
	case p.UnconfirmedDays < p.Days || p.UnconfirmedDays > 90:
		return Protection{}, errs.Field(op, "unconfirmed_days", "must be protection_days to 90")
	case p.ExtensionDays < 0 || p.ExtensionDays > 60:
		return Protection{}, errs.Field(op, "extension_days", "must be 0 to 60")
	case p.LateCoupon() < 0 || p.LateCoupon() > 5000:
		return Protection{}, errs.Field(op, "late_coupon_bps", "must be 0 to 5000")
	}
	bps := p.LateCoupon()
	p.LateCouponBps = &bps
	p.ChannelID = ch.ID
	now := s.Now()
	if err := s.Store.PutProtection(ctx, p, now, events.New(events.ChannelProtectionChanged, ch.ID, "", now, p)); err != nil {
		return Protection{}, errs.E(op, errs.Other, err)
	}
	return p, nil
}
