package search

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/events"
)

// ratedSource is emptySource with ratings.
type ratedSource struct {
	emptySource
	ratings map[string]int64
}

func (s ratedSource) ProductRatings(context.Context) (map[string]int64, error) { return s.ratings, nil }

func reviewed(t *testing.T, e *Engine, short string, tenths int64) {
	t.Helper()
	ev := events.New(events.ReviewModerated, "rev_1", "", time.Now(), events.ReviewChange{V: events.ReviewChangeV1, ProductID: pid(short), ProductAverageTenths: tenths})
	if err := e.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
}

// TestRatingFilterAndFacet: the ratings loaded and those the review events
// bring, for products listed before or after them, filter a search ("4
// stars & up" keeps an average of 4.0, not 3.9) and count in the ratings
// facet, which ignores its own filter; a product whose reviews were all
// hidden leaves it.
func TestRatingFilterAndFacet(t *testing.T) {
	e := New(func(context.Context) ([]channel.Channel, error) { return []channel.Channel{bazaar, mall}, nil }, slog.New(slog.DiscardHandler))
	if err := e.Load(context.Background(), ratedSource{ratings: map[string]int64{pid("p04"): 47, pid("p05"): 39}}); err != nil {
		t.Fatal(err)
	}
	reviewed(t, e, "p03", 40) // before its listing
	for _, p := range catalogue {
		l := p.listing()
		if err := e.Handle(context.Background(), events.New(events.ListingUpserted, l.ProductID, "", time.Now(), l)); err != nil {
			t.Fatal(err)
		}
	}
	reviewed(t, e, "p01", 21)
	reviewed(t, e, "p12", 50)

	r := search(t, e, Query{Channel: "bazaar", Lang: "en", MinStars: 4, Sort: SortPriceAsc})
	if diff := cmp.Diff(shorts(r), []string{"p04", "p03"}); diff != "" {
		t.Errorf("4 stars & up (-got +want):\n%s", diff)
	}
	want := []StarsCount{{Stars: 4, Count: 2}, {Stars: 3, Count: 3}, {Stars: 2, Count: 4}, {Stars: 1, Count: 4}}
	if diff := cmp.Diff(r.Facets.Ratings, want); diff != "" {
		t.Errorf("ratings facet (-got +want):\n%s", diff)
	}
	if r = search(t, e, Query{Channel: "bazaar", Lang: "en", Text: "soap"}); len(r.Items) != 2 || len(r.Facets.Ratings) != 4 || r.Facets.Ratings[0] != (StarsCount{Stars: 4, Count: 1}) {
		t.Errorf("soap: %v %+v", shorts(r), r.Facets.Ratings)
	}
	reviewed(t, e, "p04", 0)
	if r = search(t, e, Query{Channel: "bazaar", Lang: "en", MinStars: 4}); len(r.Items) != 1 {
		t.Errorf("after p04's reviews were hidden: %v", shorts(r))
	}
	if r = search(t, e, Query{Channel: "mall", Lang: "zh", MinStars: 5}); len(r.Items) != 1 || shorts(r)[0] != "p12" {
		t.Errorf("mall, 5 stars: %v", shorts(r))
	}
	if _, err := e.Search(context.Background(), Query{Channel: "bazaar", MinStars: 6}); err == nil {
		t.Error("six stars: no error")
	}
}

// TestRatingRanks: among results holding as many of the words, the better
// rated come first (Lavender soap, 4.7, before the newer Aleppo soap, 3.9);
// sorted by rating, whole stars rank (unrated last) and the newest leads
// among equals; paging one result at a time gives the same order, also
// after a rating changes between pages' worth of queries.
func TestRatingRanks(t *testing.T) {
	e := New(func(context.Context) ([]channel.Channel, error) { return []channel.Channel{bazaar, mall}, nil }, slog.New(slog.DiscardHandler))
	if err := e.Load(context.Background(), ratedSource{ratings: map[string]int64{pid("p04"): 47, pid("p05"): 39, pid("p03"): 42, pid("p01"): 21}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range catalogue {
		l := p.listing()
		if err := e.Handle(context.Background(), events.New(events.ListingUpserted, l.ProductID, "", time.Now(), l)); err != nil {
			t.Fatal(err)
		}
	}
	if r := search(t, e, Query{Channel: "bazaar", Lang: "en", Text: "soap"}); !cmp.Equal(shorts(r), []string{"p04", "p05"}) {
		t.Errorf("soap by relevance: %v", shorts(r))
	}
	all := search(t, e, Query{Channel: "bazaar", Lang: "en", Sort: SortRating, Limit: 100})
	got := shorts(all)
	if len(got) < 5 || !cmp.Equal(got[:4], []string{"p04", "p03", "p05", "p01"}) {
		t.Fatalf("by rating: %v", got)
	}
	var paged []string
	cursor := ""
	for range len(got) + 1 {
		r := search(t, e, Query{Channel: "bazaar", Lang: "en", Sort: SortRating, Limit: 1, Cursor: cursor})
		paged = append(paged, shorts(r)...)
		if cursor = r.NextCursor; cursor == "" {
			break
		}
	}
	if diff := cmp.Diff(paged, got); diff != "" {
		t.Errorf("paged by rating (-got +want):\n%s", diff)
	}
	reviewed(t, e, "p01", 50)
	if r := search(t, e, Query{Channel: "bazaar", Lang: "en", Sort: SortRating, Limit: 1}); !cmp.Equal(shorts(r), []string{"p01"}) {
		t.Errorf("after p01's five stars: %v", shorts(r))
	}
	if r := search(t, e, Query{Channel: "bazaar", Lang: "en", Text: "armorlite case"}); len(r.Items) == 0 || shorts(r)[0] != "p01" {
		t.Errorf("armorlite case: %v", shorts(r))
	}
}
