package order_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// confirmedSoap is a buyer's order of soap, shipped and confirmed.
func confirmedSoap(t testing.TB, m *testkit.Market, buyer identity.Actor) order.Order {
	t.Helper()
	o := ship(t, m, paidSoap(t, m, buyer).ID)
	o, err := m.Orders.ConfirmDelivery(context.Background(), buyer, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestRatingTenths(t *testing.T) {
	for _, c := range []struct {
		r    order.Rating
		want int64
	}{{order.Rating{}, 0}, {order.Rating{Count: 1, Sum: 5}, 50}, {order.Rating{Count: 2, Sum: 9}, 45},
		{order.Rating{Count: 3, Sum: 13}, 43}, {order.Rating{Count: 3, Sum: 14}, 47}, {order.Rating{Count: 20, Sum: 89}, 45}} {
		if got := c.r.Tenths(); got != c.want {
			t.Errorf("%+v: %d tenths, want %d", c.r, got, c.want)
		}
	}
}

// TestReviewAConfirmedLine: the buyer of a confirmed order reviews its
// line and rates its merchant, once; the product's and the merchant's
// ratings follow in the same transaction, with an event; an operator hides
// the review and it leaves the product's rating. Everyone else, an order
// not confirmed, a bad mark and a second review are refused and change
// nothing.
func TestReviewAConfirmedLine(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		buyer, other := m.Buyer(t), m.Buyer(t)
		paid := paidSoap(t, m, buyer)
		o := confirmedSoap(t, m, buyer)
		line := o.Lines[0]
		seller := &order.SellerRating{Described: 5, Communication: 4, Shipping: 3}
		in := order.ReviewInput{LineID: line.ID, Stars: 4, Text: "  Smells of lavender.\r\nLasts.  ", Seller: seller}

		before, err := db.Fingerprint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		refused := []struct {
			name  string
			actor identity.Actor
			order string
			in    order.ReviewInput
			kind  errs.Kind
		}{
			{"another buyer", other, o.ID, in, errs.NotFound},
			{"the merchant", m.PVStaff, o.ID, in, errs.NotFound},
			{"an operator", identity.System, o.ID, in, errs.NotFound},
			{"an order not confirmed", buyer, paid.ID, order.ReviewInput{LineID: paid.Lines[0].ID, Stars: 4}, errs.Conflict},
			{"a line of another order", buyer, o.ID, order.ReviewInput{LineID: paid.Lines[0].ID, Stars: 4}, errs.NotFound},
			{"no stars", buyer, o.ID, order.ReviewInput{LineID: line.ID}, errs.Invalid},
			{"six stars", buyer, o.ID, order.ReviewInput{LineID: line.ID, Stars: 6}, errs.Invalid},
			{"a seller axis at 0", buyer, o.ID, order.ReviewInput{LineID: line.ID, Stars: 4, Seller: &order.SellerRating{Described: 5, Shipping: 5}}, errs.Invalid},
			{"a control character", buyer, o.ID, order.ReviewInput{LineID: line.ID, Stars: 4, Text: "a\x00b"}, errs.Invalid},
		}
		for _, c := range refused {
			if _, err := m.Orders.WriteReview(ctx, c.actor, c.order, c.in); errs.KindOf(err) != c.kind {
				t.Errorf("%s: %v, want %v", c.name, err, c.kind)
			}
		}
		if after, _ := db.Fingerprint(ctx); after != before {
			t.Error("a refused review changed the database")
		}

		r, err := m.Orders.WriteReview(ctx, buyer, o.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if r.Text != "Smells of lavender.\nLasts." || r.Status != order.ReviewPublished || r.ProductID != line.ProductID || r.MerchantID != m.Provence.ID {
			t.Errorf("review %+v", r)
		}
		if n := countEvents(t, db, events.ReviewCreated, r.ID); n != 1 {
			t.Errorf("%d review.created events, want 1", n)
		}
		if _, err := m.Orders.WriteReview(ctx, buyer, o.ID, in); !errs.Is(err, errs.Conflict) {
			t.Errorf("a second review: %v, want Conflict", err)
		}

		// A second confirmed order: its review counts, and its merchant's rating.
		o2 := confirmedSoap(t, m, other)
		if _, err := m.Orders.WriteReview(ctx, other, o2.ID, order.ReviewInput{LineID: o2.Lines[0].ID, Stars: 5,
			Seller: &order.SellerRating{Described: 4, Communication: 4, Shipping: 4}}); err != nil {
			t.Fatal(err)
		}
		pr, rs, next, err := m.Orders.ProductReviews(ctx, line.ProductID, "", 1)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(pr, order.ProductRating{ProductID: line.ProductID, Rating: order.Rating{Count: 2, Sum: 9}, AverageTenths: 45}); diff != "" {
			t.Errorf("product rating (-got +want):\n%s", diff)
		}
		if len(rs) != 1 || rs[0].OrderID != o2.ID || next == "" {
			t.Errorf("first page %+v, next %q", rs, next)
		}
		if _, rs, next, _ = m.Orders.ProductReviews(ctx, line.ProductID, next, 1); len(rs) != 1 || rs[0].ID != r.ID || next != "" {
			t.Errorf("second page %+v, next %q", rs, next)
		}
		mr, err := m.Orders.MerchantRating(ctx, m.Provence.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(mr, order.RatingOf(m.Provence.ID, 2, 9, 8, 7)); diff != "" {
			t.Errorf("merchant rating (-got +want):\n%s", diff)
		}
		if mr.Described.AverageTenths != 45 || mr.Shipping.AverageTenths != 35 {
			t.Errorf("averages %+v", mr)
		}
		or, err := m.Orders.OrderReviews(ctx, buyer, o.ID)
		if err != nil || !or.Rated || !or.Reviewed(line.ID) {
			t.Errorf("order reviews %+v %v", or, err)
		}

		// Moderation: operators only; a hidden review leaves the rating.
		hide := order.ModerateInput{Status: order.ReviewHidden, Reason: "personal data"}
		for _, a := range []identity.Actor{buyer, m.PVStaff} {
			if _, err := m.Orders.ModerateReview(ctx, a, r.ID, hide); !errs.Is(err, errs.Forbidden) {
				t.Errorf("moderation by %v: %v, want Forbidden", a.Role, err)
			}
		}
		if _, err := m.Orders.ModerateReview(ctx, identity.System, r.ID, order.ModerateInput{Status: order.ReviewHidden}); !errs.Is(err, errs.Invalid) {
			t.Errorf("moderation without a reason: %v", err)
		}
		h, err := m.Orders.ModerateReview(ctx, identity.System, r.ID, hide)
		if err != nil || h.Status != order.ReviewHidden || h.Reason != "personal data" {
			t.Fatalf("hide: %+v %v", h, err)
		}
		// Hiding again leaves the rating as it is.
		if _, err := m.Orders.ModerateReview(ctx, identity.System, r.ID, hide); err != nil {
			t.Fatal(err)
		}
		pr, rs, _, _ = m.Orders.ProductReviews(ctx, line.ProductID, "", 10)
		if pr.Count != 1 || pr.Sum != 5 || len(rs) != 1 || rs[0].ID == r.ID {
			t.Errorf("after hiding: %+v %+v", pr, rs)
		}
		if n := countEvents(t, db, events.ReviewModerated, r.ID); n != 2 {
			t.Errorf("%d review.moderated events, want 2", n)
		}
		if _, err := m.Orders.ModerateReview(ctx, identity.System, r.ID, order.ModerateInput{Status: order.ReviewPublished, Reason: "edited"}); err != nil {
			t.Fatal(err)
		}
		if pr, _, _, _ = m.Orders.ProductReviews(ctx, line.ProductID, "", 10); pr.Count != 2 || pr.Sum != 9 {
			t.Errorf("published again: %+v", pr)
		}

		// Edits: the buyer's own, within 30 days; the rating follows.
		edit := order.ReviewEdit{Stars: 2, Text: " Lost its scent. "}
		for name, a := range map[string]identity.Actor{"another buyer": other, "the merchant": m.PVStaff, "an operator": identity.System} {
			if _, err := m.Orders.EditReview(ctx, a, r.ID, edit); !errs.Is(err, errs.NotFound) {
				t.Errorf("an edit by %s: %v, want NotFound", name, err)
			}
		}
		if _, err := m.Orders.EditReview(ctx, buyer, r.ID, order.ReviewEdit{Stars: 0}); !errs.Is(err, errs.Invalid) {
			t.Errorf("an edit to 0 stars: %v", err)
		}
		m.Clock.Advance(29 * day)
		e, err := m.Orders.EditReview(ctx, buyer, r.ID, edit)
		if err != nil || e.Stars != 2 || e.Text != "Lost its scent." {
			t.Fatalf("edit: %+v %v", e, err)
		}
		if pr, _, _, _ = m.Orders.ProductReviews(ctx, line.ProductID, "", 10); pr.Count != 2 || pr.Sum != 7 {
			t.Errorf("after the edit: %+v", pr)
		}
		if n := countEvents(t, db, events.ReviewEdited, r.ID); n != 1 {
			t.Errorf("%d review.edited events, want 1", n)
		}
		m.Clock.Advance(2 * day)
		if _, err := m.Orders.EditReview(ctx, buyer, r.ID, edit); !errs.Is(err, errs.Conflict) {
			t.Errorf("an edit after 31 days: %v, want Conflict", err)
		}
	})
}

// TestReviewPhotos: a review carries up to three photos, checked as a
// dispute's are; anyone reads them while the review is published, only
// its buyer and operators once it is hidden; a photo that is no image is
// refused and changes nothing.
func TestReviewPhotos(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		buyer := m.Buyer(t)
		o := confirmedSoap(t, m, buyer)
		pic := photoPNG(t)
		before, _ := db.Fingerprint(ctx)
		bad := order.ReviewInput{LineID: o.Lines[0].ID, Stars: 5, Photos: []order.PhotoUpload{{Data: []byte("<svg/>")}}}
		if _, err := m.Orders.WriteReview(ctx, buyer, o.ID, bad); !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "photos[0].data" {
			t.Errorf("an SVG: %v", err)
		}
		if after, _ := db.Fingerprint(ctx); after != before {
			t.Error("a refused review changed the database")
		}
		r, err := m.Orders.WriteReview(ctx, buyer, o.ID, order.ReviewInput{LineID: o.Lines[0].ID, Stars: 5, Text: "As shown.", Photos: []order.PhotoUpload{{Data: pic}, {Data: pic}}})
		if err != nil || len(r.Photos) != 2 {
			t.Fatalf("reviewed: %+v %v", r, err)
		}
		_, rs, _, err := m.Orders.ProductReviews(ctx, o.Lines[0].ProductID, "", 10)
		if err != nil || len(rs) != 1 || !cmp.Equal(rs[0].Photos, r.Photos) {
			t.Fatalf("the product's reviews: %+v %v", rs, err)
		}
		if p, err := m.Orders.ReviewPhoto(ctx, identity.Actor{}, r.ID, r.Photos[1]); err != nil || p.ContentType != "image/png" || len(p.Data) != len(pic) {
			t.Errorf("a visitor reads the photo: %v", err)
		}
		if _, err := m.Orders.ReviewPhoto(ctx, identity.Actor{}, r.ID, "rph_nope"); !errs.Is(err, errs.NotFound) {
			t.Errorf("no such photo: %v", err)
		}
		if _, err := m.Orders.ModerateReview(ctx, identity.System, r.ID, order.ModerateInput{Status: order.ReviewHidden, Reason: "a face"}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Orders.ReviewPhoto(ctx, identity.Actor{}, r.ID, r.Photos[0]); !errs.Is(err, errs.NotFound) {
			t.Errorf("a visitor reads a hidden review's photo: %v", err)
		}
		for _, a := range []identity.Actor{buyer, identity.System} {
			if _, err := m.Orders.ReviewPhoto(ctx, a, r.ID, r.Photos[0]); err != nil {
				t.Errorf("the buyer or an operator reads it: %v", err)
			}
		}
	})
}
