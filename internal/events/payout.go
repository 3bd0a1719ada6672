package events

import "time"

// The payout events (payload: PayoutChange; tenant: the merchant).
// PayoutCreated: a merchant's available balance in one currency was
// posted as paid out, its transfer under way; PayoutPaid: the provider made
// the transfer.
const (
	PayoutCreated = "payout.created"
	PayoutPaid    = "payout.paid"
)

// PayoutChangeV1 is the version of PayoutChange.
const PayoutChangeV1 = 1

// PayoutChange is the payload of the payout events.
type PayoutChange struct {
	V           int       `json:"v"`
	PayoutID    string    `json:"payout_id"`
	MerchantID  string    `json:"merchant_id"`
	Amount      int64     `json:"amount"`
	Currency    string    `json:"currency"`
	Status      string    `json:"status"`
	Provider    string    `json:"provider"`
	ProviderRef string    `json:"provider_ref,omitempty"`
	At          time.Time `json:"at"`
}

// LedgerReserveReleased: an order's rolling reserve was kept its plan's
// days and is available (payload: ReserveRelease; tenant: the merchant).
const LedgerReserveReleased = "ledger.reserve_released"

// ReserveReleaseV1 is the version of ReserveRelease.
const ReserveReleaseV1 = 1

// ReserveRelease is the payload of LedgerReserveReleased: Amount, in minor
// units of Currency, is what became available.
type ReserveRelease struct {
	V          int       `json:"v"`
	OrderID    string    `json:"order_id"`
	MerchantID string    `json:"merchant_id"`
	Currency   string    `json:"currency"`
	Amount     int64     `json:"amount"`
	At         time.Time `json:"at"`
}
