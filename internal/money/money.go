// Package money holds amounts as integer minor units with an ISO 4217 currency.
// Currency data, rounding and formatting come from github.com/bojanz/currency
// (CLDR); this package only keeps the integer representation Sesame stores.
package money

import (
	"fmt"
	"strings"
	"sync"

	"github.com/bojanz/currency"
	"github.com/sesame-market/sesame/internal/errs"
)

// Amount is a sum of money: an integer count of the currency's minor units
// (cents for EUR, fen for CNY, yen for JPY) and the currency code.
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

// New returns an amount after checking the currency and that minor is not
// negative (prices and fees in Sesame are never negative).
func New(minor int64, code string) (Amount, error) {
	const op = "money.New"
	if err := CheckCurrency(op, "currency", code); err != nil {
		return Amount{}, err
	}
	if minor < 0 {
		return Amount{}, errs.Field(op, "amount", "must not be negative")
	}
	return Amount{Minor: minor, Currency: code}, nil
}

// Digits returns the number of minor-unit digits of the currency (2 for EUR, 0 for JPY).
func Digits(code string) int {
	d, ok := currency.GetDigits(code)
	if !ok {
		return 2
	}
	return int(d)
}

// Format renders a in the given locale ("fr", "en", "zh"), e.g. "12,50 €".
func (a Amount) Format(locale string) string {
	amt, err := currency.NewAmountFromInt64(a.Minor, a.Currency)
	if err != nil {
		return fmt.Sprintf("%d %s", a.Minor, a.Currency)
	}
	return formatter(locale).Format(amt)
}

// formatters caches one CLDR formatter per locale: building one parses
// locale data, and storefront pages format many prices.
var formatters sync.Map

func formatter(locale string) *currency.Formatter {
	if f, ok := formatters.Load(locale); ok {
		return f.(*currency.Formatter)
	}
	f, _ := formatters.LoadOrStore(locale, currency.NewFormatter(currency.NewLocale(locale)))
	return f.(*currency.Formatter)
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

// ApplyBasisPoints returns a multiplied by bps/10000, rounded half up to a
// whole minor unit, without floats. It is how commissions and discounts are
// computed. bps must be between 0 and 10000.
func (a Amount) ApplyBasisPoints(bps int64) Amount {
	n := a.Minor*bps + 5000
	return Amount{Minor: n / 10000, Currency: a.Currency}
}
