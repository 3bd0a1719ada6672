package pricing

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/money"
)

// FXRate is an exchange rate from Base to Quote (how many Quote one Base
// buys), valid from ValidFrom until the next rate of the pair. Operators
// edit the table; every rate keeps its time, so that an order records the
// rate it was converted at.
type FXRate struct {
	Base      string     `json:"base" minLength:"3" maxLength:"3" example:"EUR"`
	Quote     string     `json:"quote" minLength:"3" maxLength:"3" example:"CNY"`
	Rate      money.Rate `json:"rate" example:"8.2150" doc:"Units of quote one unit of base buys, as a decimal"`
	ValidFrom time.Time  `json:"valid_from" required:"false" doc:"When the rate starts to apply; now by default"`
	CreatedBy string     `json:"created_by,omitempty" readOnly:"true"`
}

// FXRounding is how conversions round: half up, to the target currency's
// minor unit (none for JPY, two for EUR).
const FXRounding = money.HalfUp

// Table is a set of exchange rates to convert with.
type Table struct {
	rates []FXRate // by base, quote, then newest first
}

// NewTable returns a table of rates.
func NewTable(rates []FXRate) *Table {
	rs := slices.Clone(rates)
	slices.SortFunc(rs, func(a, b FXRate) int {
		return cmp.Or(cmp.Compare(a.Base, b.Base), cmp.Compare(a.Quote, b.Quote), b.ValidFrom.Compare(a.ValidFrom))
	})
	return &Table{rates: rs}
}

// Rates returns the table's rates.
func (t *Table) Rates() []FXRate { return slices.Clone(t.rates) }

// Rate returns the rate from base to quote valid at at: the newest rate of
// the pair that started by then. Errors: NotFound.
func (t *Table) Rate(base, quote string, at time.Time) (FXRate, error) {
	i, _ := slices.BinarySearchFunc(t.rates, FXRate{Base: base, Quote: quote}, func(a, b FXRate) int {
		return cmp.Or(cmp.Compare(a.Base, b.Base), cmp.Compare(a.Quote, b.Quote))
	})
	for ; i < len(t.rates) && t.rates[i].Base == base && t.rates[i].Quote == quote; i++ {
		if !t.rates[i].ValidFrom.After(at) {
			return t.rates[i], nil
		}
	}
	return FXRate{}, errs.E("pricing.Rate", errs.NotFound, fmt.Sprintf("no exchange rate from %s to %s at %s", base, quote, at.UTC().Format(time.RFC3339)))
}

// Convert converts a into currency to at the rate valid at at, rounded by
// FXRounding; an amount already in to is returned as it is. Errors:
// NotFound (no rate), Invalid.
func (t *Table) Convert(a money.Amount, to string, at time.Time) (money.Amount, FXRate, error) {
	if a.Currency == to {
		return a, FXRate{}, nil
	}
	r, err := t.Rate(a.Currency, to, at)
	if err != nil {
		return money.Amount{}, FXRate{}, err
	}
	out, err := a.Convert(to, r.Rate, FXRounding)
	return out, r, err
}

// Converter returns a Converter at time at.
func (t *Table) Converter(at time.Time) Converter {
	return func(a money.Amount, to string) (money.Amount, error) {
		out, _, err := t.Convert(a, to, at)
		return out, err
	}
}

// ConvertAll converts parts, which sum to a total, into to so that the
// converted parts sum exactly to the converted total: the total is
// converted once and allocated over the parts by their weights, so no
// minor unit is lost or invented. Errors: as Convert; Invalid (mixed
// currencies).
func (t *Table) ConvertAll(parts []money.Amount, to string, at time.Time) ([]money.Amount, money.Amount, FXRate, error) {
	const op = "pricing.ConvertAll"
	if len(parts) == 0 {
		return nil, money.Amount{Currency: to}, FXRate{}, nil
	}
	total := money.Amount{Currency: parts[0].Currency}
	weights := make([]int64, len(parts))
	for i, p := range parts {
		var err error
		if total, err = total.Add(p); err != nil {
			return nil, money.Amount{}, FXRate{}, errs.E(op, errs.Invalid, err)
		}
		weights[i] = p.Minor
	}
	conv, r, err := t.Convert(total, to, at)
	if err != nil {
		return nil, money.Amount{}, FXRate{}, err
	}
	if total.Minor == 0 {
		out := make([]money.Amount, len(parts))
		for i := range out {
			out[i] = money.Amount{Currency: to}
		}
		return out, conv, r, nil
	}
	out, err := conv.Allocate(weights)
	return out, conv, r, err
}

// DefaultRates are the rates a new marketplace starts with (1 December
// 2026), each pair both ways.
func DefaultRates() []FXRate {
	from := day("2026-12-01")
	pair := func(b, q, r, back string) []FXRate {
		rr, err := money.ParseRate(r)
		if err != nil {
			panic(err)
		}
		bb, err := money.ParseRate(back)
		if err != nil {
			panic(err)
		}
		return []FXRate{{Base: b, Quote: q, Rate: rr, ValidFrom: from}, {Base: q, Quote: b, Rate: bb, ValidFrom: from}}
	}
	var rs []FXRate
	rs = append(rs, pair("EUR", "CNY", "8.2150", "0.121729")...)
	rs = append(rs, pair("EUR", "GBP", "0.8640", "1.157407")...)
	rs = append(rs, pair("EUR", "USD", "1.0560", "0.946970")...)
	rs = append(rs, pair("GBP", "CNY", "9.5081", "0.105173")...)
	rs = append(rs, pair("USD", "CNY", "7.7794", "0.128545")...)
	rs = append(rs, pair("GBP", "USD", "1.2222", "0.818194")...)
	return rs
}
