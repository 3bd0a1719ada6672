package web_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestPricesUseTheServiceFormatters: views rendered on request (a product
// with every channel's prices) format prices with the formatter cache the
// catalogue service was given (no package-level one), and a client sending a
// new ?lang= on every request cannot grow it past its bound. (Views on one
// channel are rendered when the product is written, in the channel's own
// languages, by the store's formatters.)
func TestPricesUseTheServiceFormatters(t *testing.T) {
	f := newFixture(t, testkit.Open(t, sqlstore.SQLite))
	fs := money.NewFormatters(4)
	f.svc.Catalog.Formatters = fs
	formatted := func(lang string) string {
		t.Helper()
		status, body := f.do("", "GET", "/api/v1/products/{productA}?lang="+lang, nil)
		if status != 200 {
			t.Fatalf("lang %s: %d %s", lang, status, body)
		}
		var v struct {
			Variants []struct{ Prices []struct{ Formatted string } }
		}
		if err := json.Unmarshal(body, &v); err != nil || len(v.Variants) != 1 || len(v.Variants[0].Prices) == 0 {
			t.Fatalf("lang %s: %s (%v)", lang, body, err)
		}
		return v.Variants[0].Prices[0].Formatted
	}
	// The product is in English only: the view, and its prices, are English.
	if got, want := formatted("fr"), "€9.99"; got != want {
		t.Errorf("fr: %q, want %q", got, want)
	}
	if fs.Len() != 1 {
		t.Fatalf("the service's formatters hold %d locales after one view, want 1", fs.Len())
	}
	for i := range 300 {
		formatted(fmt.Sprintf("x-%d", i))         // private use: formatted as en
		formatted(fmt.Sprintf("fr-%03d", i%1000)) // UN M.49 regions
	}
	if got, want := formatted("en"), "€9.99"; got != want {
		t.Errorf("en: %q, want %q", got, want)
	}
	if fs.Len() > 4 {
		t.Errorf("the formatter cache holds %d locales, bound 4", fs.Len())
	}
}
