package catalog

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/text/language"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/text"
)

// This file is the catalogue's normalise-and-validate step: one function per
// input type, used alike by create, patch and bulk import, built on package
// text, so every path refuses the same things (invalid UTF-8, NUL and other
// control characters, tab and newline outside descriptions, titles of only
// invisible characters, a language given twice under two spellings, an id
// that cannot exist) with Invalid on both SQL engines, before any of it
// reaches the database.

// Limits, in characters, of the catalogue's texts.
const (
	maxTitle       = 300
	maxDescription = 20000
	maxName        = 200
	maxAttrKey     = 60
	maxAttrValue   = 500
	maxAttributes  = 50
	maxMedia       = 20
	maxMediaURL    = 2000
	maxVariants    = 200
)

var (
	slugPattern = regexp.MustCompile(`^[a-z0-9-]{2,60}$`)
	skuPattern  = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
)

func (in CategoryInput) normalise(op string) (CategoryInput, error) {
	var err error
	if in.ParentID != "" && !ids.Valid(ids.Category, in.ParentID) {
		return in, errs.Field(op, "parent_id", "no such category")
	}
	if err = checkSlug(op, in.Slug); err != nil {
		return in, err
	}
	in.Names, err = checkNames(op, "names", in.Names)
	return in, err
}

func (in BrandInput) normalise(op string) (BrandInput, error) {
	if err := checkSlug(op, in.Slug); err != nil {
		return in, err
	}
	var err error
	in.Name, err = text.Line(op, "name", in.Name, maxName, true)
	return in, err
}

func (in VariantInput) normalise(op string) (VariantInput, error) {
	if err := checkSKU(op, "sku", in.SKU); err != nil {
		return in, err
	}
	var err error
	if in.Options, err = checkAttributes(op, "options", in.Options); err != nil {
		return in, err
	}
	for i := range in.Prices {
		if ids.Valid(ids.Channel, in.Prices[i].Channel) {
			continue // an id is clean text already (an import names every channel so)
		}
		if in.Prices[i].Channel, err = text.Line(op, "prices.channel", in.Prices[i].Channel, 64, true); err != nil {
			return in, err
		}
	}
	return in, nil
}

func (in ProductInput) normalise(op string) (ProductInput, error) {
	var err error
	if in.BrandID != "" && !ids.Valid(ids.Brand, in.BrandID) {
		return in, errs.Field(op, "brand_id", "no such brand")
	}
	if in.CategoryID == "" {
		return in, errs.Field(op, "category_id", "is required")
	}
	if !ids.Valid(ids.Category, in.CategoryID) {
		return in, errs.Field(op, "category_id", "no such category")
	}
	if !identity.ValidCountry(in.OriginCountry) {
		return in, errs.Field(op, "origin_country", "must be an ISO 3166-1 alpha-2 code")
	}
	if in.Translations, err = checkTranslations(op, in.Translations, false); err != nil {
		return in, err
	}
	if len(in.Translations) == 0 {
		return in, errs.Field(op, "translations", "give a title in at least one language")
	}
	if in.Media, err = checkMedia(op, in.Media); err != nil {
		return in, err
	}
	if in.Attributes, err = checkAttributes(op, "attributes", in.Attributes); err != nil {
		return in, err
	}
	if len(in.Variants) == 0 {
		return in, errs.Field(op, "variants", "a product needs at least one variant")
	}
	if len(in.Variants) > maxVariants {
		return in, errs.Field(op, "variants", "a product has at most "+strconv.Itoa(maxVariants)+" variants")
	}
	skus := make(map[string]bool, len(in.Variants))
	vs := make([]VariantInput, len(in.Variants))
	for i, v := range in.Variants {
		if vs[i], err = v.normalise(op); err != nil {
			return in, err
		}
		if skus[v.SKU] {
			return in, errs.Field(op, "variants.sku", "SKU "+v.SKU+" appears twice")
		}
		skus[v.SKU] = true
	}
	in.Variants = vs
	return in, nil
}

// normalise checks a patch with the limits create applies. A translation
// with an empty title stays, meaning "remove this language".
func (p Patch) normalise(op string) (Patch, error) {
	var err error
	if p.BrandID != nil && *p.BrandID != "" && !ids.Valid(ids.Brand, *p.BrandID) {
		return p, errs.Field(op, "brand_id", "no such brand")
	}
	if p.CategoryID != nil && !ids.Valid(ids.Category, *p.CategoryID) {
		return p, errs.Field(op, "category_id", "no such category")
	}
	if p.OriginCountry != nil && !identity.ValidCountry(*p.OriginCountry) {
		return p, errs.Field(op, "origin_country", "must be an ISO 3166-1 alpha-2 code")
	}
	if p.Translations != nil {
		if p.Translations, err = checkTranslations(op, p.Translations, true); err != nil {
			return p, err
		}
	}
	if p.Media != nil {
		if p.Media, err = checkMedia(op, p.Media); err != nil {
			return p, err
		}
	}
	if p.Attributes != nil {
		if p.Attributes, err = checkAttributes(op, "attributes", p.Attributes); err != nil {
			return p, err
		}
	}
	return p, nil
}

// importInput checks what only a product built outside a request has (its
// own ids) and returns the rest as the ProductInput that CreateProduct would
// have received, for the one normalise-and-validate step (checkProduct).
// Prices name their channel by id, which checkProduct resolves as it does a
// request's id or code.
func importInput(op string, p Product) (ProductInput, error) {
	if !ids.Valid(ids.Product, p.ID) {
		return ProductInput{}, errs.Field(op, "id", "is not a product id")
	}
	if !ids.Valid(ids.Merchant, p.MerchantID) {
		return ProductInput{}, errs.Field(op, "merchant_id", "no such merchant")
	}
	for _, c := range p.Channels {
		if !ids.Valid(ids.Channel, c) {
			return ProductInput{}, errs.Field(op, "channel_ids", "no such channel")
		}
	}
	in := ProductInput{BrandID: p.BrandID, CategoryID: p.CategoryID, OriginCountry: p.OriginCountry, Translations: p.Translations,
		Media: p.Media, Attributes: p.Attributes, Variants: make([]VariantInput, len(p.Variants))}
	for i, v := range p.Variants {
		if !ids.Valid(ids.Variant, v.ID) {
			return ProductInput{}, errs.Field(op, "variants.id", "is not a variant id")
		}
		prices := make([]PriceInput, len(v.Prices))
		for j, pr := range v.Prices {
			prices[j] = PriceInput{Channel: pr.ChannelID, Currency: pr.Currency, Amount: pr.Minor}
		}
		in.Variants[i] = VariantInput{SKU: v.SKU, Options: v.Options, Prices: prices}
	}
	return in, nil
}

// withInput returns p with what checkProduct normalised: texts, media,
// attributes, options, and the checked prices (channel ids resolved).
func withInput(p Product, in ProductInput, prices [][]Price) Product {
	p.Translations, p.Media, p.Attributes = in.Translations, in.Media, in.Attributes
	vs := make([]Variant, len(p.Variants))
	for i, v := range p.Variants {
		v.Options, v.Prices = in.Variants[i].Options, prices[i]
		vs[i] = v
	}
	p.Variants = vs
	return p
}

func checkSlug(op, slug string) error {
	if !slugPattern.MatchString(slug) {
		return errs.Field(op, "slug", "must be 2 to 60 lower-case letters, digits or dashes")
	}
	return nil
}

func checkSKU(op, field, sku string) error {
	if !skuPattern.MatchString(sku) {
		return errs.Field(op, field, "must be 1 to 64 letters, digits, dots, dashes or underscores")
	}
	return nil
}

// checkLang returns the canonical form of a BCP 47 tag ("EN" and "en" are
// both "en"), so that a language cannot be given twice.
func checkLang(op, field, l string) (string, error) {
	if len(l) > 35 {
		return "", errs.Field(op, field, "unknown language "+strconv.Quote(l))
	}
	tag, err := language.Parse(l)
	if err != nil {
		return "", errs.Field(op, field, "unknown language "+strconv.Quote(l))
	}
	return tag.String(), nil
}

func checkNames(op, field string, in map[string]string) (map[string]string, error) {
	if len(in) == 0 {
		return nil, errs.Field(op, field, "give a name in at least one language")
	}
	out := make(map[string]string, len(in))
	for l, n := range in {
		tag, err := checkLang(op, field, l)
		if err != nil {
			return nil, err
		}
		if _, dup := out[tag]; dup {
			return nil, errs.Field(op, field, "language "+tag+" is given twice")
		}
		if out[tag], err = text.Line(op, field, n, maxName, true); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkTranslations normalises texts per language. With removable (a
// patch), an empty title stands for removing the language.
func checkTranslations(op string, in map[string]Text, removable bool) (map[string]Text, error) {
	out := make(map[string]Text, len(in))
	for l, t := range in {
		tag, err := checkLang(op, "translations", l)
		if err != nil {
			return nil, err
		}
		if _, dup := out[tag]; dup {
			return nil, errs.Field(op, "translations", "language "+tag+" is given twice")
		}
		if removable && t.Title == "" {
			out[tag] = Text{}
			continue
		}
		if t.Title, err = text.Line(op, "translations.title", t.Title, maxTitle, true); err != nil {
			return nil, err
		}
		if t.Description, err = text.Block(op, "translations.description", t.Description, maxDescription, false); err != nil {
			return nil, err
		}
		out[tag] = t
	}
	return out, nil
}

func checkMedia(op string, in []string) ([]string, error) {
	if len(in) > maxMedia {
		return nil, errs.Field(op, "media", "at most "+strconv.Itoa(maxMedia)+" media URLs")
	}
	out := make([]string, 0, len(in))
	for _, m := range in {
		m, err := text.Line(op, "media", m, maxMediaURL, true)
		if err != nil {
			return nil, err
		}
		u, err := url.Parse(m)
		own := err == nil && u.Scheme == "" && u.Host == "" && strings.HasPrefix(u.Path, "/media/") && !strings.Contains(u.Path, "..")
		if !own && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
			return nil, errs.Field(op, "media", "must be absolute http(s) URLs, or paths of Sesame's own media (/media/...)")
		}
		out = append(out, m)
	}
	return out, nil
}

func checkAttributes(op, field string, in map[string]string) (map[string]string, error) {
	if len(in) > maxAttributes {
		return nil, errs.Field(op, field, "at most "+strconv.Itoa(maxAttributes)+" entries")
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		k, err := text.Line(op, field, k, maxAttrKey, true)
		if err != nil {
			return nil, err
		}
		if _, dup := out[k]; dup {
			return nil, errs.Field(op, field, "key "+strconv.Quote(k)+" is given twice")
		}
		if out[k], err = text.Line(op, field, v, maxAttrValue, false); err != nil {
			return nil, err
		}
	}
	return out, nil
}
