package order

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/pricing"
)

// CouponKind is how a coupon discounts.
type CouponKind string

// The coupon kinds.
const (
	// Percent takes PercentBps of the goods it applies to.
	Percent CouponKind = "percent"
	// Fixed takes Amount off the goods it applies to (at most all of them).
	Fixed CouponKind = "fixed"
)

// Coupon is a merchant's discount on its own goods (MerchantID set) or the
// marketplace's on the whole cart. The stacking order is fixed: at most one
// coupon of each merchant, applied to that merchant's goods first, then at
// most one marketplace coupon on what remains.
type Coupon struct {
	ID          string       `json:"id"`
	Code        string       `json:"code"`
	MerchantID  string       `json:"merchant_id,omitempty" doc:"The merchant whose goods it discounts; absent for a marketplace coupon"`
	ChannelID   string       `json:"channel_id,omitempty" doc:"The one channel it is valid on; absent for all"`
	Kind        CouponKind   `json:"kind" enum:"percent,fixed"`
	PercentBps  int64        `json:"percent_bps,omitempty"`
	Amount      money.Amount `json:"amount,omitzero"`
	MinSpend    money.Amount `json:"min_spend,omitzero" doc:"The goods it applies to must cost at least this (in the coupon's currency, or the cart's for a percent coupon without one)"`
	MaxUses     int64        `json:"max_uses" doc:"Uses in all; 0 for no limit"`
	MaxPerBuyer int64        `json:"max_per_buyer" doc:"Uses per buyer; 0 for no limit"`
	ValidFrom   time.Time    `json:"valid_from"`
	ValidTo     time.Time    `json:"valid_to,omitzero"`
	// BuyerID is the one buyer who may use it (a compensation), or "".
	BuyerID   string    `json:"buyer_id,omitempty" doc:"The one buyer who may use it (a late order's compensation); absent for all"`
	CreatedAt time.Time `json:"created_at"`
}

// CouponInput creates a coupon.
type CouponInput struct {
	Code        string     `json:"code" pattern:"^[A-Za-z0-9-]{3,32}$" doc:"What buyers type; letters, digits and dashes, case-insensitive"`
	MerchantID  string     `json:"merchant_id,omitempty" maxLength:"64" doc:"Operators only: the merchant whose goods it discounts; merchants' staff always make their own merchant's"`
	Channel     string     `json:"channel,omitempty" maxLength:"64" doc:"A channel's code or id to limit it to"`
	Kind        CouponKind `json:"kind" enum:"percent,fixed"`
	PercentBps  int64      `json:"percent_bps,omitempty" minimum:"0" maximum:"10000"`
	Amount      int64      `json:"amount,omitempty" minimum:"0" doc:"Fixed coupons: minor units of currency"`
	Currency    string     `json:"currency,omitempty" maxLength:"3"`
	MinSpend    int64      `json:"min_spend,omitempty" minimum:"0" doc:"Minor units of currency"`
	MaxUses     int64      `json:"max_uses,omitempty" minimum:"0" maximum:"100000000"`
	MaxPerBuyer int64      `json:"max_per_buyer,omitempty" minimum:"0" maximum:"1000"`
	ValidFrom   time.Time  `json:"valid_from,omitzero" doc:"Now by default"`
	ValidTo     time.Time  `json:"valid_to,omitzero"`
}

var couponCode = regexp.MustCompile(`^[A-Z0-9-]{3,32}$`)

// CreateCoupon makes a coupon: a merchant's owner for its own goods, an
// operator for any merchant's or the marketplace's. Errors: Forbidden,
// Invalid, Conflict (a code taken).
func (s *Service) CreateCoupon(ctx context.Context, actor identity.Actor, in CouponInput) (Coupon, error) {
	const op = "order.CreateCoupon"
	switch {
	case actor.IsOperator():
	case actor.Sells() && actor.StaffRole == identity.StaffOwner:
		if in.MerchantID != "" && in.MerchantID != actor.MerchantID {
			return Coupon{}, errs.E(op, errs.Forbidden, "a merchant makes coupons for its own goods only")
		}
		in.MerchantID = actor.MerchantID
	default:
		return Coupon{}, errs.E(op, errs.Forbidden, "only merchant owners and operators make coupons")
	}
	now := s.Now().UTC()
	c := Coupon{ID: ids.New(ids.Coupon), Code: strings.ToUpper(strings.TrimSpace(in.Code)), MerchantID: in.MerchantID, Kind: in.Kind,
		PercentBps: in.PercentBps, MaxUses: in.MaxUses, MaxPerBuyer: in.MaxPerBuyer, ValidFrom: in.ValidFrom.UTC(), ValidTo: in.ValidTo.UTC(), CreatedAt: now}
	if !couponCode.MatchString(c.Code) {
		return Coupon{}, errs.Field(op, "code", "3 to 32 letters, digits or dashes")
	}
	if c.ValidFrom.IsZero() {
		c.ValidFrom = now
	}
	if !c.ValidTo.IsZero() && !c.ValidTo.After(c.ValidFrom) {
		return Coupon{}, errs.Field(op, "valid_to", "must be after valid_from")
	}
	if in.Channel != "" {
		ch, err := s.Channels.Public(ctx, in.Channel)
		if err != nil {
			return Coupon{}, errs.Field(op, "channel", "no such channel")
		}
		c.ChannelID = ch.ID
	}
	if c.MerchantID != "" && !ids.Valid(ids.Merchant, c.MerchantID) {
		return Coupon{}, errs.Field(op, "merchant_id", "no such merchant")
	}
	cur := strings.ToUpper(in.Currency)
	switch c.Kind {
	case Percent:
		if c.PercentBps < 1 || c.PercentBps > 10000 {
			return Coupon{}, errs.Field(op, "percent_bps", "a percent coupon takes 1 to 10000 basis points")
		}
		if in.Amount != 0 {
			return Coupon{}, errs.Field(op, "amount", "a percent coupon has no amount")
		}
	case Fixed:
		a, err := money.New(in.Amount, cur)
		if err != nil || in.Amount < 1 {
			return Coupon{}, errs.Field(op, "amount", "a fixed coupon takes a positive amount in a currency")
		}
		if c.PercentBps != 0 {
			return Coupon{}, errs.Field(op, "percent_bps", "a fixed coupon has no percentage")
		}
		c.Amount = a
	default:
		return Coupon{}, errs.Field(op, "kind", "percent or fixed")
	}
	if in.MinSpend > 0 {
		m, err := money.New(in.MinSpend, cur)
		if err != nil {
			return Coupon{}, errs.Field(op, "currency", "a minimum spend needs a currency")
		}
		c.MinSpend = m
	}
	if err := s.Store.CreateCoupon(ctx, c); err != nil {
		return Coupon{}, err
	}
	return c, nil
}

// Coupons lists the coupons an actor manages: a merchant's own, all for an
// operator. Errors: Forbidden.
func (s *Service) Coupons(ctx context.Context, actor identity.Actor) ([]Coupon, error) {
	switch {
	case actor.IsOperator():
		return s.Store.Coupons(ctx, "")
	case actor.Role == identity.Staff && actor.MerchantID != "":
		return s.Store.Coupons(ctx, actor.MerchantID)
	}
	return nil, errs.E("order.Coupons", errs.Forbidden, "only merchants and operators have coupons")
}

// ApplyCoupon adds the coupon of code to a cart. At most one coupon per
// merchant and one marketplace coupon: a second is refused. A coupon that
// applies to nothing in the cart (another merchant's, below its minimum
// spend, out of its window) is refused with the reason. Errors: NotFound
// (cart), Invalid (code), Conflict (cart checked out, stacking).
func (s *Service) ApplyCoupon(ctx context.Context, acc Access, cartID, code string) (Coupon, error) {
	const op = "order.ApplyCoupon"
	c, err := s.openCart(ctx, op, acc, cartID)
	if err != nil {
		return Coupon{}, err
	}
	code = strings.ToUpper(strings.TrimSpace(code))
	unknown := couponRefusal(op, errs.Invalid, CouponUnknown, "no such coupon", money.Amount{})
	if !couponCode.MatchString(code) {
		return Coupon{}, unknown
	}
	cp, err := s.Store.CouponByCode(ctx, code)
	if errs.Is(err, errs.NotFound) || err == nil && cp.BuyerID != "" && cp.BuyerID != c.BuyerID {
		return Coupon{}, unknown // another buyer's coupon is not theirs to learn of
	}
	if err != nil {
		return Coupon{}, err
	}
	have, err := s.Store.CartCoupons(ctx, c.ID)
	if err != nil {
		return Coupon{}, err
	}
	for _, h := range have {
		if h.ID == cp.ID {
			return cp, nil
		}
		if h.MerchantID == cp.MerchantID {
			if cp.MerchantID == "" {
				return Coupon{}, couponRefusal(op, errs.Conflict, CouponStacking, "a cart takes one marketplace coupon: remove "+h.Code+" first", money.Amount{})
			}
			return Coupon{}, couponRefusal(op, errs.Conflict, CouponStacking, "a cart takes one coupon per merchant: remove "+h.Code+" first", money.Amount{})
		}
	}
	q, err := s.Price(ctx, c, nil)
	if err != nil {
		return Coupon{}, err
	}
	if code, why := couponProblem(cp, q, s.Now().UTC()); why != "" {
		return Coupon{}, couponRefusal(op, errs.Invalid, code, why, cp.MinSpend)
	}
	if err := s.Store.AddCartCoupon(ctx, c.ID, cp.ID, s.Now().UTC()); err != nil {
		return Coupon{}, err
	}
	return cp, nil
}

// RemoveCoupon takes a coupon off a cart. Errors: NotFound, Conflict.
func (s *Service) RemoveCoupon(ctx context.Context, acc Access, cartID, code string) error {
	const op = "order.RemoveCoupon"
	c, err := s.openCart(ctx, op, acc, cartID)
	if err != nil {
		return err
	}
	have, err := s.Store.CartCoupons(ctx, c.ID)
	if err != nil {
		return err
	}
	code = strings.ToUpper(strings.TrimSpace(code))
	i := slices.IndexFunc(have, func(h Coupon) bool { return h.Code == code })
	if i < 0 {
		return errs.E(op, errs.NotFound, "this coupon is not on the cart")
	}
	return s.Store.RemoveCartCoupon(ctx, c.ID, have[i].ID)
}

// goodsOf is the goods of q's buyable lines a coupon applies to: its
// merchant's, or all for a marketplace coupon; with each line's index.
func goodsOf(cp Coupon, q Quote) (int64, []int) {
	var sum int64
	var idx []int
	for i, l := range q.Lines {
		if l.Problem != "" || (cp.MerchantID != "" && l.MerchantID != cp.MerchantID) {
			continue
		}
		sum += l.Total.Minor - l.Discount.Minor
		idx = append(idx, i)
	}
	return sum, idx
}

// The problem codes of a coupon.
const (
	CouponNotYetValid   = "not_yet_valid"
	CouponExpired       = "expired"
	CouponWrongChannel  = "wrong_channel"
	CouponWrongCurrency = "wrong_currency"
	CouponNoItems       = "no_items"
	CouponMinSpend      = "min_spend"
	// CouponUnknown and CouponStacking refuse a coupon applied to a cart.
	CouponUnknown  = "unknown"
	CouponStacking = "stacking"
)

// couponRefusal is the error of a coupon refused: about the field code,
// with a pricing.Refusal a storefront words in its buyer's language.
func couponRefusal(op string, kind errs.Kind, code, why string, limit money.Amount) error {
	r := &pricing.Refusal{Code: code, Msg: why}
	if code == CouponMinSpend {
		r.Limit = limit
	}
	return &errs.Error{Op: op, Kind: kind, Field: "code", Err: r}
}

// couponProblem says why cp does not apply to q at now, with its code (""
// when it does).
func couponProblem(cp Coupon, q Quote, now time.Time) (code, why string) {
	switch {
	case now.Before(cp.ValidFrom):
		return CouponNotYetValid, "this coupon is not valid yet"
	case !cp.ValidTo.IsZero() && !now.Before(cp.ValidTo):
		return CouponExpired, "this coupon has expired"
	case cp.BuyerID != "" && cp.BuyerID != q.BuyerID:
		return CouponUnknown, "this coupon is another buyer's"
	case cp.ChannelID != "" && cp.ChannelID != q.ChannelID:
		return CouponWrongChannel, "this coupon is not valid on this storefront"
	case cp.Kind == Fixed && cp.Amount.Currency != q.Currency:
		return CouponWrongCurrency, "this coupon is in " + cp.Amount.Currency + ", the cart in " + q.Currency
	case cp.MinSpend.Currency != "" && cp.MinSpend.Currency != q.Currency:
		return CouponWrongCurrency, "this coupon's minimum spend is in " + cp.MinSpend.Currency + ", the cart in " + q.Currency
	}
	sum, idx := goodsOf(cp, q)
	if len(idx) == 0 {
		return CouponNoItems, "this coupon applies to none of the cart's items"
	}
	if sum < cp.MinSpend.Minor {
		return CouponMinSpend, fmt.Sprintf("this coupon needs at least %s of its goods in the cart", cp.MinSpend.Decimal()+" "+cp.MinSpend.Currency)
	}
	return "", ""
}

// applyCoupons discounts q's lines by its coupons in the stacking order
// (merchants' coupons, then the marketplace's), before taxes, each
// discount allocated over its lines by their value and never more than
// them. A coupon that no longer applies is kept on the cart with its
// problem and discounts nothing.
func applyCoupons(q *Quote, coupons []Coupon, now time.Time) error {
	slices.SortStableFunc(coupons, func(a, b Coupon) int {
		if (a.MerchantID == "") != (b.MerchantID == "") {
			if a.MerchantID == "" {
				return 1
			}
			return -1
		}
		return strings.Compare(a.MerchantID, b.MerchantID)
	})
	for _, cp := range coupons {
		ac := AppliedCoupon{Code: cp.Code, MerchantID: cp.MerchantID, Discount: money.Amount{Currency: q.Currency}, coupon: cp}
		if cp.MinSpend.Minor > 0 {
			ms := cp.MinSpend
			ac.MinSpend = &ms
		}
		if code, why := couponProblem(cp, *q, now); why != "" {
			ac.Problem, ac.ProblemCode = why, code
			q.Coupons = append(q.Coupons, ac)
			continue
		}
		sum, idx := goodsOf(cp, *q)
		var off int64
		switch cp.Kind {
		case Percent:
			d, err := money.Amount{Minor: sum, Currency: q.Currency}.ApplyBasisPoints(cp.PercentBps, money.HalfUp)
			if err != nil {
				return err
			}
			off = d.Minor
		case Fixed:
			off = cp.Amount.Minor
		}
		off = min(off, sum)
		if off > 0 {
			weights := make([]int64, len(idx))
			for k, i := range idx {
				weights[k] = q.Lines[i].Total.Minor - q.Lines[i].Discount.Minor
			}
			parts, err := money.Amount{Minor: off, Currency: q.Currency}.Allocate(weights)
			if err != nil {
				return err
			}
			for k, i := range idx {
				q.Lines[i].Discount.Minor += parts[k].Minor
				if cp.MerchantID == "" {
					q.Lines[i].marketplaceOff += parts[k].Minor
				}
			}
		}
		ac.Discount.Minor = off
		q.Coupons = append(q.Coupons, ac)
	}
	return nil
}

// AppliedCoupon is a coupon on a cart: what it takes off, or why nothing.
type AppliedCoupon struct {
	Code       string       `json:"code"`
	MerchantID string       `json:"merchant_id,omitempty"`
	Discount   money.Amount `json:"discount"`
	Problem    string       `json:"problem,omitempty"`
	// ProblemCode says Problem for a client to word in its buyer's language.
	ProblemCode string `json:"problem_code,omitempty" enum:"not_yet_valid,expired,wrong_channel,wrong_currency,no_items,min_spend"`
	// MinSpend is the coupon's minimum spend on its goods, if it has one.
	MinSpend *money.Amount `json:"min_spend,omitempty"`
	coupon   Coupon
}

// claims are the coupon uses q's checkout takes: its coupons that discount.
func (q Quote) claims() []CouponClaim {
	var out []CouponClaim
	for _, ac := range q.Coupons {
		if ac.Problem == "" && ac.Discount.Minor > 0 {
			out = append(out, CouponClaim{Coupon: ac.coupon, Amount: ac.Discount.Minor})
		}
	}
	return out
}
