package web_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// onePixel is a PNG of one pixel.
const onePixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="

// TestDisputesOverHTTP: the payer disputes a shipped order with a photo;
// the dispute, its photo and the list are the payer's, merchant A's and
// operators' only (another merchant, its key, another buyer and a partner
// find none; anonymous callers must sign in); a text posing as a photo is
// 422 and changes nothing; merchant A refunds, the order is refunded. Every
// answer, errors included, matches the document.
func TestDisputesOverHTTP(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		f.buyingFixture()
		before := f.fingerprint()
		bad := map[string]any{"reason": "damaged", "message": "Cracked.", "photos": []any{map[string]any{"data": base64.StdEncoding.EncodeToString([]byte("not an image"))}}}
		if status, out := f.do("payer", "POST", "/api/v1/orders/{disputableOrder}/disputes", f.expandBody(bad)); status != 422 || !strings.Contains(string(out), "photos[0].data") {
			t.Fatalf("a text as a photo: %d %s", status, out)
		}
		if f.fingerprint() != before {
			t.Fatal("a refused dispute changed the database")
		}
		in := map[string]any{"reason": "damaged", "message": "Cracked.", "refund": 0, "photos": []any{map[string]any{"data": onePixel}}}
		status, out := f.do("payer", "POST", "/api/v1/orders/{disputableOrder}/disputes", f.expandBody(in))
		if status != 201 {
			t.Fatalf("open: %d %s", status, out)
		}
		var d struct {
			ID       string `json:"id"`
			Status   string `json:"status"`
			Messages []struct {
				Photos []string `json:"photo_ids"`
			} `json:"messages"`
		}
		if err := json.Unmarshal(out, &d); err != nil || d.Status != "awaiting_merchant" || len(d.Messages) != 1 || len(d.Messages[0].Photos) != 1 {
			t.Fatalf("opened: %s %v", out, err)
		}
		f.ids["newDispute"], f.ids["newPhoto"] = d.ID, d.Messages[0].Photos[0]
		for _, path := range []string{"/api/v1/disputes/{newDispute}", "/api/v1/disputes/{newDispute}/photos/{newPhoto}"} {
			for _, actor := range []string{"payer", "ownerA", "operator"} {
				if status, out := f.do(actor, "GET", path, nil); status != 200 {
					t.Errorf("GET %s as %s: %d %s", path, actor, status, out)
				}
			}
			for _, actor := range []string{"ownerB", "keyB", "buyer", "partner"} {
				if status, out := f.do(actor, "GET", path, nil); status != 404 {
					t.Errorf("GET %s as %s: %d %s", path, actor, status, out)
				}
			}
			if status, _ := f.do("", "GET", path, nil); status != 401 {
				t.Errorf("GET %s anonymously: %d", path, status)
			}
		}
		status, hdr, pic := f.sendWith("payer", "GET", "/api/v1/disputes/{newDispute}/photos/{newPhoto}", nil, nil)
		want, _ := base64.StdEncoding.DecodeString(onePixel)
		if status != 200 || hdr.Get("Content-Type") != "image/png" || string(pic) != string(want) || hdr.Get("Cache-Control") != "no-store" {
			t.Errorf("the photo: %d %v", status, hdr)
		}
		var list struct {
			Items []struct{ ID string } `json:"items"`
		}
		for actor, n := range map[string]int{"ownerB": 0, "payer": 6, "ownerA": 6} {
			status, out := f.do(actor, "GET", "/api/v1/disputes", nil)
			if err := json.Unmarshal(out, &list); status != 200 || err != nil || len(list.Items) != n {
				t.Errorf("%s's disputes: %d %s", actor, status, out)
			}
		}
		if status, out := f.do("operator", "GET", "/api/v1/disputes?status=escalated", nil); status != 200 || !strings.Contains(string(out), f.ids["disputeEscalated"]) {
			t.Errorf("the escalated disputes: %d %s", status, out)
		}
		if status, out := f.do("payer", "POST", "/api/v1/disputes/{newDispute}/answer", f.expandBody(map[string]any{"action": "refund"})); status != 403 {
			t.Errorf("the buyer answers: %d %s", status, out)
		}
		if status, out := f.do("ownerA", "POST", "/api/v1/disputes/{newDispute}/answer", f.expandBody(map[string]any{"action": "refund"})); status != 200 || !strings.Contains(string(out), `"outcome":"refunded"`) {
			t.Fatalf("refunded: %d %s", status, out)
		}
		if status, out := f.do("payer", "GET", "/api/v1/orders/{disputableOrder}", nil); status != 200 || !strings.Contains(string(out), `"status":"refunded"`) {
			t.Errorf("the order: %d %s", status, out)
		}
		if status, out := f.do("payer", "POST", "/api/v1/disputes/{newDispute}/withdraw", nil); status != 409 {
			t.Errorf("withdrawn after its refund: %d %s", status, out)
		}
	})
}
