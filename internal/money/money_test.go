package money

import (
	"testing"

	"github.com/sesame-market/sesame/internal/errs"
)

func TestNewRejectsBadInput(t *testing.T) {
	tests := []struct {
		name  string
		minor int64
		cur   string
		kind  errs.Kind
	}{
		{"ok", 1250, "EUR", errs.Other},
		{"zero", 0, "CNY", errs.Other},
		{"negative", -1, "EUR", errs.Invalid},
		{"unknown currency", 100, "XYZ", errs.Invalid},
		{"lower case", 100, "eur", errs.Invalid},
		{"empty currency", 100, "", errs.Invalid},
		{"at the bound", MaxMinor, "JPY", errs.Other},
		{"beyond the bound", MaxMinor + 1, "JPY", errs.Invalid},
		{"max int64", 1<<63 - 1, "EUR", errs.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.minor, tt.cur)
			if got := errs.KindOf(err); got != tt.kind {
				t.Fatalf("New(%d, %q) kind = %v, want %v (err %v)", tt.minor, tt.cur, got, tt.kind, err)
			}
		})
	}
}

func TestFormatAndDecimal(t *testing.T) {
	tests := []struct {
		a      Amount
		locale string
		want   string
		dec    string
	}{
		{Amount{1250, "EUR"}, "fr", "12,50\u00a0€", "12.50"},
		{Amount{1250, "EUR"}, "en", "€12.50", "12.50"},
		{Amount{9900, "CNY"}, "zh", "¥99.00", "99.00"},
		{Amount{500, "JPY"}, "en", "¥500", "500"},
	}
	fs := NewFormatters(0)
	for _, tt := range tests {
		if got := fs.Format(tt.a, tt.locale); got != tt.want {
			t.Errorf("Format(%v, %s) = %q, want %q", tt.a, tt.locale, got, tt.want)
		}
		// A nil *Formatters formats the same, without a cache.
		if got := (*Formatters)(nil).Format(tt.a, tt.locale); got != tt.want {
			t.Errorf("nil Formatters: Format(%v, %s) = %q, want %q", tt.a, tt.locale, got, tt.want)
		}
		if got := tt.a.Decimal(); got != tt.dec {
			t.Errorf("Decimal(%v) = %q, want %q", tt.a, got, tt.dec)
		}
	}
}

func TestApplyBasisPointsRoundsAsTold(t *testing.T) {
	tests := []struct {
		minor, bps int64
		mode       Rounding
		want       int64
	}{
		{10000, 800, HalfUp, 800},
		{999, 500, HalfUp, 50}, // 49.95 -> 50
		{999, 1, HalfUp, 0},    // 0.0999 -> 0
		{15, 5000, HalfUp, 8},  // 7.5 -> 8
		{15, 5000, HalfEven, 8},
		{25, 5000, HalfEven, 12}, // 12.5 -> 12
		{25, 5000, HalfDown, 12},
		{-15, 5000, HalfUp, -8}, // ties away from zero
		{-15, 5000, Down, -7},
		{-15, 5000, Up, -8},
		{101, 100, Up, 2}, // 1.01 -> 2
		{199, 100, Down, 1},
		{1, 1, Up, 1}, // 0.0001 cent: bojanz/currency alone rounds this to 0
		{-1, 1, Up, -1},
		{1, 1, HalfUp, 0},
		{MaxMinor, 5000, HalfUp, MaxMinor / 2}, // exact at the bound
		{MaxMinor - 1, 5000, HalfEven, MaxMinor/2 - 0},
		{MaxMinor / 100, MaxBasisPoints, HalfUp, MaxMinor},
	}
	for _, tt := range tests {
		got, err := Amount{tt.minor, "EUR"}.ApplyBasisPoints(tt.bps, tt.mode)
		if err != nil || got.Minor != tt.want || got.Currency != "EUR" {
			t.Errorf("%d * %d bps (%v) = %v, %v; want %d", tt.minor, tt.bps, tt.mode, got, err, tt.want)
		}
	}
}

func TestApplyBasisPointsRefuses(t *testing.T) {
	tests := []struct {
		name string
		a    Amount
		bps  int64
		mode Rounding
	}{
		// The deposit that a 50% discount used to leave unchanged.
		{"max int64", Amount{1<<63 - 1, "EUR"}, 5000, HalfUp},
		{"beyond the bound", Amount{MaxMinor + 1, "EUR"}, 5000, HalfUp},
		{"result beyond the bound", Amount{MaxMinor, "EUR"}, 10001, HalfUp},
		{"negative bps", Amount{100, "EUR"}, -1, HalfUp},
		{"bps too large", Amount{100, "EUR"}, MaxBasisPoints + 1, HalfUp},
		{"no rounding mode", Amount{100, "EUR"}, 100, 0},
		{"unknown currency", Amount{100, "XYZ"}, 100, HalfUp},
	}
	for _, tt := range tests {
		got, err := tt.a.ApplyBasisPoints(tt.bps, tt.mode)
		if errs.KindOf(err) != errs.Invalid {
			t.Errorf("%s: ApplyBasisPoints = %v, %v; want an Invalid error", tt.name, got, err)
		}
	}
}

// TestParseMajor: amounts as people type them in forms, in their
// currency's minor units; anything else is refused.
func TestParseMajor(t *testing.T) {
	for in, want := range map[string]int64{"12.50": 1250, "12,50": 1250, "12": 1200, " 1 250,5 ": 125050, "0.07": 7} {
		got, err := ParseMajor(in, "EUR")
		if err != nil || got.Minor != want || got.Currency != "EUR" {
			t.Errorf("%q: %+v %v, want %d", in, got, err, want)
		}
	}
	if got, err := ParseMajor("1500", "JPY"); err != nil || got.Minor != 1500 {
		t.Errorf("yen: %+v %v", got, err)
	}
	for _, in := range []string{"", "-1", "1.234", "abc", "1,000.50", "1e3", "12.5.1"} {
		if _, err := ParseMajor(in, "EUR"); !errs.Is(err, errs.Invalid) {
			t.Errorf("%q: %v", in, err)
		}
	}
	if _, err := ParseMajor("1.5", "JPY"); !errs.Is(err, errs.Invalid) {
		t.Error("decimals of yen")
	}
}
