package catalog

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/money"
)

// Ref names another object.
type Ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// PriceView is a price as a buyer sees it.
type PriceView struct {
	Channel   string `json:"channel,omitempty" doc:"The channel's code, when the product is shown with every channel's prices"`
	Amount    int64  `json:"amount" doc:"Minor units"`
	Currency  string `json:"currency"`
	Formatted string `json:"formatted" doc:"Formatted for the language, e.g. 12,50 €"`
}

// VariantView is a variant as a buyer sees it on one channel.
type VariantView struct {
	ID      string            `json:"id"`
	SKU     string            `json:"sku"`
	Options map[string]string `json:"options,omitempty"`
	Prices  []PriceView       `json:"prices"`
}

// View is a product as a buyer sees it: one language, one channel's prices.
type View struct {
	ID            string            `json:"id"`
	Lang          string            `json:"lang" doc:"The language of title and description (after fallback)"`
	Title         string            `json:"title"`
	Description   string            `json:"description,omitempty"`
	Merchant      Ref               `json:"merchant"`
	Brand         *Ref              `json:"brand,omitempty"`
	CategoryID    string            `json:"category_id"`
	OriginCountry string            `json:"origin_country"`
	Media         []string          `json:"media"`
	Attributes    map[string]string `json:"attributes,omitempty"`
	Variants      []VariantView     `json:"variants"`
	UpdatedAt     time.Time         `json:"updated_at"`
}

// View renders p for a buyer of channel ch (nil: every channel's prices) in
// language lang, falling back as Product.Text says, formatting prices with f.
func (p Product) View(f *money.Formatters, ch *channel.Channel, lang string) View {
	def := "en"
	chID := ""
	if ch != nil {
		def, chID = ch.DefaultLanguage, ch.ID
	}
	txt, used := p.Text(lang, def)
	locale := lang // prices follow the buyer's language, even when the text falls back
	if locale == "" {
		locale = used
	}
	v := View{ID: p.ID, Lang: used, Title: txt.Title, Description: txt.Description, Merchant: Ref{p.MerchantID, p.MerchantName},
		CategoryID: p.CategoryID, OriginCountry: p.OriginCountry, Media: p.Media, Attributes: p.Attributes, UpdatedAt: p.UpdatedAt,
		Variants: make([]VariantView, len(p.Variants))}
	if v.Media == nil {
		v.Media = []string{}
	}
	if p.BrandID != "" {
		v.Brand = &Ref{p.BrandID, p.BrandName}
	}
	for i, vr := range p.Variants {
		vv := VariantView{ID: vr.ID, SKU: vr.SKU, Options: vr.Options, Prices: make([]PriceView, 0, len(vr.Prices))}
		for _, pr := range vr.Prices {
			if chID == "" || pr.ChannelID == chID {
				vv.Prices = append(vv.Prices, PriceView{Amount: pr.Minor, Currency: pr.Currency, Formatted: f.Format(pr.Amount, locale)})
			}
		}
		v.Variants[i] = vv
	}
	return v
}

// Page is one page of a channel's catalogue.
type Page struct {
	Channel    channel.Channel
	Lang       string
	Items      []View
	NextCursor string
}

// EncodeCursor makes an opaque cursor from the last product id of a page.
func EncodeCursor(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(lastID))
}

// DecodeCursor reads a cursor made by EncodeCursor. Errors: Invalid.
func DecodeCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !ids.Valid(ids.Product, string(b)) {
		return "", errs.Field("catalog.DecodeCursor", "cursor", "not a cursor this API returned")
	}
	return string(b), nil
}

// ChannelPage returns a page of a channel's listed products for buyers, in
// product id order after cursor. Anyone may read it. Errors: NotFound
// (channel), Invalid (cursor).
func (s *Service) ChannelPage(ctx context.Context, channelRef, lang, cursor string, limit int) (Page, error) {
	ch, err := s.Channels.Channel(ctx, channelRef)
	if err != nil {
		return Page{}, err
	}
	return s.ChannelPageOf(ctx, ch, ch.Language(lang), cursor, limit)
}

// ChannelPageOf is ChannelPage for a channel already read, in a language
// already chosen. Errors: Invalid (cursor).
func (s *Service) ChannelPageOf(ctx context.Context, ch channel.Channel, lang, cursor string, limit int) (Page, error) {
	after, err := DecodeCursor(cursor)
	if err != nil {
		return Page{}, err
	}
	limit = ClampLimit(limit)
	ps, err := s.Store.ChannelProducts(ctx, ch.ID, after, limit)
	if err != nil {
		return Page{}, err
	}
	pg := Page{Channel: ch, Lang: lang, Items: make([]View, len(ps))}
	for i, p := range ps {
		pg.Items[i] = p.View(s.Formatters, &ch, pg.Lang)
	}
	if len(ps) == limit {
		pg.NextCursor = EncodeCursor(ps[len(ps)-1].ID)
	}
	return pg, nil
}

// PublicProduct returns a product as buyers of a channel see it; it must be
// listed there (or, without a channel, on some channel). Errors: NotFound.
func (s *Service) PublicProduct(ctx context.Context, id, channelRef, lang string) (View, error) {
	const op = "catalog.PublicProduct"
	notFound := errs.E(op, errs.NotFound, "product not found")
	p, err := s.Store.Product(ctx, id)
	if err != nil {
		return View{}, err
	}
	if channelRef == "" {
		if len(p.Channels) == 0 {
			return View{}, notFound
		}
		// The channel's own language rule, over the product's languages.
		have := slices.Sorted(maps.Keys(p.Translations))
		v := p.View(s.Formatters, nil, channel.Channel{Languages: have, DefaultLanguage: ""}.Language(lang))
		// Prices of every channel: each says which channel it is for.
		codes := map[string]string{}
		for i, vr := range p.Variants {
			for j, pr := range vr.Prices {
				if _, ok := codes[pr.ChannelID]; !ok {
					ch, err := s.Channels.Channel(ctx, pr.ChannelID)
					if err != nil {
						return View{}, err
					}
					codes[pr.ChannelID] = ch.Code
				}
				v.Variants[i].Prices[j].Channel = codes[pr.ChannelID]
			}
		}
		return v, nil
	}
	ch, err := s.Channels.Channel(ctx, channelRef)
	if err != nil {
		return View{}, err
	}
	listed := false
	for _, c := range p.Channels {
		listed = listed || c == ch.ID
	}
	if !listed {
		return View{}, notFound
	}
	return p.View(s.Formatters, &ch, ch.Language(lang)), nil
}

// PublicViews returns a product as buyers of channel ch see it, once per
// language of langs, from one read; it must be listed on ch. Errors:
// NotFound.
func (s *Service) PublicViews(ctx context.Context, id string, ch channel.Channel, langs []string) ([]View, error) {
	p, err := s.Store.Product(ctx, id)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(p.Channels, ch.ID) {
		return nil, errs.E("catalog.PublicViews", errs.NotFound, "product not found")
	}
	vs := make([]View, len(langs))
	for i, l := range langs {
		vs[i] = p.View(s.Formatters, &ch, l)
	}
	return vs, nil
}

// ViewPage is a page of a channel's products as JSON, read from their
// pre-rendered views: the items of a JSON array (views separated by commas).
type ViewPage struct {
	JSON       []byte
	N          int
	LastID     string
	NextCursor string
	// The page spans the product id buckets from From's (the cursor's
	// product; "" is the first) to To's (its last product; "" when the page
	// is the channel's last, open to products added after it), whose
	// versions made Stamp when it was read: it is current while
	// Store.PageStamp(From, To) is Stamp.
	From, To string
	Stamp    string
}

// ChannelViews is ChannelPageOf as JSON, appended to dst, for a channel
// already read and a language already chosen (one of the channel's).
// Errors: Invalid (cursor).
func (s *Service) ChannelViews(ctx context.Context, ch channel.Channel, lang, cursor string, limit int, dst []byte) (ViewPage, error) {
	after, err := DecodeCursor(cursor)
	if err != nil {
		return ViewPage{}, err
	}
	limit = ClampLimit(limit)
	pg, err := s.Store.ChannelViews(ctx, ch, lang, after, limit, dst)
	if err != nil {
		return pg, err
	}
	if pg.N == limit {
		pg.NextCursor = EncodeCursor(pg.LastID)
	}
	return pg, nil
}

// PageCurrent reports whether a page read as pg is still what the channel
// shows. Errors: those of the store.
func (s *Service) PageCurrent(ctx context.Context, channelID string, pg ViewPage) (bool, error) {
	st, err := s.Store.PageStamp(ctx, channelID, pg.From, pg.To)
	return err == nil && st == pg.Stamp, err
}

// Stocked is what one warehouse has available of one of a product's
// variants: units on hand and not reserved, more than zero.
type Stocked struct {
	SKU         string
	WarehouseID string
	Available   int64
}

// ViewStock is a product's view on a channel with its stock.
type ViewStock struct {
	// View is the JSON of the product's View.
	View []byte
	// SKUs are the product's variants' SKUs.
	SKUs []string
	// Stock is what the warehouses have available of them: only those
	// with units.
	Stock []Stocked
}

// PublicProductStock is PublicProductJSON on channel ch, with what the
// warehouses have available of the product's variants, read with the view
// in one query so that a product page costs one. Errors: NotFound.
func (s *Service) PublicProductStock(ctx context.Context, id string, ch channel.Channel, lang string) (ViewStock, error) {
	return s.Store.ProductViewStock(ctx, id, ch, ch.Language(lang))
}

// PublicProductJSON is PublicProduct encoded as JSON, on channel ch (nil:
// every channel's prices); on a channel it is read from the product's
// pre-rendered view. Errors: NotFound.
func (s *Service) PublicProductJSON(ctx context.Context, id string, ch *channel.Channel, lang string) ([]byte, error) {
	if ch == nil {
		v, err := s.PublicProduct(ctx, id, "", lang)
		if err != nil {
			return nil, err
		}
		return json.Marshal(v)
	}
	return s.Store.ProductView(ctx, id, *ch, ch.Language(lang))
}
