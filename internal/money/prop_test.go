package money

import (
	"math/big"
	"slices"
	"testing"

	"github.com/sesame-market/sesame/internal/errs"
	"pgregory.net/rapid"
)

// Properties checked against exact big-number references: every operation
// either returns the exact (or exactly rounded) result or, when that result
// or an operand lies beyond the bound, refuses with Invalid. It never wraps.

var propCurrencies = []string{"JPY", "EUR", "KWD", "CNY", "GBP", "USD", "CLF"}

// anyMinor draws from the whole int64 range, weighted towards the bound's
// edges and small numbers, where the mistakes are.
func anyMinor() *rapid.Generator[int64] {
	return rapid.OneOf(
		rapid.Int64(),
		rapid.Int64Range(-MaxMinor, MaxMinor),
		rapid.Int64Range(-1000, 1000),
		rapid.Int64Range(MaxMinor-1000, MaxMinor+1000),
		rapid.Int64Range(-MaxMinor-1000, -MaxMinor+1000),
		rapid.SampledFrom([]int64{0, 1, -1, 1<<63 - 1, -1 << 63, MaxMinor, -MaxMinor}),
	)
}

func boundedMinor() *rapid.Generator[int64] {
	return rapid.OneOf(
		rapid.Int64Range(-MaxMinor, MaxMinor),
		rapid.Int64Range(-1000, 1000),
		rapid.SampledFrom([]int64{0, 1, -1, MaxMinor, -MaxMinor}),
	)
}

var modes = []Rounding{HalfUp, HalfDown, HalfEven, Up, Down}

func inBound(n *big.Int) bool { return n.CmpAbs(big.NewInt(MaxMinor)) <= 0 }

// wantExact checks got/err against the exact result want of an operation on
// operands that are all within the bound iff operandsOK.
func wantExact(t *rapid.T, what string, got Amount, err error, want *big.Int, operandsOK bool) {
	t.Helper()
	if !operandsOK || !inBound(want) {
		if errs.KindOf(err) != errs.Invalid {
			t.Fatalf("%s = %v, %v; want Invalid (exact %v)", what, got, err, want)
		}
		return
	}
	if err != nil || got.Minor != want.Int64() {
		t.Fatalf("%s = %v, %v; want %v", what, got, err, want)
	}
}

func ok(n int64) bool { return n >= -MaxMinor && n <= MaxMinor }

func TestPropertyOverflowIsRefusedNeverWrapped(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x, y := anyMinor().Draw(t, "x"), anyMinor().Draw(t, "y")
		q := rapid.OneOf(rapid.Int64(), rapid.Int64Range(-1000, 1000)).Draw(t, "q")
		a, b := Amount{x, "EUR"}, Amount{y, "EUR"}
		bx, by := big.NewInt(x), big.NewInt(y)

		got, err := a.Add(b)
		wantExact(t, "Add", got, err, new(big.Int).Add(bx, by), ok(x) && ok(y))
		got, err = a.Sub(b)
		wantExact(t, "Sub", got, err, new(big.Int).Sub(bx, by), ok(x) && ok(y))
		got, err = a.Neg()
		wantExact(t, "Neg", got, err, new(big.Int).Neg(bx), ok(x))
		got, err = a.Mul(q)
		wantExact(t, "Mul", got, err, new(big.Int).Mul(bx, big.NewInt(q)), ok(x))
	})
}

func TestPropertyAddSubAssociativeAndInverse(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cur := rapid.SampledFrom(propCurrencies).Draw(t, "currency")
		a := Amount{boundedMinor().Draw(t, "a"), cur}
		b := Amount{boundedMinor().Draw(t, "b"), cur}
		c := Amount{boundedMinor().Draw(t, "c"), cur}
		ab, err1 := a.Add(b)
		bc, err2 := b.Add(c)
		if err1 == nil && err2 == nil {
			l, errl := ab.Add(c)
			r, errr := a.Add(bc)
			if (errl == nil) != (errr == nil) || l != r {
				t.Fatalf("(a+b)+c = %v, %v but a+(b+c) = %v, %v", l, errl, r, errr)
			}
		}
		if err1 == nil {
			back, err := ab.Sub(b)
			if err != nil || back != a {
				t.Fatalf("(a+b)-b = %v, %v; want %v", back, err, a)
			}
		}
		if d, err := a.Sub(b); err == nil {
			back, err := d.Add(b)
			if err != nil || back != a {
				t.Fatalf("(a-b)+b = %v, %v; want %v", back, err, a)
			}
		}
		n, _ := a.Neg()
		if z, err := a.Add(n); err != nil || z.Minor != 0 {
			t.Fatalf("a + -a = %v, %v", z, err)
		}
	})
}

// refRound rounds r to an integer as mode says, in exact rationals.
func refRound(r *big.Rat, mode Rounding) *big.Int {
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int)) // towards zero
	if m.Sign() == 0 {
		return q
	}
	away := new(big.Int).Add(q, big.NewInt(int64(r.Sign())))
	half := new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2)).Cmp(r.Denom()) // vs 1/2
	switch mode {
	case Down:
		return q
	case Up:
		return away
	case HalfUp:
		if half >= 0 {
			return away
		}
	case HalfDown:
		if half > 0 {
			return away
		}
	case HalfEven:
		if half > 0 || (half == 0 && q.Bit(0) == 1) {
			return away
		}
	}
	return q
}

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

func TestPropertyBasisPointsAgreeWithRationals(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x := anyMinor().Draw(t, "minor")
		bps := rapid.OneOf(rapid.Int64Range(0, 10000), rapid.Int64Range(0, MaxBasisPoints)).Draw(t, "bps")
		mode := rapid.SampledFrom(modes).Draw(t, "mode")
		got, err := Amount{x, "EUR"}.ApplyBasisPoints(bps, mode)
		want := refRound(new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(x), big.NewInt(bps)), big.NewInt(10000)), mode)
		wantExact(t, "ApplyBasisPoints", got, err, want, ok(x))
	})
}

func rateGen() *rapid.Generator[string] {
	return rapid.OneOf(
		rapid.StringMatching(`[1-9][0-9]{0,8}(\.[0-9]{1,12})?`),
		rapid.StringMatching(`0\.[0-9]{0,11}[1-9]`),
		rapid.SampledFrom([]string{"1", "7.8123", "0.00617", "999999999.999999999999", "0.000000000001", "1.25", "250"}),
	)
}

func TestPropertyConvertAgreesWithRationals(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		from := rapid.SampledFrom(propCurrencies).Draw(t, "from")
		to := rapid.SampledFrom(propCurrencies).Draw(t, "to")
		x := anyMinor().Draw(t, "minor")
		rs := rateGen().Draw(t, "rate")
		mode := rapid.SampledFrom(modes).Draw(t, "mode")
		r, err := ParseRate(rs)
		if err != nil {
			t.Fatalf("ParseRate(%q): %v", rs, err)
		}
		got, err := Amount{x, from}.Convert(to, r, mode)
		rat, _ := new(big.Rat).SetString(rs)
		exact := new(big.Rat).SetFrac(big.NewInt(x), pow10(Digits(from)))
		exact.Mul(exact, rat).Mul(exact, new(big.Rat).SetInt(pow10(Digits(to))))
		wantExact(t, "Convert", got, err, refRound(exact, mode), ok(x))
		if err == nil && got.Currency != to {
			t.Fatalf("converted into %s, want %s", got.Currency, to)
		}
	})
}

func TestPropertyConvertThenFormatNeverPanics(t *testing.T) {
	fs := NewFormatters(4)
	rapid.Check(t, func(t *rapid.T) {
		from := rapid.SampledFrom(append(propCurrencies, "XYZ", "", "eur")).Draw(t, "from")
		to := rapid.SampledFrom(append(propCurrencies, "XYZ", "")).Draw(t, "to")
		a := Amount{anyMinor().Draw(t, "minor"), from}
		r, _ := ParseRate(rapid.OneOf(rateGen(), rapid.String()).Draw(t, "rate"))
		mode := Rounding(rapid.IntRange(0, 7).Draw(t, "mode"))
		lang := rapid.OneOf(rapid.String(), rapid.StringMatching(`[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8}){0,3}`),
			rapid.SampledFrom([]string{"fr", "en", "zh", "ar-KW", "ja"})).Draw(t, "lang")
		if m := MatchLocale(lang); MatchLocale(m) != m {
			t.Fatalf("MatchLocale(%q) = %q, which matches to %q", lang, m, MatchLocale(m))
		}
		c, err := a.Convert(to, r, mode)
		if err != nil {
			if errs.KindOf(err) != errs.Invalid {
				t.Fatalf("Convert error of kind %v: %v", errs.KindOf(err), err)
			}
			c = a // format the input instead: it may be anything
		}
		if s := fs.Format(c, lang); s == "" {
			t.Fatalf("Format(%v, %q) is empty", c, lang)
		}
		if fs.Len() > 4 {
			t.Fatalf("formatter cache holds %d > 4", fs.Len())
		}
	})
}

func TestPropertyAllocate(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x := boundedMinor().Draw(t, "minor")
		weights := rapid.SliceOfN(rapid.OneOf(
			rapid.Int64Range(0, 10),
			rapid.Int64Range(0, 1_000_000),
			rapid.Int64Range(0, (1<<63-1)/32),
		), 1, 32).Draw(t, "weights")
		a := Amount{x, "KWD"}
		parts, err := a.Allocate(weights)
		var total big.Int
		for _, w := range weights {
			total.Add(&total, big.NewInt(w))
		}
		if total.Sign() == 0 {
			if errs.KindOf(err) != errs.Invalid {
				t.Fatalf("all-zero weights: %v, %v; want Invalid", parts, err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		again, _ := a.Allocate(slices.Clone(weights))
		if !slices.Equal(parts, again) {
			t.Fatalf("not deterministic: %v then %v", parts, again)
		}
		var sum int64
		extra := make([]bool, len(parts))
		fracs := make([]*big.Rat, len(parts))
		for i, p := range parts {
			sum += p.Minor
			if p.Currency != "KWD" {
				t.Fatalf("part %d in %s", i, p.Currency)
			}
			if weights[i] == 0 && p.Minor != 0 {
				t.Fatalf("zero weight %d got %d", i, p.Minor)
			}
			if p.Minor != 0 && (p.Minor < 0) != (x < 0) {
				t.Fatalf("part %d = %d has the wrong sign for %d", i, p.Minor, x)
			}
			// The exact share of the magnitude, and how far the part is from it.
			share := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(abs(x)), big.NewInt(weights[i])), &total)
			diff := new(big.Rat).Sub(new(big.Rat).SetInt64(abs(p.Minor)), share)
			if diff.Cmp(big.NewRat(-1, 1)) <= 0 || diff.Cmp(big.NewRat(1, 1)) >= 0 {
				t.Fatalf("part %d = %d is not within one unit of %v", i, p.Minor, share.FloatString(3))
			}
			floor := new(big.Int).Quo(share.Num(), share.Denom())
			extra[i] = abs(p.Minor) > floor.Int64()
			fracs[i] = new(big.Rat).Sub(share, new(big.Rat).SetInt(floor))
		}
		if sum != x {
			t.Fatalf("parts %v sum to %d, want %d", parts, sum, x)
		}
		// Largest remainder, ties to the first: no part left without the
		// extra unit had a larger remainder (or an equal one and came first)
		// than a part that got it.
		for i := range parts {
			for j := range parts {
				if extra[i] && !extra[j] {
					c := fracs[j].Cmp(fracs[i])
					if c > 0 || (c == 0 && j < i) {
						t.Fatalf("part %d got the extra unit (remainder %v) before part %d (remainder %v)", i, fracs[i], j, fracs[j])
					}
				}
			}
		}
	})
}
