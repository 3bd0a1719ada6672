package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/sesame-market/sesame/internal/order"
)

// registerPromises adds the delivery promise's figures.
func registerPromises(a huma.API, s Services) {
	huma.Register(a, authed(huma.Operation{OperationID: "get-on-time", Method: http.MethodGet, Path: "/api/v1/promises/on-time",
		Summary: "How often warehouses keep their delivery promises", Description: "Each order's promise is decided the day after its latest " +
			"promised day: kept when it arrived by then. This counts the promises kept and missed over the last `days` days, by warehouse and " +
			"lane (origin, destination country, carrier). With `warehouse_id`: that warehouse's, for its owner merchant's staff and API keys, " +
			"the partner that operates it, and operators; without: every warehouse's, for operators.",
		Tags: []string{"Stock"}, Errors: []int{401, 403, 404, 422}}),
		func(ctx context.Context, in *struct {
			WarehouseID string `query:"warehouse_id" maxLength:"64" doc:"One warehouse; absent: all (operators)"`
			Days        int    `query:"days" default:"90" minimum:"1" maximum:"366"`
		}) (*struct {
			Body struct {
				Items []order.LaneOnTime `json:"items"`
			}
		}, error) {
			ls, err := s.Orders.OnTime(ctx, ActorFrom(ctx), in.WarehouseID, in.Days)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &struct {
				Body struct {
					Items []order.LaneOnTime `json:"items"`
				}
			}{}
			out.Body.Items = ls
			return out, nil
		})
}
