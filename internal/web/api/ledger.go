package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/sesame-market/sesame/internal/order"
)

type ledgerOut struct {
	Body struct {
		Balances []order.Balance `json:"balances" doc:"Each account's balance per currency; an account with no entries is absent"`
	}
}

func balancesOut(bs []order.Balance) *ledgerOut {
	out := &ledgerOut{}
	out.Body.Balances = bs
	return out
}

type postingsOut struct {
	Body struct {
		Items      []order.Posting `json:"items"`
		NextCursor string          `json:"next_cursor,omitempty" doc:"Pass as after to get the next page; absent on the last page"`
	}
}

// registerLedger registers the reads of the ledger of buyer protection's
// escrow (docs/orders.md, "Ledger"): the ledger is written by the orders'
// moves, never through the API.
func registerLedger(a huma.API, s Services) {
	if s.Orders == nil {
		return
	}
	tags := []string{"Ledger"}
	huma.Register(a, authed(huma.Operation{OperationID: "get-merchant-ledger", Method: http.MethodGet, Path: "/api/v1/merchants/{id}/ledger",
		Summary: "The merchant's balances", Description: "The merchant's staff and API keys, and operators; anyone else finds no such merchant (404). " +
			"In the merchant's settlement currency: `held` is the settlement of paid orders not yet confirmed, `available` that of confirmed orders, " +
			"`paid` what was paid out, `fees` the commission Sesame kept.",
		Tags: tags}),
		func(ctx context.Context, in *idIn) (*ledgerOut, error) {
			bs, err := s.Orders.Ledger(ctx, ActorFrom(ctx), in.ID)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return balancesOut(bs), nil
		})
	huma.Register(a, authed(huma.Operation{OperationID: "list-merchant-ledger-entries", Method: http.MethodGet, Path: "/api/v1/merchants/{id}/ledger/entries",
		Summary: "The merchant's ledger postings", Description: "As the balances. Oldest first: each posting is one order's move (`paid`, `released` when confirmed, " +
			"`reversed` when cancelled after payment) with its entries, which sum to zero (the marketplace's `clearing` account takes the other side).",
		Tags: tags}),
		func(ctx context.Context, in *struct {
			ID    string `path:"id" maxLength:"64"`
			After string `query:"after" maxLength:"64" doc:"The next_cursor of the previous page"`
			Limit int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
		}) (*postingsOut, error) {
			ps, next, err := s.Orders.LedgerEntries(ctx, ActorFrom(ctx), in.ID, in.After, in.Limit)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &postingsOut{}
			out.Body.Items, out.Body.NextCursor = ps, next
			return out, nil
		})
	huma.Register(a, authed(huma.Operation{OperationID: "get-marketplace-ledger", Method: http.MethodGet, Path: "/api/v1/ledger/marketplace",
		Summary: "The marketplace's balances", Description: "Operators: the `clearing` account per currency, the other side of every merchant's postings " +
			"(minus what it holds for merchants).",
		Tags: tags}),
		func(ctx context.Context, in *struct{}) (*ledgerOut, error) {
			bs, err := s.Orders.MarketplaceLedger(ctx, ActorFrom(ctx))
			if err != nil {
				return nil, fail(ctx, err)
			}
			return balancesOut(bs), nil
		})
}
