package catalog

import (
	"context"
	"fmt"
	"testing"

	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
)

// BenchmarkImportCheck measures the normalise-and-validate step of a demo-like
// batch of 5,000 products (3 languages, 2 variants, 3 prices each); the fake
// store costs nothing.
func BenchmarkImportCheck(b *testing.B) {
	merchant, cat := ids.New(ids.Merchant), ids.New(ids.Category)
	batch := make([]Product, 5000)
	for i := range batch {
		in := ProductInput{CategoryID: cat, OriginCountry: "CN", Media: []string{fmt.Sprintf("https://media.example/%d.jpg", i)},
			Attributes: map[string]string{"origin": "CN"},
			Translations: map[string]Text{"en": {Title: "Classic case", Description: fmt.Sprintf("Classic case, ref. %d.", i)},
				"fr": {Title: "Coque classique", Description: "Coque classique."}, "zh": {Title: "经典手机壳", Description: "经典手机壳。"}}}
		for v := range 2 {
			in.Variants = append(in.Variants, VariantInput{SKU: fmt.Sprintf("CAS-%07d-%d", i, v), Options: map[string]string{"colour": "black"},
				Prices: []PriceInput{{Channel: "bazaar", Currency: "EUR", Amount: 1290}, {Channel: "bazaar", Currency: "GBP", Amount: 1090}, {Channel: "mall", Currency: "CNY", Amount: 9900}}})
		}
		batch[i] = asImport(in, merchant)
	}
	s := newFakeService()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		ps := append([]Product(nil), batch...)
		if err := s.Import(ctx, identity.System, ps); err != nil {
			b.Fatal(err)
		}
		s.Store.(*fakeStore).created = nil
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/5000, "ns/product")
}
