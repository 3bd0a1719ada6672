package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
)

type userOut struct {
	Body identity.User
}

type meOut struct {
	Body identity.Me
}

type loginIn struct {
	Body struct {
		Email      string `json:"email" maxLength:"254"`
		Password   string `json:"password" maxLength:"128"`
		RememberMe bool   `json:"remember_me,omitempty" doc:"Buyers only: stay signed in on this device for up to 30 days (7 days idle) instead of 12 hours (2 hours idle). Staff, partner and operator sessions always last at most 12 hours and end after 30 minutes idle."`
	}
	CartToken string `header:"X-Cart-Token" maxLength:"200" doc:"An anonymous cart's token: a buyer signing in gets its lines merged into their cart on the channel"`
}

type loginOut struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
	CartID    string      `header:"X-Cart-Id" doc:"The buyer's cart the X-Cart-Token cart was merged into (absent without one)"`
	Body      identity.User
}

type emptyOut struct{}

type apiKeyIn struct {
	ID   string `path:"id"`
	Body identity.APIKeyInput
}

type apiKeysIn struct {
	ID string `path:"id"`
}

type apiKeysOut struct {
	Body struct {
		Items []identity.APIKey `json:"items"`
	}
}

type revokeKeyIn struct {
	ID  string `path:"id"`
	Key string `path:"key" doc:"The key's id"`
}

type sessionsOut struct {
	Body struct {
		Items []identity.Session `json:"items"`
	}
}

type cookieOut struct {
	SetCookie []http.Cookie `header:"Set-Cookie"`
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
		Summary: "Open a buyer account", Description: "A mail with a link to verify the address goes out, in lang, opening the pages of channel (see POST /api/v1/auth/verify-email). " +
			"The account may shop before it is verified.", Tags: []string{"Accounts"}, DefaultStatus: http.StatusCreated, Security: []map[string][]string{}}),
		func(ctx context.Context, in *struct{ Body identity.Registration }) (*userOut, error) {
			if in.Body.Lang == "" && in.Body.Channel != "" && s.Channels != nil {
				ch, err := s.Channels.Public(ctx, in.Body.Channel)
				if errs.Is(err, errs.NotFound) {
					return nil, fail(ctx, errs.Field("api.register", "channel", "no such channel"))
				}
				if err != nil {
					return nil, fail(ctx, err)
				}
				in.Body.Lang = ch.DefaultLanguage
			}
			u, err := s.Identity.RegisterBuyer(ctx, in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &userOut{Body: u}, nil
		})

	registerAccountMails(a, s)

	huma.Register(a, write(a, huma.Operation{OperationID: "login", Method: http.MethodPost, Path: "/api/v1/auth/login",
		Summary: "Sign in with e-mail and password", Description: "Sets the session cookie used by the browser pages. " +
			"After 5 failed sign-ins for one e-mail (whether or not it has an account) the e-mail is locked for 1 second, doubling with each further failure up to 15 minutes: " +
			"while locked the answer is 429 with Retry-After. A successful sign-in resets the count.",
		Tags: []string{"Accounts"}, Security: []map[string][]string{}}),
		func(ctx context.Context, in *loginIn) (*loginOut, error) {
			token, u, se, err := s.Identity.SignIn(ctx, identity.Credentials{Email: in.Body.Email, Password: in.Body.Password, RememberMe: in.Body.RememberMe})
			if err != nil {
				return nil, fail(ctx, err)
			}
			// Without "remember me" the cookie ends with the browser; the
			// session's own limits end it sooner on the server either way.
			var maxAge time.Duration
			if in.Body.RememberMe {
				maxAge = se.ExpiresAt.Sub(se.CreatedAt)
			}
			out := &loginOut{SetCookie: SessionCookieOf(token, maxAge, s.SecureCookies), Body: u}
			if in.CartToken != "" && s.Orders != nil {
				// A cart that cannot merge never fails the sign-in: its
				// lines stay in the anonymous cart.
				out.CartID, _ = s.Orders.MergeAtSignIn(ctx, u.Actor(), in.CartToken)
			}
			return out, nil
		})

	huma.Register(a, write(a, huma.Operation{OperationID: "logout", Method: http.MethodPost, Path: "/api/v1/auth/logout",
		Summary: "Sign out", Tags: []string{"Accounts"}, DefaultStatus: http.StatusNoContent}),
		func(ctx context.Context, _ *struct{}) (*struct {
			SetCookie http.Cookie `header:"Set-Cookie"`
		}, error) {
			if ActorFrom(ctx).IsAnonymous() {
				return nil, huma.NewError(http.StatusUnauthorized, "not signed in")
			}
			if t := SessionToken(ctx); t != "" {
				if err := s.Identity.Logout(ctx, t); err != nil {
					return nil, fail(ctx, err)
				}
			}
			return &struct {
				SetCookie http.Cookie `header:"Set-Cookie"`
			}{SetCookie: EndSessionCookie(s.SecureCookies)}, nil
		})

	huma.Register(a, authed(huma.Operation{OperationID: "me", Method: http.MethodGet, Path: "/api/v1/me", Summary: "Who is calling",
		Description: "With a session: the signed-in account (user) and the session's id. With an API key: the key (api_key) and the merchant or partner it acts for.",
		Tags:        []string{"Accounts"}, Errors: []int{401}}),
		func(ctx context.Context, _ *struct{}) (*meOut, error) {
			me, err := s.Identity.Me(ctx, ActorFrom(ctx))
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &meOut{Body: me}, nil
		})

	huma.Register(a, authed(huma.Operation{OperationID: "list-my-sessions", Method: http.MethodGet, Path: "/api/v1/me/sessions", Summary: "Your sessions",
		Description: "The signed-in person's live sessions, newest first; current marks the one of this request. Tokens are never shown.",
		Tags:        []string{"Accounts"}, Errors: []int{401, 403}}),
		func(ctx context.Context, _ *struct{}) (*sessionsOut, error) {
			ss, err := s.Identity.ListSessions(ctx, ActorFrom(ctx))
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &sessionsOut{}
			out.Body.Items = ss
			return out, nil
		})

	huma.Register(a, write(a, huma.Operation{OperationID: "end-my-session", Method: http.MethodDelete, Path: "/api/v1/me/sessions/{id}",
		Summary: "End one of your sessions", Description: "Signs that device out. Another person's session is not found.",
		Tags: []string{"Accounts"}, DefaultStatus: http.StatusNoContent}),
		func(ctx context.Context, in *struct {
			ID string `path:"id" doc:"The session's id"`
		}) (*cookieOut, error) {
			actor := ActorFrom(ctx)
			if err := s.Identity.EndSession(ctx, actor, in.ID); err != nil {
				return nil, fail(ctx, err)
			}
			out := &cookieOut{}
			if in.ID == actor.SessionID {
				out.SetCookie = []http.Cookie{EndSessionCookie(s.SecureCookies)}
			}
			return out, nil
		})

	huma.Register(a, write(a, huma.Operation{OperationID: "logout-all", Method: http.MethodPost, Path: "/api/v1/auth/logout-all",
		Summary: "Sign out everywhere", Description: "Ends every session of the signed-in person, this one included.",
		Tags: []string{"Accounts"}, DefaultStatus: http.StatusNoContent}),
		func(ctx context.Context, _ *struct{}) (*cookieOut, error) {
			if _, err := s.Identity.LogoutEverywhere(ctx, ActorFrom(ctx)); err != nil {
				return nil, fail(ctx, err)
			}
			return &cookieOut{SetCookie: []http.Cookie{EndSessionCookie(s.SecureCookies)}}, nil
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
			raw, k, err := s.Identity.CreateAPIKey(ctx, ActorFrom(ctx), "", in.ID, in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &apiKeyOut{}
			out.Body.Key, out.Body.APIKey = raw, k
			return out, nil
		})

	for _, o := range []struct{ kind, path, tag, who string }{
		{"merchant", "/api/v1/merchants/{id}/api-keys", "Merchants", "The merchant's owners and operators."},
		{"partner", "/api/v1/partners/{id}/api-keys", "Logistics partners", "The partner's users and operators."},
	} {
		owner := func(id string) (merchantID, partnerID string) {
			if o.kind == "merchant" {
				return id, ""
			}
			return "", id
		}
		huma.Register(a, authed(huma.Operation{OperationID: "list-" + o.kind + "-api-keys", Method: http.MethodGet, Path: o.path,
			Summary: "List the " + o.kind + "'s API keys", Description: o.who + " Revoked and expired keys included; secrets never.",
			Tags: []string{o.tag}, Errors: []int{401, 403}}),
			func(ctx context.Context, in *apiKeysIn) (*apiKeysOut, error) {
				m, p := owner(in.ID)
				ks, err := s.Identity.APIKeys(ctx, ActorFrom(ctx), m, p)
				if err != nil {
					return nil, fail(ctx, err)
				}
				out := &apiKeysOut{}
				out.Body.Items = ks
				return out, nil
			})
		huma.Register(a, write(a, huma.Operation{OperationID: "revoke-" + o.kind + "-api-key", Method: http.MethodDelete, Path: o.path + "/{key}",
			Summary: "Revoke one of the " + o.kind + "'s API keys", Description: o.who + " The key is refused (401) from the next request on.",
			Tags: []string{o.tag}, DefaultStatus: http.StatusNoContent}),
			func(ctx context.Context, in *revokeKeyIn) (*emptyOut, error) {
				m, p := owner(in.ID)
				if err := s.Identity.RevokeAPIKey(ctx, ActorFrom(ctx), m, p, in.Key); err != nil {
					return nil, fail(ctx, err)
				}
				return &emptyOut{}, nil
			})
	}
}

// endCookie is a Set-Cookie that removes the session cookie.
// EndSessionCookie is the cookie that ends a browser's session.
func EndSessionCookie(secure bool) http.Cookie {
	c := SessionCookieOf("", 0, secure)
	c.MaxAge = -1
	return c
}

// SessionCookieOf carries a session token; maxAge 0 makes it last as long
// as the browser's session.
func SessionCookieOf(token string, maxAge time.Duration, secure bool) http.Cookie {
	return http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge / time.Second)}
}
