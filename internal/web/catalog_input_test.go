package web_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestCatalogueTextIsChecked sends catalogue writes carrying NUL and other
// control characters, invisible titles, a language under two spellings and
// over-long texts, through create and patch alike: each is a 422 naming the
// field on both engines (a NUL used to be a 500 on PostgreSQL and stored on
// SQLite), and nothing is written. A tab and a newline in a description are
// accepted.
func TestCatalogueTextIsChecked(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		product := func(mut func(m map[string]any)) map[string]any {
			m := map[string]any{"category_id": f.ids["category"], "origin_country": "CN", "translations": map[string]any{"en": map[string]any{"title": "X"}},
				"attributes": map[string]any{"material": "silicone"},
				"variants":   []any{map[string]any{"sku": "TXT-1", "options": map[string]any{"colour": "red"}, "prices": []any{map[string]any{"channel": "bazaar", "currency": "EUR", "amount": 100}}}}}
			mut(m)
			return m
		}
		tr := func(langs ...any) func(m map[string]any) {
			return func(m map[string]any) {
				t := map[string]any{}
				for i := 0; i < len(langs); i += 2 {
					t[langs[i].(string)] = langs[i+1]
				}
				m["translations"] = t
			}
		}
		title := func(s string) map[string]any { return map[string]any{"title": s} }
		long := strings.Repeat("é", 30000)
		tests := []struct {
			name, actor, method, path string
			body                      any
			mention                   string
		}{
			{"NUL in a title", "ownerA", "POST", "/api/v1/products", product(tr("en", title("Case\x00"))), "translations.title"},
			{"NUL in a description", "ownerA", "POST", "/api/v1/products", product(tr("en", map[string]any{"title": "Case", "description": "a\x00b"})), "translations.description"},
			{"escape character in a title", "ownerA", "POST", "/api/v1/products", product(tr("en", title("Case\x1b[31m"))), "control"},
			{"newline in a title", "ownerA", "POST", "/api/v1/products", product(tr("en", title("Case\nTwo"))), "translations.title"},
			{"invisible title", "ownerA", "POST", "/api/v1/products", product(tr("en", title("\u200b\u200d \u3164"))), "visible"},
			{"EN beside en", "ownerA", "POST", "/api/v1/products", product(tr("en", title("Case"), "EN", title("Other"))), "twice"},
			{"NUL in an attribute key", "ownerA", "POST", "/api/v1/products", product(func(m map[string]any) { m["attributes"] = map[string]any{"mat\x00": "x"} }), "attributes"},
			{"NUL in an attribute value", "ownerA", "POST", "/api/v1/products", product(func(m map[string]any) { m["attributes"] = map[string]any{"mat": "x\x00"} }), "attributes"},
			{"NUL in an option", "ownerA", "POST", "/api/v1/products", product(func(m map[string]any) {
				m["variants"] = []any{map[string]any{"sku": "TXT-1", "options": map[string]any{"colour": "r\x00"}}}
			}), "options"},
			{"NUL in a brand id", "ownerA", "POST", "/api/v1/products", product(func(m map[string]any) { m["brand_id"] = "brd_\x00" }), "brand_id"},
			{"NUL in a category id", "ownerA", "POST", "/api/v1/products", product(func(m map[string]any) { m["category_id"] = "cat_\x00" }), "category_id"},
			{"NUL in a price's channel", "ownerA", "POST", "/api/v1/products", product(func(m map[string]any) {
				m["variants"] = []any{map[string]any{"sku": "TXT-1", "prices": []any{map[string]any{"channel": "baz\x00aar", "currency": "EUR", "amount": 100}}}}
			}), "channel"},
			{"NUL in a media URL", "ownerA", "POST", "/api/v1/products", product(func(m map[string]any) { m["media"] = []any{"https://x.example/\x00.jpg"} }), "media"},
			{"patch: 30,000-character description", "ownerA", "PATCH", "/api/v1/products/{productA}", map[string]any{"translations": map[string]any{"en": map[string]any{"title": "Case", "description": long}}}, "20000"},
			{"patch: EN beside en", "ownerA", "PATCH", "/api/v1/products/{productA}", map[string]any{"translations": map[string]any{"fr": title("Coque"), "FR": title("Étui")}}, "twice"},
			{"patch: NUL in a title", "ownerA", "PATCH", "/api/v1/products/{productA}", map[string]any{"translations": map[string]any{"fr": title("Co\x00que")}}, "translations.title"},
			{"patch: invisible title", "ownerA", "PATCH", "/api/v1/products/{productA}", map[string]any{"translations": map[string]any{"fr": title("\u2800")}}, "visible"},
			{"patch: NUL in an attribute", "ownerA", "PATCH", "/api/v1/products/{productA}", map[string]any{"attributes": map[string]any{"k": "\x00"}}, "attributes"},
			{"patch: NUL in a brand id", "ownerA", "PATCH", "/api/v1/products/{productA}", map[string]any{"brand_id": "\x00"}, "brand_id"},
			{"variant: NUL in an option", "ownerA", "POST", "/api/v1/products/{productA}/variants", map[string]any{"sku": "A-9", "options": map[string]any{"k\x00": "v"}}, "options"},
			{"prices: NUL in the channel", "ownerA", "PUT", "/api/v1/products/{productA}/prices", map[string]any{"prices": []any{map[string]any{"sku": "A-1", "channel": "\x00", "currency": "EUR", "amount": 1}}}, "channel"},
			{"category: NUL in a name", "operator", "POST", "/api/v1/categories", map[string]any{"slug": "rings", "names": map[string]any{"en": "Ri\x00ngs"}}, "names"},
			{"category: EN beside en", "operator", "POST", "/api/v1/categories", map[string]any{"slug": "rings", "names": map[string]any{"en": "Rings", "EN": "Rings"}}, "twice"},
			{"category: NUL in the parent", "operator", "POST", "/api/v1/categories", map[string]any{"slug": "rings", "parent_id": "cat_\x00", "names": map[string]any{"en": "Rings"}}, "parent_id"},
			{"brand: NUL in the name", "ownerA", "POST", "/api/v1/brands", map[string]any{"slug": "nul-brand", "name": "Nul\x00"}, "name"},
			{"brand: invisible name", "ownerA", "POST", "/api/v1/brands", map[string]any{"slug": "blank-brand", "name": "\u200b\u200b"}, "visible"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := f.fingerprint()
				status, out := f.do(tt.actor, tt.method, tt.path, f.expandBody(tt.body))
				if status != 422 {
					t.Fatalf("status %d, want 422: %s", status, out)
				}
				if !strings.Contains(string(out), tt.mention) {
					t.Errorf("problem does not mention %q: %s", tt.mention, out)
				}
				if f.fingerprint() != before {
					t.Error("a refused request changed the database")
				}
			})
		}
		// A NUL in a path id is a 404, never a 500.
		for _, path := range []string{"/api/v1/products/prd_%00", "/api/v1/products/{productA}/listings/baz%00aar"} {
			if status, out := f.do("ownerA", "PUT", path+"", nil); status >= 500 {
				t.Errorf("PUT %s: %d %s", path, status, out)
			}
			if status, out := f.do("ownerA", "PATCH", path, map[string]any{}); status >= 500 {
				t.Errorf("PATCH %s: %d %s", path, status, out)
			}
		}
		// Tabs and newlines belong in descriptions; text is trimmed and in NFC.
		status, out := f.do("ownerA", "POST", "/api/v1/products", product(tr("en", map[string]any{"title": "  Cafe\u0301 case ", "description": "Line one\n\tLine two"})))
		if status != 201 {
			t.Fatalf("a description with a tab and a newline: %d %s", status, out)
		}
		var p struct {
			Translations map[string]struct{ Title, Description string }
		}
		json.Unmarshal(out, &p)
		if got := p.Translations["en"]; got.Title != "Café case" || got.Description != "Line one\n\tLine two" {
			t.Errorf("stored text = %+v", got)
		}
	})
}
