package pricing_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/pricing"
)

func eur(minor int64) money.Amount { return money.Amount{Minor: minor, Currency: "EUR"} }

var (
	after  = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	before = time.Date(2026, 6, 30, 10, 0, 0, 0, time.UTC)
)

func assess(t *testing.T, p pricing.Parcel) pricing.Assessment {
	t.Helper()
	tbl := pricing.NewTable(pricing.DefaultRates())
	a, err := pricing.Assess(pricing.DefaultRules(), p, tbl.Converter(p.Date))
	if err != nil {
		t.Fatalf("Assess: %v", err)
	}
	return a
}

// twoCategories is a 30 EUR parcel of a phone case and a shirt.
func twoCategories(origin string, at time.Time) pricing.Parcel {
	return pricing.Parcel{Date: at, Origin: origin, Destination: "FR", Lines: []pricing.ParcelLine{
		{Key: "case", Quantity: 2, Value: eur(1000), Subheading: "392690"},
		{Key: "shirt", Quantity: 1, Value: eur(2000), Subheading: "620520"},
	}}
}

func TestIOSSParcelToFrance(t *testing.T) {
	a := assess(t, twoCategories("CN", after))
	if a.Regime != pricing.IOSS {
		t.Fatalf("regime %s, want ioss", a.Regime)
	}
	// French VAT 20% on 30 EUR; 3 EUR duty per category (2) and the French
	// handling fee of 2 EUR per consignment line (2).
	if a.Tax != eur(600) {
		t.Errorf("tax %v, want 6.00 EUR", a.Tax)
	}
	if a.Duty != eur(600+400) {
		t.Errorf("duty %v, want 10.00 EUR", a.Duty)
	}
	if a.DueOnDelivery.Minor != 0 {
		t.Errorf("nothing is due on delivery under IOSS: %v", a.DueOnDelivery)
	}
	if a.Lines[0].Rule != "vat-fr-standard" || a.Lines[0].RateBps != 2000 || a.Lines[0].Tax != eur(200) {
		t.Errorf("line 0: %+v", a.Lines[0])
	}
}

func TestIOSSBeforeTheFlatDuty(t *testing.T) {
	a := assess(t, twoCategories("CN", before))
	if a.Regime != pricing.IOSS || a.Tax != eur(600) || a.Duty != eur(400) {
		t.Fatalf("on 30 June 2026: %s tax %v duty %v, want ioss, 6.00 VAT and only the 4.00 handling fee", a.Regime, a.Tax, a.Duty)
	}
	feb := assess(t, twoCategories("CN", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)))
	if feb.Duty.Minor != 0 {
		t.Fatalf("before 1 March 2026 there is no French handling fee: %v", feb.Duty)
	}
}

func TestImportAbove150IsDueOnDelivery(t *testing.T) {
	p := pricing.Parcel{Date: after, Origin: "CN", Destination: "FR", Lines: []pricing.ParcelLine{
		{Key: "bag", Quantity: 1, Value: eur(20000), Subheading: "420221"},
	}}
	a := assess(t, p)
	if a.Regime != pricing.ImportOnDelivery {
		t.Fatalf("regime %s", a.Regime)
	}
	if a.Tax.Minor != 0 || a.Duty.Minor != 0 {
		t.Fatalf("nothing is collected at checkout above 150 EUR: tax %v duty %v", a.Tax, a.Duty)
	}
	// 20% VAT (40.00) and the 3% duty on bags (6.00), owed to the carrier.
	if a.DueOnDelivery != eur(4600) {
		t.Fatalf("due on delivery %v, want 46.00", a.DueOnDelivery)
	}
	exactly150 := assess(t, pricing.Parcel{Date: after, Origin: "CN", Destination: "FR", Lines: []pricing.ParcelLine{{Key: "x", Quantity: 1, Value: eur(15000), Subheading: "420221"}}})
	if exactly150.Regime != pricing.IOSS {
		t.Fatalf("150.00 EUR is within the limit: %s", exactly150.Regime)
	}
}

func TestEUWarehouseIsDomestic(t *testing.T) {
	a := assess(t, twoCategories("FR", after))
	if a.Regime != pricing.Domestic || a.Tax != eur(600) || a.Duty.Minor != 0 {
		t.Fatalf("from Ile-de-France: %s tax %v duty %v, want domestic French VAT and no customs", a.Regime, a.Tax, a.Duty)
	}
	big := assess(t, pricing.Parcel{Date: after, Origin: "FR", Destination: "FR", Lines: []pricing.ParcelLine{{Key: "bag", Quantity: 1, Value: eur(20000), Subheading: "420221"}}})
	if big.Regime != pricing.Domestic || big.Tax != eur(4000) || big.DueOnDelivery.Minor != 0 {
		t.Fatalf("at any value from an EU warehouse the VAT is collected: %+v", big)
	}
	de := assess(t, pricing.Parcel{Date: after, Origin: "FR", Destination: "DE", Lines: []pricing.ParcelLine{{Key: "oil", Quantity: 1, Value: eur(1000), Class: pricing.Reduced, Subheading: "150910"}}})
	if de.Regime != pricing.Domestic || de.Tax != eur(70) {
		t.Fatalf("France to Germany pays German reduced VAT: %+v", de)
	}
}

func TestUKParcel(t *testing.T) {
	gbp := func(m int64) money.Amount { return money.Amount{Minor: m, Currency: "GBP"} }
	a := assess(t, pricing.Parcel{Date: after, Origin: "CN", Destination: "GB", Shipping: gbp(300), Lines: []pricing.ParcelLine{{Key: "case", Quantity: 1, Value: gbp(12000), Subheading: "392690"}}})
	if a.Regime != pricing.UKLowValue || a.Tax != gbp(2400+60) || a.Duty.Minor != 0 {
		t.Fatalf("UK under 135 GBP: %+v", a)
	}
	over := assess(t, pricing.Parcel{Date: after, Origin: "CN", Destination: "GB", Lines: []pricing.ParcelLine{{Key: "case", Quantity: 1, Value: gbp(14000), Subheading: "392690"}}})
	if over.Regime != pricing.ImportOnDelivery || over.Tax.Minor != 0 || over.DueOnDelivery.Minor == 0 {
		t.Fatalf("UK over 135 GBP: %+v", over)
	}
}

func TestChinaCrossBorder(t *testing.T) {
	cny := func(m int64) money.Amount { return money.Amount{Minor: m, Currency: "CNY"} }
	p := func(ytd int64, lines ...pricing.ParcelLine) pricing.Parcel {
		return pricing.Parcel{Date: after, Origin: "FR", Destination: "CN", CBECYearToDate: cny(ytd), Lines: lines}
	}
	perfume := pricing.ParcelLine{Key: "perfume", Quantity: 1, Value: cny(100000), Class: pricing.Cosmetics, Subheading: "330300"}
	a := assess(t, p(0, perfume))
	// (13% VAT + 15% consumption tax) × 70% = 19.6% of 1,000 CNY.
	if a.Regime != pricing.CBEC || a.Tax != cny(19600) || a.Duty.Minor != 0 {
		t.Fatalf("under the limits: %+v", a)
	}
	bag := pricing.ParcelLine{Key: "bag", Quantity: 1, Value: cny(800000), Subheading: "420221"}
	full := assess(t, p(0, bag))
	if full.Regime != pricing.CBECFull || full.Tax != cny(104000) || full.Duty != cny(80000) {
		t.Fatalf("a single item above 5,000 CNY pays the full tax and duty: %+v", full)
	}
	tbl := pricing.NewTable(pricing.DefaultRates())
	for name, parcel := range map[string]pricing.Parcel{
		"past the yearly limit":   p(2550000, perfume),
		"several items over 5000": p(0, pricing.ParcelLine{Key: "bags", Quantity: 2, Value: cny(600000), Subheading: "420221"}),
		"not on the list":         p(0, pricing.ParcelLine{Key: "sword", Quantity: 1, Value: cny(1000), Subheading: "930700"}),
	} {
		if _, err := pricing.Assess(pricing.DefaultRules(), parcel, tbl.Converter(after)); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: err %v, want Invalid", name, err)
		}
	}
}

func TestEURParcelInGBPUsesConvertedLimit(t *testing.T) {
	gbp := func(m int64) money.Amount { return money.Amount{Minor: m, Currency: "GBP"} }
	// 150 EUR is 129.60 GBP at 0.8640: a 130 GBP parcel to France is above it.
	a := assess(t, pricing.Parcel{Date: after, Origin: "CN", Destination: "FR", Lines: []pricing.ParcelLine{{Key: "x", Quantity: 1, Value: gbp(13000), Subheading: "392690"}}})
	if a.Regime != pricing.ImportOnDelivery {
		t.Fatalf("regime %s", a.Regime)
	}
}

// TestConvertAllAddsUp: converted parts always sum to the converted total,
// for random parts across currencies.
func TestConvertAllAddsUp(t *testing.T) {
	tbl := pricing.NewTable(pricing.DefaultRates())
	rng := rand.New(rand.NewPCG(1, 2))
	curs := []string{"EUR", "GBP", "CNY", "USD"}
	for range 5000 {
		from, to := curs[rng.IntN(4)], curs[rng.IntN(4)]
		n := 1 + rng.IntN(8)
		parts := make([]money.Amount, n)
		for i := range parts {
			parts[i] = money.Amount{Minor: rng.Int64N(10_000_00), Currency: from}
		}
		out, total, _, err := tbl.ConvertAll(parts, to, after)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, o := range out {
			if o.Currency != to || o.Minor < 0 {
				t.Fatalf("part %v", o)
			}
			sum += o.Minor
		}
		if sum != total.Minor {
			t.Fatalf("%v → %s: parts sum to %d, total %d", parts, to, sum, total.Minor)
		}
	}
}

func TestRateHistory(t *testing.T) {
	old := pricing.DefaultRates()
	r, _ := money.ParseRate("8.0000")
	newer := append(old, pricing.FXRate{Base: "EUR", Quote: "CNY", Rate: r, ValidFrom: after.Add(time.Hour)})
	tbl := pricing.NewTable(newer)
	got, err := tbl.Rate("EUR", "CNY", after)
	if err != nil || got.Rate.String() != "8.215" {
		t.Fatalf("at the first time: %v %v", got, err)
	}
	got, _ = tbl.Rate("EUR", "CNY", after.Add(2*time.Hour))
	if got.Rate != r {
		t.Fatalf("after the new rate: %v", got)
	}
	if _, err := tbl.Rate("EUR", "CNY", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)); !errs.Is(err, errs.NotFound) {
		t.Fatalf("before any rate: %v", err)
	}
}
