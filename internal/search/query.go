package search

import (
	"cmp"
	"container/heap"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/agnivade/levenshtein"
	"github.com/bojanz/currency"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
)

// Sorts of results.
const (
	SortRelevance = "relevance" // titles holding more of the words first, then the better rated, then newest
	SortPriceAsc  = "price_asc"
	SortPriceDesc = "price_desc"
	SortNewest    = "newest"
	SortRating    = "rating" // the better rated first (whole stars of the average; unrated last), then newest
)

// Sorts returns the sorts a query may ask for.
func Sorts() []string {
	return []string{SortRelevance, SortPriceAsc, SortPriceDesc, SortNewest, SortRating}
}

// MaxQueryLen is the longest query text accepted, in characters.
const MaxQueryLen = 200

// MaxLimit is the most results one page holds; DefaultLimit when none is asked.
const (
	MaxLimit     = 100
	DefaultLimit = 24
)

// A Query is one search on one channel.
type Query struct {
	Channel  string // the channel's code
	Lang     string // one of the channel's languages (else its default)
	Text     string // words; empty: every product
	Currency string // one of the channel's currencies (else its first): prices, price filter and sort
	// Filters: a product must have one of the values of each filter given.
	Categories []string // category ids, each with its subcategories
	Brands     []string // brand ids
	ShipsFrom  []string // countries, ISO 3166-1 alpha-2
	Origins    []string // countries of origin
	Merchants  []string // merchant ids (a shop's or a pavilion's page); not a facet
	// MinPrice and MaxPrice bound the price in Currency, in minor units,
	// both included; 0 leaves that side open.
	MinPrice, MaxPrice int64
	// MinStars keeps the products whose buyers' average is at least that
	// many stars (1 to 5); 0: no rating filter.
	MinStars int
	Sort     string // one of Sorts; empty: relevance
	Cursor   string // a Result's NextCursor, for the next page
	Limit    int    // 1 to MaxLimit; 0: DefaultLimit
}

// A Result is one page of a search.
type Result struct {
	Items      []Item `json:"items"`
	Total      int    `json:"total" doc:"How many products match in all"`
	Facets     Facets `json:"facets"`
	NextCursor string `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last"`
	// Lang and Currency are those the result is in.
	Lang     string `json:"lang"`
	Currency string `json:"currency"`
}

// An Item is one product found.
type Item struct {
	ID            string      `json:"id"`
	Title         string      `json:"title"`
	Brand         *events.Ref `json:"brand,omitempty"`
	Merchant      events.Ref  `json:"merchant"`
	CategoryID    string      `json:"category_id,omitempty"`
	OriginCountry string      `json:"origin_country,omitempty"`
	ShipsFrom     string      `json:"ships_from,omitempty"`
	Image         string      `json:"image,omitempty"`
	// Price is the lowest of the product's variants' prices in the result's
	// currency (minor units); PriceFrom says its variants' prices differ.
	Price     int64 `json:"price"`
	PriceFrom bool  `json:"price_from,omitempty"`
}

// Facets count the products matching the words and the other filters, per
// value of each facet: a facet filtered on still counts its other values,
// so that a buyer sees what choosing another would give.
type Facets struct {
	Categories []CategoryCount `json:"categories" doc:"The category tree, each node counting its whole subtree"`
	Brands     []ValueCount    `json:"brands"`
	ShipsFrom  []ValueCount    `json:"ships_from"`
	Origins    []ValueCount    `json:"origins"`
	Prices     []RangeCount    `json:"prices" doc:"Price ranges in the result's currency"`
	Ratings    []StarsCount    `json:"ratings" doc:"How many products are rated at least 4, 3, 2 and 1 stars on average (none without)"`
}

// A StarsCount is how many products have an average of at least Stars.
type StarsCount struct {
	Stars int `json:"stars" minimum:"1" maximum:"5"`
	Count int `json:"count"`
}

// A ValueCount is one value of a facet and how many products have it.
type ValueCount struct {
	Value string `json:"value"`
	Name  string `json:"name,omitempty"`
	Count int    `json:"count"`
}

// A CategoryCount is a category, its count and its subcategories' counts.
type CategoryCount struct {
	ID       string          `json:"id"`
	Slug     string          `json:"slug"`
	Name     string          `json:"name"`
	Count    int             `json:"count"`
	Children []CategoryCount `json:"children,omitempty"`
}

// A RangeCount is a price range [Min, Max] in minor units (Max 0: no upper
// bound) and how many products are priced in it.
type RangeCount struct {
	Min   int64 `json:"min"`
	Max   int64 `json:"max,omitempty"`
	Count int   `json:"count"`
}

// maxFacetValues bounds the values listed per facet (the most frequent).
const maxFacetValues = 30

// check validates q against the index's channel and fills its defaults.
func (x *Index) check(q *Query) (cursor, error) {
	const op = "search.Search"
	if !utf8.ValidString(q.Text) {
		return cursor{}, errs.Field(op, "q", "is not valid UTF-8")
	}
	if utf8.RuneCountInString(q.Text) > MaxQueryLen {
		return cursor{}, errs.Field(op, "q", fmt.Sprintf("is longer than %d characters", MaxQueryLen))
	}
	if !slices.Contains(x.langs, q.Lang) {
		q.Lang = x.langs[0]
	}
	if !slices.Contains(x.curs, q.Currency) {
		q.Currency = x.curs[0]
	}
	if q.Sort == "" {
		q.Sort = SortRelevance
	}
	if !slices.Contains(Sorts(), q.Sort) {
		return cursor{}, errs.Field(op, "sort", "must be one of "+strings.Join(Sorts(), ", "))
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	if q.Limit < 1 || q.Limit > MaxLimit {
		return cursor{}, errs.Field(op, "limit", fmt.Sprintf("must be between 1 and %d", MaxLimit))
	}
	if q.MinStars < 0 || q.MinStars > 5 {
		return cursor{}, errs.Field(op, "min_stars", "must be 1 to 5, or 0 for none")
	}
	if q.MinPrice < 0 || q.MaxPrice < 0 || (q.MaxPrice > 0 && q.MinPrice > q.MaxPrice) {
		return cursor{}, errs.Field(op, "price", "must be a range of non-negative amounts, the lower first")
	}
	for _, f := range [][]string{q.Categories, q.Brands, q.ShipsFrom, q.Origins} {
		// (Merchants are a pavilion's, whose size the channel sets.)
		if len(f) > 50 {
			return cursor{}, errs.Field(op, "filter", "may name at most 50 values")
		}
	}
	return decodeCursor(q.Cursor, q.Sort)
}

// Search runs q on the index. Errors: Invalid (a parameter, a cursor).
func (x *Index) Search(q Query) (Result, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	cur, err := x.check(&q)
	if err != nil {
		return Result{}, err
	}
	li := slices.Index(x.langs, q.Lang)
	ci := slices.Index(x.curs, q.Currency)
	res := Result{Items: []Item{}, Lang: q.Lang, Currency: q.Currency}

	// The documents holding every word, and for relevance the bitmaps of
	// each word's titles.
	terms := queryTerms(q.Lang, q.Text)
	matched, titles := x.match(li, terms)
	if sets := x.merchants.setsOf(q.Merchants); sets != nil {
		matched = within(matched, sets)
	}

	// One pass over the matched documents filters them and counts the
	// facets: over the hits for facets not filtered on, over the documents
	// failing no filter but that facet's for those filtered on (so that a
	// buyer sees what choosing another value would give).
	sc := x.scanner(q, ci)
	hits := sc.scan(matched)
	res.Total = len(hits)
	res.Facets = x.facets(li, sc.counts, sc.prices(q.Currency))
	res.Facets.Ratings = sc.ratings()

	// The page.
	var page []uint32
	var next cursor
	switch {
	case q.Sort == SortRelevance && len(titles) > 0:
		page, next = x.byRelevance(roaring.BitmapOf(hits...), titles, cur, q.Limit)
	case q.Sort == SortRating:
		page, next = x.byRating(roaring.BitmapOf(hits...), cur, q.Limit)
	case q.Sort == SortRelevance || q.Sort == SortNewest:
		page, next = byNewest(hits, cur, q.Limit)
	default:
		page, next = x.byPrice(hits, ci, q.Sort == SortPriceDesc, cur, q.Limit)
	}
	for _, d := range page {
		res.Items = append(res.Items, x.item(d, li, ci))
	}
	if next.set {
		next.sort = q.Sort
		res.NextCursor = next.encode()
	}
	return res, nil
}

// match returns the live documents holding every term and, per term, the
// bitmaps of the documents whose title holds it (one per spelling, with
// typos). With no terms every live document matches. The postings hold
// live documents only.
//
// It starts from the rarest term and intersects the others with what is
// left, so that no large bitmap is built: a query costs what its rarest
// word matches, not what its commonest does.
func (x *Index) match(li int, terms []queryTerm) (*roaring.Bitmap, [][]*roaring.Bitmap) {
	if len(terms) == 0 {
		return x.live, nil
	}
	p := x.text[li]
	type spelt struct {
		inTitle, inAny []*roaring.Bitmap
		n              uint64
	}
	ts := make([]spelt, len(terms))
	titles := make([][]*roaring.Bitmap, len(terms))
	for i, t := range terms {
		variants := []string{t.term}
		if p.title[t.term] == nil && p.other[t.term] == nil && t.word != "" {
			variants = x.typos(p, t.word)
		}
		for _, v := range variants {
			if b := p.title[v]; b != nil {
				ts[i].inTitle = append(ts[i].inTitle, b)
				ts[i].inAny = append(ts[i].inAny, b)
				ts[i].n += b.GetCardinality()
			}
			if b := p.other[v]; b != nil {
				ts[i].inAny = append(ts[i].inAny, b)
				ts[i].n += b.GetCardinality()
			}
		}
		if len(ts[i].inAny) == 0 {
			return roaring.New(), nil
		}
		titles[i] = ts[i].inTitle
	}
	order := make([]int, len(ts))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(ts[a].n, ts[b].n) })
	// The result is only read (as x.live is): the rarest term's one bitmap
	// need not be copied.
	acc := ts[order[0]].inAny[0]
	if len(ts[order[0]].inAny) > 1 {
		acc = roaring.FastOr(ts[order[0]].inAny...)
	}
	for _, i := range order[1:] {
		acc = within(acc, ts[i].inAny)
		if acc.IsEmpty() {
			break
		}
	}
	return acc, titles
}

// within returns the documents of b in any of sets, intersecting each with
// b first (b is the smaller).
func within(b *roaring.Bitmap, sets []*roaring.Bitmap) *roaring.Bitmap {
	switch len(sets) {
	case 0:
		return roaring.New()
	case 1:
		return roaring.And(b, sets[0])
	}
	out := roaring.New()
	for _, s := range sets {
		out.Or(roaring.And(b, s))
	}
	return out
}

// typos returns the terms of the vocabulary's words a mistyped word w may
// stand for: those at one edit (words of 4 to 7 characters) or two (8 and
// more); a shorter word is not corrected. The caller holds the read lock,
// and the cache has its own.
func (x *Index) typos(p *postings, w string) []string {
	n := utf8.RuneCountInString(w)
	maxEdits := 0
	switch {
	case n >= 8:
		maxEdits = 2
	case n >= 4:
		maxEdits = 1
	}
	if maxEdits == 0 {
		return nil
	}
	// The vocabulary only grows: its size names its state.
	key := strconv.Itoa(len(p.vocab)) + ":" + w
	if ts, ok := p.typos.Get(key); ok {
		return ts
	}
	var out []string
	for l := n - maxEdits; l <= n+maxEdits; l++ {
		for _, v := range p.byLen[l] {
			if levenshtein.ComputeDistance(w, v) <= maxEdits {
				if t := p.vocab[v]; !slices.Contains(out, t) {
					out = append(out, t)
				}
			}
		}
	}
	p.typos.Add(key, out)
	return out
}

// minorUnit is one major unit of currency cur in minor units.
func minorUnit(cur string) int64 {
	d, ok := currency.GetDigits(cur)
	if !ok {
		d = 2
	}
	u := int64(1)
	for range d {
		u *= 10
	}
	return u
}

// The facets, by index.
const (
	facetCategory = iota
	facetBrand
	facetShips
	facetOrigin
	nFacets
)

// The filters are the facets' and the price range's.
const (
	filterPrice = nFacets + iota
	filterRating
	nFilters
)

// priceBounds are the edges of the price ranges, in major units.
var priceBounds = []int64{10, 25, 50, 100, 250, 500, 1000, 2500}

// bucketOf returns the price range of price p (minor units, unit of them a
// major unit): 1 + the number of bounds at or below it; 0 for no price.
func bucketOf(p, unit int64) uint8 {
	if p < 0 {
		return 0
	}
	i, _ := slices.BinarySearch(priceBounds, p/unit+1)
	return uint8(i + 1)
}

// A scanner filters matched documents and counts their facets.
type scanner struct {
	x *Index
	// sel[f][v] says whether value v (one more than its index, 0: none) of
	// facet f passes its filter; nil: not filtered.
	sel    [nFacets][]bool
	lo, hi int64 // the price filter (hi 0: none)
	priced bool  // whether there is a price filter
	// inRange says, per price range, whether the filter keeps all of it
	// (rangeIn), none (rangeOut) or must read each price (rangeCut).
	inRange []uint8
	ci      int
	counts  [nFacets][]int
	// buckets counts per price range (see bucketOf) the documents failing
	// no filter but the price's.
	buckets []int
	// minStars is the rating filter (0: none); stars counts per whole star
	// the documents failing no filter but the rating's.
	minStars uint8
	stars    [6]int
}

func (x *Index) scanner(q Query, ci int) *scanner {
	sc := &scanner{x: x, ci: ci, lo: q.MinPrice, hi: q.MaxPrice, priced: q.MinPrice > 0 || q.MaxPrice > 0, minStars: uint8(q.MinStars),
		buckets: make([]int, len(priceBounds)+2)}
	pick := func(f *facet, keys []string) []bool {
		if len(keys) == 0 {
			return nil
		}
		sel := make([]bool, len(f.keys)+1)
		for _, k := range keys {
			if i, ok := f.byKey[k]; ok {
				sel[i+1] = true
			}
		}
		return sel
	}
	sc.inRange = make([]uint8, len(priceBounds)+2) // range 0: no price, out
	unit := minorUnit(x.curs[ci])
	for k := 1; k < len(sc.inRange); k++ {
		lo, hi := int64(0), int64(-1) // hi -1: none
		if k > 1 {
			lo = priceBounds[k-2] * unit
		}
		if k <= len(priceBounds) {
			hi = priceBounds[k-1]*unit - 1
		}
		switch {
		case hi >= 0 && hi < sc.lo || sc.hi > 0 && lo > sc.hi:
			sc.inRange[k] = rangeOut
		case lo >= sc.lo && (sc.hi == 0 || hi >= 0 && hi <= sc.hi):
			sc.inRange[k] = rangeIn
		default:
			sc.inRange[k] = rangeCut
		}
	}
	sc.sel[facetBrand] = pick(&x.brands, q.Brands)
	sc.sel[facetShips] = pick(&x.ships, q.ShipsFrom)
	sc.sel[facetOrigin] = pick(&x.origins, q.Origins)
	if len(q.Categories) > 0 {
		// A category passes when it or an ancestor was chosen.
		chosen := map[int32]bool{}
		for _, id := range q.Categories {
			if i, ok := x.cats.byID[id]; ok {
				chosen[i] = true
			}
		}
		sel := make([]bool, len(x.cats.nodes)+1)
		for i := range x.cats.nodes {
			x.cats.up(int32(i), func(a int32) {
				if chosen[a] {
					sel[i+1] = true
				}
			})
		}
		sc.sel[facetCategory] = sel
	}
	sizes := [nFacets]int{len(x.cats.nodes), len(x.brands.keys), len(x.ships.keys), len(x.origins.keys)}
	for f := range nFacets {
		sc.counts[f] = make([]int, sizes[f]+1)
	}
	return sc
}

// How a price filter takes a price range.
const (
	rangeOut = iota
	rangeIn
	rangeCut
)

// scan returns the documents of matched passing every filter, in document
// order, counting facets as it goes.
func (sc *scanner) scan(matched *roaring.Bitmap) []uint32 {
	x := sc.x
	rows, prices, buckets, stars := x.rows, x.prices[sc.ci], x.buckets[sc.ci], x.stars
	inRow := sc.ci < rowCurrencies
	catSel, brandSel, shipsSel, originSel := sc.sel[facetCategory], sc.sel[facetBrand], sc.sel[facetShips], sc.sel[facetOrigin]
	cats, brands, ships, origins := sc.counts[facetCategory], sc.counts[facetBrand], sc.counts[facetShips], sc.counts[facetOrigin]
	var hits []uint32
	var buf [256]uint32
	it := matched.ManyIterator()
	for n := it.NextMany(buf[:]); n > 0; n = it.NextMany(buf[:]) {
		for _, d := range buf[:n] {
			r := &rows[d]
			bucket := buckets[d]
			if inRow {
				bucket = r.bucket[sc.ci]
			}
			var fail uint
			if catSel != nil && !catSel[r.cat] {
				fail |= 1 << facetCategory
			}
			if brandSel != nil && !brandSel[r.brand] {
				fail |= 1 << facetBrand
			}
			if shipsSel != nil && !shipsSel[r.ships] {
				fail |= 1 << facetShips
			}
			if originSel != nil && !originSel[r.origin] {
				fail |= 1 << facetOrigin
			}
			if sc.priced {
				switch sc.inRange[bucket] {
				case rangeOut:
					fail |= 1 << filterPrice
				case rangeCut:
					if p := prices[d]; p < sc.lo || sc.hi > 0 && p > sc.hi {
						fail |= 1 << filterPrice
					}
				}
			}
			if stars[d] < sc.minStars {
				fail |= 1 << filterRating
			}
			switch fail {
			case 0, 1 << filterRating:
				sc.stars[stars[d]]++
			}
			switch fail {
			case 0:
				hits = append(hits, d)
				cats[r.cat]++
				brands[r.brand]++
				ships[r.ships]++
				origins[r.origin]++
				sc.buckets[bucket]++
			case 1 << facetCategory:
				cats[r.cat]++
			case 1 << facetBrand:
				brands[r.brand]++
			case 1 << facetShips:
				ships[r.ships]++
			case 1 << facetOrigin:
				origins[r.origin]++
			case 1 << filterPrice:
				sc.buckets[bucket]++
			}
		}
	}
	// Counts are kept by value plus one; a category counts its subtree.
	for f := range nFacets {
		sc.counts[f] = sc.counts[f][1:]
	}
	c := sc.counts[facetCategory]
	own := slices.Clone(c)
	for i, n := range own {
		if n > 0 {
			x.cats.up(x.cats.nodes[i].parent, func(p int32) { c[p] += n })
		}
	}
	return hits
}

// ratings returns how many documents failing no filter but the rating's
// have an average of at least 4, 3, 2 and 1 stars.
func (sc *scanner) ratings() []StarsCount {
	out := []StarsCount{}
	n := sc.stars[5]
	for s := 4; s >= 1; s-- {
		if n += sc.stars[s]; n > 0 {
			out = append(out, StarsCount{Stars: s, Count: n})
		}
	}
	return out
}

// prices returns the price ranges' counts in currency cur.
func (sc *scanner) prices(cur string) []RangeCount {
	unit := minorUnit(cur)
	out := []RangeCount{}
	for k, c := range sc.buckets[1:] {
		if c == 0 {
			continue
		}
		r := RangeCount{Count: c}
		if k > 0 {
			r.Min = priceBounds[k-1] * unit
		}
		if k < len(priceBounds) {
			r.Max = priceBounds[k]*unit - 1
		}
		out = append(out, r)
	}
	return out
}

// facets turns counts into the facets of a result, in language li.
func (x *Index) facets(li int, counts [nFacets][]int, prices []RangeCount) Facets {
	values := func(f *facet, c []int) []ValueCount {
		out := []ValueCount{}
		for i, n := range c {
			if n > 0 {
				out = append(out, ValueCount{Value: f.keys[i], Name: f.names[i], Count: n})
			}
		}
		slices.SortFunc(out, func(a, b ValueCount) int {
			if a.Count != b.Count {
				return b.Count - a.Count
			}
			return strings.Compare(a.Value, b.Value)
		})
		return out[:min(len(out), maxFacetValues)]
	}
	fs := Facets{Categories: []CategoryCount{}, Brands: values(&x.brands, counts[facetBrand]),
		ShipsFrom: values(&x.ships, counts[facetShips]), Origins: values(&x.origins, counts[facetOrigin]), Prices: prices}
	if c := counts[facetCategory]; c != nil {
		var tree func(parent int32) []CategoryCount
		tree = func(parent int32) []CategoryCount {
			var out []CategoryCount
			for i, n := range x.cats.nodes {
				if n.parent != parent || c[i] == 0 {
					continue
				}
				name := n.names[x.langs[li]]
				if name == "" {
					name = n.names[x.langs[0]]
				}
				out = append(out, CategoryCount{ID: n.id, Slug: n.slug, Name: name, Count: c[i], Children: tree(int32(i))})
			}
			slices.SortFunc(out, func(a, b CategoryCount) int {
				if a.Count != b.Count {
					return b.Count - a.Count
				}
				return strings.Compare(a.Slug, b.Slug)
			})
			return out
		}
		if t := tree(-1); t != nil {
			fs.Categories = t
		}
	}
	return fs
}

// item is document d as a result, in language li and currency ci.
func (x *Index) item(d uint32, li, ci int) Item {
	dc := &x.docs[d]
	it := Item{Price: x.prices[ci][d], PriceFrom: ci < 8 && dc.from&(1<<ci) != 0}
	it.ID, it.Image, it.Title = x.texts.title(dc.rec, li)
	if dc.brand >= 0 {
		it.Brand = &events.Ref{ID: x.brands.keys[dc.brand], Name: x.brands.names[dc.brand]}
	}
	if dc.merchant >= 0 {
		it.Merchant = events.Ref{ID: x.merchants.keys[dc.merchant], Name: x.merchants.names[dc.merchant]}
	}
	if dc.cat >= 0 {
		it.CategoryID = x.cats.nodes[dc.cat].id
	}
	if dc.origin >= 0 {
		it.OriginCountry = x.origins.keys[dc.origin]
	}
	if dc.ships >= 0 {
		it.ShipsFrom = x.ships.keys[dc.ships]
	}
	return it
}

// byRelevance pages hits by how many of the words their titles hold, most
// first; among equals the better rated (whole stars, unrated last), then
// newest first.
func (x *Index) byRelevance(hits *roaring.Bitmap, titles [][]*roaring.Bitmap, cur cursor, limit int) ([]uint32, cursor) {
	// tiers[k] holds the hits whose title holds exactly k of the words.
	tiers := []*roaring.Bitmap{hits.Clone()}
	for _, spellings := range titles {
		t := within(hits, spellings)
		tiers = append(tiers, roaring.New())
		for k := len(tiers) - 2; k >= 0; k-- {
			up := roaring.And(tiers[k], t)
			if up.IsEmpty() {
				continue
			}
			tiers[k].AndNot(up)
			tiers[k+1].Or(up)
		}
	}
	// Within a tier, the better rated first: the key of a tier of k words
	// and s stars is k*8 + s, so that keys fall as the ranking does. The
	// sub-tiers are made as the page reaches them: a page is usually full
	// within the best rated of the first tier.
	var ranked []rankedTier
	for k := len(tiers) - 1; k >= 0; k-- {
		for s := 5; s >= 0; s-- {
			if key := int64(k*8 + s); !cur.set || key <= cur.key {
				ranked = append(ranked, rankedTier{key: key, docs: func() *roaring.Bitmap { return x.ofStars(tiers[k], s) }})
			}
		}
	}
	return pageTiers(ranked, cur, limit)
}

// byRating pages hits the better rated first (unrated last), newest first
// among equals; a tier's key is its stars.
func (x *Index) byRating(hits *roaring.Bitmap, cur cursor, limit int) ([]uint32, cursor) {
	var ranked []rankedTier
	for s := 5; s >= 0; s-- {
		if !cur.set || int64(s) <= cur.key {
			ranked = append(ranked, rankedTier{key: int64(s), docs: func() *roaring.Bitmap { return x.ofStars(hits, s) }})
		}
	}
	return pageTiers(ranked, cur, limit)
}

// ofStars is the documents of b rated s whole stars (0: unrated).
func (x *Index) ofStars(b *roaring.Bitmap, s int) *roaring.Bitmap {
	if s > 0 {
		return roaring.And(b, x.rated[s])
	}
	out := b.Clone()
	for s := 1; s <= 5; s++ {
		out.AndNot(x.rated[s])
	}
	return out
}

// rankedTier is a set of documents of one rank, made when a page reaches
// it; keys fall as ranks do.
type rankedTier struct {
	key  int64
	docs func() *roaring.Bitmap
}

// pageTiers pages tiers in order, each newest first, after the cursor
// (the key of its tier and the last document shown).
func pageTiers(tiers []rankedTier, cur cursor, limit int) ([]uint32, cursor) {
	var page []uint32
	var last int64
	for _, t := range tiers {
		docs := t.docs()
		if cur.set && t.key == cur.key {
			docs.RemoveRange(uint64(cur.doc), uint64(1)<<32)
		}
		it := docs.ReverseIterator()
		for it.HasNext() {
			d := it.Next()
			if len(page) == limit {
				return page, cursor{set: true, key: last, doc: page[len(page)-1]}
			}
			page, last = append(page, d), t.key
		}
	}
	return page, cursor{}
}

// byNewest pages hits (in document order) newest first.
func byNewest(hits []uint32, cur cursor, limit int) ([]uint32, cursor) {
	end := len(hits)
	if cur.set {
		end, _ = slices.BinarySearch(hits, cur.doc)
	}
	start := max(0, end-limit)
	page := slices.Clone(hits[start:end])
	slices.Reverse(page)
	if start > 0 {
		return page, cursor{set: true, doc: page[len(page)-1]}
	}
	return page, cursor{}
}

// byPrice pages hits by price in currency ci (ties: newest first), keeping
// the best limit+1 in a heap as it reads them all.
func (x *Index) byPrice(hits []uint32, ci int, desc bool, cur cursor, limit int) ([]uint32, cursor) {
	h := &priceHeap{desc: desc}
	prices := x.prices[ci]
	for _, d := range hits {
		p := prices[d]
		if p < 0 {
			continue
		}
		e := priced{price: p, doc: d}
		if cur.set && !h.before(priced{price: cur.key, doc: cur.doc}, e) {
			continue
		}
		if h.Len() <= limit {
			heap.Push(h, e)
		} else if h.before(e, h.es[0]) {
			h.es[0] = e
			heap.Fix(h, 0)
		}
	}
	out := make([]priced, h.Len())
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(h).(priced)
	}
	var next cursor
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = cursor{set: true, key: last.price, doc: last.doc}
	}
	page := make([]uint32, len(out))
	for i, e := range out {
		page[i] = e.doc
	}
	return page, next
}

type priced struct {
	price int64
	doc   uint32
}

// priceHeap keeps the worst of the best on top.
type priceHeap struct {
	es   []priced
	desc bool
}

// before reports whether a comes before b in the sort.
func (h *priceHeap) before(a, b priced) bool {
	if a.price != b.price {
		return (a.price < b.price) != h.desc
	}
	return a.doc > b.doc
}

func (h *priceHeap) Len() int           { return len(h.es) }
func (h *priceHeap) Less(i, j int) bool { return h.before(h.es[j], h.es[i]) }
func (h *priceHeap) Swap(i, j int)      { h.es[i], h.es[j] = h.es[j], h.es[i] }
func (h *priceHeap) Push(v any)         { h.es = append(h.es, v.(priced)) }
func (h *priceHeap) Pop() any {
	e := h.es[len(h.es)-1]
	h.es = h.es[:len(h.es)-1]
	return e
}

// A cursor is where the next page starts: after document doc, whose sort
// key (tier or price) is key.
type cursor struct {
	set  bool
	sort string
	key  int64
	doc  uint32
}

func (c cursor) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.sort + "." + strconv.FormatInt(c.key, 10) + "." + strconv.FormatUint(uint64(c.doc), 10)))
}

// decodeCursor reads a cursor of a search sorted by sort.
func decodeCursor(s, sort string) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	bad := errs.Field("search.Search", "cursor", "not a cursor of this search: start again from the first page")
	if len(s) > 100 {
		return cursor{}, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, bad
	}
	parts := strings.Split(string(b), ".")
	if len(parts) != 3 || parts[0] != sort {
		return cursor{}, bad
	}
	key, err1 := strconv.ParseInt(parts[1], 10, 64)
	doc, err2 := strconv.ParseUint(parts[2], 10, 32)
	if err1 != nil || err2 != nil || key < 0 {
		return cursor{}, bad
	}
	return cursor{set: true, sort: sort, key: key, doc: uint32(doc)}, nil
}
