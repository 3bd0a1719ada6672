package shop

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/search"
)

// The search page (/{channel}/{lang}/search?q=…) and the category pages
// (/{channel}/{lang}/c/{slug}) are one page: results with their facets,
// each facet value a link that adds or removes it, the sorts as links, and
// a next-page link. Every choice is a plain link or a GET form, so the page
// works with no script; a search is noindex, a category page is not.

// The page's query parameters.
const (
	paramQuery    = "q"
	paramCategory = "category" // category slugs
	paramBrand    = "brand"    // brand ids
	paramShips    = "ships_from"
	paramOrigin   = "origin"
	paramPrice    = "price" // "min-max" in minor units, max empty for none
	paramStars    = "stars" // buyers' average of at least that many stars, 1 to 4
	paramSort     = "sort"
	paramAfter    = "after"
)

type searchPage struct {
	*base
	Query    string
	Heading  string
	Count    string
	Products []card
	Groups   []facetGroup
	Active   []facetLink // the filters chosen, each a link that removes it
	Clear    string      // the page without filters
	Sorts    []link
	Next     string
	First    string
	Crumbs   []link
	Loading  string // the index is loading: this message instead of results
	Story    string // a pavilion's
	Sellers  []link // a pavilion's merchants, each to its shop
	// Seller is a shop's merchant's rating, nil when none.
	Seller *sellerView
	// Trader is a shop's merchant's trader information, nil without the
	// merchant service.
	Trader *merchant.Trader
}

type facetGroup struct {
	ID, Name string
	Values   []facetLink
}

type facetLink struct {
	Name  string
	Href  string
	Count int
	On    bool
	Depth int // in the category tree
}

// A place is what a results page shows besides a search: a category, a
// pavilion or a merchant's shop (kind), named by key (a slug, an id).
type place struct {
	kind, key string
}

// The kinds of place.
const (
	placeSearch   = ""
	placeCategory = "c"
	placePavilion = "pavilion"
	placeShop     = "shop"
)

// search serves the search page, and a category's, a pavilion's or a
// shop's page.
func (s *Shop) search(w http.ResponseWriter, r *http.Request, at place) {
	catSlug := ""
	if at.kind == placeCategory {
		catSlug = at.key
	}
	b, ok := s.storefront(w, r)
	if !ok {
		return
	}
	cats, err := s.categories(r)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	bySlug := map[string]string{}
	for id, c := range cats {
		bySlug[c.Slug] = id
	}
	in := r.URL.Query()
	q := search.Query{Channel: b.Channel.Code, Lang: b.Lang, Currency: b.Currency, Text: strings.TrimSpace(in.Get(paramQuery)),
		Brands: in[paramBrand], ShipsFrom: in[paramShips], Origins: in[paramOrigin], Sort: in.Get(paramSort), Cursor: in.Get(paramAfter), Limit: listSize}
	if utf8.RuneCountInString(q.Text) > search.MaxQueryLen {
		s.fail(w, r, b, errs.Field("shop.search", "q", b.W.T("error_invalid")))
		return
	}
	p := searchPage{base: b, Query: q.Text}
	b.SearchText = q.Text
	path := b.Home + "search"
	if catSlug != "" {
		id, ok := bySlug[catSlug]
		if !ok {
			s.notFound(w, r, b)
			return
		}
		q.Categories = []string{id}
		path = b.Home + "c/" + url.PathEscape(catSlug)
		p.Heading = cats[id].name(b.Lang)
		p.Crumbs = []link{{Name: b.Channel.Name, Href: b.Home}, {Name: p.Heading}}
		b.Canonical = s.absolute(r, path)
		b.Alternates = s.alternates(r, b, func(l string) string { return "/" + b.Channel.Code + "/" + l + "/c/" + url.PathEscape(catSlug) })
	}
	switch at.kind {
	case placePavilion:
		pavs, err := s.svc.Channels.Pavilions(r.Context(), b.Channel.ID)
		if err != nil {
			s.fail(w, r, b, err)
			return
		}
		i := slices.IndexFunc(pavs, func(p channel.Pavilion) bool { return p.Slug == at.key })
		if i < 0 {
			s.notFound(w, r, b)
			return
		}
		pav := pavs[i]
		q.Merchants = slices.Clone(pav.MerchantIDs)
		if len(q.Merchants) == 0 {
			q.Merchants = []string{"none"}
		}
		p.Heading, p.Story = pav.Name, pav.Description
		for _, id := range pav.MerchantIDs {
			if name, n := s.svc.Search.Merchant(b.Channel.Code, id); n > 0 {
				p.Sellers = append(p.Sellers, link{Name: name, Href: shopPath(b, id), Lang: b.W.N("search_results", n)})
			}
		}
	case placeShop:
		name, n := s.svc.Search.Merchant(b.Channel.Code, at.key)
		if n == 0 {
			s.notFound(w, r, b)
			return
		}
		q.Merchants = []string{at.key}
		p.Heading = name
		if p.Seller, err = s.sellerRating(r, b, at.key); err != nil {
			s.fail(w, r, b, err)
			return
		}
		if s.svc.Merchants != nil {
			t, err := s.svc.Merchants.TraderInfo(r.Context(), at.key)
			if err != nil && !errs.Is(err, errs.NotFound) {
				s.fail(w, r, b, err)
				return
			}
			if err == nil {
				p.Trader = &t
			}
		}
	}
	if at.kind == placePavilion || at.kind == placeShop {
		path = b.Home + at.kind + "/" + url.PathEscape(at.key)
		p.Crumbs = []link{{Name: b.Channel.Name, Href: b.Home}, {Name: p.Heading}}
		b.Canonical = s.absolute(r, path)
		b.Alternates = s.alternates(r, b, func(l string) string {
			return "/" + b.Channel.Code + "/" + l + "/" + at.kind + "/" + url.PathEscape(at.key)
		})
		b.Description = p.Story
	}
	for _, slug := range in[paramCategory] {
		if id, ok := bySlug[slug]; ok {
			q.Categories = append(q.Categories, id)
		} else {
			q.Categories = append(q.Categories, "unknown:"+slug) // matches nothing, as an unknown brand does
		}
	}
	if v := in.Get(paramPrice); v != "" {
		lo, hi, ok := parseRange(v)
		if !ok {
			s.fail(w, r, b, errs.Field("shop.search", "price", b.W.T("error_invalid")))
			return
		}
		q.MinPrice, q.MaxPrice = lo, hi
	}
	if v := in.Get(paramStars); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 4 {
			s.fail(w, r, b, errs.Field("shop.search", "stars", b.W.T("error_invalid")))
			return
		}
		q.MinStars = n
	}
	switch {
	case p.Heading != "":
	case q.Text != "":
		p.Heading = b.W.T("search_title", "Query", q.Text)
	default:
		p.Heading = b.W.T("all_products")
	}
	b.Title = p.Heading + " · " + b.Channel.Name
	// A search, a filtered or a later page is noindex; a category's first
	// page, unfiltered, is what a search engine should list.
	filtered := len(in[paramCategory])+len(q.Brands)+len(q.ShipsFrom)+len(q.Origins) > 0 || in.Get(paramPrice) != "" || q.MinStars > 0 || q.Sort != ""
	b.NoIndex = at.kind == placeSearch || filtered || q.Cursor != "" || q.Text != ""

	res, err := s.svc.Search.Search(r.Context(), q)
	if errs.KindOf(err) == errs.Unavailable {
		p.Loading = b.W.T("search_loading", "Loaded", s.svc.Search.Status().Loaded)
		w.Header().Set("Retry-After", "5")
		s.page(w, r, http.StatusServiceUnavailable, "search", p)
		return
	}
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	p.Count = b.W.N("search_results", res.Total)
	for _, it := range res.Items {
		p.Products = append(p.Products, s.searchCard(b, it))
	}

	// Links keep every parameter but the one they change, and drop the
	// cursor: a new choice starts from the first page.
	base := url.Values{}
	for k, vs := range in {
		if k != paramAfter && k != paramSort && len(vs) > 0 && slices.Contains([]string{paramQuery, paramCategory, paramBrand, paramShips, paramOrigin, paramPrice, paramStars}, k) {
			base[k] = slices.Clone(vs)
		}
	}
	if q.Text == "" {
		base.Del(paramQuery)
	}
	href := func(v url.Values) string {
		if e := v.Encode(); e != "" {
			return path + "?" + e
		}
		return path
	}
	toggle := func(key, value string) (string, bool) {
		v := url.Values{}
		for k, vs := range base {
			v[k] = slices.Clone(vs)
		}
		if q.Sort != "" {
			v.Set(paramSort, q.Sort)
		}
		on := slices.Contains(v[key], value)
		if on {
			v[key] = slices.DeleteFunc(v[key], func(s string) bool { return s == value })
		} else if key == paramPrice || key == paramStars {
			v.Set(key, value)
		} else {
			v.Add(key, value)
		}
		return href(v), on
	}
	addValues := func(id, name, key string, values []search.ValueCount, label func(search.ValueCount) string) {
		g := facetGroup{ID: id, Name: name}
		for _, v := range values {
			h, on := toggle(key, v.Value)
			g.Values = append(g.Values, facetLink{Name: label(v), Href: h, Count: v.Count, On: on})
		}
		if len(g.Values) > 0 {
			p.Groups = append(p.Groups, g)
		}
	}
	if catSlug == "" {
		g := facetGroup{ID: "category", Name: b.W.T("facet_category")}
		var walk func(cs []search.CategoryCount, depth int)
		walk = func(cs []search.CategoryCount, depth int) {
			for _, c := range cs {
				h, on := toggle(paramCategory, c.Slug)
				g.Values = append(g.Values, facetLink{Name: cats[c.ID].name(b.Lang), Href: h, Count: c.Count, On: on, Depth: depth})
				walk(c.Children, depth+1)
			}
		}
		walk(res.Facets.Categories, 0)
		if len(g.Values) > 0 {
			p.Groups = append(p.Groups, g)
		}
	}
	addValues("brand", b.W.T("facet_brand"), paramBrand, res.Facets.Brands, func(v search.ValueCount) string { return v.Name })
	addValues("ships", b.W.T("facet_ships_from"), paramShips, res.Facets.ShipsFrom, func(v search.ValueCount) string { return b.W.Country(v.Value) })
	addValues("origin", b.W.T("facet_origin"), paramOrigin, res.Facets.Origins, func(v search.ValueCount) string { return b.W.Country(v.Value) })
	prices := make([]search.ValueCount, len(res.Facets.Prices))
	names := map[string]string{}
	for i, pr := range res.Facets.Prices {
		v := strconv.FormatInt(pr.Min, 10) + "-"
		if pr.Max > 0 {
			v += strconv.FormatInt(pr.Max, 10)
		}
		prices[i] = search.ValueCount{Value: v, Count: pr.Count}
		names[v] = s.rangeName(b, res.Currency, pr)
	}
	if v := in.Get(paramPrice); v != "" && names[v] == "" {
		// A range typed by hand: still shown, so that it can be removed.
		if lo, hi, ok := parseRange(v); ok {
			prices = append(prices, search.ValueCount{Value: v})
			names[v] = s.rangeName(b, res.Currency, search.RangeCount{Min: lo, Max: hi})
		}
	}
	addValues("price", b.W.T("facet_price"), paramPrice, prices, func(v search.ValueCount) string { return names[v.Value] })
	stars := []search.ValueCount{}
	for _, c := range res.Facets.Ratings {
		if c.Stars <= 4 {
			stars = append(stars, search.ValueCount{Value: strconv.Itoa(c.Stars), Count: c.Count})
		}
	}
	addValues("rating", b.W.T("facet_rating"), paramStars, stars, func(v search.ValueCount) string {
		n, _ := strconv.Atoi(v.Value)
		return b.W.N("stars_and_up", n)
	})
	for _, g := range p.Groups {
		for _, v := range g.Values {
			if v.On {
				p.Active = append(p.Active, facetLink{Name: b.W.T("remove_filter", "Name", v.Name), Href: v.Href})
			}
		}
	}
	if len(p.Active) > 0 {
		v := url.Values{}
		if q.Text != "" {
			v.Set(paramQuery, q.Text)
		}
		p.Clear = href(v)
	}
	for _, so := range []struct{ id, name string }{{search.SortRelevance, b.W.T("sort_relevance")}, {search.SortPriceAsc, b.W.T("sort_price_asc")},
		{search.SortPriceDesc, b.W.T("sort_price_desc")}, {search.SortNewest, b.W.T("sort_newest")}, {search.SortRating, b.W.T("sort_rating")}} {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		if so.id != search.SortRelevance {
			v.Set(paramSort, so.id)
		}
		p.Sorts = append(p.Sorts, link{Name: so.name, Href: href(v), Current: cmpOr(q.Sort, search.SortRelevance) == so.id})
	}
	if res.NextCursor != "" {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		if q.Sort != "" {
			v.Set(paramSort, q.Sort)
		}
		first := href(v)
		v.Set(paramAfter, res.NextCursor)
		p.Next = href(v)
		if q.Cursor != "" {
			p.First = first
		}
	} else if q.Cursor != "" {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		p.First = href(v)
	}
	s.page(w, r, http.StatusOK, "search", p)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// parseRange reads "min-max" (max may be empty: no bound), minor units.
func parseRange(v string) (lo, hi int64, ok bool) {
	a, z, found := strings.Cut(v, "-")
	if !found || len(v) > 40 {
		return 0, 0, false
	}
	lo, err := strconv.ParseInt(a, 10, 64)
	if err != nil || lo < 0 {
		return 0, 0, false
	}
	if z != "" {
		if hi, err = strconv.ParseInt(z, 10, 64); err != nil || hi < lo || hi <= 0 {
			return 0, 0, false
		}
	}
	return lo, hi, true
}

// rangeName names a price range in the page's language.
func (s *Shop) rangeName(b *base, cur string, r search.RangeCount) string {
	f := func(minor int64) string {
		return s.svc.Catalog.Formatters.Format(money.Amount{Minor: minor, Currency: cur}, b.Lang)
	}
	switch {
	case r.Max == 0:
		return b.W.T("price_over", "Min", f(r.Min))
	case r.Min == 0:
		return b.W.T("price_under", "Max", f(r.Max+1))
	}
	return b.W.T("price_range", "Min", f(r.Min), "Max", f(r.Max))
}

// shopPath is merchant id's shop page on b's storefront.
func shopPath(b *base, id string) string { return b.Home + placeShop + "/" + url.PathEscape(id) }

// searchCard is a product found, as a card.
func (s *Shop) searchCard(b *base, it search.Item) card {
	c := card{Href: productPath(b.Channel.Code, b.Lang, it.Title, it.ID), Title: it.Title, Image: it.Image,
		Seller: it.Merchant.Name, Origin: b.W.Country(it.OriginCountry)}
	if it.Brand != nil {
		c.Seller = it.Brand.Name
	}
	if it.Price >= 0 {
		c.Price = s.svc.Catalog.Formatters.Format(money.Amount{Minor: it.Price, Currency: b.Currency}, b.Lang)
		if it.PriceFrom {
			c.Price = b.W.T("from_price", "Price", c.Price)
		}
	}
	return c
}
