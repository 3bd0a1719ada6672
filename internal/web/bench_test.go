package web_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// BenchmarkListProducts measures GET /api/v1/products through the whole
// handler stack (middleware, huma, cache, store) on SQLite, without the
// network. Compare runs with benchstat.
func BenchmarkListProducts(b *testing.B) {
	t := &testing.T{}
	db := testkit.Open(b, sqlstore.SQLite)
	f := newFixture(t, db)
	h := f.web
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "/api/v1/products?channel=bazaar&limit=20", nil)
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
}
