package shop_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/web/shop"
)

var shareURLRe = regexp.MustCompile(`readonly value="[^"]*/s/([A-Za-z0-9]+)"`)

// signIn signs the visitor in as the demo buyer on the given storefront.
func (v *visitor) signIn(home string) {
	v.s.t.Helper()
	res, _ := v.post(home+"signin", "", url.Values{"email": {buyerEmail}, "password": {"sesame-demo"}})
	if res.StatusCode != http.StatusSeeOther || v.session() == "" {
		v.s.t.Fatalf("sign-in: %d", res.StatusCode)
	}
}

func TestDealSharing(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newStore(t, db, 40)
		ctx := context.Background()
		listed := s.shown("bazaar")
		product := listed[0]
		_, body := s.get("/bazaar/fr/new")
		page := productPathOf(body, product.ProductID)
		if page == "" {
			t.Fatalf("product %s is not on the list page", product.ProductID)
		}

		// Signed out, a product page asks to sign in to share, and a
		// share post is sent to sign in.
		anon := s.visitor()
		_, body = anon.get(page)
		if !strings.Contains(body, "Connectez-vous pour partager ce produit") || strings.Contains(body, `action="/bazaar/fr/share"`) {
			t.Errorf("a signed-out product page does not offer to sign in to share")
		}
		res, _ := anon.post("/bazaar/fr/share", "", url.Values{"product": {product.ProductID}, "back": {page}})
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/bazaar/fr/signin?next=") {
			t.Fatalf("anonymous share: %d %s", res.StatusCode, res.Header.Get("Location"))
		}

		// The buyer shares from the product page and finds the link on
		// the account page; sharing again gives the same link.
		buyer := s.visitor()
		buyer.signIn("/bazaar/fr/")
		_, body = buyer.get(page)
		if !strings.Contains(body, `action="/bazaar/fr/share"`) || !strings.Contains(body, `name="product" value="`+product.ProductID+`"`) {
			t.Fatalf("a signed-in product page has no share form:\n%s", body)
		}
		res, _ = buyer.post("/bazaar/fr/share", "", url.Values{"product": {product.ProductID}})
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/bazaar/fr/account?shared=") {
			t.Fatalf("share: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		_, body = buyer.get(res.Header.Get("Location"))
		m := shareURLRe.FindAllStringSubmatch(body, -1)
		if len(m) != 1 || !strings.Contains(body, "Votre lien est prêt") || !strings.Contains(body, "0 visite") {
			t.Fatalf("account page after sharing:\n%s", body)
		}
		code := m[0][1]
		res, _ = buyer.post("/bazaar/fr/share", "", url.Values{"product": {product.ProductID}})
		if want := "/bazaar/fr/account?shared=" + code + "#shares"; res.Header.Get("Location") != want {
			t.Fatalf("sharing again: %s, want %s", res.Header.Get("Location"), want)
		}

		// A product that is not on this storefront, or none, is not shared;
		// nor is a share posted from another site.
		// (a product its merchant took off bazaar)
		gone := listed[2]
		if err := s.svc.Catalog.Unlist(ctx, ownerOf(gone), gone.ProductID, "bazaar"); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{gone.ProductID, "prd_00000000000000000000000000", "x"} {
			if res, _ := buyer.post("/bazaar/fr/share", "", url.Values{"product": {id}}); res.StatusCode != http.StatusNotFound {
				t.Errorf("sharing %q on bazaar: %d, want 404", id, res.StatusCode)
			}
		}
		if res, _ := buyer.post("/bazaar/fr/share", "https://evil.example", url.Values{"product": {listed[1].ProductID}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site share: %d", res.StatusCode)
		}
		ls, err := s.svc.Shares.Mine(ctx, buyerActor(t, s))
		if err != nil || len(ls) != 1 {
			t.Fatalf("the buyer's links: %v %v", ls, err)
		}

		// A friend follows the link: sent to the product in their
		// language, with the referral kept, and the visit counted; the
		// page they reach carries the preview.
		friend := s.visitor()
		req, _ := http.NewRequest(http.MethodGet, s.srv.URL+"/s/"+code, nil)
		req.Header.Set("Accept-Language", "en-GB,en;q=0.8")
		res, _ = friend.do(req)
		if res.StatusCode != http.StatusFound || !strings.HasPrefix(res.Header.Get("Location"), "/bazaar/en/p/") || !strings.HasSuffix(res.Header.Get("Location"), product.ProductID) {
			t.Fatalf("following the link: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		var ref *http.Cookie
		for _, c := range res.Cookies() {
			if c.Name == shop.ReferralCookie {
				ref = c
			}
		}
		if ref == nil || ref.Value != code || !ref.HttpOnly || ref.MaxAge < 7*24*3600 {
			t.Fatalf("referral cookie: %+v", ref)
		}
		r := referred(ref)
		if got := shop.Referral(r); got != code {
			t.Errorf("Referral = %q, want %q", got, code)
		}
		_, body = friend.get(res.Header.Get("Location"))
		if !strings.Contains(body, `<meta property="og:title"`) || !strings.Contains(body, `<meta property="og:image"`) {
			t.Errorf("the page a share leads to has no preview")
		}

		// Previews, the sharer's own visits and repeated fetches: only
		// people count. Visits at once all count.
		req, _ = http.NewRequest(http.MethodGet, s.srv.URL+"/s/"+code, nil)
		req.Header.Set("User-Agent", "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)")
		if res, _ := s.visitor().do(req); res.StatusCode != http.StatusFound {
			t.Fatalf("preview fetch: %d", res.StatusCode)
		}
		buyer.get("/s/" + code)
		var wg sync.WaitGroup
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := s.noRedirect.Get(s.srv.URL + "/s/" + code)
				if err == nil {
					res.Body.Close()
				}
			}()
		}
		wg.Wait()
		l, err := s.svc.Shares.Link(ctx, code)
		if err != nil || l.Visits != 11 {
			t.Fatalf("visits %d (%v), want 11: the friend and ten at once", l.Visits, err)
		}
		_, body = buyer.get("/bazaar/fr/account")
		if !strings.Contains(body, "11 visites") {
			t.Errorf("the account page does not count the visits")
		}

		// Unknown and hostile codes: a 404 page, nothing reflected.
		for _, c := range []string{"ZZZZZZZZ", "%3Cscript%3E", strings.Repeat("a", 5000)} {
			res, body := s.get("/s/" + c)
			if res.StatusCode != http.StatusNotFound || strings.Contains(body, "<script>") {
				t.Errorf("/s/%.20s: %d", c, res.StatusCode)
			}
		}

		// A link whose product is no longer sold leads to the storefront.
		if err := s.svc.Catalog.Unlist(ctx, ownerOf(product), product.ProductID, "bazaar"); err != nil {
			t.Fatal(err)
		}
		res, _ = s.get("/s/"+code, "Accept-Language", "fr")
		if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/bazaar/fr/" {
			t.Errorf("a link to an unlisted product: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		_, body = buyer.get("/bazaar/fr/account")
		if !strings.Contains(body, "n’est plus vendu ici") {
			t.Errorf("the account page does not say the product is gone")
		}
	})
}

// ownerOf is an owner of the merchant of l.
func ownerOf(l events.Listing) identity.Actor {
	return identity.Actor{Role: identity.Staff, MerchantID: l.Merchant.ID, StaffRole: identity.StaffOwner, MerchantStatus: identity.MerchantApproved}
}

// buyerActor is the demo buyer as the services see them.
func buyerActor(t *testing.T, s *store) identity.Actor {
	t.Helper()
	u, err := s.db.Identity().UserByEmail(context.Background(), buyerEmail)
	if err != nil {
		t.Fatal(err)
	}
	return u.Actor()
}

// referred is a request that carries the referral cookie c.
func referred(c *http.Cookie) *http.Request {
	r, _ := http.NewRequest(http.MethodGet, "http://shop.example/bazaar/fr/", nil)
	r.AddCookie(c)
	return r
}

// TestSharedCheckoutCreditsTheSharer: a friend follows the buyer's share
// link, signs in, buys the product and pays: the buyer is credited a
// commission on the order, and their account page shows the link's order
// and earnings, the totals and the order credited (its date, product and
// commission, never who bought it).
func TestSharedCheckoutCreditsTheSharer(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newStore(t, db, 40)
		ctx := context.Background()
		v := inStock(t, s, "bazaar", "Savonnerie", "FR")
		sharer := s.visitor()
		sharer.signIn("/bazaar/en/")
		res, _ := sharer.post("/bazaar/en/share", "", url.Values{"product": {v.ID}})
		_, body := sharer.get(res.Header.Get("Location"))
		m := shareURLRe.FindStringSubmatch(body)
		if m == nil || !strings.Contains(body, "0 orders") {
			t.Fatalf("the account page after sharing:\n%s", body)
		}
		code := m[1]

		const email, password = "friend@example.com", "a friend's password"
		if _, err := s.svc.Identity.RegisterBuyer(ctx, identity.Registration{Email: email, Name: "A Friend", Password: password}); err != nil {
			t.Fatal(err)
		}
		friend := s.visitor()
		if res, _ := friend.get("/s/" + code); res.StatusCode != http.StatusFound {
			t.Fatalf("following the link: %d", res.StatusCode)
		}
		if res, _ := friend.post("/bazaar/en/signin", "", url.Values{"email": {email}, "password": {password}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("the friend's sign-in: %d", res.StatusCode)
		}
		buy := func(home string) {
			t.Helper()
			steps := []struct {
				path string
				form url.Values
			}{
				{home + "cart/add", url.Values{"variant": {v.Variants[0].ID}, "quantity": {"1"}}},
				{home + "cart/address", url.Values{"name": {"A Friend"}, "line1": {"12 rue de la Roquette"}, "postcode": {"75011"}, "city": {"Paris"}, "country": {"FR"}}},
				{home + "cart/pay", url.Values{"card": {"tok_success"}}},
			}
			for _, st := range steps {
				if res, body := friend.post(st.path, "", st.form); res.StatusCode != http.StatusSeeOther {
					t.Fatalf("%s: %d\n%s", st.path, res.StatusCode, body)
				}
			}
		}
		buy("/bazaar/en/")
		friendActor, err := s.db.Identity().UserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		os, _, err := s.svc.Orders.Orders(ctx, friendActor.Actor(), "", 10)
		if err != nil || len(os) != 1 {
			t.Fatalf("the friend's orders: %v %v", os, err)
		}
		e, err := s.svc.Orders.ShareEarnings(ctx, buyerActor(t, s))
		if err != nil || len(e.Orders) != 1 || e.Orders[0].Status != order.SharePending || e.Orders[0].Amount.Minor <= 0 || e.Orders[0].Code != code {
			t.Fatalf("the sharer's earnings: %+v %v", e, err)
		}
		want := (os[0].Subtotal.Minor - os[0].Discount.Minor) * 300 / 10000
		if e.Orders[0].Amount.Minor != want {
			t.Errorf("the commission: %d, want %d", e.Orders[0].Amount.Minor, want)
		}
		amount := s.svc.Catalog.Formatters.Format(e.Orders[0].Amount, "en")

		_, body = sharer.get("/bazaar/en/account")
		for _, w := range []string{"1 visit", "1 order", "earned " + amount, `id="share-earnings"`, "Your sharing earnings", "Orders placed through your links",
			`<th scope="row">` + e.Orders[0].Title + `</th>`, `<span class="status status-pending">Pending</span>`, "<td>" + amount + "</td>"} {
			if !strings.Contains(unescape(body), unescape(w)) {
				t.Errorf("the account page lacks %q", w)
			}
		}
		for _, w := range []string{"A Friend", email, "Roquette"} {
			if strings.Contains(body, w) {
				t.Errorf("the account page names the buyer: %q", w)
			}
		}
		// In French, the same page in the sharer's language.
		if _, body := sharer.get("/bazaar/fr/account"); !strings.Contains(body, "Vos gains de partage") || !strings.Contains(body, "1 commande") {
			t.Errorf("the French account page lacks the earnings")
		}

	})
}

// creditSharer has a new buyer order, on bazaar, a product in stock that
// sharer shared, through sharer's link: a commission for the sharer.
func creditSharer(t *testing.T, s *store, sharer identity.Actor) {
	t.Helper()
	ctx := context.Background()
	p := inStock(t, s, "bazaar", "Shenzhen", "CN")
	l, _, err := s.svc.Shares.Share(ctx, sharer, "bazaar", p.ID)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.svc.Identity.RegisterBuyer(ctx, identity.Registration{Email: "credit-" + l.Code + "@example.com", Name: "Credit", Password: "a friend's password"})
	if err != nil {
		t.Fatal(err)
	}
	acc := order.Access{Actor: u.Actor()}
	c, _, err := s.svc.Orders.CreateCart(ctx, acc.Actor, order.CartInput{Channel: "bazaar"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Orders.AddLine(ctx, acc, c.ID, order.LineInput{VariantID: p.Variants[0].ID, Quantity: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Orders.SetAddress(ctx, acc, c.ID, testkit.Paris()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.svc.Orders.Checkout(ctx, acc, c.ID, order.CheckoutInput{Payment: order.PaymentInput{Provider: "sandbox", Token: "tok_success"},
		ShareCode: l.Code}); err != nil {
		t.Fatal(err)
	}
}
