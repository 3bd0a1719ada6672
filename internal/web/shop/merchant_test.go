package shop_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/demo"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// Demo merchants' owners, who sign in to the merchants' console.
const (
	shenzhenEmail = "cases@shenzhen-case.example"
	savonEmail    = "contact@savonnerie-provence.example"
)

// sellerVisitor is a visitor signed in to the merchants' console as the
// staff member email.
func (s *store) sellerVisitor(email string) *visitor {
	s.t.Helper()
	v := s.visitor()
	res, _ := v.post("/merchant/en/signin", "", url.Values{"email": {email}, "password": {demo.Password}, "next": {"/merchant/en/"}})
	wantRedirect(s.t, res, http.StatusSeeOther, "/merchant/en/")
	if v.session() == "" {
		s.t.Fatal("no session after the merchant's sign-in")
	}
	return v
}

// staffOf is the actor of the staff account email.
func (s *store) staffOf(email string) identity.Actor {
	s.t.Helper()
	token, _, err := s.svc.Identity.Login(context.Background(), email, demo.Password)
	if err != nil {
		s.t.Fatal(err)
	}
	a, err := s.svc.Identity.Authenticate(context.Background(), token)
	if err != nil {
		s.t.Fatal(err)
	}
	return a
}

// paidOrder is the demo buyer's paid order of one p on channel in
// currency, to Paris, not yet shipped.
func paidOrder(t *testing.T, s *store, channel, currency string, p catalog.View) order.Order {
	t.Helper()
	bg := context.Background()
	buyer := demoBuyer(t, s)
	c, _, err := s.svc.Orders.CreateCart(bg, buyer, order.CartInput{Channel: channel, Currency: currency})
	if err != nil {
		t.Fatal(err)
	}
	acc := order.Access{Actor: buyer}
	if _, err := s.svc.Orders.AddLine(bg, acc, c.ID, order.LineInput{VariantID: p.Variants[0].ID, Quantity: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Orders.SetAddress(bg, acc, c.ID, testkit.Paris()); err != nil {
		t.Fatal(err)
	}
	co, _, err := s.svc.Orders.Checkout(bg, acc, c.ID, order.CheckoutInput{Payment: order.PaymentInput{Provider: "sandbox", Token: "tok_success"}})
	if err != nil {
		t.Fatal(err)
	}
	return co.Orders[0]
}

// TestMerchantAccess: merchant staff sign in to their console with their
// storefront account; anyone signed out is sent to its sign-in page;
// buyers, operators and partners get the page of an unknown address and
// cannot sign in to it; a post from another site is refused.
func TestMerchantAccess(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newStore(t, db, 10)
		pages := []string{"/merchant/en/", "/merchant/fr/", "/merchant/zh/"}

		anon := s.visitor()
		res, _ := anon.get("/merchant")
		wantRedirect(t, res, http.StatusFound, "/merchant/en/")
		req, _ := http.NewRequest(http.MethodGet, s.srv.URL+"/merchant", nil)
		req.Header.Set("Accept-Language", "fr-FR,fr;q=0.9")
		res, _ = anon.do(req)
		wantRedirect(t, res, http.StatusFound, "/merchant/fr/")
		for _, p := range pages {
			res, _ := anon.get(p)
			lang := strings.Split(p, "/")[2]
			wantRedirect(t, res, http.StatusSeeOther, "/merchant/"+lang+"/signin?next="+url.QueryEscape(p))
		}
		if res, body := anon.get("/merchant/en/signin"); res.StatusCode != http.StatusOK || !strings.Contains(body, "Sign in to your shop") {
			t.Errorf("the sign-in page: %d", res.StatusCode)
		}
		if res, _ := anon.get("/merchant/de/"); res.StatusCode != http.StatusNotFound {
			t.Errorf("a console in German: %d", res.StatusCode)
		}

		for _, email := range []string{buyerEmail, operatorEmail, "partner@francilienne-logistique.example"} {
			v := s.signedInAs(email)
			for _, p := range pages {
				if res, body := v.get(p); res.StatusCode != http.StatusNotFound || strings.Contains(body, "signout") && strings.Contains(body, "/merchant/en/") {
					t.Errorf("%s opens %s: %d", email, p, res.StatusCode)
				}
			}
			w := s.visitor()
			res, body := w.post("/merchant/en/signin", "", url.Values{"email": {email}, "password": {demo.Password}})
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong e-mail or password.") || w.session() != "" {
				t.Errorf("%s signs in to the merchants' console: %d", email, res.StatusCode)
			}
		}

		// A sign-in from another site is refused, and opens no session.
		w := s.visitor()
		if res, _ := w.post("/merchant/en/signin", "https://evil.example", url.Values{"email": {shenzhenEmail}, "password": {demo.Password}}); res.StatusCode != http.StatusForbidden || w.session() != "" {
			t.Errorf("a cross-site sign-in: %d", res.StatusCode)
		}

		m := s.sellerVisitor(shenzhenEmail)
		for _, p := range pages {
			if res, body := m.get(p); res.StatusCode != http.StatusOK || !strings.Contains(body, "Shenzhen Case Factory") {
				t.Errorf("the merchant opens %s: %d", p, res.StatusCode)
			}
		}
		res, _ = m.get("/merchant/en/signin?next=/merchant/en/")
		wantRedirect(t, res, http.StatusSeeOther, "/merchant/en/")
		res, _ = m.get("/merchant/en/signin?next=https://evil.example/")
		wantRedirect(t, res, http.StatusSeeOther, "/merchant/en/")
		if res, _ := m.get("/merchant/en/nothing-here"); res.StatusCode != http.StatusNotFound {
			t.Errorf("an unknown console page: %d", res.StatusCode)
		}
		res, _ = m.post("/merchant/en/signout", "", nil)
		wantRedirect(t, res, http.StatusSeeOther, "/merchant/en/signin")
		if res, _ := m.get("/merchant/en/"); res.StatusCode != http.StatusSeeOther {
			t.Errorf("signed out, the dashboard answers %d", res.StatusCode)
		}
	})
}

// TestMerchantDashboard: the dashboard names the merchant and its shops,
// counts its products and the orders it has to ship, lists the disputes
// waiting for its answer with their deadlines, and its balances; another
// merchant's dashboard shows none of it.
func TestMerchantDashboard(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newStore(t, db, 150)
		p := inStock(t, s, "bazaar", "Shenzhen", "CN")
		paidOrder(t, s, "bazaar", "EUR", p)
		so, _ := shippedOrder(t, s, "bazaar", "EUR", testkit.Paris(), p)
		d, err := s.svc.Orders.OpenDispute(context.Background(), demoBuyer(t, s), so.ID, order.DisputeInput{Reason: order.ReasonDamaged, Message: "Cracked."})
		if err != nil {
			t.Fatal(err)
		}

		_, body := s.sellerVisitor(shenzhenEmail).get("/merchant/en/")
		for _, want := range []string{"<h1>Shenzhen Case Factory", `<span class="count-n">1</span> orders to ship`, `<span class="count-n">1</span> disputes awaiting your answer`,
			d.ID, "Arrived damaged", d.ReplyDueAt.UTC().Format("2006-01-02 15:04"), "Held", "Orders still under buyer protection.", "Sesame Bazaar", `<th scope="col">Account</th>`} {
			if !strings.Contains(body, want) {
				t.Errorf("the dashboard lacks %q", want)
			}
		}
		_, body = s.sellerVisitor(shenzhenEmail).get("/merchant/zh/")
		if !strings.Contains(body, "待答复的纠纷") || !strings.Contains(body, "冻结") {
			t.Error("the dashboard in Chinese lacks its words")
		}
		_, body = s.sellerVisitor(savonEmail).get("/merchant/fr/")
		if !strings.Contains(body, "Savonnerie de Provence") || strings.Contains(body, d.ID) || strings.Contains(body, "Shenzhen") ||
			!strings.Contains(body, `<span class="count-n">0</span> commandes à expédier`) {
			t.Errorf("another merchant's dashboard:\n%s", body)
		}
	})
}
