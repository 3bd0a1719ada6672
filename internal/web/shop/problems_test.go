package shop

import (
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/pricing"
)

// TestCartProblemsInTheBuyersLanguage: what keeps a cart from checkout,
// and why a coupon is refused, read in the page's language, with the
// limits the law or the coupon set; a problem the page has no words for
// keeps the service's.
func TestCartProblemsInTheBuyersLanguage(t *testing.T) {
	bundle, err := loadBundle()
	if err != nil {
		t.Fatal(err)
	}
	format := func(a money.Amount) string { return a.Decimal() + " " + a.Currency }
	limit := money.Amount{Minor: 2_600_000, Currency: "CNY"}
	q := order.Quote{Cart: order.Cart{Country: "GB"},
		Lines: []order.QuotedLine{{Title: "Clear case", Problem: "not available for delivery to GB", ProblemCode: order.LineNotDeliverable},
			{Title: "Soap", Problem: "something new"}},
		Groups:       []order.Group{{MerchantName: "Savonnerie", Problem: "past the limit", ProblemCode: pricing.RefusedYearlyLimit, ProblemLimit: &limit}},
		NeedsAddress: true}
	for lang, want := range map[string][]string{
		"en": {"Savonnerie: This order would take you past your yearly cross-border shopping limit of 26000.00 CNY",
			"Clear case: Cannot be delivered to United Kingdom", "Soap: something new", "Add a shipping address"},
		"fr": {"Savonnerie : Cette commande dépasserait votre plafond annuel d’achats transfrontaliers de 26000.00 CNY",
			"Clear case : Ne peut pas être livré pour le moment vers ce pays : Royaume-Uni", "Soap : something new", "Indiquez une adresse"},
		"zh": {"Savonnerie：此订单将超出您 26000.00 CNY 的跨境电商年度交易限值", "Clear case：目前无法配送至英国", "Soap：something new", "收货地址"},
	} {
		got := cartProblems(newWords(bundle, lang, nil), q, format)
		if len(got) != len(want) {
			t.Fatalf("%s: %q", lang, got)
		}
		for i := range want {
			if !strings.Contains(got[i], want[i]) {
				t.Errorf("%s: problem %d reads %q, want %q", lang, i, got[i], want[i])
			}
		}
	}
	minSpend := money.Amount{Minor: 5000, Currency: "EUR"}
	refused := &errs.Error{Op: "order.ApplyCoupon", Kind: errs.Invalid, Field: "code", Err: &pricing.Refusal{Code: order.CouponMinSpend, Msg: "needs 50", Limit: minSpend}}
	if got := refusalText(newWords(bundle, "fr", nil), refused, format); got != "Ce code promo demande au moins 50.00 EUR d’articles concernés dans votre panier" {
		t.Errorf("a coupon below its minimum spend, in French: %q", got)
	}
	if got := refusalText(newWords(bundle, "zh", nil), errs.E("order.ApplyCoupon", errs.Conflict, "the cart is checked out"), format); got != "the cart is checked out" {
		t.Errorf("a refusal the page has no words for: %q", got)
	}
}
