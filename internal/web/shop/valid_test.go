package shop_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestPagesAreValidHTML checks every kind of storefront page, on every
// channel and in every language, signed out and signed in, with the Nu Html
// Checker (the W3C's HTML5 validator). SESAME_VNU names its jar
// (scripts/vnu.sh installs it); without it the test skips, but fails in CI.
func TestPagesAreValidHTML(t *testing.T) {
	jar := os.Getenv("SESAME_VNU")
	if jar == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("SESAME_VNU is not set: .ci/run installs the checker")
		}
		t.Skip("SESAME_VNU is not set (bash scripts/vnu.sh installs the checker and prints its path)")
	}
	s := newMailStore(t, testkit.Open(t, sqlstore.SQLite), 150)
	s.sync()
	dir := t.TempDir()
	pages := map[string]string{} // file -> address
	keep := func(name, path, body string) {
		t.Helper()
		file := fmt.Sprintf("%03d-%s.html", len(pages), name)
		if err := os.WriteFile(filepath.Join(dir, file), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		pages[file] = path
	}
	v := s.visitor()
	get := func(name, path string, status int) string {
		t.Helper()
		res, body := v.get(path)
		if res.StatusCode != status {
			t.Fatalf("GET %s: %d, want %d", path, res.StatusCode, status)
		}
		keep(name, path, body)
		return body
	}

	_, body := s.get("/")
	keep("chooser", "/", body)
	for _, ch := range []struct{ code, q string }{{"bazaar", "coque"}, {"mall", "soap"}, {"luxe", "sac"}} {
		c, err := s.svc.Channels.Public(context.Background(), ch.code)
		if err != nil {
			t.Fatal(err)
		}
		for _, lang := range c.Languages {
			home := "/" + ch.code + "/" + lang + "/"
			body := get("home", home, http.StatusOK)
			list := get("list", home+"new", http.StatusOK)
			if m := productLinkRe.FindStringSubmatch(list); m != nil {
				get("product", m[1], http.StatusOK)
			}
			results := get("search", home+"search?q="+ch.q, http.StatusOK)
			get("search-none", home+"search?q=zzqqxxkk", http.StatusOK)
			for _, re := range []string{`href="(` + home + `c/[^"?]+)"`, `href="(` + home + `pavilion/[^"?]+)"`, `href="(` + home + `shop/[^"?]+)"`} {
				if m := regexp.MustCompile(re).FindStringSubmatch(body + results + list); m != nil {
					get("place", m[1], http.StatusOK)
				}
			}
			get("signin", home+"signin", http.StatusOK)
			get("cart-empty", home+"cart", http.StatusOK)
			get("register", home+"register", http.StatusOK)
			get("forgot", home+"forgot", http.StatusOK)
			get("not-found", home+"p/nothing-here", http.StatusNotFound)
		}
	}
	// Refused forms, then signed in: the header, a product with its share
	// form, the account with a fresh link, then with an order credited.
	res, body := v.post("/bazaar/fr/register", "", url.Values{"name": {"Nora"}, "email": {"nope"}, "password": {"short"}})
	keep("register-refused", "POST /bazaar/fr/register", body)
	res, body = v.post("/bazaar/fr/signin", "", url.Values{"email": {buyerEmail}, "password": {"wrong-password"}})
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", res.StatusCode)
	}
	keep("signin-refused", "POST /bazaar/fr/signin", body)
	v.signIn("/bazaar/fr/")
	list := get("list-signed-in", "/bazaar/fr/new", http.StatusOK)
	m := productLinkRe.FindStringSubmatch(list)
	get("product-signed-in", m[1], http.StatusOK)
	res, _ = v.post("/bazaar/fr/share", "", url.Values{"product": {m[1][strings.LastIndex(m[1], "-")+1:]}})
	get("account", res.Header.Get("Location"), http.StatusOK)
	creditSharer(t, s, buyerActor(t, s))
	get("account-earnings", "/bazaar/fr/account", http.StatusOK)
	// The buying pages: a cart, a refused address, the checkout, the orders.
	p := inStock(t, s, "bazaar", "Shenzhen", "CN")
	if res, _ = v.post("/bazaar/fr/cart/add", "", url.Values{"variant": {p.Variants[0].ID}, "quantity": {"2"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add to cart: %d", res.StatusCode)
	}
	get("cart", "/bazaar/fr/cart?msg=added", http.StatusOK)
	res, body = v.post("/bazaar/fr/cart/address", "", url.Values{"name": {"C. Martin"}, "line1": {"1 rue de Rivoli"}, "postcode": {"ABC"}, "city": {"Paris"}, "country": {"FR"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("a bad postcode: %d", res.StatusCode)
	}
	keep("address-refused", "POST /bazaar/fr/cart/address", body)
	if res, _ = v.post("/bazaar/fr/cart/address", "", url.Values{"name": {"C. Martin"}, "line1": {"1 rue de Rivoli"}, "postcode": {"75001"}, "city": {"Paris"}, "country": {"FR"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("an address: %d", res.StatusCode)
	}
	get("checkout", "/bazaar/fr/checkout", http.StatusOK)
	if res, _ = v.post("/bazaar/fr/cart/pay", "", url.Values{"card": {"tok_success"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("pay: %d", res.StatusCode)
	}
	orders := get("orders", res.Header.Get("Location"), http.StatusOK)
	om := regexp.MustCompile(`href="(/bazaar/fr/orders/ord_[0-9a-f]+)"`).FindStringSubmatch(orders)
	if om == nil {
		t.Fatalf("no order on the orders page:\n%s", orders)
	}
	get("order", om[1], http.StatusOK)
	// The order shipped and confirmed: its review form, the review, and the
	// product's and the shop's pages with their ratings.
	o, err := s.svc.Orders.Order(context.Background(), identity.System, strings.TrimPrefix(om[1], "/bazaar/fr/orders/"))
	if err != nil {
		t.Fatal(err)
	}
	staff := identity.Actor{Role: identity.Staff, UserID: "usr_test", MerchantID: o.MerchantID}
	if _, err := s.svc.Orders.Ship(context.Background(), staff, o.ID, order.ShipInput{Carrier: "SF Express", TrackingNumber: "SF1234567890"}); err != nil {
		t.Fatal(err)
	}
	if res, _ = v.post(om[1]+"/protection/confirm", "", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm receipt: %d", res.StatusCode)
	}
	get("order-confirmed", om[1], http.StatusOK)
	res, body = v.post(om[1]+"/reviews", "", url.Values{"line": {o.Lines[0].ID}, "stars": {"0"}})
	keep("review-refused", "POST "+om[1]+"/reviews", body)
	if res, _ = v.post(om[1]+"/reviews", "", url.Values{"line": {o.Lines[0].ID}, "stars": {"4"}, "text": {"Solide.\nBien emballée."},
		"described": {"5"}, "communication": {"4"}, "shipping": {"3"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("review: %d", res.StatusCode)
	}
	get("order-reviewed", res.Header.Get("Location"), http.StatusOK)
	res, _ = v.get("/bazaar/fr/p/" + p.ID)
	get("product-reviewed", res.Header.Get("Location"), http.StatusOK)
	get("shop-rated", "/bazaar/fr/shop/"+o.MerchantID, http.StatusOK)

	// A shipped order with its dispute form; then its dispute, with a
	// photo and the seller's offer; then escalated, for the console.
	so, sstaff := shippedOrder(t, s, "bazaar", "EUR", testkit.Paris(), p)
	get("order-disputable", "/bazaar/fr/orders/"+so.ID, http.StatusOK)
	dsp, err := s.svc.Orders.OpenDispute(context.Background(), demoBuyer(t, s), so.ID, order.DisputeInput{Reason: order.ReasonDamaged,
		Message: "Coque fendue à l'arrivée.", Photos: []order.PhotoUpload{{Data: parcelPhoto(t)}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Orders.Answer(context.Background(), sstaff, dsp.ID, order.AnswerInput{Action: "offer", Amount: 100, Message: "Un euro ?"}); err != nil {
		t.Fatal(err)
	}
	get("order-disputed", "/bazaar/fr/orders/"+so.ID, http.StatusOK)
	if _, err := s.svc.Orders.Escalate(context.Background(), demoBuyer(t, s), dsp.ID); err != nil {
		t.Fatal(err)
	}
	get("order-escalated", "/bazaar/fr/orders/"+so.ID+"?msg=dispute_escalated_msg", http.StatusOK)

	// The account's verification, then the pages of the mailed links.
	get("account-verify-sent", "/bazaar/fr/account?verify=sent", http.StatusOK)
	u, err := s.db.Identity().UserByEmail(context.Background(), buyerEmail)
	if err != nil {
		t.Fatal(err)
	}
	mint := func(p identity.Purpose) string {
		t.Helper()
		raw, _, err := s.svc.Identity.MintToken(context.Background(), u.ID, p)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	verify := mint(identity.VerifyEmail)
	get("verify-failed", "/bazaar/fr/verify?token=nonsense", http.StatusBadRequest)
	get("verify-done", "/bazaar/fr/verify?token="+verify, http.StatusOK)
	get("account-verified", "/bazaar/fr/account", http.StatusOK)
	res, body = v.post("/bazaar/fr/forgot", "", url.Values{"email": {"nope"}})
	keep("forgot-refused", "POST /bazaar/fr/forgot", body)
	res, body = v.post("/bazaar/fr/forgot", "", url.Values{"email": {buyerEmail}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("forgot: %d", res.StatusCode)
	}
	keep("forgot-sent", "POST /bazaar/fr/forgot", body)
	s.sync()
	get("mailbox", "/bazaar/fr/mailbox", http.StatusOK)
	reset := mint(identity.ResetPassword)
	get("reset", "/mall/zh/reset?token="+reset, http.StatusOK)
	get("reset-no-token", "/bazaar/fr/reset", http.StatusOK)
	res, body = v.post("/bazaar/fr/reset", "", url.Values{"token": {reset}, "password": {"short"}})
	keep("reset-refused", "POST /bazaar/fr/reset", body)
	res, body = v.post("/bazaar/fr/reset", "", url.Values{"token": {reset}, "password": {"a brand new password"}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("reset: %d", res.StatusCode)
	}
	keep("reset-done", "POST /bazaar/fr/reset", body)
	res, body = v.post("/bazaar/fr/reset", "", url.Values{"token": {reset}, "password": {"a brand new password"}})
	keep("reset-failed", "POST /bazaar/fr/reset", body)

	// The operator's console, its refused forms included.
	pending := s.apply("Atelier Valide", "owner@atelier-valide.example")
	get("console-signin", "/admin/en/signin", http.StatusOK)
	res, body = v.post("/admin/fr/signin", "", url.Values{"email": {buyerEmail}, "password": {"sesame-demo"}})
	keep("console-signin-refused", "POST /admin/fr/signin", body)
	op := s.consoleVisitor()
	for _, lang := range []string{"en", "fr", "zh"} {
		for _, p := range []string{"", "applications", "applications?status=", "applications/" + pending.ID, "brands", "disputes", "disputes/" + dsp.ID, "payouts"} {
			res, body := op.get("/admin/" + lang + "/" + p)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET /admin/%s/%s: %d", lang, p, res.StatusCode)
			}
			keep("console", "/admin/"+lang+"/"+p, body)
		}
	}
	res, body = op.post("/admin/en/applications/"+pending.ID+"/reject", "", url.Values{"reason": {""}})
	keep("console-reject-refused", "POST reject", body)
	res, body = op.post("/admin/en/brands", "", url.Values{"slug": {"Bad Slug"}, "name": {"Valid"}})
	keep("console-brand-refused", "POST brands", body)
	res, _ = op.post("/admin/en/brands", "", url.Values{"slug": {"valid-brand"}, "name": {"Valid"}})
	res, body = op.get(res.Header.Get("Location"))
	keep("console-brand", "brand", body)
	bid := regexp.MustCompile(`/admin/en/brands/(brd_[0-9a-z]+)/authorise`).FindStringSubmatch(body)
	if bid == nil {
		t.Fatalf("no authorisation form:\n%s", body)
	}
	res, body = op.post("/admin/en/brands/"+bid[1]+"/authorise", "", url.Values{"merchant": {""}})
	keep("console-authorise-refused", "POST authorise", body)
	res, _ = op.post("/admin/en/applications/"+pending.ID+"/approve", "", nil)
	res, _ = op.post("/admin/en/brands/"+bid[1]+"/authorise", "", url.Values{"merchant": {pending.ID}})
	res, body = op.get(res.Header.Get("Location"))
	keep("console-brand-authorised", "brand authorised", body)
	res, body = op.get("/admin/en/applications/" + pending.ID + "?done=approve")
	keep("console-approved", "approved", body)
	_ = res

	checkHTML(t, jar, dir, pages)
	t.Logf("%d pages checked", len(pages))
}

// checkHTML runs the Nu Html Checker's jar on the pages in dir, named by
// file with the address each came from, and fails t with each error.
func checkHTML(t *testing.T, jar, dir string, pages map[string]string) {
	t.Helper()
	out, err := exec.Command("java", "-jar", jar, "--errors-only", "--format", "json", dir).CombinedOutput()
	var report struct {
		Messages []struct {
			Type, URL, Message, Extract string
			LastLine                    int
		}
	}
	if jerr := json.Unmarshal(out, &report); jerr != nil {
		t.Fatalf("the checker: %v (%v)\n%s", err, jerr, out)
	}
	for _, m := range report.Messages {
		file := filepath.Base(m.URL)
		t.Errorf("%s (%s) line %d: %s: %s\n\t%s", pages[file], file, m.LastLine, m.Type, m.Message, m.Extract)
	}
	if err != nil && len(report.Messages) == 0 {
		t.Fatalf("the checker failed: %v\n%s", err, out)
	}
}
