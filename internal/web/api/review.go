package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/sesame-market/sesame/internal/order"
)

type reviewOut struct {
	Body order.Review
}

// productReviews is a product's rating and a page of its reviews.
type productReviews struct {
	Rating     order.ProductRating `json:"rating"`
	Items      []order.Review      `json:"items"`
	NextCursor string              `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page"`
}

func registerReviews(a huma.API, s Services) {
	if s.Orders == nil {
		return
	}
	tags := []string{"Reviews"}
	public := []map[string][]string{}
	huma.Register(a, write(a, huma.Operation{OperationID: "create-review", Method: http.MethodPost, Path: "/api/v1/orders/{id}/reviews",
		Summary: "Review a line of a confirmed order", Description: "Its buyer, once the order is confirmed (status `completed`): 1 to 5 stars for the line's item and, once per order, " +
			"the merchant's marks on the item as described, its communication and the speed of shipping. One review per line: a second is 409, " +
			"and so is a seller rating for an order whose merchant was rated already; an order not confirmed is 409. " +
			"Anyone but the buyer (the merchant included) finds no such order (404), and so does a line not of the order.",
		Tags: tags, DefaultStatus: http.StatusCreated, MaxBodyBytes: maxDisputeBody}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body order.ReviewInput
		}) (*reviewOut, error) {
			r, err := s.Orders.WriteReview(ctx, ActorFrom(ctx), in.ID, in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &reviewOut{Body: r}, nil
		})
	huma.Register(a, huma.Operation{OperationID: "list-product-reviews", Method: http.MethodGet, Path: "/api/v1/products/{id}/reviews",
		Summary: "A product's reviews", Description: "Its rating (count and sum of the stars of its published reviews, and their average in tenths) and its published reviews, newest first.",
		Tags: tags, Security: public},
		func(ctx context.Context, in *struct {
			ID     string `path:"id" maxLength:"64"`
			Cursor string `query:"cursor" maxLength:"64"`
			Limit  int    `query:"limit" minimum:"1" maximum:"50" default:"10"`
		}) (*struct{ Body productReviews }, error) {
			pr, rs, next, err := s.Orders.ProductReviews(ctx, in.ID, in.Cursor, in.Limit)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body productReviews }{productReviews{Rating: pr, Items: rs, NextCursor: next}}, nil
		})
	huma.Register(a, huma.Operation{OperationID: "get-merchant-rating", Method: http.MethodGet, Path: "/api/v1/merchants/{id}/rating",
		Summary: "A merchant's rating", Description: "The sums and averages (in tenths) of its buyers' marks on the item as described, its communication and the speed of shipping, one rating per order.",
		Tags: tags, Security: public},
		func(ctx context.Context, in *struct {
			ID string `path:"id" maxLength:"64"`
		}) (*struct{ Body order.MerchantRating }, error) {
			r, err := s.Orders.MerchantRating(ctx, in.ID)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body order.MerchantRating }{r}, nil
		})
	huma.Register(a, huma.Operation{OperationID: "get-review-photo", Method: http.MethodGet, Path: "/api/v1/reviews/{id}/photos/{photo}",
		Summary: "A photo of a review", Description: "The image, while its review is published (its buyer and operators see it while hidden too); otherwise 404.",
		Tags: tags, Security: public, Errors: []int{404}, Responses: map[string]*huma.Response{"200": {Description: "The image",
			Content: map[string]*huma.MediaType{"image/jpeg": {}, "image/png": {}, "image/gif": {}}}}},
		func(ctx context.Context, in *struct {
			ID    string `path:"id" maxLength:"64"`
			Photo string `path:"photo" maxLength:"64"`
		}) (*struct {
			ContentType  string `header:"Content-Type"`
			CacheControl string `header:"Cache-Control"`
			Body         []byte
		}, error) {
			p, err := s.Orders.ReviewPhoto(ctx, ActorFrom(ctx), in.ID, in.Photo)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct {
				ContentType  string `header:"Content-Type"`
				CacheControl string `header:"Cache-Control"`
				Body         []byte
			}{p.ContentType, "public, max-age=300", p.Data}, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "edit-review", Method: http.MethodPut, Path: "/api/v1/reviews/{id}",
		Summary: "Edit a review", Description: "Its buyer, within 30 days of writing it: new stars and text (the product's rating follows). " +
			"A hidden review stays hidden; the merchant's rating of the order is not edited. Anyone else finds no such review (404); past 30 days is 409.",
		Tags: tags}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body order.ReviewEdit
		}) (*reviewOut, error) {
			r, err := s.Orders.EditReview(ctx, ActorFrom(ctx), in.ID, in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &reviewOut{Body: r}, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "moderate-review", Method: http.MethodPost, Path: "/api/v1/reviews/{id}/moderate",
		Summary: "Hide a review, or publish it again", Description: "Operators, with a reason. A hidden review leaves its product's rating and its page; the merchant's rating of its order stays.",
		Tags: tags}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body order.ModerateInput
		}) (*reviewOut, error) {
			r, err := s.Orders.ModerateReview(ctx, ActorFrom(ctx), in.ID, in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &reviewOut{Body: r}, nil
		})
}
