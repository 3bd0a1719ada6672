package catalog_test

import (
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/catalog"
)

func TestReductionAgainstTheLowestPriceOf30Days(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	ch := func(old, new int64, d int) catalog.PriceChange {
		return catalog.PriceChange{VariantID: "v", ChannelID: "c", Currency: "EUR", Old: old, New: new, At: day(d)}
	}
	for _, tc := range []struct {
		name    string
		changes []catalog.PriceChange
		current int64
		ok      bool
		want    catalog.Reduction
	}{
		{"no change", nil, 1000, false, catalog.Reduction{}},
		{"a plain reduction", []catalog.PriceChange{ch(1000, 800, 10)}, 800, true, catalog.Reduction{Prior: 1000, PercentOff: 20}},
		// Raised to 1500 for a week, then "reduced" to 1200: the reference
		// is the lowest of the 30 days before, 1000; 1200 is no reduction.
		{"inflated then cut", []catalog.PriceChange{ch(1000, 1500, 10), ch(1500, 1200, 17)}, 1200, false, catalog.Reduction{}},
		{"inflated then cut below", []catalog.PriceChange{ch(1000, 1500, 10), ch(1500, 900, 17)}, 900, true, catalog.Reduction{Prior: 1000, PercentOff: 10}},
		// A low price more than 30 days before does not count.
		{"old low price", []catalog.PriceChange{ch(1000, 500, 1), ch(500, 1000, 2), ch(1000, 800, 40)}, 800, true, catalog.Reduction{Prior: 1000, PercentOff: 20}},
		{"raised", []catalog.PriceChange{ch(800, 1000, 10)}, 1000, false, catalog.Reduction{}},
		{"not the current price", []catalog.PriceChange{ch(1000, 800, 10)}, 700, false, catalog.Reduction{}},
		{"rounded down", []catalog.PriceChange{ch(999, 700, 10)}, 700, true, catalog.Reduction{Prior: 999, PercentOff: 29}},
	} {
		got, ok := catalog.ReductionOf(tc.changes, "v", "c", "EUR", tc.current)
		if ok != tc.ok || got != tc.want {
			t.Errorf("%s: %+v %v, want %+v %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
