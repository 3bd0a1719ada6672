package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestPagesUnderConcurrentWalks: six buyers walk a channel's pages at once,
// each with its own page size and so its own pages, twice (the first walk's
// pages are read from the database, the second's from the cache or the
// database again). Every page holds exactly the products that follow its
// cursor, in order: a decoding buffer shared by two reads at once could show
// another page's bytes, and the race detector would report it.
func TestPagesUnderConcurrentWalks(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ownerA, err := f.svc.Identity.Authenticate(ctx, f.cookies["ownerA"])
		if err != nil {
			t.Fatal(err)
		}
		for i := range 30 {
			p, err := f.svc.Catalog.CreateProduct(ctx, ownerA, catalog.ProductInput{CategoryID: f.ids["category"], OriginCountry: "CN",
				Translations: map[string]catalog.Text{"en": {Title: fmt.Sprintf("Case %d", i), Description: "A case that fills a page"}},
				Variants:     []catalog.VariantInput{{SKU: fmt.Sprintf("W-%d", i), Prices: []catalog.PriceInput{{Channel: "bazaar", Currency: "EUR", Amount: int64(1000 + i)}}}}})
			if err != nil {
				t.Fatal(err)
			}
			if err := f.svc.Catalog.List(ctx, ownerA, p.ID, "bazaar"); err != nil {
				t.Fatal(err)
			}
		}
		type page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		get := func(limit int, cursor string) (page, error) {
			req := httptest.NewRequest("GET", fmt.Sprintf("/api/v1/products?channel=bazaar&lang=en&limit=%d&cursor=%s", limit, cursor), nil)
			rec := httptest.NewRecorder()
			f.web.ServeHTTP(rec, req)
			var pg page
			if rec.Code != 200 {
				return pg, fmt.Errorf("status %d: %s", rec.Code, rec.Body)
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &pg); err != nil {
				return pg, fmt.Errorf("not JSON (%v): %s", err, rec.Body)
			}
			return pg, nil
		}
		// walk follows a channel's pages of limit products from the first to
		// the last, and returns their products' ids in order.
		walk := func(limit int) ([]string, error) {
			var ids []string
			for cursor := ""; ; {
				pg, err := get(limit, cursor)
				if err != nil {
					return ids, err
				}
				if len(pg.Items) > limit {
					return ids, fmt.Errorf("a page of %d", len(pg.Items))
				}
				for _, it := range pg.Items {
					ids = append(ids, it.ID)
				}
				if cursor = pg.NextCursor; cursor == "" {
					return ids, nil
				}
			}
		}
		// The channel's products in order, from a walk of the largest pages.
		want, err := walk(100)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) < 30 {
			t.Fatalf("the channel lists %d products, want at least 30", len(want))
		}
		var wg sync.WaitGroup
		for g := range 6 {
			limit := g + 2
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := range 2 {
					got, err := walk(limit)
					if err != nil {
						t.Errorf("limit %d, walk %d: %v", limit, n, err)
						return
					}
					if !slices.Equal(got, want) {
						t.Errorf("limit %d, walk %d: pages show %v, want %v", limit, n, got, want)
					}
				}
			}()
		}
		wg.Wait()
	})
}
