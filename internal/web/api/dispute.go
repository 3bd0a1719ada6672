package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/order"
)

type disputeOut struct {
	Body order.Dispute
}

// maxDisputeBody bounds a dispute's request: its photos come base64 in
// the JSON body.
const maxDisputeBody = 16 << 20

func registerDisputes(a huma.API, s Services) {
	if s.Orders == nil {
		return
	}
	tags := []string{"Disputes"}
	huma.Register(a, write(a, huma.Operation{OperationID: "open-dispute", Method: http.MethodPost, Path: "/api/v1/orders/{id}/disputes",
		Summary: "Dispute an order", Description: "Its buyer, for a shipped or delivered order while its protection runs (before `protection_ends_at`): the reason, what went wrong, " +
			"up to three photos (JPEG, PNG or GIF, 4 MiB each, base64; the request at most 16 MiB) and the refund asked for (the order's total unless less is asked). " +
			"The order is `disputed`: its protection stops and it never confirms itself while the dispute is open. Its merchant has 5 days to answer; " +
			"silence refunds the buyer what they asked for. One dispute per order (a second is 409); an order not shipped, or whose protection ended, is 409; " +
			"anyone but the buyer finds no such order (404).",
		Tags: tags, DefaultStatus: http.StatusCreated, MaxBodyBytes: maxDisputeBody}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body order.DisputeInput
		}) (*disputeOut, error) {
			d, err := s.Orders.OpenDispute(ctx, ActorFrom(ctx), in.ID, in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &disputeOut{Body: d}, nil
		})
	huma.Register(a, authed(huma.Operation{OperationID: "list-disputes", Method: http.MethodGet, Path: "/api/v1/disputes",
		Summary: "Disputes you may see", Description: "A buyer's own, a merchant's, or all for an operator (`status=escalated`: those waiting for a decision); newest first, without their threads.",
		Tags: tags, Errors: []int{401, 403, 422}}),
		func(ctx context.Context, in *struct {
			Status string `query:"status" enum:"awaiting_merchant,awaiting_buyer,escalated,refunding,closed"`
			Cursor string `query:"cursor" maxLength:"64"`
			Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
		}) (*struct {
			Body struct {
				Items      []order.Dispute `json:"items"`
				NextCursor string          `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page"`
			}
		}, error) {
			ds, next, err := s.Orders.Disputes(ctx, ActorFrom(ctx), order.DisputeStatus(in.Status), in.Cursor, in.Limit)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &struct {
				Body struct {
					Items      []order.Dispute `json:"items"`
					NextCursor string          `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page"`
				}
			}{}
			out.Body.Items, out.Body.NextCursor = ds, next
			return out, nil
		})
	huma.Register(a, authed(huma.Operation{OperationID: "get-dispute", Method: http.MethodGet, Path: "/api/v1/disputes/{id}",
		Summary: "A dispute", Description: "Its buyer, its merchant or an operator: its state, whose turn it is and by when (`reply_due_at`), and its thread. Anyone else finds no such dispute (404).",
		Tags: tags, Errors: []int{401, 404}}),
		func(ctx context.Context, in *struct {
			ID string `path:"id" maxLength:"64"`
		}) (*disputeOut, error) {
			d, err := s.Orders.Dispute(ctx, ActorFrom(ctx), in.ID)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &disputeOut{Body: d}, nil
		})
	huma.Register(a, authed(huma.Operation{OperationID: "get-dispute-photo", Method: http.MethodGet, Path: "/api/v1/disputes/{id}/photos/{photo}",
		Summary: "A photo of a dispute", Description: "The image, to the dispute's parties and operators only (anyone else: 404). Like every answer to a signed-in caller, never stored by caches (`Cache-Control: no-store`).",
		Tags: tags, Errors: []int{401, 404}, Responses: map[string]*huma.Response{"200": {Description: "The image",
			Content: map[string]*huma.MediaType{"image/jpeg": {}, "image/png": {}, "image/gif": {}}}}}),
		func(ctx context.Context, in *struct {
			ID    string `path:"id" maxLength:"64"`
			Photo string `path:"photo" maxLength:"64"`
		}) (*struct {
			ContentType string `header:"Content-Type"`
			Body        []byte
		}, error) {
			p, err := s.Orders.DisputePhoto(ctx, ActorFrom(ctx), in.ID, in.Photo)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct {
				ContentType string `header:"Content-Type"`
				Body        []byte
			}{p.ContentType, p.Data}, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "post-dispute-message", Method: http.MethodPost, Path: "/api/v1/disputes/{id}/messages",
		Summary: "Write in a dispute", Description: "Its buyer, its merchant or an operator, while it is open: a message with up to three photos. A message is not an answer: " +
			"the merchant answers with `/answer`, the buyer with `/accept`, `/escalate` or `/withdraw`. A closed dispute is 409.",
		Tags: tags, DefaultStatus: http.StatusCreated, MaxBodyBytes: maxDisputeBody}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body order.MessageInput
		}) (*disputeOut, error) {
			d, err := s.Orders.PostMessage(ctx, ActorFrom(ctx), in.ID, in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &disputeOut{Body: d}, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "answer-dispute", Method: http.MethodPost, Path: "/api/v1/disputes/{id}/answer",
		Summary: "Answer a dispute (merchant)", Description: "The order's merchant, while the dispute awaits it: `refund` gives the buyer what they asked for (the refund goes back " +
			"through the payment provider, the commission reversed in proportion); `offer` proposes a partial refund of `amount`; `contest` refuses any refund and needs a message. " +
			"An offer or a contest gives the buyer 7 days to accept or escalate; silence accepts the offer, or drops a contested claim. The buyer is 403; not awaiting the merchant is 409.",
		Tags: tags}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body order.AnswerInput
		}) (*disputeOut, error) {
			d, err := s.Orders.Answer(ctx, ActorFrom(ctx), in.ID, in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &disputeOut{Body: d}, nil
		})
	byID := func(op huma.Operation, do func(context.Context, identity.Actor, string) (order.Dispute, error)) {
		op.Tags = tags
		huma.Register(a, write(a, op), func(ctx context.Context, in *struct {
			ID string `path:"id" maxLength:"64"`
		}) (*disputeOut, error) {
			d, err := do(ctx, ActorFrom(ctx), in.ID)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &disputeOut{Body: d}, nil
		})
	}
	byID(huma.Operation{OperationID: "accept-dispute-answer", Method: http.MethodPost, Path: "/api/v1/disputes/{id}/accept",
		Summary: "Accept the merchant's answer (buyer)", Description: "The order's buyer, while the dispute awaits them: the offer is refunded and the order completed with the rest " +
			"of its settlement the merchant's, or a contested claim is dropped and the order completed. The merchant is 403; not awaiting the buyer is 409."}, s.Orders.Accept)
	byID(huma.Operation{OperationID: "escalate-dispute", Method: http.MethodPost, Path: "/api/v1/disputes/{id}/escalate",
		Summary: "Ask an operator to decide (buyer)", Description: "The order's buyer, once the merchant answered: the dispute waits for an operator's decision."}, s.Orders.Escalate)
	byID(huma.Operation{OperationID: "withdraw-dispute", Method: http.MethodPost, Path: "/api/v1/disputes/{id}/withdraw",
		Summary: "Withdraw a dispute (buyer)", Description: "The order's buyer, while no refund is decided: the order goes back to shipped or delivered and its protection runs again " +
			"for what was left of it. A withdrawn dispute is not opened again."}, s.Orders.Withdraw)
	huma.Register(a, write(a, huma.Operation{OperationID: "decide-dispute", Method: http.MethodPost, Path: "/api/v1/disputes/{id}/decide",
		Summary: "Decide an escalated dispute (operator)", Description: "Operators: a refund of `refund` (0 rejects the claim and completes the order; the total refunds it in full), " +
			"with the grounds as a message both parties read. Not escalated is 409.",
		Tags: tags}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body order.DecisionInput
		}) (*disputeOut, error) {
			d, err := s.Orders.Decide(ctx, ActorFrom(ctx), in.ID, in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &disputeOut{Body: d}, nil
		})
}
