package events

import "time"

// The dispute events (payload: DisputeChange; tenant: the disputed order's
// merchant). DisputeOpened: a buyer disputed a shipped or delivered order
// (its protection clock stops); DisputeMessaged: a party or an operator
// wrote in the dispute; DisputeAnswered: the merchant offered a partial
// refund or contested the claim, and the buyer has until the deadline to
// answer; DisputeEscalated: the buyer asked an operator to decide;
// DisputeRefunding: a refund was decided (by the merchant, the buyer
// accepting an offer, an operator, or a deadline passing in silence) and is
// under way at the payment provider; DisputeClosed: the dispute ended, with
// its outcome (refunded, partially_refunded, rejected, withdrawn).
const (
	DisputeOpened    = "dispute.opened"
	DisputeMessaged  = "dispute.messaged"
	DisputeAnswered  = "dispute.answered"
	DisputeEscalated = "dispute.escalated"
	DisputeRefunding = "dispute.refunding"
	DisputeClosed    = "dispute.closed"
)

// The order events of disputes (payload: OrderChange): OrderDisputed, the
// order's buyer opened a dispute; OrderRefunded, the dispute refunded the
// order in full; OrderProtectionResumed, the buyer withdrew the dispute and
// the protection clock runs again from where it stopped. A dispute closed
// with a partial refund or none completes the order (OrderConfirmed, with
// reason dispute_partially_refunded or dispute_rejected).
const (
	OrderDisputed          = "order.disputed"
	OrderRefunded          = "order.refunded"
	OrderProtectionResumed = "order.protection_resumed"
)

// DisputeChangeV1 is the version of DisputeChange.
const DisputeChangeV1 = 1

// DisputeChange is the payload of the dispute events.
type DisputeChange struct {
	V          int    `json:"v"`
	DisputeID  string `json:"dispute_id"`
	OrderID    string `json:"order_id"`
	MerchantID string `json:"merchant_id"`
	BuyerID    string `json:"buyer_id"`
	ChannelID  string `json:"channel_id"`
	Status     string `json:"status"`
	Reason     string `json:"reason"`
	// Requested is the refund the buyer asked for; Offer the merchant's
	// counter-offer, if any; Refund the refund decided, if any; all in the
	// order's currency.
	Requested int64  `json:"requested"`
	Offer     int64  `json:"offer,omitempty"`
	Refund    int64  `json:"refund,omitempty"`
	Currency  string `json:"currency"`
	Outcome   string `json:"outcome,omitempty"`
	// By is who made the change: buyer, merchant, operator, or deadline.
	By string `json:"by"`
	// ReplyDueAt is when the party whose turn it is must answer.
	ReplyDueAt *time.Time `json:"reply_due_at,omitempty"`
	At         time.Time  `json:"at"`
}
