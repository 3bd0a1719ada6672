package pricing

import (
	"fmt"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/money"
)

// The tax classes the default rules know.
const (
	Reduced   = "reduced"   // food, books: a country's reduced VAT rate
	Cosmetics = "cosmetics" // China's consumption tax on cosmetics
	Jewellery = "jewellery" // China's consumption tax on jewellery
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func amount(minor int64, cur string) money.Amount { return money.Amount{Minor: minor, Currency: cur} }

// euVAT is each member state's standard and reduced VAT rate in basis
// points, as they stand on 1 December 2026.
var euVAT = []struct {
	country           string
	standard, reduced int64
}{
	{"AT", 2000, 1000}, {"BE", 2100, 600}, {"BG", 2000, 900}, {"CY", 1900, 500}, {"CZ", 2100, 1200},
	{"DE", 1900, 700}, {"DK", 2500, 2500}, {"EE", 2400, 900}, {"ES", 2100, 1000}, {"FI", 2550, 1400},
	{"FR", 2000, 550}, {"GR", 2400, 1300}, {"HR", 2500, 1300}, {"HU", 2700, 1800}, {"IE", 2300, 1350},
	{"IT", 2200, 1000}, {"LT", 2100, 900}, {"LU", 1700, 800}, {"LV", 2100, 1200}, {"MT", 1800, 700},
	{"NL", 2100, 900}, {"PL", 2300, 800}, {"PT", 2300, 1300}, {"RO", 2100, 1100}, {"SE", 2500, 1200},
	{"SI", 2200, 950}, {"SK", 2300, 1900},
}

// cbecList is the tariff headings of China's cross-border retail import
// positive list that Sesame's categories fall in.
var cbecList = []string{"1509", "1704", "1905", "2204", "3303", "3304", "3401", "3926", "4202", "6104", "6106", "6109",
	"6110", "6204", "6205", "6206", "6912", "7013", "7113", "8536", "9403", "9404"}

// DefaultRules is the law as it stands on 1 December 2026, the rows a new
// marketplace starts with. Operators add rows when the law changes: a rule
// ends (ValidTo) and its successor starts, so that an order keeps the rule
// it was taxed by.
func DefaultRules() []Rule {
	var rs []Rule
	add := func(r Rule) { rs = append(rs, r) }
	for _, v := range euVAT {
		add(Rule{ID: "vat-" + lower(v.country) + "-standard", Kind: VAT, Country: v.country, Class: Standard, RateBps: v.standard, ValidFrom: day("2025-01-01")})
		add(Rule{ID: "vat-" + lower(v.country) + "-reduced", Kind: VAT, Country: v.country, Class: Reduced, RateBps: v.reduced, ValidFrom: day("2025-01-01")})
	}
	add(Rule{ID: "vat-gb-standard", Kind: VAT, Country: "GB", Class: Standard, RateBps: 2000, ValidFrom: day("2011-01-04")})
	add(Rule{ID: "vat-gb-reduced", Kind: VAT, Country: "GB", Class: Reduced, RateBps: 0, ValidFrom: day("2011-01-04"), Note: "food and books are zero-rated"})
	add(Rule{ID: "vat-cn-standard", Kind: VAT, Country: "CN", Class: Standard, RateBps: 1300, ValidFrom: day("2019-04-01")})
	add(Rule{ID: "vat-cn-reduced", Kind: VAT, Country: "CN", Class: Reduced, RateBps: 900, ValidFrom: day("2019-04-01")})
	add(Rule{ID: "ct-cn-cosmetics", Kind: ConsumptionTax, Country: "CN", Class: Cosmetics, RateBps: 1500, ValidFrom: day("2016-10-01"), Note: "high-end cosmetics"})
	add(Rule{ID: "ct-cn-jewellery", Kind: ConsumptionTax, Country: "CN", Class: Jewellery, RateBps: 1000, ValidFrom: day("2016-10-01")})
	add(Rule{ID: "eu-ioss-limit", Kind: ImportLimit, Country: "EU", Amount: amount(15000, "EUR"), ValidFrom: day("2021-07-01"),
		Note: "intrinsic value up to which the marketplace collects the destination's VAT at checkout (IOSS)"})
	add(Rule{ID: "eu-flat-duty-2026", Kind: FlatDuty, Country: "EU", Amount: amount(300, "EUR"), ValidFrom: day("2026-07-01"),
		Note: "flat customs duty per item category (tariff subheading) of a consignment up to 150 EUR"})
	add(Rule{ID: "fr-handling-fee-2026", Kind: HandlingFee, Country: "FR", Amount: amount(200, "EUR"), ValidFrom: day("2026-03-01"),
		Note: "French handling fee per consignment line of a low-value import"})
	add(Rule{ID: "gb-low-value-limit", Kind: ImportLimit, Country: "GB", Amount: amount(13500, "GBP"), ValidFrom: day("2021-01-01"),
		Note: "consignments up to 135 GBP: the marketplace collects UK VAT at checkout"})
	add(Rule{ID: "cn-cbec", Kind: CBECShare, Country: "CN", RateBps: 7000, Amount: amount(500000, "CNY"), Limit: amount(2600000, "CNY"), ValidFrom: day("2019-01-01"),
		Note: "no duty, 70% of import VAT and consumption tax, within 5,000 CNY per order and 26,000 CNY per buyer per year"})
	for _, h := range cbecList {
		add(Rule{ID: "cn-cbec-list-" + h, Kind: CBECList, Country: "CN", Subheading: h, ValidFrom: day("2019-01-01")})
	}
	for _, d := range []struct {
		region, sub string
		bps         int64
	}{
		{"EU", "", 400}, {"EU", "6205", 1200}, {"EU", "6204", 1200}, {"EU", "4202", 300}, {"EU", "3303", 0}, {"EU", "7113", 250},
		{"EU", "9403", 0}, {"EU", "3926", 650}, {"GB", "", 400}, {"GB", "6205", 1200}, {"CN", "", 1000}, {"CN", "3303", 300},
	} {
		id := "duty-" + lower(d.region)
		if d.sub != "" {
			id += "-" + d.sub
		}
		add(Rule{ID: id, Kind: DutyRate, Country: d.region, Subheading: d.sub, RateBps: d.bps, ValidFrom: day("2021-01-01")})
	}
	SortRules(rs)
	return rs
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Check checks a rule an operator writes. Errors: Invalid.
func Check(r Rule) error {
	const op = "pricing.Check"
	switch r.Kind {
	case VAT, ImportLimit, FlatDuty, HandlingFee, DutyRate, CBECShare, CBECList, ConsumptionTax:
	default:
		return errs.Field(op, "kind", fmt.Sprintf("unknown kind %q", r.Kind))
	}
	if len(r.ID) < 1 || len(r.ID) > 64 {
		return errs.Field(op, "id", "must be 1 to 64 characters")
	}
	if r.RateBps < 0 || r.RateBps > 10000 {
		return errs.Field(op, "rate_bps", "must be 0 to 10000")
	}
	if !r.ValidTo.IsZero() && !r.ValidTo.After(r.ValidFrom) {
		return errs.Field(op, "valid_to", "must be after valid_from")
	}
	for _, m := range []money.Amount{r.Amount, r.Limit} {
		if m.Currency != "" {
			if _, err := money.New(m.Minor, m.Currency); err != nil {
				return err
			}
		}
	}
	return nil
}
