// Package order takes a buyer from cart to paid orders: carts per buyer per
// channel with lines from several merchants, priced by the server in the
// cart's currency with the taxes and duties of each parcel; one checkout,
// one payment and one order per merchant; and the order state machine.
package order

import (
	"context"
	"slices"
	"time"

	"github.com/sesame-market/sesame/internal/catalog" // a cart line is a catalogue variant
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/inventory" // stock is checked when a line is added and reserved at checkout
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/pricing" // taxes, duties and exchange rates
	"github.com/sesame-market/sesame/internal/promise"
	"github.com/sesame-market/sesame/internal/timers"
)

// CartStatus is where a cart stands.
type CartStatus string

// The cart statuses.
const (
	CartOpen       CartStatus = "open"
	CartCheckedOut CartStatus = "checked_out"
	// CartMerged: an anonymous cart whose lines went into its buyer's cart
	// at sign-in.
	CartMerged CartStatus = "merged"
)

// Limits of a cart.
const (
	MaxLines    = 50
	MaxQuantity = 99
)

// Address is where a parcel goes.
type Address struct {
	Name     string `json:"name" minLength:"1" maxLength:"200"`
	Line1    string `json:"line1" minLength:"1" maxLength:"200"`
	Line2    string `json:"line2,omitempty" maxLength:"200"`
	Postcode string `json:"postcode,omitempty" maxLength:"20"`
	City     string `json:"city" minLength:"1" maxLength:"100"`
	Region   string `json:"region,omitempty" maxLength:"100" doc:"State, province or prefecture where the country has them (ISO 3166-2 or the postal key)"`
	Country  string `json:"country" minLength:"2" maxLength:"2" doc:"ISO 3166-1 alpha-2"`
	Phone    string `json:"phone,omitempty" maxLength:"30"`
}

// Cart is a buyer's cart on one channel.
type Cart struct {
	ID        string     `json:"id"`
	ChannelID string     `json:"channel_id"`
	Currency  string     `json:"currency"`
	BuyerID   string     `json:"buyer_id,omitempty"`
	TokenHash string     `json:"-"`
	Country   string     `json:"country" doc:"Where the cart is priced for: the shipping address's country, else the channel's first market"`
	Status    CartStatus `json:"status"`
	Lines     []Line     `json:"-"`
	Address   *Address   `json:"shipping_address,omitempty"`
	// Attempt counts the checkouts whose payment failed: each new attempt
	// is a new charge at the provider.
	Attempt   int       `json:"-"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Line is a variant and its quantity in a cart. The price is never the
// client's: it is read from the catalogue every time the cart is priced.
type Line struct {
	ID         string    `json:"id"`
	VariantID  string    `json:"variant_id"`
	ProductID  string    `json:"product_id"`
	MerchantID string    `json:"merchant_id"`
	SKU        string    `json:"sku"`
	Quantity   int64     `json:"quantity"`
	AddedAt    time.Time `json:"added_at"`
}

// Tariff is how customs and tax see a category's goods: its tariff
// subheading (HS) and tax class. A product's hs_code and tax_class
// attributes override its category's.
type Tariff struct {
	CategoryID string `json:"category_id"`
	HSCode     string `json:"hs_code" pattern:"^[0-9]{6,10}$" example:"392690"`
	TaxClass   string `json:"tax_class" enum:"standard,reduced,cosmetics,jewellery"`
}

// Status is where an order stands.
type Status string

// The order statuses. After paid, the merchant ships the order and records
// its delivery; Completed is the order confirmed, by its buyer or when buyer
// protection ends (see protection.go). Disputed and Refunded belong to
// disputes (see dispute.go).
const (
	PendingPayment Status = "pending_payment"
	Paid           Status = "paid"
	Cancelled      Status = "cancelled"
	Shipped        Status = "shipped"
	Delivered      Status = "delivered"
	Completed      Status = "completed"
	Disputed       Status = "disputed"
	Refunded       Status = "refunded"
)

// transitions is the order state machine (drawn in docs/orders.md):
// the statuses each status may move to.
var transitions = map[Status][]Status{
	PendingPayment: {Paid, Cancelled},
	Paid:           {Shipped, Cancelled},
	Shipped:        {Delivered, Completed, Disputed},
	Delivered:      {Completed, Disputed},
	// A disputed order is refunded in full, completed (refunded in part or
	// not at all), or back where it was when its buyer withdraws.
	Disputed: {Completed, Refunded, Shipped, Delivered},
	// A completed order is refunded in full by an operator (a clawback).
	Completed: {Refunded},
}

// CanMove reports whether an order may move from one status to another.
func CanMove(from, to Status) bool { return slices.Contains(transitions[from], to) }

// From returns the statuses an order may reach to from.
func From(to Status) []Status {
	var out []Status
	for f, tos := range transitions {
		if slices.Contains(tos, to) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

// Order is what one merchant sells one buyer in one checkout.
type Order struct {
	ID         string `json:"id"`
	CheckoutID string `json:"checkout_id"`
	MerchantID string `json:"merchant_id"`
	// MerchantName is the merchant's name when the order was placed.
	MerchantName string `json:"merchant_name"`
	BuyerID      string `json:"buyer_id"`
	ChannelID    string `json:"channel_id"`
	Status       Status `json:"status"`
	Totals
	// Commission is what Sesame keeps from the merchant, in the order's
	// currency, and Settlement what the merchant is owed in its own.
	Commission money.Amount `json:"commission"`
	Settlement money.Amount `json:"settlement"`
	FXRate     string       `json:"fx_rate,omitempty" doc:"The rate the settlement was converted at, from the order's currency"`
	Address    Address      `json:"shipping_address"`
	Parcels    []Parcel     `json:"parcels"`
	Lines      []OrderLine  `json:"lines"`
	// ReservationID is the stock reservation of the order's units.
	ReservationID string `json:"-"`
	Shipment
	// Refund is what a dispute, or an operator after completion, refunded
	// of the order, once one did.
	Refund *OrderRefund `json:"refund,omitempty"`
	// Reserve is the rolling reserve of its merchant's plan, if it has one.
	Reserve   *OrderReserve `json:"reserve,omitempty"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

// OrderRefund is what a dispute, or an operator after completion,
// refunded of an order: Amount to its buyer
// in the order's currency, and the shares of the merchant's settlement and
// of the commission it took back, in the settlement currency (RefundShare).
type OrderRefund struct {
	Amount     money.Amount `json:"amount" doc:"Refunded to the buyer, in the order's currency"`
	Settlement money.Amount `json:"settlement" doc:"The share of the merchant's settlement the refund took back"`
	Commission money.Amount `json:"commission" doc:"The share of the commission the refund reversed"`
	// AfterCompletion: an operator refunded the order after it completed
	// (RefundCompleted), not a dispute.
	AfterCompletion bool      `json:"after_completion,omitempty" doc:"An operator refunded the order after it completed, not a dispute"`
	At              time.Time `json:"at"`
}

// Totals are the amounts of a parcel, an order or a cart, all in one
// currency: Total is Subtotal + Shipping + Tax + Duty - Discount.
// DueOnDelivery is the import VAT and duty the buyer pays the carrier
// (parcels above the low-value limits): Sesame does not collect it.
type Totals struct {
	Subtotal      money.Amount `json:"subtotal"`
	Shipping      money.Amount `json:"shipping"`
	Tax           money.Amount `json:"tax"`
	Duty          money.Amount `json:"duty"`
	Discount      money.Amount `json:"discount"`
	Total         money.Amount `json:"total"`
	DueOnDelivery money.Amount `json:"due_on_delivery" doc:"Import VAT and duty the carrier collects on delivery (not charged by Sesame)"`
}

// zeroTotals is every amount zero in currency cur.
func zeroTotals(cur string) Totals {
	z := money.Amount{Currency: cur}
	return Totals{Subtotal: z, Shipping: z, Tax: z, Duty: z, Discount: z, Total: z, DueOnDelivery: z}
}

// add adds u's amounts (in the same currency) to t's.
func (t *Totals) add(u Totals) {
	for _, p := range []struct{ to, from *money.Amount }{{&t.Subtotal, &u.Subtotal}, {&t.Shipping, &u.Shipping}, {&t.Tax, &u.Tax},
		{&t.Duty, &u.Duty}, {&t.Discount, &u.Discount}, {&t.Total, &u.Total}, {&t.DueOnDelivery, &u.DueOnDelivery}} {
		p.to.Minor += p.from.Minor
	}
}

// Parcel is what one warehouse sends for an order, with its promise and
// taxes: the consignment customs sees.
type Parcel struct {
	WarehouseID   string         `json:"warehouse_id"`
	ShipsFrom     string         `json:"ships_from"`
	Carrier       string         `json:"carrier"`
	Earliest      promise.Date   `json:"earliest"`
	Latest        promise.Date   `json:"latest"`
	Regime        pricing.Regime `json:"regime"`
	Shipping      money.Amount   `json:"shipping"`
	Fees          []pricing.Fee  `json:"fees"`
	IOSS          string         `json:"ioss_number,omitempty" doc:"The marketplace's IOSS number, when it collected the EU VAT"`
	DueOnDelivery money.Amount   `json:"due_on_delivery"`
	Lines         []string       `json:"line_ids"`
	Value         money.Amount   `json:"intrinsic_value"`
}

// OrderLine is a variant sold, with the price, tax and commission it was
// sold at.
type OrderLine struct {
	ID          string       `json:"id"`
	VariantID   string       `json:"variant_id"`
	ProductID   string       `json:"product_id"`
	SKU         string       `json:"sku"`
	Title       string       `json:"title"`
	Image       string       `json:"image,omitempty"`
	Quantity    int64        `json:"quantity"`
	UnitPrice   money.Amount `json:"unit_price"`
	Total       money.Amount `json:"total"`
	WarehouseID string       `json:"warehouse_id"`
	HSCode      string       `json:"hs_code"`
	Origin      string       `json:"origin_country"`
	TaxRule     string       `json:"tax_rule,omitempty"`
	TaxRateBps  int64        `json:"tax_rate_bps"`
	Tax         money.Amount `json:"tax"`
	Duty        money.Amount `json:"duty"`
	// Discount is what coupons took off the line's goods (before tax).
	Discount money.Amount `json:"discount"`
	// CommissionBps and Commission are what Sesame keeps of the line;
	// CommissionBasis says whether the rate gave it or a per-line bound of
	// the merchant's plan did, and CommissionCategory whose rate it was.
	CommissionBps      int64        `json:"commission_bps"`
	Commission         money.Amount `json:"commission"`
	CommissionBasis    string       `json:"commission_basis" enum:"rate,minimum,maximum" doc:"rate: the rate times the line; minimum or maximum: the plan's per-line bound (a minimum never above the line's own amount)"`
	CommissionCategory string       `json:"commission_category,omitempty" doc:"The category whose rate applied (the line's or its nearest ancestor with a rate of its own); empty: the plan's default"`
}

// PaymentRecord is Sesame's record of a charge.
type PaymentRecord struct {
	ID          string         `json:"id"`
	CheckoutID  string         `json:"checkout_id"`
	Provider    string         `json:"provider"`
	ProviderRef string         `json:"provider_ref"`
	Status      payment.Status `json:"status"`
	Amount      money.Amount   `json:"amount"`
	Reason      string         `json:"reason,omitempty"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

// CouponClaim is a use of a coupon a checkout takes.
type CouponClaim struct {
	Coupon Coupon
	Amount int64
}

// Checkout is one payment for the orders of one cart.
type Checkout struct {
	// Ref names the attempt: its reservations, coupon uses and charge.
	Ref          string        `json:"-"`
	ID           string        `json:"checkout_id"`
	CartID       string        `json:"cart_id"`
	Attempt      int           `json:"-"`
	BuyerID      string        `json:"buyer_id"`
	Total        money.Amount  `json:"total"`
	Orders       []Order       `json:"orders"`
	Payment      PaymentRecord `json:"payment"`
	Reservations []string      `json:"-"`
	// Commissions are what the checkout credits the sharer of the link the
	// buyer came through (PlaceCheckout writes them with the orders).
	Commissions []ShareCommission `json:"-"`
	CreatedAt   time.Time         `json:"created_at"`
}

// Filter selects orders: a buyer's, a merchant's, or all (BuyerID and
// MerchantID empty: an operator), newest first, before the cursor.
type Filter struct {
	BuyerID    string
	MerchantID string
	Before     string
	Limit      int
}

// Store persists carts, checkouts and orders, and the reviews of orders.
type Store interface {
	ReviewStore
	DisputeStore
	PayoutStore
	ClawbackStore
	ReconcileStore
	PromiseStore
	ShareStore
	// CreateCart inserts c.
	CreateCart(ctx context.Context, c Cart) error
	// Cart returns cart id with its lines. NotFound if there is none.
	Cart(ctx context.Context, id string) (Cart, error)
	// OpenCart returns buyerID's open cart on channelID. NotFound if none.
	OpenCart(ctx context.Context, buyerID, channelID string) (Cart, error)
	// AddLine adds l to open cart cartID, or adds its quantity to the
	// cart's line of the same variant (up to max), and returns the line.
	// Conflict if the cart is not open; Invalid past MaxLines lines.
	AddLine(ctx context.Context, cartID string, l Line, max int64, at time.Time) (Line, error)
	// SetQuantity sets a line's quantity (0 removes it). NotFound if the
	// cart has no such line; Conflict if the cart is not open.
	SetQuantity(ctx context.Context, cartID, lineID string, q int64, at time.Time) error
	// SetCartCurrency sets an open cart's currency; Conflict if not open.
	SetCartCurrency(ctx context.Context, cartID, currency string, at time.Time) error
	// SetAddress sets an open cart's shipping address and country.
	SetAddress(ctx context.Context, cartID string, a Address, at time.Time) error
	// MergeCart moves the lines of open cart from into open cart into
	// (quantities added, up to max) and marks from merged.
	MergeCart(ctx context.Context, from, into string, max int64, at time.Time) error
	// ClaimCart gives anonymous open cart id to buyerID.
	ClaimCart(ctx context.Context, id, buyerID string, at time.Time) error

	// VariantProduct returns the product of a variant. NotFound if none.
	VariantProduct(ctx context.Context, variantID string) (catalog.Product, error)
	// Tariffs returns the categories' tariffs by category id.
	Tariffs(ctx context.Context) (map[string]Tariff, error)
	// CategoryParents returns every category's parent id ("" for a root).
	CategoryParents(ctx context.Context) (map[string]string, error)
	// PutTariff sets a category's tariff. NotFound if no such category.
	PutTariff(ctx context.Context, t Tariff) error
	// TaxRules returns every tax rule; PutTaxRule inserts or replaces one.
	TaxRules(ctx context.Context) ([]pricing.Rule, error)
	PutTaxRule(ctx context.Context, r pricing.Rule) error
	// FXRates returns every exchange rate; AddFXRate inserts one.
	FXRates(ctx context.Context) ([]pricing.FXRate, error)
	AddFXRate(ctx context.Context, r pricing.FXRate) error
	// CBECSpent is what buyerID's orders to China under the cross-border
	// regime total since since, in CNY minor units (paid and pending).
	CBECSpent(ctx context.Context, buyerID string, since time.Time) (int64, error)

	// PlaceCheckout writes a checkout in one transaction: its payment, its
	// orders with their lines (none when the payment failed), the
	// reservations confirmed when it was captured, the cart checked out
	// (or its attempt counted when the payment failed), the timer that
	// cancels unpaid orders, and the events. If the cart's attempt was
	// placed already, that checkout is returned and nothing is written
	// (created false).
	PlaceCheckout(ctx context.Context, c Checkout, expiry *timers.Timer, evs []events.Event) (out Checkout, created bool, err error)
	// CheckoutOfCart returns the latest checkout of a cart. NotFound if none.
	CheckoutOfCart(ctx context.Context, cartID string) (Checkout, error)
	// Checkout returns checkout id with its orders and payment.
	Checkout(ctx context.Context, id string) (Checkout, error)
	// PaymentCheckout returns the checkout of payment id.
	PaymentCheckout(ctx context.Context, paymentID string) (Checkout, error)
	// SettlePayment records a payment's new status and moves its checkout's
	// orders from one of from to to, with their reservations confirmed
	// (to Paid) or released (to Cancelled), and writes evs, in one
	// transaction. Conflict if the payment is no longer in status was.
	SettlePayment(ctx context.Context, paymentID string, was, now payment.Status, reason string, from []Status, to Status, at time.Time, evs func(Order) []events.Event) (Checkout, error)
	// Orders lists orders by f; Order returns one. NotFound if none.
	Orders(ctx context.Context, f Filter) ([]Order, error)
	Order(ctx context.Context, id string) (Order, error)
	// CreateCoupon inserts c; Conflict if its code is taken. Coupons lists
	// merchantID's coupons (all when ""); CouponByCode finds one.
	CreateCoupon(ctx context.Context, c Coupon) error
	Coupons(ctx context.Context, merchantID string) ([]Coupon, error)
	CouponByCode(ctx context.Context, code string) (Coupon, error)
	// CartCoupons, AddCartCoupon and RemoveCartCoupon keep a cart's coupons.
	CartCoupons(ctx context.Context, cartID string) ([]Coupon, error)
	AddCartCoupon(ctx context.Context, cartID, couponID string, at time.Time) error
	RemoveCartCoupon(ctx context.Context, cartID, couponID string) error
	// ClaimCoupons holds one use of each coupon for checkout attempt ref
	// of buyerID, in one transaction, each coupon's row locked so that
	// concurrent claims count each other: Conflict when a coupon's uses in
	// all or the buyer's reach their limits (held uses created before
	// since no longer count). A ref's claim made already is kept.
	ClaimCoupons(ctx context.Context, ref, buyerID string, claims []CouponClaim, since, at time.Time) error
	// FirstProviderEvent records a provider's webhook event and reports
	// whether it is the first delivery of its id.
	FirstProviderEvent(ctx context.Context, provider, eventID string, at time.Time) (bool, error)
	// ProviderEventSeen reports whether the event was recorded.
	ProviderEventSeen(ctx context.Context, provider, eventID string) (bool, error)
	// PaymentByRef returns the id of the payment of provider's charge ref.
	// NotFound if none.
	PaymentByRef(ctx context.Context, provider, ref string) (string, error)
	// ReleaseCoupons drops the held uses of ref.
	ReleaseCoupons(ctx context.Context, ref string) error
	// MoveOrder moves order id from one of from to to, releasing its
	// reservations when to is Cancelled, with evs. Conflict otherwise.
	MoveOrder(ctx context.Context, id string, from []Status, to Status, at time.Time, evs []events.Event) (Order, error)
	// AdvanceOrder moves order id through one step after payment, in one
	// transaction: step is given the order as stored (locked) and at, and
	// returns it changed (status and shipment), the timer to schedule if
	// any, and the events; the store writes them, and ships the order's
	// stock reservation when it moves to Shipped. step's error is returned
	// and nothing is written. NotFound if there is no such order.
	AdvanceOrder(ctx context.Context, id string, at time.Time, step func(o Order, at time.Time) (Order, *timers.Timer, []events.Event, error)) (Order, error)
	// Every move above writes the order's ledger posting (LedgerPosting)
	// in its transaction, once per order and kind.
	//
	// LedgerBalances returns the balances of merchantID's accounts ("":
	// the marketplace's), by account and currency.
	LedgerBalances(ctx context.Context, merchantID string) ([]Balance, error)
	// LedgerPostings returns up to limit of merchantID's postings with
	// their entries, oldest first, after the posting id after.
	LedgerPostings(ctx context.Context, merchantID, after string, limit int) ([]Posting, error)
}

// Stock is what orders need of inventory.
type Stock interface {
	Offers(ctx context.Context, merchantID string, skus []string, markets []string, dest *promise.Destination) (map[string]inventory.Offer, error)
	PromiseFrom(ctx context.Context, warehouseID string, dest promise.Destination) (*promise.Result, error)
	ReserveAll(ctx context.Context, ins []inventory.ReserveInput) ([]inventory.Reservation, error)
	Release(ctx context.Context, id string) (inventory.Reservation, error)
}
