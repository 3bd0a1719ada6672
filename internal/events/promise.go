package events

import "time"

// The delivery promise's events (tenant: the order's merchant).
// PromiseDecided: the day after an order's latest promised day, whether
// each of its parcels arrived by then (payload: PromiseOutcome);
// OrderCompensated: the order arrived late, or not at all, and its buyer
// was given the channel's compensation (payload: Compensation).
const (
	PromiseDecided   = "promise.decided"
	OrderCompensated = "order.compensated"
)

// PromiseOutcomeV1 is the version of PromiseOutcome.
const PromiseOutcomeV1 = 1

// PromiseOutcome is the payload of PromiseDecided: one per order, with the
// parcels it decided.
type PromiseOutcome struct {
	V          int             `json:"v"`
	OrderID    string          `json:"order_id"`
	MerchantID string          `json:"merchant_id"`
	Parcels    []ParcelOutcome `json:"parcels"`
	At         time.Time       `json:"at"`
}

// ParcelOutcome is one parcel's promise: the lane it took and whether it
// arrived by its latest day.
type ParcelOutcome struct {
	WarehouseID string     `json:"warehouse_id"`
	LaneFrom    string     `json:"lane_from"`
	ToCountry   string     `json:"to_country"`
	Carrier     string     `json:"carrier"`
	Latest      string     `json:"latest"`
	ArrivedAt   *time.Time `json:"arrived_at,omitempty"`
	OnTime      bool       `json:"on_time"`
}

// CompensationV1 is the version of Compensation.
const CompensationV1 = 1

// Compensation is the payload of OrderCompensated: the buyer's coupon and
// who pays for it (Liable "merchant" or "partner", LiableID its id).
type Compensation struct {
	V          int       `json:"v"`
	OrderID    string    `json:"order_id"`
	MerchantID string    `json:"merchant_id"`
	BuyerID    string    `json:"buyer_id"`
	ChannelID  string    `json:"channel_id"`
	CouponCode string    `json:"coupon_code"`
	Amount     int64     `json:"amount"`
	Currency   string    `json:"currency"`
	ValidTo    time.Time `json:"valid_to"`
	Liable     string    `json:"liable"`
	LiableID   string    `json:"liable_id"`
	At         time.Time `json:"at"`
}
