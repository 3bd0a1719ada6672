package api

import (
	"time"

	"github.com/sesame-market/sesame/internal/catalog"
)

// The API's own types for a merchant's products (create, update, add a
// variant, set prices, read and list its own products), with the conversions
// to and from the catalogue's domain types. They are separate so that
// renaming or reshaping a field of catalog.Product or of its inputs changes
// no JSON a client sees: the JSON names, the validation tags that document
// the contract, and the OpenAPI schema names (the Go type names) are here.
// The tags document; catalog's normalise-and-validate step enforces, for the
// API and for imports alike.
//
// Conversions keep nil as nil (a nil slice is JSON null, an empty one []),
// so that the JSON is what it was when the API served the domain types.

// Text is a product's title and description in one language.
type Text struct {
	Title       string `json:"title" minLength:"1" maxLength:"300"`
	Description string `json:"description,omitempty" maxLength:"20000"`
}

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

// Patch changes some of a product's fields; absent fields are left alone. A
// translation given replaces that language's text; an empty title removes it.
type Patch struct {
	BrandID       *string           `json:"brand_id,omitempty"`
	CategoryID    *string           `json:"category_id,omitempty"`
	OriginCountry *string           `json:"origin_country,omitempty" pattern:"^[A-Z]{2}$"`
	Translations  map[string]Text   `json:"translations,omitempty"`
	Media         []string          `json:"media,omitempty" maxItems:"20"`
	Attributes    map[string]string `json:"attributes,omitempty"`
}

// SKUPriceInput is one price of one variant, named by SKU.
type SKUPriceInput struct {
	SKU string `json:"sku"`
	PriceInput
}

// Price is a variant's price on one channel in one currency.
type Price struct {
	ChannelID string `json:"channel_id"`
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
}

// Variant is one sellable configuration of a product (a SKU).
type Variant struct {
	ID      string            `json:"id"`
	SKU     string            `json:"sku"`
	Options map[string]string `json:"options,omitempty"`
	Prices  []Price           `json:"prices"`
}

// Product is a product as its merchant sees it: every language, every
// channel's prices.
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

// mapSlice converts each element of in with f; nil stays nil.
func mapSlice[T, U any](in []T, f func(T) U) []U {
	if in == nil {
		return nil
	}
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// mapValues converts each value of in with f; nil stays nil.
func mapValues[K comparable, T, U any](in map[K]T, f func(T) U) map[K]U {
	if in == nil {
		return nil
	}
	out := make(map[K]U, len(in))
	for k, v := range in {
		out[k] = f(v)
	}
	return out
}

func (t Text) domain() catalog.Text { return catalog.Text{Title: t.Title, Description: t.Description} }

func (p PriceInput) domain() catalog.PriceInput {
	return catalog.PriceInput{Channel: p.Channel, Currency: p.Currency, Amount: p.Amount}
}

func (v VariantInput) domain() catalog.VariantInput {
	return catalog.VariantInput{SKU: v.SKU, Options: v.Options, Prices: mapSlice(v.Prices, PriceInput.domain)}
}

func (in ProductInput) domain() catalog.ProductInput {
	return catalog.ProductInput{BrandID: in.BrandID, CategoryID: in.CategoryID, OriginCountry: in.OriginCountry,
		Translations: mapValues(in.Translations, Text.domain), Media: in.Media, Attributes: in.Attributes,
		Variants: mapSlice(in.Variants, VariantInput.domain)}
}

func (p Patch) domain() catalog.Patch {
	return catalog.Patch{BrandID: p.BrandID, CategoryID: p.CategoryID, OriginCountry: p.OriginCountry,
		Translations: mapValues(p.Translations, Text.domain), Media: p.Media, Attributes: p.Attributes}
}

func (p SKUPriceInput) domain() catalog.SKUPriceInput {
	return catalog.SKUPriceInput{SKU: p.SKU, PriceInput: p.PriceInput.domain()}
}

func textOf(t catalog.Text) Text { return Text{Title: t.Title, Description: t.Description} }

func priceOf(p catalog.Price) Price {
	return Price{ChannelID: p.ChannelID, Amount: p.Minor, Currency: p.Currency}
}

func variantOf(v catalog.Variant) Variant {
	return Variant{ID: v.ID, SKU: v.SKU, Options: v.Options, Prices: mapSlice(v.Prices, priceOf)}
}

// productOf is the API's form of a product.
func productOf(p catalog.Product) Product {
	return Product{ID: p.ID, MerchantID: p.MerchantID, MerchantName: p.MerchantName, BrandID: p.BrandID, BrandName: p.BrandName,
		CategoryID: p.CategoryID, OriginCountry: p.OriginCountry, Translations: mapValues(p.Translations, textOf),
		Media: p.Media, Attributes: p.Attributes, Variants: mapSlice(p.Variants, variantOf), Channels: p.Channels,
		Version: p.Version, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}
