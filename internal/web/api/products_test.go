package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/money"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixedProduct has every field of catalog.Product set, so that a field the
// conversion forgets shows as a difference from the golden file.
func fixedProduct() catalog.Product {
	at := time.Date(2026, 11, 11, 8, 30, 0, 0, time.UTC)
	return catalog.Product{ID: "prd_0190f1c2a4b37c3e8f5d6a7b8c9d0e1f", MerchantID: "mer_0190f1c2a4b37c3e8f5d6a7b8c9d0e1f", MerchantName: "Shenzhen Case Co.",
		BrandID: "brd_0190f1c2a4b37c3e8f5d6a7b8c9d0e1f", BrandName: "Shenzhen Case", CategoryID: "cat_0190f1c2a4b37c3e8f5d6a7b8c9d0e1f", OriginCountry: "CN",
		Translations: map[string]catalog.Text{
			"en": {Title: "Silicone case", Description: "Soft-touch silicone."},
			"fr": {Title: "Coque en silicone"},
		},
		Media:      []string{"https://cdn.shenzhen-case.example/p/1.jpg"},
		Attributes: map[string]string{"material": "silicone"},
		Variants: []catalog.Variant{
			{ID: "var_0190f1c2a4b37c3e8f5d6a7b8c9d0e1f", SKU: "CASE-BLK", Options: map[string]string{"colour": "black"}, Prices: []catalog.Price{
				{ChannelID: "chn_0190f1c2a4b37c3e8f5d6a7b8c9d0e1f", Amount: money.Amount{Minor: 1250, Currency: "EUR"}},
				{ChannelID: "chn_0190f1c2a4b37c3e8f5d6a7b8c9d0e20", Amount: money.Amount{Minor: 9900, Currency: "CNY"}},
			}},
			{ID: "var_0190f1c2a4b37c3e8f5d6a7b8c9d0e20", SKU: "CASE-RED", Prices: []catalog.Price{}},
		},
		Channels: []string{"chn_0190f1c2a4b37c3e8f5d6a7b8c9d0e1f"},
		Version:  3, CreatedAt: at, UpdatedAt: at.Add(time.Hour)}
}

// TestProductJSONIsTheAPIs keeps the JSON a merchant reads for a product in
// testdata/product.golden.json. The JSON comes from the API's own Product,
// not from catalog.Product: renaming or retagging a field of the domain type
// leaves it unchanged (a forgotten field fails here). Refresh with
// go test ./internal/web/api -run TestProductJSONIsTheAPIs -update.
func TestProductJSONIsTheAPIs(t *testing.T) {
	got, err := json.MarshalIndent(productOf(fixedProduct()), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "product.golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the product's API JSON differs from %s:\n%s", path, cmp.Diff(string(got), string(want)))
	}
	// Nil stays null, as when the API served the domain type.
	if b, _ := json.Marshal(productOf(catalog.Product{})); !bytes.Contains(b, []byte(`"media":null,`)) || !bytes.Contains(b, []byte(`"variants":null,`)) {
		t.Errorf("a product without media or variants: %s, want null for both", b)
	}
}

// TestInputsConvertEveryField: each API input converts to the domain input
// with every field carried over.
func TestInputsConvertEveryField(t *testing.T) {
	var in ProductInput
	body := `{"brand_id":"brd_1","category_id":"cat_1","origin_country":"CN",
		"translations":{"en":{"title":"Case","description":"Soft"}},
		"media":["https://m.example/1.jpg"],"attributes":{"material":"silicone"},
		"variants":[{"sku":"A-1","options":{"colour":"black"},"prices":[{"channel":"bazaar","currency":"EUR","amount":1250}]}]}`
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		t.Fatal(err)
	}
	want := catalog.ProductInput{BrandID: "brd_1", CategoryID: "cat_1", OriginCountry: "CN",
		Translations: map[string]catalog.Text{"en": {Title: "Case", Description: "Soft"}},
		Media:        []string{"https://m.example/1.jpg"}, Attributes: map[string]string{"material": "silicone"},
		Variants: []catalog.VariantInput{{SKU: "A-1", Options: map[string]string{"colour": "black"},
			Prices: []catalog.PriceInput{{Channel: "bazaar", Currency: "EUR", Amount: 1250}}}}}
	if d := cmp.Diff(in.domain(), want); d != "" {
		t.Errorf("ProductInput.domain() (-got +want):\n%s", d)
	}

	var p Patch
	if err := json.Unmarshal([]byte(`{"brand_id":"","category_id":"cat_2","origin_country":"FR","translations":{"fr":{"title":""}},"media":[],"attributes":{"a":"b"}}`), &p); err != nil {
		t.Fatal(err)
	}
	empty, cat, fr := "", "cat_2", "FR"
	wantPatch := catalog.Patch{BrandID: &empty, CategoryID: &cat, OriginCountry: &fr, Translations: map[string]catalog.Text{"fr": {}},
		Media: []string{}, Attributes: map[string]string{"a": "b"}}
	if d := cmp.Diff(p.domain(), wantPatch); d != "" {
		t.Errorf("Patch.domain() (-got +want):\n%s", d)
	}
	// Absent stays absent: nil, not empty (an empty media list clears it).
	if d := (Patch{}).domain(); d.Translations != nil || d.Media != nil || d.Attributes != nil || d.BrandID != nil {
		t.Errorf("an empty patch converts to %+v", d)
	}

	sp := SKUPriceInput{SKU: "A-1", PriceInput: PriceInput{Channel: "bazaar", Currency: "GBP", Amount: 1050}}
	if d := cmp.Diff(sp.domain(), catalog.SKUPriceInput{SKU: "A-1", PriceInput: catalog.PriceInput{Channel: "bazaar", Currency: "GBP", Amount: 1050}}); d != "" {
		t.Errorf("SKUPriceInput.domain() (-got +want):\n%s", d)
	}
}
