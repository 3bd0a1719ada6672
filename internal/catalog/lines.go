package catalog

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
)

// Line is one line of a catalogue feed: the product it describes, keyed by
// the merchant's own reference, and where in the feed it was read.
type Line struct {
	// N is the line's number in the feed, from 1.
	N int
	// Ref is the merchant's reference of the product (Product.Ref).
	Ref     string
	Product ProductInput
	// Channels are the channels (ids or codes) a new product is listed on.
	// A line that updates a product leaves its listings as they are.
	Channels []string
}

// LineError is a line an import refused: its number, the field at fault
// ("" when no one field is) and the reason, in words a merchant can act on.
type LineError struct {
	Line   int
	Field  string
	Reason string
}

// ImportResult is what ImportLines did with its lines: each line is counted
// once, in one of Created, Updated, Unchanged or Refused.
type ImportResult struct {
	Created, Updated, Unchanged int
	Refused                     []LineError
}

// lineFault reports whether err is the fault of the line at hand (a field,
// a rule, a collision) rather than of the store or the call.
func lineFault(err error) bool {
	switch errs.KindOf(err) {
	case errs.Invalid, errs.Forbidden, errs.Conflict, errs.NotFound:
		return errs.FieldOf(err) != "merchant_id"
	}
	return false
}

// ImportLines stores the lines of a catalogue feed for merchantID, one by
// one as far as their refusals go: a line that fails the normalise-and-
// validate step of CreateProduct (checkProduct), the brand rule, or the
// store's checks is refused alone, with its field, and the other lines are
// stored. A line whose Ref the merchant already uses updates that product
// (Store.ReplaceProduct), or leaves it alone when it would change nothing,
// so that importing a feed twice, or again after an interruption, gives the
// catalogue one import gives. New products are written in one transaction
// (Store.CreateProducts), the refused ones found by halving a batch the
// store refuses. Operators import for any merchant, merchant staff and API
// keys only for their own approved merchant. Errors (of the whole call):
// Forbidden, Invalid for an unknown merchant, and the store's.
func (s *Service) ImportLines(ctx context.Context, actor identity.Actor, merchantID string, lines []Line) (ImportResult, error) {
	const op = "catalog.ImportLines"
	var res ImportResult
	if !actor.IsOperator() && !(actor.Sells() && actor.MerchantID == merchantID) {
		return res, errs.E(op, errs.Forbidden, "merchants import only their own products")
	}
	if !ids.Valid(ids.Merchant, merchantID) {
		return res, errs.Field(op, "merchant_id", "no such merchant")
	}
	refuse := func(n int, err error) {
		f := errs.FieldOf(err)
		res.Refused = append(res.Refused, LineError{Line: n, Field: f, Reason: strings.TrimPrefix(errs.Message(err), f+": ")})
	}
	chk := s.lineChecker(merchantID)
	type checked struct {
		line Line
		p    Product
	}
	var good []checked
	seen := make(map[string]bool, len(lines))
	for _, l := range lines {
		p, err := chk.check(ctx, op, l)
		if err == nil && seen[l.Ref] {
			err = errs.Field(op, "ref", "ref "+l.Ref+" appears twice in one batch")
		}
		if err != nil {
			if !lineFault(err) {
				return res, err
			}
			refuse(l.N, err)
			continue
		}
		seen[l.Ref] = true
		good = append(good, checked{l, p})
	}
	refs := make([]string, len(good))
	for i, g := range good {
		refs[i] = g.line.Ref
	}
	existing, err := s.Store.ProductsByRef(ctx, merchantID, refs)
	if err != nil {
		return res, errs.E(op, errs.Other, err)
	}
	now := s.Now()
	var fresh []Product
	var freshLines []int
	for _, g := range good {
		old, ok := existing[g.line.Ref]
		if !ok {
			g.p.ID, g.p.Version, g.p.CreatedAt, g.p.UpdatedAt = ids.New(ids.Product), 1, now, now
			fresh = append(fresh, g.p)
			freshLines = append(freshLines, g.line.N)
			continue
		}
		if sameContent(old, g.p) {
			res.Unchanged++
			continue
		}
		g.p.ID = old.ID
		ev := events.New(events.ProductUpdated, old.ID, merchantID, now, map[string]any{"id": old.ID})
		if err := s.Store.ReplaceProduct(ctx, merchantID, g.p, now, ev); err != nil {
			if !lineFault(err) {
				return res, errs.E(op, errs.Other, err)
			}
			refuse(g.line.N, err)
			continue
		}
		res.Updated++
	}
	if err := s.createLines(ctx, fresh, freshLines, &res, refuse); err != nil {
		return res, errs.E(op, errs.Other, err)
	}
	slices.SortFunc(res.Refused, func(a, b LineError) int { return a.Line - b.Line })
	return res, nil
}

// createLines writes ps (read from lines ns) in one CreateProducts; when
// the store refuses the batch for a line's fault, it writes each half
// apart, down to the one product at fault, which is refused.
func (s *Service) createLines(ctx context.Context, ps []Product, ns []int, res *ImportResult, refuse func(int, error)) error {
	if len(ps) == 0 {
		return nil
	}
	err := s.Store.CreateProducts(ctx, ps, nil)
	switch {
	case err == nil:
		res.Created += len(ps)
		return nil
	case !lineFault(err):
		return err
	case len(ps) == 1:
		refuse(ns[0], err)
		return nil
	}
	h := len(ps) / 2
	if err := s.createLines(ctx, ps[:h], ns[:h], res, refuse); err != nil {
		return err
	}
	return s.createLines(ctx, ps[h:], ns[h:], res, refuse)
}

// lineChecker checks the lines of one ImportLines call, reading each brand,
// channel and the category tree once per call.
type lineChecker struct {
	s          *Service
	merchantID string
	look       channelLookup
	brands     map[string]error
	categories map[string]bool
}

func (s *Service) lineChecker(merchantID string) *lineChecker {
	return &lineChecker{s: s, merchantID: merchantID, look: s.memoChannels(), brands: map[string]error{}}
}

// check is the product line l describes, checked as CreateProduct checks a
// request, with its brand rule and category; it has no id yet.
func (c *lineChecker) check(ctx context.Context, op string, l Line) (Product, error) {
	if err := checkSKU(op, "ref", l.Ref); err != nil {
		return Product{}, err
	}
	in, prices, err := c.s.checkProduct(ctx, op, l.Product, c.look)
	if err != nil {
		return Product{}, err
	}
	if err := c.brand(ctx, op, in.BrandID); err != nil {
		return Product{}, err
	}
	if err := c.category(ctx, op, in.CategoryID); err != nil {
		return Product{}, err
	}
	p := Product{MerchantID: c.merchantID, Ref: l.Ref, BrandID: in.BrandID, CategoryID: in.CategoryID, OriginCountry: in.OriginCountry,
		Translations: in.Translations, Media: in.Media, Attributes: in.Attributes, Channels: []string{}}
	if p.Media == nil {
		p.Media = []string{}
	}
	for i, vi := range in.Variants {
		p.Variants = append(p.Variants, newVariant(vi, prices[i]))
	}
	for _, ref := range l.Channels {
		ch, err := c.look(ctx, ref)
		if errs.Is(err, errs.NotFound) {
			return Product{}, errs.Field(op, "channels", "no channel "+ref)
		} else if err != nil {
			return Product{}, err
		}
		if !slices.Contains(p.Channels, ch.ID) {
			p.Channels = append(p.Channels, ch.ID)
		}
	}
	return p, nil
}

// brand applies the brand rule (MayUseBrand) to the line's brand, refusing
// on the field brand_id; the store applies it again when it writes.
func (c *lineChecker) brand(ctx context.Context, op, id string) error {
	if id == "" {
		return nil
	}
	if err, ok := c.brands[id]; ok {
		return err
	}
	err := func() error {
		b, err := c.s.Store.Brand(ctx, id)
		if errs.Is(err, errs.NotFound) {
			return errs.Field(op, "brand_id", "no such brand")
		} else if err != nil {
			return err
		}
		auths, err := c.s.Store.BrandAuthorisations(ctx, id)
		if err != nil {
			return err
		}
		authorised := slices.ContainsFunc(auths, func(a BrandAuthorisation) bool { return a.MerchantID == c.merchantID })
		if err := MayUseBrand(b, c.merchantID, authorised); err != nil {
			return &errs.Error{Op: op, Kind: errs.Forbidden, Field: "brand_id", Err: errors.New(errs.Message(err))}
		}
		return nil
	}()
	if err == nil || lineFault(err) {
		c.brands[id] = err
	}
	return err
}

// category checks that the line's category is in the tree.
func (c *lineChecker) category(ctx context.Context, op, id string) error {
	if c.categories == nil {
		cats, err := c.s.Store.ListCategories(ctx)
		if err != nil {
			return err
		}
		c.categories = make(map[string]bool, len(cats))
		for _, cat := range cats {
			c.categories[cat.ID] = true
		}
	}
	if !c.categories[id] {
		return errs.Field(op, "category_id", "no such category")
	}
	return nil
}

// sameContent reports whether importing p over old would change nothing a
// feed gives: brand, category, origin, texts, media, attributes, and the
// options and prices of p's variants (old may have more).
func sameContent(old, p Product) bool {
	if old.BrandID != p.BrandID || old.CategoryID != p.CategoryID || old.OriginCountry != p.OriginCountry ||
		!maps.Equal(old.Translations, p.Translations) || !slices.Equal(old.Media, p.Media) || !maps.Equal(old.Attributes, p.Attributes) {
		return false
	}
	for _, v := range p.Variants {
		i := slices.IndexFunc(old.Variants, func(o Variant) bool { return o.SKU == v.SKU })
		if i < 0 || !maps.Equal(old.Variants[i].Options, v.Options) || !samePrices(old.Variants[i].Prices, v.Prices) {
			return false
		}
	}
	return true
}

// samePrices reports whether a and b hold the same prices in any order.
func samePrices(a, b []Price) bool {
	if len(a) != len(b) {
		return false
	}
	key := func(p Price) string { return p.ChannelID + " " + p.Currency }
	byKey := make(map[string]int64, len(a))
	for _, p := range a {
		byKey[key(p)] = p.Minor
	}
	for _, p := range b {
		if m, ok := byKey[key(p)]; !ok || m != p.Minor {
			return false
		}
	}
	return true
}
