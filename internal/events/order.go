package events

import "time"

// The order events (payload: OrderChange; tenant: the order's merchant).
// OrderPlaced: a checkout made the order, paid or awaiting the buyer's
// payment action; OrderPaid: its payment was captured; OrderCancelled: it
// was cancelled before shipment (payment failed or expired, the buyer or
// the merchant cancelled), its stock released and any payment refunded;
// OrderShipped: its merchant sent it (carrier and tracking number in the
// payload) and the buyer's protection started; OrderDelivered: its delivery
// was recorded; OrderProtectionExtended: its buyer extended the protection;
// OrderConfirmed: it was completed, its buyer having confirmed receipt
// (reason confirmed_by_buyer) or its protection having ended
// (protection_ended). The payload's protection_ends_at is when the order
// confirms itself.
const (
	OrderPlaced             = "order.placed"
	OrderPaid               = "order.paid"
	OrderCancelled          = "order.cancelled"
	OrderShipped            = "order.shipped"
	OrderDelivered          = "order.delivered"
	OrderProtectionExtended = "order.protection_extended"
	OrderConfirmed          = "order.confirmed"
)

// OrderChangeV1 is the version of OrderChange.
const OrderChangeV1 = 1

// OrderChange is the payload of the order events: what consumers (mail,
// the merchant's dashboard, payouts) need without reading the order.
type OrderChange struct {
	V          int    `json:"v"`
	OrderID    string `json:"order_id"`
	CheckoutID string `json:"checkout_id"`
	MerchantID string `json:"merchant_id"`
	BuyerID    string `json:"buyer_id"`
	ChannelID  string `json:"channel_id"`
	Status     string `json:"status"`
	Total      int64  `json:"total"`
	Currency   string `json:"currency"`
	Lines      int    `json:"lines"`
	Reason     string `json:"reason,omitempty"`
	// Carrier, TrackingNumber and ProtectionEndsAt are set once the order
	// has shipped.
	Carrier          string     `json:"carrier,omitempty"`
	TrackingNumber   string     `json:"tracking_number,omitempty"`
	ProtectionEndsAt *time.Time `json:"protection_ends_at,omitempty"`
	At               time.Time  `json:"at"`
}
