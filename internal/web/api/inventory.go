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
	registerConsignments(a, s)
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

type consignmentOut struct {
	Body inventory.Consignment
}

func registerConsignments(a huma.API, s Services) {
	tags := []string{"Stock"}
	huma.Register(a, write(a, huma.Operation{OperationID: "announce-consignment", Method: http.MethodPost, Path: "/api/v1/warehouses/{id}/consignments",
		Summary: "Announce stock on its way to a warehouse",
		Description: "Merchant staff and keys, for their own stock: to their own warehouses, and to the hubs of logistics partners that serve them " +
			"(an accepted partner link); operators name `merchant_id`. The units count as inbound, not available, until the warehouse receives them.",
		Tags: tags, DefaultStatus: http.StatusCreated}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body inventory.ConsignmentInput
		}) (*consignmentOut, error) {
			c, err := s.Stock.Announce(ctx, ActorFrom(ctx), in.ID, in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &consignmentOut{Body: c}, nil
		})
	huma.Register(a, authed(huma.Operation{OperationID: "list-consignments", Method: http.MethodGet, Path: "/api/v1/warehouses/{id}/consignments",
		Summary: "A warehouse's consignments", Description: "Newest first. Those who may count its stock see all; a merchant a partner's hub serves sees its own.",
		Tags: tags, Errors: []int{401, 403, 404, 422}}),
		func(ctx context.Context, in *struct {
			ID     string `path:"id" maxLength:"64"`
			Status string `query:"status" enum:"announced,received"`
			Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
		}) (*struct {
			Body struct {
				Items []inventory.Consignment `json:"items"`
			}
		}, error) {
			cs, err := s.Stock.Consignments(ctx, ActorFrom(ctx), in.ID, inventory.ConsignmentStatus(in.Status), in.Limit)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &struct {
				Body struct {
					Items []inventory.Consignment `json:"items"`
				}
			}{}
			out.Body.Items = cs
			return out, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "receive-consignment", Method: http.MethodPost, Path: "/api/v1/consignments/{id}/receive",
		Summary: "Record what arrived of a consignment",
		Description: "The logistics partner operating the warehouse (or the owner of a warehouse no partner runs, or an operator) counts every announced SKU, " +
			"0 for one that did not arrive. A count that differs from the announcement is kept as a discrepancy. The announced units leave inbound and " +
			"the counted ones are on hand. A consignment received already gets 409.",
		Tags: tags}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body struct {
				Lines []inventory.ReceiptLine `json:"lines" minItems:"1" maxItems:"500"`
			}
		}) (*consignmentOut, error) {
			c, err := s.Stock.Receive(ctx, ActorFrom(ctx), in.ID, in.Body.Lines)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &consignmentOut{Body: c}, nil
		})
}
