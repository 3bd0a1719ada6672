package web_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestBadInputChangesNothing sends malformed writes: each gets a
// problem+json 400, 413 or 422 naming the problem, and the database is
// unchanged.
func TestBadInputChangesNothing(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		product := func(mut func(m map[string]any)) map[string]any {
			m := map[string]any{"category_id": "{category}", "origin_country": "CN", "translations": map[string]any{"en": map[string]any{"title": "X"}},
				"variants": []any{map[string]any{"sku": "BAD-1", "prices": []any{map[string]any{"channel": "bazaar", "currency": "EUR", "amount": 100}}}}}
			mut(m)
			return m
		}
		price := func(p map[string]any) func(m map[string]any) {
			return func(m map[string]any) {
				m["variants"] = []any{map[string]any{"sku": "BAD-1", "prices": []any{p}}}
			}
		}
		tests := []struct {
			name, actor, method, path string
			body                      any
			status                    []int
			mention                   string
		}{
			{"unknown field", "ownerA", "POST", "/api/v1/products", product(func(m map[string]any) { m["colour"] = "red" }), []int{422}, "colour"},
			{"mass assignment: owner merchant", "ownerA", "POST", "/api/v1/products", product(func(m map[string]any) { m["merchant_id"] = "{B}" }), []int{422}, "merchant_id"},
			{"mass assignment: timestamps", "ownerA", "PATCH", "/api/v1/products/{productA}", map[string]any{"created_at": "2020-01-01T00:00:00Z"}, []int{422}, "created_at"},
			{"mass assignment: merchant status", "ownerA", "POST", "/api/v1/merchant-applications", func() map[string]any { a := app("x@example.com"); a["status"] = "approved"; return a }(), []int{422}, "status"},
			{"mass assignment: commission", "operator", "PUT", "/api/v1/merchants/{A}/plan", map[string]any{"plan_id": "{plan}", "commission_bps": 0}, []int{422}, "commission_bps"},
			{"wrong type", "ownerA", "POST", "/api/v1/products", product(func(m map[string]any) { m["origin_country"] = 42 }), []int{422}, "origin_country"},
			{"negative amount", "ownerA", "POST", "/api/v1/products", product(price(map[string]any{"channel": "bazaar", "currency": "EUR", "amount": -1})), []int{422}, "amount"},
			{"overflowing amount", "ownerA", "POST", "/api/v1/products", `{"category_id":"{category}","origin_country":"CN","translations":{"en":{"title":"X"}},"variants":[{"sku":"BAD-1","prices":[{"channel":"bazaar","currency":"EUR","amount":92233720368547758070}]}]}`, []int{400, 422}, ""},
			{"amount beyond money's bound", "ownerA", "POST", "/api/v1/products", product(price(map[string]any{"channel": "bazaar", "currency": "EUR", "amount": 1_000_000_000_000_001})), []int{422}, "amount"},
			{"deposit beyond money's bound", "operator", "POST", "/api/v1/plans", map[string]any{"code": "x4", "name": "X", "currency": "EUR", "deposit": int64(1<<63 - 1), "yearly_fee": 1, "commission_bps": 1}, []int{422}, "amount"},
			{"fractional amount", "ownerA", "POST", "/api/v1/products", product(price(map[string]any{"channel": "bazaar", "currency": "EUR", "amount": 9.99})), []int{400, 422}, ""},
			{"unknown currency", "ownerA", "POST", "/api/v1/products", product(price(map[string]any{"channel": "bazaar", "currency": "EUX", "amount": 100})), []int{422}, "currency"},
			{"currency not sold on channel", "ownerA", "POST", "/api/v1/products", product(price(map[string]any{"channel": "bazaar", "currency": "CNY", "amount": 100})), []int{422}, "CNY"},
			{"unknown currency in plan", "operator", "POST", "/api/v1/plans", map[string]any{"code": "x1", "name": "X", "currency": "ABC", "deposit": 1, "yearly_fee": 1, "commission_bps": 1}, []int{422}, "currency"},
			{"negative fee", "operator", "POST", "/api/v1/plans", map[string]any{"code": "x2", "name": "X", "currency": "EUR", "deposit": -5, "yearly_fee": 1, "commission_bps": 1}, []int{422}, "deposit"},
			{"commission over 100%", "operator", "POST", "/api/v1/plans", map[string]any{"code": "x3", "name": "X", "currency": "EUR", "deposit": 0, "yearly_fee": 1, "commission_bps": 10001}, []int{422}, "commission_bps"},
			{"malformed JSON", "ownerA", "POST", "/api/v1/products", `{"category_id":`, []int{400, 422}, ""},
			{"oversized body", "ownerA", "POST", "/api/v1/products", `{"category_id":"` + strings.Repeat("x", 2<<20) + `"}`, []int{413}, ""},
			{"duplicate SKU in one product", "ownerA", "POST", "/api/v1/products", product(func(m map[string]any) {
				m["variants"] = []any{map[string]any{"sku": "D"}, map[string]any{"sku": "D"}}
			}), []int{422}, "sku"},
			{"unknown category", "ownerA", "POST", "/api/v1/products", product(func(m map[string]any) { m["category_id"] = "cat_0" }), []int{422}, "category"},
			{"bad email", "", "POST", "/api/v1/auth/register", map[string]any{"email": "not-an-email", "name": "N", "password": pw}, []int{422}, "email"},
			{"short password", "", "POST", "/api/v1/auth/register", map[string]any{"email": "n@example.com", "name": "N", "password": "short"}, []int{422}, "password"},
			{"taken email", "", "POST", "/api/v1/auth/register", map[string]any{"email": "buyer@example.com", "name": "N", "password": pw}, []int{409}, "e-mail"},
			{"bad cursor", "", "GET", "/api/v1/products?channel=bazaar&cursor=bm90LWEtY3Vyc29y", nil, []int{422}, "cursor"},
			{"limit too large", "", "GET", "/api/v1/products?channel=bazaar&limit=1000", nil, []int{422}, "limit"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := f.fingerprint()
				body := tt.body
				if s, ok := body.(string); ok {
					body = f.expand(s)
				} else {
					body = f.expandBody(body)
				}
				status, out := f.do(tt.actor, tt.method, tt.path, body)
				ok := false
				for _, s := range tt.status {
					ok = ok || s == status
				}
				if !ok {
					t.Fatalf("status %d, want %v: %s", status, tt.status, out)
				}
				var p struct {
					Type   string `json:"type"`
					Status int    `json:"status"`
					Detail string `json:"detail"`
				}
				if err := json.Unmarshal(out, &p); err != nil || p.Type == "" || p.Status != status {
					t.Fatalf("not a problem document: %s", out)
				}
				if tt.mention != "" && !strings.Contains(string(out), tt.mention) {
					t.Errorf("problem does not mention %q: %s", tt.mention, out)
				}
				if after := f.fingerprint(); after != before {
					t.Errorf("a refused request changed the database")
				}
			})
		}
	})
}

// TestListingPageSeesEveryChange reads a channel page (which the server
// caches), changes what it shows in several ways, and reads it again: the
// change is visible at once every time.
func TestListingPageSeesEveryChange(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		page := func() string {
			t.Helper()
			status, out := f.do("", "GET", "/api/v1/products?channel=bazaar&lang=en", nil)
			if status != 200 {
				t.Fatalf("status %d: %s", status, out)
			}
			return string(out)
		}
		first := page()
		if page() != first {
			t.Fatal("two reads without a change differ")
		}
		steps := []struct {
			name, actor, method, path string
			body                      any
			want, gone                string
		}{
			{"price", "ownerA", "PUT", "/api/v1/products/{productA}/prices", `{"prices":[{"sku":"A-1","channel":"bazaar","currency":"EUR","amount":1234}]}`, `"amount":1234`, `"amount":999`},
			{"title", "ownerA", "PATCH", "/api/v1/products/{productA}", `{"translations":{"en":{"title":"Renamed case"}}}`, "Renamed case", `"title":"Case"`},
			{"suspension", "operator", "POST", "/api/v1/merchants/{A}/suspend", `{"reason":"audit"}`, `"items":[]`, "Renamed case"},
			{"reinstatement", "operator", "POST", "/api/v1/merchants/{A}/approve", nil, "Renamed case", `"items":[]`},
			{"unlisting", "ownerA", "DELETE", "/api/v1/products/{productA}/listings/bazaar", nil, `"items":[]`, "Renamed case"},
		}
		for _, s := range steps {
			var body any
			if s.body != nil {
				body = f.expand(s.body.(string))
			}
			if status, out := f.do(s.actor, s.method, s.path, body); status >= 300 {
				t.Fatalf("%s: status %d: %s", s.name, status, out)
			}
			got := page()
			if !strings.Contains(got, s.want) || strings.Contains(got, s.gone) {
				t.Fatalf("after %s the page is stale: %s", s.name, got)
			}
			if s.name == "reinstatement" {
				f.login("ownerA", "a@example.com") // the suspension ended ownerA's session
			}
		}
	})
}

// TestTenantsSeeOnlyTheirOwn: a logistics partner lists only the
// warehouses it operates, a merchant only its own, an operator all; a
// merchant cannot read another merchant's account or products.
func TestTenantsSeeOnlyTheirOwn(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		for _, w := range []string{
			`{"code":"idf-1","name":"IDF","country":"FR","city":"Roissy","operator_partner_id":"{partner}"}`,
			`{"code":"szx-1","name":"Shenzhen","country":"CN","city":"Shenzhen","owner_merchant_id":"{B}"}`,
		} {
			if status, out := f.do("operator", "POST", "/api/v1/warehouses", f.expand(w)); status != 201 {
				t.Fatalf("create warehouse: %d %s", status, out)
			}
		}
		// A merchant owner registering a warehouse cannot assign it to another merchant.
		if status, out := f.do("ownerA", "POST", "/api/v1/warehouses", f.expand(`{"code":"a-1","name":"A","country":"CN","city":"Yiwu","owner_merchant_id":"{B}"}`)); status != 201 || !strings.Contains(string(out), f.ids["A"]) {
			t.Fatalf("owner's warehouse: %d %s", status, out)
		}
		codes := func(actor string) []string {
			status, out := f.do(actor, "GET", "/api/v1/warehouses", nil)
			if status != 200 {
				return []string{strconv.Itoa(status)}
			}
			var res struct{ Items []struct{ Code string } }
			json.Unmarshal(out, &res)
			var cs []string
			for _, it := range res.Items {
				cs = append(cs, it.Code)
			}
			return cs
		}
		for actor, want := range map[string]string{"partner": "idf-1", "ownerB": "szx-1", "ownerA": "a-1,linkaccept,linkdecline,wha",
			"operator": "a-1,idf-1,linkaccept,linkdecline,s-1,szx-1,wha", "": "401", "buyer": "403"} {
			if got := strings.Join(codes(actor), ","); got != want {
				t.Errorf("%q sees warehouses %q, want %q", actor, got, want)
			}
		}
		for _, path := range []string{"/api/v1/merchants/{A}", "/api/v1/merchants/{A}/products", "/api/v1/merchants/{A}/products/{productA}", "/api/v1/merchants/{A}/shops"} {
			if status, _ := f.do("ownerB", "GET", path, nil); status != 403 && status != 404 {
				t.Errorf("another merchant reads %s: %d", path, status)
			}
		}
	})
}

// TestCachedPageRacesEdits reads a channel's page from several buyers while
// its merchant changes a price fifty times: once the edits are done, the
// page shows the last price. A page read before an edit committed and
// cached under the ranges' versions read after it would show an old price
// for ever.
func TestCachedPageRacesEdits(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		const edits = 50
		done := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-done:
						return
					default:
					}
					req := httptest.NewRequest("GET", "/api/v1/products?channel=bazaar&lang=en", nil)
					rec := httptest.NewRecorder()
					f.web.ServeHTTP(rec, req)
					if rec.Code != 200 {
						t.Errorf("page: %d", rec.Code)
						return
					}
				}
			}()
		}
		for i := 1; i <= edits; i++ {
			body := f.expand(fmt.Sprintf(`{"prices":[{"sku":"A-1","channel":"bazaar","currency":"EUR","amount":%d}]}`, 5000+i))
			if status, out := f.do("ownerA", "PUT", "/api/v1/products/{productA}/prices", body); status != 200 {
				t.Fatalf("price %d: %d %s", i, status, out)
			}
		}
		close(done)
		wg.Wait()
		status, out := f.do("", "GET", "/api/v1/products?channel=bazaar&lang=en", nil)
		if want := fmt.Sprintf(`"amount":%d`, 5000+edits); status != 200 || !strings.Contains(string(out), want) {
			t.Fatalf("after the edits the page lacks %s: %d %s", want, status, out)
		}
	})
}
