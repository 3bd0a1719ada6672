package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// doKey sends a request with an API key and returns its status.
func (f *fixture) doKey(key, method, path string) int {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+f.expand(path), nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	return res.StatusCode
}

// sellingRoutes are the calls by which a merchant sells or operates, each
// on the merchant's own objects ({M} is its id, {productS} and {whS} the
// suspended merchant's product and warehouse).
func sellingRoutes() []route {
	productIn := map[string]any{"category_id": "{category}", "origin_country": "CN", "translations": map[string]any{"en": map[string]any{"title": "New"}},
		"variants": []any{map[string]any{"sku": "NEW-1", "prices": []any{map[string]any{"channel": "bazaar", "currency": "EUR", "amount": 100}}}}}
	return []route{
		{method: "POST", path: "/api/v1/merchants/{M}/api-keys", body: map[string]any{"name": "erp"}},
		{method: "POST", path: "/api/v1/merchants/{M}/staff", body: map[string]any{"email": "helper@example.com", "name": "H", "password": pw, "role": "staff"}},
		{method: "POST", path: "/api/v1/merchants/{M}/shops", body: map[string]any{"channel": "outlet", "name": "Outlet shop"}},
		{method: "POST", path: "/api/v1/brands", body: map[string]any{"slug": "squatted-slug", "name": "Squatted"}},
		{method: "POST", path: "/api/v1/products", body: productIn},
		{method: "PATCH", path: "/api/v1/products/{productS}", body: map[string]any{"translations": map[string]any{"fr": map[string]any{"title": "Coque"}}}},
		{method: "POST", path: "/api/v1/products/{productS}/variants", body: map[string]any{"sku": "S-2"}},
		{method: "PUT", path: "/api/v1/products/{productS}/prices", body: map[string]any{"prices": []any{map[string]any{"sku": "S-1", "channel": "bazaar", "currency": "GBP", "amount": 850}}}},
		{method: "PUT", path: "/api/v1/products/{productS}/listings/bazaar"},
		{method: "DELETE", path: "/api/v1/products/{productS}/listings/bazaar"},
		{method: "POST", path: "/api/v1/warehouses", body: map[string]any{"code": "own-1", "name": "Own", "country": "CN", "city": "Shenzhen"}},
		{method: "POST", path: "/api/v1/warehouses/{whS}/partner-links", body: map[string]any{"partner_id": "{partner}"}},
	}
}

// TestUnapprovedMerchantsDoNotSell: the owners of a pending, a rejected and
// a suspended merchant are refused every selling call on their own merchant
// with a reason they can act on, and nothing changes.
func TestUnapprovedMerchantsDoNotSell(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		for _, c := range []struct{ owner, merchant, why string }{
			{"ownerP", "P", "pending review; you can edit it until it is approved"},
			{"ownerR", "R", "was rejected; edit it to resubmit"},
			{"ownerS", "S", "suspended"},
		} {
			for _, r := range sellingRoutes() {
				path := strings.ReplaceAll(r.path, "{M}", "{"+c.merchant+"}")
				before := f.fingerprint()
				status, out := f.do(c.owner, r.method, path, f.expandBody(r.body))
				if status != 403 || !strings.Contains(string(out), c.why) {
					t.Errorf("%s %s %s: status %d, want 403 saying %q: %s", c.owner, r.method, path, status, c.why, out)
				}
				if f.fingerprint() != before {
					t.Errorf("%s %s %s changed the database", c.owner, r.method, path)
				}
			}
			// Reading one's own merchant stays allowed.
			if status, out := f.do(c.owner, "GET", "/api/v1/merchants/{"+c.merchant+"}", nil); status != 200 {
				t.Errorf("%s reads its merchant: status %d: %s", c.owner, status, out)
			}
		}
		// Once approved, the same owner sells.
		f.do("operator", "POST", "/api/v1/merchants/{P}/approve", nil)
		if status, out := f.do("ownerP", "POST", "/api/v1/brands", f.expandBody(map[string]any{"slug": "p-brand", "name": "P Brand"})); status != 201 {
			t.Errorf("approved owner creates a brand: status %d: %s", status, out)
		}
	})
}

func decodeMerchant(t *testing.T, out []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return m
}

// TestOwnersEditTheirApplication: a pending application is edited in place,
// a rejected one is resubmitted by the edit, an approved or suspended one
// cannot be edited, the edit goes through the same checks as an
// application, and only the owner may edit.
func TestOwnersEditTheirApplication(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		edit := map[string]any{"name": "  Pending Owner Ltd  ", "trader": map[string]any{"registration_number": "RCS 42", "address": "1 Main St\nShenzhen"}}
		status, out := f.do("ownerP", "PATCH", "/api/v1/merchants/{P}/application", edit)
		if status != 200 {
			t.Fatalf("pending edit: status %d: %s", status, out)
		}
		m := decodeMerchant(t, out)
		tr := m["trader"].(map[string]any)
		if m["name"] != "Pending Owner Ltd" || m["status"] != "pending" || tr["registration_number"] != "RCS 42" || tr["address"] != "1 Main St\nShenzhen" ||
			tr["legal_name"] != "Pending Owner" {
			t.Errorf("pending edit gave %s", out)
		}

		status, out = f.do("ownerR", "PATCH", "/api/v1/merchants/{R}/application", map[string]any{"trader": map[string]any{"registration_number": "RCS 7"}})
		if status != 200 {
			t.Fatalf("rejected edit: status %d: %s", status, out)
		}
		if m := decodeMerchant(t, out); m["status"] != "pending" || m["status_reason"] != nil {
			t.Errorf("a rejected application is resubmitted by an edit: %s", out)
		}
		var n int
		if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM outbox WHERE type = 'merchant.resubmitted' AND aggregate_id = $1`, f.ids["R"]).Scan(&n); err != nil || n != 1 {
			t.Errorf("resubmission events: %d, %v", n, err)
		}
		// The operator sees the resubmitted application among the pending ones.
		if status, out := f.do("operator", "GET", "/api/v1/merchants?status=pending", nil); status != 200 || !strings.Contains(string(out), `"RCS 7"`) {
			t.Errorf("operator's pending list: %d %s", status, out)
		}

		for _, c := range []struct {
			actor, path string
			body        any
			want        int
		}{
			{"ownerS", "/api/v1/merchants/{S}/application", map[string]any{"name": "S"}, 409},
			{"ownerA", "/api/v1/merchants/{A}/application", map[string]any{"name": "A"}, 409},
			{"operator", "/api/v1/merchants/{P}/application", map[string]any{"name": "By operator"}, 403},
			{"ownerB", "/api/v1/merchants/{P}/application", map[string]any{"name": "By B"}, 404},
			{"ownerP", "/api/v1/merchants/{P}/application", `{"name":"Bad\u0000name"}`, 422},
			{"ownerP", "/api/v1/merchants/{P}/application", `{"trader":{"phone":"+33\u00071"}}`, 422},
			{"ownerP", "/api/v1/merchants/{P}/application", `{"name":"\u200b\u200b"}`, 422},
			{"ownerP", "/api/v1/merchants/{P}/application", `{"trader":{"legal_name":""}}`, 422},
			{"ownerP", "/api/v1/merchants/{P}/application", `{"trader":{"self_certified":false}}`, 422},
			{"ownerP", "/api/v1/merchants/{P}/application", `{"country":"XX1"}`, 422},
		} {
			before := f.fingerprint()
			if status, out := f.do(c.actor, "PATCH", c.path, c.body); status != c.want {
				t.Errorf("%s PATCH %s %v: status %d, want %d: %s", c.actor, c.path, c.body, status, c.want, out)
			}
			if f.fingerprint() != before {
				t.Errorf("%s PATCH %s %v changed the database", c.actor, c.path, c.body)
			}
		}
	})
}

// TestReviewEndsSessionsAndKeys: rejection and suspension end the
// merchant's sessions and API keys at once; reinstatement does not revive
// them, and a new sign-in works.
func TestReviewEndsSessionsAndKeys(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		status, out := f.do("ownerB", "POST", "/api/v1/merchants/{B}/api-keys", map[string]any{"name": "erp"})
		if status != 201 {
			t.Fatalf("key: %d %s", status, out)
		}
		var k struct{ Key string }
		json.Unmarshal(out, &k)
		if f.doKey(k.Key, "GET", "/api/v1/merchants") != 200 {
			t.Fatal("the new key does not work")
		}
		f.do("operator", "POST", "/api/v1/merchants/{B}/suspend", map[string]any{"reason": "audit"})
		if status, _ := f.do("ownerB", "GET", "/api/v1/me", nil); status != 401 {
			t.Errorf("session after suspension: %d, want 401", status)
		}
		if status := f.doKey(k.Key, "GET", "/api/v1/merchants"); status != 401 {
			t.Errorf("API key after suspension: %d, want 401", status)
		}
		f.do("operator", "POST", "/api/v1/merchants/{B}/approve", nil)
		if status, _ := f.do("ownerB", "GET", "/api/v1/me", nil); status != 401 {
			t.Errorf("session after reinstatement: %d, want 401", status)
		}
		if status := f.doKey(k.Key, "GET", "/api/v1/merchants"); status != 401 {
			t.Errorf("API key after reinstatement: %d, want 401", status)
		}
		f.login("ownerB", "b@example.com")
		if status, out := f.do("ownerB", "POST", "/api/v1/brands", map[string]any{"slug": "b-again", "name": "B again"}); status != 201 {
			t.Errorf("a new sign-in after reinstatement sells: %d %s", status, out)
		}

		// Rejection ends a pending owner's session; signing in again lets it edit.
		f.login("ownerC2", "c2@example.com")
		if status, _ := f.do("ownerC2", "GET", "/api/v1/me", nil); status != 200 {
			t.Fatalf("pending owner's session: %d", status)
		}
		f.do("operator", "POST", "/api/v1/merchants/{C2}/reject", map[string]any{"reason": "incomplete"})
		if status, _ := f.do("ownerC2", "GET", "/api/v1/me", nil); status != 401 {
			t.Errorf("session after rejection: %d, want 401", status)
		}
		f.login("ownerC2", "c2@example.com")
		if status, out := f.do("ownerC2", "PATCH", "/api/v1/merchants/{C2}/application", map[string]any{"name": "Complete now"}); status != 200 {
			t.Errorf("rejected owner edits after signing in again: %d %s", status, out)
		}
	})
}
