package web_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestReviewsOverHTTP: the payer reviews a line of a confirmed order and
// rates its merchant; the product's reviews and the merchant's rating are
// public. An order not confirmed is 409, another buyer's and the merchant's
// attempts 404, a line of another order 404, bad stars 422, a second review
// 409, and none of them changes the database; moderation is for operators
// and takes the review off the product's page; its buyer may still edit
// it. Every answer matches the document.
func TestReviewsOverHTTP(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		f.buyingFixture()
		review := func(line string, stars int) map[string]any {
			return map[string]any{"line_id": line, "stars": stars, "text": "  Fits my phone.  ",
				"seller": map[string]any{"described": 5, "communication": 4, "shipping": 3}}
		}
		good := review("{confirmedOrderLine}", 4)
		for _, c := range []struct {
			name, actor, path string
			body              any
			want              int
		}{
			{"an order not confirmed", "payer", "/api/v1/orders/{order}/reviews", map[string]any{"line_id": "{confirmedOrderLine}", "stars": 4}, 404},
			{"a shipped order's own line", "payer", "/api/v1/orders/{shippedOrder}/reviews", map[string]any{"line_id": "{shippedOrderLine}", "stars": 4}, 409},
			{"another buyer", "buyer", "/api/v1/orders/{confirmedOrder}/reviews", good, 404},
			{"the merchant", "ownerA", "/api/v1/orders/{confirmedOrder}/reviews", good, 404},
			{"an operator", "operator", "/api/v1/orders/{confirmedOrder}/reviews", good, 404},
			{"a line of another order", "payer", "/api/v1/orders/{confirmedOrder}/reviews", review("{reviewedOrderLine}", 4), 404},
			{"no stars", "payer", "/api/v1/orders/{confirmedOrder}/reviews", review("{confirmedOrderLine}", 0), 422},
			{"six stars", "payer", "/api/v1/orders/{confirmedOrder}/reviews", review("{confirmedOrderLine}", 6), 422},
			{"text too long", "payer", "/api/v1/orders/{confirmedOrder}/reviews", map[string]any{"line_id": "{confirmedOrderLine}", "stars": 4, "text": strings.Repeat("é", 2001)}, 422},
			{"a second review", "payer", "/api/v1/orders/{reviewedOrder}/reviews", map[string]any{"line_id": "{reviewedOrderLine}", "stars": 5}, 409},
			{"moderation by the buyer", "payer", "/api/v1/reviews/{review}/moderate", map[string]any{"status": "hidden", "reason": "x"}, 403},
			{"moderation by the merchant", "ownerA", "/api/v1/reviews/{review}/moderate", map[string]any{"status": "hidden", "reason": "x"}, 403},
			{"moderation of no review", "operator", "/api/v1/reviews/rev_0000000000000000000000000000000a/moderate", map[string]any{"status": "hidden", "reason": "x"}, 404},
			{"moderation without a reason", "operator", "/api/v1/reviews/{review}/moderate", map[string]any{"status": "hidden"}, 422},
		} {
			before := f.fingerprint()
			if status, out := f.do(c.actor, "POST", c.path, c.body); status != c.want {
				t.Errorf("%s: %d, want %d: %s", c.name, status, c.want, out)
			}
			if f.fingerprint() != before {
				t.Errorf("%s changed the database", c.name)
			}
		}

		status, out := f.do("payer", "POST", "/api/v1/orders/{confirmedOrder}/reviews", good)
		if status != 201 {
			t.Fatalf("review: %d %s", status, out)
		}
		var r struct {
			ID, ProductID string
			Text, Status  string
			Stars         int
		}
		var raw map[string]any
		json.Unmarshal(out, &raw)
		if raw["text"] != "Fits my phone." || raw["status"] != "published" || raw["buyer_id"] != nil {
			t.Errorf("review %s", out)
		}
		json.Unmarshal(out, &r)
		product := raw["product_id"].(string)

		var page struct {
			Rating struct {
				Count         int64 `json:"count"`
				AverageTenths int64 `json:"average_tenths"`
			} `json:"rating"`
			Items []map[string]any `json:"items"`
		}
		get := func(path string, v any) {
			t.Helper()
			status, out := f.do("", "GET", path, nil)
			if status != 200 {
				t.Fatalf("GET %s: %d %s", path, status, out)
			}
			if err := json.Unmarshal(out, v); err != nil {
				t.Fatal(err)
			}
		}
		get("/api/v1/products/"+product+"/reviews", &page)
		if len(page.Items) != 2 || page.Rating.AverageTenths != 30 {
			t.Errorf("product reviews %+v", page)
		}
		var mr struct {
			Orders    int64 `json:"orders"`
			Described struct {
				AverageTenths int64 `json:"average_tenths"`
			} `json:"described"`
		}
		get("/api/v1/merchants/{A}/rating", &mr)
		if mr.Orders != 1 || mr.Described.AverageTenths != 50 {
			t.Errorf("merchant rating %+v", mr)
		}
		if status, _ := f.do("", "GET", "/api/v1/products/not-a-product/reviews", nil); status != 404 {
			t.Errorf("reviews of no product: %d", status)
		}

		if status, out := f.do("operator", "POST", "/api/v1/reviews/"+r.ID+"/moderate", map[string]any{"status": "hidden", "reason": "a phone number in the text"}); status != 200 {
			t.Fatalf("moderate: %d %s", status, out)
		}
		get("/api/v1/products/"+product+"/reviews", &page)
		if len(page.Items) != 1 || page.Items[0]["id"] == r.ID || page.Rating.AverageTenths != 20 {
			t.Errorf("after moderation %+v", page)
		}
		// The buyer edits the hidden review: it stays hidden, out of the rating.
		edit := map[string]any{"stars": 1, "text": "No phone number now."}
		for _, actor := range []string{"buyer", "ownerA", "operator"} {
			if status, out := f.do(actor, "PUT", "/api/v1/reviews/"+r.ID, edit); status != 404 {
				t.Errorf("an edit by %s: %d %s", actor, status, out)
			}
		}
		if status, out := f.do("payer", "PUT", "/api/v1/reviews/"+r.ID, edit); status != 200 || !strings.Contains(string(out), `"status":"hidden"`) {
			t.Errorf("the buyer's edit: %d %s", status, out)
		}
		get("/api/v1/products/"+product+"/reviews", &page)
		if len(page.Items) != 1 || page.Rating.AverageTenths != 20 {
			t.Errorf("after the edit of a hidden review %+v", page)
		}
	})
}
