package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/sesame-market/sesame/internal/inventory"
)

// warehouseCreated is a new warehouse with the partner link its creation
// opened (a request the partner has yet to accept) or recorded (an
// operator's assignment).
type warehouseCreated struct {
	inventory.Warehouse
	PartnerLink *inventory.PartnerLink `json:"partner_link,omitempty" doc:"Set when a partner was named: a merchant's request (the warehouse has no operator until the partner accepts it) or an operator's assignment"`
}

type partnerLinkOut struct {
	Body inventory.PartnerLink
}

func registerInventory(a huma.API, s Services) {
	tags := []string{"Warehouses"}
	huma.Register(a, authed(huma.Operation{OperationID: "list-warehouses", Method: http.MethodGet, Path: "/api/v1/warehouses",
		Summary: "Warehouses you may see", Description: "Operators see all; a merchant its own; a logistics partner the ones it operates (assigned by an operator or accepted by the partner).", Tags: tags, Errors: []int{401, 403}}),
		func(ctx context.Context, _ *struct{}) (*struct {
			Body struct {
				Items []inventory.Warehouse `json:"items"`
			}
		}, error) {
			ws, err := s.Inventory.List(ctx, ActorFrom(ctx))
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &struct {
				Body struct {
					Items []inventory.Warehouse `json:"items"`
				}
			}{}
			out.Body.Items = ws
			return out, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "create-warehouse", Method: http.MethodPost, Path: "/api/v1/warehouses",
		Summary: "Register a warehouse",
		Description: "Operators (any owner or partner; naming both assigns the partner at once) and merchant owners (their own). " +
			"A merchant naming `operator_partner_id` only requests that partner: the warehouse is created without an operator and the response's " +
			"`partner_link` is the pending request, which the partner accepts or declines.",
		Tags: tags, DefaultStatus: http.StatusCreated}),
		func(ctx context.Context, in *struct{ Body inventory.WarehouseInput }) (*struct{ Body warehouseCreated }, error) {
			w, l, err := s.Inventory.Create(ctx, ActorFrom(ctx), in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body warehouseCreated }{warehouseCreated{Warehouse: w, PartnerLink: l}}, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "request-warehouse-partner", Method: http.MethodPost, Path: "/api/v1/warehouses/{id}/partner-links",
		Summary: "Name a logistics partner to operate a warehouse",
		Description: "The owning merchant's staff request it (the partner must accept); an operator assigns it at once. " +
			"The partner operates the warehouse only once the link is accepted.",
		Tags: tags, DefaultStatus: http.StatusCreated}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body struct {
				PartnerID string `json:"partner_id" maxLength:"64" doc:"The logistics partner's id"`
			}
		}) (*partnerLinkOut, error) {
			l, err := s.Inventory.RequestPartner(ctx, ActorFrom(ctx), in.ID, in.Body.PartnerID)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &partnerLinkOut{Body: l}, nil
		})
	huma.Register(a, authed(huma.Operation{OperationID: "list-partner-links", Method: http.MethodGet, Path: "/api/v1/partner-links",
		Summary: "Partner links you may see", Description: "A logistics partner sees the requests addressed to it; a merchant its own; an operator all. Newest first, at most 500.",
		Tags: tags, Errors: []int{401, 403, 422}}),
		func(ctx context.Context, in *struct {
			Status string `query:"status" enum:"requested,accepted,declined" doc:"Only links with this status"`
		}) (*struct {
			Body struct {
				Items []inventory.PartnerLink `json:"items"`
			}
		}, error) {
			ls, err := s.Inventory.Links(ctx, ActorFrom(ctx), inventory.LinkStatus(in.Status))
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &struct {
				Body struct {
					Items []inventory.PartnerLink `json:"items"`
				}
			}{}
			out.Body.Items = ls
			return out, nil
		})
	decide := func(id, path, summary string, fn func(ctx context.Context, linkID string) (inventory.PartnerLink, error)) {
		huma.Register(a, write(a, huma.Operation{OperationID: id, Method: http.MethodPost, Path: path, Summary: summary,
			Description: "The logistics partner the request is addressed to only; a link already accepted or declined gets 409.", Tags: tags}),
			func(ctx context.Context, in *idIn) (*partnerLinkOut, error) {
				l, err := fn(ctx, in.ID)
				if err != nil {
					return nil, fail(ctx, err)
				}
				return &partnerLinkOut{Body: l}, nil
			})
	}
	decide("accept-partner-link", "/api/v1/partner-links/{id}/accept", "Accept a request to operate a warehouse",
		func(ctx context.Context, linkID string) (inventory.PartnerLink, error) {
			return s.Inventory.Accept(ctx, ActorFrom(ctx), linkID)
		})
	decide("decline-partner-link", "/api/v1/partner-links/{id}/decline", "Decline a request to operate a warehouse",
		func(ctx context.Context, linkID string) (inventory.PartnerLink, error) {
			return s.Inventory.Decline(ctx, ActorFrom(ctx), linkID)
		})
	registerStock(a, s)
}

type stockLevelOut struct {
	Body inventory.StockLevel
}

type stockPage struct {
	Body struct {
		Items []inventory.StockLevel `json:"items"`
		Next  string                 `json:"next,omitempty" doc:"Pass as after for the next page; absent on the last"`
	}
}

func registerStock(a huma.API, s Services) {
	tags := []string{"Stock"}
	huma.Register(a, write(a, huma.Operation{OperationID: "count-stock", Method: http.MethodPut, Path: "/api/v1/warehouses/{id}/stock",
		Summary: "Record how many units of a SKU a warehouse holds",
		Description: "The warehouse's owner (staff or API keys), the logistics partner operating it, or an operator. " +
			"A partner's hub holds the stock of the merchants it serves (an accepted partner link): name `merchant_id`. " +
			"A count below the units reserved for checkouts is refused with 409: those units are promised.",
		Tags: tags}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body inventory.StockInput
		}) (*stockLevelOut, error) {
			l, err := s.Stock.SetStock(ctx, ActorFrom(ctx), in.ID, in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &stockLevelOut{Body: l}, nil
		})
	huma.Register(a, authed(huma.Operation{OperationID: "list-stock", Method: http.MethodGet, Path: "/api/v1/warehouses/{id}/stock",
		Summary: "A warehouse's stock", Description: "By merchant and SKU, to those who may count it: the owner, the operating partner (every merchant it holds) and operators. " +
			"A warehouse one may not see answers 404.", Tags: tags, Errors: []int{401, 403, 404, 422}}),
		func(ctx context.Context, in *struct {
			ID    string `path:"id" maxLength:"64"`
			After string `query:"after" maxLength:"130" doc:"The next value of the previous page"`
			Limit int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
		}) (*stockPage, error) {
			ls, next, err := s.Stock.ListStock(ctx, ActorFrom(ctx), in.ID, in.After, in.Limit)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &stockPage{}
			out.Body.Items, out.Body.Next = ls, next
			return out, nil
		})
}
