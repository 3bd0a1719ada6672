// Package money holds amounts as integer minor units with an ISO 4217 currency.
// Currency data, rounding and formatting come from github.com/bojanz/currency
// (CLDR); this package only keeps the integer representation Sesame stores,
// its bound, and the arithmetic checkout needs (sums, quantities, discounts,
// allocation, conversion), none of it with floats.
package money

import (
	"cmp"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/bojanz/currency"
	"github.com/sesame-market/sesame/internal/errs"
)

// MaxMinor is the largest magnitude of an amount, in minor units: 10^15, that
// is ten trillion euros or a quadrillion yen. It is far above any real price,
// order or payout, and leaves headroom so that the sum or difference of two
// bounded amounts, and a bounded amount times a basis-point rate or an FX rate
// (see ParseRate), never overflows int64 before the result is checked.
// New and every operation refuse amounts beyond it.
const MaxMinor int64 = 1_000_000_000_000_000

// ErrBound is the cause of an Invalid error for an amount, operand or result
// beyond ±MaxMinor minor units.
var ErrBound = errors.New("amount beyond ±10^15 minor units")

// ErrMismatch is the cause of an Invalid error for an operation on two
// amounts of different currencies.
var ErrMismatch = errors.New("amounts are in different currencies")

// Amount is a sum of money: an integer count of the currency's minor units
// (cents for EUR, fen for CNY, yen for JPY) and the currency code. It may be
// negative (refunds, adjustments); its magnitude is at most MaxMinor.
type Amount struct {
	Minor    int64  `json:"amount"`
	Currency string `json:"currency"`
}

// ValidCurrency reports whether code is an active ISO 4217 currency code.
func ValidCurrency(code string) bool {
	return len(code) == 3 && code == strings.ToUpper(code) && currency.IsValid(code)
}

// CheckCurrency returns an Invalid error naming field when code is not a known
// ISO 4217 currency.
func CheckCurrency(op, field, code string) error {
	if !ValidCurrency(code) {
		return errs.Field(op, field, fmt.Sprintf("unknown currency %q (want an ISO 4217 code such as EUR)", code))
	}
	return nil
}

// New returns a price-like amount after checking the currency, that minor is
// not negative (prices, fees and deposits in Sesame are never negative) and
// that it is within MaxMinor. Errors: Invalid.
//
// New keeps refusing negatives so that every input path that validates a
// price with it stays strict; signed amounts come from NewSigned or from
// operations.
func New(minor int64, code string) (Amount, error) {
	const op = "money.New"
	if minor < 0 {
		if err := CheckCurrency(op, "currency", code); err != nil {
			return Amount{}, err
		}
		return Amount{}, errs.Field(op, "amount", "must not be negative")
	}
	return NewSigned(minor, code)
}

// NewSigned returns an amount that may be negative, after checking the
// currency and the bound. Errors: Invalid.
func NewSigned(minor int64, code string) (Amount, error) {
	const op = "money.NewSigned"
	if err := CheckCurrency(op, "currency", code); err != nil {
		return Amount{}, err
	}
	if minor > MaxMinor || minor < -MaxMinor {
		return Amount{}, &errs.Error{Op: op, Kind: errs.Invalid, Field: "amount", Err: ErrBound}
	}
	return Amount{Minor: minor, Currency: code}, nil
}

// check returns an Invalid error when a, built as a literal or read from
// storage, is not one New would have made: unknown currency or beyond the
// bound. Every operation checks its operands with it, so a value that escaped
// New can never be computed with.
func (a Amount) check(op string) error {
	if !ValidCurrency(a.Currency) {
		return errs.E(op, errs.Invalid, fmt.Sprintf("unknown currency %q", a.Currency))
	}
	if a.Minor > MaxMinor || a.Minor < -MaxMinor {
		return errs.E(op, errs.Invalid, ErrBound)
	}
	return nil
}

// result checks the outcome of an operation; minor must not have overflowed
// (every caller computes it from bounded operands without wrapping).
func result(op string, minor int64, code string) (Amount, error) {
	if minor > MaxMinor || minor < -MaxMinor {
		return Amount{}, errs.E(op, errs.Invalid, ErrBound)
	}
	return Amount{Minor: minor, Currency: code}, nil
}

func sameCurrency(op string, a, b Amount) error {
	if err := a.check(op); err != nil {
		return err
	}
	if err := b.check(op); err != nil {
		return err
	}
	if a.Currency != b.Currency {
		return errs.E(op, errs.Invalid, fmt.Errorf("%w: %s and %s", ErrMismatch, a.Currency, b.Currency))
	}
	return nil
}

// Add returns a + b. Errors: Invalid (currencies differ, an operand or the sum
// beyond the bound).
func (a Amount) Add(b Amount) (Amount, error) {
	const op = "money.Add"
	if err := sameCurrency(op, a, b); err != nil {
		return Amount{}, err
	}
	// Both are within ±10^15, so the sum cannot wrap int64.
	return result(op, a.Minor+b.Minor, a.Currency)
}

// Sub returns a - b. Errors: Invalid (currencies differ, an operand or the
// difference beyond the bound).
func (a Amount) Sub(b Amount) (Amount, error) {
	const op = "money.Sub"
	if err := sameCurrency(op, a, b); err != nil {
		return Amount{}, err
	}
	return result(op, a.Minor-b.Minor, a.Currency)
}

// Neg returns -a. Errors: Invalid (a not a valid amount).
func (a Amount) Neg() (Amount, error) {
	const op = "money.Neg"
	if err := a.check(op); err != nil {
		return Amount{}, err
	}
	return Amount{Minor: -a.Minor, Currency: a.Currency}, nil
}

// Mul returns a times an integer quantity q (a line of q items). Errors:
// Invalid (a not a valid amount, the product beyond the bound).
func (a Amount) Mul(q int64) (Amount, error) {
	const op = "money.Mul"
	if err := a.check(op); err != nil {
		return Amount{}, err
	}
	if a.Minor == 0 || q == 0 {
		return Amount{Minor: 0, Currency: a.Currency}, nil
	}
	// |a| * |q| <= MaxMinor without computing the product, which could wrap;
	// q == MinInt64 has no positive counterpart, but any such product is out
	// of bound since |a| >= 1.
	if q == -1<<63 || abs(a.Minor) > MaxMinor/abs(q) {
		return Amount{}, errs.E(op, errs.Invalid, ErrBound)
	}
	return result(op, a.Minor*q, a.Currency)
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// Rounding says how a result between two minor units is rounded. The zero
// value is not a mode: every operation that rounds must be told how.
type Rounding uint8

// The rounding modes, those of bojanz/currency.
const (
	_        Rounding = iota
	HalfUp            // ties away from zero: 0.5 -> 1, -0.5 -> -1
	HalfDown          // ties towards zero: 0.5 -> 0
	HalfEven          // ties to the even neighbour (bankers' rounding): 0.5 -> 0, 1.5 -> 2
	Up                // away from zero: 0.1 -> 1, -0.1 -> -1
	Down              // towards zero (truncation): 0.9 -> 0, -0.9 -> 0
)

// String names the mode.
func (r Rounding) String() string {
	switch r {
	case HalfUp:
		return "half-up"
	case HalfDown:
		return "half-down"
	case HalfEven:
		return "half-even"
	case Up:
		return "up"
	case Down:
		return "down"
	}
	return "rounding(" + strconv.Itoa(int(r)) + ")"
}

// mode returns bojanz/currency's mode for r; Invalid for the zero value or
// any other number that is not a mode.
func (r Rounding) mode(op string) (currency.RoundingMode, error) {
	switch r {
	case HalfUp:
		return currency.RoundHalfUp, nil
	case HalfDown:
		return currency.RoundHalfDown, nil
	case HalfEven:
		return currency.RoundHalfEven, nil
	case Up:
		return currency.RoundUp, nil
	case Down:
		return currency.RoundDown, nil
	}
	return 0, errs.E(op, errs.Invalid, "no rounding mode given")
}

// MaxBasisPoints is the largest rate ApplyBasisPoints accepts: 100x.
const MaxBasisPoints = 1_000_000

// ApplyBasisPoints returns a multiplied by bps/10000 (800 bps is 8%), rounded
// to a whole minor unit as mode says, computed exactly in decimal (never in
// floats or wrapping integers). It is how commissions and discounts are
// computed. bps must be between 0 and MaxBasisPoints. Errors: Invalid (a not
// a valid amount, bps out of range, no rounding mode, the result beyond the
// bound).
func (a Amount) ApplyBasisPoints(bps int64, mode Rounding) (Amount, error) {
	const op = "money.ApplyBasisPoints"
	if err := a.check(op); err != nil {
		return Amount{}, err
	}
	if bps < 0 || bps > MaxBasisPoints {
		return Amount{}, errs.E(op, errs.Invalid, fmt.Sprintf("basis points must be between 0 and %d", MaxBasisPoints))
	}
	if _, err := mode.mode(op); err != nil {
		return Amount{}, err
	}
	// |a| <= 10^15 (16 digits) times bps (7 digits) fits the 39 digits of
	// precision bojanz/currency uses for operands that large, and a product of
	// two operands under 2^31 fits its 19 digits: the product is exact, and
	// the only rounding is the one asked for.
	amt, err := decimal(a)
	if err != nil {
		return Amount{}, errs.E(op, errs.Internal, err)
	}
	p, err := amt.Mul(strconv.FormatInt(bps, 10) + "E-4")
	if err != nil {
		return Amount{}, errs.E(op, errs.Internal, err)
	}
	return roundMinor(op, p, uint8(Digits(a.Currency)), mode, a.Currency)
}

// decimal converts a to bojanz/currency's decimal amount.
func decimal(a Amount) (currency.Amount, error) {
	return currency.NewAmountFromInt64(a.Minor, a.Currency)
}

// roundMinor rounds d to digits fraction digits as r says and reads it back as
// minor units of code, refusing results beyond the bound (or beyond int64,
// which the bound implies).
//
// Up is done as truncation then one unit away from zero when anything was
// dropped, because bojanz/currency's RoundUp (apd v3's Quantize) turns a
// value below a tenth of the unit into zero whatever the mode: 0.0001 EUR
// rounded up gave 0.00, not 0.01 (found by the property test against big.Rat).
func roundMinor(op string, d currency.Amount, digits uint8, r Rounding, code string) (Amount, error) {
	m, err := r.mode(op)
	if err != nil {
		return Amount{}, err
	}
	if r == Up {
		m = currency.RoundDown
	}
	t := d.RoundTo(digits, m)
	n, err := t.Int64()
	if err != nil || n > MaxMinor || n < -MaxMinor {
		return Amount{}, errs.E(op, errs.Invalid, ErrBound)
	}
	if r == Up && !t.Equal(d) {
		if d.IsNegative() {
			n--
		} else {
			n++
		}
	}
	return result(op, n, code)
}

// Digits returns the number of minor-unit digits of the currency (2 for EUR, 0 for JPY).
func Digits(code string) int {
	d, ok := currency.GetDigits(code)
	if !ok {
		return 2
	}
	return int(d)
}

// Decimal renders a as a plain decimal string in major units, e.g. "12.50",
// as structured data (schema.org offers) wants it.
func (a Amount) Decimal() string {
	amt, err := currency.NewAmountFromInt64(a.Minor, a.Currency)
	if err != nil {
		return fmt.Sprint(a.Minor)
	}
	return amt.Number()
}

// Allocate splits a into len(weights) parts proportional to the weights: an
// order total across merchants, a discount across lines, a payout across
// shares. The parts always sum to a exactly. Each part is the exact share
// rounded down (towards zero) or up by one minor unit: the minor units left
// over go one each to the parts with the largest remainders, ties to the
// first, so the result depends only on the inputs. A negative amount is split
// as its magnitude and each part negated, so a refund mirrors its charge.
// Zero weights get zero. Errors: Invalid (a not a valid amount, no weights, a
// negative weight, all weights zero, weights summing beyond int64).
func (a Amount) Allocate(weights []int64) ([]Amount, error) {
	const op = "money.Allocate"
	if err := a.check(op); err != nil {
		return nil, err
	}
	if len(weights) == 0 {
		return nil, errs.E(op, errs.Invalid, "no weights")
	}
	var total uint64
	for _, w := range weights {
		if w < 0 {
			return nil, errs.E(op, errs.Invalid, "weights must not be negative")
		}
		var carry uint64
		total, carry = bits.Add64(total, uint64(w), 0)
		if carry != 0 || total > 1<<63-1 {
			return nil, errs.E(op, errs.Invalid, "weights sum beyond int64")
		}
	}
	if total == 0 {
		return nil, errs.E(op, errs.Invalid, "all weights are zero")
	}
	mag := uint64(abs(a.Minor))
	parts := make([]Amount, len(weights))
	rems := make([]uint64, len(weights))
	var given uint64
	for i, w := range weights {
		// mag*w / total in 128 bits: w <= total, so the quotient is at most
		// mag and Div64 cannot overflow.
		hi, lo := bits.Mul64(mag, uint64(w))
		q, r := bits.Div64(hi, lo, total)
		parts[i] = Amount{Minor: int64(q), Currency: a.Currency}
		rems[i] = r
		given += q
	}
	// Fewer than len(weights) units are left (each floor lost less than one),
	// and the remainders sum to left*total with each below total, so more
	// than left parts have a positive remainder: zero weights never get one.
	if left := int(mag - given); left > 0 {
		order := make([]int, len(weights))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(i, j int) int { return cmp.Compare(rems[j], rems[i]) })
		for _, i := range order[:left] {
			parts[i].Minor++
		}
	}
	if a.Minor < 0 {
		for i := range parts {
			parts[i].Minor = -parts[i].Minor
		}
	}
	return parts, nil
}

// ParseMajor reads an amount typed in major units ("12.50", "12,50",
// "1 250", "12") in currency code, as a person writes it in a form. It
// refuses a negative amount and more decimals than the currency has.
// Errors: Invalid.
func ParseMajor(s, code string) (Amount, error) {
	const op = "money.ParseMajor"
	s = strings.Join(strings.Fields(s), "")
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\u202f", ""), "\u00a0", "")
	if strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		s = strings.Replace(s, ",", ".", 1)
	}
	if s == "" || strings.ContainsAny(s, "-+eE,") {
		return Amount{}, errs.E(op, errs.Invalid, "not an amount: "+s)
	}
	if _, frac, ok := strings.Cut(s, "."); ok && len(frac) > Digits(code) {
		return Amount{}, errs.E(op, errs.Invalid, fmt.Sprintf("at most %d decimals in %s", Digits(code), code))
	}
	d, err := currency.NewAmount(s, code)
	if err != nil {
		return Amount{}, errs.E(op, errs.Invalid, err)
	}
	n, err := d.Int64()
	if err != nil {
		return Amount{}, errs.E(op, errs.Invalid, err)
	}
	return New(n, code)
}
