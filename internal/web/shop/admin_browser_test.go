package shop_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestConsoleInABrowser walks an operator's path in a real browser: sign
// in to the console, open the waiting applications, approve one, register
// a marketplace brand and authorise the new merchant to use it; then the
// same pages in Chinese, and the registry in French. Screenshots of each
// step, desktop (1280×900) and phone (390×844), are saved for review.
func TestConsoleInABrowser(t *testing.T) {
	tb, s := demoTab(t, 50)
	do, text := tb.do, tb.text
	m := s.apply("Atelier Lumen", "owner@atelier-lumen.example")
	shots := func(name string) {
		t.Helper()
		do("desktop", chromedp.EmulateViewport(1280, 900))
		tb.shot(name)
		do("phone", chromedp.EmulateViewport(390, 844))
		tb.shot(name + "-phone")
		do("desktop", chromedp.EmulateViewport(1280, 900))
	}
	do("desktop", chromedp.EmulateViewport(1280, 900))

	// Signed out, the console asks the operator to sign in, then opens.
	do("console", chromedp.Navigate(s.srv.URL+"/admin/en/"), chromedp.WaitVisible(chromedp.CSS("#email")))
	shots("console-1-signin-en")
	do("sign in", chromedp.SendKeys(chromedp.CSS("#email"), operatorEmail), chromedp.SendKeys(chromedp.CSS("#password"), "sesame-demo"),
		chromedp.Submit(chromedp.CSS("#password")), chromedp.WaitVisible(chromedp.CSS(".counts")))
	if got := text(".counts"); !strings.HasPrefix(got, "2\napplications waiting") {
		t.Fatalf("the dashboard reads %q", got)
	}
	shots("console-2-dashboard-en")

	// The waiting applications, one of them, approved.
	do("applications", chromedp.Click(chromedp.CSS(`.counts a[href$="status=pending"]`)), chromedp.WaitVisible(chromedp.CSS("table.data")))
	if got := text("table.data tbody"); !strings.Contains(got, "Atelier Lumen") {
		t.Fatalf("the waiting applications read %q", got)
	}
	shots("console-3-applications-en")
	do("application", chromedp.Click(chromedp.CSS(`table.data a[href$="`+m.ID+`"]`)), chromedp.WaitVisible(chromedp.CSS("#reject-reason")))
	shots("console-4-application-en")
	// A reason of blanks is refused on the page, the application still waiting.
	do("reject without a reason", chromedp.SendKeys(chromedp.CSS("#reject-reason"), "   "), chromedp.Click(chromedp.CSS(`form[action$="/reject"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#form-error")))
	if got := text("#form-error"); !strings.Contains(got, "Give a reason") {
		t.Fatalf("the refused rejection reads %q", got)
	}
	shots("console-4a-reason-refused-en")
	do("approve", chromedp.Click(chromedp.CSS(`form[action$="/approve"] button`)), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := text(".notice"); !strings.Contains(got, "approved") {
		t.Fatalf("after approving, the notice reads %q", got)
	}
	shots("console-5-approved-en")
	if got, err := s.svc.Merchants.Merchant(tb.ctx, identity.System, m.ID); err != nil || got.Status != merchant.Approved || got.StatusReason != "" {
		t.Fatalf("the merchant is %s (%v)", got.Status, err)
	}

	// A marketplace brand, then the new merchant authorised to use it.
	do("brands", chromedp.Click(chromedp.CSS(`.links a[href$="/brands"]`)), chromedp.WaitVisible(chromedp.CSS("#brand-name")))
	shots("console-6-brands-en")
	do("register", chromedp.SendKeys(chromedp.CSS("#brand-name"), "Sesame Select"), chromedp.SendKeys(chromedp.CSS("#brand-slug"), "sesame-select"),
		chromedp.Submit(chromedp.CSS("#brand-slug")), chromedp.WaitVisible(chromedp.CSS("#merchant")))
	do("authorise", chromedp.SetValue(chromedp.CSS("#merchant"), m.ID), chromedp.Click(chromedp.CSS(`form[action$="/authorise"] button`)),
		chromedp.WaitVisible(chromedp.CSS("table.data")))
	if got := text("table.data tbody"); !strings.Contains(got, "Atelier Lumen") {
		t.Fatalf("the authorised merchants read %q", got)
	}
	shots("console-7-brand-authorised-en")

	// The same in Chinese.
	do("dashboard zh", chromedp.Click(chromedp.CSS(`.langs a[hreflang="zh"]`)), chromedp.WaitVisible(chromedp.CSS("table.data")))
	if got := text("h2"); !strings.Contains(got, "获授权使用的商家") {
		t.Fatalf("the brand's page in Chinese reads %q", got)
	}
	shots("console-8-brand-zh")
	do("applications zh", chromedp.Navigate(s.srv.URL+"/admin/zh/applications?status="), chromedp.WaitVisible(chromedp.CSS("table.data")))
	shots("console-9-applications-zh")
	do("application zh", chromedp.Navigate(s.srv.URL+"/admin/zh/applications/"+m.ID), chromedp.WaitVisible(chromedp.CSS("#suspend-reason")))
	shots("console-10-application-zh")
	// French, whose words run longest.
	do("brands fr", chromedp.Navigate(s.srv.URL+"/admin/fr/brands"), chromedp.WaitVisible(chromedp.CSS("#brand-name")))
	shots("console-11-brands-fr")
	t.Logf("screenshots in %s", tb.dir)
}

// TestPayoutsConsoleInABrowser: the operator runs the reconciliation of
// the last week on the console's payouts page after a buyer's payment and
// a payout at the sandbox: they match, with no difference. In English,
// Chinese and French, desktop and phone.
func TestPayoutsConsoleInABrowser(t *testing.T) {
	tb, s := demoTab(t, 300)
	do, text := tb.do, tb.text
	o := confirmedOrder(t, s, "bazaar", "EUR", testkit.Paris(), inStock(t, s, "bazaar", "Savonnerie", "FR"))
	if _, err := s.svc.Orders.RunPayouts(context.Background()); err != nil {
		t.Fatal(err)
	}
	do("desktop", chromedp.EmulateViewport(1280, 900))
	do("console", chromedp.Navigate(s.srv.URL+"/admin/en/payouts"), chromedp.WaitVisible(chromedp.CSS("#email")))
	do("sign in", chromedp.SendKeys(chromedp.CSS("#email"), operatorEmail), chromedp.SendKeys(chromedp.CSS("#password"), "sesame-demo"),
		chromedp.Submit(chromedp.CSS("#password")), chromedp.WaitVisible(chromedp.CSS("#recon-from")))
	do("reconcile", chromedp.Click(chromedp.CSS(`form[action$="payouts#reconciliation"] button`)), chromedp.WaitVisible(chromedp.CSS(`#reconciliation ~ [role="status"]`)))
	if got := text(`#reconciliation ~ [role="status"]`); !strings.Contains(got, "movements match. No difference.") || strings.HasPrefix(got, "0 ") {
		t.Errorf("the reconciliation reads %q", got)
	}
	for _, lang := range []string{"en", "zh", "fr"} {
		if lang != "en" {
			do("payouts "+lang, chromedp.Navigate(s.srv.URL+"/admin/"+lang+"/payouts?from=&to="), chromedp.WaitVisible(chromedp.CSS("#recon-from")))
			do("reconcile "+lang, chromedp.Click(chromedp.CSS(`form[action$="payouts#reconciliation"] button`)), chromedp.WaitVisible(chromedp.CSS(`#reconciliation ~ [role="status"]`)))
		}
		tb.shot("console-payouts-" + lang)
		tb.phoneShot("console-payouts-" + lang)
	}

	// The order, paid out already, refunded in part after completion: the
	// merchant now owes it, and the next reconciliation has the refund.
	do("orders", chromedp.Navigate(s.srv.URL+"/admin/fr/orders"), chromedp.WaitVisible(chromedp.CSS("#order-id")))
	do("find", chromedp.SendKeys(chromedp.CSS("#order-id"), o.ID), chromedp.Submit(chromedp.CSS("#order-id")), chromedp.WaitVisible(chromedp.CSS("#refund-amount")))
	tb.shot("console-order-fr")
	tb.phoneShot("console-order-fr")
	do("refund", chromedp.SetValue(chromedp.CSS("#refund-amount"), "10,00"), chromedp.SendKeys(chromedp.CSS("#refund-reason"), "Le fabricant a rappelé ce lot."),
		chromedp.Click(chromedp.CSS(`form[action$="/refund"] button`)), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := text(".facts-list"); !strings.Contains(got, "10,00") {
		t.Errorf("the refunded order reads %q", got)
	}
	tb.shot("console-order-refunded-fr")
	do("reconcile after", chromedp.Navigate(s.srv.URL+"/admin/zh/payouts?from=&to="), chromedp.WaitVisible(chromedp.CSS("#recon-from")),
		chromedp.Click(chromedp.CSS(`form[action$="payouts#reconciliation"] button`)), chromedp.WaitVisible(chromedp.CSS(`#reconciliation ~ [role="status"]`)))
	if got := text(`#reconciliation ~ [role="status"]`); !strings.HasPrefix(got, "3 ") {
		t.Errorf("the reconciliation after the refund reads %q", got)
	}
	tb.shot("console-payouts-refunded-zh")
	t.Logf("screenshots in %s", tb.dir)
}
