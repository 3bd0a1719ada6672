package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/sesame-market/sesame/internal/identity"
)

type userOut struct {
	Body identity.User
}

type loginIn struct {
	Body struct {
		Email    string `json:"email" maxLength:"254"`
		Password string `json:"password" maxLength:"128"`
	}
}

type loginOut struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
	Body      identity.User
}

type emptyOut struct{}

type apiKeyIn struct {
	ID   string `path:"id"`
	Body struct {
		Name string `json:"name" minLength:"1" maxLength:"100"`
	}
}

type apiKeyOut struct {
	Body struct {
		Key    string          `json:"key" doc:"The API key. It is shown only this once: store it now."`
		APIKey identity.APIKey `json:"api_key"`
	}
}

type partnerIn struct {
	Body identity.PartnerInput
}

type partnerOut struct {
	Body struct {
		Partner identity.PartnerOrg `json:"partner"`
		User    identity.User       `json:"user"`
	}
}

type partnersOut struct {
	Body struct {
		Items []identity.PartnerOrg `json:"items"`
	}
}

func registerIdentity(a huma.API, s Services) {
	huma.Register(a, write(a, huma.Operation{OperationID: "register-buyer", Method: http.MethodPost, Path: "/api/v1/auth/register",
		Summary: "Open a buyer account", Tags: []string{"Accounts"}, DefaultStatus: http.StatusCreated, Security: []map[string][]string{}}),
		func(ctx context.Context, in *struct{ Body identity.Registration }) (*userOut, error) {
			u, err := s.Identity.RegisterBuyer(ctx, in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &userOut{Body: u}, nil
		})

	huma.Register(a, write(a, huma.Operation{OperationID: "login", Method: http.MethodPost, Path: "/api/v1/auth/login",
		Summary: "Sign in with e-mail and password", Description: "Sets the session cookie used by the browser pages.",
		Tags: []string{"Accounts"}, Security: []map[string][]string{}}),
		func(ctx context.Context, in *loginIn) (*loginOut, error) {
			token, u, err := s.Identity.Login(ctx, in.Body.Email, in.Body.Password)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &loginOut{SetCookie: sessionCookie(token, s.Identity.SessionTTL, s.SecureCookies), Body: u}, nil
		})

	huma.Register(a, write(a, huma.Operation{OperationID: "logout", Method: http.MethodPost, Path: "/api/v1/auth/logout",
		Summary: "Sign out", Tags: []string{"Accounts"}, DefaultStatus: http.StatusNoContent}),
		func(ctx context.Context, _ *struct{}) (*struct {
			SetCookie http.Cookie `header:"Set-Cookie"`
		}, error) {
			if ActorFrom(ctx).IsAnonymous() {
				return nil, huma.NewError(http.StatusUnauthorized, "not signed in")
			}
			if t := sessionToken(ctx); t != "" {
				if err := s.Identity.Logout(ctx, t); err != nil {
					return nil, fail(ctx, err)
				}
			}
			c := sessionCookie("", -time.Second, s.SecureCookies)
			c.MaxAge = -1
			return &struct {
				SetCookie http.Cookie `header:"Set-Cookie"`
			}{SetCookie: c}, nil
		})

	huma.Register(a, authed(huma.Operation{OperationID: "me", Method: http.MethodGet, Path: "/api/v1/me", Summary: "The signed-in account",
		Tags: []string{"Accounts"}, Errors: []int{401}}),
		func(ctx context.Context, _ *struct{}) (*userOut, error) {
			u, err := s.Identity.Me(ctx, ActorFrom(ctx))
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &userOut{Body: u}, nil
		})

	huma.Register(a, write(a, huma.Operation{OperationID: "create-partner", Method: http.MethodPost, Path: "/api/v1/partners",
		Summary: "Register a logistics partner", Description: "Operators only.", Tags: []string{"Logistics partners"}, DefaultStatus: http.StatusCreated}),
		func(ctx context.Context, in *partnerIn) (*partnerOut, error) {
			p, u, err := s.Identity.CreatePartner(ctx, ActorFrom(ctx), in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &partnerOut{}
			out.Body.Partner, out.Body.User = p, u
			return out, nil
		})

	huma.Register(a, authed(huma.Operation{OperationID: "list-partners", Method: http.MethodGet, Path: "/api/v1/partners",
		Summary: "List logistics partners", Description: "Operators see all; a partner sees itself.", Tags: []string{"Logistics partners"}, Errors: []int{401, 403}}),
		func(ctx context.Context, _ *struct{}) (*partnersOut, error) {
			ps, err := s.Identity.ListPartners(ctx, ActorFrom(ctx))
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &partnersOut{}
			out.Body.Items = ps
			return out, nil
		})

	huma.Register(a, write(a, huma.Operation{OperationID: "create-partner-api-key", Method: http.MethodPost, Path: "/api/v1/partners/{id}/api-keys",
		Summary: "Create an API key for a logistics partner", Tags: []string{"Logistics partners"}, DefaultStatus: http.StatusCreated}),
		func(ctx context.Context, in *apiKeyIn) (*apiKeyOut, error) {
			raw, k, err := s.Identity.CreateAPIKey(ctx, ActorFrom(ctx), "", in.ID, in.Body.Name)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &apiKeyOut{}
			out.Body.Key, out.Body.APIKey = raw, k
			return out, nil
		})
}

func sessionCookie(token string, ttl time.Duration, secure bool) http.Cookie {
	return http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(ttl / time.Second)}
}
