package events

import "time"

// Events that carry the catalogue as each channel shows it. A search index
// or a page cache on another node follows a channel from these alone: an
// upserted event carries everything the channel shows of one product, a
// removed event says the product left the channel and why. They are emitted
// in the transaction of every change to what a channel shows (listing,
// unlisting, product edits and prices of listed products, revocation, brand
// change, withdrawn brand authorisation, merchant suspension and
// reinstatement, bulk import).
const (
	// ListingUpserted: the product is shown on the channel, as the payload
	// (a Listing) describes it; it replaces whatever a consumer held.
	ListingUpserted = "catalog.listing.upserted"
	// ListingRemoved: the product is no longer shown on the channel
	// (payload: ListingRemoval).
	ListingRemoved = "catalog.listing.removed"
	// ListingsUpserted: a batch of ListingUpserted (payload: ListingBatch),
	// written by bulk imports so that a feed of thousands of products is a
	// few outbox rows, not thousands.
	ListingsUpserted = "catalog.listings.upserted"
)

// ListingV1 is the version of the payloads above. A consumer refuses a
// version it does not know rather than guess at it; a change that removes or
// reinterprets a field is a new version, written beside the old one until
// every consumer reads it.
const ListingV1 = 1

// ListingBatchSize is the most listings one ListingsUpserted event carries.
const ListingBatchSize = 100

// Why a listing left its channel (ListingRemoval.Reason).
const (
	RemovedUnlisted                    = "unlisted"                      // its merchant or an operator unlisted it
	RemovedRevoked                     = "revoked"                       // the channel revoked the merchant's or the brand's admission
	RemovedBrandChanged                = "brand_changed"                 // the product's new brand may not be listed there
	RemovedBrandAuthorisationWithdrawn = "brand_authorisation_withdrawn" // the merchant may no longer sell the brand
	RemovedSuspended                   = "suspended"                     // the merchant is suspended (shown again on reinstatement)
	RemovedMerchantStatus              = "merchant_status"               // the merchant may not sell for another reason
)

// Listing is one product as one channel shows it: the payload of
// ListingUpserted and an element of ListingBatch.
type Listing struct {
	V             int            `json:"v"`
	ProductID     string         `json:"product_id"`
	ChannelID     string         `json:"channel_id"`
	ChannelCode   string         `json:"channel_code"`
	Merchant      Ref            `json:"merchant"`
	Brand         *Ref           `json:"brand,omitempty"` // nil: no brand
	Category      []CategoryNode `json:"category"`        // the path from the root to the product's category
	OriginCountry string         `json:"origin_country"`
	// ShipsFrom is the country the product is sent from: its merchant's
	// country of establishment (stock held in partner warehouses will add
	// theirs).
	ShipsFrom string              `json:"ships_from,omitempty"`
	Texts     map[string]ListText `json:"texts"` // per language
	// Prices is the lowest price per currency of the product's variants on
	// this channel, in minor units (what a list shows as "from").
	Prices     map[string]int64  `json:"prices"`
	Media      []string          `json:"media"`
	Attributes map[string]string `json:"attributes"`
	Variants   []ListVariant     `json:"variants"`
	// Version is the product's version: a consumer that holds a higher one
	// for this channel may ignore the event (it arrived late).
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Ref names an object by id and name.
type Ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// CategoryNode is one category of a path, with its name per language.
type CategoryNode struct {
	ID    string            `json:"id"`
	Slug  string            `json:"slug"`
	Names map[string]string `json:"names"`
}

// ListText is a product's title and description in one language.
type ListText struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// ListVariant is one variant: its options, SKU and prices on the channel
// (minor units per currency).
type ListVariant struct {
	ID      string            `json:"id"`
	SKU     string            `json:"sku"`
	Options map[string]string `json:"options"`
	Prices  map[string]int64  `json:"prices"`
}

// ListingRemoval is the payload of ListingRemoved.
type ListingRemoval struct {
	V          int    `json:"v"`
	ProductID  string `json:"product_id"`
	ChannelID  string `json:"channel_id"`
	MerchantID string `json:"merchant_id"`
	Reason     string `json:"reason"`
}

// ListingBatch is the payload of ListingsUpserted.
type ListingBatch struct {
	V        int       `json:"v"`
	Listings []Listing `json:"listings"`
}

// NewListingEvents returns the events announcing ls: one ListingUpserted for
// a single listing, else ListingsUpserted events of up to ListingBatchSize
// listings each, in order. tenant is the merchant when all belong to one.
func NewListingEvents(ls []Listing, tenant string, at time.Time) []Event {
	if len(ls) == 1 {
		return []Event{New(ListingUpserted, ls[0].ProductID, tenant, at, ls[0])}
	}
	var out []Event
	for len(ls) > 0 {
		n := min(len(ls), ListingBatchSize)
		out = append(out, New(ListingsUpserted, ls[0].ProductID, tenant, at, ListingBatch{V: ListingV1, Listings: ls[:n]}))
		ls = ls[n:]
	}
	return out
}
