package order

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/pricing"
	"github.com/sesame-market/sesame/internal/timers"
)

// PaymentInput names the provider and the token the client got from it.
type PaymentInput struct {
	Provider string `json:"provider" enum:"sandbox,stripe" doc:"The payment provider"`
	Token    string `json:"token" minLength:"1" maxLength:"255" doc:"The provider's token for the buyer's means of payment (sandbox: tok_success, tok_decline, tok_requires_action). Never a card number."`
}

// CheckoutInput pays for a cart.
type CheckoutInput struct {
	Payment PaymentInput `json:"payment"`
	// ShareCode is the share link the buyer came through: the sharer is
	// credited a commission on the order of its product (docs/sharing.md).
	ShareCode string `json:"share_code,omitempty" maxLength:"16" example:"Xk3v9QpZ" doc:"The code of the share link the buyer came through (/s/{code}), a link of the cart's channel: its sharer is credited a commission on the order of the shared product. The buyer's own link credits no one."`
	// Referral is the storefront's: the code of the link the visitor last
	// came through, credited like ShareCode when it is a link of the
	// cart's channel and ignored otherwise.
	Referral string `json:"-"`
}

// TimerPaymentExpiry is the timer kind that cancels a checkout's orders
// whose payment the buyer did not complete.
const TimerPaymentExpiry = "order.payment_expiry"

type expiryPayload struct {
	Payment string `json:"payment"`
}

// Checkout pays for a signed-in buyer's cart: it reserves the stock (one
// reservation per merchant, from the warehouses the buyer was promised
// where they still have it), prices the cart again from the reserved
// warehouses, charges the total once, and writes one order per merchant.
// A captured payment confirms the reservations; a failed one releases them
// and leaves the cart open for another try; one that requires the buyer's
// action holds them until it is confirmed or its hold ends. Checking out a
// cart already checked out returns its checkout (created false). Errors:
// NotFound, Unauthenticated (anonymous), Invalid (no address, unknown
// provider, goods the destination refuses), Conflict (out of stock, a
// price or line the cart cannot sell).
func (s *Service) Checkout(ctx context.Context, acc Access, cartID string, in CheckoutInput) (Checkout, bool, error) {
	const op = "order.Checkout"
	if acc.Actor.Role != identity.Buyer {
		if acc.Actor.IsAnonymous() {
			return Checkout{}, false, errs.E(op, errs.Unauthenticated, "sign in to check out")
		}
		return Checkout{}, false, errs.E(op, errs.Forbidden, "only buyers check out")
	}
	c, err := s.cart(ctx, op, acc, cartID)
	if err != nil {
		return Checkout{}, false, err
	}
	if c.Status == CartCheckedOut {
		co, err := s.Store.CheckoutOfCart(ctx, c.ID)
		return co, false, err
	}
	if err := openOnly(op, c); err != nil {
		return Checkout{}, false, err
	}
	prov, ok := s.Providers[in.Payment.Provider]
	if !ok {
		return Checkout{}, false, errs.Field(op, "payment.provider", "unknown payment provider")
	}
	q, err := s.Price(ctx, c, nil)
	if err != nil {
		return Checkout{}, false, err
	}
	if !q.Ready {
		kind := errs.Conflict
		if c.Address == nil || len(c.Lines) == 0 {
			kind = errs.Invalid
		}
		return Checkout{}, false, errs.E(op, kind, "the cart cannot be checked out: "+strings.Join(q.Problems, "; "))
	}
	sc, err := s.shareLink(ctx, op, c, q.channel.Code, in)
	if err != nil {
		return Checkout{}, false, err
	}
	ref := c.ID + "/" + strconv.Itoa(c.Attempt)
	return s.place(ctx, c, q, ref, prov, in.Payment.Token, sc)
}

// place holds the coupons' uses and the stock, charges, and writes the
// checkout of cart c priced q, with the commission of the share link sc
// (nil: none).
func (s *Service) place(ctx context.Context, c Cart, q Quote, ref string, prov payment.Provider, token string, sc *shareCredit) (Checkout, bool, error) {
	const op = "order.Checkout"
	now := s.Now().UTC()
	if claims := q.claims(); len(claims) > 0 {
		if err := s.Store.ClaimCoupons(ctx, ref, c.BuyerID, claims, now.Add(-cmp.Or(s.Hold, inventory.DefaultHold)), now); err != nil {
			return Checkout{}, false, err
		}
	}
	rsvs, from, err := s.reserve(ctx, ref, q)
	if err != nil {
		s.Store.ReleaseCoupons(context.WithoutCancel(ctx), ref)
		return Checkout{}, false, err
	}
	undo := func() {
		for _, r := range rsvs {
			s.Stock.Release(context.WithoutCancel(ctx), r.ID)
		}
		s.Store.ReleaseCoupons(context.WithoutCancel(ctx), ref)
	}
	if moved(q, from) {
		if q, err = s.Price(ctx, c, from); err != nil {
			undo()
			return Checkout{}, false, err
		}
		if !q.Ready {
			undo()
			return Checkout{}, false, errs.E(op, errs.Conflict, "the cart cannot be checked out: "+strings.Join(q.Problems, "; "))
		}
	}
	res, err := prov.Charge(ctx, payment.Charge{Key: "checkout/" + ref, Amount: q.Total, Token: token, Description: q.channel.Name})
	if err != nil {
		undo()
		return Checkout{}, false, errs.E(op, errs.Other, err)
	}
	co, expiry, evs, err := s.build(ctx, c, q, rsvs, prov.Name(), res)
	co.Ref = ref
	if err != nil {
		undo()
		return Checkout{}, false, err
	}
	coms, comEvs, err := credit(co, sc, co.CreatedAt)
	if err != nil {
		undo()
		return Checkout{}, false, err
	}
	co.Commissions, evs = coms, append(evs, comEvs...)
	out, created, err := s.Store.PlaceCheckout(ctx, co, expiry, evs)
	if err != nil {
		return Checkout{}, false, errs.E(op, errs.Other, err)
	}
	return out, created, nil
}

// reserve holds the quote's lines, one reservation per merchant (all or
// none), each item preferring the warehouse it was promised from. It returns the
// reservations and the warehouse holding each line.
func (s *Service) reserve(ctx context.Context, ref string, q Quote) ([]inventory.Reservation, map[string]string, error) {
	byMerchant := map[string][]QuotedLine{}
	for _, l := range q.Lines {
		byMerchant[l.MerchantID] = append(byMerchant[l.MerchantID], l)
	}
	// One transaction for every merchant's reservation, in merchant order
	// (the order PostgreSQL locks their stock rows in).
	merchants := slices.Sorted(maps.Keys(byMerchant))
	ins := make([]inventory.ReserveInput, len(merchants))
	for i, m := range merchants {
		in := inventory.ReserveInput{Ref: ref + "/" + m, Hold: s.Hold, Prefer: map[string]string{}}
		for _, l := range byMerchant[m] {
			in.Items = append(in.Items, inventory.Item{MerchantID: m, SKU: l.SKU, Quantity: l.Quantity})
			in.Prefer[l.SKU] = l.warehouseID
		}
		ins[i] = in
	}
	rsvs, err := s.Stock.ReserveAll(ctx, ins)
	if err != nil {
		if errs.Is(err, errs.Conflict) {
			return nil, nil, errs.E("order.Checkout", errs.Conflict, "not enough stock left: "+errs.Message(err))
		}
		return nil, nil, err
	}
	from := map[string]string{}
	for i, m := range merchants {
		for _, l := range byMerchant[m] {
			// A line split over warehouses is taxed and promised from the
			// one holding most of it.
			best := int64(0)
			for _, rl := range rsvs[i].Lines {
				if rl.SKU == l.SKU && rl.Quantity > best {
					best, from[l.ID] = rl.Quantity, rl.WarehouseID
				}
			}
		}
	}
	return rsvs, from, nil
}

// moved reports whether a reservation holds a line in another warehouse
// than the one it was priced from.
func moved(q Quote, from map[string]string) bool {
	for _, l := range q.Lines {
		if from[l.ID] != l.warehouseID {
			return true
		}
	}
	return false
}

// termsTTL is how long a merchant's terms are kept: a plan assigned
// applies to checkouts within a minute.
const termsTTL = time.Minute

type cachedTerms struct {
	t  merchant.Terms
	at time.Time
}

// terms returns a merchant's terms, read at most once a minute.
func (s *Service) terms(ctx context.Context, merchantID string) (merchant.Terms, error) {
	if v, ok := s.termsCache.Load(merchantID); ok && time.Since(v.(cachedTerms).at) < termsTTL {
		return v.(cachedTerms).t, nil
	}
	t, err := s.Terms(ctx, merchantID)
	if err != nil {
		return t, err
	}
	s.termsCache.Store(merchantID, cachedTerms{t, time.Now()})
	return t, nil
}

// commission is what Sesame keeps of a line sold for sold (after its
// discounts): the plan's rate for the line's category (the category's own,
// else its nearest ancestor's, else the plan's default), rounded half up,
// then held within that rate's per-line minimum and maximum, which are in
// the plan's currency and converted to the line's by conv. A minimum never
// takes more than the line itself.
func commission(t merchant.Terms, lineage []string, sold money.Amount, conv func(money.Amount) (money.Amount, error)) (OrderLine, error) {
	bps, lo, hi, from := t.CommissionBps, t.CommissionMin, t.CommissionMax, ""
found:
	for _, id := range lineage {
		for _, c := range t.Categories {
			if c.CategoryID == id {
				bps, lo, hi, from = c.CommissionBps, c.Min, c.Max, id
				break found
			}
		}
	}
	com, err := sold.ApplyBasisPoints(bps, money.HalfUp)
	if err != nil {
		return OrderLine{}, err
	}
	ol := OrderLine{CommissionBps: bps, CommissionBasis: "rate", CommissionCategory: from}
	bound := func(minor int64) (money.Amount, error) {
		if t.Currency == "" || t.Currency == sold.Currency {
			return money.Amount{Minor: minor, Currency: sold.Currency}, nil
		}
		return conv(money.Amount{Minor: minor, Currency: t.Currency})
	}
	if hi > 0 {
		ceiling, err := bound(hi)
		if err != nil {
			return OrderLine{}, err
		}
		if com.Minor > ceiling.Minor {
			com.Minor, ol.CommissionBasis = ceiling.Minor, "maximum"
		}
	}
	if lo > 0 {
		floor, err := bound(lo)
		if err != nil {
			return OrderLine{}, err
		}
		floor.Minor = min(floor.Minor, max(sold.Minor, 0))
		if com.Minor < floor.Minor {
			com.Minor, ol.CommissionBasis = floor.Minor, "minimum"
		}
	}
	ol.Commission = com
	return ol, nil
}

// build makes the checkout the store writes from a priced cart and the
// provider's answer.
func (s *Service) build(ctx context.Context, c Cart, q Quote, rsvs []inventory.Reservation, provider string, res payment.Result) (Checkout, *timers.Timer, []events.Event, error) {
	const op = "order.Checkout"
	now := q.at
	co := Checkout{ID: ids.New(ids.Checkout), CartID: c.ID, Attempt: c.Attempt, BuyerID: c.BuyerID, Total: q.Total, CreatedAt: now, Orders: []Order{}}
	for _, r := range rsvs {
		co.Reservations = append(co.Reservations, r.ID)
	}
	co.Payment = PaymentRecord{ID: ids.New(ids.Payment), CheckoutID: co.ID, Provider: provider, ProviderRef: res.Ref, Status: res.Status,
		Amount: q.Total, Reason: res.Reason, CreatedAt: now, UpdatedAt: now}
	if res.Status == payment.Failed {
		return co, nil, nil, nil
	}
	status := Paid
	if res.Status == payment.RequiresAction {
		status = PendingPayment
	}
	zero := money.Amount{Currency: c.Currency}
	var evs []events.Event
	marketplaceOff := map[string]int64{} // by order id
	for _, g := range q.Groups {
		i := slices.IndexFunc(co.Orders, func(o Order) bool { return o.MerchantID == g.MerchantID })
		if i < 0 {
			co.Orders = append(co.Orders, Order{ID: ids.New(ids.Order), CheckoutID: co.ID, MerchantID: g.MerchantID, MerchantName: g.MerchantName,
				BuyerID: c.BuyerID, ChannelID: c.ChannelID,
				Status: status, Totals: zeroTotals(c.Currency), Commission: zero,
				Address: *c.Address, Parcels: []Parcel{}, Lines: []OrderLine{}, CreatedAt: now, UpdatedAt: now})
			i = len(co.Orders) - 1
		}
		o := &co.Orders[i]
		for _, r := range rsvs {
			if strings.HasSuffix(r.Ref, "/"+g.MerchantID) {
				o.ReservationID = r.ID
			}
		}
		terms, err := s.terms(ctx, g.MerchantID)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return Checkout{}, nil, nil, errs.E(op, errs.Other, err)
		}
		p := Parcel{WarehouseID: g.warehouseID, ShipsFrom: g.ShipsFrom, Carrier: g.Carrier, Regime: g.Regime, Shipping: g.Shipping, Fees: g.Fees,
			DueOnDelivery: g.DueOnDelivery, Lines: g.LineIDs, Value: g.value}
		if g.Earliest != nil {
			p.Earliest, p.Latest = *g.Earliest, *g.Latest
		}
		if g.Regime == pricing.IOSS {
			p.IOSS = s.IOSSNumber
		}
		for _, id := range g.LineIDs {
			ql := q.line(id)
			tax := g.taxes[slices.IndexFunc(g.taxes, func(t pricing.LineTax) bool { return t.Key == id })]
			sold := money.Amount{Minor: ql.Total.Minor - ql.Discount.Minor, Currency: ql.Total.Currency}
			com, err := commission(terms, q.law.lineage(ql.categoryID), sold, func(a money.Amount) (money.Amount, error) {
				c, _, err := q.law.fx.Convert(a, sold.Currency, now)
				return c, err
			})
			if err != nil {
				return Checkout{}, nil, nil, errs.E(op, errs.Other, err)
			}
			o.Lines = append(o.Lines, OrderLine{ID: ql.ID, VariantID: ql.VariantID, ProductID: ql.ProductID, SKU: ql.SKU, Title: ql.Title, Image: ql.Image,
				Quantity: ql.Quantity, UnitPrice: ql.UnitPrice, Total: ql.Total, WarehouseID: g.warehouseID, HSCode: ql.hs, Origin: g.ShipsFrom,
				TaxRule: tax.Rule, TaxRateBps: tax.RateBps, Tax: tax.Tax, Duty: tax.Duty, Discount: ql.Discount,
				CommissionBps: com.CommissionBps, Commission: com.Commission, CommissionBasis: com.CommissionBasis, CommissionCategory: com.CommissionCategory})
			o.Commission.Minor += com.Commission.Minor
			marketplaceOff[o.ID] += ql.marketplaceOff
		}
		o.Parcels = append(o.Parcels, p)
		o.Totals.add(g.Totals)
		settle := cmp.Or(terms.Deposit.Currency, c.Currency)
		// The merchant is owed its goods after its own coupons (the
		// marketplace's it bears itself) and shipping, less commission.
		net := money.Amount{Minor: o.Subtotal.Minor - (o.Discount.Minor - marketplaceOff[o.ID]) + o.Shipping.Minor - o.Commission.Minor, Currency: c.Currency}
		conv, rate, err := q.law.fx.Convert(net, settle, now)
		if err != nil {
			return Checkout{}, nil, nil, errs.E(op, errs.Other, err)
		}
		o.Settlement, o.FXRate = conv, rate.Rate.String()
		if terms.ReserveBps > 0 && terms.ReserveDays > 0 {
			o.Reserve = &OrderReserve{Bps: terms.ReserveBps, Days: terms.ReserveDays}
		}
	}
	for _, o := range co.Orders {
		evs = append(evs, orderEvent(events.OrderPlaced, o, "", now))
		if o.Status == Paid {
			evs = append(evs, orderEvent(events.OrderPaid, o, "", now))
		}
	}
	var expiry *timers.Timer
	if res.Status == payment.RequiresAction {
		hold := cmp.Or(s.Hold, inventory.DefaultHold)
		t, err := timers.New(TimerPaymentExpiry, now.Add(hold), expiryPayload{Payment: co.Payment.ID})
		if err != nil {
			return Checkout{}, nil, nil, errs.E(op, errs.Internal, err)
		}
		t.Dedupe, t.CreatedAt = TimerPaymentExpiry+":"+co.Payment.ID, now
		expiry = &t
	}
	return co, expiry, evs, nil
}

func orderEvent(typ string, o Order, reason string, at time.Time) events.Event {
	return events.New(typ, o.ID, o.MerchantID, at, events.OrderChange{V: events.OrderChangeV1, OrderID: o.ID, CheckoutID: o.CheckoutID,
		MerchantID: o.MerchantID, BuyerID: o.BuyerID, ChannelID: o.ChannelID, Status: string(o.Status), Total: o.Total.Minor,
		Currency: o.Total.Currency, Lines: len(o.Lines), Reason: reason, Carrier: o.Carrier, TrackingNumber: o.TrackingNumber,
		ProtectionEndsAt: o.ProtectionEndsAt, At: at})
}

// ConfirmPayment completes a payment that required the buyer's action:
// the provider confirms it and the orders are paid. Errors: NotFound (not
// the buyer's), Conflict (not awaiting action: already paid, failed,
// expired).
func (s *Service) ConfirmPayment(ctx context.Context, actor identity.Actor, paymentID string) (Checkout, error) {
	const op = "order.ConfirmPayment"
	co, err := s.paymentOf(ctx, op, actor, paymentID)
	if err != nil {
		return Checkout{}, err
	}
	if co.Payment.Status != payment.RequiresAction {
		return Checkout{}, errs.E(op, errs.Conflict, "this payment is "+string(co.Payment.Status)+", not awaiting confirmation")
	}
	prov, ok := s.Providers[co.Payment.Provider]
	if !ok {
		return Checkout{}, errs.E(op, errs.Unavailable, "the payment's provider is not configured")
	}
	res, err := prov.Confirm(ctx, co.Payment.ProviderRef)
	if err != nil {
		return Checkout{}, errs.E(op, errs.Other, err)
	}
	now := s.Now().UTC()
	switch res.Status {
	case payment.Captured:
		return s.Store.SettlePayment(ctx, paymentID, payment.RequiresAction, payment.Captured, "", []Status{PendingPayment}, Paid, now,
			func(o Order) []events.Event { return []events.Event{orderEvent(events.OrderPaid, o, "", now)} })
	case payment.Failed:
		return s.Store.SettlePayment(ctx, paymentID, payment.RequiresAction, payment.Failed, res.Reason, []Status{PendingPayment}, Cancelled, now,
			func(o Order) []events.Event {
				return []events.Event{orderEvent(events.OrderCancelled, o, "payment_failed", now)}
			})
	}
	return Checkout{}, errs.E(op, errs.Conflict, "the payment still requires action")
}

// ExpiryTimer is the handler of TimerPaymentExpiry: a payment still awaiting
// the buyer's action when its hold ends fails, its orders are cancelled and
// their stock released. Idempotent: a payment settled meanwhile is left.
func (s *Service) ExpiryTimer(ctx context.Context, t timers.Timer) error {
	var p expiryPayload
	if err := json.Unmarshal(t.Payload, &p); err != nil || p.Payment == "" {
		return nil
	}
	now := s.Now().UTC()
	_, err := s.Store.SettlePayment(ctx, p.Payment, payment.RequiresAction, payment.Failed, "the payment was not completed in time",
		[]Status{PendingPayment}, Cancelled, now,
		func(o Order) []events.Event {
			return []events.Event{orderEvent(events.OrderCancelled, o, "payment_expired", now)}
		})
	if errs.Is(err, errs.Conflict) || errs.Is(err, errs.NotFound) {
		return nil
	}
	return err
}

// paymentOf returns the checkout of a payment the actor may act on: only
// its buyer completes a payment.
func (s *Service) paymentOf(ctx context.Context, op string, actor identity.Actor, id string) (Checkout, error) {
	notFound := errs.E(op, errs.NotFound, "payment not found")
	if !ids.Valid(ids.Payment, id) {
		return Checkout{}, notFound
	}
	co, err := s.Store.PaymentCheckout(ctx, id)
	if errs.Is(err, errs.NotFound) {
		return Checkout{}, notFound
	}
	if err != nil {
		return Checkout{}, err
	}
	if actor.Role != identity.Buyer || actor.UserID != co.BuyerID {
		return Checkout{}, notFound
	}
	return co, nil
}

// PaymentOf returns the checkout of one of the buyer's payments. Errors:
// NotFound.
func (s *Service) PaymentOf(ctx context.Context, actor identity.Actor, id string) (Checkout, error) {
	return s.paymentOf(ctx, "order.PaymentOf", actor, id)
}

// mayRead reports whether actor may see order o: its buyer, its
// merchant's staff, an operator.
func mayRead(actor identity.Actor, o Order) bool {
	return actor.IsOperator() || (actor.Role == identity.Buyer && actor.UserID == o.BuyerID) || actor.ActsFor(o.MerchantID)
}

// Order returns an order the actor may see. Errors: NotFound.
func (s *Service) Order(ctx context.Context, actor identity.Actor, id string) (Order, error) {
	const op = "order.Order"
	notFound := errs.E(op, errs.NotFound, "order not found")
	if !ids.Valid(ids.Order, id) {
		return Order{}, notFound
	}
	o, err := s.Store.Order(ctx, id)
	if errs.Is(err, errs.NotFound) || (err == nil && !mayRead(actor, o)) {
		return Order{}, notFound
	}
	return o, err
}

// MaxPage bounds a page of orders.
const MaxPage = 100

// Orders lists the orders the actor may see, newest first: a buyer's own,
// a merchant's, all for an operator. cursor is the last id of the previous
// page. Errors: Forbidden (partners), Invalid (cursor).
func (s *Service) Orders(ctx context.Context, actor identity.Actor, cursor string, limit int) ([]Order, string, error) {
	const op = "order.Orders"
	f := Filter{Before: cursor, Limit: cmp.Or(limit, 20)}
	if f.Limit < 1 || f.Limit > MaxPage {
		return nil, "", errs.Field(op, "limit", fmt.Sprintf("must be 1 to %d", MaxPage))
	}
	if cursor != "" && !ids.Valid(ids.Order, cursor) {
		return nil, "", errs.Field(op, "cursor", "not a cursor of this list")
	}
	switch {
	case actor.IsOperator():
	case actor.Role == identity.Buyer:
		f.BuyerID = actor.UserID
	case actor.Role == identity.Staff && actor.MerchantID != "":
		f.MerchantID = actor.MerchantID
	default:
		return nil, "", errs.E(op, errs.Forbidden, "only buyers, merchants and operators have orders")
	}
	f.Limit++
	os, err := s.Store.Orders(ctx, f)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(os) == f.Limit {
		os = os[:f.Limit-1]
		next = os[len(os)-1].ID
	}
	return os, next, nil
}

// Cancel cancels an order before it ships, at its buyer's or merchant's
// request (or an operator's): a paid order is refunded in full, and its
// stock returns. Errors: NotFound, Conflict (shipped or cancelled already).
func (s *Service) Cancel(ctx context.Context, actor identity.Actor, id, reason string) (Order, error) {
	const op = "order.Cancel"
	o, err := s.Order(ctx, actor, id)
	if err != nil {
		return Order{}, err
	}
	if !CanMove(o.Status, Cancelled) {
		return Order{}, errs.E(op, errs.Conflict, "an order that is "+strings.ReplaceAll(string(o.Status), "_", " ")+" cannot be cancelled")
	}
	now := s.Now().UTC()
	ref := ""
	if o.Status == Paid {
		co, err := s.Store.Checkout(ctx, o.CheckoutID)
		if err != nil {
			return Order{}, err
		}
		prov, ok := s.Providers[co.Payment.Provider]
		if !ok {
			return Order{}, errs.E(op, errs.Unavailable, "the payment's provider is not configured")
		}
		res, err := prov.Refund(ctx, co.Payment.ProviderRef, "refund/"+o.ID, o.Total)
		if err != nil {
			return Order{}, errs.E(op, errs.Other, err)
		}
		ref = res.Ref
	}
	reason = cmp.Or(reason, "cancelled")
	out, err := s.Store.MoveOrder(ctx, o.ID, []Status{o.Status}, Cancelled, now, []events.Event{orderEvent(events.OrderCancelled, withStatus(o, Cancelled), reason, now)})
	if err == nil && ref != "" {
		// The provider's id of the refund, for reconciliation: a failure
		// here leaves the refund listed as a difference to look at.
		if err := s.Store.SetRefundRef(ctx, o.ID, ref); err != nil {
			slog.WarnContext(ctx, "refund ref not recorded", "order", o.ID, "err", err)
		}
	}
	return out, err
}

func withStatus(o Order, st Status) Order { o.Status = st; return o }

// ProviderEvent applies a payment provider's webhook event, verified by
// the caller: a payment awaiting the buyer's action that the provider
// reports captured pays its orders; one it reports failed cancels them. An
// event delivered again, about a charge Sesame does not know, or about a
// payment settled already changes nothing. Errors: as the store's.
func (s *Service) ProviderEvent(ctx context.Context, provider string, ev payment.Event) error {
	if ev.ID == "" || ev.Ref == "" || (ev.Status != payment.Captured && ev.Status != payment.Failed) {
		return nil
	}
	now := s.Now().UTC()
	id, err := s.Store.PaymentByRef(ctx, provider, ev.Ref)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	// A replayed delivery is dropped; the state machine drops the rest (a
	// payment settled already answers Conflict). The event is recorded
	// once applied, so that a failure here has the provider retry it.
	seen, err := s.Store.ProviderEventSeen(ctx, provider, ev.ID)
	if err != nil || seen {
		return err
	}
	if ev.Status == payment.Captured {
		_, err = s.Store.SettlePayment(ctx, id, payment.RequiresAction, payment.Captured, "", []Status{PendingPayment}, Paid, now,
			func(o Order) []events.Event { return []events.Event{orderEvent(events.OrderPaid, o, "", now)} })
	} else {
		_, err = s.Store.SettlePayment(ctx, id, payment.RequiresAction, payment.Failed, ev.Reason, []Status{PendingPayment}, Cancelled, now,
			func(o Order) []events.Event {
				return []events.Event{orderEvent(events.OrderCancelled, o, "payment_failed", now)}
			})
	}
	if err != nil && !errs.Is(err, errs.Conflict) { // Conflict: settled meanwhile (the buyer's confirmation came first)
		return err
	}
	_, err = s.Store.FirstProviderEvent(ctx, provider, ev.ID, now)
	return err
}
