package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/merchant"
)

type merchantOut struct {
	Body merchant.Merchant
}

type idIn struct {
	ID string `path:"id" maxLength:"64"`
}

type reasonIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Reason string `json:"reason" minLength:"1" maxLength:"1000" doc:"Shown to the merchant"`
	}
}

func registerMerchants(a huma.API, s Services) {
	tags := []string{"Merchants"}
	huma.Register(a, write(a, huma.Operation{OperationID: "apply-merchant", Method: http.MethodPost, Path: "/api/v1/merchant-applications",
		Summary: "Apply to sell on Sesame", Description: "Anyone may apply. Opens the owner's account; an operator reviews the application.",
		Tags: tags, DefaultStatus: http.StatusCreated, Security: []map[string][]string{}}),
		func(ctx context.Context, in *struct{ Body merchant.Application }) (*struct {
			Body struct {
				Merchant merchant.Merchant `json:"merchant"`
				Owner    identity.User     `json:"owner"`
			}
		}, error) {
			m, u, err := s.Merchants.Apply(ctx, ActorFrom(ctx), in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &struct {
				Body struct {
					Merchant merchant.Merchant `json:"merchant"`
					Owner    identity.User     `json:"owner"`
				}
			}{}
			out.Body.Merchant, out.Body.Owner = m, u
			return out, nil
		})

	huma.Register(a, authed(huma.Operation{OperationID: "list-merchants", Method: http.MethodGet, Path: "/api/v1/merchants",
		Summary: "List merchants", Description: "Operators see all merchants; staff see their own.", Tags: tags, Errors: []int{401, 403}}),
		func(ctx context.Context, in *struct {
			Status string `query:"status" enum:"pending,approved,rejected,suspended" doc:"Only merchants of this status; all when absent"`
			Cursor string `query:"cursor" maxLength:"64"`
			Limit  int    `query:"limit" minimum:"0" maximum:"100"`
		}) (*struct {
			Body struct {
				Items      []merchant.Merchant `json:"items"`
				NextCursor string              `json:"next_cursor,omitempty"`
			}
		}, error) {
			ms, err := s.Merchants.List(ctx, ActorFrom(ctx), merchant.Status(in.Status), in.Cursor, in.Limit)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &struct {
				Body struct {
					Items      []merchant.Merchant `json:"items"`
					NextCursor string              `json:"next_cursor,omitempty"`
				}
			}{}
			out.Body.Items = ms
			if n := len(ms); n > 0 && n == limitOr(in.Limit, 50) {
				out.Body.NextCursor = ms[n-1].ID
			}
			return out, nil
		})

	huma.Register(a, authed(huma.Operation{OperationID: "get-merchant", Method: http.MethodGet, Path: "/api/v1/merchants/{id}",
		Summary: "A merchant", Tags: tags, Errors: []int{404}}),
		func(ctx context.Context, in *idIn) (*merchantOut, error) {
			m, err := s.Merchants.Merchant(ctx, ActorFrom(ctx), in.ID)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &merchantOut{Body: m}, nil
		})

	huma.Register(a, huma.Operation{OperationID: "get-merchant-trader", Method: http.MethodGet, Path: "/api/v1/merchants/{id}/trader",
		Summary: "A seller's trader information", Tags: tags, Errors: []int{404},
		Description: "Public: what the EU's Digital Services Act (article 30) has the marketplace show buyers of a trader selling through it " +
			"(legal name, address, phone, e-mail, trade register number, VAT number, self-certification). Only of an approved merchant; " +
			"any other is not found."},
		func(ctx context.Context, in *idIn) (*struct{ Body merchant.Trader }, error) {
			t, err := s.Merchants.TraderInfo(ctx, in.ID)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body merchant.Trader }{t}, nil
		})

	huma.Register(a, write(a, huma.Operation{OperationID: "edit-merchant-application", Method: http.MethodPatch, Path: "/api/v1/merchants/{id}/application",
		Summary: "Edit the merchant's application",
		Description: "The merchant's owners only, while the application is pending or rejected; fields left out are unchanged. " +
			"Editing a rejected application resubmits it for review. An approved or suspended merchant gets 409.",
		Tags: tags}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body merchant.ApplicationPatch
		}) (*merchantOut, error) {
			m, err := s.Merchants.EditApplication(ctx, ActorFrom(ctx), in.ID, in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &merchantOut{Body: m}, nil
		})

	review := func(id, path, summary string, fn func(ctx context.Context, in *reasonIn) (merchant.Merchant, error), withReason bool) {
		op := write(a, huma.Operation{OperationID: id, Method: http.MethodPost, Path: path, Summary: summary, Description: "Operators only.", Tags: tags})
		if withReason {
			huma.Register(a, op, func(ctx context.Context, in *reasonIn) (*merchantOut, error) {
				m, err := fn(ctx, in)
				if err != nil {
					return nil, fail(ctx, err)
				}
				return &merchantOut{Body: m}, nil
			})
			return
		}
		huma.Register(a, op, func(ctx context.Context, in *idIn) (*merchantOut, error) {
			m, err := fn(ctx, &reasonIn{ID: in.ID})
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &merchantOut{Body: m}, nil
		})
	}
	review("approve-merchant", "/api/v1/merchants/{id}/approve", "Approve an application or reinstate a suspended merchant",
		func(ctx context.Context, in *reasonIn) (merchant.Merchant, error) {
			return s.Merchants.Approve(ctx, ActorFrom(ctx), in.ID)
		}, false)
	review("reject-merchant", "/api/v1/merchants/{id}/reject", "Reject an application, with a reason",
		func(ctx context.Context, in *reasonIn) (merchant.Merchant, error) {
			return s.Merchants.Reject(ctx, ActorFrom(ctx), in.ID, in.Body.Reason)
		}, true)
	review("suspend-merchant", "/api/v1/merchants/{id}/suspend", "Suspend a merchant: its listings disappear",
		func(ctx context.Context, in *reasonIn) (merchant.Merchant, error) {
			return s.Merchants.Suspend(ctx, ActorFrom(ctx), in.ID, in.Body.Reason)
		}, true)

	huma.Register(a, write(a, huma.Operation{OperationID: "add-merchant-staff", Method: http.MethodPost, Path: "/api/v1/merchants/{id}/staff",
		Summary: "Add a staff member", Description: "The merchant's owners only.", Tags: tags, DefaultStatus: http.StatusCreated}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body struct {
				identity.Registration
				Role string `json:"role" enum:"owner,staff"`
			}
		}) (*userOut, error) {
			u, err := s.Identity.AddStaff(ctx, ActorFrom(ctx), in.ID, in.Body.Registration, in.Body.Role)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &userOut{Body: u}, nil
		})

	huma.Register(a, write(a, huma.Operation{OperationID: "create-merchant-api-key", Method: http.MethodPost, Path: "/api/v1/merchants/{id}/api-keys",
		Summary: "Create an API key for the merchant's integrations", Description: "The merchant's owners only. The key is shown once.",
		Tags: tags, DefaultStatus: http.StatusCreated}),
		func(ctx context.Context, in *apiKeyIn) (*apiKeyOut, error) {
			raw, k, err := s.Identity.CreateAPIKey(ctx, ActorFrom(ctx), in.ID, "", in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &apiKeyOut{}
			out.Body.Key, out.Body.APIKey = raw, k
			return out, nil
		})

	huma.Register(a, write(a, huma.Operation{OperationID: "open-shop", Method: http.MethodPost, Path: "/api/v1/merchants/{id}/shops",
		Summary: "Open the merchant's shop on a channel", Description: "The merchant must be approved and admitted by the channel.",
		Tags: tags, DefaultStatus: http.StatusCreated}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body struct {
				Channel string `json:"channel" doc:"Channel id or code" maxLength:"64"`
				Name    string `json:"name" minLength:"1" maxLength:"200"`
			}
		}) (*struct{ Body merchant.Shop }, error) {
			ch, err := s.Channels.Channel(ctx, in.Body.Channel)
			if err != nil {
				return nil, fail(ctx, err)
			}
			sh, err := s.Merchants.OpenShop(ctx, ActorFrom(ctx), in.ID, ch.ID, in.Body.Name)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body merchant.Shop }{sh}, nil
		})

	huma.Register(a, authed(huma.Operation{OperationID: "list-shops", Method: http.MethodGet, Path: "/api/v1/merchants/{id}/shops",
		Summary: "The merchant's shops", Tags: tags, Errors: []int{404}}),
		func(ctx context.Context, in *idIn) (*struct {
			Body struct {
				Items []merchant.Shop `json:"items"`
			}
		}, error) {
			shops, err := s.Merchants.Shops(ctx, ActorFrom(ctx), in.ID)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &struct {
				Body struct {
					Items []merchant.Shop `json:"items"`
				}
			}{}
			out.Body.Items = shops
			return out, nil
		})

	ptags := []string{"Plans and programmes"}
	huma.Register(a, write(a, huma.Operation{OperationID: "create-plan", Method: http.MethodPost, Path: "/api/v1/plans",
		Summary: "Create a merchant plan", Description: "Operators only. Amounts are minor units of the plan's currency.", Tags: ptags, DefaultStatus: http.StatusCreated}),
		func(ctx context.Context, in *struct{ Body merchant.PlanInput }) (*struct{ Body merchant.Plan }, error) {
			p, err := s.Merchants.CreatePlan(ctx, ActorFrom(ctx), in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body merchant.Plan }{p}, nil
		})
	huma.Register(a, huma.Operation{OperationID: "list-plans", Method: http.MethodGet, Path: "/api/v1/plans", Summary: "Merchant plans", Tags: ptags},
		func(ctx context.Context, _ *struct{}) (*struct {
			Body struct {
				Items []merchant.Plan `json:"items"`
			}
		}, error) {
			ps, err := s.Merchants.Plans(ctx)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &struct {
				Body struct {
					Items []merchant.Plan `json:"items"`
				}
			}{}
			out.Body.Items = ps
			return out, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "create-programme", Method: http.MethodPost, Path: "/api/v1/programmes",
		Summary: "Create a programme that discounts plans", Description: "Operators only.", Tags: ptags, DefaultStatus: http.StatusCreated}),
		func(ctx context.Context, in *struct{ Body merchant.ProgrammeInput }) (*struct{ Body merchant.Programme }, error) {
			p, err := s.Merchants.CreateProgramme(ctx, ActorFrom(ctx), in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body merchant.Programme }{p}, nil
		})
	huma.Register(a, huma.Operation{OperationID: "list-programmes", Method: http.MethodGet, Path: "/api/v1/programmes", Summary: "Programmes", Tags: ptags},
		func(ctx context.Context, _ *struct{}) (*struct {
			Body struct {
				Items []merchant.Programme `json:"items"`
			}
		}, error) {
			ps, err := s.Merchants.Programmes(ctx)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &struct {
				Body struct {
					Items []merchant.Programme `json:"items"`
				}
			}{}
			out.Body.Items = ps
			return out, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "assign-plan", Method: http.MethodPut, Path: "/api/v1/merchants/{id}/plan",
		Summary: "Put a merchant on a plan and programme", Description: "Operators only. Returns the resulting terms.", Tags: ptags}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body struct {
				PlanID      string `json:"plan_id" maxLength:"64"`
				ProgrammeID string `json:"programme_id,omitempty" maxLength:"64"`
			}
		}) (*struct{ Body merchant.Terms }, error) {
			t, err := s.Merchants.AssignPlan(ctx, ActorFrom(ctx), in.ID, in.Body.PlanID, in.Body.ProgrammeID)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body merchant.Terms }{t}, nil
		})
	huma.Register(a, authed(huma.Operation{OperationID: "get-terms", Method: http.MethodGet, Path: "/api/v1/merchants/{id}/terms",
		Summary: "What the merchant pays", Tags: ptags, Errors: []int{404}}),
		func(ctx context.Context, in *idIn) (*struct{ Body merchant.Terms }, error) {
			t, err := s.Merchants.Terms(ctx, ActorFrom(ctx), in.ID)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body merchant.Terms }{t}, nil
		})
}

func limitOr(n, def int) int {
	if n <= 0 || n > 100 {
		return def
	}
	return n
}
