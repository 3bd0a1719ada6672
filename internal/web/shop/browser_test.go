package shop_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// browser starts a headless Chromium (Debian's) for t, or skips t when
// there is none (fails in CI, where .ci/run installs it). It returns the
// tab's context and the folder its screenshots go to.
func browser(t *testing.T) (context.Context, string) {
	t.Helper()
	exe := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			exe = p
			break
		}
	}
	if exe == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no chromium: .ci/run installs it")
		}
		t.Skip("no chromium on this machine")
	}
	// Screenshots go to $SESAME_ARTIFACTS/browser, by default the
	// repository's .artifacts folder (ignored by git).
	dir := os.Getenv("SESAME_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", ".artifacts")
	}
	dir = filepath.Join(dir, "browser")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1366, 1000),
		chromedp.Flag("no-first-run", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		// A dead proxy stops the browser's own calls to outside hosts;
		// loopback pages bypass it.
		chromedp.ProxyServer("http://127.0.0.1:9")}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(cancelTab)
	ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelTime)
	return ctx, dir
}

// demoTab opens a browser tab for t on a demo marketplace of products
// products on SQLite, its events handed to the search engine.
func demoTab(t *testing.T, products int) (tab, *store) {
	t.Helper()
	ctx, dir := browser(t)
	s := newStore(t, testkit.Open(t, sqlstore.SQLite), products)
	s.sync()
	return tab{t, ctx, dir}, s
}

// tab is a browser tab of a test: its steps fail the test, its
// screenshots go to dir.
type tab struct {
	t   *testing.T
	ctx context.Context
	dir string
}

// shot saves a full-page screenshot as name.png.
func (b tab) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// phoneShot saves a full-page screenshot of the page at a phone's width
// as name-phone.png, and returns to the desktop's.
func (b tab) phoneShot(name string) {
	b.t.Helper()
	b.do("phone", chromedp.EmulateViewport(390, 844))
	b.shot(name + "-phone")
	b.do("desktop", chromedp.EmulateViewport(1366, 1000))
}

// do runs steps, failing the test with what when one fails.
func (b tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// text is the text of the first element sel matches.
func (b tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// TestBuyerInABrowser walks a buyer's path in a real browser: a search in
// French, the filter "ships from France", a product, English and GBP; the
// same in Chinese on the mall; a luxe search that shows only its maisons.
// Screenshots of each step, desktop and phone, are saved for review.
func TestBuyerInABrowser(t *testing.T) {
	tb, s := demoTab(t, 300)
	ctx, dir := tb.ctx, tb.dir
	shot, do, text := tb.shot, tb.do, tb.text
	location := func() string {
		t.Helper()
		l, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return l
	}

	// A French buyer searches from the home page.
	do("home", chromedp.Navigate(s.srv.URL+"/bazaar/fr/"), chromedp.WaitVisible(chromedp.CSS("#find-q")))
	do("search", chromedp.SendKeys(chromedp.CSS("#find-q"), "savon lavande"), chromedp.Submit(chromedp.CSS("#find-q")),
		chromedp.WaitVisible(chromedp.CSS(".total")))
	if l := location(); !strings.Contains(l, "/bazaar/fr/search?q=savon+lavande") {
		t.Fatalf("the search form led to %s", l)
	}
	if got := text(".total"); !strings.Contains(got, "produit") || strings.HasPrefix(got, "0 ") {
		t.Fatalf("search shows %q", got)
	}
	shot("1-search-fr")
	// Ships from France.
	do("filter", chromedp.Click(chromedp.CSS(`#facet-ships + ul a[href*="ships_from=FR"]`)), chromedp.WaitVisible(chromedp.CSS(".active a")))
	if got := text(".active a"); !strings.Contains(got, "France") {
		t.Fatalf("the active filter reads %q", got)
	}
	shot("2-ships-from-france")
	// A product.
	do("product", chromedp.Click(chromedp.CSS(".card a")), chromedp.WaitVisible(chromedp.CSS("h1")))
	if l := location(); !strings.Contains(l, "/bazaar/fr/p/") {
		t.Fatalf("the card led to %s", l)
	}
	shot("3-product-fr")
	// English, then GBP.
	do("english", chromedp.Click(chromedp.CSS(`.langs a[hreflang="en"]`)), chromedp.WaitVisible(chromedp.CSS("h1")))
	if l := location(); !strings.Contains(l, "/bazaar/en/") {
		t.Fatalf("English led to %s", l)
	}
	do("open a product in English", chromedp.Navigate(s.srv.URL+"/bazaar/en/search?q=soap"), chromedp.WaitVisible(chromedp.CSS(".card a")),
		chromedp.Click(chromedp.CSS(".card a")), chromedp.WaitVisible(chromedp.CSS("#currency")))
	do("GBP", chromedp.SetValue(chromedp.CSS("#currency"), "GBP"), chromedp.Submit(chromedp.CSS("#currency")), chromedp.WaitVisible(chromedp.CSS("h1")))
	if got := text(".price"); !strings.Contains(got, "£") {
		t.Fatalf("after choosing GBP the price reads %q", got)
	}
	shot("4-product-en-gbp")
	// The buyer signs in to share the product, and gets the link.
	product := location()
	do("sign in to share", chromedp.Click(chromedp.CSS(".share a")), chromedp.WaitVisible(chromedp.CSS("#email")))
	shot("4a-sign-in")
	do("sign in", chromedp.SendKeys(chromedp.CSS("#email"), buyerEmail), chromedp.SendKeys(chromedp.CSS("#password"), "sesame-demo"),
		chromedp.Submit(chromedp.CSS("#password")), chromedp.WaitVisible(chromedp.CSS(".share button")))
	if l := location(); l != product {
		t.Fatalf("signing in led to %s, not back to %s", l, product)
	}
	do("share", chromedp.Click(chromedp.CSS(".share button")), chromedp.WaitVisible(chromedp.CSS(".shares .fresh input")))
	link, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(".shares .fresh input")))
	if err != nil || !strings.Contains(link, "/s/") {
		t.Fatalf("the shared link reads %q (%v)", link, err)
	}
	shot("4b-shared-link")
	do("sign out", chromedp.Submit(chromedp.CSS(".signout button")), chromedp.WaitVisible(chromedp.CSS("#find-q")))
	// A friend opens the link and lands on the product.
	do("follow the link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("h1")))
	if l := location(); !strings.Contains(l, "/bazaar/") || !strings.Contains(l, "/p/") {
		t.Fatalf("the shared link led to %s", l)
	}
	// Phone width: the filters fold away above the results.
	do("phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(s.srv.URL+"/bazaar/fr/search?q=coque"), chromedp.WaitVisible(chromedp.CSS(".total")))
	shot("5-search-fr-phone")
	do("desktop", chromedp.EmulateViewport(1366, 1000))

	// Chinese on the mall.
	do("mall", chromedp.Navigate(s.srv.URL+"/mall/zh/"), chromedp.WaitVisible(chromedp.CSS("#find-q")),
		chromedp.SendKeys(chromedp.CSS("#find-q"), "手机壳"), chromedp.Submit(chromedp.CSS("#find-q")), chromedp.WaitVisible(chromedp.CSS(".total")))
	if got := text(".total"); !strings.Contains(got, "件商品") || strings.HasPrefix(got, "0 ") {
		t.Fatalf("mall search shows %q", got)
	}
	shot("6-search-zh-mall")
	do("mall product", chromedp.Click(chromedp.CSS(".card a")), chromedp.WaitVisible(chromedp.CSS("h1")))
	shot("7-product-zh-mall")

	// Luxe: only the admitted maisons.
	do("luxe", chromedp.Navigate(s.srv.URL+"/luxe/en/search"), chromedp.WaitVisible(chromedp.CSS(".total")))
	brands, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#facet-brand + ul")))
	if err != nil {
		t.Fatal(err)
	}
	for _, bazaarOnly := range []string{"ArmorLite", "Yiwu Style", "Pearl River", "Roamwell"} {
		if strings.Contains(brands, bazaarOnly) {
			t.Errorf("luxe search lists the brand %s", bazaarOnly)
		}
	}
	shot("8-search-luxe")
	t.Logf("screenshots in %s", dir)
}

// TestPasswordResetInABrowser: a buyer who forgot the password follows
// "Forgot your password?" from the sign-in page, asks for a link, opens it
// from the demo's mailbox, chooses a new password and signs in with it;
// the account page then shows the address confirmed. Screenshots of each
// step, desktop and phone.
func TestPasswordResetInABrowser(t *testing.T) {
	ctx, dir := browser(t)
	s := newMailStore(t, testkit.Open(t, sqlstore.SQLite), 20)
	s.sync()
	b := tab{t, ctx, dir}
	shot, do, text, phone := b.shot, b.do, b.text, b.phoneShot

	// Signed in, the account says the address is not confirmed yet and
	// sends the link again.
	do("sign in first", chromedp.Navigate(s.srv.URL+"/bazaar/fr/signin?next=/bazaar/fr/account"), chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), buyerEmail), chromedp.SendKeys(chromedp.CSS("#password"), "sesame-demo"),
		chromedp.Submit(chromedp.CSS("#password")), chromedp.WaitVisible(chromedp.CSS("#verification form button")))
	do("send the link again", chromedp.Click(chromedp.CSS("#verification form button")), chromedp.WaitVisible(chromedp.CSS("#verification .notice")))
	if got := text("#verification"); !strings.Contains(got, "Pas encore confirmée") || !strings.Contains(got, "Un nouveau lien") {
		t.Fatalf("the account's address reads %q", got)
	}
	shot("r0-account-unverified")
	phone("r0-account-unverified")
	do("sign out", chromedp.Submit(chromedp.CSS(".signout button")), chromedp.WaitVisible(chromedp.CSS("#find-q")))

	do("sign-in page", chromedp.Navigate(s.srv.URL+"/bazaar/fr/signin"), chromedp.WaitVisible(chromedp.CSS(`a[href$="/forgot"]`)))
	do("forgot", chromedp.Click(chromedp.CSS(`a[href$="/forgot"]`)), chromedp.WaitVisible(chromedp.CSS("#email")))
	shot("r1-forgot")
	phone("r1-forgot")
	do("ask for a link", chromedp.SendKeys(chromedp.CSS("#email"), buyerEmail), chromedp.Submit(chromedp.CSS("#email")),
		chromedp.WaitVisible(chromedp.CSS(".done")))
	if got := text(".done"); !strings.Contains(got, "Si un compte existe") {
		t.Fatalf("after asking: %q", got)
	}
	shot("r2-forgot-sent")

	s.sync() // the mail consumer gets the request
	do("mailbox", chromedp.Navigate(s.srv.URL+"/bazaar/fr/mailbox"), chromedp.WaitVisible(chromedp.CSS(".mails li summary")),
		chromedp.Click(chromedp.CSS(".mails li summary")), chromedp.WaitVisible(chromedp.CSS(`.mails li .mail-body a[href*="/reset?token="]`)))
	shot("r3-mailbox")
	phone("r3-mailbox")
	do("the link", chromedp.Click(chromedp.CSS(`.mails li .mail-body a[href*="/reset?token="]`)), chromedp.WaitVisible(chromedp.CSS("#password")))
	shot("r4-reset")
	phone("r4-reset")
	do("a new password", chromedp.SendKeys(chromedp.CSS("#password"), "a brand new password"), chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(".done")))
	shot("r5-reset-done")
	phone("r5-reset-done")

	do("sign in", chromedp.Click(chromedp.CSS(`.wrap a.button[href$="/signin"]`)), chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), buyerEmail), chromedp.SendKeys(chromedp.CSS("#password"), "a brand new password"),
		chromedp.Submit(chromedp.CSS("#password")), chromedp.WaitNotPresent(chromedp.CSS("#password")))
	do("account", chromedp.Navigate(s.srv.URL+"/bazaar/en/account"), chromedp.WaitVisible(chromedp.CSS("#verification")))
	if got := text("#verification"); !strings.Contains(got, "Confirmed") {
		t.Fatalf("the account's address reads %q", got)
	}
	if got := text(".facts-list"); !strings.Contains(got, buyerEmail) {
		t.Fatalf("signed in as %q", got)
	}
	shot("r6-account")
	phone("r6-account")
	t.Logf("screenshots in %s", dir)
}
