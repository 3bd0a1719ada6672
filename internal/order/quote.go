package order

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/pricing"
	"github.com/sesame-market/sesame/internal/promise"
)

type (
	catalogVariant = catalog.Variant
	catalogPrice   = catalog.Price
)

// QuotedLine is a cart line with the server's price and what the buyer may
// know of its stock and delivery.
type QuotedLine struct {
	Line
	Title        string                 `json:"title"`
	Options      map[string]string      `json:"options,omitempty"`
	Image        string                 `json:"image,omitempty"`
	UnitPrice    money.Amount           `json:"unit_price"`
	Total        money.Amount           `json:"total"`
	Discount     money.Amount           `json:"discount" doc:"What coupons take off the line (before tax)"`
	Availability inventory.Availability `json:"availability"`
	ShipsFrom    string                 `json:"ships_from,omitempty"`
	Earliest     *promise.Date          `json:"earliest,omitempty"`
	Latest       *promise.Date          `json:"latest,omitempty"`
	// Problem says why the line cannot be bought as it is, in English;
	// ProblemCode says it for a client to word in its buyer's language.
	Problem     string `json:"problem,omitempty"`
	ProblemCode string `json:"problem_code,omitempty" enum:"not_sold,not_on_channel,no_price,not_deliverable" doc:"not_sold: the variant is gone; not_on_channel: no longer listed on the cart's channel; no_price: no price in the cart's currency or a rate to convert one; not_deliverable: no stock that can reach the address"`

	warehouseID, hs, class, categoryID string
	promise                            *promise.Result
	// marketplaceOff is the part of Discount a marketplace coupon took:
	// the marketplace bears it, not the merchant.
	marketplaceOff int64
}

// Group is a parcel of a cart: the lines one merchant sends from one
// warehouse, with their shipping, promise, taxes and duties.
type Group struct {
	MerchantID   string        `json:"merchant_id"`
	MerchantName string        `json:"merchant_name"`
	ShipsFrom    string        `json:"ships_from"`
	Carrier      string        `json:"carrier,omitempty"`
	Earliest     *promise.Date `json:"earliest,omitempty"`
	Latest       *promise.Date `json:"latest,omitempty"`
	LineIDs      []string      `json:"line_ids"`
	Totals
	Regime  pricing.Regime `json:"tax_regime"`
	Fees    []pricing.Fee  `json:"fees"`
	Problem string         `json:"problem,omitempty"`
	// ProblemCode is the law's refusal (pricing.Refused…), or "tax" for any other.
	// ProblemLimit is the limit the refusal is about, if any.
	ProblemLimit *money.Amount `json:"problem_limit,omitempty"`
	ProblemCode  string        `json:"problem_code,omitempty" enum:"cbec_not_listed,cbec_yearly_limit,cbec_split,tax" doc:"cbec_not_listed: goods not on China's cross-border positive list; cbec_yearly_limit: past the buyer's yearly cross-border limit; cbec_split: above the per-order limit with more than one item"`

	warehouseID string
	taxes       []pricing.LineTax
	value       money.Amount
}

// Quote is a cart priced by the server: every amount in the cart's
// currency, the groups' totals adding up to the cart's.
type Quote struct {
	Cart
	Lines   []QuotedLine    `json:"lines"`
	Groups  []Group         `json:"groups"`
	Coupons []AppliedCoupon `json:"coupons"`
	Totals
	// Problems are why the cart cannot be checked out now; Ready is true
	// when there are none.
	Problems []string `json:"problems"`
	Ready    bool     `json:"ready"`
	// NeedsAddress is true until a shipping address is set (one of the
	// problems).
	NeedsAddress bool `json:"needs_address"`

	channel channel.Channel
	at      time.Time
	law     *law
}

func priceOf(v catalog.Variant, channelID, currency string) (money.Amount, bool) {
	for _, p := range v.Prices {
		if p.ChannelID == channelID && p.Currency == currency {
			return p.Amount, true
		}
	}
	return money.Amount{}, false
}

func destOf(c Cart) *promise.Destination {
	d := &promise.Destination{Country: c.Country}
	if c.Address != nil {
		d.Country, d.Postcode = c.Address.Country, c.Address.Postcode
	}
	return d
}

// The problem codes of a cart's lines.
const (
	LineNotSold        = "not_sold"
	LineNotOnChannel   = "not_on_channel"
	LineNoPrice        = "no_price"
	LineNotDeliverable = "not_deliverable"
)

// Empty is the problem of a cart with no lines.
const Empty = "the cart is empty"

// NoAddress is the problem of a cart with no shipping address yet.
const NoAddress = "no shipping address yet"

// Price prices cart c now: each line at the catalogue's price on the
// cart's channel in its currency (converted from another of the channel's
// currencies when the variant has none in it), each parcel from the
// warehouse with the best promise (or, with from, the warehouse named per
// line id: the one its reservation holds), its shipping from the lane, its
// taxes and duties by the law of its route. Lines that cannot be bought
// are kept, with their problem, out of the totals.
func (s *Service) Price(ctx context.Context, c Cart, from map[string]string) (Quote, error) {
	const op = "order.Price"
	l, err := s.loadLaw(ctx)
	if err != nil {
		return Quote{}, errs.E(op, errs.Other, err)
	}
	ch, err := s.Channels.Public(ctx, c.ChannelID)
	if err != nil {
		return Quote{}, errs.E(op, errs.Other, err)
	}
	now := s.Now().UTC()
	zero := money.Amount{Currency: c.Currency}
	q := Quote{Cart: c, Lines: make([]QuotedLine, 0, len(c.Lines)), Groups: []Group{}, Problems: []string{},
		Coupons: []AppliedCoupon{}, Totals: zeroTotals(c.Currency), channel: ch, at: now, law: l}
	dest := destOf(c)
	conv := l.fx.Converter(now)
	products := map[string]catalog.Product{}
	bySKU := map[string][]string{} // merchant -> skus
	for _, ln := range c.Lines {
		ql := QuotedLine{Line: ln, UnitPrice: zero, Total: zero, Discount: zero, Availability: inventory.OutOfStock}
		p, ok := products[ln.ProductID]
		if !ok {
			if p, err = s.Store.VariantProduct(ctx, ln.VariantID); err != nil && !errs.Is(err, errs.NotFound) {
				return Quote{}, errs.E(op, errs.Other, err)
			}
			products[ln.ProductID] = p
		}
		vi := slices.IndexFunc(p.Variants, func(v catalog.Variant) bool { return v.ID == ln.VariantID })
		switch {
		case err != nil || vi < 0:
			ql.Problem, ql.ProblemCode = "no longer sold", LineNotSold
		case !slices.Contains(p.Channels, c.ChannelID):
			ql.Problem, ql.ProblemCode = "no longer sold on this channel", LineNotOnChannel
		}
		if vi >= 0 {
			v := p.Variants[vi]
			t, _ := p.Text(ch.DefaultLanguage, ch.DefaultLanguage)
			ql.Title, ql.Options = t.Title, v.Options
			if len(p.Media) > 0 {
				ql.Image = p.Media[0]
			}
			price, ok := priceOf(v, c.ChannelID, c.Currency)
			if !ok {
				for _, cur := range ch.Currencies {
					if other, found := priceOf(v, c.ChannelID, cur); found {
						if price, err = conv(other, c.Currency); err == nil {
							ok = true
							break
						}
					}
				}
			}
			if !ok && ql.Problem == "" {
				ql.Problem, ql.ProblemCode = "no price in "+c.Currency, LineNoPrice
			}
			if ok {
				ql.UnitPrice = price
				if ql.Total, err = price.Mul(ln.Quantity); err != nil {
					return Quote{}, errs.E(op, errs.Invalid, err)
				}
			}
			ql.categoryID = p.CategoryID
			tr := l.tariff(p.CategoryID)
			ql.hs, ql.class = cmp.Or(p.Attributes["hs_code"], tr.HSCode), cmp.Or(p.Attributes["tax_class"], tr.TaxClass, pricing.Standard)
		}
		q.Lines = append(q.Lines, ql)
		if ql.Problem == "" {
			bySKU[ln.MerchantID] = append(bySKU[ln.MerchantID], ln.SKU)
		}
	}
	// Stock and promises, one read per merchant.
	for m, skus := range bySKU {
		offers, err := s.Stock.Offers(ctx, m, skus, ch.Markets, dest)
		if err != nil {
			return Quote{}, errs.E(op, errs.Other, err)
		}
		for i := range q.Lines {
			ql := &q.Lines[i]
			if ql.MerchantID != m || ql.Problem != "" {
				continue
			}
			o := offers[ql.SKU]
			ql.Availability = o.Availability
			ql.promise = o.Promise
			if wh := from[ql.ID]; wh != "" {
				if ql.promise, err = s.Stock.PromiseFrom(ctx, wh, *dest); err != nil {
					return Quote{}, errs.E(op, errs.Other, err)
				}
				if ql.promise != nil {
					ql.Availability = cmp.Or(o.Availability, inventory.InStock)
				}
			}
			switch {
			case ql.promise == nil:
				// No warehouse that can send it there has it (or none can).
				ql.Problem, ql.ProblemCode = "not available for delivery to "+dest.Country, LineNotDeliverable
				ql.Availability = inventory.OutOfStock
			default:
				ql.warehouseID, ql.ShipsFrom = ql.promise.OriginID, ql.promise.ShipsFrom
				e, la := ql.promise.Earliest, ql.promise.Latest
				ql.Earliest, ql.Latest = &e, &la
			}
		}
	}
	if len(c.Lines) > 0 {
		coupons, err := s.Store.CartCoupons(ctx, c.ID)
		if err != nil {
			return Quote{}, errs.E(op, errs.Other, err)
		}
		if err := applyCoupons(&q, coupons, now); err != nil {
			return Quote{}, errs.E(op, errs.Invalid, err)
		}
	}
	if err := s.group(ctx, &q, products, dest, conv); err != nil {
		return Quote{}, err
	}
	for _, ql := range q.Lines {
		if ql.Problem != "" {
			q.Problems = append(q.Problems, fmt.Sprintf("%s: %s", cmp.Or(ql.Title, ql.SKU), ql.Problem))
		}
	}
	if len(q.Lines) == 0 {
		q.Problems = append(q.Problems, Empty)
	}
	if c.Address == nil {
		q.Problems = append(q.Problems, NoAddress)
		q.NeedsAddress = true
	}
	q.Ready = len(q.Problems) == 0
	return q, nil
}

// group makes the parcels of q's buyable lines, assesses each, and sums the
// totals.
func (s *Service) group(ctx context.Context, q *Quote, products map[string]catalog.Product, dest *promise.Destination, conv pricing.Converter) error {
	const op = "order.Price"
	idx := map[[2]string]int{}
	for i := range q.Lines {
		ql := &q.Lines[i]
		if ql.Problem != "" {
			continue
		}
		k := [2]string{ql.MerchantID, ql.warehouseID}
		gi, ok := idx[k]
		if !ok {
			gi = len(q.Groups)
			idx[k] = gi
			q.Groups = append(q.Groups, Group{MerchantID: ql.MerchantID, MerchantName: products[ql.ProductID].MerchantName, ShipsFrom: ql.ShipsFrom,
				warehouseID: ql.warehouseID, LineIDs: []string{}, Fees: []pricing.Fee{}, Totals: zeroTotals(q.Currency)})
		}
		g := &q.Groups[gi]
		g.LineIDs = append(g.LineIDs, ql.ID)
		g.Subtotal.Minor += ql.Total.Minor
		g.Discount.Minor += ql.Discount.Minor
		p := ql.promise
		if g.Earliest == nil || p.Earliest.After(*g.Earliest) {
			e := p.Earliest
			g.Earliest = &e
		}
		if g.Latest == nil || p.Latest.After(*g.Latest) {
			la := p.Latest
			g.Latest = &la
		}
		cost, err := conv(money.Amount{Minor: p.Cost, Currency: p.Currency}, q.Currency)
		if err != nil {
			return errs.E(op, errs.Other, err)
		}
		if cost.Minor > g.Shipping.Minor {
			g.Shipping, g.Carrier = cost, p.Carrier
		}
	}
	var ytd money.Amount
	if dest.Country == "CN" && q.BuyerID != "" {
		year := time.Date(q.at.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		spent, err := s.Store.CBECSpent(ctx, q.BuyerID, year)
		if err != nil {
			return errs.E(op, errs.Other, err)
		}
		ytd = money.Amount{Minor: spent, Currency: "CNY"}
	}
	for gi := range q.Groups {
		g := &q.Groups[gi]
		parcel := pricing.Parcel{Date: q.at, Origin: g.ShipsFrom, Destination: dest.Country, Shipping: g.Shipping, CBECYearToDate: ytd}
		for _, id := range g.LineIDs {
			ql := q.line(id)
			value := money.Amount{Minor: ql.Total.Minor - ql.Discount.Minor, Currency: q.Currency}
			parcel.Lines = append(parcel.Lines, pricing.ParcelLine{Key: ql.ID, Quantity: ql.Quantity, Value: value, Class: ql.class, Subheading: ql.hs})
		}
		a, err := pricing.Assess(q.law.rules, parcel, conv)
		if errs.Is(err, errs.Invalid) {
			g.Problem, g.ProblemCode = errs.Message(err), "tax"
			var r *pricing.Refusal
			if errors.As(err, &r) {
				g.ProblemCode = r.Code
				if r.Limit.Currency != "" {
					g.ProblemLimit = &r.Limit
				}
			}
			q.Problems = append(q.Problems, g.MerchantName+": "+g.Problem)
			continue
		}
		if err != nil {
			return errs.E(op, errs.Other, err)
		}
		g.Regime, g.Fees, g.taxes, g.value = a.Regime, a.Fees, a.Lines, a.IntrinsicValue
		g.Tax, g.Duty, g.DueOnDelivery = a.Tax, a.Duty, a.DueOnDelivery
		g.Total.Minor = g.Subtotal.Minor - g.Discount.Minor + g.Shipping.Minor + g.Tax.Minor + g.Duty.Minor
		q.Totals.add(g.Totals)
	}
	if q.Total.Minor > money.MaxMinor {
		return errs.E(op, errs.Invalid, "the cart's total is beyond what Sesame handles")
	}
	return nil
}

func (q *Quote) line(id string) *QuotedLine {
	for i := range q.Lines {
		if q.Lines[i].ID == id {
			return &q.Lines[i]
		}
	}
	return nil
}
