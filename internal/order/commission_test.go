package order_test

import (
	"context"
	"testing"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/pricing"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestCommissionIsBoundedPerLine: a plan's commission is its category's
// rate (a sub-category inherits its parent's), held per line within the
// rate's minimum and maximum, which are in the plan's currency and
// converted to the cart's; a minimum never takes more than the line.
func TestCommissionIsBoundedPerLine(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		sys := identity.System
		beauty := m.Categories["beauty"]
		soaps, err := m.Catalog.CreateCategory(ctx, sys, catalog.CategoryInput{Slug: "soaps", ParentID: beauty, Names: map[string]string{"en": "Soaps"}})
		if err != nil {
			t.Fatal(err)
		}
		p, err := m.Catalog.CreateProduct(ctx, m.PVStaff, catalog.ProductInput{CategoryID: soaps.ID, OriginCountry: "FR",
			Translations: map[string]catalog.Text{"en": {Title: "Shea soap"}},
			Variants:     []catalog.VariantInput{{SKU: "SHEA", Prices: []catalog.PriceInput{{Channel: "bazaar", Currency: "EUR", Amount: 2000}}}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Catalog.List(ctx, m.PVStaff, p.ID, "bazaar"); err != nil {
			t.Fatal(err)
		}
		m.Variants["SHEA"] = p.Variants[0].ID
		m.SetStock(t, "fos", m.Provence.ID, "SHEA", 10)

		// Refused: bounds that cannot hold.
		for _, in := range []merchant.PlanInput{
			{Code: "neg", Name: "Neg", Currency: "EUR", CommissionBps: 800, CommissionMin: -1},
			{Code: "inverted", Name: "Inverted", Currency: "EUR", CommissionBps: 800, CommissionMin: 500, CommissionMax: 100},
			{Code: "cat-inverted", Name: "Cat", Currency: "EUR", CommissionBps: 800,
				Categories: []merchant.CategoryCommission{{CategoryID: beauty, CommissionBps: 1000, Min: 900, Max: 300}}},
		} {
			if _, err := m.Merchants.CreatePlan(ctx, sys, in); !errs.Is(err, errs.Invalid) {
				t.Errorf("plan %s: %v, want Invalid", in.Code, err)
			}
		}
		// Provence: 10% on beauty at most 3.00 EUR a line; Shenzhen: 8% but
		// at least 15.00 EUR a line (more than a 10.00 EUR case).
		pv, err := m.Merchants.CreatePlan(ctx, sys, merchant.PlanInput{Code: "beauty-capped", Name: "Beauty capped", Currency: "EUR", CommissionBps: 800,
			Categories: []merchant.CategoryCommission{{CategoryID: beauty, CommissionBps: 1000, Max: 300}}})
		if err != nil {
			t.Fatal(err)
		}
		sz, err := m.Merchants.CreatePlan(ctx, sys, merchant.PlanInput{Code: "floor", Name: "Floor", Currency: "EUR", CommissionBps: 800, CommissionMin: 1500})
		if err != nil {
			t.Fatal(err)
		}
		for id, plan := range map[string]string{m.Provence.ID: pv.ID, m.Shenzhen.ID: sz.ID} {
			if _, err := m.Merchants.AssignPlan(ctx, sys, id, plan, ""); err != nil {
				t.Fatal(err)
			}
		}
		terms, err := m.Merchants.Terms(ctx, sys, m.Provence.ID)
		if err != nil || terms.Currency != "EUR" || len(terms.Categories) != 1 || terms.Categories[0].Max != 300 {
			t.Fatalf("stored terms %+v %v", terms, err)
		}
		buyer := m.Buyer(t)
		c := cartWith(t, m, buyer, "bazaar", "EUR", ptr(testkit.Paris()), "CASE-S25", "PERFUME", "SOAP", "SHEA")
		co, _, err := m.Orders.Checkout(ctx, as(buyer), c.ID, pay(payment.TokenSuccess))
		if err != nil || co.Payment.Status != payment.Captured {
			t.Fatalf("checkout: %v %+v", err, co.Payment)
		}
		want := map[string]struct {
			minor int64
			basis string
			cat   string
		}{
			"CASE-S25": {1000, "minimum", ""},    // 8% of 10.00 is 0.80; the 15.00 floor is held to the line's 10.00
			"PERFUME":  {300, "maximum", beauty}, // 10% of 45.00 is 4.50, capped at 3.00
			"SOAP":     {65, "rate", beauty},     // 10% of 6.50
			"SHEA":     {200, "rate", beauty},    // a soap inherits beauty's 10%
		}
		for _, o := range co.Orders {
			var sum int64
			for _, l := range o.Lines {
				w := want[l.SKU]
				if l.Commission.Minor != w.minor || l.CommissionBasis != w.basis || l.CommissionCategory != w.cat || l.Commission.Currency != "EUR" {
					t.Errorf("%s: commission %v %s of %q, want %d %s of %q", l.SKU, l.Commission, l.CommissionBasis, l.CommissionCategory, w.minor, w.basis, w.cat)
				}
				sum += l.Commission.Minor
			}
			if o.Commission.Minor != sum || o.Settlement.Minor < 0 {
				t.Errorf("order %s: commission %d, lines %d, settlement %v", o.ID, o.Commission.Minor, sum, o.Settlement)
			}
			stored, err := m.Orders.Order(ctx, buyer, o.ID)
			if err != nil || len(stored.Lines) != len(o.Lines) || stored.Lines[0].CommissionBasis != o.Lines[0].CommissionBasis {
				t.Errorf("stored order %+v %v", stored.Lines, err)
			}
		}

		// In pounds, the 15.00 EUR floor is converted by the rate table.
		gb := m.Buyer(t)
		london := order.Address{Name: "Sam Jones", Line1: "1 Long Acre", Postcode: "WC2E 9LH", City: "London", Country: "GB"}
		c = cartWith(t, m, gb, "bazaar", "GBP", &london)
		if _, err := m.Orders.AddLine(ctx, as(gb), c.ID, order.LineInput{VariantID: m.Variants["CASE-S25"], Quantity: 3}); err != nil {
			t.Fatal(err)
		}
		co, _, err = m.Orders.Checkout(ctx, as(gb), c.ID, pay(payment.TokenSuccess))
		if err != nil || len(co.Orders) != 1 {
			t.Fatalf("checkout in GBP: %v %+v", err, co)
		}
		rates, err := m.Orders.FXRates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		floor, _, err := pricing.NewTable(rates).Convert(money.Amount{Minor: 1500, Currency: "EUR"}, "GBP", m.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		l := co.Orders[0].Lines[0]
		// 3 × 8.70 GBP = 26.10; 8% is 2.09, under the floor.
		if l.Commission.Currency != "GBP" || l.Commission.Minor != floor.Minor || l.CommissionBasis != "minimum" || floor.Minor <= 209 {
			t.Fatalf("GBP line: %v %s, want the floor %v", l.Commission, l.CommissionBasis, floor)
		}
	})
}

// TestCartChangesCurrency: a cart is priced in the currency the buyer
// turns to, one of its channel's; a fixed coupon in the old one then says
// it no longer applies; another currency, or a cart checked out, is
// refused and changes nothing.
func TestCartChangesCurrency(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		if _, err := m.Orders.CreateCoupon(ctx, identity.System, order.CouponInput{Code: "FIVE", Kind: order.Fixed, Amount: 500, Currency: "EUR"}); err != nil {
			t.Fatal(err)
		}
		buyer := m.Buyer(t)
		c := cartWith(t, m, buyer, "bazaar", "EUR", ptr(testkit.Paris()), "SOAP", "CASE-S25")
		if _, err := m.Orders.ApplyCoupon(ctx, as(buyer), c.ID, "five"); err != nil {
			t.Fatal(err)
		}
		if err := m.Orders.SetCurrency(ctx, as(buyer), c.ID, "gbp"); err != nil {
			t.Fatal(err)
		}
		q, err := m.Orders.Cart(ctx, as(buyer), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if q.Currency != "GBP" || q.Total.Currency != "GBP" || q.Subtotal.Minor != 560+870 || len(q.Coupons) != 1 ||
			q.Coupons[0].ProblemCode != order.CouponWrongCurrency || q.Discount.Minor != 0 {
			t.Fatalf("in pounds: %s subtotal %v discount %v coupons %+v", q.Currency, q.Subtotal, q.Discount, q.Coupons)
		}
		for _, bad := range []string{"USD", "CNY", ""} {
			if err := m.Orders.SetCurrency(ctx, as(buyer), c.ID, bad); !errs.Is(err, errs.Invalid) {
				t.Errorf("currency %q: %v, want Invalid", bad, err)
			}
		}
		if err := m.Orders.SetCurrency(ctx, as(m.Buyer(t)), c.ID, "EUR"); !errs.Is(err, errs.NotFound) {
			t.Errorf("another buyer changes the currency: %v", err)
		}
		co, _, err := m.Orders.Checkout(ctx, as(buyer), c.ID, pay(payment.TokenSuccess))
		if err != nil || co.Payment.Amount.Currency != "GBP" {
			t.Fatalf("checkout in pounds: %v %+v", err, co.Payment)
		}
		if err := m.Orders.SetCurrency(ctx, as(buyer), c.ID, "EUR"); !errs.Is(err, errs.Conflict) && !errs.Is(err, errs.NotFound) {
			t.Errorf("a checked-out cart changes currency: %v", err)
		}
	})
}
