package demo

import (
	"context"
	"fmt"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
)

// OrderStates are the states the demo buyer's orders are left in, one
// order each, so that a person trying Sesame finds every page of an
// order's life: awaiting its payment, paid, shipped, delivered, completed
// (confirmed by the buyer, and reviewed), and cancelled (refunded).
func OrderStates() []order.Status {
	return []order.Status{order.PendingPayment, order.Paid, order.Shipped, order.Delivered, order.Completed, order.Cancelled}
}

// seedOrders places the demo buyer's orders on bazaar, one per state of
// OrderStates, each of one product in stock near Paris, through the same
// calls a buyer and a merchant make: checkout with the sandbox, shipment
// and delivery by the merchant, confirmation, review or cancellation by
// the buyer.
func seedOrders(ctx context.Context, s Services, buyer identity.Actor, bazaar channel.Channel, sellers []*seller) error {
	staff, carrier := map[string]identity.Actor{}, map[string]string{}
	for _, sl := range sellers {
		staff[sl.m.ID], carrier[sl.m.ID] = sl.actor, "Colissimo"
		if sl.country == "CN" {
			carrier[sl.m.ID] = "YunExpress"
		}
	}
	pg, err := s.Catalog.ChannelPageOf(ctx, bazaar, "fr", "", 100)
	if err != nil {
		return err
	}
	paris := order.Address{Name: "Bastien Buyer", Line1: "12 rue de la Roquette", Postcode: "75011", City: "Paris", Country: "FR", Phone: "+33612345678"}
	next := 0
	// place checks out a cart of the next product that can be bought, with
	// the sandbox token.
	place := func(token string) (order.Order, error) {
		for ; next < len(pg.Items); next++ {
			v := pg.Items[next]
			if len(v.Variants) == 0 || staff[v.Merchant.ID].MerchantID == "" {
				continue
			}
			c, _, err := s.Orders.CreateCart(ctx, buyer, order.CartInput{Channel: bazaar.Code, Currency: "EUR"})
			if err != nil {
				return order.Order{}, err
			}
			acc := order.Access{Actor: buyer}
			l, err := s.Orders.AddLine(ctx, acc, c.ID, order.LineInput{VariantID: v.Variants[0].ID, Quantity: 1})
			if err != nil {
				continue // not sold here after all: the next one
			}
			if _, err := s.Orders.SetAddress(ctx, acc, c.ID, paris); err != nil {
				return order.Order{}, err
			}
			co, _, err := s.Orders.Checkout(ctx, acc, c.ID, order.CheckoutInput{Payment: order.PaymentInput{Provider: "sandbox", Token: token}})
			if err != nil {
				// Out of stock near Paris, say: the line leaves the cart,
				// the next product is tried.
				if rerr := s.Orders.SetQuantity(ctx, acc, c.ID, l.ID, 0); rerr != nil {
					return order.Order{}, fmt.Errorf("checkout of %s: %w", v.ID, err)
				}
				continue
			}
			next++
			return co.Orders[0], nil
		}
		return order.Order{}, fmt.Errorf("no product of bazaar's first page could be bought")
	}
	for _, st := range OrderStates() {
		token := payment.TokenSuccess
		if st == order.PendingPayment {
			token = payment.TokenRequiresAction
		}
		o, err := place(token)
		if err != nil {
			return fmt.Errorf("the %s order: %w", st, err)
		}
		seller := staff[o.MerchantID]
		switch st {
		case order.Cancelled:
			_, err = s.Orders.Cancel(ctx, buyer, o.ID, "ordered twice")
		case order.Shipped, order.Delivered, order.Completed:
			_, err = s.Orders.Ship(ctx, seller, o.ID, order.ShipInput{Carrier: carrier[o.MerchantID], TrackingNumber: fmt.Sprintf("6A%011d", 20261201+len(o.ID))})
			if err == nil && st != order.Shipped {
				_, err = s.Orders.Deliver(ctx, seller, o.ID)
			}
			if err == nil && st == order.Completed {
				_, err = s.Orders.ConfirmDelivery(ctx, buyer, o.ID)
			}
			if err == nil && st == order.Completed {
				_, err = s.Orders.WriteReview(ctx, buyer, o.ID, order.ReviewInput{LineID: o.Lines[0].ID, Stars: 5,
					Text:   "Arrivé en parfait état, bien emballé et conforme à la description. Je recommande.",
					Seller: &order.SellerRating{Described: 5, Communication: 4, Shipping: 5}})
			}
		}
		if err != nil {
			return fmt.Errorf("the %s order %s: %w", st, o.ID, err)
		}
	}
	return nil
}
