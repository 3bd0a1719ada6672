package shop_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestReductionShowsTheLowestPriceOf30Days: a price cut shows the lowest
// price of the 30 days before it and the percentage off that price; a price
// raised and then "cut" back above its earlier level is no reduction and
// shows none (the EU's Omnibus rule, and how the EU Court of Justice read
// it in 2024).
func TestReductionShowsTheLowestPriceOf30Days(t *testing.T) {
	s := newStore(t, testkit.Open(t, sqlstore.SQLite), 40)
	ctx := context.Background()
	token, _, err := s.svc.Identity.Login(ctx, "cases@shenzhen-case.example", "sesame-demo")
	if err != nil {
		t.Fatal(err)
	}
	seller, err := s.svc.Identity.Authenticate(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := s.svc.Catalog.MerchantProducts(ctx, seller, seller.MerchantID, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	var p catalog.Product
	for _, c := range ps {
		if len(c.Variants) > 0 {
			p = c
			break
		}
	}
	if p.ID == "" {
		t.Fatal("no product listed")
	}
	var base int64
	for _, pr := range p.Variants[0].Prices {
		if pr.Currency == "EUR" && strings.HasPrefix(pr.ChannelID, "chn_") {
			base = pr.Minor
		}
	}
	set := func(amount int64) {
		t.Helper()
		if _, err := s.svc.Catalog.SetPrices(ctx, seller, p.ID, []catalog.SKUPriceInput{{SKU: p.Variants[0].SKU,
			PriceInput: catalog.PriceInput{Channel: "bazaar", Currency: "EUR", Amount: amount}}}); err != nil {
			t.Fatal(err)
		}
	}
	page := func() string {
		t.Helper()
		res, body := s.get("/bazaar/en/p/" + p.ID)
		if res.StatusCode == 301 {
			res, body = s.get(res.Header.Get("Location"))
		}
		if res.StatusCode != 200 {
			t.Fatalf("product page: %d", res.StatusCode)
		}
		return body
	}
	// Inflated, then "cut" to above the earlier price: no reduction.
	set(base * 2)
	set(base * 3 / 2)
	if body := page(); strings.Contains(body, "off-badge") || strings.Contains(body, "Lowest price of the 30 days") {
		t.Fatal("a price above the lowest of the last 30 days shows as a reduction")
	}
	// Cut below it: 20% off the lowest price of the 30 days before.
	set(base * 4 / 5)
	body := page()
	if !strings.Contains(body, "−20 %") && !strings.Contains(body, "−19 %") {
		t.Fatalf("the reduction's percentage is not shown:\n%s", body)
	}
	if !strings.Contains(body, "Lowest price of the 30 days before this reduction") {
		t.Fatal("the reduction's reference price is not shown")
	}

	// The API says the same to other storefronts, in the documented shape.
	contract := s.contract()
	reductions := func(query string) (int, []catalog.VariantReduction) {
		t.Helper()
		res, err := http.Get(s.srv.URL + "/api/v1/products/" + p.ID + "/reductions" + query)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := contract.Check(res.Request, nil, res, body); err != nil {
			t.Errorf("GET reductions%s: %v", query, err)
		}
		var out struct {
			Items []catalog.VariantReduction `json:"items"`
		}
		if res.StatusCode == 200 {
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatal(err)
			}
		}
		return res.StatusCode, out.Items
	}
	status, rs := reductions("?channel=bazaar")
	if status != 200 || len(rs) != 1 || rs[0].SKU != p.Variants[0].SKU || rs[0].Price.Minor != base*4/5 || rs[0].Prior.Minor != base ||
		rs[0].Prior.Currency != "EUR" || rs[0].PercentOff != (base-base*4/5)*100/base {
		t.Fatalf("reductions over the API: %d %+v, want %d off %d", status, rs, base*4/5, base)
	}
	for _, q := range []string{"", "?channel=nowhere"} {
		if status, _ := reductions(q); status != 422 && status != 404 {
			t.Errorf("reductions%s: %d, want a problem", q, status)
		}
	}
	set(base) // back to where it was: no reduction left to show
	if status, rs := reductions("?channel=bazaar"); status != 200 || len(rs) != 0 {
		t.Fatalf("after the price went back up: %d %+v", status, rs)
	}
}
