package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/order"
)

type payoutsOut struct {
	Body struct {
		Items      []order.Payout `json:"items"`
		NextCursor string         `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page"`
	}
}

// statementCSV is statement st as CSV: a header, then one row per line
// with its signed amounts in minor units, then the totals.
func statementCSV(st order.Statement) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	w.Write([]string{"posting_id", "at", "kind", "order_id", "payout_id", "currency", "held", "available", "reserve", "paid", "fees", "owed"})
	row := func(id, at, kind string, bs []order.Balance) {
		r := []string{id, at, kind, "", "", st.Currency}
		for _, x := range bs {
			r = append(r, n(x.Amount.Minor))
		}
		w.Write(r)
	}
	row("", st.From.Format(time.RFC3339), "opening", st.Opening)
	for _, l := range st.Lines {
		w.Write([]string{l.PostingID, l.At.Format(time.RFC3339Nano), string(l.Kind), l.OrderID, l.PayoutID, st.Currency,
			n(l.Held.Minor), n(l.Available.Minor), n(l.Reserve.Minor), n(l.Paid.Minor), n(l.Fees.Minor), n(l.Owed.Minor)})
	}
	row("", st.To.Format(time.RFC3339), "closing", st.Closing)
	w.Flush()
	return b.Bytes()
}

func registerPayouts(a huma.API, s Services) {
	if s.Orders == nil {
		return
	}
	tags := []string{"Payouts"}
	huma.Register(a, write(a, huma.Operation{OperationID: "put-payout-account", Method: http.MethodPut, Path: "/api/v1/merchants/{id}/payout-account",
		Summary: "Set where the merchant is paid", Description: "The merchant's staff and API keys, and operators: its account at the payout provider " +
			"(a Stripe Connect account, `acct_…`; in the sandbox, any name). Anyone else finds no such merchant (404).",
		Tags: tags}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body order.PayoutAccount
		}) (*struct{ Body order.PayoutAccount }, error) {
			acc, err := s.Orders.SetPayoutAccount(ctx, ActorFrom(ctx), in.ID, in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body order.PayoutAccount }{acc}, nil
		})
	huma.Register(a, authed(huma.Operation{OperationID: "list-payouts", Method: http.MethodGet, Path: "/api/v1/merchants/{id}/payouts",
		Summary: "The merchant's payouts", Description: "Newest first: each pays out the merchant's available balance in one currency. Its staff and API keys, and operators.",
		Tags: tags, Errors: []int{401, 404, 422}}),
		func(ctx context.Context, in *struct {
			ID     string `path:"id" maxLength:"64"`
			Cursor string `query:"cursor" maxLength:"64"`
			Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
		}) (*payoutsOut, error) {
			ps, next, err := s.Orders.Payouts(ctx, ActorFrom(ctx), in.ID, in.Cursor, in.Limit)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &payoutsOut{}
			out.Body.Items, out.Body.NextCursor = ps, next
			return out, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "pay-out-now", Method: http.MethodPost, Path: "/api/v1/merchants/{id}/payouts",
		Summary: "Pay the merchant out now", Description: "Its staff and API keys, or an operator: its whole available balance, in each currency, is posted as paid " +
			"(`available` → `paid`) and transferred to its payout account. A transfer the provider cannot make now stays `pending` and is retried. " +
			"Nothing available, or no payout account at the provider, is 409.",
		Tags: tags, DefaultStatus: http.StatusCreated}),
		func(ctx context.Context, in *struct {
			ID string `path:"id" maxLength:"64"`
		}) (*payoutsOut, error) {
			ps, err := s.Orders.PayOutNow(ctx, ActorFrom(ctx), in.ID)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &payoutsOut{}
			out.Body.Items = ps
			return out, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "run-payouts", Method: http.MethodPost, Path: "/api/v1/payouts/run",
		Summary: "Run the payouts now (operator)", Description: "Operators: every merchant's available balance is paid out, as the daily scheduled run does. " +
			"Merchants without a payout account at the provider are counted and skipped.",
		Tags: tags}),
		func(ctx context.Context, _ *struct{}) (*struct{ Body order.PayoutRun }, error) {
			run, err := s.Orders.RunPayoutsAs(ctx, ActorFrom(ctx))
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body order.PayoutRun }{run}, nil
		})
	huma.Register(a, authed(huma.Operation{OperationID: "get-reconciliation", Method: http.MethodGet, Path: "/api/v1/reconciliation",
		Summary: "Reconcile the ledger with a provider (operator)", Description: "Operators: what Sesame recorded at `provider` from `from` to `to` " +
			"(at most 31 days) — payments captured, refunds, payouts transferred — against the provider's balance transactions, matched by the " +
			"provider's ids: how many matched, the totals of each side, and every difference (missing at the provider, missing in Sesame, amounts " +
			"that differ).",
		Tags: tags, Errors: []int{401, 403, 422, 503}}),
		func(ctx context.Context, in *struct {
			Provider string `query:"provider" default:"sandbox" maxLength:"32"`
			From     string `query:"from" required:"true" format:"date" doc:"The first day (UTC)"`
			To       string `query:"to" required:"true" format:"date" doc:"The day after the last (UTC)"`
		}) (*struct{ Body order.Reconciliation }, error) {
			from, err1 := time.Parse(time.DateOnly, in.From)
			to, err2 := time.Parse(time.DateOnly, in.To)
			if err1 != nil || err2 != nil {
				return nil, fail(ctx, errs.Field("api.reconcile", "from", "dates as 2026-12-01"))
			}
			r, err := s.Orders.Reconcile(ctx, ActorFrom(ctx), in.Provider, from, to)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body order.Reconciliation }{r}, nil
		})
	huma.Register(a, authed(huma.Operation{OperationID: "get-statement", Method: http.MethodGet, Path: "/api/v1/merchants/{id}/statement",
		Summary: "The merchant's statement of a period", Description: "Its staff and API keys, and operators: the balances of its six accounts in `currency` at `from` " +
			"and at `to`, and every posting between (at most 366 days), so that the opening balances plus the lines are the closing ones and the payout lines add up to " +
			"`paid_out`. `format=csv` answers the same as CSV (amounts in minor units, an opening and a closing row).",
		Tags: tags, Errors: []int{401, 404, 422},
		Responses: map[string]*huma.Response{"200": {Description: "The statement", Content: map[string]*huma.MediaType{
			"application/json": {Schema: a.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(order.Statement{}), true, "")},
			"text/csv":         {}}}}}),
		func(ctx context.Context, in *struct {
			ID       string `path:"id" maxLength:"64"`
			Currency string `query:"currency" required:"true" pattern:"^[A-Z]{3}$"`
			From     string `query:"from" required:"true" format:"date" doc:"The first day (UTC)"`
			To       string `query:"to" required:"true" format:"date" doc:"The day after the last (UTC)"`
			Format   string `query:"format" enum:"json,csv" default:"json"`
		}) (*struct {
			ContentType string `header:"Content-Type"`
			Body        []byte
		}, error) {
			from, err1 := time.Parse(time.DateOnly, in.From)
			to, err2 := time.Parse(time.DateOnly, in.To)
			if err1 != nil || err2 != nil {
				return nil, fail(ctx, errs.Field("api.statement", "from", "dates as 2026-12-01"))
			}
			st, err := s.Orders.Statement(ctx, ActorFrom(ctx), in.ID, in.Currency, from, to, true, nil)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &struct {
				ContentType string `header:"Content-Type"`
				Body        []byte
			}{}
			if in.Format == "csv" {
				out.ContentType, out.Body = "text/csv; charset=utf-8", statementCSV(st)
				return out, nil
			}
			b, err := json.Marshal(st)
			if err != nil {
				return nil, fail(ctx, errs.E("api.statement", errs.Internal, err))
			}
			out.ContentType, out.Body = "application/json", b
			return out, nil
		})
}
