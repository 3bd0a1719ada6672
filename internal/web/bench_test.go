package web_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/web/api"
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

// BenchmarkIdempotency measures a create-product POST through the whole
// handler stack on SQLite, without and with an Idempotency-Key (each
// iteration a new product and a new key): the difference is the cost of
// claiming the key, hashing the request and storing the response in the
// request's transaction.
func BenchmarkIdempotency(b *testing.B) {
	for _, withKey := range []bool{false, true} {
		name := "without-key"
		if withKey {
			name = "with-key"
		}
		b.Run(name, func(b *testing.B) {
			t := &testing.T{}
			db := testkit.Open(b, sqlstore.SQLite)
			f := newFixture(t, db)
			cookie := &http.Cookie{Name: api.SessionCookie, Value: f.cookies["ownerA"]}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				sku := fmt.Sprintf("BENCH-%d", i)
				req := httptest.NewRequest(http.MethodPost, "/api/v1/products", bytes.NewReader(newProduct(f, sku)))
				req.Header.Set("Content-Type", "application/json")
				req.AddCookie(cookie)
				if withKey {
					req.Header.Set("Idempotency-Key", sku)
				}
				rec := httptest.NewRecorder()
				f.web.ServeHTTP(rec, req)
				if rec.Code != http.StatusCreated {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// BenchmarkProductDetail measures GET /api/v1/products/{id} through the
// whole handler stack on SQLite: without a channel (the view only), with
// one (the view and its availability, read from the stock), and with a
// buyer's place (the delivery promise too).
func BenchmarkProductDetail(b *testing.B) {
	t := &testing.T{}
	db := testkit.Open(b, sqlstore.SQLite)
	f := newFixture(t, db)
	if status, out := f.do("ownerA", "PUT", "/api/v1/warehouses/{whA}/stock", `{"sku":"A-1","on_hand":12}`); status != 200 {
		b.Fatalf("count: %d %s", status, out)
	}
	h := f.web
	for _, q := range []string{"", "?channel=bazaar", "?channel=bazaar&country=FR&postcode=75011"} {
		b.Run("query="+q, func(b *testing.B) {
			path := f.expand("/api/v1/products/{productA}" + q)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
					if rec.Code != 200 {
						b.Fatalf("status %d", rec.Code)
					}
				}
			})
		})
	}
}
