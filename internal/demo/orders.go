package demo

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
)

// OrderStates are the states the demo buyer's orders are left in, one
// order each, so that a person trying Sesame finds every page of an
// order's life: awaiting its payment, paid, shipped, delivered, completed
// (confirmed by the buyer, and reviewed), cancelled (refunded), disputed
// (with a photo, the seller's offer of a partial refund awaiting the
// buyer's answer) and refunded (a parcel that never arrived).
func OrderStates() []order.Status {
	return []order.Status{order.PendingPayment, order.Paid, order.Shipped, order.Delivered, order.Completed, order.Cancelled, order.Disputed, order.Refunded}
}

// evidence is the demo dispute's photo: a bar on a table, broken in two.
func evidence() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := range 240 {
		for x := range 320 {
			c := color.RGBA{232, 226, 214, 255} // the table
			if x > 60 && x < 260 && y > 70 && y < 170 {
				c = color.RGBA{196, 170, 214, 255} // the bar
				if d := x - 150 - (y-120)/3; d > -4 && d < 4 {
					c = color.RGBA{90, 80, 96, 255} // the break
				}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
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
	// shareOf, when set, is the share code the checkout of a product
	// comes through.
	place := func(buyer identity.Actor, token string, shareOf func(productID string) (string, error)) (order.Order, error) {
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
			code := ""
			if shareOf != nil {
				if code, err = shareOf(v.ID); err != nil {
					return order.Order{}, err
				}
			}
			co, _, err := s.Orders.Checkout(ctx, acc, c.ID, order.CheckoutInput{Payment: order.PaymentInput{Provider: "sandbox", Token: token}, ShareCode: code})
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
		o, err := place(buyer, token, nil)
		if err != nil {
			return fmt.Errorf("the %s order: %w", st, err)
		}
		seller := staff[o.MerchantID]
		switch st {
		case order.Cancelled:
			_, err = s.Orders.Cancel(ctx, buyer, o.ID, "ordered twice")
		case order.Disputed, order.Refunded:
			_, err = s.Orders.Ship(ctx, seller, o.ID, order.ShipInput{Carrier: carrier[o.MerchantID], TrackingNumber: fmt.Sprintf("6A%011d", 20261201+len(o.ID))})
			if err == nil && st == order.Disputed {
				_, err = s.Orders.Deliver(ctx, seller, o.ID)
			}
			var d order.Dispute
			if err == nil && st == order.Disputed {
				d, err = s.Orders.OpenDispute(ctx, buyer, o.ID, order.DisputeInput{Reason: order.ReasonDamaged,
					Message: "Le produit est arrivé cassé en deux, l'emballage était écrasé. Voici une photo.",
					Photos:  []order.PhotoUpload{{Data: evidence()}}})
				if err == nil {
					_, err = s.Orders.Answer(ctx, seller, d.ID, order.AnswerInput{Action: "offer", Amount: o.Total.Minor / 2,
						Message: "Désolés ! Le transporteur a dû l'écraser. Nous vous proposons de rembourser la moitié, et vous gardez le produit."})
				}
			}
			if err == nil && st == order.Refunded {
				d, err = s.Orders.OpenDispute(ctx, buyer, o.ID, order.DisputeInput{Reason: order.ReasonNotReceived,
					Message: "Le suivi n'a plus bougé depuis trois semaines et je n'ai rien reçu."})
				if err == nil {
					_, err = s.Orders.Answer(ctx, seller, d.ID, order.AnswerInput{Action: "refund", Message: "Le colis est perdu : nous vous remboursons intégralement."})
				}
			}
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
	if s.Shares == nil || next >= len(pg.Items) {
		return nil
	}
	// The demo buyer shared the next product with a friend, who bought it
	// through the link and confirmed its delivery: the buyer's account
	// shows the link, its visit, the order and the commission, payable.
	shareOf := func(productID string) (string, error) {
		l, _, err := s.Shares.Share(ctx, buyer, bazaar.Code, productID)
		if err == nil {
			_, err = s.Shares.Visit(ctx, l.Code, "", true)
		}
		return l.Code, err
	}
	friend, err := s.Identity.RegisterBuyer(ctx, identity.Registration{Email: "chloe@sesame.example", Name: "Chloé Friend", Password: Password})
	if err != nil {
		return err
	}
	paris.Name = "Chloé Friend"
	o, err := place(friend.Actor(), payment.TokenSuccess, shareOf)
	if err == nil {
		_, err = s.Orders.Ship(ctx, staff[o.MerchantID], o.ID, order.ShipInput{Carrier: carrier[o.MerchantID], TrackingNumber: fmt.Sprintf("6A%011d", 20261202+len(o.ID))})
	}
	if err == nil {
		_, err = s.Orders.ConfirmDelivery(ctx, friend.Actor(), o.ID)
	}
	if err != nil {
		return fmt.Errorf("the shared order: %w", err)
	}
	return nil
}
