package events

import "time"

// The review events (payload: ReviewChange; tenant: the reviewed order's
// merchant). ReviewCreated: a buyer reviewed a line of a confirmed order
// (and, with it, may have rated the order's merchant); ReviewEdited: the
// buyer changed the review's stars or text; ReviewModerated: an operator
// hid a review or published it again, with the reason.
const (
	ReviewCreated   = "review.created"
	ReviewEdited    = "review.edited"
	ReviewModerated = "review.moderated"
)

// ReviewChangeV1 is the version of ReviewChange.
const ReviewChangeV1 = 1

// ReviewChange is the payload of the review events: the review and the
// product's rating after the change, so that a consumer (the search index's
// rating facet, a page cache) keeps a product's rating from the stream
// alone.
type ReviewChange struct {
	V         int    `json:"v"`
	ReviewID  string `json:"review_id"`
	OrderID   string `json:"order_id"`
	LineID    string `json:"line_id"`
	ProductID string `json:"product_id"`
	// MerchantID is the order's merchant; BuyerID its buyer.
	MerchantID string `json:"merchant_id"`
	BuyerID    string `json:"buyer_id"`
	ChannelID  string `json:"channel_id"`
	Stars      int    `json:"stars"`
	Status     string `json:"status"`
	// Reason is the operator's, on review.moderated.
	Reason string `json:"reason,omitempty"`
	// Seller is the order's merchant rating given with the review, if any.
	Seller *SellerAxes `json:"seller,omitempty"`
	// ProductReviews and ProductStars are the count and the sum of the
	// stars of the product's published reviews after the change.
	ProductReviews int64 `json:"product_reviews"`
	ProductStars   int64 `json:"product_stars"`
	// ProductAverageTenths is their average in tenths (45: 4.5), rounded
	// half up; 0 without reviews.
	ProductAverageTenths int64     `json:"product_average_tenths"`
	At                   time.Time `json:"at"`
}

// SellerAxes are a merchant's marks on an order, 1 to 5 each.
type SellerAxes struct {
	Described     int `json:"described"`
	Communication int `json:"communication"`
	Shipping      int `json:"shipping"`
}
