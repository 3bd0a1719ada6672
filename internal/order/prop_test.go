package order_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestRandomCartsAddUp: random carts (random lines and quantities, in EUR
// or GBP to France, Germany or Britain, in CNY to China; with and without
// coupons) always add up to the minor unit: each parcel's total is its
// goods less discount plus shipping, taxes and duties; the cart's is its
// parcels'; nothing is negative; and the orders of its checkout add up to
// the payment.
func TestRandomCartsAddUp(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		for _, in := range []order.CouponInput{{Code: "TEN", Kind: order.Percent, PercentBps: 1000}, {Code: "THREE", Kind: order.Fixed, Amount: 300, Currency: "EUR"},
			{Code: "QUID", Kind: order.Fixed, Amount: 100, Currency: "GBP"}} {
			if _, err := m.Orders.CreateCoupon(ctx, identity.System, in); err != nil {
				t.Fatal(err)
			}
		}
		rng := rand.New(rand.NewPCG(7, 11))
		skus := []string{"CASE-16", "CASE-S25", "SOAP", "PERFUME"}
		places := []struct {
			channel, currency string
			addr              order.Address
		}{
			{"bazaar", "EUR", testkit.Paris()},
			{"bazaar", "GBP", testkit.Paris()},
			{"bazaar", "EUR", order.Address{Name: "Jonas", Line1: "Hauptstraße 1", Postcode: "10115", City: "Berlin", Country: "DE"}},
			{"bazaar", "GBP", order.Address{Name: "Ann", Line1: "1 High Street", Postcode: "SW1A 1AA", City: "London", Country: "GB"}},
			{"mall", "CNY", order.Address{Name: "王芳", Line1: "南京西路 1号", Postcode: "200040", City: "黄浦区", Region: "Shanghai Shi", Country: "CN"}},
		}
		rounds := 40
		if testing.Short() {
			rounds = 8
		}
		buyers := m.Buyers(t, rounds)
		paidCarts := 0
		for r := range rounds {
			p := places[rng.IntN(len(places))]
			buyer := buyers[r]
			c, _, err := m.Orders.CreateCart(ctx, buyer, order.CartInput{Channel: p.channel, Currency: p.currency})
			if err != nil {
				t.Fatal(err)
			}
			acc := order.Access{Actor: buyer}
			for _, sku := range skus {
				if rng.IntN(2) == 0 {
					continue
				}
				if _, err := m.Orders.AddLine(ctx, acc, c.ID, order.LineInput{VariantID: m.Variants[sku], Quantity: 1 + rng.Int64N(4)}); err != nil {
					t.Fatalf("round %d: add %s: %v", r, sku, err)
				}
			}
			if _, err := m.Orders.SetAddress(ctx, acc, c.ID, p.addr); err != nil {
				t.Fatal(err)
			}
			for _, code := range []string{"TEN", "THREE", "QUID"} {
				if rng.IntN(2) == 0 {
					m.Orders.ApplyCoupon(ctx, acc, c.ID, code) // refused when it does not apply: fine
				}
			}
			q, err := m.Orders.Cart(ctx, acc, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			var sum order.Totals
			for _, g := range q.Groups {
				if g.Total.Minor != g.Subtotal.Minor-g.Discount.Minor+g.Shipping.Minor+g.Tax.Minor+g.Duty.Minor {
					t.Fatalf("round %d: a parcel does not add up: %+v", r, g.Totals)
				}
				for _, a := range []int64{g.Subtotal.Minor, g.Discount.Minor, g.Shipping.Minor, g.Tax.Minor, g.Duty.Minor, g.Total.Minor, g.DueOnDelivery.Minor} {
					if a < 0 {
						t.Fatalf("round %d: a negative amount: %+v", r, g.Totals)
					}
				}
				if g.Discount.Minor > g.Subtotal.Minor {
					t.Fatalf("round %d: a discount above the goods: %+v", r, g.Totals)
				}
				sum.Subtotal.Minor += g.Subtotal.Minor
				sum.Total.Minor += g.Total.Minor
				sum.Discount.Minor += g.Discount.Minor
			}
			var couponsOff int64
			for _, cp := range q.Coupons {
				couponsOff += cp.Discount.Minor
			}
			if sum.Total.Minor != q.Total.Minor || sum.Discount.Minor != q.Discount.Minor || couponsOff != q.Discount.Minor {
				t.Fatalf("round %d: the cart's totals %+v are not its parcels' (%d, %d) or its coupons' (%d)", r, q.Totals, sum.Total.Minor, sum.Discount.Minor, couponsOff)
			}
			if !q.Ready {
				continue // an empty cart, say, or a refusal China's limits make
			}
			co, _, err := m.Orders.Checkout(ctx, acc, c.ID, pay(payment.TokenSuccess))
			if err != nil {
				t.Fatalf("round %d: checkout: %v", r, err)
			}
			var paid int64
			for _, o := range co.Orders {
				paid += o.Total.Minor
				if o.Total.Currency != p.currency || o.Settlement.Minor < 0 {
					t.Fatalf("round %d: order %+v", r, o.Totals)
				}
			}
			if paid != co.Payment.Amount.Minor || paid != q.Total.Minor {
				t.Fatalf("round %d: orders %d, payment %d, cart %d", r, paid, co.Payment.Amount.Minor, q.Total.Minor)
			}
			paidCarts++
		}
		if paidCarts < rounds/2 {
			t.Fatalf("only %d of %d random carts could be checked out", paidCarts, rounds)
		}
		t.Logf("%d random carts, %d checked out", rounds, paidCarts)
	})
}
