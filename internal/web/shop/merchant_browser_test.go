package shop_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestMerchantInABrowser walks a merchant's main task in a real browser:
// sign in to the merchants' console, open the products, create a product
// with a variant, a French and a Chinese title and an image, list it on
// bazaar, and see it on the storefront; then the product's page in
// Chinese. Screenshots of each step, desktop (1280×900) and phone
// (390×844), are saved for review.
func TestMerchantInABrowser(t *testing.T) {
	tb, s := demoTab(t, 150)
	do, text := tb.do, tb.text
	photo := filepath.Join(t.TempDir(), "lavender-case.png")
	if err := os.WriteFile(photo, productPhoto(t, 1600, 1600), 0o644); err != nil {
		t.Fatal(err)
	}
	shots := func(name string) {
		t.Helper()
		do("desktop", chromedp.EmulateViewport(1280, 900))
		tb.shot(name)
		do("phone", chromedp.EmulateViewport(390, 844))
		tb.shot(name + "-phone")
		do("desktop", chromedp.EmulateViewport(1280, 900))
	}
	do("desktop", chromedp.EmulateViewport(1280, 900))

	// Signed out, the console asks to sign in, then opens the dashboard.
	do("console", chromedp.Navigate(s.srv.URL+"/merchant/en/"), chromedp.WaitVisible(chromedp.CSS("#email")))
	shots("merchant-1-signin-en")
	do("sign in", chromedp.SendKeys(chromedp.CSS("#email"), shenzhenEmail), chromedp.SendKeys(chromedp.CSS("#password"), "sesame-demo"),
		chromedp.Submit(chromedp.CSS("#password")), chromedp.WaitVisible(chromedp.CSS(".counts")))
	if got := text("h1"); !strings.Contains(got, "Shenzhen Case Factory") {
		t.Fatalf("the dashboard's heading reads %q", got)
	}
	shots("merchant-2-dashboard-en")

	// The products, then a new one.
	do("products", chromedp.Click(chromedp.CSS(`.links a[href$="/products"]`)), chromedp.WaitVisible(chromedp.CSS("table.data")))
	shots("merchant-3-products-en")
	do("new product", chromedp.Click(chromedp.CSS(`a[href$="/products/new"]`)), chromedp.WaitVisible(chromedp.CSS("#title-fr")))
	do("fill", chromedp.SendKeys(chromedp.CSS("#title-fr"), "Coque en silicone lavande"),
		chromedp.SendKeys(chromedp.CSS("#description-fr"), "Silicone doux au toucher, bords relevés qui protègent l'écran et l'objectif."),
		chromedp.SendKeys(chromedp.CSS("#title-zh"), "薰衣草硅胶手机壳"),
		chromedp.SendKeys(chromedp.CSS("#description-zh"), "柔软亲肤的硅胶材质，凸起边框保护屏幕和镜头。"),
		chromedp.SetValue(chromedp.CSS("#category"), s.categoryID("phone-cases")),
		chromedp.SetUploadFiles(chromedp.CSS("#image"), []string{photo}),
		chromedp.SendKeys(chromedp.CSS("#sku-0"), "LAV-CASE-01"),
		chromedp.SendKeys(chromedp.CSS(`.prices input[name$="-EUR"]`), "14,90"))
	shots("merchant-4-new-product-en")
	// Enter in a field submits the form, as a person typing does.
	do("create", chromedp.SendKeys(chromedp.CSS(`.prices input[name$="-EUR"]`), kb.Enter), chromedp.WaitVisible(chromedp.CSS(".notice, .alert")))
	if got := text(".notice, .alert"); !strings.Contains(got, "The product is created") {
		t.Fatalf("after creating, the notice reads %q", got)
	}
	if got := text("h1"); got != "Coque en silicone lavande" {
		t.Fatalf("the product's heading reads %q", got)
	}
	shots("merchant-5-created-en")

	// Listed on bazaar, and seen on the storefront with its image.
	do("list", chromedp.Click(chromedp.CSS(`form[action$="/list"] button`)), chromedp.WaitVisible(chromedp.CSS(".listings .status-approved")))
	if got := text(".notice"); !strings.Contains(got, "The product is listed") {
		t.Fatalf("after listing, the notice reads %q", got)
	}
	shots("merchant-6-listed-en")
	do("storefront", chromedp.Click(chromedp.CSS(`.listings a`)), chromedp.WaitVisible(chromedp.CSS(".gallery img")))
	if got := text("h1"); !strings.Contains(got, "Coque en silicone lavande") {
		t.Fatalf("the storefront's product reads %q", got)
	}
	shots("merchant-7-storefront-en")

	// The console in Chinese: the products and the product.
	do("products zh", chromedp.Navigate(s.srv.URL+"/merchant/zh/products"), chromedp.WaitVisible(chromedp.CSS("table.data")))
	if got := text("table.data tbody"); !strings.Contains(got, "薰衣草硅胶手机壳") {
		t.Fatalf("the products in Chinese read %q", got)
	}
	shots("merchant-8-products-zh")
	do("product zh", chromedp.Click(chromedp.CSS(`table.data a[href*="/products/prd_"]`)), chromedp.WaitVisible(chromedp.CSS("#title-zh")))
	shots("merchant-9-product-zh")
	// An order to ship, in French, whose words run longest.
	paidOrder(t, s, "bazaar", "EUR", inStock(t, s, "bazaar", "Shenzhen", "CN"))
	do("orders fr", chromedp.Navigate(s.srv.URL+"/merchant/fr/orders"), chromedp.WaitVisible(chromedp.CSS(".ship-form")))
	shots("merchant-11-orders-fr")
	// A dispute to answer, with the buyer's photo.
	so, _ := shippedOrder(t, s, "bazaar", "EUR", testkit.Paris(), inStock(t, s, "bazaar", "Shenzhen", "CN"))
	d, err := s.svc.Orders.OpenDispute(tb.ctx, demoBuyer(t, s), so.ID, order.DisputeInput{Reason: order.ReasonDamaged,
		Message: "La coque est arrivée fendue dans un coin.", Photos: []order.PhotoUpload{{Data: parcelPhoto(t)}}})
	if err != nil {
		t.Fatal(err)
	}
	do("dashboard with a dispute", chromedp.Navigate(s.srv.URL+"/merchant/en/"), chromedp.WaitVisible(chromedp.CSS(".counts")))
	shots("merchant-12-dashboard-dispute-en")
	do("dispute", chromedp.Click(chromedp.CSS(`a[href$="/disputes/`+d.ID+`"]`)), chromedp.WaitVisible(chromedp.CSS("#answer-amount")))
	shots("merchant-13-dispute-en")
	do("money", chromedp.Click(chromedp.CSS(`.links a[href$="/money"]`)), chromedp.WaitVisible(chromedp.CSS("#st-currency")))
	shots("merchant-14-money-en")
	do("new fr", chromedp.Navigate(s.srv.URL+"/merchant/fr/products/new"), chromedp.WaitVisible(chromedp.CSS("#title-fr")))
	shots("merchant-10-new-product-fr")
	t.Logf("screenshots in %s", tb.dir)
}
