package shop_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestMerchantPagesAreValidHTML checks every page of the merchants'
// console, in each of its languages, with its refused forms, with the Nu
// Html Checker (see TestPagesAreValidHTML).
func TestMerchantPagesAreValidHTML(t *testing.T) {
	jar := os.Getenv("SESAME_VNU")
	if jar == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("SESAME_VNU is not set: .ci/run installs the checker")
		}
		t.Skip("SESAME_VNU is not set (bash scripts/vnu.sh installs the checker and prints its path)")
	}
	s := newStore(t, testkit.Open(t, sqlstore.SQLite), 150)
	ctx := context.Background()
	p := inStock(t, s, "bazaar", "Shenzhen", "CN")
	paid := paidOrder(t, s, "bazaar", "EUR", p)
	so, _ := shippedOrder(t, s, "bazaar", "EUR", testkit.Paris(), p)
	d, err := s.svc.Orders.OpenDispute(ctx, demoBuyer(t, s), so.ID, order.DisputeInput{Reason: order.ReasonDamaged, Message: "Cracked.",
		Photos: []order.PhotoUpload{{Data: parcelPhoto(t)}}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pages := map[string]string{}
	keep := func(name, path, body string) {
		t.Helper()
		file := fmt.Sprintf("%03d-%s.html", len(pages), name)
		if err := os.WriteFile(filepath.Join(dir, file), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		pages[file] = path
	}
	anon := s.visitor()
	_, body := anon.get("/merchant/fr/signin")
	keep("signin", "/merchant/fr/signin", body)
	_, body = anon.post("/merchant/zh/signin", "", url.Values{"email": {buyerEmail}, "password": {"sesame-demo"}})
	keep("signin-refused", "POST /merchant/zh/signin", body)

	m := s.sellerVisitor(shenzhenEmail)
	res, _ := m.postForm("/merchant/en/products", "", url.Values{"category": {s.categoryID("phone-cases")}, "origin": {"CN"}, "title-fr": {"Coque"},
		"sku-0": {"VALID-01"}}, productPhoto(t, 300, 300))
	id := createdRe.FindStringSubmatch(res.Header.Get("Location"))
	if id == nil {
		t.Fatalf("creating a product: %d", res.StatusCode)
	}
	get := func(name, path string) string {
		t.Helper()
		res, body := m.get(path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, res.StatusCode)
		}
		keep(name, path, body)
		return body
	}
	for _, lang := range []string{"en", "fr", "zh"} {
		home := "/merchant/" + lang + "/"
		get("dashboard", home)
		list := get("products", home+"products")
		if next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(list); next != nil {
			get("products-next", next[1])
		}
		get("new-product", home+"products/new")
		get("product", home+"products/"+id[1]+"?done=created")
		for _, v := range []string{"to_ship", "shipped", "all"} {
			get("orders", home+"orders?view="+v)
		}
		get("disputes", home+"disputes")
		get("disputes-all", home+"disputes?status=")
		get("dispute", home+"disputes/"+d.ID)
		get("money", home+"money")
	}
	_, body = m.post("/merchant/zh/money/payout", "", nil)
	keep("payout-refused", "POST payout", body)
	_, body = m.post("/merchant/en/disputes/"+d.ID+"/answer", "", url.Values{"answer": {"offer"}, "amount": {"nope"}})
	keep("answer-refused", "POST answer", body)
	_, body = m.post("/merchant/fr/disputes/"+d.ID+"/message", "", url.Values{"message": {""}})
	keep("message-refused", "POST message", body)
	res, _ = m.post("/merchant/en/disputes/"+d.ID+"/answer", "", url.Values{"answer": {"offer"}, "amount": {"1"}, "message": {"A euro?"}})
	_, body = m.get(res.Header.Get("Location"))
	keep("dispute-answered", "answered", body)
	_, body = m.post("/merchant/fr/orders/"+paid.ID+"/ship", "", url.Values{"carrier": {"Colissimo"}})
	keep("ship-refused", "POST ship", body)
	_, body = m.postForm("/merchant/fr/products", "", url.Values{"sku-0": {"bad sku"}}, []byte("not an image"))
	keep("new-product-refused", "POST /merchant/fr/products", body)
	_, body = m.postForm("/merchant/en/products/"+id[1]+"/save", "", url.Values{"origin": {"CN"}}, nil)
	keep("product-refused", "POST save", body)
	_, body = m.post("/merchant/zh/products/"+id[1]+"/variant", "", url.Values{"sku-new": {"VALID-01"}})
	keep("variant-refused", "POST variant", body)
	_, body = m.post("/merchant/en/products/"+id[1]+"/list", "", url.Values{"channel": {"luxe"}})
	keep("list-refused", "POST list", body)
	res, _ = m.post("/merchant/en/products/"+id[1]+"/list", "", url.Values{"channel": {"bazaar"}})
	_, body = m.get(res.Header.Get("Location"))
	keep("product-listed", "listed", body)
	_, body = m.get("/merchant/en/nothing-here")
	keep("not-found", "/merchant/en/nothing-here", body)

	checkHTML(t, jar, dir, pages)
	t.Logf("%d pages checked", len(pages))
}
