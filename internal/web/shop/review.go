package shop

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/promise"
	"github.com/sesame-market/sesame/internal/web/api"
)

// Reviews on the storefront: a product's rating and latest reviews on its
// page, a merchant's three ratings on its shop page, and on an order's page
// the form that reviews each line of a confirmed order. The form posts to
// patternReview without JavaScript; the server answers with the order's
// page again.

// latestReviews is how many reviews a product's page shows.
const latestReviews = 5

// maxReviewForm bounds a review form's body: its text is up to 2,000
// characters of up to 4 bytes, percent-encoded.
const maxReviewForm = 32 << 10

// ratingView is a rating as a page shows it: glyphs for the eye (a half
// star for an average within 0.3 of a half), hidden from screen readers,
// and Text ("4.5 out of 5") for everyone.
type ratingView struct {
	Full, Empty string
	Half        bool
	Text        string
	// Value is the average as schema.org reads it ("4.5").
	Value string
	Count int64
}

// tenthsText writes an average in tenths as the page's language does:
// 4.5, 4,5 in French.
func tenthsText(lang string, tenths int64) string {
	s := fmt.Sprintf("%d.%d", tenths/10, tenths%10)
	if lang == "fr" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// ratingOf is the view of an average of tenths out of count marks.
func ratingOf(b *base, tenths, count int64) ratingView {
	full, rest := int(tenths/10), tenths%10
	half := rest >= 3 && rest <= 7
	if rest > 7 {
		full++
	}
	empty := order.MaxStars - full
	if half {
		empty--
	}
	return ratingView{Full: strings.Repeat("★", full), Half: half, Empty: strings.Repeat("☆", empty),
		Text: b.W.T("stars_out_of", "Value", tenthsText(b.Lang, tenths)), Value: tenthsText("en", tenths), Count: count}
}

// reviewRow is a published review on a product's page.
type reviewRow struct {
	Stars  ratingView
	Text   string
	Date   string
	Photos []photoView
}

// productReviews fills in p's rating and latest reviews (none when the shop
// has no order service).
func (s *Shop) productReviews(r *http.Request, b *base, p *productPage) error {
	if s.svc.Orders == nil {
		return nil
	}
	pr, rs, _, err := s.svc.Orders.ProductReviews(r.Context(), p.V.ID, "", latestReviews)
	if err != nil || pr.Count == 0 {
		return err
	}
	rv := ratingOf(b, pr.AverageTenths, pr.Count)
	p.Rating, p.ReviewCount = &rv, b.W.N("review_count", int(pr.Count))
	today := promise.DateOf(s.now(), nil)
	for _, v := range rs {
		row := reviewRow{Stars: ratingOf(b, int64(v.Stars)*10, 1), Text: v.Text, Date: dayText(b.W, &v.CreatedAt, today)}
		for i, ph := range v.Photos {
			row.Photos = append(row.Photos, photoView{Href: "/api/v1/reviews/" + v.ID + "/photos/" + ph, Alt: b.W.T("review_photo_alt", "N", i+1)})
		}
		p.Reviews = append(p.Reviews, row)
	}
	return nil
}

// aggregateRating is schema.org's AggregateRating of a product's rating.
func aggregateRating(rv *ratingView) map[string]any {
	return map[string]any{"@type": "AggregateRating", "ratingValue": rv.Value, "reviewCount": rv.Count, "bestRating": order.MaxStars, "worstRating": 1}
}

// sellerView is a merchant's rating on its three axes, for its shop page.
type sellerView struct {
	Orders                             string
	Described, Communication, Shipping ratingView
}

// sellerRating is merchant id's rating, nil when no order was rated (or the
// shop has no order service).
func (s *Shop) sellerRating(r *http.Request, b *base, id string) (*sellerView, error) {
	if s.svc.Orders == nil {
		return nil, nil
	}
	mr, err := s.svc.Orders.MerchantRating(r.Context(), id)
	if err != nil || mr.Orders == 0 {
		return nil, err
	}
	return &sellerView{Orders: b.W.N("rated_orders", int(mr.Orders)), Described: ratingOf(b, mr.Described.AverageTenths, mr.Orders),
		Communication: ratingOf(b, mr.Communication.AverageTenths, mr.Orders), Shipping: ratingOf(b, mr.Shipping.AverageTenths, mr.Orders)}, nil
}

// lineReview is a line of a confirmed order on its page: its review, or
// the form that writes it.
type lineReview struct {
	LineID, Title string
	// Given is the buyer's review's stars, nil while the line has none.
	Given *ratingView
	// Seller: the form also rates the order's merchant (not rated yet).
	Seller bool
}

// markOptions are the choices of a mark, best first.
type markOption struct {
	Value int
	Label string
}

// markOptions is 5 to 1 as the page's language says them.
func markOptions(b *base) []markOption {
	out := make([]markOption, 0, order.MaxStars)
	for n := order.MaxStars; n >= 1; n-- {
		out = append(out, markOption{Value: n, Label: b.W.T("stars_out_of", "Value", strconv.Itoa(n))})
	}
	return out
}

// orderReviews fills in the review part of a confirmed order's row.
func (s *Shop) orderReviews(r *http.Request, b *base, o order.Order, row *orderRow) error {
	if o.Status != order.Completed || o.BuyerID != api.ActorFrom(r.Context()).UserID {
		return nil
	}
	rs, err := s.svc.Orders.OrderReviews(r.Context(), api.ActorFrom(r.Context()), o.ID)
	if err != nil {
		return err
	}
	given := map[string]int{}
	for _, v := range rs.Reviews {
		given[v.LineID] = v.Stars
	}
	for _, l := range o.Lines {
		lr := lineReview{LineID: l.ID, Title: l.Title, Seller: !rs.Rated}
		if n, ok := given[l.ID]; ok {
			rv := ratingOf(b, int64(n)*10, 1)
			lr.Given = &rv
		}
		row.Reviews = append(row.Reviews, lr)
	}
	row.Marks = markOptions(b)
	return nil
}

// reviewOrder is the buyer's review of a line of a confirmed order, posted
// by the order page's form.
func (s *Shop) reviewOrder(w http.ResponseWriter, r *http.Request) {
	b, ok := s.posted(w, r, maxReviewForm+order.MaxPhotos*order.MaxPhotoBytes)
	if !ok {
		return
	}
	id, actor := r.PathValue("id"), api.ActorFrom(r.Context())
	if err := parseDisputeForm(r); err != nil {
		s.reviewRefused(w, r, b, id, err)
		return
	}
	mark := func(name string) int {
		n, _ := strconv.Atoi(r.PostFormValue(name))
		return n
	}
	in := order.ReviewInput{LineID: r.PostFormValue("line"), Stars: mark("stars"), Text: r.PostFormValue("text")}
	if d, c, sh := mark("described"), mark("communication"), mark("shipping"); d != 0 || c != 0 || sh != 0 {
		in.Seller = &order.SellerRating{Described: d, Communication: c, Shipping: sh}
	}
	var err error
	if in.Photos, err = formPhotos(r); err != nil {
		s.reviewRefused(w, r, b, id, err)
		return
	}
	_, err = s.svc.Orders.WriteReview(r.Context(), actor, id, in)
	s.reviewRefused(w, r, b, id, err)
}

// reviewRefused answers the review form: a photo that cannot be used
// goes back to the order's page with a notice; anything else as
// backToOrder does (a bad mark is the error page: the form's own
// controls cannot send one).
func (s *Shop) reviewRefused(w http.ResponseWriter, r *http.Request, b *base, id string, err error) {
	if errs.Is(err, errs.Invalid) && strings.HasPrefix(errs.FieldOf(err), "photos") {
		s.redirectWith(w, r, b.Home+"orders/"+id, "review_bad_photo")
		return
	}
	s.backToOrder(w, r, b, id, "reviewed", err)
}
