package order

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/text"
)

// ReviewStatus is whether buyers see a review.
type ReviewStatus string

// The review statuses: a review is published when written; an operator may
// hide it (with a reason) and publish it again.
const (
	ReviewPublished ReviewStatus = "published"
	ReviewHidden    ReviewStatus = "hidden"
)

// Limits of a review.
const (
	// MaxReviewText bounds a review's text, in characters.
	MaxReviewText = 2000
	// MaxReason bounds a moderation's reason, in characters.
	MaxReason = 500
	// MaxStars is the best mark; 1 is the worst.
	MaxStars = 5
	// EditWindow is how long after writing it a buyer may edit a review.
	EditWindow = 30 * 24 * time.Hour
)

// SellerRating is what a buyer says of an order's merchant, 1 to 5 on each
// axis: the item as described, the merchant's communication and the speed
// of shipping.
type SellerRating struct {
	Described     int `json:"described" minimum:"1" maximum:"5" doc:"The item as described, 1 to 5"`
	Communication int `json:"communication" minimum:"1" maximum:"5" doc:"The merchant's communication, 1 to 5"`
	Shipping      int `json:"shipping" minimum:"1" maximum:"5" doc:"The speed of shipping, 1 to 5"`
}

// Review is a buyer's review of a line of a confirmed order.
type Review struct {
	ID         string       `json:"id"`
	OrderID    string       `json:"order_id"`
	LineID     string       `json:"line_id"`
	ProductID  string       `json:"product_id"`
	MerchantID string       `json:"merchant_id"`
	BuyerID    string       `json:"-"`
	ChannelID  string       `json:"channel_id"`
	Stars      int          `json:"stars" minimum:"1" maximum:"5"`
	Text       string       `json:"text,omitempty"`
	Photos     []string     `json:"photo_ids" doc:"The ids of its photos: GET /api/v1/reviews/{id}/photos/{photo_id}"`
	Status     ReviewStatus `json:"status" enum:"published,hidden"`
	// Reason is the operator's reason for the last moderation.
	Reason    string    `json:"moderation_reason,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ReviewInput is a buyer's review of one line of an order, and optionally
// the buyer's rating of the order's merchant.
type ReviewInput struct {
	LineID string        `json:"line_id" minLength:"1" maxLength:"64" doc:"A line of the order"`
	Stars  int           `json:"stars" minimum:"1" maximum:"5" doc:"The item's mark, 1 to 5"`
	Text   string        `json:"text,omitempty" maxLength:"2000" doc:"What the buyer says of the item (up to 2,000 characters)"`
	Seller *SellerRating `json:"seller,omitempty" doc:"The order's merchant, rated once per order: with the order's first review that carries it"`
	Photos []PhotoUpload `json:"photos,omitempty" maxItems:"3" doc:"Up to three photos of the item (JPEG, PNG or GIF, 4 MiB each, base64)"`
}

// ReviewEdit is a buyer's new stars and text of their review.
type ReviewEdit struct {
	Stars int    `json:"stars" minimum:"1" maximum:"5" doc:"The item's mark, 1 to 5"`
	Text  string `json:"text,omitempty" maxLength:"2000" doc:"What the buyer says of the item (up to 2,000 characters); empty: none"`
}

// ModerateInput is an operator's decision on a review.
type ModerateInput struct {
	Status ReviewStatus `json:"status" enum:"published,hidden" doc:"hidden: buyers no longer see the review and it leaves the product's rating; published: it is back"`
	Reason string       `json:"reason" minLength:"1" maxLength:"500" doc:"Why, in the operator's words"`
}

// Rating is the count and the sum of marks, 1 to 5 each: stored as
// integers, so that an average is computed, never stored.
type Rating struct {
	Count int64 `json:"count" doc:"How many marks"`
	Sum   int64 `json:"sum" doc:"The sum of the marks"`
}

// Tenths is the average mark in tenths (45 is 4.5), rounded half up; 0
// when there is no mark.
func (r Rating) Tenths() int64 {
	if r.Count <= 0 {
		return 0
	}
	return (r.Sum*10*2 + r.Count) / (r.Count * 2)
}

// ProductRating is the rating of a product by its published reviews.
type ProductRating struct {
	ProductID string `json:"product_id"`
	Rating
	AverageTenths int64 `json:"average_tenths" doc:"The average of the stars in tenths (45 is 4.5 out of 5); 0 without reviews"`
}

// MerchantRating is a merchant's rating on the three axes, by the orders
// whose buyers rated it.
type MerchantRating struct {
	MerchantID    string `json:"merchant_id"`
	Orders        int64  `json:"orders" doc:"How many orders were rated"`
	Described     Axis   `json:"described"`
	Communication Axis   `json:"communication"`
	Shipping      Axis   `json:"shipping"`
}

// Axis is one axis of a merchant's rating.
type Axis struct {
	Sum           int64 `json:"sum"`
	AverageTenths int64 `json:"average_tenths" doc:"The average in tenths (45 is 4.5 out of 5); 0 without ratings"`
}

// RatingOf fills in a merchant rating's averages from its sums.
func RatingOf(merchantID string, orders, described, communication, shipping int64) MerchantRating {
	axis := func(sum int64) Axis { return Axis{Sum: sum, AverageTenths: Rating{Count: orders, Sum: sum}.Tenths()} }
	return MerchantRating{MerchantID: merchantID, Orders: orders, Described: axis(described), Communication: axis(communication), Shipping: axis(shipping)}
}

// ProductRatingOf fills in a product rating's average.
func ProductRatingOf(productID string, r Rating) ProductRating {
	return ProductRating{ProductID: productID, Rating: r, AverageTenths: r.Tenths()}
}

// OrderReviews is what an order's buyer has said of it: the reviews of its
// lines and whether its merchant was rated.
type OrderReviews struct {
	Reviews []Review `json:"reviews"`
	Rated   bool     `json:"seller_rated"`
}

// Reviewed reports whether line lineID has a review.
func (r OrderReviews) Reviewed(lineID string) bool {
	for _, v := range r.Reviews {
		if v.LineID == lineID {
			return true
		}
	}
	return false
}

// ReviewStore persists reviews and keeps the ratings they make.
type ReviewStore interface {
	// CreateReview writes review r, and seller (if not nil) as the rating of
	// r's order's merchant, with the product's and the merchant's ratings
	// updated and the events evs returns (given the product's rating after
	// the write), in one transaction. Conflict if the line has a review or
	// seller is given for an order rated already.
	CreateReview(ctx context.Context, r Review, seller *SellerRating, photos []Photo, evs func(Review, Rating) []events.Event) (Review, error)
	// ReviewPhoto returns photo id of review reviewID. NotFound if none.
	ReviewPhoto(ctx context.Context, reviewID, id string) (Photo, error)
	// Review returns review id. NotFound if none.
	Review(ctx context.Context, id string) (Review, error)
	// EditReview changes review id in one transaction: step is given the
	// review as stored (locked) and returns it changed (stars, text); the
	// store writes it, moves the product's rating by the change of stars
	// of a published review, and writes the events evs returns. step's
	// error is returned and nothing is written. NotFound if none.
	EditReview(ctx context.Context, id string, step func(Review) (Review, error), evs func(Review, Rating) []events.Event) (Review, error)
	// ModerateReview sets review id's status and reason, the product's
	// rating updated (a hidden review does not count) and evs's events
	// written, in one transaction. NotFound if none.
	ModerateReview(ctx context.Context, id string, status ReviewStatus, reason string, at time.Time, evs func(Review, Rating) []events.Event) (Review, error)
	// ProductReviews returns up to limit published reviews of productID,
	// newest first, before review id before ("": from the newest).
	ProductReviews(ctx context.Context, productID, before string, limit int) ([]Review, error)
	// ProductRating returns the rating of productID (zero if none).
	ProductRating(ctx context.Context, productID string) (Rating, error)
	// MerchantRating returns merchantID's rating (zero if none).
	MerchantRating(ctx context.Context, merchantID string) (MerchantRating, error)
	// OrderReviews returns the reviews of orderID's lines, and whether its
	// merchant was rated.
	OrderReviews(ctx context.Context, orderID string) (OrderReviews, error)
}

// checkMark refuses a mark outside 1 to 5.
func checkMark(op, field string, n int) error {
	if n < 1 || n > MaxStars {
		return errs.Field(op, field, fmt.Sprintf("must be 1 to %d", MaxStars))
	}
	return nil
}

// Normalise checks a review's input and returns it normalised (its text
// trimmed, in NFC, CR LF as LF). Errors: Invalid, naming the field.
func (in ReviewInput) Normalise() (ReviewInput, error) {
	const op = "order.ReviewInput"
	if err := checkMark(op, "stars", in.Stars); err != nil {
		return in, err
	}
	if in.Seller != nil {
		for _, f := range []struct {
			name string
			n    int
		}{{"seller.described", in.Seller.Described}, {"seller.communication", in.Seller.Communication}, {"seller.shipping", in.Seller.Shipping}} {
			if err := checkMark(op, f.name, f.n); err != nil {
				return in, err
			}
		}
	}
	t, err := text.Block(op, "text", in.Text, MaxReviewText, false)
	if err != nil {
		return in, err
	}
	in.Text = t
	return in, nil
}

// reviewEvent is the event typ of review r, the product's rating after the
// change being p.
func reviewEvent(typ string, r Review, seller *SellerRating, p Rating, at time.Time) events.Event {
	c := events.ReviewChange{V: events.ReviewChangeV1, ReviewID: r.ID, OrderID: r.OrderID, LineID: r.LineID, ProductID: r.ProductID,
		MerchantID: r.MerchantID, BuyerID: r.BuyerID, ChannelID: r.ChannelID, Stars: r.Stars, Status: string(r.Status),
		ProductReviews: p.Count, ProductStars: p.Sum, ProductAverageTenths: p.Tenths(), At: at}
	if typ == events.ReviewModerated {
		c.Reason = r.Reason
	}
	if seller != nil {
		c.Seller = &events.SellerAxes{Described: seller.Described, Communication: seller.Communication, Shipping: seller.Shipping}
	}
	return events.New(typ, r.ID, r.MerchantID, at, c)
}

// WriteReview records the buyer's review of a line of one of their
// confirmed (completed) orders, and with it, if given, their rating of the
// order's merchant. A line has one review; a merchant one rating per
// order. Errors: NotFound (not the actor's order, or no such line in it:
// merchants, operators and other buyers find none), Invalid (a mark not 1
// to 5, text too long or not text), Conflict (the order is not confirmed,
// the line has a review, or the order's merchant was rated already).
func (s *Service) WriteReview(ctx context.Context, actor identity.Actor, orderID string, in ReviewInput) (Review, error) {
	const op = "order.WriteReview"
	o, err := s.buyerOrder(ctx, op, actor, orderID)
	if err != nil {
		return Review{}, err
	}
	var line *OrderLine
	for i := range o.Lines {
		if o.Lines[i].ID == in.LineID {
			line = &o.Lines[i]
		}
	}
	if line == nil {
		return Review{}, errs.E(op, errs.NotFound, "the order has no such line")
	}
	if in, err = in.Normalise(); err != nil {
		return Review{}, err
	}
	// Completed is a final status: an order confirmed when read stays so.
	if o.Status != Completed {
		return Review{}, errs.E(op, errs.Conflict, "an order that is "+wording(o.Status)+" cannot be reviewed until it is confirmed")
	}
	at := s.Now().UTC()
	r := Review{ID: ids.New(ids.Review), OrderID: o.ID, LineID: line.ID, ProductID: line.ProductID, MerchantID: o.MerchantID,
		BuyerID: o.BuyerID, ChannelID: o.ChannelID, Stars: in.Stars, Text: in.Text, Status: ReviewPublished, CreatedAt: at, UpdatedAt: at}
	ph, refs, err := photos(op, ReviewPhotoPrefix, r.ID, in.Photos, at)
	if err != nil {
		return Review{}, err
	}
	r.Photos = refs
	return s.Store.CreateReview(ctx, r, in.Seller, ph, func(r Review, p Rating) []events.Event {
		return []events.Event{reviewEvent(events.ReviewCreated, r, in.Seller, p, at)}
	})
}

// EditReview changes the stars and text of one of the buyer's reviews
// within EditWindow of writing it; a hidden review may be edited (say, to
// take out what made an operator hide it) and stays hidden. The merchant's
// rating of the order is not edited. Errors: NotFound (not the actor's
// review: nobody else edits it), Invalid (a mark, the text), Conflict (past
// the window).
func (s *Service) EditReview(ctx context.Context, actor identity.Actor, id string, in ReviewEdit) (Review, error) {
	const op = "order.EditReview"
	notFound := errs.E(op, errs.NotFound, "review not found")
	if actor.Role != identity.Buyer || !ids.Valid(ids.Review, id) {
		return Review{}, notFound
	}
	n, err := ReviewInput{Stars: in.Stars, Text: in.Text}.Normalise()
	if err != nil {
		return Review{}, err
	}
	at := s.Now().UTC()
	return s.Store.EditReview(ctx, id, func(r Review) (Review, error) {
		if r.BuyerID != actor.UserID {
			return r, notFound
		}
		if at.After(r.CreatedAt.Add(EditWindow)) {
			return r, errs.E(op, errs.Conflict, fmt.Sprintf("a review may be edited for %d days after it was written", EditWindow/(24*time.Hour)))
		}
		r.Stars, r.Text, r.UpdatedAt = n.Stars, n.Text, at
		return r, nil
	}, func(r Review, p Rating) []events.Event {
		return []events.Event{reviewEvent(events.ReviewEdited, r, nil, p, at)}
	})
}

// ModerateReview hides a review or publishes it again, with the
// operator's reason: a hidden review leaves its product's rating (its
// order's merchant rating stays, as it is no text of the buyer's). Only
// operators moderate. Errors: Forbidden, NotFound, Invalid (status or
// reason).
func (s *Service) ModerateReview(ctx context.Context, actor identity.Actor, id string, in ModerateInput) (Review, error) {
	const op = "order.ModerateReview"
	if !actor.IsOperator() {
		return Review{}, errs.E(op, errs.Forbidden, "only operators moderate reviews")
	}
	if in.Status != ReviewPublished && in.Status != ReviewHidden {
		return Review{}, errs.Field(op, "status", "must be published or hidden")
	}
	reason, err := text.Line(op, "reason", in.Reason, MaxReason, true)
	if err != nil {
		return Review{}, err
	}
	if !ids.Valid(ids.Review, id) {
		return Review{}, errs.E(op, errs.NotFound, "review not found")
	}
	at := s.Now().UTC()
	return s.Store.ModerateReview(ctx, id, in.Status, reason, at, func(r Review, p Rating) []events.Event {
		return []events.Event{reviewEvent(events.ReviewModerated, r, nil, p, at)}
	})
}

// MaxReviewPage bounds a page of reviews.
const MaxReviewPage = 50

// ProductReviews returns a product's rating and a page of its published
// reviews, newest first, before the cursor (the last id of the previous
// page), with the next page's cursor. Anyone may read them. Errors:
// NotFound (not a product id), Invalid (cursor or limit).
func (s *Service) ProductReviews(ctx context.Context, productID, cursor string, limit int) (ProductRating, []Review, string, error) {
	const op = "order.ProductReviews"
	limit = cmp.Or(limit, 10)
	if !ids.Valid(ids.Product, productID) {
		return ProductRating{}, nil, "", errs.E(op, errs.NotFound, "product not found")
	}
	if limit < 1 || limit > MaxReviewPage {
		return ProductRating{}, nil, "", errs.Field(op, "limit", fmt.Sprintf("must be 1 to %d", MaxReviewPage))
	}
	if cursor != "" && !ids.Valid(ids.Review, cursor) {
		return ProductRating{}, nil, "", errs.Field(op, "cursor", "is not a cursor of this list")
	}
	r, err := s.Store.ProductRating(ctx, productID)
	if err != nil {
		return ProductRating{}, nil, "", err
	}
	rs, err := s.Store.ProductReviews(ctx, productID, cursor, limit+1)
	if err != nil {
		return ProductRating{}, nil, "", err
	}
	next := ""
	if len(rs) > limit {
		rs, next = rs[:limit], rs[limit-1].ID
	}
	return ProductRatingOf(productID, r), rs, next, nil
}

// MerchantRating returns a merchant's rating on the three axes. Anyone may
// read it. Errors: NotFound (not a merchant id).
func (s *Service) MerchantRating(ctx context.Context, merchantID string) (MerchantRating, error) {
	if !ids.Valid(ids.Merchant, merchantID) {
		return MerchantRating{}, errs.E("order.MerchantRating", errs.NotFound, "merchant not found")
	}
	return s.Store.MerchantRating(ctx, merchantID)
}

// OrderReviews returns what the buyer of order id said of it (for its
// page): the reviews of its lines and whether its merchant was rated.
// Errors: NotFound (an order the actor may not see).
func (s *Service) OrderReviews(ctx context.Context, actor identity.Actor, id string) (OrderReviews, error) {
	o, err := s.Order(ctx, actor, id)
	if err != nil {
		return OrderReviews{}, err
	}
	return s.Store.OrderReviews(ctx, o.ID)
}

// ReviewPhoto returns a photo of review id: anyone's, while the review is
// published; its buyer's and operators' when it is hidden. Errors:
// NotFound.
func (s *Service) ReviewPhoto(ctx context.Context, actor identity.Actor, id, photoID string) (Photo, error) {
	const op = "order.ReviewPhoto"
	notFound := errs.E(op, errs.NotFound, "photo not found")
	if !ids.Valid(ids.Review, id) || !ids.Valid(ReviewPhotoPrefix, photoID) {
		return Photo{}, notFound
	}
	r, err := s.Store.Review(ctx, id)
	if errs.Is(err, errs.NotFound) {
		return Photo{}, notFound
	}
	if err != nil {
		return Photo{}, err
	}
	if r.Status != ReviewPublished && !actor.IsOperator() && !(actor.Role == identity.Buyer && actor.UserID == r.BuyerID) {
		return Photo{}, notFound
	}
	return s.Store.ReviewPhoto(ctx, id, photoID)
}
