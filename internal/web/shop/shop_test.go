package shop_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/demo"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/media"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/notify"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/search"
	"github.com/sesame-market/sesame/internal/share"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/web"
	"github.com/sesame-market/sesame/internal/web/api"
	"github.com/sesame-market/sesame/internal/web/webtest"
)

// store is the demo marketplace behind a real server on a real database.
type store struct {
	t   *testing.T
	srv *httptest.Server
	svc api.Services
	db  *sqlstore.DB
	// noRedirect is a client that shows redirects instead of following them.
	noRedirect *http.Client
	// mails, when set, is the mail consumer sync feeds too, whose queue
	// the storefront's mailbox page shows.
	mails *notify.Service
	// validator is the API's contract, built once (see contract).
	validator *webtest.Contract
}

// newMailStore is newStore with the demo's mailbox: the mail consumer
// follows the events sync hands on, and delivers to the mailbox page.
func newMailStore(t *testing.T, db *sqlstore.DB, products int) *store {
	t.Helper()
	mails := &notify.Service{Store: db.Mails(), Sender: notify.Mailbox{}, Users: db.Identity(), Orders: db.Orders(), Channels: channel.NewService(db.Channels()),
		Tokens: identity.NewService(db.Identity())}
	s := newStoreWith(t, db, products, web.Config{Mailbox: mails.Recent})
	mails.PublicURL, s.mails = s.srv.URL, mails
	return s
}

func newStore(t *testing.T, db *sqlstore.DB, products int) *store {
	t.Helper()
	return newStoreWith(t, db, products, web.Config{})
}

// newStoreWith is newStore with the server configured as cfg (its services,
// logger and ping are the store's).
func newStoreWith(t *testing.T, db *sqlstore.DB, products int, cfg web.Config) *store {
	t.Helper()
	chans := channel.NewService(db.Channels())
	svc := api.Services{Identity: identity.NewService(db.Identity()), Merchants: merchant.NewService(db.Merchants()), Channels: chans,
		Catalog: catalog.NewService(db.Catalog(), chans), Inventory: inventory.NewService(db.Inventory()), Stock: inventory.NewStock(db.Stock())}
	svc.Shares = share.NewService(db.Shares(), svc.Catalog)
	svc.Orders = order.NewService(db.Orders(), chans, svc.Stock, func(ctx context.Context, id string) (merchant.Terms, error) {
		return svc.Merchants.Terms(ctx, identity.System, id)
	})
	svc.Orders.Providers["sandbox"] = payment.Sandbox{Books: db.SandboxBooks()}
	svc.Orders.Shares = svc.Shares
	if _, err := demo.Seed(context.Background(), demo.Services{Identity: svc.Identity, Merchants: svc.Merchants, Channels: chans,
		Catalog: svc.Catalog, Inventory: svc.Inventory, Stock: svc.Stock, Orders: svc.Orders, Batch: 50}, products, nil); err != nil {
		t.Fatal(err)
	}
	svc.Search = search.New(chans.Channels, slog.New(slog.DiscardHandler))
	if err := svc.Search.Load(context.Background(), db.Catalog()); err != nil {
		t.Fatal(err)
	}
	cfg.Services, cfg.Logger, cfg.Ping = svc, slog.New(slog.DiscardHandler), db.Ping
	if cfg.Media == nil {
		cfg.Media = media.Dir(t.TempDir())
	}
	ws, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &store{t: t, srv: httptest.NewServer(ws), svc: svc, db: db}
	t.Cleanup(s.srv.Close)
	s.noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return s
}

// sync hands the events written since the last sync to the search engine,
// as the bus would: the outbox's pending rows, in order.
func (s *store) sync() {
	s.t.Helper()
	ctx := context.Background()
	for {
		evs, err := s.db.PendingEvents(ctx, 1000)
		if err != nil {
			s.t.Fatal(err)
		}
		if len(evs) == 0 {
			if s.mails != nil {
				if _, err := s.mails.SendDue(ctx); err != nil {
					s.t.Fatal(err)
				}
			}
			return
		}
		done := make([]string, len(evs))
		for i, e := range evs {
			if err := s.svc.Search.Handle(ctx, e); err != nil {
				s.t.Fatal(err)
			}
			if s.mails != nil {
				if err := s.mails.Handle(ctx, e); err != nil {
					s.t.Fatal(err)
				}
			}
			done[i] = e.ID
		}
		if err := s.db.MarkPublished(ctx, done); err != nil {
			s.t.Fatal(err)
		}
	}
}

// get fetches path with the given headers (name, value, ...) and returns
// the response and its body; a 5xx fails the test.
func (s *store) get(path string, headers ...string) (*http.Response, string) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := s.noRedirect.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 500 {
		s.t.Fatalf("GET %s: %d\n%s", path, res.StatusCode, b)
	}
	return res, string(b)
}

// page fetches a page that must answer 200 in HTML.
func (s *store) page(path string, headers ...string) string {
	s.t.Helper()
	res, body := s.get(path, headers...)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		s.t.Fatalf("GET %s: %d %s\n%s", path, res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	return body
}

var (
	productLinkRe = regexp.MustCompile(`<li class="card"><a href="([^"]+)">`)
	canonicalRe   = regexp.MustCompile(`<link rel="canonical" href="([^"]+)">`)
	alternateRe   = regexp.MustCompile(`<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">`)
	jsonLDRe      = regexp.MustCompile(`(?s)<script type="application/ld\+json">(.*?)</script>`)
	h1Re          = regexp.MustCompile(`<h1>([^<]*)</h1>`)
	nextRe        = regexp.MustCompile(`<a class="button" rel="next" href="([^"]+)">`)
	imgRe         = regexp.MustCompile(`<img src="([^"]+)"`)
	cssRe         = regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)">`)
	priceRe       = regexp.MustCompile(`<span class="price">([^<]*)</span>`)
)

func unescape(s string) string {
	r := strings.NewReplacer("&amp;", "&", "&#39;", "'", "&#34;", `"`, "&lt;", "<", "&gt;", ">")
	return r.Replace(s)
}

// TestStorefronts walks every channel in every language as a buyer would:
// the home page, a product from it, its image and the stylesheet, and
// checks what a crawler reads there (canonical, hreflang, JSON-LD).
func TestStorefronts(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newStore(t, db, 120)
		chans, err := s.svc.Channels.Channels(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range chans {
			for _, lang := range ch.Languages {
				home := "/" + ch.Code + "/" + lang + "/"
				body := s.page(home)
				if !strings.Contains(body, `<html lang="`+lang+`">`) {
					t.Errorf("%s: not in %s", home, lang)
				}
				if c := canonicalRe.FindStringSubmatch(body); c == nil || c[1] != s.srv.URL+home {
					t.Errorf("%s: canonical %v", home, c)
				}
				if n := len(alternateRe.FindAllStringSubmatch(body, -1)); n != len(ch.Languages) {
					t.Errorf("%s: %d hreflang links, want %d", home, n, len(ch.Languages))
				}
				links := productLinkRe.FindAllStringSubmatch(body, -1)
				if len(links) == 0 {
					t.Fatalf("%s shows no product", home)
				}
				css := cssRe.FindStringSubmatch(body)
				if css == nil {
					t.Fatalf("%s: no stylesheet", home)
				}
				if res, _ := s.get(css[1]); res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
					t.Errorf("stylesheet %s: %d, %q", css[1], res.StatusCode, res.Header.Get("Cache-Control"))
				}
				s.checkProduct(ch, lang, links[0][1])
			}
		}
	})
}

// checkProduct opens a product page and checks it against the product.
func (s *store) checkProduct(ch channel.Channel, lang, path string) {
	t := s.t
	t.Helper()
	body := s.page(path)
	id := path[strings.LastIndex(path, "prd_"):]
	v, err := s.svc.Catalog.PublicProduct(context.Background(), id, ch.Code, lang)
	if err != nil {
		t.Fatal(err)
	}
	if h := h1Re.FindStringSubmatch(body); h == nil || unescape(h[1]) != v.Title {
		t.Errorf("%s: h1 %v, want %q", path, h, v.Title)
	}
	if c := canonicalRe.FindStringSubmatch(body); c == nil || c[1] != s.srv.URL+path {
		t.Errorf("%s: canonical %v", path, c)
	}
	// Every language version names the same product, under its own slug.
	for _, alt := range alternateRe.FindAllStringSubmatch(body, -1) {
		if !strings.HasSuffix(alt[2], id) || !strings.Contains(alt[2], "/"+ch.Code+"/"+alt[1]+"/p/") {
			t.Errorf("%s: hreflang %s -> %s", path, alt[1], alt[2])
		}
	}
	ld := jsonLDRe.FindStringSubmatch(body)
	if ld == nil {
		t.Fatalf("%s: no JSON-LD", path)
	}
	var docs []map[string]any
	if err := json.Unmarshal([]byte(ld[1]), &docs); err != nil {
		t.Fatalf("%s: JSON-LD: %v\n%s", path, err, ld[1])
	}
	if len(docs) != 3 || docs[0]["@type"] != "Product" || docs[1]["@type"] != "BreadcrumbList" || docs[2]["@type"] != "Organization" {
		t.Fatalf("%s: JSON-LD types: %v", path, docs)
	}
	if docs[0]["name"] != v.Title {
		t.Errorf("%s: JSON-LD name %v, want %q", path, docs[0]["name"], v.Title)
	}
	offers, _ := docs[0]["offers"].([]any)
	if len(offers) != len(v.Variants) {
		t.Errorf("%s: %d offers for %d variants", path, len(offers), len(v.Variants))
	}
	for _, o := range offers {
		o := o.(map[string]any)
		if o["priceCurrency"] != ch.Currencies[0] || !regexp.MustCompile(`^\d+(\.\d+)?$`).MatchString(o["price"].(string)) {
			t.Errorf("%s: offer %v", path, o)
		}
	}
	img := imgRe.FindStringSubmatch(body)
	if img == nil {
		t.Fatalf("%s: no image", path)
	}
	res, svg := s.get(img[1])
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("image %s: %d %s", img[1], res.StatusCode, res.Header.Get("Content-Type"))
	}
	if err := xml.Unmarshal([]byte(svg), new(struct{ XMLName xml.Name })); err != nil {
		t.Errorf("image %s is not well-formed: %v", img[1], err)
	}
	// The browser asks again with the ETag: nothing to send.
	if res, _ := s.get(img[1], "If-None-Match", res.Header.Get("Etag")); res.StatusCode != http.StatusNotModified {
		t.Errorf("image %s revalidated: %d", img[1], res.StatusCode)
	}
}

// TestChannelAddress: a channel's bare address leads to its storefront in
// the browser's language.
func TestChannelAddress(t *testing.T) {
	s := newStore(t, testkit.Open(t, sqlstore.SQLite), 5)
	for lang, want := range map[string]string{"": "/mall/zh/", "en-US,en;q=0.9": "/mall/en/", "fr": "/mall/zh/"} {
		res, _ := s.get("/mall", "Accept-Language", lang)
		if res.StatusCode != http.StatusFound || res.Header.Get("Location") != want {
			t.Errorf("/mall for %q: %d to %q, want %s", lang, res.StatusCode, res.Header.Get("Location"), want)
		}
	}
}

// TestProductAddresses: a product has one address per language; an old
// slug or the bare id is sent there for good, and a product not listed on
// the channel is not found there.
func TestProductAddresses(t *testing.T) {
	s := newStore(t, testkit.Open(t, sqlstore.SQLite), 40)
	body := s.page("/bazaar/en/")
	path := productLinkRe.FindStringSubmatch(body)[1]
	id := path[strings.LastIndex(path, "prd_"):]
	for _, old := range []string{"/bazaar/en/p/" + id, "/bazaar/en/p/an-old-title-" + id} {
		res, _ := s.get(old)
		if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != path {
			t.Errorf("%s: %d to %q, want 301 to %s", old, res.StatusCode, res.Header.Get("Location"), path)
		}
	}
	// Luxe admits only some maisons: a bazaar product that is not one of
	// theirs is not there.
	luxe := s.page("/luxe/en/new")
	for _, m := range productLinkRe.FindAllStringSubmatch(s.page("/bazaar/en/new"), -1) {
		pid := m[1][strings.LastIndex(m[1], "prd_"):]
		if strings.Contains(luxe, pid) {
			continue
		}
		if res, _ := s.get("/luxe/en/p/x-" + pid); res.StatusCode != http.StatusNotFound {
			t.Errorf("bazaar product %s on luxe: %d", pid, res.StatusCode)
		}
		break
	}
}

// TestLuxeShowsOnlyItsMaisons walks the curated channel's whole list: every
// product is one of an admitted merchant's.
func TestLuxeShowsOnlyItsMaisons(t *testing.T) {
	s := newStore(t, testkit.Open(t, sqlstore.SQLite), 300)
	ctx := context.Background()
	luxe, err := s.svc.Channels.Channel(ctx, "luxe")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := s.svc.Channels.Rules(ctx, luxe.ID)
	if err != nil {
		t.Fatal(err)
	}
	admitted := map[string]bool{}
	for _, m := range rules.Merchants {
		admitted[m] = true
	}
	seen, _ := s.walk("/luxe/en/new")
	for id := range seen {
		v, err := s.svc.Catalog.PublicProduct(ctx, id, "luxe", "en")
		if err != nil {
			t.Fatal(err)
		}
		if !admitted[v.Merchant.ID] {
			t.Errorf("luxe shows %s of %s, not admitted", id, v.Merchant.Name)
		}
	}
	want, err := s.svc.Catalog.ChannelPage(ctx, "luxe", "en", "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) == 0 || len(seen) < len(want.Items) {
		t.Errorf("the luxe list shows %d products, the channel lists at least %d", len(seen), len(want.Items))
	}
}

// walk follows a product list from path to its last page, and returns the
// products it showed and how many pages; a product shown twice fails.
func (s *store) walk(path string) (map[string]bool, int) {
	s.t.Helper()
	seen, pages := map[string]bool{}, 0
	for ; path != ""; pages++ {
		if pages > 1000 {
			s.t.Fatal("the list does not end")
		}
		body := s.page(path)
		for _, m := range productLinkRe.FindAllStringSubmatch(body, -1) {
			id := m[1][strings.LastIndex(m[1], "prd_"):]
			if seen[id] {
				s.t.Errorf("%s shown twice", id)
			}
			seen[id] = true
		}
		path = ""
		if n := nextRe.FindStringSubmatch(body); n != nil {
			path = unescape(n[1])
		}
	}
	return seen, pages
}

// TestCurrency: prices follow the market the browser's language names,
// then the buyer's choice, kept in a cookie; a choice the channel does not
// sell in, or a cross-site form, changes nothing.
func TestCurrency(t *testing.T) {
	s := newStore(t, testkit.Open(t, sqlstore.SQLite), 30)
	first := func(body string) string {
		m := priceRe.FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no price on the page")
		}
		return m[1]
	}
	if p := first(s.page("/bazaar/en/")); !strings.Contains(p, "€") {
		t.Errorf("default price %q, want euros", p)
	}
	if p := first(s.page("/bazaar/en/", "Accept-Language", "en-GB,en;q=0.8")); !strings.Contains(p, "£") {
		t.Errorf("price for en-GB %q, want pounds", p)
	}
	post := func(form url.Values, headers ...string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/bazaar/en/currency", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		res, err := s.noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := post(url.Values{"currency": {"GBP"}, "back": {"/bazaar/en/new"}}, "Sec-Fetch-Site", "same-origin")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/bazaar/en/new" {
		t.Fatalf("choosing GBP: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "sesame_currency" {
			cookie = c
		}
	}
	if cookie == nil || cookie.Value != "GBP" || !cookie.HttpOnly {
		t.Fatalf("cookie %v", cookie)
	}
	if p := first(s.page("/bazaar/en/", "Cookie", cookie.String())); !strings.Contains(p, "£") {
		t.Errorf("price after choosing GBP %q", p)
	}
	// A back address elsewhere is not followed.
	if res := post(url.Values{"currency": {"GBP"}, "back": {"https://evil.example/"}}); res.Header.Get("Location") != "/bazaar/en/" {
		t.Errorf("back elsewhere: sent to %q", res.Header.Get("Location"))
	}
	for name, res := range map[string]*http.Response{
		"a currency bazaar does not sell in": post(url.Values{"currency": {"CNY"}}),
		"a cross-site form":                  post(url.Values{"currency": {"GBP"}}, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"),
	} {
		if res.StatusCode < 400 || len(res.Cookies()) > 0 {
			t.Errorf("%s: %d, cookies %v", name, res.StatusCode, res.Cookies())
		}
	}
}

// TestListWalk: the list pages hold every listed product once, in order.
func TestListWalk(t *testing.T) {
	s := newStore(t, testkit.Open(t, sqlstore.SQLite), 130)
	seen, pages := s.walk("/mall/zh/new")
	var want int
	for cursor := ""; ; {
		pg, err := s.svc.Catalog.ChannelPage(context.Background(), "mall", "zh", cursor, 100)
		if err != nil {
			t.Fatal(err)
		}
		want += len(pg.Items)
		if cursor = pg.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != want || pages < 2 {
		t.Errorf("walked %d products in %d pages, the channel lists %d", len(seen), pages, want)
	}
}

// TestHostileAddresses: whatever a storefront address holds, the answer is
// a clear page, never a 500, and nothing of it comes back unescaped.
func TestHostileAddresses(t *testing.T) {
	s := newStore(t, testkit.Open(t, sqlstore.SQLite), 10)
	long := strings.Repeat("a", 10<<10)
	for path, want := range map[string]int{
		"/nowhere/en/":                      404,
		"/bazaar/xx/":                       404,
		"/bazaar/zh/":                       404, // bazaar is not in Chinese
		"/bazaar/en/new?after=not-a-cursor": 400,
		"/bazaar/en/new?after=" + long:      400,
		"/bazaar/en/p/" + long:              404,
		"/bazaar/en/p/prd_01a2352f24fc76bc971b52b636fd0fe2": 404,
		"/bazaar/en/p/%3Cscript%3Ealert(1)%3C%2Fscript%3E":  404,
		"/bazaar/en/p/x-prd_%27%22%3E%3Cb%3E":               404,
		"/bazaar/en/p/%ff%fe":                               404,
		"/bazaar/en/unknown/page":                           404,
		"/%3Cscript%3E/en/":                                 404,
		"/nowhere":                                          404,
		"/media/demo/prd_x.svg":                             404,
		"/media/demo/nothing":                               404,
		"/static/shop/nothing.css":                          404,
	} {
		res, body := s.get(path)
		if res.StatusCode != want {
			t.Errorf("%.80s: %d, want %d", path, res.StatusCode, want)
		}
		if strings.Contains(body, "<script>") || strings.Contains(body, "<b>") {
			t.Errorf("%.80s: reflected unescaped", path)
		}
		if strings.HasPrefix(path, "/nowhere") && res.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %s, want the API's problem (no such channel)", path, res.Header.Get("Content-Type"))
		}
		if want == 404 && strings.HasPrefix(path, "/bazaar/") && !strings.Contains(body, `<a class="brand" href="/bazaar/`) {
			t.Errorf("%.80s: the error page is not bazaar's", path)
		}
	}
}
