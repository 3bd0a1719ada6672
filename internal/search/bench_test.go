package search

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/events"
)

// The benchmarks build an index of SESAME_SEARCH_PRODUCTS products
// (default 1,000,000) shaped like the demo marketplace's: eight categories,
// four kinds of product each, ten adjectives, eighteen brands from China and
// France, prices from 3 to 2,900 EUR, titles in French and English.
//
//	go test -run '^$' -bench . -benchtime 2000x -count 6 ./internal/search/ | tee new.txt
//	benchstat new.txt

type benchCat struct {
	node  events.CategoryNode
	nouns [][2]string // fr, en
	price [2]int64
}

var benchCats = []benchCat{
	{events.CategoryNode{ID: "cat_b1", Slug: "phone-cases", Names: map[string]string{"fr": "Coques de téléphone", "en": "Phone cases"}}, [][2]string{{"Coque transparente", "Clear case"}, {"Coque renforcée", "Rugged case"}, {"Étui portefeuille", "Wallet case"}, {"Coque MagSafe", "MagSafe case"}}, [2]int64{299, 1999}},
	{events.CategoryNode{ID: "cat_b2", Slug: "clothing", Names: map[string]string{"fr": "Vêtements", "en": "Clothing"}}, [][2]string{{"Chemise en lin", "Linen shirt"}, {"Marinière", "Striped top"}, {"Robe d'été", "Summer dress"}, {"Sweat à capuche", "Hoodie"}}, [2]int64{999, 8999}},
	{events.CategoryNode{ID: "cat_b3", Slug: "jewellery", Names: map[string]string{"fr": "Bijoux", "en": "Jewellery"}}, [][2]string{{"Collier de perles", "Pearl necklace"}, {"Bague en argent", "Silver ring"}, {"Boucles d'oreilles en or", "Gold earrings"}, {"Bracelet à breloques", "Charm bracelet"}}, [2]int64{1500, 49000}},
	{events.CategoryNode{ID: "cat_b4", Slug: "furniture", Names: map[string]string{"fr": "Maison et mobilier", "en": "Home and furniture"}}, [][2]string{{"Table d'appoint en chêne", "Oak side table"}, {"Assiette en faïence", "Faience plate"}, {"Vase en cristal", "Crystal vase"}, {"Chaise en rotin", "Rattan chair"}}, [2]int64{2500, 59000}},
	{events.CategoryNode{ID: "cat_b5", Slug: "travel", Names: map[string]string{"fr": "Voyage", "en": "Travel"}}, [][2]string{{"Valise cabine", "Carry-on suitcase"}, {"Cubes de rangement", "Packing cubes"}, {"Coussin de voyage", "Neck pillow"}, {"Adaptateur de voyage", "Travel adapter"}}, [2]int64{899, 19900}},
	{events.CategoryNode{ID: "cat_b6", Slug: "beauty", Names: map[string]string{"fr": "Beauté", "en": "Beauty"}}, [][2]string{{"Savon à la lavande", "Lavender soap"}, {"Eau de parfum", "Eau de parfum"}, {"Crème pour les mains", "Hand cream"}, {"Huile essentielle", "Essential oil"}}, [2]int64{450, 15900}},
	{events.CategoryNode{ID: "cat_b7", Slug: "food", Names: map[string]string{"fr": "Épicerie fine et vins", "en": "Food and wine"}}, [][2]string{{"Huile d'olive", "Olive oil"}, {"Boîte de calissons", "Calissons box"}, {"Galettes au beurre", "Butter biscuits"}, {"Bordeaux rouge", "Bordeaux red"}}, [2]int64{590, 8900}},
	{events.CategoryNode{ID: "cat_b8", Slug: "bags", Names: map[string]string{"fr": "Sacs et maroquinerie", "en": "Bags and leather"}}, [][2]string{{"Cabas en cuir", "Leather tote"}, {"Sac bandoulière", "Crossbody bag"}, {"Porte-cartes", "Card holder"}, {"Sac de voyage", "Weekender"}}, [2]int64{4900, 290000}},
}

var benchAdjectives = [][2]string{{"classique", "Classic"}, {"premium", "Premium"}, {"fin", "Slim"}, {"artisanal", "Handmade"}, {"édition limitée", "Limited"},
	{"bio", "Organic"}, {"vintage", "Vintage"}, {"du quotidien", "Everyday"}, {"de luxe", "Deluxe"}, {"essentiel", "Essential"}}

var benchBrands = []struct{ name, country string }{
	{"ArmorLite", "CN"}, {"Yiwu Style", "CN"}, {"Pearl River", "CN"}, {"Foshan Oak", "CN"}, {"Roamwell", "CN"},
	{"Savonnerie de Provence", "FR"}, {"Lavandes du Luberon", "FR"}, {"Huilerie des Alpilles", "FR"}, {"Calissons d'Aix", "FR"},
	{"Moustiers", "FR"}, {"Parfums de Grasse", "FR"}, {"Maison Lumière", "FR"}, {"Saint-Honoré", "FR"}, {"Marinières de Bretagne", "FR"},
	{"Quimper", "FR"}, {"Cristal de Lorraine", "FR"}, {"Marais Cuir", "FR"}, {"Château Lacoste", "FR"},
}

// benchListing returns the n-th product of the benchmark catalogue.
func benchListing(rng *rand.Rand, n int) events.Listing {
	c := benchCats[rng.IntN(len(benchCats))]
	noun := c.nouns[rng.IntN(len(c.nouns))]
	adj := benchAdjectives[rng.IntN(len(benchAdjectives))]
	br := benchBrands[rng.IntN(len(benchBrands))]
	id := fmt.Sprintf("prd_%032x", n)
	base := c.price[0] + rng.Int64N(c.price[1]-c.price[0])
	l := events.Listing{V: events.ListingV1, ProductID: id, ChannelID: bazaar.ID, ChannelCode: bazaar.Code,
		Merchant: events.Ref{ID: "mer_" + br.name, Name: br.name}, Brand: &events.Ref{ID: "brd_" + br.name, Name: br.name},
		Category: []events.CategoryNode{c.node}, OriginCountry: br.country, ShipsFrom: br.country,
		Texts: map[string]events.ListText{
			"fr": {Title: noun[0] + " " + adj[0] + " — " + br.name},
			"en": {Title: br.name + " " + adj[1] + " " + noun[1]},
		},
		Prices: map[string]int64{"EUR": base, "GBP": base * 86 / 100}, Media: []string{"/media/demo/" + id + ".svg"},
		Attributes: map[string]string{"origin": br.country}, Version: 1}
	for v := range 1 + rng.IntN(3) {
		l.Variants = append(l.Variants, events.ListVariant{ID: fmt.Sprintf("var_%d_%d", n, v), SKU: "SKU" + strconv.Itoa(n),
			Options: map[string]string{"size": []string{"S", "M", "L"}[v]}, Prices: l.Prices})
	}
	return l
}

var bench struct {
	once  sync.Once
	e     *Engine
	n     int
	build time.Duration // indexing only, the listings' generation excluded
	heap  uint64        // the heap the index holds
}

func benchEngine(b *testing.B) *Engine {
	bench.once.Do(func() {
		bench.n = 1_000_000
		if s := os.Getenv("SESAME_SEARCH_PRODUCTS"); s != "" {
			bench.n, _ = strconv.Atoi(s)
		}
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		bench.e = New(func(context.Context) ([]channel.Channel, error) { return []channel.Channel{bazaar}, nil }, slog.New(slog.DiscardHandler))
		if err := bench.e.Load(context.Background(), emptySource{}); err != nil {
			b.Fatal(err)
		}
		x := bench.e.byCode["bazaar"]
		rng := rand.New(rand.NewPCG(1, 2))
		batch := make([]events.Listing, 1000)
		for done := 0; done < bench.n; done += len(batch) {
			for i := range batch {
				batch[i] = benchListing(rng, done+i)
			}
			start := time.Now()
			x.mu.Lock()
			for i := range batch {
				if !x.upsert(&batch[i]) {
					b.Fatal("not indexed")
				}
			}
			x.mu.Unlock()
			bench.build += time.Since(start)
		}
		clear(batch)
		// A third of the products have reviews, averaging 1.0 to 5.0
		// stars, as an established marketplace's do: the rankings by
		// rating work on them.
		x.mu.Lock()
		for i := 0; i < bench.n; i += 3 {
			x.rate(fmt.Sprintf("prd_%032x", i), 10+rng.Int64N(41))
		}
		x.mu.Unlock()
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		bench.heap = after.HeapAlloc - before.HeapAlloc
	})
	return bench.e
}

// benchQueries are two words, three facet filters (category, ships-from,
// a price ceiling) and the facet counts: the search a buyer refines.
func benchQueries() []Query {
	rng := rand.New(rand.NewPCG(3, 4))
	var qs []Query
	for range 200 {
		c := benchCats[rng.IntN(len(benchCats))]
		noun := c.nouns[rng.IntN(len(c.nouns))]
		adj := benchAdjectives[rng.IntN(len(benchAdjectives))]
		ws := words(noun[0], nil)
		qs = append(qs, Query{Channel: "bazaar", Lang: "fr", Text: ws[0].text + " " + words(adj[0], nil)[0].text,
			Categories: []string{c.node.ID}, ShipsFrom: []string{[]string{"CN", "FR"}[rng.IntN(2)]},
			MaxPrice: c.price[0] + rng.Int64N(c.price[1]-c.price[0]), Limit: 24})
	}
	return qs
}

// runQueries runs b.N queries of qs and reports the latencies' p50 and p99.
func runQueries(b *testing.B, e *Engine, qs []Query) {
	lat := make([]time.Duration, 0, b.N)
	ctx := context.Background()
	hits := 0
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		r, err := e.Search(ctx, qs[i%len(qs)])
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		hits += r.Total
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(hits)/float64(len(lat)), "hits/op")
	b.ReportMetric(float64(bench.n)/bench.build.Seconds(), "built-products/s")
	b.ReportMetric(float64(bench.heap)/(1<<20), "index-MiB")
}

// BenchmarkSearchRefined: two words and three filters, with facet counts.
func BenchmarkSearchRefined(b *testing.B) {
	runQueries(b, benchEngine(b), benchQueries())
}

// BenchmarkSearchBroad: one word, no filter, with facet counts (a buyer's
// first query, matching up to an eighth of the catalogue).
func BenchmarkSearchBroad(b *testing.B) {
	var qs []Query
	for _, c := range benchCats {
		for _, n := range c.nouns {
			qs = append(qs, Query{Channel: "bazaar", Lang: "fr", Text: words(n[0], nil)[0].text, Limit: 24})
		}
	}
	runQueries(b, benchEngine(b), qs)
}

// BenchmarkSearchPriceSorted: two words sorted by price, with facet counts.
func BenchmarkSearchPriceSorted(b *testing.B) {
	qs := benchQueries()
	for i := range qs {
		qs[i].Categories, qs[i].ShipsFrom, qs[i].MaxPrice, qs[i].Sort = nil, nil, 0, SortPriceAsc
	}
	runQueries(b, benchEngine(b), qs)
}
