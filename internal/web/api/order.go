package api

import (
	"context"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/pricing"
)

// accessOf is who asks for a cart: the actor, and the anonymous cart's
// token the X-Cart-Token header carries.
func accessOf(ctx context.Context, token string) order.Access {
	return order.Access{Actor: ActorFrom(ctx), Token: token}
}

// cartOut is a cart as the server prices it.
type cartOut struct {
	Body cartBody
}

type cartBody struct {
	order.Quote
	CartToken string `json:"cart_token,omitempty" doc:"Set once, when an anonymous cart is created: send it as X-Cart-Token. Signing in with it merges the cart into the buyer's."`
}

// checkoutOrder is an order as a checkout's answer lists it.
type checkoutOrder struct {
	ID         string       `json:"id"`
	MerchantID string       `json:"merchant_id"`
	Status     order.Status `json:"status"`
	Total      money.Amount `json:"total"`
}

type checkoutPayment struct {
	ID     string         `json:"id"`
	Status payment.Status `json:"status" enum:"captured,requires_action,failed,refunded"`
	Amount money.Amount   `json:"amount"`
	Reason string         `json:"reason,omitempty"`
}

type checkoutBody struct {
	CheckoutID string          `json:"checkout_id"`
	CartID     string          `json:"cart_id"`
	Orders     []checkoutOrder `json:"orders" doc:"One order per merchant; their totals add up to the payment's amount. Empty when the payment failed."`
	Payment    checkoutPayment `json:"payment"`
}

func checkoutOf(c order.Checkout) checkoutBody {
	b := checkoutBody{CheckoutID: c.ID, CartID: c.CartID, Orders: []checkoutOrder{},
		Payment: checkoutPayment{ID: c.Payment.ID, Status: c.Payment.Status, Amount: c.Payment.Amount, Reason: c.Payment.Reason}}
	for _, o := range c.Orders {
		b.Orders = append(b.Orders, checkoutOrder{ID: o.ID, MerchantID: o.MerchantID, Status: o.Status, Total: o.Total})
	}
	return b
}

type orderOut struct {
	Body order.Order
}

func registerOrders(a huma.API, s Services) {
	if s.Orders == nil {
		return
	}
	tags := []string{"Carts and checkout"}
	public := []map[string][]string{}
	quote := func(ctx context.Context, acc order.Access, id string) (*cartOut, error) {
		q, err := s.Orders.Cart(ctx, acc, id)
		if err != nil {
			return nil, fail(ctx, err)
		}
		return &cartOut{Body: cartBody{Quote: q}}, nil
	}
	huma.Register(a, write(a, huma.Operation{OperationID: "create-cart", Method: http.MethodPost, Path: "/api/v1/carts",
		Summary: "Open a cart", Description: "A signed-in buyer's cart is theirs (a buyer with an open cart on the channel gets it back). " +
			"An anonymous cart answers a `cart_token`, the key to it: send it as `X-Cart-Token`; signing in with it merges the cart into the buyer's.",
		Tags: tags, DefaultStatus: http.StatusCreated, Security: public}),
		func(ctx context.Context, in *struct{ Body order.CartInput }) (*cartOut, error) {
			c, token, err := s.Orders.CreateCart(ctx, ActorFrom(ctx), in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out, err := quote(ctx, order.Access{Actor: ActorFrom(ctx), Token: token}, c.ID)
			if err != nil {
				return nil, err
			}
			out.Body.CartToken = token
			return out, nil
		})
	huma.Register(a, huma.Operation{OperationID: "get-cart", Method: http.MethodGet, Path: "/api/v1/carts/{id}",
		Summary: "A cart, priced now", Description: "Lines at the server's prices, per-parcel groups (one merchant, one warehouse) with shipping, " +
			"taxes, duties and the delivery promise, and the totals, all in the cart's currency. `problems` says what stops a checkout.",
		Tags: tags, Security: public, Errors: []int{404, 422}},
		func(ctx context.Context, in *struct {
			ID        string `path:"id" maxLength:"64"`
			CartToken string `header:"X-Cart-Token" maxLength:"200" doc:"The cart_token of an anonymous cart (not needed once signed in)"`
		}) (*cartOut, error) {
			return quote(ctx, accessOf(ctx, in.CartToken), in.ID)
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "add-cart-line", Method: http.MethodPost, Path: "/api/v1/carts/{id}/lines",
		Summary: "Add a variant to a cart", Description: "Adding a variant already in the cart adds to its quantity (at most 99). The variant must be listed on the cart's channel and in stock for its country. " +
			"The price is always the server's: a price sent along is ignored.",
		Tags: tags, DefaultStatus: http.StatusCreated, Security: public}),
		func(ctx context.Context, in *struct {
			ID        string `path:"id" maxLength:"64"`
			CartToken string `header:"X-Cart-Token" maxLength:"200" doc:"The cart_token of an anonymous cart (not needed once signed in)"`
			Body      order.LineInput
		}) (*cartOut, error) {
			acc := accessOf(ctx, in.CartToken)
			if _, err := s.Orders.AddLine(ctx, acc, in.ID, in.Body); err != nil {
				return nil, fail(ctx, err)
			}
			return quote(ctx, acc, in.ID)
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "set-cart-line", Method: http.MethodPatch, Path: "/api/v1/carts/{id}/lines/{line_id}",
		Summary: "Change a line's quantity", Description: "0 removes the line.", Tags: tags, Security: public}),
		func(ctx context.Context, in *struct {
			ID        string `path:"id" maxLength:"64"`
			LineID    string `path:"line_id" maxLength:"64"`
			CartToken string `header:"X-Cart-Token" maxLength:"200" doc:"The cart_token of an anonymous cart (not needed once signed in)"`
			Body      struct {
				Quantity int64 `json:"quantity" minimum:"0" maximum:"99"`
			}
		}) (*cartOut, error) {
			acc := accessOf(ctx, in.CartToken)
			if err := s.Orders.SetQuantity(ctx, acc, in.ID, in.LineID, in.Body.Quantity); err != nil {
				return nil, fail(ctx, err)
			}
			return quote(ctx, acc, in.ID)
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "set-cart-currency", Method: http.MethodPut, Path: "/api/v1/carts/{id}/currency",
		Summary: "Price a cart in another currency", Description: "One of the channel's currencies; the cart is priced in it from then on. " +
			"A coupon of a fixed amount in the old currency stays on the cart and says it no longer applies.",
		Tags: tags, Security: public}),
		func(ctx context.Context, in *struct {
			ID        string `path:"id" maxLength:"64"`
			CartToken string `header:"X-Cart-Token" maxLength:"200" doc:"The cart_token of an anonymous cart (not needed once signed in)"`
			Body      struct {
				Currency string `json:"currency" pattern:"^[A-Za-z]{3}$" doc:"ISO 4217 code, one of the channel's currencies"`
			}
		}) (*cartOut, error) {
			acc := accessOf(ctx, in.CartToken)
			if err := s.Orders.SetCurrency(ctx, acc, in.ID, in.Body.Currency); err != nil {
				return nil, fail(ctx, err)
			}
			return quote(ctx, acc, in.ID)
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "set-cart-address", Method: http.MethodPut, Path: "/api/v1/carts/{id}/shipping-address",
		Summary: "Set where a cart ships to", Description: "Checked against the country's address format (required fields, postcode pattern; for China, province and district by name or key). " +
			"The country must be one of the channel's markets; the cart is priced for it from then on.",
		Tags: tags, Security: public}),
		func(ctx context.Context, in *struct {
			ID        string `path:"id" maxLength:"64"`
			CartToken string `header:"X-Cart-Token" maxLength:"200" doc:"The cart_token of an anonymous cart (not needed once signed in)"`
			Body      order.Address
		}) (*cartOut, error) {
			acc := accessOf(ctx, in.CartToken)
			if _, err := s.Orders.SetAddress(ctx, acc, in.ID, in.Body); err != nil {
				return nil, fail(ctx, err)
			}
			return quote(ctx, acc, in.ID)
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "apply-cart-coupon", Method: http.MethodPost, Path: "/api/v1/carts/{id}/coupons",
		Summary: "Apply a coupon to a cart", Description: "At most one coupon per merchant (it discounts that merchant's goods) and one marketplace coupon (it discounts what remains), " +
			"both before tax. A coupon that applies to nothing in the cart, is out of its dates or below its minimum spend is refused with the reason.",
		Tags: tags, DefaultStatus: http.StatusCreated, Security: public}),
		func(ctx context.Context, in *struct {
			ID        string `path:"id" maxLength:"64"`
			CartToken string `header:"X-Cart-Token" maxLength:"200" doc:"The cart_token of an anonymous cart (not needed once signed in)"`
			Body      struct {
				Code string `json:"code" minLength:"1" maxLength:"32"`
			}
		}) (*cartOut, error) {
			acc := accessOf(ctx, in.CartToken)
			if _, err := s.Orders.ApplyCoupon(ctx, acc, in.ID, in.Body.Code); err != nil {
				return nil, fail(ctx, err)
			}
			return quote(ctx, acc, in.ID)
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "remove-cart-coupon", Method: http.MethodDelete, Path: "/api/v1/carts/{id}/coupons/{code}",
		Summary: "Take a coupon off a cart", Tags: tags, Security: public}),
		func(ctx context.Context, in *struct {
			ID        string `path:"id" maxLength:"64"`
			Code      string `path:"code" maxLength:"32"`
			CartToken string `header:"X-Cart-Token" maxLength:"200" doc:"The cart_token of an anonymous cart (not needed once signed in)"`
		}) (*cartOut, error) {
			acc := accessOf(ctx, in.CartToken)
			if err := s.Orders.RemoveCoupon(ctx, acc, in.ID, in.Code); err != nil {
				return nil, fail(ctx, err)
			}
			return quote(ctx, acc, in.ID)
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "create-coupon", Method: http.MethodPost, Path: "/api/v1/coupons",
		Summary: "Make a coupon", Description: "A merchant's owner makes coupons for its own goods; an operator for any merchant's (`merchant_id`) or the marketplace's (none). " +
			"Limits of uses in all and per buyer hold under concurrent checkouts.",
		Tags: tags, DefaultStatus: http.StatusCreated}),
		func(ctx context.Context, in *struct{ Body order.CouponInput }) (*struct{ Body order.Coupon }, error) {
			c, err := s.Orders.CreateCoupon(ctx, ActorFrom(ctx), in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body order.Coupon }{c}, nil
		})
	huma.Register(a, authed(huma.Operation{OperationID: "list-coupons", Method: http.MethodGet, Path: "/api/v1/coupons",
		Summary: "Coupons you manage", Description: "A merchant's own; all for an operator. Newest first, at most 500.", Tags: tags, Errors: []int{401, 403}}),
		func(ctx context.Context, _ *struct{}) (*struct {
			Body struct {
				Items []order.Coupon `json:"items"`
			}
		}, error) {
			cs, err := s.Orders.Coupons(ctx, ActorFrom(ctx))
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &struct {
				Body struct {
					Items []order.Coupon `json:"items"`
				}
			}{}
			out.Body.Items = cs
			return out, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "checkout-cart", Method: http.MethodPost, Path: "/api/v1/carts/{id}/checkout",
		Summary: "Pay for a cart", Description: "Signed-in buyers. Reserves the stock, charges the total once and makes one order per merchant. " +
			"`payment.status` is `captured` (orders paid), `requires_action` (confirm with POST /api/v1/payments/{id}/confirm within 15 minutes, else the orders are cancelled) " +
			"or `failed` (no order; the cart stays open for another try). Send an Idempotency-Key: a retry answers the same checkout. " +
			"A cart already checked out answers its checkout with 200. `share_code` names the share link the buyer came through: " +
			"its sharer is credited a commission on the order of the shared product (the buyer's own link credits no one); " +
			"a code that is not a link of the cart's channel answers 422 on `share_code`.",
		Tags: tags, DefaultStatus: http.StatusCreated, Responses: map[string]*huma.Response{"200": {
			Description: "The cart was checked out already: its checkout",
			Content: map[string]*huma.MediaType{"application/json": {
				Schema: a.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[checkoutBody](), true, "")}}}}}),
		func(ctx context.Context, in *struct {
			ID        string `path:"id" maxLength:"64"`
			CartToken string `header:"X-Cart-Token" maxLength:"200" doc:"The cart_token of an anonymous cart (not needed once signed in)"`
			Body      order.CheckoutInput
		}) (*struct {
			Status int
			Body   checkoutBody
		}, error) {
			co, created, err := s.Orders.Checkout(ctx, accessOf(ctx, in.CartToken), in.ID, in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			status := http.StatusCreated
			if !created {
				status = http.StatusOK
			}
			return &struct {
				Status int
				Body   checkoutBody
			}{status, checkoutOf(co)}, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "confirm-payment", Method: http.MethodPost, Path: "/api/v1/payments/{id}/confirm",
		Summary: "Complete a payment that required the buyer's action", Tags: tags}),
		func(ctx context.Context, in *struct {
			ID string `path:"id" maxLength:"64"`
		}) (*struct{ Body checkoutBody }, error) {
			co, err := s.Orders.ConfirmPayment(ctx, ActorFrom(ctx), in.ID)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body checkoutBody }{checkoutOf(co)}, nil
		})

	if s.StripeWebhookSecret != "" {
		huma.Register(a, huma.Operation{OperationID: "stripe-webhook", Method: http.MethodPost, Path: "/api/v1/webhooks/stripe",
			Summary: "Stripe's webhook", Description: "Verified by its Stripe-Signature (HMAC of the payload with the endpoint's secret, timestamp within 5 minutes): " +
				"anything else is 401. payment_intent.succeeded pays the orders of a payment awaiting the buyer's action; payment_intent.payment_failed cancels them. " +
				"A replayed event changes nothing.",
			Tags: []string{"Carts and checkout"}, Security: public, Errors: []int{400, 401, 413}, MaxBodyBytes: 1 << 20},
			func(ctx context.Context, in *struct {
				Signature string `header:"Stripe-Signature" maxLength:"1000"`
				RawBody   []byte
			}) (*struct {
				Body struct {
					Received bool `json:"received"`
				}
			}, error) {
				ev, err := payment.WebhookEvent(in.RawBody, in.Signature, s.StripeWebhookSecret)
				if err != nil {
					return nil, fail(ctx, err)
				}
				if err := s.Orders.ProviderEvent(ctx, "stripe", ev); err != nil {
					return nil, fail(ctx, err)
				}
				out := &struct {
					Body struct {
						Received bool `json:"received"`
					}
				}{}
				out.Body.Received = true
				return out, nil
			})
	}
	otags := []string{"Orders"}
	huma.Register(a, authed(huma.Operation{OperationID: "list-orders", Method: http.MethodGet, Path: "/api/v1/orders",
		Summary: "Orders you may see", Description: "A buyer's own, a merchant's, or all for an operator; newest first.",
		Tags: otags, Errors: []int{401, 403, 422}}),
		func(ctx context.Context, in *struct {
			Cursor string `query:"cursor" maxLength:"64"`
			Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
		}) (*struct {
			Body struct {
				Items      []order.Order `json:"items"`
				NextCursor string        `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page"`
			}
		}, error) {
			os, next, err := s.Orders.Orders(ctx, ActorFrom(ctx), in.Cursor, in.Limit)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &struct {
				Body struct {
					Items      []order.Order `json:"items"`
					NextCursor string        `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page"`
				}
			}{}
			out.Body.Items, out.Body.NextCursor = os, next
			return out, nil
		})
	huma.Register(a, authed(huma.Operation{OperationID: "get-order", Method: http.MethodGet, Path: "/api/v1/orders/{id}",
		Summary: "An order", Description: "Its lines with the price, tax rule, rate and amount and the commission each was sold at; its parcels with the delivery promise and customs data.",
		Tags: otags, Errors: []int{401, 404}}),
		func(ctx context.Context, in *struct {
			ID string `path:"id" maxLength:"64"`
		}) (*orderOut, error) {
			if ActorFrom(ctx).IsAnonymous() {
				return nil, fail(ctx, errs.E("api", errs.Forbidden, "sign in"))
			}
			o, err := s.Orders.Order(ctx, ActorFrom(ctx), in.ID)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &orderOut{Body: o}, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "cancel-order", Method: http.MethodPost, Path: "/api/v1/orders/{id}/cancel",
		Summary: "Cancel an order before it ships", Description: "Its buyer, its merchant or an operator. A paid order is refunded in full; its stock returns.",
		Tags: otags}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body struct {
				Reason string `json:"reason,omitempty" maxLength:"500"`
			}
		}) (*orderOut, error) {
			o, err := s.Orders.Cancel(ctx, ActorFrom(ctx), in.ID, in.Body.Reason)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &orderOut{Body: o}, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "refund-completed-order", Method: http.MethodPost, Path: "/api/v1/orders/{id}/refund",
		Summary: "Refund a completed order (operators)", Description: "Operators only: refunds the buyer of an order after it completed (a chargeback " +
			"the marketplace accepted, goods recalled), in full or in part, once per order, through the payment provider. The merchant gives back the " +
			"refunded share of its settlement from the order's reserve, then from its available balance; what it lacks it owes, and its next payouts " +
			"recover it. The refunded share of the commission is reversed.",
		Tags: otags}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body order.ClawbackInput
		}) (*orderOut, error) {
			o, err := s.Orders.RefundCompleted(ctx, ActorFrom(ctx), in.ID, in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &orderOut{Body: o}, nil
		})
	byID := func(op huma.Operation, do func(context.Context, identity.Actor, string) (order.Order, error)) {
		op.Tags = otags
		huma.Register(a, write(a, op), func(ctx context.Context, in *struct {
			ID string `path:"id" maxLength:"64"`
		}) (*orderOut, error) {
			o, err := do(ctx, ActorFrom(ctx), in.ID)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &orderOut{Body: o}, nil
		})
	}
	huma.Register(a, write(a, huma.Operation{OperationID: "ship-order", Method: http.MethodPost, Path: "/api/v1/orders/{id}/ship",
		Summary: "Mark an order shipped", Description: "Its merchant's staff or API keys, for a paid order: the carrier and tracking number are recorded (the buyer is mailed them), " +
			"the order's stock leaves its warehouse, and the buyer's protection starts: the order confirms itself the channel's `unconfirmed_days` later (30 by default) unless its delivery is recorded " +
			"(`protection_ends_at`). Anyone else finds no such order (404); an order not paid is 409.",
		Tags: otags}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body order.ShipInput
		}) (*orderOut, error) {
			o, err := s.Orders.Ship(ctx, ActorFrom(ctx), in.ID, in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &orderOut{Body: o}, nil
		})
	byID(huma.Operation{OperationID: "deliver-order", Method: http.MethodPost, Path: "/api/v1/orders/{id}/deliver",
		Summary: "Record an order's delivery", Description: "Its merchant, or an operator standing in for the carrier, for a shipped order: `delivered_at` is recorded " +
			"and the order confirms itself the channel's `protection_days` later (10 by default; `protection_ends_at`, never more than 90 days after the order) unless its buyer confirms it first. " +
			"An order not shipped is 409."}, s.Orders.Deliver)
	byID(huma.Operation{OperationID: "confirm-order-delivery", Method: http.MethodPost, Path: "/api/v1/orders/{id}/confirm-delivery",
		Summary: "Confirm receipt of an order", Description: "Its buyer, for a shipped or delivered order: the order is completed (`confirmed_at`) and its protection ends. " +
			"Anyone else finds no such order (404); an order not shipped, or completed already, is 409."}, s.Orders.ConfirmDelivery)
	byID(huma.Operation{OperationID: "extend-order-protection", Method: http.MethodPost, Path: "/api/v1/orders/{id}/extend-protection",
		Summary: "Extend an order's buyer protection", Description: "Its buyer, once, for a shipped or delivered order: `protection_ends_at` moves the channel's `extension_days` later (15 by default), " +
			"never past 90 days after the order. A second extension, or one at the limit already, is 409."}, s.Orders.ExtendProtection)

	ltags := []string{"Taxes and exchange rates"}
	huma.Register(a, huma.Operation{OperationID: "list-tax-rules", Method: http.MethodGet, Path: "/api/v1/tax-rules",
		Summary: "The tax rules", Description: "VAT rates, low-value limits, duties and fees, each with its validity: the law Sesame taxes parcels by.",
		Tags: ltags, Security: public},
		func(ctx context.Context, _ *struct{}) (*struct {
			Body struct {
				Items []pricing.Rule `json:"items"`
			}
		}, error) {
			rs, err := s.Orders.TaxRules(ctx)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &struct {
				Body struct {
					Items []pricing.Rule `json:"items"`
				}
			}{}
			out.Body.Items = rs
			return out, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "put-tax-rule", Method: http.MethodPut, Path: "/api/v1/tax-rules/{id}",
		Summary: "Write a tax rule", Description: "Operators. A change of law is a new rule starting later (and the old one's valid_to), so orders keep the rule they were taxed by.",
		Tags: ltags}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body pricing.Rule
		}) (*struct{ Body pricing.Rule }, error) {
			in.Body.ID = in.ID
			r, err := s.Orders.PutTaxRule(ctx, ActorFrom(ctx), in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body pricing.Rule }{r}, nil
		})
	huma.Register(a, huma.Operation{OperationID: "list-fx-rates", Method: http.MethodGet, Path: "/api/v1/fx-rates",
		Summary: "The exchange rates", Description: "Every rate with the time it applies from, newest first per pair.", Tags: ltags, Security: public},
		func(ctx context.Context, _ *struct{}) (*struct {
			Body struct {
				Items []pricing.FXRate `json:"items"`
			}
		}, error) {
			rs, err := s.Orders.FXRates(ctx)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &struct {
				Body struct {
					Items []pricing.FXRate `json:"items"`
				}
			}{}
			out.Body.Items = rs
			return out, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "add-fx-rate", Method: http.MethodPost, Path: "/api/v1/fx-rates",
		Summary: "Add an exchange rate", Description: "Operators. It applies from `valid_from` (now by default) until a newer rate of the pair.",
		Tags: ltags, DefaultStatus: http.StatusCreated}),
		func(ctx context.Context, in *struct{ Body pricing.FXRate }) (*struct{ Body pricing.FXRate }, error) {
			r, err := s.Orders.AddFXRate(ctx, ActorFrom(ctx), in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body pricing.FXRate }{r}, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "put-category-tariff", Method: http.MethodPut, Path: "/api/v1/categories/{id}/tariff",
		Summary: "Set a category's tariff", Description: "Operators. The tariff subheading (HS code) and tax class of the category's goods; a product's `hs_code` and `tax_class` attributes override them.",
		Tags: ltags}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body struct {
				HSCode   string `json:"hs_code" pattern:"^[0-9]{6,10}$" example:"392690"`
				TaxClass string `json:"tax_class,omitempty" enum:"standard,reduced,cosmetics,jewellery"`
			}
		}) (*struct{ Body order.Tariff }, error) {
			t, err := s.Orders.PutTariff(ctx, ActorFrom(ctx), order.Tariff{CategoryID: in.ID, HSCode: in.Body.HSCode, TaxClass: in.Body.TaxClass})
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body order.Tariff }{t}, nil
		})
}
