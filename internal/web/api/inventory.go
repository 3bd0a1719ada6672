package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/sesame-market/sesame/internal/inventory"
)

func registerInventory(a huma.API, s Services) {
	tags := []string{"Warehouses"}
	huma.Register(a, authed(huma.Operation{OperationID: "list-warehouses", Method: http.MethodGet, Path: "/api/v1/warehouses",
		Summary: "Warehouses you may see", Description: "Operators see all; a merchant its own; a logistics partner the ones it operates.", Tags: tags, Errors: []int{401, 403}}),
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
		Summary: "Register a warehouse", Description: "Operators (any owner or partner) and merchant owners (their own).", Tags: tags, DefaultStatus: http.StatusCreated}),
		func(ctx context.Context, in *struct{ Body inventory.WarehouseInput }) (*struct{ Body inventory.Warehouse }, error) {
			w, err := s.Inventory.Create(ctx, ActorFrom(ctx), in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body inventory.Warehouse }{w}, nil
		})
}
