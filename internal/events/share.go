package events

import "time"

// ShareLinkCreated: a person shared a product listed on a channel for the
// first time (payload: ShareLink; tenant: the product's merchant). Sharing
// the same product on the same channel again writes nothing.
const ShareLinkCreated = "share.link.created"

// ShareLinkV1 is the version of ShareLink.
const ShareLinkV1 = 1

// ShareLink is the payload of ShareLinkCreated.
type ShareLink struct {
	V           int       `json:"v"`
	Code        string    `json:"code"`
	SharerID    string    `json:"sharer_id"`
	ChannelCode string    `json:"channel_code"`
	ProductID   string    `json:"product_id"`
	MerchantID  string    `json:"merchant_id"`
	CreatedAt   time.Time `json:"created_at"`
}

// Share commission events (payload: ShareCommission; aggregate: the order;
// no tenant: the marketplace pays sharers). Created: a checkout through a
// share link credited its sharer on an order; Payable: the order completed;
// Reversed: the order was cancelled or refunded, in full or in part. Each
// is written once per order and state, in the transaction of the order's
// move.
const (
	ShareCommissionCreated  = "share.commission.created"
	ShareCommissionPayable  = "share.commission.payable"
	ShareCommissionReversed = "share.commission.reversed"
)

// ShareCommissionV1 is the version of ShareCommission.
const ShareCommissionV1 = 1

// ShareCommission is the payload of the share commission events: amounts in
// minor units of Currency; Earned is Amount − Reversed (0 once reversed in
// full). The buyer is not named.
type ShareCommission struct {
	V          int       `json:"v"`
	OrderID    string    `json:"order_id"`
	Code       string    `json:"code"`
	SharerID   string    `json:"sharer_id"`
	ChannelID  string    `json:"channel_id"`
	MerchantID string    `json:"merchant_id"`
	ProductID  string    `json:"product_id"`
	Status     string    `json:"status"`
	Currency   string    `json:"currency"`
	Amount     int64     `json:"amount"`
	Reversed   int64     `json:"reversed"`
	Earned     int64     `json:"earned"`
	At         time.Time `json:"at"`
}
