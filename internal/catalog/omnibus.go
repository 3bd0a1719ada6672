package catalog

import (
	"context"
	"time"

	"github.com/sesame-market/sesame/internal/money"
)

// PriceChange is a change of a variant's price on a channel.
type PriceChange struct {
	VariantID string
	ChannelID string
	Currency  string
	Old, New  int64
	At        time.Time
}

// OmnibusWindow is how far before a reduction its reference price looks:
// the EU's Omnibus directive (2019/2161) has a reduction announced against
// the lowest price of the 30 days before it.
const OmnibusWindow = 30 * 24 * time.Hour

// Reduction is a price reduction as a buyer may be told of it: the lowest
// price of the 30 days before it, and the percentage off that price.
type Reduction struct {
	Prior      int64
	PercentOff int64
}

// ReductionOf says whether current, the price of variantID on channelID in
// currency, is a reduction, given the price's changes (any order): the
// lowest price in effect in the 30 days before the change that set it.
// The percentage is computed from that price (as the EU Court of Justice
// ruled in 2024), rounded down, never from a higher list price.
func ReductionOf(changes []PriceChange, variantID, channelID, currency string, current int64) (Reduction, bool) {
	var last *PriceChange
	for i := range changes {
		c := &changes[i]
		if c.VariantID == variantID && c.ChannelID == channelID && c.Currency == currency && (last == nil || c.At.After(last.At)) {
			last = c
		}
	}
	if last == nil || last.New != current {
		return Reduction{}, false
	}
	from := last.At.Add(-OmnibusWindow)
	prior := int64(-1)
	for _, c := range changes {
		if c.VariantID != variantID || c.ChannelID != channelID || c.Currency != currency || c.At.Before(from) || c.At.After(last.At) {
			continue
		}
		// c.Old was in effect until c: within the window.
		if prior < 0 || c.Old < prior {
			prior = c.Old
		}
	}
	if prior <= current {
		return Reduction{}, false
	}
	return Reduction{Prior: prior, PercentOff: (prior - current) * 100 / prior}, true
}

// Reductions returns the reductions of product id's prices on channelID at
// now, by variant id and currency (prices holds the current amounts):
// what a page may announce. Errors: as the store's.
func (s *Service) Reductions(ctx context.Context, id, channelID string, now time.Time, prices map[string]map[string]int64) (map[string]map[string]Reduction, error) {
	changes, err := s.Store.PriceChanges(ctx, id, time.Time{})
	if err != nil || len(changes) == 0 {
		return nil, err
	}
	out := map[string]map[string]Reduction{}
	for v, byCur := range prices {
		for cur, amount := range byCur {
			if r, ok := ReductionOf(changes, v, channelID, cur, amount); ok {
				if out[v] == nil {
					out[v] = map[string]Reduction{}
				}
				out[v][cur] = r
			}
		}
	}
	return out, nil
}

// VariantReduction is a reduced price of a variant on a channel, with what
// a page must show beside it.
type VariantReduction struct {
	VariantID string       `json:"variant_id"`
	SKU       string       `json:"sku"`
	Price     money.Amount `json:"price" doc:"The reduced price, in effect now"`
	Prior     money.Amount `json:"lowest_prior_price" doc:"The lowest price of the 30 days before the reduction: the reference to show"`
	// PercentOff is computed from Prior, rounded down.
	PercentOff int64 `json:"percent_off" doc:"The percentage off lowest_prior_price, rounded down; the only percentage a page may show"`
}

// ChannelReductions returns the reduced prices of product id on channel
// channelRef (it must be listed there), in every currency, in variant
// order. Anyone may read them. Errors: NotFound.
func (s *Service) ChannelReductions(ctx context.Context, id, channelRef string, now time.Time) ([]VariantReduction, error) {
	v, err := s.PublicProduct(ctx, id, channelRef, "")
	if err != nil {
		return nil, err
	}
	ch, err := s.Channels.Channel(ctx, channelRef)
	if err != nil {
		return nil, err
	}
	prices := map[string]map[string]int64{}
	for _, vr := range v.Variants {
		prices[vr.ID] = map[string]int64{}
		for _, pr := range vr.Prices {
			prices[vr.ID][pr.Currency] = pr.Amount
		}
	}
	red, err := s.Reductions(ctx, id, ch.ID, now, prices)
	if err != nil {
		return nil, err
	}
	out := []VariantReduction{}
	for _, vr := range v.Variants {
		for _, pr := range vr.Prices {
			if r, ok := red[vr.ID][pr.Currency]; ok {
				out = append(out, VariantReduction{VariantID: vr.ID, SKU: vr.SKU, Price: money.Amount{Minor: pr.Amount, Currency: pr.Currency},
					Prior: money.Amount{Minor: r.Prior, Currency: pr.Currency}, PercentOff: r.PercentOff})
			}
		}
	}
	return out, nil
}
