// Package catalog holds what merchants sell: products with variants (SKUs),
// categories in a tree, brands, origin, translations with a stated fallback,
// media, attributes, and a price per channel and currency in minor units.
// Listing a product on a channel is checked against the channel's rules.
package catalog

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"

	"github.com/sesame-market/sesame/internal/channel" // prices and listings are per channel
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/money"
)

// Text is a product's title and description in one language.
type Text struct {
	Title       string `json:"title" minLength:"1" maxLength:"300"`
	Description string `json:"description,omitempty" maxLength:"20000"`
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
	ID            string            `json:"id"`
	MerchantID    string            `json:"merchant_id"`
	MerchantName  string            `json:"merchant_name"`
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

// FallbackLanguages is the order in which a missing translation is replaced:
// the requested language, then the channel's default language, then English,
// then French, then Chinese, then any other in tag order.
var FallbackLanguages = []string{"en", "fr", "zh"}

// Text returns the product's text for lang with the fallback order above, and
// the language actually used.
func (p Product) Text(lang, channelDefault string) (Text, string) {
	for _, l := range append([]string{lang, channelDefault}, FallbackLanguages...) {
		if t, ok := p.Translations[l]; ok && l != "" {
			return t, l
		}
	}
	keys := slices.Sorted(maps.Keys(p.Translations))
	if len(keys) == 0 {
		return Text{}, ""
	}
	return p.Translations[keys[0]], keys[0]
}

// Store persists the catalogue.
type Store interface {
	// CreateCategory inserts c; Conflict on a taken slug; Invalid on an unknown parent.
	CreateCategory(ctx context.Context, c Category, ev events.Event) error
	ListCategories(ctx context.Context) ([]Category, error)
	// CreateBrand inserts b; Conflict on a taken slug.
	CreateBrand(ctx context.Context, b Brand, ev events.Event) error
	// Brand returns NotFound if there is no such brand.
	Brand(ctx context.Context, id string) (Brand, error)
	ListBrands(ctx context.Context) ([]Brand, error)
	// CreateProducts inserts complete products (translations, variants,
	// prices) and the events in one transaction. Conflict on a SKU the
	// merchant already uses; Invalid on an unknown brand or category.
	CreateProducts(ctx context.Context, ps []Product, evs []events.Event) error
	// Product returns NotFound if there is no such product.
	Product(ctx context.Context, id string) (Product, error)
	// UpdateProduct applies a patch to merchantID's product; NotFound if the
	// product is not the merchant's.
	UpdateProduct(ctx context.Context, merchantID, id string, patch Patch, at time.Time, ev events.Event) error
	// AddVariant adds a variant to merchantID's product; NotFound if it is not
	// the merchant's, Conflict on a SKU in use.
	AddVariant(ctx context.Context, merchantID, productID string, v Variant, at time.Time, ev events.Event) error
	// SetPrices upserts prices of variants of merchantID's product; NotFound
	// if the product or a SKU is not the merchant's.
	SetPrices(ctx context.Context, merchantID, productID string, prices []SKUPrice, at time.Time, ev events.Event) error
	// ListProduct lists merchantID's product on a channel, checking the rules
	// in the same transaction: Forbidden (with the reason) if the merchant is
	// not approved, has no shop on the channel, or (curated channels) the
	// merchant or brand is not admitted; NotFound if the product is not the
	// merchant's. Listing twice is not an error.
	ListProduct(ctx context.Context, merchantID, productID, channelID string, at time.Time, ev events.Event) error
	// UnlistProduct removes a listing; merchantID "" lets an operator unlist
	// any product. NotFound if there is no such listing.
	UnlistProduct(ctx context.Context, merchantID, productID, channelID string, at time.Time, ev events.Event) error
	// ChannelProducts returns up to limit active listings of a channel whose
	// product id is greater than after, in id order.
	ChannelProducts(ctx context.Context, channelID, after string, limit int) ([]Product, error)
	// MerchantProducts returns a merchant's products after an id, in id order.
	MerchantProducts(ctx context.Context, merchantID, after string, limit int) ([]Product, error)
	// Listed reports whether a product is actively listed on a channel.
	Listed(ctx context.Context, productID, channelID string) (bool, error)
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
}

// NewService returns a service with the real clock.
func NewService(st Store, ch Channels) *Service {
	return &Service{Store: st, Channels: ch, Now: func() time.Time { return time.Now().UTC() }}
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
	if err := checkSlug(op, in.Slug); err != nil {
		return Category{}, err
	}
	names, err := checkNames(op, "names", in.Names)
	if err != nil {
		return Category{}, err
	}
	c := Category{ID: ids.New(ids.Category), ParentID: in.ParentID, Slug: in.Slug, Names: names, CreatedAt: s.Now()}
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

// BrandInput describes a new brand.
type BrandInput struct {
	Slug string `json:"slug" pattern:"^[a-z0-9-]{2,60}$"`
	Name string `json:"name" minLength:"1" maxLength:"200"`
}

// CreateBrand registers a brand. Operators register marketplace brands;
// merchant staff register their own. Errors: Forbidden, Invalid, Conflict.
func (s *Service) CreateBrand(ctx context.Context, actor identity.Actor, in BrandInput) (Brand, error) {
	const op = "catalog.CreateBrand"
	if err := identity.RefuseUnapproved(op, actor); err != nil {
		return Brand{}, err
	}
	var owner string
	switch {
	case actor.IsOperator():
	case actor.Role == identity.Staff:
		owner = actor.MerchantID
	default:
		return Brand{}, errs.E(op, errs.Forbidden, "only operators and merchants register brands")
	}
	if err := checkSlug(op, in.Slug); err != nil {
		return Brand{}, err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return Brand{}, errs.Field(op, "name", "must be 1 to 200 characters")
	}
	b := Brand{ID: ids.New(ids.Brand), Slug: in.Slug, Name: name, MerchantID: owner, CreatedAt: s.Now()}
	if err := s.Store.CreateBrand(ctx, b, events.New(events.BrandCreated, b.ID, owner, b.CreatedAt, b)); err != nil {
		return Brand{}, errs.E(op, errs.Other, err)
	}
	return b, nil
}

// Brands lists brands; they are public.
func (s *Service) Brands(ctx context.Context) ([]Brand, error) { return s.Store.ListBrands(ctx) }

// PriceInput sets one price of a variant.
type PriceInput struct {
	Channel  string `json:"channel" doc:"Channel id or code"`
	Currency string `json:"currency" doc:"ISO 4217; one of the channel's currencies"`
	Amount   int64  `json:"amount" minimum:"0" doc:"Minor units (cents): 1250 is 12.50 EUR"`
}

// VariantInput describes a variant.
type VariantInput struct {
	SKU     string            `json:"sku" pattern:"^[A-Za-z0-9._-]{1,64}$"`
	Options map[string]string `json:"options,omitempty" doc:"e.g. {\"colour\": \"black\", \"model\": \"iPhone 16\"}"`
	Prices  []PriceInput      `json:"prices,omitempty"`
}

// ProductInput describes a new product.
type ProductInput struct {
	BrandID       string            `json:"brand_id,omitempty"`
	CategoryID    string            `json:"category_id"`
	OriginCountry string            `json:"origin_country" pattern:"^[A-Z]{2}$"`
	Translations  map[string]Text   `json:"translations" minProperties:"1" doc:"Title and description per language (fr, en, zh, ...)"`
	Media         []string          `json:"media,omitempty" maxItems:"20" doc:"Image URLs (https)"`
	Attributes    map[string]string `json:"attributes,omitempty" doc:"e.g. {\"material\": \"silicone\"}"`
	Variants      []VariantInput    `json:"variants" minItems:"1" maxItems:"200"`
}

// NewProduct checks in and builds a product of merchantID without storing it.
// Prices are checked against their channels. Errors: Invalid.
func (s *Service) NewProduct(ctx context.Context, op, merchantID, merchantName string, in ProductInput) (Product, error) {
	now := s.Now()
	p := Product{ID: ids.New(ids.Product), MerchantID: merchantID, MerchantName: merchantName, BrandID: in.BrandID, CategoryID: in.CategoryID,
		OriginCountry: in.OriginCountry, Media: []string{}, Attributes: map[string]string{}, Channels: []string{}, Version: 1, CreatedAt: now, UpdatedAt: now}
	if in.CategoryID == "" {
		return Product{}, errs.Field(op, "category_id", "is required")
	}
	if !identity.ValidCountry(in.OriginCountry) {
		return Product{}, errs.Field(op, "origin_country", "must be an ISO 3166-1 alpha-2 code")
	}
	tr, err := checkTranslations(op, in.Translations)
	if err != nil {
		return Product{}, err
	}
	p.Translations = tr
	if p.Media, err = checkMedia(op, in.Media); err != nil {
		return Product{}, err
	}
	if p.Attributes, err = checkAttributes(op, in.Attributes); err != nil {
		return Product{}, err
	}
	if len(in.Variants) == 0 {
		return Product{}, errs.Field(op, "variants", "a product needs at least one variant")
	}
	skus := map[string]bool{}
	for _, vi := range in.Variants {
		v, err := s.newVariant(ctx, op, vi)
		if err != nil {
			return Product{}, err
		}
		if skus[v.SKU] {
			return Product{}, errs.Field(op, "variants.sku", "SKU "+v.SKU+" appears twice")
		}
		skus[v.SKU] = true
		p.Variants = append(p.Variants, v)
	}
	return p, nil
}

func (s *Service) newVariant(ctx context.Context, op string, vi VariantInput) (Variant, error) {
	if vi.SKU == "" || len(vi.SKU) > 64 || strings.ContainsAny(vi.SKU, " \t\n/") {
		return Variant{}, errs.Field(op, "sku", "must be 1 to 64 letters, digits, dots, dashes or underscores")
	}
	opts, err := checkAttributes(op, vi.Options)
	if err != nil {
		return Variant{}, err
	}
	v := Variant{ID: ids.New(ids.Variant), SKU: vi.SKU, Options: opts, Prices: []Price{}}
	prices, err := s.checkPrices(ctx, op, vi.Prices)
	if err != nil {
		return Variant{}, err
	}
	v.Prices = prices
	return v, nil
}

func (s *Service) checkPrices(ctx context.Context, op string, in []PriceInput) ([]Price, error) {
	out := make([]Price, 0, len(in))
	for _, pi := range in {
		ch, err := s.Channels.Channel(ctx, pi.Channel)
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

// Patch changes some of a product's fields; nil fields are left alone. A
// translation given replaces that language's text; an empty title removes it.
type Patch struct {
	BrandID       *string           `json:"brand_id,omitempty"`
	CategoryID    *string           `json:"category_id,omitempty"`
	OriginCountry *string           `json:"origin_country,omitempty" pattern:"^[A-Z]{2}$"`
	Translations  map[string]Text   `json:"translations,omitempty"`
	Media         []string          `json:"media,omitempty" maxItems:"20"`
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
	if patch.OriginCountry != nil && !identity.ValidCountry(*patch.OriginCountry) {
		return Product{}, errs.Field(op, "origin_country", "must be an ISO 3166-1 alpha-2 code")
	}
	for l, t := range patch.Translations {
		if _, err := language.Parse(l); err != nil {
			return Product{}, errs.Field(op, "translations", "unknown language "+l)
		}
		if utf8.RuneCountInString(t.Title) > 300 {
			return Product{}, errs.Field(op, "translations.title", "must be at most 300 characters")
		}
	}
	if patch.Media != nil {
		if _, err := checkMedia(op, patch.Media); err != nil {
			return Product{}, err
		}
	}
	if patch.Attributes != nil {
		if _, err := checkAttributes(op, patch.Attributes); err != nil {
			return Product{}, err
		}
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
	v, err := s.newVariant(ctx, op, in)
	if err != nil {
		return Product{}, err
	}
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
	out := make([]SKUPrice, 0, len(in))
	for _, pi := range in {
		ps, err := s.checkPrices(ctx, op, []PriceInput{pi.PriceInput})
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
	ch, err := s.Channels.Channel(ctx, channelRef)
	if err != nil {
		return err
	}
	now := s.Now()
	ev := events.New(events.ProductListed, productID, actor.MerchantID, now, map[string]string{"channel_id": ch.ID})
	if err := s.Store.ListProduct(ctx, actor.MerchantID, productID, ch.ID, now, ev); err != nil {
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
	ch, err := s.Channels.Channel(ctx, channelRef)
	if err != nil {
		return err
	}
	now := s.Now()
	ev := events.New(events.ProductUnlisted, productID, actor.MerchantID, now, map[string]string{"channel_id": ch.ID})
	if err := s.Store.UnlistProduct(ctx, merchantID, productID, ch.ID, now, ev); err != nil {
		return errs.E(op, errs.Other, err)
	}
	return nil
}

// Product returns a product as its merchant sees it (all channels, all
// languages). Its staff and operators may. Errors: NotFound.
func (s *Service) Product(ctx context.Context, actor identity.Actor, id string) (Product, error) {
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

func checkSlug(op, slug string) error {
	if len(slug) < 2 || len(slug) > 60 || strings.Trim(slug, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		return errs.Field(op, "slug", "must be 2 to 60 lower-case letters, digits or dashes")
	}
	return nil
}

func checkNames(op, field string, in map[string]string) (map[string]string, error) {
	if len(in) == 0 {
		return nil, errs.Field(op, field, "give a name in at least one language")
	}
	out := make(map[string]string, len(in))
	for l, n := range in {
		tag, err := language.Parse(l)
		if err != nil {
			return nil, errs.Field(op, field, "unknown language "+l)
		}
		n = strings.TrimSpace(n)
		if n == "" || utf8.RuneCountInString(n) > 200 {
			return nil, errs.Field(op, field, "names must be 1 to 200 characters")
		}
		out[tag.String()] = n
	}
	return out, nil
}

func checkTranslations(op string, in map[string]Text) (map[string]Text, error) {
	if len(in) == 0 {
		return nil, errs.Field(op, "translations", "give a title in at least one language")
	}
	out := make(map[string]Text, len(in))
	for l, t := range in {
		tag, err := language.Parse(l)
		if err != nil {
			return nil, errs.Field(op, "translations", "unknown language "+l)
		}
		t.Title = strings.TrimSpace(t.Title)
		if t.Title == "" || utf8.RuneCountInString(t.Title) > 300 {
			return nil, errs.Field(op, "translations.title", "must be 1 to 300 characters")
		}
		if utf8.RuneCountInString(t.Description) > 20000 {
			return nil, errs.Field(op, "translations.description", "must be at most 20000 characters")
		}
		out[tag.String()] = t
	}
	return out, nil
}

func checkMedia(op string, in []string) ([]string, error) {
	if len(in) > 20 {
		return nil, errs.Field(op, "media", "at most 20 media URLs")
	}
	out := make([]string, 0, len(in))
	for _, m := range in {
		u, err := url.Parse(m)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(m) > 2000 {
			return nil, errs.Field(op, "media", "must be absolute http(s) URLs")
		}
		out = append(out, m)
	}
	return out, nil
}

func checkAttributes(op string, in map[string]string) (map[string]string, error) {
	if len(in) > 50 {
		return nil, errs.Field(op, "attributes", "at most 50 entries")
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		if k == "" || utf8.RuneCountInString(k) > 60 || utf8.RuneCountInString(v) > 500 {
			return nil, errs.Field(op, "attributes", "keys must be 1 to 60 characters and values at most 500")
		}
		out[k] = v
	}
	return out, nil
}
