package money

import (
	"testing"

	"github.com/bojanz/currency"
)

// BenchmarkFormat is the storefront's per-price cost through the cache.
func BenchmarkFormat(b *testing.B) {
	fs := NewFormatters(0)
	a := Amount{123456, "EUR"}
	for b.Loop() {
		_ = fs.Format(a, "fr")
	}
}

// BenchmarkFormatUncached builds a formatter per price, for comparison.
func BenchmarkFormatUncached(b *testing.B) {
	a, _ := currency.NewAmountFromInt64(123456, "EUR")
	for b.Loop() {
		_ = currency.NewFormatter(currency.NewLocale(MatchLocale("fr"))).Format(a)
	}
}

func BenchmarkMatchLocale(b *testing.B) {
	for b.Loop() {
		_ = MatchLocale("fr-CH")
	}
}
