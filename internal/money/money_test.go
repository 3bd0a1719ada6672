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
	for _, tt := range tests {
		if got := tt.a.Format(tt.locale); got != tt.want {
			t.Errorf("Format(%v, %s) = %q, want %q", tt.a, tt.locale, got, tt.want)
		}
		if got := tt.a.Decimal(); got != tt.dec {
			t.Errorf("Decimal(%v) = %q, want %q", tt.a, got, tt.dec)
		}
	}
}

func TestApplyBasisPointsRoundsHalfUp(t *testing.T) {
	tests := []struct {
		minor, bps, want int64
	}{
		{10000, 800, 800},
		{999, 500, 50}, // 49.95 -> 50
		{999, 1, 0},    // 0.0999 -> 0
		{15, 5000, 8},  // 7.5 -> 8
	}
	for _, tt := range tests {
		got := Amount{tt.minor, "EUR"}.ApplyBasisPoints(tt.bps)
		if got.Minor != tt.want {
			t.Errorf("%d * %d bps = %d, want %d", tt.minor, tt.bps, got.Minor, tt.want)
		}
	}
}
