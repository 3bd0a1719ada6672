package web_test

import (
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestBrandsBelongToTheirMerchant replays the attack on the curated luxe
// channel: merchant B, admitted to luxe with a shop there, puts merchant A's
// brand (admitted on luxe) on its products. Creating, patching and listing
// are all refused, and nothing is written. A marketplace brand becomes usable
// only once an operator authorises B, and withdrawing that removes B's luxe
// listing in the same request.
func TestBrandsBelongToTheirMerchant(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		must := func(actor, method, path, body string, want int) string {
			t.Helper()
			var b any
			if body != "" {
				b = f.expand(body)
			}
			status, out := f.do(actor, method, path, b)
			if status != want {
				t.Fatalf("%s %s as %s: status %d, want %d: %s", method, path, actor, status, want, out)
			}
			return string(out)
		}
		// luxe admits A with its brand and B (with no brand of its own yet);
		// both have a shop there.
		must("operator", "POST", "/api/v1/channels/luxe/admissions", `{"merchant_ids":["{A}","{B}"],"brand_ids":["{brandA}","{marketBrand}"]}`, 200)
		must("ownerA", "POST", "/api/v1/merchants/{A}/shops", `{"channel":"luxe","name":"A luxe"}`, 201)
		must("ownerB", "POST", "/api/v1/merchants/{B}/shops", `{"channel":"luxe","name":"B luxe"}`, 201)
		product := func(brand, sku string) string {
			return `{"brand_id":"` + brand + `","category_id":"{category}","origin_country":"FR","translations":{"en":{"title":"Bag ` + sku + `"}},
				"variants":[{"sku":"` + sku + `","prices":[{"channel":"luxe","currency":"CNY","amount":1999900}]}]}`
		}

		// 1. Create a product under another merchant's brand: 403, nothing written.
		before := f.fingerprint()
		out := must("ownerB", "POST", "/api/v1/products", product("{brandA}", "FAKE-1"), 403)
		if !strings.Contains(out, "another merchant") {
			t.Errorf("the refusal does not say why: %s", out)
		}
		if f.fingerprint() != before {
			t.Fatal("a refused create wrote something")
		}
		// 2. Patch one's own product to that brand: 403, the product keeps no brand.
		out = must("ownerB", "POST", "/api/v1/products", product("", "PLAIN-1"), 201)
		id := between(out, `"id":"`, `"`)
		before = f.fingerprint()
		must("ownerB", "PATCH", "/api/v1/products/"+id, `{"brand_id":"{brandA}"}`, 403)
		if f.fingerprint() != before {
			t.Fatal("a refused patch wrote something")
		}
		// 3. So B cannot list anything under A's brand on luxe; its unbranded product is refused too.
		must("ownerB", "PUT", "/api/v1/products/"+id+"/listings/luxe", "", 403)
		// A itself may.
		out = must("ownerA", "POST", "/api/v1/products", product("{brandA}", "REAL-1"), 201)
		real := between(out, `"id":"`, `"`)
		must("ownerA", "PUT", "/api/v1/products/"+real+"/listings/luxe", "", 204)
		page := must("", "GET", "/api/v1/products?channel=luxe", "", 200)
		if !strings.Contains(page, "Merchant A") || strings.Contains(page, "Merchant B") {
			t.Fatalf("luxe page: %s", page)
		}

		// A marketplace brand: B was authorised in the fixture; A was not.
		must("ownerA", "POST", "/api/v1/products", product("{marketBrand}", "MKT-A"), 403)
		out = must("ownerB", "POST", "/api/v1/products", product("{marketBrand}", "MKT-B"), 201)
		mkt := between(out, `"id":"`, `"`)
		must("ownerB", "PUT", "/api/v1/products/"+mkt+"/listings/luxe", "", 204)
		if page := must("", "GET", "/api/v1/products?channel=luxe", "", 200); !strings.Contains(page, mkt) {
			t.Fatalf("the authorised product is not on luxe: %s", page)
		}
		// Who sees the brand's authorisations: operators and the owner (none here: a marketplace brand).
		if list := must("operator", "GET", "/api/v1/brands/{marketBrand}/authorisations", "", 200); !strings.Contains(list, f.ids["B"]) {
			t.Fatalf("authorisations: %s", list)
		}
		must("ownerB", "GET", "/api/v1/brands/{marketBrand}/authorisations", "", 403)
		must("ownerA", "GET", "/api/v1/brands/{brandA}/authorisations", "", 200)
		must("ownerB", "GET", "/api/v1/brands/{brandA}/authorisations", "", 403)
		// Granting twice is idempotent.
		first := must("operator", "PUT", "/api/v1/brands/{marketBrand}/authorisations/{B}", "", 200)
		if again := must("operator", "PUT", "/api/v1/brands/{marketBrand}/authorisations/{B}", "", 200); again != first {
			t.Errorf("a second grant changed the authorisation: %s then %s", first, again)
		}
		// Withdrawing it unlists B's product at once, and B cannot list it again.
		must("operator", "DELETE", "/api/v1/brands/{marketBrand}/authorisations/{B}", "", 204)
		if page := must("", "GET", "/api/v1/products?channel=luxe", "", 200); strings.Contains(page, mkt) || !strings.Contains(page, real) {
			t.Fatalf("after the withdrawal luxe shows: %s", page)
		}
		must("ownerB", "PUT", "/api/v1/products/"+mkt+"/listings/luxe", "", 403)
		must("operator", "DELETE", "/api/v1/brands/{marketBrand}/authorisations/{B}", "", 404)
		// A pending merchant registers no brand (slug squatting).
		must("pendingC1", "POST", "/api/v1/brands", `{"slug":"maison-lumiere","name":"Maison Lumière"}`, 403)
	})
}

// between returns the text of s after the first from, up to the next to.
func between(s, from, to string) string {
	_, rest, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(rest, to)
	return v
}
