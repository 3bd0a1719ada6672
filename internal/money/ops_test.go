package money

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sesame-market/sesame/internal/errs"
)

func TestAddSubNegMul(t *testing.T) {
	eur := func(n int64) Amount { return Amount{n, "EUR"} }
	type op func() (Amount, error)
	tests := []struct {
		name  string
		do    op
		want  Amount
		cause error // nil: success
	}{
		{"add", func() (Amount, error) { return eur(150).Add(eur(-200)) }, eur(-50), nil},
		{"sub", func() (Amount, error) { return eur(150).Sub(eur(200)) }, eur(-50), nil},
		{"add to the bound", func() (Amount, error) { return eur(MaxMinor - 1).Add(eur(1)) }, eur(MaxMinor), nil},
		{"add past the bound", func() (Amount, error) { return eur(MaxMinor).Add(eur(1)) }, Amount{}, ErrBound},
		{"sub past the bound", func() (Amount, error) { return eur(-MaxMinor).Sub(eur(1)) }, Amount{}, ErrBound},
		{"add an operand past the bound", func() (Amount, error) { return eur(1<<63 - 1).Add(eur(-(1<<63 - 1))) }, Amount{}, ErrBound},
		{"add across currencies", func() (Amount, error) { return eur(1).Add(Amount{1, "USD"}) }, Amount{}, ErrMismatch},
		{"sub across currencies", func() (Amount, error) { return Amount{1, "JPY"}.Sub(eur(1)) }, Amount{}, ErrMismatch},
		{"neg", func() (Amount, error) { return eur(-MaxMinor).Neg() }, eur(MaxMinor), nil},
		{"neg past the bound", func() (Amount, error) { return eur(-1 << 63).Neg() }, Amount{}, ErrBound},
		{"mul", func() (Amount, error) { return eur(1999).Mul(3) }, eur(5997), nil},
		{"mul negative", func() (Amount, error) { return eur(1999).Mul(-3) }, eur(-5997), nil},
		{"mul zero", func() (Amount, error) { return eur(1999).Mul(0) }, eur(0), nil},
		{"mul to the bound", func() (Amount, error) { return eur(MaxMinor / 8).Mul(8) }, eur(MaxMinor), nil},
		{"mul past the bound", func() (Amount, error) { return eur(MaxMinor/8 + 1).Mul(8) }, Amount{}, ErrBound},
		{"mul that would wrap int64", func() (Amount, error) { return eur(3).Mul(1 << 62) }, Amount{}, ErrBound},
		{"mul by min int64", func() (Amount, error) { return eur(1).Mul(-1 << 63) }, Amount{}, ErrBound},
		{"unknown currency", func() (Amount, error) { return Amount{1, "XYZ"}.Mul(2) }, Amount{}, errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.do()
			if tt.cause == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if diff := cmp.Diff(got, tt.want); diff != "" {
					t.Fatalf("(-got +want)\n%s", diff)
				}
				return
			}
			if errs.KindOf(err) != errs.Invalid || (tt.cause != errAny && !errors.Is(err, tt.cause)) {
				t.Fatalf("got %v, %v; want Invalid %v", got, err, tt.cause)
			}
		})
	}
}

// errAny stands for any Invalid error in a table.
var errAny = errors.New("any")

func TestAllocate(t *testing.T) {
	tests := []struct {
		name    string
		minor   int64
		weights []int64
		want    []int64
	}{
		{"even", 300, []int64{1, 1, 1}, []int64{100, 100, 100}},
		{"ties go to the first", 100, []int64{1, 1, 1}, []int64{34, 33, 33}},
		{"largest remainder", 100, []int64{1, 2, 2}, []int64{20, 40, 40}},
		{"largest remainder wins over order", 10, []int64{1, 2}, []int64{3, 7}}, // 3.33, 6.67
		{"two units left", 5, []int64{1, 1, 1}, []int64{2, 2, 1}},
		{"zero weight gets zero", 101, []int64{0, 1, 0, 1}, []int64{0, 51, 0, 50}},
		{"negative mirrors positive", -100, []int64{1, 1, 1}, []int64{-34, -33, -33}},
		{"zero amount", 0, []int64{3, 4}, []int64{0, 0}},
		{"one part", 12345, []int64{7}, []int64{12345}},
		{"huge weights", MaxMinor, []int64{1<<62 - 1, 1<<62 - 1}, []int64{MaxMinor / 2, MaxMinor / 2}},
		{"bound split three ways", -MaxMinor, []int64{1, 1, 1}, []int64{-333333333333334, -333333333333333, -333333333333333}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts, err := Amount{tt.minor, "EUR"}.Allocate(tt.weights)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]int64, len(parts))
			for i, p := range parts {
				if p.Currency != "EUR" {
					t.Fatalf("part %d in %s", i, p.Currency)
				}
				got[i] = p.Minor
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Fatalf("(-got +want)\n%s", diff)
			}
		})
	}
}

func TestAllocateRefuses(t *testing.T) {
	tests := []struct {
		name    string
		a       Amount
		weights []int64
	}{
		{"no weights", Amount{100, "EUR"}, nil},
		{"all zero", Amount{100, "EUR"}, []int64{0, 0}},
		{"negative weight", Amount{100, "EUR"}, []int64{2, -1}},
		{"weights overflow", Amount{100, "EUR"}, []int64{1<<63 - 1, 1}},
		{"amount beyond the bound", Amount{MaxMinor + 1, "EUR"}, []int64{1}},
		{"unknown currency", Amount{100, ""}, []int64{1}},
	}
	for _, tt := range tests {
		if got, err := tt.a.Allocate(tt.weights); errs.KindOf(err) != errs.Invalid {
			t.Errorf("%s: Allocate = %v, %v; want Invalid", tt.name, got, err)
		}
	}
}

func TestConvert(t *testing.T) {
	tests := []struct {
		minor int64
		from  string
		rate  string
		to    string
		mode  Rounding
		want  int64
	}{
		{10000, "EUR", "7.8123", "CNY", HalfUp, 78123},   // 100.00 EUR -> 781.23 CNY
		{1, "EUR", "7.8123", "CNY", HalfUp, 8},           // 0.078123 CNY
		{1, "EUR", "7.8123", "CNY", Down, 7},             //
		{1000, "JPY", "0.00617", "EUR", HalfUp, 617},     // 1000 JPY -> 6.17 EUR
		{12345, "JPY", "0.002035", "KWD", HalfUp, 25122}, // 25.122075 KWD
		{12345, "JPY", "0.002035", "KWD", Up, 25123},     //
		{1, "KWD", "490.5", "JPY", HalfUp, 0},            // 0.4905 JPY
		{1, "KWD", "490.5", "JPY", Up, 1},                //
		{2, "KWD", "250", "JPY", HalfEven, 0},            // 0.5 JPY, tie to even
		{6, "KWD", "250", "JPY", HalfEven, 2},            // 1.5 JPY
		{6, "KWD", "250", "JPY", HalfDown, 1},            //
		{50, "GBP", "1.25", "USD", HalfUp, 63},           // 0.625 USD
		{50, "GBP", "1.25", "USD", HalfEven, 62},         //
		{50, "GBP", "1.25", "USD", HalfDown, 62},         //
		{-50, "GBP", "1.25", "USD", HalfUp, -63},         // refunds round as charges do
		{-50, "GBP", "1.25", "USD", Down, -62},           //
		{-50, "GBP", "1.25", "USD", Up, -63},             //
		{999, "GBP", "1.25", "USD", HalfEven, 1249},      // 12.4875 USD
		{MaxMinor, "KWD", "1", "JPY", HalfUp, MaxMinor / 1000},
		{MaxMinor / 10, "EUR", "1", "KWD", HalfUp, MaxMinor},
		{123456789, "USD", "1.000000000001", "EUR", HalfUp, 123456789},
		{1, "JPY", "0.00617", "JPY", Up, 1}, // 0.00617 yen
		{-1, "JPY", "0.00617", "EUR", Up, -1},
	}
	for _, tt := range tests {
		r, err := ParseRate(tt.rate)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Amount{tt.minor, tt.from}.Convert(tt.to, r, tt.mode)
		if err != nil || got != (Amount{tt.want, tt.to}) {
			t.Errorf("%d %s at %s to %s (%v) = %v, %v; want %d", tt.minor, tt.from, tt.rate, tt.to, tt.mode, got, err, tt.want)
		}
	}
}

func TestConvertRefuses(t *testing.T) {
	two, _ := ParseRate("2")
	tests := []struct {
		name string
		a    Amount
		to   string
		r    Rate
		mode Rounding
	}{
		{"result beyond the bound", Amount{MaxMinor, "JPY"}, "JPY", two, HalfUp},
		{"more minor digits beyond the bound", Amount{MaxMinor, "EUR"}, "KWD", two, HalfUp},
		{"amount beyond the bound", Amount{1<<63 - 1, "EUR"}, "USD", two, HalfUp},
		{"unknown target", Amount{100, "EUR"}, "XYZ", two, HalfUp},
		{"zero rate", Amount{100, "EUR"}, "USD", Rate{}, HalfUp},
		{"no rounding mode", Amount{100, "EUR"}, "USD", two, 0},
	}
	for _, tt := range tests {
		if got, err := tt.a.Convert(tt.to, tt.r, tt.mode); errs.KindOf(err) != errs.Invalid {
			t.Errorf("%s: Convert = %v, %v; want Invalid", tt.name, got, err)
		}
	}
}

func TestParseRate(t *testing.T) {
	ok := map[string]string{
		"7.8123": "7.8123", "007.50": "7.5", "1": "1", "0.00617": "0.00617", "1.000": "1",
		"999999999.999999999999": "999999999.999999999999",
	}
	for in, want := range ok {
		r, err := ParseRate(in)
		if err != nil || r.String() != want {
			t.Errorf("ParseRate(%q) = %q, %v; want %q", in, r, err, want)
		}
	}
	for _, in := range []string{"", "0", "0.000", "-1", "+1", "1e3", "1.", ".5", "1,5", "NaN", "Inf", "1.2.3", " 1", "1000000000", "0.0000000000001", "٣"} {
		if r, err := ParseRate(in); errs.KindOf(err) != errs.Invalid {
			t.Errorf("ParseRate(%q) = %q, %v; want Invalid", in, r, err)
		}
	}
	var r Rate
	if err := r.UnmarshalText([]byte("7.81230")); err != nil || r.String() != "7.8123" {
		t.Errorf("UnmarshalText = %q, %v", r, err)
	}
	if b, _ := r.MarshalText(); string(b) != "7.8123" {
		t.Errorf("MarshalText = %q", b)
	}
}

func TestFormatCurrencies(t *testing.T) {
	tests := []struct {
		a    Amount
		lang string
		want string
	}{
		{Amount{1234, "KWD"}, "en", "KWD\u00a01.234"},
		{Amount{999, "GBP"}, "en", "£9.99"},
		{Amount{1250, "USD"}, "fr", "12,50\u00a0$US"},
		{Amount{-1250, "USD"}, "en", "-$12.50"},
		{Amount{500, "JPY"}, "ja", "￥500"},
		{Amount{9900, "CNY"}, "en", "CN¥99.00"},
		{Amount{MaxMinor, "EUR"}, "de", "10.000.000.000.000,00\u00a0€"},
		{Amount{1250, "EUR"}, "FR-fr-u-nu-latn", "12,50\u00a0€"},
		{Amount{1250, "EUR"}, "not a language", "€12.50"},
		{Amount{1250, "XYZ"}, "en", "1250 XYZ"},
	}
	fs := NewFormatters(0)
	for _, tt := range tests {
		if got := fs.Format(tt.a, tt.lang); got != tt.want {
			t.Errorf("Format(%v, %q) = %q, want %q", tt.a, tt.lang, got, tt.want)
		}
	}
}

func TestMatchLocale(t *testing.T) {
	tests := map[string]string{
		"": "en", "fr": "fr", "FR-ch": "fr-CH", "fr_FR": "fr-FR", "zh-Hant-TW": "zh-Hant-TW", "iw": "he",
		"fr-CH-u-nu-latn": "fr-CH", "de-DE-1996": "de-DE", "garbage!": "en", "x-private": "en", "und": "en",
		"zz": "en", "qaa": "en", "fr-QM": "fr", "en-Qaaa": "en", "a": "en",
	}
	for in, want := range tests {
		if got := MatchLocale(in); got != want {
			t.Errorf("MatchLocale(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFormattersStayBounded is the ?lang= flood: distinct strings that are
// not languages add no entry, and distinct real locales never exceed the size.
func TestFormattersStayBounded(t *testing.T) {
	fs := NewFormatters(8)
	a := Amount{1250, "EUR"}
	for _, l := range []string{"fr", "en"} {
		fs.Format(a, l)
	}
	for i := range 1000 {
		for _, l := range []string{fmt.Sprint(i), fmt.Sprintf("zz-%d", i), fmt.Sprintf("lang%d!", i), fmt.Sprintf("fr-x-p%d", i), fmt.Sprintf("qa%c", 'a'+i%20)} {
			fs.Format(a, l)
		}
	}
	if fs.Len() != 2 {
		t.Fatalf("after 5,000 non-languages the cache holds %d locales, want 2 (fr, en)", fs.Len())
	}
	for _, r := range []string{"FR", "BE", "CH", "CA", "LU", "MC", "SN", "CI", "CM", "MA", "TN", "DZ"} {
		fs.Format(a, "fr-"+r)
	}
	if fs.Len() != 8 {
		t.Fatalf("cache holds %d locales, want its size 8", fs.Len())
	}
}

// TestFormattersConcurrent is for the race detector: pages format prices
// from many requests at once through one cache.
func TestFormattersConcurrent(t *testing.T) {
	fs := NewFormatters(2)
	langs := []string{"fr", "en", "zh", "de", "ja"}
	done := make(chan string)
	for g := range 8 {
		go func() {
			var s string
			for i := range 200 {
				s = fs.Format(Amount{int64(i), "EUR"}, langs[(g+i)%len(langs)])
			}
			done <- s
		}()
	}
	for range 8 {
		if s := <-done; s == "" {
			t.Error("empty format")
		}
	}
	if fs.Len() > 2 {
		t.Fatalf("cache holds %d > 2", fs.Len())
	}
}
