package search

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
)

var (
	bazaar = channel.Channel{ID: "chn_bazaar", Code: "bazaar", Languages: []string{"fr", "en"}, Currencies: []string{"EUR", "GBP"}, DefaultLanguage: "fr"}
	mall   = channel.Channel{ID: "chn_mall", Code: "mall", Languages: []string{"zh", "en"}, Currencies: []string{"CNY"}, DefaultLanguage: "zh"}
)

var (
	phones  = events.CategoryNode{ID: "cat_phones", Slug: "phone-cases", Names: map[string]string{"fr": "Coques de téléphone", "en": "Phone cases", "zh": "手机壳"}}
	beauty  = events.CategoryNode{ID: "cat_beauty", Slug: "beauty", Names: map[string]string{"fr": "Beauté", "en": "Beauty", "zh": "美妆"}}
	soaps   = events.CategoryNode{ID: "cat_soaps", Slug: "soaps", Names: map[string]string{"fr": "Savons", "en": "Soaps", "zh": "香皂"}}
	jewelry = events.CategoryNode{ID: "cat_jewels", Slug: "jewellery", Names: map[string]string{"fr": "Bijoux", "en": "Jewellery", "zh": "珠宝"}}
)

// product is a listing of the test catalogue.
type product struct {
	id       string
	ch       channel.Channel
	titles   map[string]string
	brand    string
	merchant string
	cats     []events.CategoryNode
	origin   string
	ships    string
	prices   map[string]int64
}

func (p product) listing() events.Listing {
	l := events.Listing{V: events.ListingV1, ProductID: pid(p.id), ChannelID: p.ch.ID, ChannelCode: p.ch.Code,
		Merchant: events.Ref{ID: "mer_" + strings.ToLower(strings.ReplaceAll(p.merchant, " ", "")), Name: p.merchant},
		Category: p.cats, OriginCountry: p.origin, ShipsFrom: p.ships, Texts: map[string]events.ListText{}, Prices: p.prices,
		Media: []string{"/media/demo/" + p.id + ".svg"}, Version: 1, UpdatedAt: time.Now().UTC()}
	if p.brand != "" {
		l.Brand = &events.Ref{ID: "brd_" + strings.ToLower(strings.ReplaceAll(p.brand, " ", "")), Name: p.brand}
	}
	for lang, t := range p.titles {
		l.Texts[lang] = events.ListText{Title: t}
	}
	l.Variants = []events.ListVariant{{ID: "var_" + p.id, SKU: "SKU-" + p.id, Prices: p.prices, Options: map[string]string{"model": "iPhone 16"}}}
	return l
}

// catalogue is the test catalogue, in the order it is listed.
var catalogue = []product{
	{id: "p01", ch: bazaar, titles: map[string]string{"fr": "Coque transparente en silicone — ArmorLite", "en": "ArmorLite clear silicone case"}, brand: "ArmorLite", merchant: "Shenzhen Case Factory",
		cats: []events.CategoryNode{phones}, origin: "CN", ships: "CN", prices: map[string]int64{"EUR": 990, "GBP": 851}},
	{id: "p02", ch: bazaar, titles: map[string]string{"fr": "Coque renforcée — ArmorLite", "en": "ArmorLite rugged case"}, brand: "ArmorLite", merchant: "Shenzhen Case Factory",
		cats: []events.CategoryNode{phones}, origin: "CN", ships: "CN", prices: map[string]int64{"EUR": 1490, "GBP": 1281}},
	{id: "p03", ch: bazaar, titles: map[string]string{"fr": "Étui portefeuille en cuir", "en": "Leather wallet case"}, brand: "Marais Cuir", merchant: "Maroquinerie du Marais",
		cats: []events.CategoryNode{phones}, origin: "FR", ships: "FR", prices: map[string]int64{"EUR": 4990, "GBP": 4291}},
	{id: "p04", ch: bazaar, titles: map[string]string{"fr": "Savon à la lavande", "en": "Lavender soap"}, brand: "Savonnerie de Provence", merchant: "Savonnerie de Provence",
		cats: []events.CategoryNode{beauty, soaps}, origin: "FR", ships: "FR", prices: map[string]int64{"EUR": 590, "GBP": 507}},
	{id: "p05", ch: bazaar, titles: map[string]string{"fr": "Savon d'Alep à l'huile d'olive", "en": "Aleppo olive oil soap"}, brand: "Savonnerie de Provence", merchant: "Savonnerie de Provence",
		cats: []events.CategoryNode{beauty, soaps}, origin: "SY", ships: "FR", prices: map[string]int64{"EUR": 790, "GBP": 679}},
	{id: "p06", ch: bazaar, titles: map[string]string{"fr": "Crème pour les mains", "en": "Hand cream"}, brand: "Lavandes du Luberon", merchant: "Lavandes du Luberon",
		cats: []events.CategoryNode{beauty}, origin: "FR", ships: "FR", prices: map[string]int64{"EUR": 1290, "GBP": 1109}},
	{id: "p07", ch: bazaar, titles: map[string]string{"fr": "Bague en argent", "en": "Silver ring"}, brand: "Pearl River", merchant: "Guangzhou Jewel House",
		cats: []events.CategoryNode{jewelry}, origin: "CN", ships: "CN", prices: map[string]int64{"EUR": 2900, "GBP": 2494}},
	{id: "p08", ch: bazaar, titles: map[string]string{"fr": "Coque MagSafe en silicone", "en": "Silicone MagSafe case"}, merchant: "Shenzhen Case Factory",
		cats: []events.CategoryNode{phones}, origin: "CN", ships: "CN", prices: map[string]int64{"EUR": 1990, "GBP": 1711}},
	{id: "p11", ch: mall, titles: map[string]string{"zh": "ArmorLite 透明手机壳", "en": "ArmorLite clear case"}, brand: "ArmorLite", merchant: "Shenzhen Case Factory",
		cats: []events.CategoryNode{phones}, origin: "CN", ships: "CN", prices: map[string]int64{"CNY": 7800}},
	{id: "p12", ch: mall, titles: map[string]string{"zh": "Savonnerie de Provence 薰衣草香皂", "en": "Lavender soap"}, brand: "Savonnerie de Provence", merchant: "Savonnerie de Provence",
		cats: []events.CategoryNode{beauty, soaps}, origin: "FR", ships: "FR", prices: map[string]int64{"CNY": 4600}},
	{id: "p13", ch: mall, titles: map[string]string{"zh": "银戒指", "en": "Silver ring"}, brand: "Pearl River", merchant: "Guangzhou Jewel House",
		cats: []events.CategoryNode{jewelry}, origin: "CN", ships: "CN", prices: map[string]int64{"CNY": 22600}},
	{id: "p14", ch: mall, titles: map[string]string{"zh": "防摔手机壳", "en": "Rugged case"}, brand: "ArmorLite", merchant: "Shenzhen Case Factory",
		cats: []events.CategoryNode{phones}, origin: "CN", ships: "CN", prices: map[string]int64{"CNY": 11600}},
}

// loaded returns an engine holding the test catalogue, fed as events.
func loaded(t *testing.T) *Engine {
	t.Helper()
	e := New(func(context.Context) ([]channel.Channel, error) { return []channel.Channel{bazaar, mall}, nil }, slog.New(slog.DiscardHandler))
	if err := e.Load(context.Background(), emptySource{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range catalogue {
		l := p.listing()
		if err := e.Handle(context.Background(), events.New(events.ListingUpserted, l.ProductID, "", time.Now(), l)); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

type emptySource struct{}

func (emptySource) ChannelListings(context.Context, string, string, int) ([]events.Listing, error) {
	return nil, nil
}

func (emptySource) ProductRatings(context.Context) (map[string]int64, error) { return nil, nil }

// pid is the product id of a test product named short ("p01").
func pid(short string) string {
	h := hex.EncodeToString([]byte(short))
	return "prd_" + strings.Repeat("0", 32-len(h)) + h
}

// shorts are the test names of a result's products.
func shorts(r Result) []string {
	out := []string{}
	for _, it := range r.Items {
		b, _ := hex.DecodeString(strings.TrimLeft(strings.TrimPrefix(it.ID, "prd_"), "0"))
		out = append(out, string(b))
	}
	return out
}

func search(t *testing.T, e *Engine, q Query) Result {
	t.Helper()
	r, err := e.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("%+v: %v", q, err)
	}
	return r
}

// TestRelevance holds queries in French, English and Chinese with the
// results expected, best first: accents, case, plurals, elisions and typos
// do not matter, and a title holding every word comes before one that holds
// some (the rest by brand or category), newest first among equals.
func TestRelevance(t *testing.T) {
	e := loaded(t)
	for _, c := range []struct {
		ch, lang, q string
		want        []string
	}{
		{"bazaar", "fr", "coque silicone", []string{"p08", "p01"}},
		{"bazaar", "fr", "COQUES", []string{"p08", "p02", "p01", "p03"}}, // p03 by its category, "Coques de téléphone"
		{"bazaar", "fr", "etui cuir", []string{"p03"}},
		{"bazaar", "fr", "Étui", []string{"p03"}},
		{"bazaar", "fr", "savon olive", []string{"p05"}},
		{"bazaar", "fr", "huile d'olive", []string{"p05"}},
		{"bazaar", "fr", "lavande", []string{"p04", "p06"}}, // p06 by its brand, Lavandes du Luberon
		{"bazaar", "fr", "savons", []string{"p05", "p04"}},
		{"bazaar", "fr", "bijoux", []string{"p07"}},
		{"bazaar", "fr", "transparante", []string{"p01"}}, // one typo
		{"bazaar", "fr", "portefeuile", []string{"p03"}},  // one typo
		{"bazaar", "fr", "armorlite", []string{"p02", "p01"}},
		{"bazaar", "fr", "iphone", []string{"p08", "p07", "p06", "p05", "p04", "p03", "p02", "p01"}}, // every variant's option
		{"bazaar", "en", "silicone case", []string{"p08", "p01"}},
		{"bazaar", "en", "cases", []string{"p08", "p03", "p02", "p01"}},
		{"bazaar", "en", "lavendar", []string{"p04"}}, // typo
		{"bazaar", "en", "SOAPS", []string{"p05", "p04"}},
		{"bazaar", "fr", "téléphone", []string{"p08", "p03", "p02", "p01"}},
		{"bazaar", "fr", "telephone", []string{"p08", "p03", "p02", "p01"}},
		{"bazaar", "fr", "zzzz", []string{}},
		{"mall", "zh", "手机壳", []string{"p14", "p11"}},
		{"mall", "zh", "透明手机壳", []string{"p11"}},
		{"mall", "zh", "戒指", []string{"p13"}},
		{"mall", "zh", "香皂", []string{"p12"}},
		{"mall", "zh", "壳", []string{"p14", "p11"}},
		{"mall", "zh", "armorlite 手机壳", []string{"p11", "p14"}}, // p14's title lacks the brand
		{"mall", "en", "silver ring", []string{"p13"}},
		{"mall", "zh", "silicone", []string{}}, // a bazaar product's word: never a mall result
	} {
		got := shorts(search(t, e, Query{Channel: c.ch, Lang: c.lang, Text: c.q}))
		if !slices.Equal(got, c.want) {
			t.Errorf("%s/%s %q: got %v, want %v", c.ch, c.lang, c.q, got, c.want)
		}
	}
}

// TestFacetsAndFilters checks counts, filters and the counts of a filtered
// facet's other values.
func TestFacetsAndFilters(t *testing.T) {
	e := loaded(t)
	r := search(t, e, Query{Channel: "bazaar", Lang: "fr"})
	if r.Total != 8 {
		t.Fatalf("total %d, want 8", r.Total)
	}
	counts := func(vs []ValueCount) string {
		var b strings.Builder
		for _, v := range vs {
			fmt.Fprintf(&b, "%s=%d ", v.Value, v.Count)
		}
		return strings.TrimSpace(b.String())
	}
	if got := counts(r.Facets.ShipsFrom); got != "CN=4 FR=4" {
		t.Errorf("ships from: %s", got)
	}
	if got := counts(r.Facets.Origins); got != "CN=4 FR=3 SY=1" {
		t.Errorf("origins: %s", got)
	}
	if got := counts(r.Facets.Brands); got != "brd_armorlite=2 brd_savonneriedeprovence=2 brd_lavandesduluberon=1 brd_maraiscuir=1 brd_pearlriver=1" {
		t.Errorf("brands: %s", got)
	}
	tree, _ := json.Marshal(r.Facets.Categories)
	if want := `[{"id":"cat_phones","slug":"phone-cases","name":"Coques de téléphone","count":4},{"id":"cat_beauty","slug":"beauty","name":"Beauté","count":3,"children":[{"id":"cat_soaps","slug":"soaps","name":"Savons","count":2}]},{"id":"cat_jewels","slug":"jewellery","name":"Bijoux","count":1}]`; string(tree) != want {
		t.Errorf("categories:\n%s\nwant\n%s", tree, want)
	}
	prices, _ := json.Marshal(r.Facets.Prices)
	if want := `[{"min":0,"max":999,"count":3},{"min":1000,"max":2499,"count":3},{"min":2500,"max":4999,"count":2}]`; string(prices) != want {
		t.Errorf("prices:\n%s\nwant\n%s", prices, want)
	}

	// Filtered on ships-from France: the hits shrink, the facet still counts China.
	r = search(t, e, Query{Channel: "bazaar", Lang: "fr", ShipsFrom: []string{"FR"}})
	if got := shorts(r); !slices.Equal(got, []string{"p06", "p05", "p04", "p03"}) || r.Total != 4 {
		t.Errorf("ships from FR: %v (%d)", got, r.Total)
	}
	if got := counts(r.Facets.ShipsFrom); got != "CN=4 FR=4" {
		t.Errorf("ships from, filtered: %s", got)
	}
	if got := counts(r.Facets.Origins); got != "FR=3 SY=1" {
		t.Errorf("origins of what ships from FR: %s", got)
	}

	// A parent category holds its children; words, three filters and a price.
	r = search(t, e, Query{Channel: "bazaar", Lang: "fr", Text: "savon", Categories: []string{"cat_beauty"}, ShipsFrom: []string{"FR"}, Origins: []string{"FR", "SY"}, MaxPrice: 700})
	if got := shorts(r); !slices.Equal(got, []string{"p04"}) {
		t.Errorf("savon in beauty from FR under 7 EUR: %v", got)
	}
	if got := counts(r.Facets.Origins); got != "FR=1" {
		t.Errorf("origins: %s", got)
	}
	prices, _ = json.Marshal(r.Facets.Prices)
	if want := `[{"min":0,"max":999,"count":2}]`; string(prices) != want {
		t.Errorf("price facet ignores the price filter: %s", prices)
	}
	r = search(t, e, Query{Channel: "bazaar", Lang: "fr", MinPrice: 1000, MaxPrice: 2499, Currency: "GBP"})
	if got := shorts(r); !slices.Equal(got, []string{"p08", "p07", "p06", "p02"}) || r.Currency != "GBP" {
		t.Errorf("10 to 24.99 GBP: %v %s", got, r.Currency)
	}
	// Unknown values filter everything out; they are not errors.
	if r := search(t, e, Query{Channel: "bazaar", Brands: []string{"brd_nope"}}); r.Total != 0 {
		t.Errorf("unknown brand: %d hits", r.Total)
	}
}

// TestSortsAndPages walks every sort page by page and checks that the pages
// join into the whole sorted list, each product once.
func TestSortsAndPages(t *testing.T) {
	e := loaded(t)
	for _, c := range []struct {
		sort string
		want []string
	}{
		{SortPriceAsc, []string{"p04", "p05", "p01", "p06", "p02", "p08", "p07", "p03"}},
		{SortPriceDesc, []string{"p03", "p07", "p08", "p02", "p06", "p01", "p05", "p04"}},
		{SortNewest, []string{"p08", "p07", "p06", "p05", "p04", "p03", "p02", "p01"}},
		{SortRelevance, []string{"p08", "p07", "p06", "p05", "p04", "p03", "p02", "p01"}},
	} {
		for _, limit := range []int{1, 3, 8, 100} {
			var got []string
			cursor := ""
			for pages := 0; pages < 20; pages++ {
				r := search(t, e, Query{Channel: "bazaar", Sort: c.sort, Limit: limit, Cursor: cursor})
				got = append(got, shorts(r)...)
				if r.NextCursor == "" {
					break
				}
				cursor = r.NextCursor
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("%s by %d: %v, want %v", c.sort, limit, got, c.want)
			}
		}
	}
	// Relevance pages across tiers.
	var got []string
	cursor := ""
	for {
		r := search(t, e, Query{Channel: "bazaar", Text: "coque", Limit: 2, Cursor: cursor})
		got = append(got, shorts(r)...)
		if cursor = r.NextCursor; cursor == "" {
			break
		}
	}
	if want := []string{"p08", "p02", "p01", "p03"}; !slices.Equal(got, want) {
		t.Errorf("coque by 2: %v, want %v", got, want)
	}
}

// TestChangesFollowTheEvents checks that an edit, a removal, a late event
// and a new channel reach the results.
func TestChangesFollowTheEvents(t *testing.T) {
	e := loaded(t)
	ctx := context.Background()
	apply := func(typ string, payload any) {
		t.Helper()
		if err := e.Handle(ctx, events.New(typ, "x", "", time.Now(), payload)); err != nil {
			t.Fatal(err)
		}
	}
	// An edit: the old title's words no longer find it.
	p := catalogue[0]
	p.titles = map[string]string{"fr": "Coque arc-en-ciel", "en": "Rainbow case"}
	l := p.listing()
	l.Version = 2
	apply(events.ListingUpserted, l)
	if got := shorts(search(t, e, Query{Channel: "bazaar", Text: "transparente"})); len(got) != 0 {
		t.Errorf("old title still found: %v", got)
	}
	if got := shorts(search(t, e, Query{Channel: "bazaar", Text: "arc-en-ciel"})); !slices.Equal(got, []string{"p01"}) {
		t.Errorf("new title: %v", got)
	}
	// A late event of version 1 changes nothing.
	apply(events.ListingUpserted, catalogue[0].listing())
	if got := shorts(search(t, e, Query{Channel: "bazaar", Text: "transparente"})); len(got) != 0 {
		t.Errorf("a late event came back: %v", got)
	}
	// A removal, then a batch that shows it again.
	apply(events.ListingRemoved, events.ListingRemoval{V: 1, ProductID: pid("p01"), ChannelID: bazaar.ID, Reason: events.RemovedSuspended})
	r := search(t, e, Query{Channel: "bazaar"})
	if r.Total != 7 || slices.Contains(shorts(r), "p01") {
		t.Errorf("removed product still shown: %v", shorts(r))
	}
	if got := shorts(search(t, e, Query{Channel: "bazaar", Text: "arc-en-ciel"})); len(got) != 0 {
		t.Errorf("removed product still found: %v", got)
	}
	apply(events.ListingsUpserted, events.ListingBatch{V: 1, Listings: []events.Listing{l}})
	if got := shorts(search(t, e, Query{Channel: "bazaar", Text: "arc-en-ciel"})); !slices.Equal(got, []string{"p01"}) {
		t.Errorf("shown again: %v", got)
	}
	// Events of other kinds and unknown versions are ignored.
	apply(events.ProductCreated, map[string]string{"id": "p99"})
	bad := catalogue[1].listing()
	bad.V, bad.ProductID = 99, pid("p98")
	apply(events.ListingUpserted, bad)
	if r := search(t, e, Query{Channel: "bazaar"}); r.Total != 8 {
		t.Errorf("total %d after ignored events", r.Total)
	}
}

// TestRefusals checks what a search refuses, and that hostile input is
// answered, never a panic.
func TestRefusals(t *testing.T) {
	e := loaded(t)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		q    Query
		kind errs.Kind
	}{
		{"unknown channel", Query{Channel: "nope"}, errs.NotFound},
		{"long text", Query{Channel: "bazaar", Text: strings.Repeat("a", MaxQueryLen+1)}, errs.Invalid},
		{"invalid UTF-8", Query{Channel: "bazaar", Text: "coque \xff"}, errs.Invalid},
		{"bad sort", Query{Channel: "bazaar", Sort: "random"}, errs.Invalid},
		{"limit", Query{Channel: "bazaar", Limit: MaxLimit + 1}, errs.Invalid},
		{"negative limit", Query{Channel: "bazaar", Limit: -1}, errs.Invalid},
		{"price range", Query{Channel: "bazaar", MinPrice: 10, MaxPrice: 5}, errs.Invalid},
		{"cursor", Query{Channel: "bazaar", Cursor: "garbage!"}, errs.Invalid},
		{"cursor of another sort", Query{Channel: "bazaar", Sort: SortNewest, Cursor: cursor{set: true, sort: SortPriceAsc, key: 1}.encode()}, errs.Invalid},
	} {
		if _, err := e.Search(ctx, c.q); !errs.Is(err, c.kind) {
			t.Errorf("%s: %v, want %v", c.name, err, c.kind)
		}
	}
	for _, q := range []string{`"coque`, `coque' OR 1=1 --`, `<script>alert(1)</script>`, `%%%`, "\u200b", strings.Repeat("手", MaxQueryLen), strings.Repeat("ab ", MaxQueryLen/3)} {
		if _, err := e.Search(ctx, Query{Channel: "bazaar", Text: q}); err != nil {
			t.Errorf("%q: %v", q, err)
		}
	}
	// A cursor past the end is an empty page.
	if r := search(t, e, Query{Channel: "bazaar", Sort: SortNewest, Cursor: cursor{set: true, sort: SortNewest, doc: 0}.encode()}); len(r.Items) != 0 {
		t.Errorf("page after the last: %v", shorts(r))
	}
}

// TestMatchesBruteForce compares random queries on a random catalogue with
// a plain scan of the listings.
func TestMatchesBruteForce(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	e := New(func(context.Context) ([]channel.Channel, error) { return []channel.Channel{bazaar}, nil }, slog.New(slog.DiscardHandler))
	if err := e.Load(context.Background(), emptySource{}); err != nil {
		t.Fatal(err)
	}
	vocab := []string{"coque", "savon", "bague", "lampe", "verre", "cuir", "soie", "lin", "bleu", "rouge"}
	brands := []string{"", "Alpha", "Beta", "Gamma"}
	countries := []string{"CN", "FR", "IT"}
	// Categories whose names are not words of the titles.
	named := func(c events.CategoryNode, name string) events.CategoryNode {
		c.Names = map[string]string{"fr": name, "en": name}
		return c
	}
	phones, beauty, soaps, jewelry := named(phones, "Rayonnage"), named(beauty, "Etagere"), named(soaps, "Tiroir"), named(jewelry, "Placard")
	cats := [][]events.CategoryNode{{phones}, {beauty}, {beauty, soaps}, {jewelry}}
	live := map[string]product{}
	for i := range 400 {
		id := fmt.Sprintf("p%04d", rng.IntN(300))
		if rng.IntN(5) == 0 {
			if err := e.Handle(context.Background(), events.New(events.ListingRemoved, id, "", time.Now(), events.ListingRemoval{V: 1, ProductID: pid(id), ChannelID: bazaar.ID})); err != nil {
				t.Fatal(err)
			}
			delete(live, id)
			continue
		}
		p := product{id: id, ch: bazaar, titles: map[string]string{"fr": vocab[rng.IntN(len(vocab))] + " " + vocab[rng.IntN(len(vocab))], "en": "x"},
			brand: brands[rng.IntN(len(brands))], merchant: "M", cats: cats[rng.IntN(len(cats))], origin: countries[rng.IntN(3)], ships: countries[rng.IntN(3)],
			prices: map[string]int64{"EUR": int64(100 + rng.IntN(5000)), "GBP": 100}}
		l := p.listing()
		l.Version = int64(i + 1)
		if err := e.Handle(context.Background(), events.New(events.ListingUpserted, id, "", time.Now(), l)); err != nil {
			t.Fatal(err)
		}
		live[id] = p
	}
	for range 300 {
		q := Query{Channel: "bazaar", Lang: "fr", Limit: MaxLimit}
		var words []string
		for range rng.IntN(3) {
			words = append(words, vocab[rng.IntN(len(vocab))])
		}
		q.Text = strings.Join(words, " ")
		if rng.IntN(2) == 0 {
			q.ShipsFrom = []string{countries[rng.IntN(3)]}
		}
		if rng.IntN(2) == 0 {
			q.Categories = []string{[]string{"cat_beauty", "cat_soaps", "cat_phones"}[rng.IntN(3)]}
		}
		if rng.IntN(2) == 0 {
			q.MinPrice, q.MaxPrice = int64(rng.IntN(2000)), int64(2000+rng.IntN(3000))
		}
		want := 0
		for _, p := range live {
			ok := true
			for _, w := range words {
				ok = ok && strings.Contains(" "+p.titles["fr"]+" ", " "+w+" ")
			}
			if len(q.ShipsFrom) > 0 {
				ok = ok && p.ships == q.ShipsFrom[0]
			}
			if len(q.Categories) > 0 {
				ok = ok && slices.ContainsFunc(p.cats, func(c events.CategoryNode) bool { return c.ID == q.Categories[0] })
			}
			if q.MaxPrice > 0 {
				ok = ok && p.prices["EUR"] >= q.MinPrice && p.prices["EUR"] <= q.MaxPrice
			}
			if ok {
				want++
			}
		}
		r := search(t, e, q)
		if r.Total != want || len(r.Items) != min(want, MaxLimit) {
			t.Fatalf("%+v: %d hits (%d items), want %d", q, r.Total, len(r.Items), want)
		}
		n := 0
		for _, v := range r.Facets.ShipsFrom {
			if len(q.ShipsFrom) == 0 || v.Value == q.ShipsFrom[0] {
				n += v.Count
			}
		}
		if n != want {
			t.Fatalf("%+v: ships-from counts add to %d, want %d", q, n, want)
		}
	}
}
