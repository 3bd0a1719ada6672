package order

import (
	"context"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/pricing"
)

// TaxRules lists the tax rules (public: they are the law). Errors: as the
// store's.
func (s *Service) TaxRules(ctx context.Context) ([]pricing.Rule, error) {
	rs, err := s.Store.TaxRules(ctx)
	if err != nil {
		return nil, err
	}
	pricing.SortRules(rs)
	return rs, nil
}

// PutTaxRule writes a tax rule: operators only. A change of law is a new
// rule with a later ValidFrom (and the old one's ValidTo), so that orders
// keep the rule they were taxed by. Errors: Forbidden, Invalid.
func (s *Service) PutTaxRule(ctx context.Context, actor identity.Actor, r pricing.Rule) (pricing.Rule, error) {
	if !actor.IsOperator() {
		return pricing.Rule{}, errs.E("order.PutTaxRule", errs.Forbidden, "only operators edit the tax rules")
	}
	r.Country = strings.ToUpper(r.Country)
	r.ValidFrom, r.ValidTo = r.ValidFrom.UTC(), r.ValidTo.UTC()
	if err := pricing.Check(r); err != nil {
		return pricing.Rule{}, err
	}
	if err := s.Store.PutTaxRule(ctx, r); err != nil {
		return pricing.Rule{}, err
	}
	s.forget()
	return r, nil
}

// FXRates lists the exchange rates, every rate with its time.
func (s *Service) FXRates(ctx context.Context) ([]pricing.FXRate, error) {
	rs, err := s.Store.FXRates(ctx)
	if err != nil {
		return nil, err
	}
	return pricing.NewTable(rs).Rates(), nil
}

// AddFXRate adds an exchange rate valid from its time (now by default):
// operators only. Errors: Forbidden, Invalid.
func (s *Service) AddFXRate(ctx context.Context, actor identity.Actor, r pricing.FXRate) (pricing.FXRate, error) {
	const op = "order.AddFXRate"
	if !actor.IsOperator() {
		return pricing.FXRate{}, errs.E(op, errs.Forbidden, "only operators edit exchange rates")
	}
	r.Base, r.Quote = strings.ToUpper(r.Base), strings.ToUpper(r.Quote)
	if err := money.CheckCurrency(op, "base", r.Base); err != nil {
		return pricing.FXRate{}, err
	}
	if err := money.CheckCurrency(op, "quote", r.Quote); err != nil {
		return pricing.FXRate{}, err
	}
	if r.Base == r.Quote {
		return pricing.FXRate{}, errs.Field(op, "quote", "a rate converts between two currencies")
	}
	if r.Rate.String() == "" {
		return pricing.FXRate{}, errs.Field(op, "rate", "required")
	}
	if r.ValidFrom.IsZero() {
		r.ValidFrom = s.Now()
	}
	r.ValidFrom = r.ValidFrom.UTC().Truncate(time.Second)
	r.CreatedBy = actor.UserID
	if err := s.Store.AddFXRate(ctx, r); err != nil {
		return pricing.FXRate{}, err
	}
	s.forget()
	return r, nil
}

// Tariffs lists the categories' tariffs.
func (s *Service) Tariffs(ctx context.Context) (map[string]Tariff, error) {
	return s.Store.Tariffs(ctx)
}

// PutTariff sets a category's tariff subheading and tax class: operators
// only. Errors: Forbidden, Invalid, NotFound.
func (s *Service) PutTariff(ctx context.Context, actor identity.Actor, t Tariff) (Tariff, error) {
	const op = "order.PutTariff"
	if !actor.IsOperator() {
		return Tariff{}, errs.E(op, errs.Forbidden, "only operators set tariffs")
	}
	if !ids.Valid(ids.Category, t.CategoryID) {
		return Tariff{}, errs.E(op, errs.NotFound, "category not found")
	}
	if len(t.HSCode) < 6 || len(t.HSCode) > 10 || strings.Trim(t.HSCode, "0123456789") != "" {
		return Tariff{}, errs.Field(op, "hs_code", "6 to 10 digits of the Harmonized System")
	}
	switch t.TaxClass {
	case "":
		t.TaxClass = pricing.Standard
	case pricing.Standard, pricing.Reduced, pricing.Cosmetics, pricing.Jewellery:
	default:
		return Tariff{}, errs.Field(op, "tax_class", "one of standard, reduced, cosmetics, jewellery")
	}
	if err := s.Store.PutTariff(ctx, t); err != nil {
		return Tariff{}, err
	}
	s.forget()
	return t, nil
}
