// Package pricing computes what a parcel costs a buyer beyond its goods:
// the taxes and duties of the law that applies to it, read from rules that
// are data (every rate, threshold and fee a row with its validity dates, so
// that a change of law is new rows, not a release), and the conversions
// between currencies, read from a table of dated exchange rates.
//
// Catalogue prices are net of tax: the taxes a parcel bears are computed
// here and shown beside its goods, so that the same price pays French VAT
// from a Paris warehouse, the EU import one-stop shop from Shenzhen, or
// China's cross-border rates on the mall.
package pricing

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/money"
)

// Kind is what a rule sets.
type Kind string

// The kinds of rule.
const (
	// VAT is a country's value-added tax rate (RateBps) for a tax class.
	VAT Kind = "vat"
	// ImportLimit is the intrinsic value (Amount) up to which a region
	// (Country "EU", or "GB") has the marketplace collect the destination's
	// VAT at checkout on goods imported from outside it: the EU's import
	// one-stop shop (IOSS), the UK's 135 GBP rule.
	ImportLimit Kind = "import_limit"
	// FlatDuty is a customs duty (Amount) per item category (distinct
	// tariff subheading) of a low-value consignment into the region.
	FlatDuty Kind = "flat_duty"
	// HandlingFee is a country's fee (Amount) per consignment line of an
	// imported low-value consignment.
	HandlingFee Kind = "handling_fee"
	// DutyRate is the customs duty rate (RateBps) of goods whose tariff
	// subheading starts with Subheading (the longest prefix wins; an empty
	// one is the default), charged on imports above the low-value limit.
	DutyRate Kind = "duty_rate"
	// CBECShare is the share (RateBps) of the import VAT and consumption
	// tax China's cross-border e-commerce retail import charges, within
	// Amount per order and Limit per buyer per calendar year.
	CBECShare Kind = "cbec_share"
	// CBECList puts the goods whose tariff subheading starts with
	// Subheading on China's cross-border positive list.
	CBECList Kind = "cbec_list"
	// ConsumptionTax is a country's consumption tax rate (RateBps) for a
	// tax class (cosmetics, jewellery).
	ConsumptionTax Kind = "consumption_tax"
)

// Rule is one row of the law: a rate, threshold or fee, valid from
// ValidFrom until ValidTo (excluded; zero means still valid).
type Rule struct {
	ID         string       `json:"id" required:"false" doc:"Set from the path when written"`
	Kind       Kind         `json:"kind" enum:"vat,import_limit,flat_duty,handling_fee,duty_rate,cbec_share,cbec_list,consumption_tax"`
	Country    string       `json:"country" doc:"ISO 3166-1 alpha-2, or EU for the union"`
	Class      string       `json:"class,omitempty" doc:"Tax class: standard, reduced, cosmetics, jewellery…"`
	Subheading string       `json:"subheading,omitempty" doc:"Tariff subheading prefix (HS digits)"`
	RateBps    int64        `json:"rate_bps,omitempty"`
	Amount     money.Amount `json:"amount,omitzero"`
	Limit      money.Amount `json:"limit,omitzero"`
	ValidFrom  time.Time    `json:"valid_from"`
	ValidTo    time.Time    `json:"valid_to,omitzero"`
	Note       string       `json:"note,omitempty"`
}

// validAt reports whether r applies on day t.
func (r Rule) validAt(t time.Time) bool {
	return !t.Before(r.ValidFrom) && (r.ValidTo.IsZero() || t.Before(r.ValidTo))
}

// Rules is a set of rules to look things up in.
type Rules []Rule

// find returns the rule of kind k for country and class valid at t; class
// "" matches any rule's class only when the rule has none.
func (rs Rules) find(k Kind, country, class string, t time.Time) (Rule, bool) {
	for _, r := range rs {
		if r.Kind == k && r.Country == country && r.Class == class && r.validAt(t) {
			return r, true
		}
	}
	return Rule{}, false
}

// prefix returns the rule of kind k for country whose subheading is the
// longest prefix of sub, valid at t.
func (rs Rules) prefix(k Kind, country, sub string, t time.Time) (Rule, bool) {
	var best Rule
	found := false
	for _, r := range rs {
		if r.Kind == k && r.Country == country && strings.HasPrefix(sub, r.Subheading) && r.validAt(t) &&
			(!found || len(r.Subheading) > len(best.Subheading)) {
			best, found = r, true
		}
	}
	return best, found
}

// vat returns the VAT rule of country for class, falling back to the
// standard rate when the class has no rate of its own.
func (rs Rules) vat(country, class string, t time.Time) (Rule, bool) {
	if r, ok := rs.find(VAT, country, class, t); ok {
		return r, true
	}
	return rs.find(VAT, country, Standard, t)
}

// Standard is the tax class of goods with no reduced rate.
const Standard = "standard"

// euMembers is the union's member states: a parcel between two of them is
// not an import.
var euMembers = []string{"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
	"LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}

// InEU reports whether country is a member state.
func InEU(country string) bool { return slices.Contains(euMembers, country) }

// Regime is the tax treatment of a parcel.
type Regime string

// The regimes.
const (
	// Domestic: sent from a warehouse in the destination's customs
	// territory (a French buyer served from Ile-de-France, whoever the
	// merchant is): the destination's VAT, no customs.
	Domestic Regime = "domestic"
	// IOSS: a low-value EU import; the marketplace collects the
	// destination's VAT and the flat duties at checkout and declares them
	// with its IOSS number.
	IOSS Regime = "ioss"
	// UKLowValue: a UK import up to 135 GBP; the marketplace collects UK VAT.
	UKLowValue Regime = "uk_low_value"
	// ImportOnDelivery: above the low-value limit, import VAT and duty are
	// due on delivery, to the carrier; the cart shows the estimate.
	ImportOnDelivery Regime = "import_on_delivery"
	// CBEC: China's cross-border e-commerce retail import: no duty, 70% of
	// the import VAT and consumption tax, collected at checkout.
	CBEC Regime = "cbec"
	// CBECFull: a single item above the per-order limit within the yearly
	// limit: the full import VAT, consumption tax and duty.
	CBECFull Regime = "cbec_full"
	// NoTax: no rule taxes the parcel here.
	NoTax Regime = "none"
)

// Parcel is what one warehouse sends one buyer for one merchant: the unit
// customs and the low-value limits look at.
type Parcel struct {
	Date        time.Time
	Origin      string // the warehouse's country
	Destination string // the buyer's country
	Lines       []ParcelLine
	// Shipping is what the buyer pays to have it sent, in the lines'
	// currency; the VAT of the goods' standard rate applies to it.
	Shipping money.Amount
	// CBECYearToDate is what the buyer has already bought this calendar
	// year under China's cross-border regime, in CNY.
	CBECYearToDate money.Amount
}

// ParcelLine is a line of a parcel: Value is its goods' price, net of tax.
type ParcelLine struct {
	Key        string
	Quantity   int64
	Value      money.Amount
	Class      string // tax class, "" for standard
	Subheading string // the tariff subheading (6 HS digits)
}

// LineTax is what a line bears: the VAT (or import VAT and consumption
// tax) and the customs duty, with the rules that set them.
type LineTax struct {
	Key     string       `json:"key"`
	Rule    string       `json:"rule,omitempty"`
	RateBps int64        `json:"rate_bps"`
	Tax     money.Amount `json:"tax"`
	Duty    money.Amount `json:"duty"`
}

// Fee is a charge on the parcel as a whole: flat duties per category,
// handling fees, the VAT on shipping.
type Fee struct {
	Rule   string       `json:"rule"`
	Kind   Kind         `json:"kind"`
	Amount money.Amount `json:"amount"`
	Note   string       `json:"note,omitempty"`
}

// Assessment is the taxes of a parcel. Tax and Duty are collected at
// checkout (Duty includes the fees); DueOnDelivery is the estimate the
// buyer will pay the carrier, not collected by Sesame.
type Assessment struct {
	Regime        Regime       `json:"regime"`
	Lines         []LineTax    `json:"lines"`
	Fees          []Fee        `json:"fees"`
	Tax           money.Amount `json:"tax"`
	Duty          money.Amount `json:"duty"`
	DueOnDelivery money.Amount `json:"due_on_delivery"`
	// IntrinsicValue is the goods' value the low-value limits compare.
	IntrinsicValue money.Amount `json:"intrinsic_value"`
}

// Converter converts an amount to another currency (an FX table's Convert).
type Converter func(a money.Amount, to string) (money.Amount, error)

// Assess computes the taxes of p under rules on p.Date, converting the
// thresholds and fees (in their own currencies) into the lines' currency
// with conv. Errors: Invalid (mixed currencies, or goods China's regime
// refuses: not on its positive list, an order of several items above the
// per-order limit, or past the buyer's yearly limit).
func Assess(rules Rules, p Parcel, conv Converter) (Assessment, error) {
	const op = "pricing.Assess"
	if len(p.Lines) == 0 {
		return Assessment{}, errs.E(op, errs.Invalid, "a parcel has lines")
	}
	cur := p.Lines[0].Value.Currency
	zero := money.Amount{Currency: cur}
	a := Assessment{Regime: NoTax, Tax: zero, Duty: zero, DueOnDelivery: zero, IntrinsicValue: zero, Fees: []Fee{}}
	var items int64
	for _, l := range p.Lines {
		if l.Value.Currency != cur || (p.Shipping.Currency != "" && p.Shipping.Currency != cur) {
			return Assessment{}, errs.E(op, errs.Invalid, "a parcel's amounts are in one currency")
		}
		v, err := a.IntrinsicValue.Add(l.Value)
		if err != nil {
			return Assessment{}, errs.E(op, errs.Invalid, err)
		}
		a.IntrinsicValue = v
		items += l.Quantity
		a.Lines = append(a.Lines, LineTax{Key: l.Key, Tax: zero, Duty: zero})
	}
	if p.Shipping.Currency == "" {
		p.Shipping = zero
	}
	day := p.Date.UTC()
	in := func(limit money.Amount) (money.Amount, error) {
		if limit.Currency == cur {
			return limit, nil
		}
		return conv(limit, cur)
	}
	var err error
	switch {
	case p.Origin == p.Destination || (InEU(p.Origin) && InEU(p.Destination)):
		a.Regime = Domestic
		err = a.vat(rules, p, day, false)
	case InEU(p.Destination):
		err = a.euImport(rules, p, day, in)
	case p.Destination == "GB":
		err = a.ukImport(rules, p, day, in)
	case p.Destination == "CN":
		err = a.cbec(rules, p, day, items, in)
	}
	if err != nil {
		return Assessment{}, errs.E(op, errs.Other, err)
	}
	return a, a.total()
}

// vat applies the destination's VAT to every line and to shipping; onDelivery
// puts it in DueOnDelivery instead of Tax.
func (a *Assessment) vat(rules Rules, p Parcel, day time.Time, onDelivery bool) error {
	found := false
	for i, l := range p.Lines {
		r, ok := rules.vat(p.Destination, l.Class, day)
		if !ok {
			continue
		}
		found = true
		t, err := l.Value.ApplyBasisPoints(r.RateBps, money.HalfUp)
		if err != nil {
			return err
		}
		a.Lines[i].Rule, a.Lines[i].RateBps, a.Lines[i].Tax = r.ID, r.RateBps, t
	}
	if r, ok := rules.find(VAT, p.Destination, Standard, day); ok && p.Shipping.Minor > 0 {
		t, err := p.Shipping.ApplyBasisPoints(r.RateBps, money.HalfUp)
		if err != nil {
			return err
		}
		a.Fees = append(a.Fees, Fee{Rule: r.ID, Kind: VAT, Amount: t, Note: "VAT on shipping"})
	}
	if !found && a.Regime == Domestic {
		a.Regime = NoTax
	}
	if onDelivery {
		// What the buyer will owe is the same tax, not collected here.
		for i := range a.Lines {
			a.DueOnDelivery.Minor += a.Lines[i].Tax.Minor
			a.Lines[i].Tax.Minor = 0
		}
		for _, f := range a.Fees {
			a.DueOnDelivery.Minor += f.Amount.Minor
		}
		a.Fees = a.Fees[:0]
	}
	return nil
}

// subheadings returns the distinct tariff subheadings of the lines, and
// how many lines of the consignment there are (one per subheading).
func subheadings(p Parcel) []string {
	var subs []string
	for _, l := range p.Lines {
		if !slices.Contains(subs, l.Subheading) {
			subs = append(subs, l.Subheading)
		}
	}
	slices.Sort(subs)
	return subs
}

func (a *Assessment) euImport(rules Rules, p Parcel, day time.Time, in func(money.Amount) (money.Amount, error)) error {
	limit, ok := rules.find(ImportLimit, "EU", "", day)
	low := false
	if ok {
		l, err := in(limit.Amount)
		if err != nil {
			return err
		}
		low = a.IntrinsicValue.Minor <= l.Minor
	}
	if !low {
		a.Regime = ImportOnDelivery
		if err := a.vat(rules, p, day, true); err != nil {
			return err
		}
		return a.dutyOnDelivery(rules, "EU", p, day)
	}
	a.Regime = IOSS
	if err := a.vat(rules, p, day, false); err != nil {
		return err
	}
	subs := subheadings(p)
	if r, ok := rules.find(FlatDuty, "EU", "", day); ok {
		per, err := in(r.Amount)
		if err != nil {
			return err
		}
		fee, err := per.Mul(int64(len(subs)))
		if err != nil {
			return err
		}
		a.Fees = append(a.Fees, Fee{Rule: r.ID, Kind: FlatDuty, Amount: fee,
			Note: fmt.Sprintf("%d item categories: %s", len(subs), strings.Join(subs, ", "))})
	}
	if r, ok := rules.find(HandlingFee, p.Destination, "", day); ok {
		per, err := in(r.Amount)
		if err != nil {
			return err
		}
		fee, err := per.Mul(int64(len(subs)))
		if err != nil {
			return err
		}
		a.Fees = append(a.Fees, Fee{Rule: r.ID, Kind: HandlingFee, Amount: fee, Note: fmt.Sprintf("%d consignment lines", len(subs))})
	}
	return nil
}

// dutyOnDelivery adds the estimated customs duty of each line to
// DueOnDelivery, by the region's duty rates.
func (a *Assessment) dutyOnDelivery(rules Rules, region string, p Parcel, day time.Time) error {
	for i, l := range p.Lines {
		r, ok := rules.prefix(DutyRate, region, l.Subheading, day)
		if !ok {
			continue
		}
		d, err := l.Value.ApplyBasisPoints(r.RateBps, money.HalfUp)
		if err != nil {
			return err
		}
		a.DueOnDelivery.Minor += d.Minor
		_ = i
	}
	return nil
}

func (a *Assessment) ukImport(rules Rules, p Parcel, day time.Time, in func(money.Amount) (money.Amount, error)) error {
	limit, ok := rules.find(ImportLimit, "GB", "", day)
	if ok {
		l, err := in(limit.Amount)
		if err != nil {
			return err
		}
		if a.IntrinsicValue.Minor <= l.Minor {
			a.Regime = UKLowValue
			return a.vat(rules, p, day, false)
		}
	}
	a.Regime = ImportOnDelivery
	if err := a.vat(rules, p, day, true); err != nil {
		return err
	}
	return a.dutyOnDelivery(rules, "GB", p, day)
}

// Refusal is the law refusing a parcel, with a code a storefront words in
// its buyer's language (Error is the English).
type Refusal struct {
	Code string
	Msg  string
	// Limit is the amount the refusal is about, when there is one (a
	// yearly limit, a minimum spend).
	Limit money.Amount
}

// The refusals' codes.
const (
	// RefusedNotListed: goods not on China's cross-border positive list.
	RefusedNotListed = "cbec_not_listed"
	// RefusedYearlyLimit: the order would take the buyer past China's
	// yearly cross-border limit.
	RefusedYearlyLimit = "cbec_yearly_limit"
	// RefusedSplit: an order above China's per-order limit must hold a
	// single item.
	RefusedSplit = "cbec_split"
)

func (r *Refusal) Error() string { return r.Msg }

func refuse(code, msg string, limit money.Amount) error {
	return errs.E("pricing.Assess", errs.Invalid, &Refusal{Code: code, Msg: msg, Limit: limit})
}

func (a *Assessment) cbec(rules Rules, p Parcel, day time.Time, items int64, in func(money.Amount) (money.Amount, error)) error {
	share, ok := rules.find(CBECShare, "CN", "", day)
	if !ok {
		return nil
	}
	for _, l := range p.Lines {
		if _, ok := rules.prefix(CBECList, "CN", l.Subheading, day); !ok || l.Subheading == "" {
			return refuse(RefusedNotListed, fmt.Sprintf("goods of tariff subheading %q are not on China's cross-border e-commerce positive list and cannot be sold to buyers in China", l.Subheading), money.Amount{})
		}
	}
	perOrder, err := in(share.Amount)
	if err != nil {
		return err
	}
	yearly, err := in(share.Limit)
	if err != nil {
		return err
	}
	ytd := p.CBECYearToDate
	if ytd.Currency != "" && ytd.Currency != a.IntrinsicValue.Currency {
		if ytd, err = in(ytd); err != nil {
			return err
		}
	}
	if ytd.Minor+a.IntrinsicValue.Minor > yearly.Minor {
		return refuse(RefusedYearlyLimit, fmt.Sprintf("this order would take the buyer past China's yearly cross-border limit of %s (%s already bought this year)",
			share.Limit.Decimal()+" "+share.Limit.Currency, p.CBECYearToDate.Decimal()+" "+p.CBECYearToDate.Currency), share.Limit)
	}
	full := false
	if a.IntrinsicValue.Minor > perOrder.Minor {
		if items != 1 {
			return refuse(RefusedSplit, fmt.Sprintf("an order above China's cross-border limit of %s per order must hold a single item: split it",
				share.Amount.Decimal()+" "+share.Amount.Currency), share.Amount)
		}
		full = true
	}
	a.Regime = CBEC
	if full {
		a.Regime = CBECFull
	}
	for i, l := range p.Lines {
		rate := int64(0)
		rule := ""
		if r, ok := rules.vat("CN", l.Class, day); ok {
			rate, rule = r.RateBps, r.ID
		}
		if r, ok := rules.find(ConsumptionTax, "CN", l.Class, day); ok && l.Class != "" {
			rate += r.RateBps
			rule += "+" + r.ID
		}
		if !full {
			rate = (rate*share.RateBps + 5000) / 10000
			rule += "×" + share.ID
		}
		t, err := l.Value.ApplyBasisPoints(rate, money.HalfUp)
		if err != nil {
			return err
		}
		a.Lines[i].Rule, a.Lines[i].RateBps, a.Lines[i].Tax = rule, rate, t
		if full {
			if r, ok := rules.prefix(DutyRate, "CN", l.Subheading, day); ok {
				d, err := l.Value.ApplyBasisPoints(r.RateBps, money.HalfUp)
				if err != nil {
					return err
				}
				a.Lines[i].Duty = d
			}
		}
	}
	return nil
}

// total sums the lines and fees into Tax and Duty.
func (a *Assessment) total() error {
	for _, l := range a.Lines {
		a.Tax.Minor += l.Tax.Minor
		a.Duty.Minor += l.Duty.Minor
	}
	for _, f := range a.Fees {
		if f.Kind == VAT {
			a.Tax.Minor += f.Amount.Minor
		} else {
			a.Duty.Minor += f.Amount.Minor
		}
	}
	for _, m := range []money.Amount{a.Tax, a.Duty, a.DueOnDelivery} {
		if m.Minor < 0 || m.Minor > money.MaxMinor {
			return errs.E("pricing.Assess", errs.Invalid, "taxes beyond the bound of an amount")
		}
	}
	return nil
}

// SortRules orders rules by kind, country, class, subheading and start, the
// order the API lists them in.
func SortRules(rs []Rule) {
	slices.SortFunc(rs, func(a, b Rule) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Country, b.Country), cmp.Compare(a.Class, b.Class),
			cmp.Compare(a.Subheading, b.Subheading), a.ValidFrom.Compare(b.ValidFrom))
	})
}
