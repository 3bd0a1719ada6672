package order_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/pricing"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestCouponsStackInOrder: a merchant's coupon discounts its own goods only,
// the marketplace's then discounts what remains, both before tax; a second
// coupon of the same merchant, another merchant's coupon for goods it does
// not sell, one below its minimum spend, out of its window or in another
// currency are refused; totals never go negative; the merchant bears its
// coupon and the marketplace its own.
func TestCouponsStackInOrder(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		mk := func(actor identity.Actor, in order.CouponInput) order.Coupon {
			t.Helper()
			c, err := m.Orders.CreateCoupon(ctx, actor, in)
			if err != nil {
				t.Fatalf("coupon %s: %v", in.Code, err)
			}
			return c
		}
		mk(m.PVStaff, order.CouponInput{Code: "LAVANDE10", Kind: order.Percent, PercentBps: 1000})
		mk(m.PVStaff, order.CouponInput{Code: "SAVON2", Kind: order.Fixed, Amount: 200, Currency: "EUR"})
		mk(m.SZStaff, order.CouponInput{Code: "CASES5", Kind: order.Fixed, Amount: 500, Currency: "EUR"})
		mk(identity.System, order.CouponInput{Code: "WELCOME", Kind: order.Fixed, Amount: 100_000, Currency: "EUR"})
		mk(identity.System, order.CouponInput{Code: "BIGSPEND", Kind: order.Percent, PercentBps: 500, MinSpend: 100_000, Currency: "EUR"})
		mk(identity.System, order.CouponInput{Code: "LATER", Kind: order.Percent, PercentBps: 500, ValidFrom: m.Clock.Now().Add(time.Hour)})
		mk(identity.System, order.CouponInput{Code: "POUNDS", Kind: order.Fixed, Amount: 100, Currency: "GBP"})
		if _, err := m.Orders.CreateCoupon(ctx, m.PVStaff, order.CouponInput{Code: "STEAL", MerchantID: m.Shenzhen.ID, Kind: order.Percent, PercentBps: 9000}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("a coupon for another merchant's goods: %v", err)
		}
		if _, err := m.Orders.CreateCoupon(ctx, m.PVStaff, order.CouponInput{Code: "LAVANDE10", Kind: order.Percent, PercentBps: 1000}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a taken code: %v", err)
		}
		buyer := m.Buyer(t)
		c := cartWith(t, m, buyer, "bazaar", "EUR", ptr(testkit.Paris()), "SOAP")
		apply := func(code string) error {
			_, err := m.Orders.ApplyCoupon(ctx, as(buyer), c.ID, code)
			return err
		}
		if err := apply("lavande10"); err != nil {
			t.Fatal(err)
		}
		// Each refusal carries a code for the storefront to word.
		for code, want := range map[string]struct {
			kind errs.Kind
			code string
		}{"SAVON2": {errs.Conflict, order.CouponStacking}, "CASES5": {errs.Invalid, order.CouponNoItems}, "BIGSPEND": {errs.Invalid, order.CouponMinSpend},
			"LATER": {errs.Invalid, order.CouponNotYetValid}, "POUNDS": {errs.Invalid, order.CouponWrongCurrency}, "NOPE": {errs.Invalid, order.CouponUnknown}} {
			err := apply(code)
			var r *pricing.Refusal
			if !errs.Is(err, want.kind) || !errors.As(err, &r) || r.Code != want.code || (r.Code == order.CouponMinSpend) != (r.Limit.Minor > 0) {
				t.Errorf("coupon %s: %v (%+v), want %v %s", code, err, r, want.kind, want.code)
			}
		}
		if err := apply("WELCOME"); err != nil {
			t.Fatal(err)
		}
		q, err := m.Orders.Cart(ctx, as(buyer), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		// 6.50 soap: 10% (0.65), then the marketplace's 1,000 EUR takes the
		// remaining 5.85: nothing is left to tax.
		if q.Lines[0].Discount.Minor != 650 || q.Discount.Minor != 650 || q.Tax.Minor != q.Groups[0].Fees[0].Amount.Minor || q.Total.Minor < 0 {
			t.Fatalf("discounts: line %v cart %v tax %v total %v", q.Lines[0].Discount, q.Discount, q.Tax, q.Total)
		}
		if len(q.Coupons) != 2 || q.Coupons[0].Code != "LAVANDE10" || q.Coupons[0].Discount.Minor != 65 || q.Coupons[1].Discount.Minor != 585 {
			t.Fatalf("stacking: %+v", q.Coupons)
		}
		co, _, err := m.Orders.Checkout(ctx, as(buyer), c.ID, pay(payment.TokenSuccess))
		if err != nil {
			t.Fatal(err)
		}
		o := co.Orders[0]
		// The merchant bears its 0.65; the marketplace the rest.
		if o.Discount.Minor != 650 || o.Settlement.Minor != 650-65+o.Shipping.Minor-o.Commission.Minor {
			t.Fatalf("order: discount %v settlement %v shipping %v commission %v", o.Discount, o.Settlement, o.Shipping, o.Commission)
		}
	})
}

// TestSingleUseCouponUnderRace: 50 buyers claim a single-use coupon at
// once, 100 rounds: exactly one wins each round; and 50 buyers checking
// out with a single-use coupon at once make exactly one discounted order.
func TestSingleUseCouponUnderRace(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		const buyers = 50
		actors := m.Buyers(t, buyers)
		rounds := 100
		if testing.Short() {
			rounds = 10
		}
		for r := range rounds {
			cp, err := m.Orders.CreateCoupon(ctx, identity.System, order.CouponInput{Code: fmt.Sprintf("ONCE-%03d", r), Kind: order.Percent, PercentBps: 1000, MaxUses: 1})
			if err != nil {
				t.Fatal(err)
			}
			var won atomic.Int64
			var wg sync.WaitGroup
			now := time.Now()
			for i := range buyers {
				wg.Go(func() {
					err := db.Orders().ClaimCoupons(ctx, fmt.Sprintf("race-%d-%d", r, i), actors[i].UserID, []order.CouponClaim{{Coupon: cp, Amount: 1}}, now.Add(-time.Hour), now)
					switch {
					case err == nil:
						won.Add(1)
					case !errs.Is(err, errs.Conflict):
						t.Errorf("claim: %v", err)
					}
				})
			}
			wg.Wait()
			if won.Load() != 1 {
				t.Fatalf("round %d: %d buyers won a single-use coupon", r, won.Load())
			}
		}
		// End to end.
		if _, err := m.Orders.CreateCoupon(ctx, identity.System, order.CouponInput{Code: "FIRST", Kind: order.Percent, PercentBps: 5000, MaxUses: 1}); err != nil {
			t.Fatal(err)
		}
		carts := make([]order.Cart, buyers)
		for i := range carts {
			carts[i] = cartWith(t, m, actors[i], "bazaar", "EUR", ptr(testkit.Paris()), "SOAP")
			if _, err := m.Orders.ApplyCoupon(ctx, as(actors[i]), carts[i].ID, "FIRST"); err != nil {
				t.Fatal(err)
			}
		}
		var paid, refused atomic.Int64
		var wg sync.WaitGroup
		for i := range carts {
			wg.Go(func() {
				co, _, err := m.Orders.Checkout(ctx, as(actors[i]), carts[i].ID, pay(payment.TokenSuccess))
				switch {
				case err == nil && co.Orders[0].Discount.Minor == 325:
					paid.Add(1)
				case errs.Is(err, errs.Conflict):
					refused.Add(1)
				default:
					t.Errorf("checkout %d: %v %+v", i, err, co)
				}
			})
		}
		wg.Wait()
		if paid.Load() != 1 || refused.Load() != buyers-1 {
			t.Fatalf("%d paid with the coupon, %d refused", paid.Load(), refused.Load())
		}
		if l := stockOf(t, m, "fos", m.Provence.ID, "SOAP"); l.Reserved != 1 {
			t.Fatalf("the refused checkouts kept stock: %+v", l)
		}
	})
}
