package catalog

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/money"
)

// fakeStore keeps the products it is given; the other methods are not
// called by these tests (the embedded nil interface panics if one is).
type fakeStore struct {
	Store
	created []Product
}

func (f *fakeStore) CreateProducts(_ context.Context, ps []Product, _ []events.Event) error {
	f.created = append(f.created, ps...)
	return nil
}

func (f *fakeStore) Product(_ context.Context, id string) (Product, error) {
	for _, p := range f.created {
		if p.ID == id {
			return p, nil
		}
	}
	return Product{}, errs.E("fake.Product", errs.NotFound, "product not found")
}

// fakeChannels has two channels; it counts its lookups.
type fakeChannels struct {
	chans   []channel.Channel
	lookups int
}

func (f *fakeChannels) Channel(_ context.Context, ref string) (channel.Channel, error) {
	f.lookups++
	for _, c := range f.chans {
		if c.ID == ref || c.Code == ref {
			return c, nil
		}
	}
	return channel.Channel{}, errs.E("fake.Channel", errs.NotFound, "channel not found")
}

var (
	bazaarID = ids.New(ids.Channel)
	mallID   = ids.New(ids.Channel)
)

func newFakeService() *Service {
	chans := &fakeChannels{chans: []channel.Channel{
		{ID: bazaarID, Code: "bazaar", Currencies: []string{"EUR", "GBP"}},
		{ID: mallID, Code: "mall", Currencies: []string{"CNY"}},
	}}
	s := NewService(&fakeStore{}, chans)
	s.Now = func() time.Time { return time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC) }
	return s
}

// asImport is the product a catalogue feed would hand Import for in: the
// same fields, with ids of its own and prices naming channels by id.
func asImport(in ProductInput, merchantID string) Product {
	p := Product{ID: ids.New(ids.Product), MerchantID: merchantID, BrandID: in.BrandID, CategoryID: in.CategoryID, OriginCountry: in.OriginCountry,
		Translations: in.Translations, Media: in.Media, Attributes: in.Attributes, Channels: []string{}}
	for _, vi := range in.Variants {
		v := Variant{ID: ids.New(ids.Variant), SKU: vi.SKU, Options: vi.Options}
		for _, pi := range vi.Prices {
			ch := pi.Channel
			switch ch {
			case "bazaar":
				ch = bazaarID
			case "mall":
				ch = mallID
			}
			v.Prices = append(v.Prices, Price{ChannelID: ch, Amount: money.Amount{Minor: pi.Amount, Currency: pi.Currency}})
		}
		p.Variants = append(p.Variants, v)
	}
	return p
}

// TestImportRefusesWhatCreateRefuses: create and Import share one
// normalise-and-validate step, so an input that CreateProduct refuses is
// refused by Import with the same kind and field, prices included (before,
// Import checked a price only for a channel id's shape and a negative
// amount: an unknown currency, one the channel does not sell, an amount past
// money's bound, a price given twice or a channel that does not exist went
// through).
func TestImportRefusesWhatCreateRefuses(t *testing.T) {
	ctx := context.Background()
	cat := ids.New(ids.Category)
	valid := func() ProductInput {
		return ProductInput{CategoryID: cat, OriginCountry: "CN", Translations: map[string]Text{"en": {Title: "Case"}},
			Media: []string{"https://m.example/1.jpg"}, Attributes: map[string]string{"material": "silicone"},
			Variants: []VariantInput{{SKU: "A-1", Options: map[string]string{"colour": "black"},
				Prices: []PriceInput{{Channel: "bazaar", Currency: "EUR", Amount: 1250}, {Channel: "mall", Currency: "CNY", Amount: 9900}}}}}
	}
	price := func(pi PriceInput) func(*ProductInput) {
		return func(in *ProductInput) { in.Variants[0].Prices = append(in.Variants[0].Prices, pi) }
	}
	bad := []struct {
		name   string
		change func(*ProductInput)
		field  string
	}{
		{"NUL in a title", func(in *ProductInput) { in.Translations = map[string]Text{"en": {Title: "a\x00"}} }, "translations.title"},
		{"no translation", func(in *ProductInput) { in.Translations = nil }, "translations"},
		{"bad origin", func(in *ProductInput) { in.OriginCountry = "ZZZ" }, "origin_country"},
		{"no category", func(in *ProductInput) { in.CategoryID = "" }, "category_id"},
		{"media not a URL", func(in *ProductInput) { in.Media = []string{"ftp:/x"} }, "media"},
		{"media a path outside Sesame's media", func(in *ProductInput) { in.Media = []string{"/api/v1/x.jpg"} }, "media"},
		{"media a path climbing out of them", func(in *ProductInput) { in.Media = []string{"/media/../api/v1/x.jpg"} }, "media"},
		{"media a host-relative address", func(in *ProductInput) { in.Media = []string{"//evil.example/x.jpg"} }, "media"},
		{"no variant", func(in *ProductInput) { in.Variants = nil }, "variants"},
		{"SKU twice", func(in *ProductInput) { in.Variants = append(in.Variants, VariantInput{SKU: "A-1"}) }, "variants.sku"},
		{"bad SKU", func(in *ProductInput) { in.Variants[0].SKU = "a b" }, "sku"},
		{"unknown currency", price(PriceInput{Channel: "bazaar", Currency: "XXY", Amount: 1}), "currency"},
		{"currency the channel does not sell", price(PriceInput{Channel: "bazaar", Currency: "USD", Amount: 1}), "prices.currency"},
		{"negative amount", price(PriceInput{Channel: "bazaar", Currency: "GBP", Amount: -1}), "amount"},
		{"amount past the bound", price(PriceInput{Channel: "bazaar", Currency: "GBP", Amount: money.MaxMinor + 1}), "amount"},
		{"a price twice", price(PriceInput{Channel: "bazaar", Currency: "EUR", Amount: 1}), "prices"},
		{"no such channel", price(PriceInput{Channel: ids.New(ids.Channel), Currency: "EUR", Amount: 1}), "prices.channel"},
	}
	merchantID := ids.New(ids.Merchant)
	staff := identity.Actor{Role: identity.Staff, MerchantID: merchantID, MerchantStatus: identity.MerchantApproved}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			in := valid()
			b.change(&in)
			s := newFakeService()
			_, cerr := s.CreateProduct(ctx, staff, in)
			ierr := s.Import(ctx, identity.System, []Product{asImport(in, merchantID)})
			for what, err := range map[string]error{"create": cerr, "import": ierr} {
				if errs.KindOf(err) != errs.Invalid || errs.FieldOf(err) != b.field {
					t.Errorf("%s: %v (%v, field %q), want Invalid on %q", what, err, errs.KindOf(err), errs.FieldOf(err), b.field)
				}
			}
			if errs.Message(cerr) != errs.Message(ierr) {
				t.Errorf("create says %q, import %q", errs.Message(cerr), errs.Message(ierr))
			}
			if n := len(s.Store.(*fakeStore).created); n != 0 {
				t.Errorf("%d products stored", n)
			}
		})
	}

	// The valid input passes both ways, and the imported product comes out
	// as create makes it (normalised texts, prices on channel ids).
	s := newFakeService()
	in := valid()
	in.Translations = map[string]Text{"EN": {Title: "  Case "}}
	in.Media = []string{"https://img.example/a.jpg", "/media/demo/a.svg"} // a host's, and Sesame's own
	made, err := s.CreateProduct(ctx, staff, in)
	if err != nil {
		t.Fatal(err)
	}
	imp := asImport(in, merchantID)
	imp.Variants[0].Prices[0].ChannelID = "bazaar" // a code resolves as in a request
	if err := s.Import(ctx, identity.System, []Product{imp}); err != nil {
		t.Fatal(err)
	}
	got := s.Store.(*fakeStore).created[1]
	if got.Translations["en"] != made.Translations["en"] || len(got.Translations) != 1 {
		t.Errorf("imported translations %v, created %v", got.Translations, made.Translations)
	}
	for i, pr := range got.Variants[0].Prices {
		if want := made.Variants[0].Prices[i]; pr != want {
			t.Errorf("imported price %d = %+v, created %+v", i, pr, want)
		}
	}
}

// TestImportLooksUpEachChannelOnce: a batch of products priced on the same
// channels costs one lookup per channel, not one per price.
func TestImportLooksUpEachChannelOnce(t *testing.T) {
	s := newFakeService()
	var ps []Product
	for i := range 100 {
		in := ProductInput{CategoryID: ids.New(ids.Category), OriginCountry: "CN", Translations: map[string]Text{"en": {Title: "Case"}},
			Variants: []VariantInput{{SKU: "S-" + strings.Repeat("x", i%5+1), Prices: []PriceInput{{Channel: "bazaar", Currency: "EUR", Amount: 100}, {Channel: "mall", Currency: "CNY", Amount: 700}}}}}
		ps = append(ps, asImport(in, ids.New(ids.Merchant)))
	}
	if err := s.Import(context.Background(), identity.System, ps); err != nil {
		t.Fatal(err)
	}
	if n := s.Channels.(*fakeChannels).lookups; n != 2 {
		t.Errorf("%d channel lookups for 100 products on 2 channels, want 2", n)
	}
}
