package events

import "time"

// The order events (payload: OrderChange; tenant: the order's merchant).
// OrderPlaced: a checkout made the order, paid or awaiting the buyer's
// payment action; OrderPaid: its payment was captured; OrderCancelled: it
// was cancelled before shipment (payment failed or expired, the buyer or
// the merchant cancelled), its stock released and any payment refunded.
const (
	OrderPlaced    = "order.placed"
	OrderPaid      = "order.paid"
	OrderCancelled = "order.cancelled"
)

// OrderChangeV1 is the version of OrderChange.
const OrderChangeV1 = 1

// OrderChange is the payload of the order events: what consumers (mail,
// the merchant's dashboard, payouts) need without reading the order.
type OrderChange struct {
	V          int       `json:"v"`
	OrderID    string    `json:"order_id"`
	CheckoutID string    `json:"checkout_id"`
	MerchantID string    `json:"merchant_id"`
	BuyerID    string    `json:"buyer_id"`
	ChannelID  string    `json:"channel_id"`
	Status     string    `json:"status"`
	Total      int64     `json:"total"`
	Currency   string    `json:"currency"`
	Lines      int       `json:"lines"`
	Reason     string    `json:"reason,omitempty"`
	At         time.Time `json:"at"`
}
