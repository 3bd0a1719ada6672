package search

import (
	"encoding/hex"
	"maps"
	"slices"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/ids"
)

// An Index holds what one channel shows, ready to be searched: each listed
// product is a document numbered in the order the index first saw it
// (newest last), every term and facet value a bitmap of documents. The
// documents keep what a result shows (titles, image, price), so that a
// search reads no database.
//
// A million documents must not cost the garbage collector a million
// objects to scan: a document is a struct without pointers, its texts are a
// record in an arena of large chunks, and prices are a column per currency.
//
// One writer at a time (the follower applying events) and any number of
// readers share it under a read-write lock.
type Index struct {
	mu sync.RWMutex

	ch    channel.Channel
	langs []string // the channel's languages: titles and terms are kept per language
	curs  []string // the channel's currencies: prices are kept per currency

	byProduct map[[16]byte]uint32
	docs      []doc
	prices    [][]int64 // per currency, per document; -1: not priced in it
	// rows are the documents' facet values and price ranges, packed for
	// counting, and buckets their price ranges per currency (see bucketOf).
	rows    []row
	buckets [][]uint8
	texts   arena
	live    *roaring.Bitmap

	text      []*postings // per language
	brands    facet
	merchants facet
	origins   facet
	ships     facet
	cats      categories

	// ratings are the whole stars (the average rounded down, 0: none) of
	// the products with reviews, listed here or not yet; stars the same
	// per document.
	ratings map[[16]byte]uint8
	stars   []uint8
	// rated[s] holds the documents rated s whole stars (1 to 5), for the
	// rankings that put the better rated first.
	rated [6]*roaring.Bitmap
}

// A doc is one product as the channel shows it; its texts are a record in
// the arena (see record).
type doc struct {
	rec      ref
	version  int64
	brand    int32 // -1: no brand
	merchant int32
	cat      int32 // the product's category; -1: none
	origin   int32 // -1: not stated
	ships    int32 // where it ships from; -1: not stated
	from     uint8 // bit c: its variants' prices differ in currency c ("from")
}

// A row is a document's facet values, each one more than its index in its
// facet (0: none), in eight bytes: counting reads a million of them. Values
// beyond a field's range (a 65,536th category, a 256th country) are not
// counted.
type row struct {
	brand  uint32
	cat    uint16
	ships  uint8
	origin uint8
	// bucket is the price range in each of the index's first rowCurrencies
	// currencies (see bucketOf): a price filter reads the price itself
	// only for the ranges its bounds cut through.
	bucket [rowCurrencies]uint8
}

// rowCurrencies is how many currencies' price ranges a row holds; those of
// a channel's further currencies are read from Index.buckets.
const rowCurrencies = 4

func rowOf(dc doc) row {
	small := func(v int32, limit int32) int32 {
		if v < 0 || v >= limit {
			return 0
		}
		return v + 1
	}
	return row{brand: uint32(small(dc.brand, 1<<31-1)), cat: uint16(small(dc.cat, 1<<16-1)),
		ships: uint8(small(dc.ships, 255)), origin: uint8(small(dc.origin, 255))}
}

// A record is a document's texts: its product id, image, title per
// language of the index, and the texts of its variants' options and
// attributes, searched like its brand and category names.
type record struct {
	id     string
	image  string
	titles []string
	others []string
}

// postings are one language's terms.
type postings struct {
	title map[string]*roaring.Bitmap // terms of titles
	other map[string]*roaring.Bitmap // terms of brands, categories, options, attributes
	// vocab maps each folded word seen to its term, and byLen lists the
	// words by length, for typo tolerance.
	vocab map[string]string
	byLen map[int][]string
	// typos caches the terms a mistyped word stands for, keyed by the
	// vocabulary's size and the word.
	typos *lru.Cache[string, []string]
}

// A facet is a set of values (brands, merchants, countries), each with the
// bitmap of the documents that have it.
type facet struct {
	keys  []string
	names []string
	byKey map[string]int32
	sets  []*roaring.Bitmap
}

func (f *facet) value(key, name string) int32 {
	if key == "" {
		return -1
	}
	if i, ok := f.byKey[key]; ok {
		if name != "" {
			f.names[i] = name
		}
		return i
	}
	if f.byKey == nil {
		f.byKey = map[string]int32{}
	}
	i := int32(len(f.keys))
	f.byKey[key] = i
	f.keys = append(f.keys, key)
	f.names = append(f.names, name)
	f.sets = append(f.sets, roaring.New())
	return i
}

func (f *facet) add(v int32, d uint32) {
	if v >= 0 {
		f.sets[v].Add(d)
	}
}

func (f *facet) remove(v int32, d uint32) {
	if v >= 0 {
		f.sets[v].Remove(d)
	}
}

// setsOf returns the bitmaps of keys' values (nil: none asked; empty: none
// known).
func (f *facet) setsOf(keys []string) []*roaring.Bitmap {
	if len(keys) == 0 {
		return nil
	}
	bs := []*roaring.Bitmap{}
	for _, k := range keys {
		if i, ok := f.byKey[k]; ok {
			bs = append(bs, f.sets[i])
		}
	}
	return bs
}

// categories is the category tree as the channel's products reach it; a
// node's bitmap holds the documents of its whole subtree.
type categories struct {
	nodes []category
	byID  map[string]int32
}

type category struct {
	id     string
	slug   string
	parent int32 // -1: a root
	names  map[string]string
	set    *roaring.Bitmap
}

// node returns the index of path's last node, adding the path's nodes.
func (c *categories) node(path []events.CategoryNode) int32 {
	parent := int32(-1)
	for _, n := range path {
		i, ok := c.byID[n.ID]
		if !ok {
			if c.byID == nil {
				c.byID = map[string]int32{}
			}
			i = int32(len(c.nodes))
			c.byID[n.ID] = i
			c.nodes = append(c.nodes, category{id: n.ID, parent: parent, set: roaring.New()})
		}
		c.nodes[i].slug, c.nodes[i].names, c.nodes[i].parent = n.Slug, n.Names, parent
		parent = i
	}
	return parent
}

// up calls fn with category i and each of its ancestors. (The bound stops
// a cycle that moved categories could leave.)
func (c *categories) up(i int32, fn func(int32)) {
	for depth := 0; i >= 0 && depth < 64; i, depth = c.nodes[i].parent, depth+1 {
		fn(i)
	}
}

// setsOf returns the bitmaps of categories ids (nil: none asked; empty: none
// known).
func (c *categories) setsOf(ids []string) []*roaring.Bitmap {
	if len(ids) == 0 {
		return nil
	}
	bs := []*roaring.Bitmap{}
	for _, id := range ids {
		if i, ok := c.byID[id]; ok {
			bs = append(bs, c.nodes[i].set)
		}
	}
	return bs
}

// newIndex returns an empty index of channel ch.
func newIndex(ch channel.Channel) *Index {
	x := &Index{ch: ch, langs: slices.Clone(ch.Languages), curs: slices.Clone(ch.Currencies),
		byProduct: map[[16]byte]uint32{}, live: roaring.New(), ratings: map[[16]byte]uint8{}}
	for s := range x.rated {
		x.rated[s] = roaring.New()
	}
	x.prices = make([][]int64, len(x.curs))
	x.buckets = make([][]uint8, len(x.curs))

	for range x.langs {
		typos, _ := lru.New[string, []string](4096)
		x.text = append(x.text, &postings{title: map[string]*roaring.Bitmap{}, other: map[string]*roaring.Bitmap{},
			vocab: map[string]string{}, byLen: map[int][]string{}, typos: typos})
	}
	return x
}

// Len returns how many products the index shows.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return int(x.live.GetCardinality())
}

// productKey is the key of product id in byProduct.
func productKey(id string) ([16]byte, bool) {
	var k [16]byte
	if !ids.Valid(ids.Product, id) {
		return k, false
	}
	_, err := hex.Decode(k[:], []byte(id[len(ids.Product)+1:]))
	return k, err == nil
}

// upsert shows l, replacing what the index held of its product, unless the
// index holds a later version. It reports false for a listing whose
// product id is malformed. The caller holds the write lock.
func (x *Index) upsert(l *events.Listing) bool {
	key, ok := productKey(l.ProductID)
	if !ok {
		return false
	}
	d, seen := x.byProduct[key]
	if seen {
		if x.docs[d].version > l.Version {
			return true
		}
		if x.live.Contains(d) {
			x.unindex(d)
		}
		x.texts.free(x.docs[d].rec)
	} else {
		d = uint32(len(x.docs))
		x.byProduct[key] = d
		x.docs = append(x.docs, doc{})
		x.rows = append(x.rows, row{})
		x.stars = append(x.stars, x.ratings[key])
		if st := x.ratings[key]; st > 0 {
			x.rated[st].Add(d)
		}
		for c := range x.prices {
			x.prices[c] = append(x.prices[c], -1)
			x.buckets[c] = append(x.buckets[c], 0)
		}
	}
	x.docs[d] = x.docOf(l, d)
	x.rows[d] = rowOf(x.docs[d])
	for c := range min(len(x.curs), rowCurrencies) {
		x.rows[d].bucket[c] = x.buckets[c][d]
	}
	x.index(d)
	x.live.Add(d)
	if x.texts.wasted() {
		x.compact()
	}
	return true
}

// rate sets product id's rating, an average of tenths of stars (0: no
// reviews). The caller holds the write lock.
func (x *Index) rate(id string, tenths int64) {
	key, ok := productKey(id)
	if !ok {
		return
	}
	s := uint8(min(max(tenths/10, 0), 5))
	if s == 0 {
		delete(x.ratings, key)
	} else {
		x.ratings[key] = s
	}
	if d, ok := x.byProduct[key]; ok {
		if was := x.stars[d]; was > 0 {
			x.rated[was].Remove(d)
		}
		if s > 0 {
			x.rated[s].Add(d)
		}
		x.stars[d] = s
	}
}

// remove stops showing product id. The caller holds the write lock.
func (x *Index) remove(id string) {
	key, ok := productKey(id)
	if !ok {
		return
	}
	d, ok := x.byProduct[key]
	if !ok || !x.live.Contains(d) {
		return
	}
	x.unindex(d)
	x.live.Remove(d)
	x.texts.free(x.docs[d].rec)
	// Keep the version, so that a late upsert of an older one stays out;
	// drop the rest.
	x.docs[d] = doc{version: x.docs[d].version, brand: -1, merchant: -1, cat: -1, origin: -1, ships: -1}
	x.rows[d] = row{}
	for c := range x.prices {
		x.prices[c][d], x.buckets[c][d] = -1, 0
	}
}

// compact copies the live documents' records into a new arena, dropping
// those replaced. The caller holds the write lock.
func (x *Index) compact() {
	var next arena
	for d := range x.docs {
		if x.live.Contains(uint32(d)) {
			x.docs[d].rec = next.put(x.texts.bytes(x.docs[d].rec))
		}
	}
	x.texts = next
}

// docOf builds document d of l, storing its record and prices.
func (x *Index) docOf(l *events.Listing, d uint32) doc {
	dc := doc{version: l.Version, brand: -1, cat: -1}
	if l.Brand != nil {
		dc.brand = x.brands.value(l.Brand.ID, l.Brand.Name)
	}
	dc.merchant = x.merchants.value(l.Merchant.ID, l.Merchant.Name)
	if len(l.Category) > 0 {
		dc.cat = x.cats.node(l.Category)
	}
	dc.origin = x.origins.value(l.OriginCountry, "")
	dc.ships = x.ships.value(l.ShipsFrom, "")
	r := record{id: l.ProductID, titles: make([]string, len(x.langs))}
	for i, lang := range x.langs {
		r.titles[i] = TitleIn(l.Texts, lang, x.langs[0])
	}
	if len(l.Media) > 0 {
		r.image = l.Media[0]
	}
	for _, v := range l.Variants {
		for _, k := range slices.Sorted(maps.Keys(v.Options)) {
			if o := v.Options[k]; !slices.Contains(r.others, o) {
				r.others = append(r.others, o)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(l.Attributes)) {
		if a := l.Attributes[k]; !slices.Contains(r.others, a) {
			r.others = append(r.others, a)
		}
	}
	dc.rec = x.texts.put(r.encode())
	for c, cur := range x.curs {
		x.prices[c][d] = -1
		if p, ok := l.Prices[cur]; ok && p >= 0 {
			x.prices[c][d] = p
		}
		x.buckets[c][d] = bucketOf(x.prices[c][d], minorUnit(cur))
		first := int64(-1)
		for _, v := range l.Variants {
			p, ok := v.Prices[cur]
			if !ok {
				continue
			}
			if first >= 0 && p != first && c < 8 {
				dc.from |= 1 << c
			}
			first = p
		}
	}
	return dc
}

// TitleIn is the title shown in lang: the product's own, else in the
// channel's default language, else in English, French or Chinese, else in
// any (the catalogue's fallback order).
func TitleIn(texts map[string]events.ListText, lang, def string) string {
	for _, l := range [...]string{lang, def, "en", "fr", "zh"} {
		if t, ok := texts[l]; ok && t.Title != "" {
			return t.Title
		}
	}
	for _, l := range slices.Sorted(maps.Keys(texts)) {
		if texts[l].Title != "" {
			return texts[l].Title
		}
	}
	return ""
}

// fields calls fn with each text of document d, whose record is r, in
// language i and whether it is the title.
func (x *Index) fields(d *doc, r *record, i int, fn func(text string, title bool)) {
	fn(r.titles[i], true)
	if d.brand >= 0 {
		fn(x.brands.names[d.brand], false)
	}
	x.cats.up(d.cat, func(c int32) {
		n := &x.cats.nodes[c]
		if name := n.names[x.langs[i]]; name != "" {
			fn(name, false)
		} else {
			fn(n.names[x.langs[0]], false)
		}
	})
	for _, o := range r.others {
		fn(o, false)
	}
}

// eachTerm calls fn with every term of document d and the postings map
// (title or other, per language) it belongs in.
func (x *Index) eachTerm(d uint32, fn func(m map[string]*roaring.Bitmap, term string)) {
	dc := &x.docs[d]
	r := x.texts.record(dc.rec)
	var ws []word
	for i, lang := range x.langs {
		p := x.text[i]
		x.fields(dc, &r, i, func(text string, title bool) {
			m := p.other
			if title {
				m = p.title
			}
			ws = words(text, ws[:0])
			for _, w := range ws {
				for _, t := range p.termsOf(lang, w) {
					fn(m, t)
				}
			}
		})
	}
}

// index adds document d to the postings and facets.
func (x *Index) index(d uint32) {
	x.eachTerm(d, func(m map[string]*roaring.Bitmap, t string) {
		b := m[t]
		if b == nil {
			b = roaring.New()
			m[t] = b
		}
		b.Add(d)
	})
	dc := &x.docs[d]
	x.brands.add(dc.brand, d)
	x.merchants.add(dc.merchant, d)
	x.origins.add(dc.origin, d)
	x.ships.add(dc.ships, d)
	x.cats.up(dc.cat, func(c int32) { x.cats.nodes[c].set.Add(d) })
}

// unindex removes document d from the postings and facets.
func (x *Index) unindex(d uint32) {
	x.eachTerm(d, func(m map[string]*roaring.Bitmap, t string) {
		if b := m[t]; b != nil {
			b.Remove(d)
		}
	})
	dc := &x.docs[d]
	x.brands.remove(dc.brand, d)
	x.merchants.remove(dc.merchant, d)
	x.origins.remove(dc.origin, d)
	x.ships.remove(dc.ships, d)
	x.cats.up(dc.cat, func(c int32) { x.cats.nodes[c].set.Remove(d) })
}

// termsOf returns the terms of one word.
func (p *postings) termsOf(lang string, w word) []string {
	if w.han {
		return hanTerms(w.text, nil, true)
	}
	if stopWords[w.text] {
		return nil
	}
	return []string{p.termOf(lang, w.text)}
}

// termOf returns the term of a Latin word, stemming it once: a word's term
// is kept in the vocabulary, which typo tolerance reads too.
func (p *postings) termOf(lang, w string) string {
	if t, ok := p.vocab[w]; ok {
		return t
	}
	t := stem(lang, w)
	if !isDigits(w) {
		p.learn(w, t)
	}
	return t
}

// learn records a word of the vocabulary.
func (p *postings) learn(w, term string) {
	if _, ok := p.vocab[w]; ok {
		return
	}
	p.vocab[w] = term
	n := len([]rune(w))
	p.byLen[n] = append(p.byLen[n], w)
}
