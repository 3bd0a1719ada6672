// Package catalog holds what merchants sell: products with variants (SKUs),
// categories in a tree, brands, origin, translations with a stated fallback,
// media, attributes, and a price per channel and currency in minor units.
// Listing a product on a channel is checked against the channel's rules.
package catalog

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/channel" // prices and listings are per channel
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/text"
)

// Text is a product's title and description in one language.
//
// The catalogue's types carry no API tags: the API has its own types
// (internal/web/api), the store its own documents, and this package's
// normalise-and-validate step enforces the limits for every path.
type Text struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// Category is a node of the category tree; Names maps language to name.
type Category struct {
	ID        string            `json:"id"`
	ParentID  string            `json:"parent_id,omitempty"`
	Slug      string            `json:"slug"`
	Names     map[string]string `json:"names"`
	CreatedAt time.Time         `json:"created_at"`
}

// Brand is a brand; MerchantID is set when a merchant registered it.
type Brand struct {
	ID         string    `json:"id"`
	Slug       string    `json:"slug"`
	Name       string    `json:"name"`
	MerchantID string    `json:"merchant_id,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// Price is a variant's price on one channel in one currency.
type Price struct {
	ChannelID string `json:"channel_id"`
	money.Amount
}

// Variant is one sellable configuration of a product (a SKU).
type Variant struct {
	ID      string            `json:"id"`
	SKU     string            `json:"sku"`
	Options map[string]string `json:"options,omitempty"`
	Prices  []Price           `json:"prices"`
}

// Product is a merchant's product with everything a storefront shows.
type Product struct {
	ID           string `json:"id"`
	MerchantID   string `json:"merchant_id"`
	MerchantName string `json:"merchant_name"`
	// Ref is the merchant's own reference for the product, unique per
	// merchant: the key of a catalogue feed (ImportLines). Products made
	// through the API have none.
	Ref           string            `json:"ref,omitempty"`
	BrandID       string            `json:"brand_id,omitempty"`
	BrandName     string            `json:"brand_name,omitempty"`
	CategoryID    string            `json:"category_id"`
	OriginCountry string            `json:"origin_country"`
	Translations  map[string]Text   `json:"translations"`
	Media         []string          `json:"media"`
	Attributes    map[string]string `json:"attributes"`
	Variants      []Variant         `json:"variants"`
	Channels      []string          `json:"channel_ids"`
	Version       int64             `json:"version"`
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
}

// fallbackOrder is the order in which a missing translation is replaced: the
// requested language, then the channel's default language, then English,
// then French, then Chinese (then any other in tag order, see Text). It
// returns an array, a fresh value at every call, so that no code can change
// the order for everyone.
func fallbackOrder(lang, channelDefault string) [5]string {
	return [...]string{lang, channelDefault, "en", "fr", "zh"}
}

// Text returns the product's text for lang with the fallback order above, and
// the language actually used.
func (p Product) Text(lang, channelDefault string) (Text, string) {
	l := textLang(func(l string) bool { _, ok := p.Translations[l]; return ok }, func() string {
		keys := slices.Sorted(maps.Keys(p.Translations))
		if len(keys) == 0 {
			return ""
		}
		return keys[0]
	}, lang, channelDefault)
	return p.Translations[l], l
}

// Store persists the catalogue.
type Store interface {
	// CreateCategory inserts c; Conflict on a taken slug; Invalid on an unknown parent.
	CreateCategory(ctx context.Context, c Category, ev events.Event) error
	ListCategories(ctx context.Context) ([]Category, error)
	// CreateBrand inserts b; Conflict on a taken slug.
	CreateBrand(ctx context.Context, b Brand, ev events.Event) error
	// AuthoriseBrand records a; if the merchant is already authorised for
	// the brand it keeps and returns the first authorisation and writes no
	// event. NotFound if the brand or the merchant does not exist.
	AuthoriseBrand(ctx context.Context, a BrandAuthorisation, ev events.Event) (BrandAuthorisation, error)
	// RevokeBrandAuthorisation deletes the authorisation and, in the same
	// transaction, removes the listings of the merchant's products of that
	// brand that no longer pass the listing rule, writing their
	// events.ListingRemoved (reason brand_authorisation_withdrawn). NotFound
	// if there is none.
	RevokeBrandAuthorisation(ctx context.Context, brandID, merchantID string, ev events.Event) error
	// BrandAuthorisations lists a brand's authorisations by merchant id.
	BrandAuthorisations(ctx context.Context, brandID string) ([]BrandAuthorisation, error)
	// Brand returns NotFound if there is no such brand.
	Brand(ctx context.Context, id string) (Brand, error)
	ListBrands(ctx context.Context) ([]Brand, error)
	// CreateProducts inserts complete products (translations, variants,
	// prices, listings on p.Channels) and the events in one transaction,
	// checking the brand rule (MayUseBrand) and the listing rule
	// (channel.MayList) inside it. Conflict on a SKU the merchant already
	// uses; Invalid on an unknown brand or category; Forbidden on a brand
	// the merchant may not use or a listing the rule refuses. The listings
	// are announced with events.NewListingEvents (batched), stamped with
	// the time they are written.
	CreateProducts(ctx context.Context, ps []Product, evs []events.Event) error
	// Product returns NotFound if there is no such product.
	Product(ctx context.Context, id string) (Product, error)
	// ProductsByRef returns merchantID's products whose Ref is one of refs,
	// by ref; a ref no product has is absent.
	ProductsByRef(ctx context.Context, merchantID string, refs []string) (map[string]Product, error)
	// ReplaceProduct gives merchantID's product p.ID the content of p: brand,
	// category, origin, texts, media, attributes, and its variants by SKU
	// (a SKU the product has keeps its id and takes p's options and prices;
	// a new one is added; one p does not name is kept). The brand rule and
	// the listing rule apply as in UpdateProduct. NotFound if the product is
	// not the merchant's; Forbidden on a brand the merchant may not use;
	// Conflict on a SKU another product of the merchant uses.
	ReplaceProduct(ctx context.Context, merchantID string, p Product, at time.Time, ev events.Event) error
	// UpdateProduct applies a patch to merchantID's product; NotFound if the
	// product is not the merchant's; Forbidden if the new brand is one the
	// merchant may not use. Listings that no longer pass the listing rule
	// after a brand change are removed in the same transaction (reason
	// brand_changed); every channel still showing the product gets an
	// events.ListingUpserted, as after AddVariant and SetPrices.
	UpdateProduct(ctx context.Context, merchantID, id string, patch Patch, at time.Time, ev events.Event) error
	// AddVariant adds a variant to merchantID's product; NotFound if it is not
	// the merchant's, Conflict on a SKU in use.
	AddVariant(ctx context.Context, merchantID, productID string, v Variant, at time.Time, ev events.Event) error
	// SetPrices upserts prices of variants of merchantID's product; NotFound
	// if the product or a SKU is not the merchant's.
	SetPrices(ctx context.Context, merchantID, productID string, prices []SKUPrice, at time.Time, ev events.Event) error
	// ListProduct lists merchantID's product on a channel, checking the
	// listing rule (channel.MayList) in the same transaction: Forbidden (with
	// the reason) if the merchant is not approved, has no shop on the
	// channel, may not use the product's brand, or (curated channels) the
	// merchant or brand is not admitted; Invalid if the product has no price
	// there; NotFound if the product is not the merchant's. Listing twice is
	// not an error. It writes the listing's events.ListingUpserted.
	ListProduct(ctx context.Context, merchantID, productID, channelID string, at time.Time) error
	// UnlistProduct removes a listing; merchantID "" lets an operator unlist
	// any product. NotFound if there is no such listing. It writes the
	// listing's events.ListingRemoved (reason unlisted).
	UnlistProduct(ctx context.Context, merchantID, productID, channelID string, at time.Time) error
	// ChannelProducts returns up to limit active listings of a channel whose
	// product id is greater than after, in id order.
	ChannelProducts(ctx context.Context, channelID, after string, limit int) ([]Product, error)
	// MerchantProducts returns a merchant's products after an id, in id order.
	MerchantProducts(ctx context.Context, merchantID, after string, limit int) ([]Product, error)
	// PriceChanges returns the changes of the product's prices since since,
	// oldest first.
	PriceChanges(ctx context.Context, productID string, since time.Time) ([]PriceChange, error)
	// Listed reports whether a product is actively listed on a channel.
	Listed(ctx context.Context, productID, channelID string) (bool, error)
	// ChannelViews appends to dst the JSON of the Views of up to limit
	// products actively listed on ch after product id after, in id order, in
	// language lang (one of ch's), separated by commas, and says which id
	// buckets the page spans with their versions (see PageStamp).
	ChannelViews(ctx context.Context, ch channel.Channel, lang, after string, limit int, dst []byte) (ViewPage, error)
	// PageStamp is the versions of channelID's product id buckets from
	// product from's to product to's ("" to the end): a page read with a
	// stamp is current while PageStamp returns that stamp.
	PageStamp(ctx context.Context, channelID, from, to string) (string, error)
	// ProductView is the JSON of product id's View on ch in lang (one of
	// ch's); NotFound unless the product is actively listed there.
	ProductView(ctx context.Context, id string, ch channel.Channel, lang string) ([]byte, error)
	// ProductViewStock is ProductView with the product's SKUs and what
	// each warehouse has available of them, read in the same query.
	ProductViewStock(ctx context.Context, id string, ch channel.Channel, lang string) (ViewStock, error)
	// ListedCount is how many products are actively listed on channelID.
	ListedCount(ctx context.Context, channelID string) (int, error)
	// ListedAt is the id of the product at position pos (from 0) among
	// those actively listed on channelID, in id order; NotFound past the
	// last.
	ListedAt(ctx context.Context, channelID string, pos int) (string, error)
	// ListedEntries calls fn with the sitemap entries in language lang (one
	// of ch's) of up to limit products actively listed on ch after product
	// id after, in id order. It reads them in pages and calls fn between
	// its queries, never inside one, and stops at fn's first error, which
	// it returns.
	ListedEntries(ctx context.Context, ch channel.Channel, lang, after string, limit int, fn func(SitemapEntry) error) error
}

// Channels is the part of the channel service the catalogue needs.
type Channels interface {
	Channel(ctx context.Context, idOrCode string) (channel.Channel, error)
}

// Service is the catalogue service.
type Service struct {
	Store    Store
	Channels Channels
	Now      func() time.Time
	// Formatters renders the prices of buyers' views. A process shares one
	// between everything that formats prices, so that its bound is the
	// process's; nil formats without a cache.
	Formatters *money.Formatters
}

// NewService returns a service with the real clock and a price formatter
// cache of its own.
func NewService(st Store, ch Channels) *Service {
	return &Service{Store: st, Channels: ch, Now: func() time.Time { return time.Now().UTC() }, Formatters: money.NewFormatters(money.DefaultFormattersSize)}
}

// CategoryInput describes a new category.
type CategoryInput struct {
	ParentID string            `json:"parent_id,omitempty"`
	Slug     string            `json:"slug" pattern:"^[a-z0-9-]{2,60}$"`
	Names    map[string]string `json:"names" minProperties:"1" doc:"Name per language, e.g. {\"en\": \"Phone cases\"}"`
}

// CreateCategory creates a category. Operators only. Errors: Forbidden,
// Invalid, Conflict.
func (s *Service) CreateCategory(ctx context.Context, actor identity.Actor, in CategoryInput) (Category, error) {
	const op = "catalog.CreateCategory"
	if !actor.IsOperator() {
		return Category{}, errs.E(op, errs.Forbidden, "only operators edit the category tree")
	}
	in, err := in.normalise(op)
	if err != nil {
		return Category{}, err
	}
	c := Category{ID: ids.New(ids.Category), ParentID: in.ParentID, Slug: in.Slug, Names: in.Names, CreatedAt: s.Now()}
	if err := s.Store.CreateCategory(ctx, c, events.New(events.CategoryCreated, c.ID, "", c.CreatedAt, c)); err != nil {
		return Category{}, errs.E(op, errs.Other, err)
	}
	return c, nil
}

// Categories lists the category tree (flat, parents before children is not
// promised); it is public.
func (s *Service) Categories(ctx context.Context) ([]Category, error) {
	return s.Store.ListCategories(ctx)
}

// PriceInput sets one price of a variant.
type PriceInput struct {
	Channel  string `json:"channel"`
	Currency string `json:"currency"`
	Amount   int64  `json:"amount"`
}

// VariantInput describes a variant.
type VariantInput struct {
	SKU     string            `json:"sku"`
	Options map[string]string `json:"options,omitempty"`
	Prices  []PriceInput      `json:"prices,omitempty"`
}

// ProductInput describes a new product.
type ProductInput struct {
	BrandID       string            `json:"brand_id,omitempty"`
	CategoryID    string            `json:"category_id"`
	OriginCountry string            `json:"origin_country"`
	Translations  map[string]Text   `json:"translations"`
	Media         []string          `json:"media,omitempty"`
	Attributes    map[string]string `json:"attributes,omitempty"`
	Variants      []VariantInput    `json:"variants"`
}

// NewProduct checks in and builds a product of merchantID without storing it.
// Prices are checked against their channels. Errors: Invalid.
func (s *Service) NewProduct(ctx context.Context, op, merchantID, merchantName string, in ProductInput) (Product, error) {
	in, prices, err := s.checkProduct(ctx, op, in, s.memoChannels())
	if err != nil {
		return Product{}, err
	}
	now := s.Now()
	p := Product{ID: ids.New(ids.Product), MerchantID: merchantID, MerchantName: merchantName, BrandID: in.BrandID, CategoryID: in.CategoryID,
		OriginCountry: in.OriginCountry, Translations: in.Translations, Media: in.Media, Attributes: in.Attributes, Channels: []string{},
		Version: 1, CreatedAt: now, UpdatedAt: now}
	for i, vi := range in.Variants {
		p.Variants = append(p.Variants, newVariant(vi, prices[i]))
	}
	return p, nil
}

// checkProduct is the one normalise-and-validate step of a new product,
// whoever built the input (CreateProduct from a request, Import from a feed):
// its texts and shape (ProductInput.normalise), then each variant's prices
// against their channels (checkPrices). It returns the normalised input and
// each variant's prices. Errors: Invalid.
func (s *Service) checkProduct(ctx context.Context, op string, in ProductInput, look channelLookup) (ProductInput, [][]Price, error) {
	in, err := in.normalise(op)
	if err != nil {
		return in, nil, err
	}
	prices := make([][]Price, len(in.Variants))
	for i, vi := range in.Variants {
		if prices[i], err = checkPrices(ctx, op, look, vi.Prices); err != nil {
			return in, nil, err
		}
	}
	return in, prices, nil
}

// newVariant builds a variant from an input already normalised and its
// checked prices.
func newVariant(vi VariantInput, prices []Price) Variant {
	if vi.Options == nil {
		vi.Options = map[string]string{}
	}
	return Variant{ID: ids.New(ids.Variant), SKU: vi.SKU, Options: vi.Options, Prices: prices}
}

// channelLookup finds a channel by id or code.
type channelLookup func(ctx context.Context, ref string) (channel.Channel, error)

// memoChannels returns a lookup that asks s.Channels once per reference
// found: an import names the same few channels in thousands of prices.
func (s *Service) memoChannels() channelLookup {
	seen := map[string]channel.Channel{}
	return func(ctx context.Context, ref string) (channel.Channel, error) {
		if ch, ok := seen[ref]; ok {
			return ch, nil
		}
		ch, err := s.Channels.Channel(ctx, ref)
		if err == nil {
			seen[ref] = ch
		}
		return ch, err
	}
}

// checkPrices checks prices against their channels: the channel exists, the
// amount is a valid price (money.New), the channel sells in its currency, and
// no channel and currency is priced twice.
func checkPrices(ctx context.Context, op string, look channelLookup, in []PriceInput) ([]Price, error) {
	out := make([]Price, 0, len(in))
	for _, pi := range in {
		ch, err := look(ctx, pi.Channel)
		if errs.Is(err, errs.NotFound) {
			return nil, errs.Field(op, "prices.channel", "no channel "+pi.Channel)
		} else if err != nil {
			return nil, err
		}
		amt, err := money.New(pi.Amount, pi.Currency)
		if err != nil {
			return nil, errs.E(op, errs.Other, err)
		}
		if !slices.Contains(ch.Currencies, pi.Currency) {
			return nil, errs.Field(op, "prices.currency", "channel "+ch.Code+" sells in "+strings.Join(ch.Currencies, ", ")+", not "+pi.Currency)
		}
		for _, o := range out {
			if o.ChannelID == ch.ID && o.Currency == amt.Currency {
				return nil, errs.Field(op, "prices", "two prices for "+ch.Code+" in "+amt.Currency)
			}
		}
		out = append(out, Price{ChannelID: ch.ID, Amount: amt})
	}
	return out, nil
}

// CreateProduct creates a product for the actor's merchant. Staff and the
// merchant's API keys may. Errors: Forbidden, Invalid, Conflict.
func (s *Service) CreateProduct(ctx context.Context, actor identity.Actor, in ProductInput) (Product, error) {
	const op = "catalog.CreateProduct"
	if err := identity.RefuseUnapproved(op, actor); err != nil {
		return Product{}, err
	}
	if actor.Role != identity.Staff {
		return Product{}, errs.E(op, errs.Forbidden, "only merchant staff create products")
	}
	p, err := s.NewProduct(ctx, op, actor.MerchantID, "", in)
	if err != nil {
		return Product{}, err
	}
	ev := events.New(events.ProductCreated, p.ID, p.MerchantID, p.CreatedAt, map[string]any{"id": p.ID})
	if err := s.Store.CreateProducts(ctx, []Product{p}, []events.Event{ev}); err != nil {
		return Product{}, errs.E(op, errs.Other, err)
	}
	return s.Store.Product(ctx, p.ID)
}

// Import stores products built outside a request (the demo's generator),
// listed on their Channels, in one transaction, all or none (a catalogue
// feed, refused line by line, goes through ImportLines). Each goes
// through the same normalise-and-validate step as CreateProduct
// (checkProduct, prices included, with the same field errors), and the
// store checks the brand rule and the listing rule for each as for one
// product, so an import can do nothing a merchant could not do by hand.
// Operators may import for any merchant, merchant staff only for their own
// approved merchant. Errors: Forbidden, Invalid, Conflict.
func (s *Service) Import(ctx context.Context, actor identity.Actor, ps []Product) error {
	const op = "catalog.Import"
	if len(ps) == 0 {
		return nil
	}
	look := s.memoChannels()
	for i, p := range ps {
		if !actor.IsOperator() && !(actor.Sells() && actor.MerchantID == p.MerchantID) {
			return errs.E(op, errs.Forbidden, "merchants import only their own products")
		}
		in, err := importInput(op, p)
		if err != nil {
			return err
		}
		in, prices, err := s.checkProduct(ctx, op, in, look)
		if err != nil {
			return err
		}
		ps[i] = withInput(p, in, prices)
	}
	// The store announces the listings in batches (events.ListingsUpserted),
	// the same events a merchant's own listings cause.
	if err := s.Store.CreateProducts(ctx, ps, nil); err != nil {
		return errs.E(op, errs.Other, err)
	}
	return nil
}

// Patch changes some of a product's fields; nil fields are left alone. A
// translation given replaces that language's text; an empty title removes it.
type Patch struct {
	BrandID       *string           `json:"brand_id,omitempty"`
	CategoryID    *string           `json:"category_id,omitempty"`
	OriginCountry *string           `json:"origin_country,omitempty"`
	Translations  map[string]Text   `json:"translations,omitempty"`
	Media         []string          `json:"media,omitempty"`
	Attributes    map[string]string `json:"attributes,omitempty"`
}

// UpdateProduct applies a patch to one of the actor's merchant's products.
// Errors: Forbidden, NotFound, Invalid.
func (s *Service) UpdateProduct(ctx context.Context, actor identity.Actor, id string, patch Patch) (Product, error) {
	const op = "catalog.UpdateProduct"
	if err := identity.RefuseUnapproved(op, actor); err != nil {
		return Product{}, err
	}
	if actor.Role != identity.Staff {
		return Product{}, errs.E(op, errs.Forbidden, "only merchant staff edit products")
	}
	if !ids.Valid(ids.Product, id) {
		return Product{}, errs.E(op, errs.NotFound, "product not found")
	}
	patch, err := patch.normalise(op)
	if err != nil {
		return Product{}, err
	}
	now := s.Now()
	ev := events.New(events.ProductUpdated, id, actor.MerchantID, now, map[string]any{"id": id})
	if err := s.Store.UpdateProduct(ctx, actor.MerchantID, id, patch, now, ev); err != nil {
		return Product{}, errs.E(op, errs.Other, err)
	}
	return s.Store.Product(ctx, id)
}

// AddVariant adds a variant to one of the actor's merchant's products.
// Errors: Forbidden, NotFound, Invalid, Conflict.
func (s *Service) AddVariant(ctx context.Context, actor identity.Actor, productID string, in VariantInput) (Product, error) {
	const op = "catalog.AddVariant"
	if err := identity.RefuseUnapproved(op, actor); err != nil {
		return Product{}, err
	}
	if actor.Role != identity.Staff {
		return Product{}, errs.E(op, errs.Forbidden, "only merchant staff edit products")
	}
	if !ids.Valid(ids.Product, productID) {
		return Product{}, errs.E(op, errs.NotFound, "product not found")
	}
	in, err := in.normalise(op)
	if err != nil {
		return Product{}, err
	}
	prices, err := checkPrices(ctx, op, s.Channels.Channel, in.Prices)
	if err != nil {
		return Product{}, err
	}
	v := newVariant(in, prices)
	now := s.Now()
	ev := events.New(events.ProductUpdated, productID, actor.MerchantID, now, map[string]any{"id": productID, "variant_id": v.ID})
	if err := s.Store.AddVariant(ctx, actor.MerchantID, productID, v, now, ev); err != nil {
		return Product{}, errs.E(op, errs.Other, err)
	}
	return s.Store.Product(ctx, productID)
}

// SKUPrice is one price of one variant, named by SKU.
type SKUPrice struct {
	SKU string `json:"sku"`
	Price
}

// SKUPriceInput is one price of one variant, as a client sends it.
type SKUPriceInput struct {
	SKU string `json:"sku"`
	PriceInput
}

// SetPrices sets prices of variants of one of the actor's merchant's
// products. Errors: Forbidden, NotFound, Invalid.
func (s *Service) SetPrices(ctx context.Context, actor identity.Actor, productID string, in []SKUPriceInput) (Product, error) {
	const op = "catalog.SetPrices"
	if err := identity.RefuseUnapproved(op, actor); err != nil {
		return Product{}, err
	}
	if actor.Role != identity.Staff {
		return Product{}, errs.E(op, errs.Forbidden, "only merchant staff set prices")
	}
	if len(in) == 0 || len(in) > 1000 {
		return Product{}, errs.Field(op, "prices", "give 1 to 1000 prices")
	}
	if !ids.Valid(ids.Product, productID) {
		return Product{}, errs.E(op, errs.NotFound, "product not found")
	}
	out := make([]SKUPrice, 0, len(in))
	look := s.memoChannels()
	for _, pi := range in {
		if err := checkSKU(op, "sku", pi.SKU); err != nil {
			return Product{}, err
		}
		var err error
		if pi.Channel, err = text.Line(op, "prices.channel", pi.Channel, 64, true); err != nil {
			return Product{}, err
		}
		ps, err := checkPrices(ctx, op, look, []PriceInput{pi.PriceInput})
		if err != nil {
			return Product{}, err
		}
		out = append(out, SKUPrice{SKU: pi.SKU, Price: ps[0]})
	}
	now := s.Now()
	ev := events.New(events.ProductUpdated, productID, actor.MerchantID, now, map[string]any{"id": productID, "prices": len(out)})
	if err := s.Store.SetPrices(ctx, actor.MerchantID, productID, out, now, ev); err != nil {
		return Product{}, errs.E(op, errs.Other, err)
	}
	return s.Store.Product(ctx, productID)
}

// List lists one of the actor's merchant's products on a channel. The
// channel's rules are enforced in the store's transaction, whatever the
// caller asks. Errors: Forbidden, NotFound.
func (s *Service) List(ctx context.Context, actor identity.Actor, productID, channelRef string) error {
	const op = "catalog.List"
	if err := identity.RefuseUnapproved(op, actor); err != nil {
		return err
	}
	if actor.Role != identity.Staff {
		return errs.E(op, errs.Forbidden, "only merchant staff list products")
	}
	if err := checkRefs(op, productID, channelRef); err != nil {
		return err
	}
	ch, err := s.Channels.Channel(ctx, channelRef)
	if err != nil {
		return err
	}
	now := s.Now()
	if err := s.Store.ListProduct(ctx, actor.MerchantID, productID, ch.ID, now); err != nil {
		return errs.E(op, errs.Other, err)
	}
	return nil
}

// Unlist removes a product from a channel: its merchant's staff may, and
// operators may (moderation). Errors: Forbidden, NotFound.
func (s *Service) Unlist(ctx context.Context, actor identity.Actor, productID, channelRef string) error {
	const op = "catalog.Unlist"
	if err := identity.RefuseUnapproved(op, actor); err != nil {
		return err
	}
	merchantID := actor.MerchantID
	switch {
	case actor.IsOperator():
		merchantID = ""
	case actor.Role != identity.Staff:
		return errs.E(op, errs.Forbidden, "only merchant staff and operators unlist products")
	}
	if err := checkRefs(op, productID, channelRef); err != nil {
		return err
	}
	ch, err := s.Channels.Channel(ctx, channelRef)
	if err != nil {
		return err
	}
	now := s.Now()
	if err := s.Store.UnlistProduct(ctx, merchantID, productID, ch.ID, now); err != nil {
		return errs.E(op, errs.Other, err)
	}
	return nil
}

// Product returns a product as its merchant sees it (all channels, all
// languages). Its staff and operators may. Errors: NotFound.
func (s *Service) Product(ctx context.Context, actor identity.Actor, id string) (Product, error) {
	if !ids.Valid(ids.Product, id) {
		return Product{}, errs.E("catalog.Product", errs.NotFound, "product not found")
	}
	p, err := s.Store.Product(ctx, id)
	if err != nil {
		return Product{}, err
	}
	if !actor.IsOperator() && !actor.ActsFor(p.MerchantID) {
		return Product{}, errs.E("catalog.Product", errs.NotFound, "product not found")
	}
	return p, nil
}

// MerchantProducts lists the actor's merchant's products. Errors: Forbidden.
func (s *Service) MerchantProducts(ctx context.Context, actor identity.Actor, merchantID, after string, limit int) ([]Product, error) {
	if !actor.IsOperator() && !actor.ActsFor(merchantID) {
		return nil, errs.E("catalog.MerchantProducts", errs.Forbidden, "not your merchant")
	}
	return s.Store.MerchantProducts(ctx, merchantID, after, ClampLimit(limit))
}

// ClampLimit bounds a page size to 1..100, defaulting to 20.
func ClampLimit(n int) int {
	switch {
	case n <= 0:
		return 20
	case n > 100:
		return 100
	}
	return n
}

// checkRefs refuses, as not found, a product id or channel reference that
// cannot name anything (it never reaches the database).
func checkRefs(op, productID, channelRef string) error {
	if !ids.Valid(ids.Product, productID) {
		return errs.E(op, errs.NotFound, "product not found")
	}
	if _, err := text.Line(op, "channel", channelRef, 64, true); err != nil {
		return errs.E(op, errs.NotFound, "channel not found")
	}
	return nil
}
