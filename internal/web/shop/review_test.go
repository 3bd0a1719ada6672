package shop_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// demoBuyer is the demo buyer, signed in through the services.
func demoBuyer(t *testing.T, s *store) identity.Actor {
	t.Helper()
	bg := context.Background()
	token, _, err := s.svc.Identity.Login(bg, buyerEmail, "sesame-demo")
	if err != nil {
		t.Fatal(err)
	}
	buyer, err := s.svc.Identity.Authenticate(bg, token)
	if err != nil {
		t.Fatal(err)
	}
	return buyer
}

// shippedOrder is the demo buyer's paid order of one p on channel in
// currency to addr, shipped by its merchant, and the merchant's staff.
func shippedOrder(t *testing.T, s *store, channel, currency string, addr order.Address, p catalog.View) (order.Order, identity.Actor) {
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
	if _, err := s.svc.Orders.SetAddress(bg, acc, c.ID, addr); err != nil {
		t.Fatal(err)
	}
	co, _, err := s.svc.Orders.Checkout(bg, acc, c.ID, order.CheckoutInput{Payment: order.PaymentInput{Provider: "sandbox", Token: "tok_success"}})
	if err != nil {
		t.Fatal(err)
	}
	o := co.Orders[0]
	staff := identity.Actor{Role: identity.Staff, UserID: "usr_test", MerchantID: o.MerchantID}
	if o, err = s.svc.Orders.Ship(bg, staff, o.ID, order.ShipInput{Carrier: "Colissimo", TrackingNumber: "6A12345678901"}); err != nil {
		t.Fatal(err)
	}
	return o, staff
}

// confirmedOrder is shippedOrder confirmed by its buyer.
func confirmedOrder(t *testing.T, s *store, channel, currency string, addr order.Address, p catalog.View) order.Order {
	t.Helper()
	o, _ := shippedOrder(t, s, channel, currency, addr, p)
	o, err := s.svc.Orders.ConfirmDelivery(context.Background(), demoBuyer(t, s), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestReviewOnTheStorefront: the order page of a confirmed order offers a
// review form per line, which posts without JavaScript; the review then
// reads as given, the product's page shows its stars in words, its count
// and the review, and its JSON-LD an AggregateRating; the shop's page shows
// the seller's three ratings, and search a rating facet. A bad mark is refused and changes nothing; a
// second post of the form changes nothing either.
func TestReviewOnTheStorefront(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newStore(t, db, 150)
		s.sync()
		soap := inStock(t, s, "bazaar", "Savonnerie", "FR")
		o := confirmedOrder(t, s, "bazaar", "EUR", testkit.Paris(), soap)
		v := s.visitor()
		v.signIn("/bazaar/en/")
		page := "/bazaar/en/orders/" + o.ID
		_, body := v.get(page)
		if !strings.Contains(body, `action="/bazaar/en/orders/`+o.ID+`/reviews"`) || !strings.Contains(body, `name="described"`) {
			t.Fatalf("no review form on the confirmed order's page:\n%s", body)
		}
		form := url.Values{"line": {o.Lines[0].ID}, "stars": {"9"}, "text": {"Smells of lavender."}}
		before, _ := db.Fingerprint(context.Background())
		if res, _ := v.post(page+"/reviews", "", form); res.StatusCode != http.StatusBadRequest {
			t.Errorf("nine stars: %d", res.StatusCode)
		}
		if res, _ := v.post(page+"/reviews", "https://elsewhere.example", form); res.StatusCode != http.StatusForbidden {
			t.Errorf("a form from another site: %d", res.StatusCode)
		}
		if after, _ := db.Fingerprint(context.Background()); after != before {
			t.Error("a refused review changed the database")
		}
		form.Set("stars", "4")
		form.Set("described", "5")
		form.Set("communication", "4")
		form.Set("shipping", "5")
		res, _ := v.post(page+"/reviews", "", form)
		wantRedirect(t, res, http.StatusSeeOther, page+"?msg=reviewed")
		before, _ = db.Fingerprint(context.Background())
		res, _ = v.post(page+"/reviews", "", form)
		wantRedirect(t, res, http.StatusSeeOther, page)
		if after, _ := db.Fingerprint(context.Background()); after != before {
			t.Error("a second review changed the database")
		}
		_, body = v.get(page + "?msg=reviewed")
		if !strings.Contains(body, "Thank you for your review.") || !strings.Contains(body, "Your rating:") || strings.Contains(body, `name="stars"`) {
			t.Errorf("the order's page after the review:\n%s", body)
		}

		res, _ = v.get("/bazaar/fr/p/" + soap.ID) // to the product's address in French
		_, body = v.get(res.Header.Get("Location"))
		for _, want := range []string{"4,0 sur 5", "1 avis", "Smells of lavender.", "Achat vérifié", `"aggregateRating":{"@type":"AggregateRating","bestRating":5,"ratingValue":"4.0","reviewCount":1,"worstRating":1}`} {
			if !strings.Contains(body, want) {
				t.Errorf("the product's page has no %q", want)
			}
		}
		// Search follows the review: "4 stars & up" finds the product alone.
		s.sync()
		_, body = v.get("/bazaar/en/search")
		if !strings.Contains(body, "4 stars &amp; up") || !strings.Contains(body, "Buyers&#39; rating") {
			t.Errorf("no rating facet on the search page")
		}
		_, body = v.get("/bazaar/en/search?stars=4")
		if !strings.Contains(body, soap.ID) || strings.Count(body, `class="card"`) > 1 {
			t.Errorf("4 stars & up does not find the soap alone")
		}
		if res, _ := v.get("/bazaar/en/search?stars=9"); res.StatusCode != http.StatusBadRequest {
			t.Errorf("nine stars & up: %d", res.StatusCode)
		}
		_, body = v.get("/bazaar/en/shop/" + o.MerchantID)
		for _, want := range []string{"Seller ratings", "Item as described", "5.0 out of 5", "4.0 out of 5", "From 1 rated order"} {
			if !strings.Contains(body, want) {
				t.Errorf("the shop's page has no %q", want)
			}
		}
	})
}

// TestReviewInABrowser: the buyer of a confirmed order reviews its line
// and rates the seller through the order page's form, in English on
// bazaar and in Chinese on mall; the product's page then shows the stars,
// their words and the reviews, the shop's page the seller's ratings, and
// search finds the product among those rated 4 stars & up. Screenshots,
// desktop (1280×900) and phone (390×844).
func TestReviewInABrowser(t *testing.T) {
	tb, s := demoTab(t, 300)
	dir, shot, do, text := tb.dir, tb.shot, tb.do, tb.text
	bg := context.Background()
	buyer := demoBuyer(t, s)
	review := func(o order.Order, stars int, words string) {
		t.Helper()
		if _, err := s.svc.Orders.WriteReview(bg, buyer, o.ID, order.ReviewInput{LineID: o.Lines[0].ID, Stars: stars, Text: words}); err != nil {
			t.Fatal(err)
		}
	}
	desktop, phone := chromedp.EmulateViewport(1280, 900), chromedp.EmulateViewport(390, 844)
	both := func(name, path, ready string) {
		t.Helper()
		do(name, desktop, chromedp.Navigate(s.srv.URL+path), chromedp.WaitVisible(chromedp.CSS(ready)))
		shot(name)
		do(name+" on a phone", phone, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(ready)))
		shot(name + "-phone")
	}
	fill := func(stars, words string) {
		t.Helper()
		do("review", desktop, chromedp.SetValue(chromedp.CSS(`.review-form select[name="stars"]`), stars),
			chromedp.SendKeys(chromedp.CSS(`.review-form textarea`), words),
			chromedp.SetValue(chromedp.CSS(`.review-form select[name="described"]`), "5"),
			chromedp.SetValue(chromedp.CSS(`.review-form select[name="communication"]`), "4"),
			chromedp.SetValue(chromedp.CSS(`.review-form select[name="shipping"]`), "5"),
			chromedp.Click(chromedp.CSS(`.review-form button`)), chromedp.WaitVisible(chromedp.CSS(".notice")))
	}

	soap := inStock(t, s, "bazaar", "Savonnerie", "FR")
	review(confirmedOrder(t, s, "bazaar", "EUR", testkit.Paris(), soap), 5, "Smells of lavender for weeks.\nWell wrapped.")
	o := confirmedOrder(t, s, "bazaar", "EUR", testkit.Paris(), soap)
	do("sign in", chromedp.Navigate(s.srv.URL+"/bazaar/en/signin"), chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), buyerEmail), chromedp.SendKeys(chromedp.CSS("#password"), "sesame-demo"),
		chromedp.Submit(chromedp.CSS("#password")), chromedp.WaitNotPresent(chromedp.CSS("#password")))
	both("30-review-form", "/bazaar/en/orders/"+o.ID, ".review-form")
	fill("4", "Lovely scent, a little strong.")
	if got := text(".review-block"); !strings.Contains(got, "Your rating:") || !strings.Contains(got, "4.0 out of 5") {
		t.Fatalf("the reviewed order reads %q", got)
	}
	shot("31-order-reviewed")
	both("32-product-reviews", "/bazaar/en/p/"+soap.ID, "#reviews")
	if got := text(".buy .rating"); !strings.Contains(got, "4.5 out of 5") || !strings.Contains(got, "2 reviews") {
		t.Fatalf("the product's rating reads %q", got)
	}

	shanghai := order.Address{Name: "王芳", Line1: "南京西路 1号", Postcode: "200040", City: "黄浦区", Region: "Shanghai Shi", Country: "CN"}
	mallSoap := inStock(t, s, "mall", "Savonnerie", "FR")
	review(confirmedOrder(t, s, "mall", "CNY", shanghai, mallSoap), 5, "香味很好，包装也很用心。")
	zo := confirmedOrder(t, s, "mall", "CNY", shanghai, mallSoap)
	both("33-review-form-zh", "/mall/zh/orders/"+zo.ID, ".review-form")
	fill("3", "不错，但是发货有点慢。")
	if got := text(".review-block"); !strings.Contains(got, "您的评分") {
		t.Fatalf("the reviewed order in Chinese reads %q", got)
	}
	both("34-product-reviews-zh", "/mall/zh/p/"+mallSoap.ID, "#reviews")
	both("35-shop-rated-zh", "/mall/zh/shop/"+zo.MerchantID, ".seller-rating")
	// The seller's trader information, opened, in French.
	for i, name := range []string{"35a-shop-trader-fr", "35a-shop-trader-fr-phone"} {
		view := desktop
		if i == 1 {
			view = phone
		}
		do(name, view, chromedp.Navigate(s.srv.URL+"/bazaar/fr/shop/"+zo.MerchantID), chromedp.Click(chromedp.CSS("#trader summary")),
			chromedp.WaitVisible(chromedp.CSS("#trader dl")))
		shot(name)
	}
	if got := text("#trader"); !strings.Contains(got, "Numéro d'immatriculation") {
		t.Errorf("the trader information reads %q", got)
	}
	s.sync()
	both("36-search-rating-facet", "/bazaar/en/search?stars=4", ".card")
	t.Logf("screenshots in %s", dir)
}
