package web_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/web"
	"github.com/sesame-market/sesame/internal/web/api"
)

// TestSharesOverHTTP: a buyer shares a listed product (201, then 200 with
// the same link), lists their links, and nobody else sees them; every
// request and answer is checked against the OpenAPI document.
func TestSharesOverHTTP(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		body := map[string]any{"channel": "bazaar", "product_id": f.ids["productA"]}
		status, out := f.do("buyer", "POST", "/api/v1/shares", body)
		if status != 201 {
			t.Fatalf("share: %d %s", status, out)
		}
		var l api.ShareLink
		if err := json.Unmarshal(out, &l); err != nil {
			t.Fatal(err)
		}
		buyer, err := f.svc.Identity.Authenticate(context.Background(), f.cookies["buyer"])
		if err != nil {
			t.Fatal(err)
		}
		if l.URL != "/s/"+l.Code || l.SharerID != buyer.UserID || l.Channel != "bazaar" || l.ProductID != f.ids["productA"] || l.Visits != 0 {
			t.Errorf("link = %+v", l)
		}
		status, out = f.do("buyer", "POST", "/api/v1/shares", body)
		var again api.ShareLink
		json.Unmarshal(out, &again)
		if status != 200 || again != l {
			t.Errorf("second share: %d %+v, want 200 %+v", status, again, l)
		}
		// A retry with the same Idempotency-Key replays the first answer.
		first := f.withHeader("Idempotency-Key", "share-1", func() []byte {
			status, out := f.do("ownerB", "POST", "/api/v1/shares", body)
			if status != 201 {
				t.Errorf("ownerB's share: %d %s", status, out)
			}
			return out
		})
		replay := f.withHeader("Idempotency-Key", "share-1", func() []byte {
			status, out := f.do("ownerB", "POST", "/api/v1/shares", body)
			if status != 201 {
				t.Errorf("replayed share: %d %s", status, out)
			}
			return out
		})
		if string(first) != string(replay) {
			t.Errorf("replay %s, want %s", replay, first)
		}

		var mine struct{ Items []api.ShareLink }
		status, out = f.do("buyer", "GET", "/api/v1/me/shares", nil)
		json.Unmarshal(out, &mine)
		if status != 200 || len(mine.Items) != 1 || mine.Items[0] != l {
			t.Errorf("buyer's shares: %d %s", status, out)
		}
		status, out = f.do("partner", "GET", "/api/v1/me/shares", nil)
		if status != 200 || strings.TrimSpace(string(out)) != `{"items":[]}` {
			t.Errorf("partner's shares: %d %s", status, out)
		}
		for actor, want := range map[string]int{"": 401, "revokedKey": 401, "keyB": 403} {
			if status, out := f.do(actor, "GET", "/api/v1/me/shares", nil); status != want {
				t.Errorf("shares of %q: %d %s, want %d", actor, status, out, want)
			}
		}

		// With a public URL the link's address is absolute.
		ws, err := web.New(web.Config{Services: f.svc, Logger: slog.New(slog.DiscardHandler), PublicURL: "https://shop.example"})
		if err != nil {
			t.Fatal(err)
		}
		pub := httptest.NewServer(ws)
		defer pub.Close()
		r := sendJSON(t, pub.URL, "POST", "/api/v1/shares", cookie(f.cookies["buyer"]), body)
		var abs api.ShareLink
		json.Unmarshal(r.body, &abs)
		if r.status != 200 || abs.URL != "https://shop.example/s/"+l.Code {
			t.Errorf("share with a public URL: %d %s", r.status, r.body)
		}
	})
}

// TestSharesRefuseForeignReferences: the product named in the body is
// checked against the channel as a buyer sees it. A product that is
// another channel's, unlisted, a suspended merchant's or unknown, an
// unknown channel, an API key and an anonymous caller are all refused as
// the document says, and nothing is stored.
func TestSharesRefuseForeignReferences(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		for _, c := range []struct {
			name, actor string
			body        any
			want        int
		}{
			{"another channel's product (priced there, not listed)", "buyer", map[string]any{"channel": "mall", "product_id": f.ids["productA"]}, 404},
			{"a suspended merchant's product", "buyer", map[string]any{"channel": "bazaar", "product_id": f.ids["productS"]}, 404},
			{"unknown product", "buyer", map[string]any{"channel": "bazaar", "product_id": ids.New(ids.Product)}, 404},
			{"not a product id", "buyer", map[string]any{"channel": "bazaar", "product_id": f.ids["A"]}, 404},
			{"unknown channel", "buyer", map[string]any{"channel": "souk", "product_id": f.ids["productA"]}, 404},
			{"a channel id for its code", "buyer", map[string]any{"channel": f.ids["bazaar"], "product_id": f.ids["productA"]}, 404},
			{"no product", "buyer", map[string]any{"channel": "bazaar"}, 422},
			{"an unknown field", "buyer", map[string]any{"channel": "bazaar", "product_id": f.ids["productA"], "sharer_id": "usr_x"}, 422},
			{"an API key", "keyB", map[string]any{"channel": "bazaar", "product_id": f.ids["productA"]}, 403},
			{"a revoked API key", "revokedKey", map[string]any{"channel": "bazaar", "product_id": f.ids["productA"]}, 401},
			{"anonymous", "", map[string]any{"channel": "bazaar", "product_id": f.ids["productA"]}, 401},
		} {
			before := f.fingerprint()
			if status, out := f.do(c.actor, "POST", "/api/v1/shares", c.body); status != c.want {
				t.Errorf("%s: %d %s, want %d", c.name, status, out, c.want)
			}
			if f.fingerprint() != before {
				t.Errorf("%s changed the database", c.name)
			}
		}
	})
}

// TestShareEarningsOverHTTP: a checkout names the share link its buyer came
// through (422 on share_code for a code that is no link of the cart's
// channel, and nothing is written); the sharer then reads the commission in
// their earnings, without the buyer's name or id; another person reads
// none of it, an API key is refused and an anonymous caller is asked to
// sign in. A channel's share commission is public.
func TestShareEarningsOverHTTP(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		f.buyingFixture()
		status, out := f.do("", "GET", "/api/v1/channels/bazaar/sharing", nil)
		if status != 200 || !strings.Contains(string(out), `"commission_bps":300`) {
			t.Fatalf("the channel's sharing: %d %s", status, out)
		}
		p, err := f.svc.Orders.Store.VariantProduct(ctx, f.ids["variantA"])
		if err != nil {
			t.Fatal(err)
		}
		status, out = f.do("buyer", "POST", "/api/v1/shares", map[string]any{"channel": "bazaar", "product_id": p.ID})
		var l api.ShareLink
		if err := json.Unmarshal(out, &l); err != nil || status != 201 {
			t.Fatalf("share: %d %s", status, out)
		}
		pay := func(code string) map[string]any {
			return map[string]any{"payment": map[string]any{"provider": "sandbox", "token": "tok_success"}, "share_code": code}
		}
		for _, code := range []string{"ZZZZZZZZ", "no"} {
			before := f.fingerprint()
			status, out := f.do("shopper", "POST", "/api/v1/carts/{shopperCart}/checkout", pay(code))
			if status != 422 || !strings.Contains(string(out), "share_code") {
				t.Errorf("share code %q: %d %s", code, status, out)
			}
			if f.fingerprint() != before {
				t.Errorf("share code %q changed the database", code)
			}
		}
		status, out = f.do("shopper", "POST", "/api/v1/carts/{shopperCart}/checkout", pay(l.Code))
		if status != 201 {
			t.Fatalf("checkout through the link: %d %s", status, out)
		}
		var e order.ShareEarnings
		status, out = f.do("buyer", "GET", "/api/v1/me/share-earnings", nil)
		if err := json.Unmarshal(out, &e); err != nil || status != 200 {
			t.Fatalf("earnings: %d %s", status, out)
		}
		want := int64(1500 * 300 / 10000) // 3% of the case
		if len(e.Totals) != 1 || e.Totals[0].Pending.Minor != want || len(e.Orders) != 1 || e.Orders[0].Title != "Cart case" ||
			len(e.Links) != 1 || e.Links[0].Code != l.Code || e.Links[0].Orders != 1 || len(e.Links[0].Earnings) != 1 || e.Links[0].Earnings[0].Minor != want {
			t.Errorf("earnings: %s", out)
		}
		shopper, err := f.svc.Identity.Authenticate(ctx, f.cookies["shopper"])
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(out), shopper.UserID) || strings.Contains(string(out), "shopper") || strings.Contains(string(out), "Paris") {
			t.Errorf("the earnings name the buyer: %s", out)
		}
		status, out = f.do("shopper", "GET", "/api/v1/me/share-earnings", nil)
		if status != 200 || strings.TrimSpace(string(out)) != `{"totals":[],"links":[],"orders":[]}` {
			t.Errorf("another person's earnings: %d %s", status, out)
		}
		for actor, want := range map[string]int{"": 401, "revokedKey": 401, "keyB": 403} {
			if status, out := f.do(actor, "GET", "/api/v1/me/share-earnings", nil); status != want {
				t.Errorf("earnings of %q: %d %s, want %d", actor, status, out, want)
			}
		}
	})
}
