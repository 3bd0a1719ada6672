package money

import (
	"fmt"
	"strings"

	"github.com/sesame-market/sesame/internal/errs"
)

// The limits of a rate's digits. With at most 9 integer and 12 fraction
// digits a rate has at most 21 significant digits, so a bounded amount (16
// digits) times a rate stays within the 39 digits bojanz/currency computes
// with: the product is exact and only the rounding asked for happens.
const (
	maxRateIntDigits  = 9
	maxRateFracDigits = 12
)

// Rate is an exchange rate: how many major units of the target currency one
// major unit of the source currency buys (7.8123 CNY per EUR). It holds the
// decimal exactly as given, never a float. The zero Rate is not a rate.
type Rate struct {
	dec string
}

// ParseRate reads a rate written as a plain positive decimal, e.g. "7.8123"
// or "0.00917": digits, optionally a point and more digits, at most 9 before
// the point and 12 after, not zero. Errors: Invalid.
func ParseRate(s string) (Rate, error) {
	const op = "money.ParseRate"
	bad := func(why string) (Rate, error) {
		return Rate{}, errs.Field(op, "rate", fmt.Sprintf("%q: %s (want a decimal such as 7.8123)", s, why))
	}
	ip, fp, dot := strings.Cut(s, ".")
	if ip == "" || (dot && fp == "") {
		return bad("not a decimal")
	}
	for _, part := range []string{ip, fp} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return bad("not a decimal")
			}
		}
	}
	ip = strings.TrimLeft(ip, "0")
	fp = strings.TrimRight(fp, "0")
	if len(ip) > maxRateIntDigits || len(fp) > maxRateFracDigits {
		return bad(fmt.Sprintf("at most %d digits before the point and %d after", maxRateIntDigits, maxRateFracDigits))
	}
	if ip == "" && fp == "" {
		return bad("must be positive")
	}
	if ip == "" {
		ip = "0"
	}
	if fp == "" {
		return Rate{dec: ip}, nil
	}
	return Rate{dec: ip + "." + fp}, nil
}

// String returns the rate in its canonical form ("7.8123"), or "" for the
// zero Rate.
func (r Rate) String() string { return r.dec }

// MarshalText writes the rate as its decimal string.
func (r Rate) MarshalText() ([]byte, error) { return []byte(r.dec), nil }

// UnmarshalText reads a rate as ParseRate does.
func (r *Rate) UnmarshalText(b []byte) error {
	v, err := ParseRate(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Convert returns a in the currency to at rate r, rounded to a whole minor
// unit of to (none for JPY, two for EUR, three for KWD) as mode says. The
// product is computed exactly in decimal by bojanz/currency and rounded once.
// Errors: Invalid (a not a valid amount, unknown target currency, zero Rate,
// no rounding mode, the result beyond the bound).
func (a Amount) Convert(to string, r Rate, mode Rounding) (Amount, error) {
	const op = "money.Convert"
	if err := a.check(op); err != nil {
		return Amount{}, err
	}
	if err := CheckCurrency(op, "currency", to); err != nil {
		return Amount{}, err
	}
	if r.dec == "" {
		return Amount{}, errs.E(op, errs.Invalid, "no rate given")
	}
	if _, err := mode.mode(op); err != nil {
		return Amount{}, err
	}
	amt, err := decimal(a)
	if err != nil {
		return Amount{}, errs.E(op, errs.Internal, err)
	}
	c, err := amt.Convert(to, r.dec)
	if err != nil {
		return Amount{}, errs.E(op, errs.Internal, err)
	}
	return roundMinor(op, c, uint8(Digits(to)), mode, to)
}
