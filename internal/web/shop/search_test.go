package shop_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/web/api"
	"github.com/sesame-market/sesame/internal/web/webtest"
)

// searchAPI calls GET /api/v1/search and checks the answer against the
// OpenAPI document; it returns the status and, for a 200, the result.
func (s *store) searchAPI(query string) (int, api.SearchResult) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.srv.URL+"/api/v1/search?"+query, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if err := s.contract().Check(req, nil, res, body); err != nil {
		s.t.Errorf("GET /api/v1/search?%s breaks the contract: %v\n%s", query, err, body)
	}
	var out api.SearchResult
	if res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &out); err != nil {
			s.t.Fatal(err)
		}
	}
	return res.StatusCode, out
}

func (s *store) contract() *webtest.Contract {
	s.t.Helper()
	if s.validator != nil {
		return s.validator
	}
	_, doc := s.get("/openapi.json")
	c, err := webtest.NewContract([]byte(doc))
	if err != nil {
		s.t.Fatal(err)
	}
	s.validator = c
	return c
}

// shown is what the database says channel code shows.
func (s *store) shown(code string) []events.Listing {
	s.t.Helper()
	ch, err := s.svc.Channels.Channel(context.Background(), code)
	if err != nil {
		s.t.Fatal(err)
	}
	var out []events.Listing
	for after := ""; ; {
		ls, err := s.db.Catalog().ChannelListings(context.Background(), ch.ID, after, 500)
		if err != nil {
			s.t.Fatal(err)
		}
		out = append(out, ls...)
		if len(ls) < 500 {
			return out
		}
		after = ls[len(ls)-1].ProductID
	}
}

// every pages through a search of the API and returns every item.
func (s *store) every(query string) []api.SearchItem {
	s.t.Helper()
	var out []api.SearchItem
	cursor := ""
	for range 100 {
		q := query + "&limit=100"
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		status, r := s.searchAPI(q)
		if status != http.StatusOK {
			s.t.Fatalf("%s: %d", q, status)
		}
		out = append(out, r.Items...)
		if cursor = r.NextCursor; cursor == "" {
			if len(out) != r.Total {
				s.t.Fatalf("%s: %d items over the pages, total says %d", query, len(out), r.Total)
			}
			return out
		}
	}
	s.t.Fatalf("%s: too many pages", query)
	return nil
}

// TestSearch checks the API's search against the database on both engines:
// what a query and its filters find, what a curated channel shows, and the
// contract of every answer, errors included.
func TestSearch(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newStore(t, db, 300)
		s.sync()
		bazaar := s.shown("bazaar")
		var phoneCases, fromFrance int
		for _, l := range bazaar {
			if l.Category[len(l.Category)-1].Slug == "phone-cases" {
				phoneCases++
			}
			if l.ShipsFrom == "FR" {
				fromFrance++
			}
		}
		if phoneCases == 0 || fromFrance == 0 {
			t.Fatalf("the demo has %d phone cases and %d products from France on bazaar", phoneCases, fromFrance)
		}
		// "coques" (plural, French) finds every phone case: by title or by
		// the category's name, "Coques de téléphone".
		items := s.every("channel=bazaar&lang=fr&q=coques")
		if len(items) != phoneCases {
			t.Errorf("coques: %d found, %d phone cases listed", len(items), phoneCases)
		}
		_, r := s.searchAPI("channel=bazaar&lang=fr&q=coque")
		if len(r.Facets.Categories) != 1 || r.Facets.Categories[0].Slug != "phone-cases" || r.Facets.Categories[0].Count != phoneCases {
			t.Errorf("category facet of coque: %+v", r.Facets.Categories)
		}
		// Ships from France: the filter and the facet agree with the database.
		items = s.every("channel=bazaar&lang=en&ships_from=FR")
		if len(items) != fromFrance {
			t.Errorf("ships from FR: %d found, %d listed", len(items), fromFrance)
		}
		_, r = s.searchAPI("channel=bazaar&lang=en&ships_from=FR")
		var counted int
		for _, v := range r.Facets.ShipsFrom {
			if v.Value == "FR" {
				counted = v.Count
			}
		}
		if counted != fromFrance || len(r.Facets.ShipsFrom) < 2 {
			t.Errorf("ships-from facet while filtered on FR: %+v", r.Facets.ShipsFrom)
		}
		// Prices are in the currency asked for, and sorted when asked.
		_, r = s.searchAPI("channel=bazaar&currency=GBP&sort=price_asc&limit=50")
		if r.Currency != "GBP" || !slices.IsSortedFunc(r.Items, func(a, b api.SearchItem) int { return int(a.Price - b.Price) }) {
			t.Errorf("GBP by price: %s, %v", r.Currency, r.Items)
		}

		// Luxe shows only its admitted maisons: exactly what it lists.
		luxe := s.shown("luxe")
		if len(luxe) == 0 {
			t.Fatal("luxe lists nothing")
		}
		var want []string
		for _, l := range luxe {
			want = append(want, l.ProductID)
		}
		var got []string
		for _, it := range s.every("channel=luxe&lang=zh") {
			got = append(got, it.ID)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("luxe search shows %d products, luxe lists %d", len(got), len(want))
		}
		if _, r := s.searchAPI("channel=luxe&lang=fr&q=coque"); r.Total != 0 {
			t.Errorf("luxe finds %d phone cases (bazaar goods)", r.Total)
		}
		// Chinese on the mall.
		if _, r := s.searchAPI("channel=mall&lang=zh&q=" + url.QueryEscape("手机壳")); r.Total == 0 {
			t.Error("mall: 手机壳 finds nothing")
		}

		// Refusals, each a problem the contract declares.
		for q, status := range map[string]int{
			"channel=nope":                                       http.StatusNotFound,
			"channel=bazaar&sort=random":                         http.StatusUnprocessableEntity,
			"channel=bazaar&limit=1000":                          http.StatusUnprocessableEntity,
			"channel=bazaar&q=" + strings.Repeat("a", 10_000):    http.StatusUnprocessableEntity,
			"channel=bazaar&cursor=garbage":                      http.StatusUnprocessableEntity,
			"channel=bazaar&price_min=500&price_max=100":         http.StatusUnprocessableEntity,
			"channel=bazaar&price_min=-1":                        http.StatusUnprocessableEntity,
			"channel=bazaar&currency=euro":                       http.StatusUnprocessableEntity,
			"channel=bazaar&q=%27%20OR%201%3D1%20--":             http.StatusOK,
			"channel=bazaar&q=%22coque":                          http.StatusOK,
			"channel=bazaar&q=%3Cscript%3Ealert(1)%3C/script%3E": http.StatusOK,
		} {
			if got, _ := s.searchAPI(q); got != status {
				t.Errorf("%.80s: %d, want %d", q, got, status)
			}
		}
	})
}

// TestSearchPages checks the search and category pages: results, facets as
// links, the filters chosen, sorts, pages, and hostile input.
func TestSearchPages(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newStore(t, db, 120)
		s.sync()
		body := s.page("/bazaar/fr/search?q=coque")
		for _, want := range []string{`<meta name="robots" content="noindex">`, `value="coque"`, `role="search"`, "Expédié depuis", "ships_from=CN", `class="card"`} {
			if !strings.Contains(body, want) {
				t.Errorf("search page lacks %q", want)
			}
		}
		// Follow the facet link "ships from China": the filter is shown as
		// chosen, with a link that removes it.
		link := regexpFind(t, body, `href="(/bazaar/fr/search\?[^"]*ships_from=CN[^"]*)"`)
		filtered := s.page(strings.ReplaceAll(link, "&amp;", "&"))
		if !strings.Contains(filtered, "Retirer le filtre") || !strings.Contains(filtered, `aria-current="true"`) {
			t.Error("the chosen filter is not shown as chosen")
		}
		// A category page is indexable, with its breadcrumb and canonical.
		cat := s.page("/bazaar/fr/c/phone-cases")
		for _, want := range []string{`<h1>Coques de téléphone</h1>`, `rel="canonical" href="http://`, `/bazaar/fr/c/phone-cases"`, `hreflang="en"`} {
			if !strings.Contains(cat, want) {
				t.Errorf("category page lacks %q", want)
			}
		}
		if strings.Contains(cat, "noindex") {
			t.Error("a category page is noindex")
		}
		// Chinese on the mall, English sorts.
		if zh := s.page("/mall/zh/search?q=" + url.QueryEscape("手机壳")); !strings.Contains(zh, "件商品") {
			t.Error("mall zh search shows no count")
		}
		if en := s.page("/bazaar/en/search?q=case&sort=price_desc"); !strings.Contains(en, `aria-current="true">Price, high to low`) {
			t.Error("the sort chosen is not marked")
		}
		// Walk the pages of every product.
		seen := map[string]bool{}
		next := "/bazaar/en/search"
		for range 50 {
			page := s.page(next)
			for _, m := range productLinkRe.FindAllStringSubmatch(page, -1) {
				if seen[m[1]] {
					t.Fatalf("%s shown twice", m[1])
				}
				seen[m[1]] = true
			}
			n := nextRe.FindStringSubmatch(page)
			if n == nil {
				break
			}
			next = strings.ReplaceAll(n[1], "&amp;", "&")
		}
		if want := len(s.shown("bazaar")); len(seen) != want {
			t.Errorf("the search pages show %d products, bazaar lists %d", len(seen), want)
		}

		// Hostile input: a clear page, never a 500, never reflected raw.
		for path, status := range map[string]int{
			"/bazaar/fr/search?q=" + strings.Repeat("x", 10_000):         http.StatusBadRequest,
			"/bazaar/fr/search?q=%ff":                                    http.StatusUnprocessableEntity, // refused by the web layer, before any page
			"/bazaar/fr/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E":    http.StatusOK,
			"/bazaar/fr/search?q=%22coque":                               http.StatusOK,
			"/bazaar/fr/search?q=1%27%3B%20DROP%20TABLE%20products%3B--": http.StatusOK,
			"/bazaar/fr/search?price=abc":                                http.StatusBadRequest,
			"/bazaar/fr/search?price=100-1":                              http.StatusBadRequest,
			"/bazaar/fr/search?sort=evil":                                http.StatusBadRequest,
			"/bazaar/fr/search?after=1000000000":                         http.StatusBadRequest,
			"/bazaar/fr/search?category=nope":                            http.StatusOK,
			"/bazaar/fr/c/nope":                                          http.StatusNotFound,
			"/bazaar/xx/search?q=coque":                                  http.StatusNotFound,
		} {
			res, body := s.get(path)
			if res.StatusCode != status {
				t.Errorf("%.60s: %d, want %d", path, res.StatusCode, status)
			}
			if strings.Contains(body, "<script>alert") {
				t.Errorf("%.60s reflects a script", path)
			}
		}
	})
}

// TestPavilionAndShopPages checks that a pavilion's page shows its story,
// its merchants and their products only, and a shop's page its merchant's.
func TestPavilionAndShopPages(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newStore(t, db, 200)
		s.sync()
		ctx := context.Background()
		ch, err := s.svc.Channels.Channel(ctx, "bazaar")
		if err != nil {
			t.Fatal(err)
		}
		pavs, err := s.svc.Channels.Pavilions(ctx, ch.ID)
		if err != nil || len(pavs) == 0 {
			t.Fatalf("pavilions: %v %v", pavs, err)
		}
		pav := pavs[0]
		home := s.page("/bazaar/fr/")
		if !strings.Contains(home, `href="/bazaar/fr/pavilion/`+pav.Slug+`"`) {
			t.Fatal("the home page does not link the pavilion")
		}
		body := s.page("/bazaar/fr/pavilion/" + pav.Slug)
		if !strings.Contains(body, "<h1>"+html.EscapeString(pav.Name)+"</h1>") || !strings.Contains(body, html.EscapeString(pav.Description)) {
			t.Error("the pavilion page lacks its name or story")
		}
		ids := productIDs(body)
		if len(ids) == 0 {
			t.Fatal("the pavilion page shows no product")
		}
		for _, id := range ids {
			v, err := s.svc.Catalog.PublicProduct(ctx, id, "bazaar", "fr")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(pav.MerchantIDs, v.Merchant.ID) {
				t.Errorf("the pavilion shows %s of %s, not one of its merchants", id, v.Merchant.Name)
			}
		}
		// A product's page links its merchant's shop; the shop shows only
		// its own products.
		v, err := s.svc.Catalog.PublicProduct(ctx, ids[0], "bazaar", "fr")
		if err != nil {
			t.Fatal(err)
		}
		shop := "/bazaar/fr/shop/" + v.Merchant.ID
		if !strings.Contains(s.page(productPathOf(body, ids[0])), `href="`+shop+`"`) {
			t.Error("the product page does not link its merchant's shop")
		}
		shopPage := s.page(shop)
		if !strings.Contains(shopPage, "<h1>"+html.EscapeString(v.Merchant.Name)+"</h1>") {
			t.Error("the shop page is not its merchant's")
		}
		// The trader information the Digital Services Act has the
		// marketplace show, in the buyer's language.
		mer, err := s.svc.Merchants.Merchant(ctx, identity.System, v.Merchant.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Informations sur le vendeur", mer.Trader.LegalName, mer.Trader.Address, mer.Trader.RegistrationNumber,
			"mailto:" + mer.Trader.Email, mer.Trader.Phone, "conformes au droit de l'Union européenne"} {
			if !strings.Contains(html.UnescapeString(shopPage), want) {
				t.Errorf("the shop page lacks the trader's %q", want)
			}
		}
		for _, id := range productIDs(shopPage) {
			w, err := s.svc.Catalog.PublicProduct(ctx, id, "bazaar", "fr")
			if err != nil || w.Merchant.ID != v.Merchant.ID {
				t.Errorf("the shop of %s shows %s (%v)", v.Merchant.Name, id, err)
			}
		}
		for _, path := range []string{"/bazaar/fr/pavilion/nope", "/bazaar/fr/shop/mer_nope", "/luxe/fr/pavilion/" + pav.Slug} {
			if res, _ := s.get(path); res.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", path, res.StatusCode)
			}
		}
	})
}

// productIDs are the ids of the products a page's cards link.
func productIDs(body string) []string {
	var out []string
	for _, m := range productLinkRe.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1][strings.LastIndex(m[1], "prd_"):])
	}
	return out
}

// productPathOf is the address a page's card gives product id.
func productPathOf(body, id string) string {
	for _, m := range productLinkRe.FindAllStringSubmatch(body, -1) {
		if strings.HasSuffix(m[1], id) {
			return m[1]
		}
	}
	return ""
}

// TestSearchFollowsChanges checks that an unlisting reaches search once its
// events are handed over.
func TestSearchFollowsChanges(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newStore(t, db, 60)
		s.sync()
		l := s.shown("bazaar")[0]
		if err := s.svc.Catalog.Unlist(context.Background(), identity.System, l.ProductID, "bazaar"); err != nil {
			t.Fatal(err)
		}
		s.sync()
		for _, it := range s.every("channel=bazaar") {
			if it.ID == l.ProductID {
				t.Fatal("an unlisted product is still found")
			}
		}
	})
}

// regexpFind returns the first group of pattern's first match in s.
func regexpFind(t *testing.T, s, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no match of %s", pattern)
	}
	return m[1]
}
