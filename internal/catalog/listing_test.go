package catalog

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/money"
)

// TestListingOf: a listing carries every field an index needs, and only the
// prices of its own channel.
func TestListingOf(t *testing.T) {
	at := time.Date(2026, 11, 11, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))
	eur := func(n int64) money.Amount { return money.Amount{Minor: n, Currency: "EUR"} }
	p := Product{ID: "prd_1", MerchantID: "mer_1", MerchantName: "Maison", BrandID: "brd_1", BrandName: "Lux", CategoryID: "cat_2",
		OriginCountry: "FR", Translations: map[string]Text{"fr": {Title: "Sac", Description: "Cuir"}, "zh": {Title: "包"}},
		Media: []string{"https://img.example/1.jpg"}, Attributes: map[string]string{"material": "leather"},
		Variants: []Variant{
			{ID: "var_1", SKU: "S-1", Options: map[string]string{"colour": "black"}, Prices: []Price{{"chn_a", eur(900)}, {"chn_b", eur(1)}, {"chn_a", money.Amount{Minor: 7000, Currency: "CNY"}}}},
			{ID: "var_2", SKU: "S-2", Prices: []Price{{"chn_a", eur(800)}}},
			{ID: "var_3", SKU: "S-3"},
		},
		Channels: []string{"chn_a"}, Version: 4, UpdatedAt: at}
	path := []Category{{ID: "cat_1", Slug: "home", Names: map[string]string{"en": "Home"}}, {ID: "cat_2", ParentID: "cat_1", Slug: "bags", Names: map[string]string{"en": "Bags", "fr": "Sacs"}}}
	want := events.Listing{V: 1, ProductID: "prd_1", ChannelID: "chn_a", ChannelCode: "bazaar", Merchant: events.Ref{ID: "mer_1", Name: "Maison"},
		Brand:         &events.Ref{ID: "brd_1", Name: "Lux"},
		Category:      []events.CategoryNode{{ID: "cat_1", Slug: "home", Names: map[string]string{"en": "Home"}}, {ID: "cat_2", Slug: "bags", Names: map[string]string{"en": "Bags", "fr": "Sacs"}}},
		OriginCountry: "FR", Texts: map[string]events.ListText{"fr": {Title: "Sac", Description: "Cuir"}, "zh": {Title: "包"}},
		Prices: map[string]int64{"EUR": 800, "CNY": 7000}, Media: []string{"https://img.example/1.jpg"}, Attributes: map[string]string{"material": "leather"},
		Variants: []events.ListVariant{
			{ID: "var_1", SKU: "S-1", Options: map[string]string{"colour": "black"}, Prices: map[string]int64{"EUR": 900, "CNY": 7000}},
			{ID: "var_2", SKU: "S-2", Options: map[string]string{}, Prices: map[string]int64{"EUR": 800}},
			{ID: "var_3", SKU: "S-3", Options: map[string]string{}, Prices: map[string]int64{}},
		},
		Version: 4, UpdatedAt: at.UTC()}
	got := ListingOf(p, "chn_a", "bazaar", path)
	if diff := cmp.Diff(got, want); diff != "" {
		t.Fatalf("ListingOf (-got +want):\n%s", diff)
	}
	// An unbranded product has no brand, and empty lists stay lists in JSON.
	p.BrandID, p.BrandName, p.Media, p.Attributes = "", "", nil, nil
	b, err := json.Marshal(ListingOf(p, "chn_b", "luxe", nil))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	if _, ok := m["brand"]; ok {
		t.Errorf("unbranded listing has a brand: %s", b)
	}
	for _, k := range []string{"media", "attributes", "category", "prices"} {
		if m[k] == nil {
			t.Errorf("%s is null: %s", k, b)
		}
	}
}
