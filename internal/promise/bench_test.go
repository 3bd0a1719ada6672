package promise_test

import (
	"testing"

	"github.com/sesame-market/sesame/internal/promise"
)

// BenchmarkPromise is a product page's promise: the best of four origins to
// a Paris postcode, over the default lanes.
func BenchmarkPromise(b *testing.B) {
	lanes := promise.DefaultLanes()
	origins := []promise.Origin{idf, fos, leipzig, shenzhen}
	now := at(b, "2026-07-13T12:30:00Z")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := promise.Best(now, origins, lanes, paris11); !ok {
			b.Fatal("no promise")
		}
	}
}

// BenchmarkPromiseOne is one origin's promise, the long haul from
// Shenzhen.
func BenchmarkPromiseOne(b *testing.B) {
	lanes := promise.DefaultLanes()
	now := at(b, "2026-07-13T12:30:00Z")
	b.ReportAllocs()
	for b.Loop() {
		promise.Promise(now, shenzhen, lanes, paris11)
	}
}

// BenchmarkSelect is a checkout's choice of origins for two SKUs, one
// split.
func BenchmarkSelect(b *testing.B) {
	lanes := promise.DefaultLanes()
	origins := []promise.Origin{idf, fos, leipzig, shenzhen}
	items := []promise.Item{{SKU: "CASE", Quantity: 2}, {SKU: "CABLE", Quantity: 1}}
	stock := []promise.Stock{
		{OriginID: idf.ID, SKU: "CASE", Available: 1},
		{OriginID: fos.ID, SKU: "CASE", Available: 1},
		{OriginID: fos.ID, SKU: "CABLE", Available: 4},
		{OriginID: shenzhen.ID, SKU: "CABLE", Available: 40},
	}
	now := at(b, "2026-07-13T12:30:00Z")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := promise.Select(now, items, stock, origins, lanes, paris11); err != nil {
			b.Fatal(err)
		}
	}
}
