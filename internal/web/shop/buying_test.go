package shop_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/promise"
	"github.com/sesame-market/sesame/internal/testkit"
)

// inStock returns the first product on channel sold by a merchant whose
// name contains seller, with one variant sent to Paris from country from.
func inStock(t *testing.T, s *store, channel, seller, from string) catalog.View {
	t.Helper()
	ctx := context.Background()
	cursor := ""
	for {
		pg, err := s.svc.Catalog.ChannelPage(ctx, channel, "en", cursor, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range pg.Items {
			if !strings.Contains(v.Merchant.Name, seller) || len(v.Variants) != 1 {
				continue
			}
			offers, err := s.svc.Stock.Offers(ctx, v.Merchant.ID, []string{v.Variants[0].SKU}, nil, &promise.Destination{Country: "FR", Postcode: "75011"})
			if err != nil {
				t.Fatal(err)
			}
			if o := offers[v.Variants[0].SKU]; o.Availability != inventory.OutOfStock && o.Promise != nil && o.Promise.ShipsFrom == from {
				return v
			}
		}
		if pg.NextCursor == "" {
			t.Fatalf("no product of %s in stock on %s", seller, channel)
		}
		cursor = pg.NextCursor
	}
}

// TestBuyingInABrowser: a buyer fills a cart with soap from Provence and a
// phone case from Shenzhen before signing in, sees the two parcels with
// their delivery dates and taxes, signs in at checkout (the cart follows),
// gives a Paris address, pays with the sandbox card, and finds the two
// orders. Screenshots of each step, desktop and phone.
func TestBuyingInABrowser(t *testing.T) {
	tb, s := demoTab(t, 300)
	ctx, dir := tb.ctx, tb.dir
	shot, do, text := tb.shot, tb.do, tb.text
	soap, cases := inStock(t, s, "bazaar", "Savonnerie", "FR"), inStock(t, s, "bazaar", "Shenzhen", "CN")
	for _, v := range []catalog.View{soap, cases} {
		do("add "+v.Title, chromedp.Navigate(s.srv.URL+"/bazaar/en/p/"+v.ID), chromedp.WaitVisible(chromedp.CSS(".add-to-cart button")),
			chromedp.Click(chromedp.CSS(".add-to-cart button")), chromedp.WaitVisible(chromedp.CSS(".cart")))
	}
	if got := text(".notice"); !strings.Contains(got, "Added") {
		t.Fatalf("after adding: %q", got)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int]("document.querySelectorAll('.parcel').length")); err != nil || n != 2 {
		t.Fatalf("%d parcels (%v), want 2", n, err)
	}
	if got := text(".summary"); !strings.Contains(got, "Taxes") || !strings.Contains(got, "Duties") || !strings.Contains(got, "€") {
		t.Fatalf("the summary reads %q", got)
	}
	// In pounds, the cart follows the pages' currency, and back.
	for _, cur := range []struct{ code, sign string }{{"GBP", "£"}, {"EUR", "€"}} {
		do("the cart in "+cur.code, chromedp.SetValue(chromedp.CSS("#currency"), cur.code), chromedp.Submit(chromedp.CSS("#currency")),
			chromedp.WaitVisible(chromedp.CSS(".summary")))
		if got := text(".summary"); !strings.Contains(got, cur.sign) {
			t.Fatalf("the summary in %s reads %q", cur.code, got)
		}
	}
	if got := text(".cart-main"); !strings.Contains(got, "IOSS") || !strings.Contains(got, "EU customs duty") || !strings.Contains(got, "local VAT") {
		t.Fatalf("the parcels read %q", got)
	}
	if _, err := s.svc.Orders.CreateCoupon(context.Background(), identity.System, order.CouponInput{Code: "WELCOME5", Kind: order.Fixed, Amount: 500, Currency: "EUR"}); err != nil {
		t.Fatal(err)
	}
	// With JavaScript, the cart's forms update the page in place (htmx):
	// a mark left on the window outlives them.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("window.sesameMark = true")); err != nil {
		t.Fatal(err)
	}
	do("a wrong coupon", chromedp.SendKeys(chromedp.CSS("#coupon-code"), "NOSUCH"), chromedp.Click(chromedp.CSS(".coupon-form button")), chromedp.WaitVisible(chromedp.CSS(".notice-error")))
	if got := text(".notice-error"); !strings.Contains(got, "no such coupon") {
		t.Fatalf("a wrong coupon reads %q", got)
	}
	do("a coupon", chromedp.SendKeys(chromedp.CSS("#coupon-code"), "welcome5"), chromedp.Click(chromedp.CSS(".coupon-form button")), chromedp.WaitVisible(chromedp.CSS(".coupons")))
	if got := text(".summary"); !strings.Contains(got, "WELCOME5") || !strings.Contains(got, "Discounts") {
		t.Fatalf("after the coupon the summary reads %q", got)
	}
	if kept, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("window.sesameMark === true")); err != nil || !kept {
		t.Fatalf("the cart's forms reloaded the page (%v)", err)
	}
	shot("10-cart-two-merchants")
	do("checkout", chromedp.Click(chromedp.CSS(".summary a.button")), chromedp.WaitVisible(chromedp.CSS("#email")))
	do("sign in", chromedp.SendKeys(chromedp.CSS("#email"), buyerEmail), chromedp.SendKeys(chromedp.CSS("#password"), "sesame-demo"),
		chromedp.Submit(chromedp.CSS("#password")), chromedp.WaitVisible(chromedp.CSS("#a-name")))
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int]("document.querySelectorAll('.parcel').length")); err != nil || n != 2 {
		t.Fatalf("after signing in the cart has %d parcels (%v)", n, err)
	}
	do("a bad postcode", chromedp.SendKeys(chromedp.CSS("#a-name"), "Camille Martin"), chromedp.SendKeys(chromedp.CSS("#a-line1"), "12 rue de la Roquette"),
		chromedp.SendKeys(chromedp.CSS("#a-postcode"), "7501"), chromedp.SendKeys(chromedp.CSS("#a-city"), "Paris"),
		chromedp.Submit(chromedp.CSS("#a-name")), chromedp.WaitVisible(chromedp.CSS(".notice-error")))
	if got := text(".notice-error"); !strings.Contains(got, "postcode") {
		t.Fatalf("a bad postcode reads %q", got)
	}
	do("fix the postcode", chromedp.SetValue(chromedp.CSS("#a-postcode"), "75011"), chromedp.Submit(chromedp.CSS("#a-name")),
		chromedp.WaitVisible(chromedp.CSS(".pay button")))
	shot("11-checkout")
	do("phone checkout", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(".pay button")))
	shot("11-checkout-phone")
	do("desktop", chromedp.EmulateViewport(1366, 1000))
	do("pay", chromedp.Click(chromedp.CSS(".pay button")), chromedp.WaitVisible(chromedp.CSS(".orders")))
	if got := text(".notice"); !strings.Contains(got, "paid") {
		t.Fatalf("after paying: %q", got)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int]("document.querySelectorAll('.order-row').length")); err != nil || n != 2 {
		t.Fatalf("%d orders (%v), want 2", n, err)
	}
	shot("12-orders")
	do("an order", chromedp.Click(chromedp.CSS(".order-row a")), chromedp.WaitVisible(chromedp.CSS(".summary")))
	if got := text(".status"); got != "Paid" {
		t.Fatalf("the order's status reads %q", got)
	}
	shot("13-order")
	do("phone orders", chromedp.EmulateViewport(390, 844), chromedp.Navigate(s.srv.URL+"/bazaar/en/orders"), chromedp.WaitVisible(chromedp.CSS(".orders")))
	shot("12-orders-phone")
	do("desktop again", chromedp.EmulateViewport(1366, 1000))
	// The same pages in French, and a cart on the mall in Chinese.
	do("orders in French", chromedp.Navigate(s.srv.URL+"/bazaar/fr/orders"), chromedp.WaitVisible(chromedp.CSS(".orders")))
	if got := text("h1"); got != "Vos commandes" {
		t.Fatalf("the French orders page reads %q", got)
	}
	shot("14-orders-fr")
	mall := inStock(t, s, "mall", "Maison", "FR")
	do("mall product", chromedp.Navigate(s.srv.URL+"/mall/zh/p/"+mall.ID), chromedp.WaitVisible(chromedp.CSS(".add-to-cart button")),
		chromedp.Click(chromedp.CSS(".add-to-cart button")), chromedp.WaitVisible(chromedp.CSS(".cart")))
	if got := text("h1"); got != "购物车" {
		t.Fatalf("the Chinese cart reads %q", got)
	}
	shot("15-cart-zh")
	do("a wrong coupon in Chinese", chromedp.SendKeys(chromedp.CSS("#coupon-code"), "NOSUCH"), chromedp.Submit(chromedp.CSS("#coupon-code")),
		chromedp.WaitVisible(chromedp.CSS(".notice-error")))
	if got := text(".notice-error"); got != "没有此优惠券" {
		t.Fatalf("a wrong coupon on the Chinese cart reads %q", got)
	}
	shot("15a-coupon-refused-zh")
	do("Chinese checkout", chromedp.Navigate(s.srv.URL+"/mall/zh/checkout"), chromedp.WaitVisible(chromedp.CSS("#a-name")))
	shot("16-checkout-zh")
	do("Chinese checkout, phone", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#a-name")))
	shot("16-checkout-zh-phone")
	t.Logf("screenshots in %s", dir)
}

// TestProtectionInABrowser: the buyer of an order the merchant shipped
// finds its carrier, tracking number and the end of its protection on the
// order's page, extends the protection once, and, the order delivered,
// confirms receipt; in English and French. Screenshots, desktop and phone.
func TestProtectionInABrowser(t *testing.T) {
	tb, s := demoTab(t, 300)
	ctx, dir := tb.ctx, tb.dir
	shot, do, text := tb.shot, tb.do, tb.text
	bg := context.Background()
	soap := inStock(t, s, "bazaar", "Savonnerie", "FR")
	o, staff := shippedOrder(t, s, "bazaar", "EUR", testkit.Paris(), soap)
	page := s.srv.URL + "/bazaar/en/orders/" + o.ID
	do("sign in", chromedp.Navigate(s.srv.URL+"/bazaar/en/signin?next=%2Fbazaar%2Fen%2Forders%2F"+o.ID), chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), buyerEmail), chromedp.SendKeys(chromedp.CSS("#password"), "sesame-demo"),
		chromedp.Submit(chromedp.CSS("#password")), chromedp.WaitVisible(chromedp.CSS(".protection")))
	if got := text(".protection"); !strings.Contains(got, "6A12345678901") || !strings.Contains(got, "Colissimo") || !strings.Contains(got, "protection runs until") {
		t.Fatalf("the shipped order reads %q", got)
	}
	shot("20-order-shipped")
	do("phone", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(".protection")))
	shot("20-order-shipped-phone")
	do("desktop", chromedp.EmulateViewport(1366, 1000))
	do("extend", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`form[action$="/protection/extend"] button`)),
		chromedp.Click(chromedp.CSS(`form[action$="/protection/extend"] button`)), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := text(".notice"); !strings.Contains(got, "extended") {
		t.Fatalf("after extending: %q", got)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('form[action$="/protection/extend"]').length`)); err != nil || n != 0 {
		t.Fatalf("%d extend forms after extending (%v)", n, err)
	}
	if _, err := s.svc.Orders.Deliver(bg, staff, o.ID); err != nil {
		t.Fatal(err)
	}
	do("delivered, in French", chromedp.Navigate(s.srv.URL+"/bazaar/fr/orders/"+o.ID), chromedp.WaitVisible(chromedp.CSS(".protection")))
	if got := text(".protection"); !strings.Contains(got, "Livrée le") || !strings.Contains(got, "Numéro de suivi") {
		t.Fatalf("the delivered order in French reads %q", got)
	}
	shot("21-order-delivered-fr")
	do("delivered, in French, phone", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(".protection")))
	shot("21-order-delivered-fr-phone")
	do("confirm receipt", chromedp.Click(chromedp.CSS(`form[action$="/protection/confirm"] button`)), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := text(".status"); got != "Terminée" {
		t.Fatalf("after confirming, the status reads %q", got)
	}
	if got := text(".protection"); !strings.Contains(got, "confirmé la réception") {
		t.Fatalf("the confirmed order reads %q", got)
	}
	shot("22-order-confirmed-fr-phone")
	do("desktop again", chromedp.EmulateViewport(1366, 1000), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(".protection")))
	shot("22-order-confirmed-fr")
	t.Logf("screenshots in %s", dir)
}
