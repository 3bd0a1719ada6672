package order

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/share" // a checkout through a share link credits its sharer
)

// ShareStatus is where a sharer's commission on an order stands.
type ShareStatus string

// The commission statuses. A commission is Pending from checkout until its
// order completes (confirmed delivery, or buyer protection ended), then
// Payable (less what a refund took back), or Reversed when the order is
// cancelled or refunded in full. Reversed is final.
const (
	SharePending  ShareStatus = "pending"
	SharePayable  ShareStatus = "payable"
	ShareReversed ShareStatus = "reversed"
)

// ShareCommission is what an order placed through a share link credits the
// link's sharer: RateBps (the channel's rate at checkout) of the order's
// goods (its subtotal less its discounts: no shipping, tax or duty), rounded
// down. Reversed is what refunds took back of Amount since; what the sharer
// is owed is Amount − Reversed. The buyer is not named.
type ShareCommission struct {
	OrderID   string
	Code      string
	SharerID  string
	ChannelID string
	// ProductID and Title are the shared product as the order sold it.
	ProductID string
	Title     string
	RateBps   int64
	Amount    money.Amount
	Reversed  money.Amount
	Status    ShareStatus
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Earned is what the commission is worth to its sharer now: nothing once
// reversed, else Amount − Reversed.
func (c ShareCommission) Earned() money.Amount {
	return money.Amount{Minor: c.Amount.Minor - c.Reversed.Minor, Currency: c.Amount.Currency}
}

// ShareLinks is what checkout and the sharer's earnings need of share links.
type ShareLinks interface {
	// Link returns the link of code; NotFound if there is none.
	Link(ctx context.Context, code string) (share.Link, error)
	// Mine returns the actor's links, newest first. Errors:
	// Unauthenticated, Forbidden (not a signed-in person).
	Mine(ctx context.Context, actor identity.Actor) ([]share.Link, error)
}

// ShareStore is what share commissions need of the store. A checkout's
// commissions are written by PlaceCheckout (Checkout.Commissions), and each
// order move (MoveOrder, AdvanceOrder, SettlePayment, AdvanceDispute,
// Clawback) applies ShareCommissionMove in its transaction, once per order
// and state.
type ShareStore interface {
	// ShareCommissions returns sharerID's sums by currency and status, and
	// by link, and up to limit of its commissions, newest first.
	ShareCommissions(ctx context.Context, sharerID string, limit int) (ShareSums, error)
}

// ShareSums are a sharer's commissions as the store adds them up.
type ShareSums struct {
	// Totals are Amount and Reversed summed by currency and status.
	Totals []ShareSum
	// ByLink are the link's count of orders and their Earned by currency.
	ByLink []ShareLinkSum
	// Recent are the newest commissions.
	Recent []ShareCommission
}

// ShareSum is the sum of the commissions of one currency and status.
type ShareSum struct {
	Currency string
	Status   ShareStatus
	Amount   int64
	Reversed int64
}

// ShareLinkSum is what the orders of one link and currency earned.
type ShareLinkSum struct {
	Code     string
	Currency string
	Orders   int64
	Earned   int64
}

// shareCredit is the share link a checkout credits and the channel's rate.
type shareCredit struct {
	link share.Link
	bps  int64
}

// shareLink returns the link checkout input in names for cart c on
// channelCode, and the channel's rate, or nil when the checkout credits no
// one: no code, a code that is the buyer's own link, a channel whose rate
// is 0, sharing not wired. in.ShareCode (the API's) must be a link of the
// cart's channel: anything else is Invalid on share_code. in.Referral (the
// storefront's cookie) is credited when it is one, and ignored otherwise.
func (s *Service) shareLink(ctx context.Context, op string, c Cart, channelCode string, in CheckoutInput) (*shareCredit, error) {
	code, strict := in.ShareCode, in.ShareCode != ""
	if !strict {
		code = in.Referral
	}
	if code == "" || s.Shares == nil {
		return nil, nil
	}
	refuse := func() (*shareCredit, error) {
		if strict {
			return nil, errs.Field(op, "share_code", "not a share link of this channel")
		}
		return nil, nil
	}
	if !share.ValidCode(code) {
		return refuse()
	}
	l, err := s.Shares.Link(ctx, code)
	if errs.Is(err, errs.NotFound) || err == nil && l.Channel != channelCode {
		return refuse()
	}
	if err != nil {
		return nil, errs.E(op, errs.Other, err)
	}
	if l.SharerID == c.BuyerID {
		return nil, nil // one's own link credits no one
	}
	sh, err := s.Channels.Sharing(ctx, c.ChannelID)
	if err != nil {
		return nil, errs.E(op, errs.Other, err)
	}
	if sh.CommissionBps <= 0 {
		return nil, nil
	}
	return &shareCredit{link: l, bps: sh.CommissionBps}, nil
}

// credit returns the commissions of checkout co through sc: one for each
// order with a line of the shared product (the link names a product: the
// merchant who sells it pays for its sharing, another merchant's order in
// the same checkout credits nothing), of the order's goods, and their
// events.
func credit(co Checkout, sc *shareCredit, at time.Time) ([]ShareCommission, []events.Event, error) {
	if sc == nil {
		return nil, nil, nil
	}
	var out []ShareCommission
	var evs []events.Event
	for _, o := range co.Orders {
		i := slices.IndexFunc(o.Lines, func(l OrderLine) bool { return l.ProductID == sc.link.ProductID })
		if i < 0 {
			continue
		}
		goods := money.Amount{Minor: o.Subtotal.Minor - o.Discount.Minor, Currency: o.Total.Currency}
		amount, err := goods.ApplyBasisPoints(sc.bps, money.Down)
		if err != nil {
			return nil, nil, errs.E("order.Checkout", errs.Internal, fmt.Errorf("order %s: %w", o.ID, err))
		}
		c := ShareCommission{OrderID: o.ID, Code: sc.link.Code, SharerID: sc.link.SharerID, ChannelID: o.ChannelID,
			ProductID: sc.link.ProductID, Title: o.Lines[i].Title, RateBps: sc.bps, Amount: amount,
			Reversed: money.Amount{Currency: amount.Currency}, Status: SharePending, CreatedAt: at.UTC(), UpdatedAt: at.UTC()}
		out = append(out, c)
		evs = append(evs, ShareEvent(events.ShareCommissionCreated, c, o.MerchantID))
	}
	return out, evs, nil
}

// ShareCommissionMove is commission c once its order o (as it is after the
// move, with its Refund) has moved to status to, and the type of the event
// the change writes, or "" when the move changes nothing:
//
//	cancelled, or refunded in full:  reversed, in full
//	completed (from pending):        payable, less the refund's share of it if the order was refunded in part
//	completed, refunded in part after completion (a clawback, from payable): still payable, the refund's share reversed
//
// The refund's share is the share of the order's total it refunded
// (money.Allocate, as RefundShare). A reversed commission stays reversed,
// and a move applied again changes nothing: the store applies it in the
// move's transaction, once per order and state. Errors: Internal (an
// allocation that fails).
func ShareCommissionMove(c ShareCommission, o Order, to Status, at time.Time) (ShareCommission, string, error) {
	if c.Status == ShareReversed {
		return c, "", nil
	}
	switch to {
	case Cancelled, Refunded:
		c.Status, c.Reversed, c.UpdatedAt = ShareReversed, c.Amount, at.UTC()
		return c, events.ShareCommissionReversed, nil
	case Completed:
	default:
		return c, "", nil
	}
	reversed := money.Amount{Currency: c.Amount.Currency}
	if o.Refund != nil && o.Refund.Amount.Minor > 0 && o.Total.Minor > 0 {
		refund := min(o.Refund.Amount.Minor, o.Total.Minor)
		parts, err := c.Amount.Allocate([]int64{refund, o.Total.Minor - refund})
		if err != nil {
			return c, "", errs.E("order.ShareCommissionMove", errs.Internal, fmt.Errorf("order %s: %w", o.ID, err))
		}
		reversed = parts[0]
	}
	switch {
	case c.Status == SharePending:
		c.Status, c.Reversed, c.UpdatedAt = SharePayable, reversed, at.UTC()
		return c, events.ShareCommissionPayable, nil
	case reversed.Minor != c.Reversed.Minor:
		c.Reversed, c.UpdatedAt = reversed, at.UTC()
		if c.Reversed.Minor == c.Amount.Minor {
			c.Status = ShareReversed
		}
		return c, events.ShareCommissionReversed, nil
	}
	return c, "", nil
}

// ShareEvent is the event of type typ about commission c of an order of
// merchantID's.
func ShareEvent(typ string, c ShareCommission, merchantID string) events.Event {
	return events.New(typ, c.OrderID, "", c.UpdatedAt, events.ShareCommission{V: events.ShareCommissionV1, OrderID: c.OrderID, Code: c.Code,
		SharerID: c.SharerID, ChannelID: c.ChannelID, MerchantID: merchantID, ProductID: c.ProductID, Status: string(c.Status),
		Currency: c.Amount.Currency, Amount: c.Amount.Minor, Reversed: c.Reversed.Minor, Earned: c.Earned().Minor, At: c.UpdatedAt})
}

// EarningsLimit is the most credited orders ShareEarnings lists.
const EarningsLimit = 100

// ShareEarnings are what a sharer's links earned.
type ShareEarnings struct {
	Totals []ShareTotal   `json:"totals" doc:"By currency"`
	Links  []LinkEarnings `json:"links" doc:"The sharer's links, newest first"`
	Orders []SharedOrder  `json:"orders" doc:"The orders placed through the sharer's links, newest first (at most 100); their buyers are not named"`
}

// ShareTotal is what a sharer's commissions in one currency add up to.
type ShareTotal struct {
	Currency string       `json:"currency"`
	Pending  money.Amount `json:"pending" doc:"Credited on orders not completed yet"`
	Payable  money.Amount `json:"payable" doc:"Earned on completed orders, less what refunds took back"`
	Reversed money.Amount `json:"reversed" doc:"Taken back by cancellations and refunds"`
}

// LinkEarnings is one of a sharer's links with its visits, its orders and
// what they earned.
type LinkEarnings struct {
	Code      string         `json:"code"`
	Channel   string         `json:"channel" doc:"The channel's code"`
	ProductID string         `json:"product_id"`
	Visits    int64          `json:"visits"`
	Orders    int64          `json:"orders" doc:"Orders placed through the link, reversed ones included"`
	Earnings  []money.Amount `json:"earnings" doc:"Pending and payable, by currency (none until an order)"`
}

// SharedOrder is an order placed through one of the sharer's links, as its
// sharer sees it: when, which product, and the commission.
type SharedOrder struct {
	Date      time.Time    `json:"date" doc:"When the order was placed"`
	Code      string       `json:"code" doc:"The link's code"`
	ProductID string       `json:"product_id"`
	Title     string       `json:"title" doc:"The product's title as the order sold it"`
	RateBps   int64        `json:"rate_bps"`
	Amount    money.Amount `json:"amount" doc:"Credited at checkout"`
	Reversed  money.Amount `json:"reversed" doc:"Taken back by a cancellation or a refund"`
	Status    ShareStatus  `json:"status" enum:"pending,payable,reversed"`
}

// ShareEarnings returns what the actor's links earned: totals by currency,
// each link's visits, orders and earnings, and the orders credited, newest
// first. Errors: Unauthenticated (anonymous), Forbidden (an API key: only
// people share).
func (s *Service) ShareEarnings(ctx context.Context, actor identity.Actor) (ShareEarnings, error) {
	const op = "order.ShareEarnings"
	out := ShareEarnings{Totals: []ShareTotal{}, Links: []LinkEarnings{}, Orders: []SharedOrder{}}
	if s.Shares == nil {
		return out, errs.E(op, errs.Unavailable, "sharing is off")
	}
	ls, err := s.Shares.Mine(ctx, actor)
	if err != nil {
		return out, err
	}
	sums, err := s.Store.ShareCommissions(ctx, actor.UserID, EarningsLimit)
	if err != nil {
		return out, errs.E(op, errs.Other, err)
	}
	for _, t := range sums.Totals {
		i := slices.IndexFunc(out.Totals, func(x ShareTotal) bool { return x.Currency == t.Currency })
		if i < 0 {
			z := money.Amount{Currency: t.Currency}
			out.Totals = append(out.Totals, ShareTotal{Currency: t.Currency, Pending: z, Payable: z, Reversed: z})
			i = len(out.Totals) - 1
		}
		tot := &out.Totals[i]
		switch t.Status {
		case SharePending:
			tot.Pending.Minor += t.Amount - t.Reversed
		case SharePayable:
			tot.Payable.Minor += t.Amount - t.Reversed
		}
		tot.Reversed.Minor += t.Reversed
	}
	slices.SortFunc(out.Totals, func(a, b ShareTotal) int { return cmp.Compare(a.Currency, b.Currency) })
	for _, l := range ls {
		le := LinkEarnings{Code: l.Code, Channel: l.Channel, ProductID: l.ProductID, Visits: l.Visits, Earnings: []money.Amount{}}
		for _, b := range sums.ByLink {
			if b.Code == l.Code {
				le.Orders += b.Orders
				le.Earnings = append(le.Earnings, money.Amount{Minor: b.Earned, Currency: b.Currency})
			}
		}
		slices.SortFunc(le.Earnings, func(a, b money.Amount) int { return cmp.Compare(a.Currency, b.Currency) })
		out.Links = append(out.Links, le)
	}
	for _, c := range sums.Recent {
		out.Orders = append(out.Orders, SharedOrder{Date: c.CreatedAt, Code: c.Code, ProductID: c.ProductID, Title: c.Title, RateBps: c.RateBps,
			Amount: c.Amount, Reversed: c.Reversed, Status: c.Status})
	}
	return out, nil
}
