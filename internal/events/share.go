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
