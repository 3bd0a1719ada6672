package catalog

import (
	"github.com/sesame-market/sesame/internal/events"
)

// ListingOf builds what channel (channelID, code channelCode) shows of
// product p: the payload of every listing event, whichever path emits it.
// path is the product's category path from the root. Only p's prices on
// that channel are carried.
func ListingOf(p Product, channelID, channelCode string, path []Category) events.Listing {
	l := events.Listing{V: events.ListingV1, ProductID: p.ID, ChannelID: channelID, ChannelCode: channelCode,
		Merchant: events.Ref{ID: p.MerchantID, Name: p.MerchantName}, OriginCountry: p.OriginCountry,
		Texts: make(map[string]events.ListText, len(p.Translations)), Prices: map[string]int64{},
		Media: p.Media, Attributes: p.Attributes, Variants: make([]events.ListVariant, 0, len(p.Variants)),
		Category: make([]events.CategoryNode, 0, len(path)), Version: p.Version, UpdatedAt: p.UpdatedAt.UTC()}
	if p.BrandID != "" {
		l.Brand = &events.Ref{ID: p.BrandID, Name: p.BrandName}
	}
	if l.Media == nil {
		l.Media = []string{}
	}
	if l.Attributes == nil {
		l.Attributes = map[string]string{}
	}
	for _, c := range path {
		l.Category = append(l.Category, events.CategoryNode{ID: c.ID, Slug: c.Slug, Names: c.Names})
	}
	for lang, t := range p.Translations {
		l.Texts[lang] = events.ListText{Title: t.Title, Description: t.Description}
	}
	for _, v := range p.Variants {
		lv := events.ListVariant{ID: v.ID, SKU: v.SKU, Options: v.Options, Prices: map[string]int64{}}
		if lv.Options == nil {
			lv.Options = map[string]string{}
		}
		for _, pr := range v.Prices {
			if pr.ChannelID != channelID {
				continue
			}
			lv.Prices[pr.Currency] = pr.Minor
			if low, ok := l.Prices[pr.Currency]; !ok || pr.Minor < low {
				l.Prices[pr.Currency] = pr.Minor
			}
		}
		l.Variants = append(l.Variants, lv)
	}
	return l
}
