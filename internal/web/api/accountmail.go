package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

// The routes of the mailed links: verifying an address and resetting a
// password. The tokens they take are those of the links; the mails are
// sent by the mail consumer of the account events.

type tokenIn struct {
	Body struct {
		Token string `json:"token" maxLength:"100" doc:"The token of the link's token parameter"`
	}
}

type resendIn struct {
	Body *struct {
		Channel string `json:"channel,omitempty" maxLength:"64" doc:"The storefront (channel code) whose page the link opens; default: one that speaks the account's language"`
	}
}

type resetRequestIn struct {
	Body struct {
		Email   string `json:"email" maxLength:"254"`
		Channel string `json:"channel,omitempty" maxLength:"64" doc:"The storefront (channel code) whose page the link opens; default: one that speaks the account's language"`
	}
}

type resetConfirmIn struct {
	Body struct {
		Token    string `json:"token" maxLength:"100" doc:"The token of the link's token parameter"`
		Password string `json:"password" minLength:"10" maxLength:"128" doc:"The new password: at least 10 characters"`
	}
}

func registerAccountMails(a huma.API, s Services) {
	huma.Register(a, write(a, huma.Operation{OperationID: "verify-email", Method: http.MethodPost, Path: "/api/v1/auth/verify-email",
		Summary: "Verify an account's e-mail address", Description: "Redeems the token of a verification link (valid 7 days, once): " +
			"the account's email_verified is true from then on. An unknown, expired, used or wrong token is 422 and changes nothing.",
		Tags: []string{"Accounts"}, DefaultStatus: http.StatusNoContent, Security: []map[string][]string{}}),
		func(ctx context.Context, in *tokenIn) (*emptyOut, error) {
			if _, err := s.Identity.VerifyEmail(ctx, in.Body.Token); err != nil {
				return nil, fail(ctx, err)
			}
			return &emptyOut{}, nil
		})

	huma.Register(a, write(a, huma.Operation{OperationID: "resend-verification", Method: http.MethodPost, Path: "/api/v1/auth/verify-email/resend",
		Summary: "Mail the verification link again", Description: "For the signed-in person whose address is not verified yet (409 once it is). " +
			"At most 3 links are mailed per hour; asking more often is accepted and mails nothing.",
		Tags: []string{"Accounts"}, DefaultStatus: http.StatusAccepted}),
		func(ctx context.Context, in *resendIn) (*emptyOut, error) {
			ch := ""
			if in.Body != nil {
				ch = in.Body.Channel
			}
			if err := s.Identity.RequestVerification(ctx, ActorFrom(ctx), ch); err != nil {
				return nil, fail(ctx, err)
			}
			return &emptyOut{}, nil
		})

	huma.Register(a, write(a, huma.Operation{OperationID: "request-password-reset", Method: http.MethodPost, Path: "/api/v1/auth/password-reset",
		Summary: "Mail a password reset link", Description: "Always 202, the same whether or not an account has the e-mail, so that no one learns which do. " +
			"When one has, a link (valid 1 hour, once) goes to it; at most 3 per hour for one account, asking more often mails nothing.",
		Tags: []string{"Accounts"}, DefaultStatus: http.StatusAccepted, Security: []map[string][]string{}}),
		func(ctx context.Context, in *resetRequestIn) (*emptyOut, error) {
			if err := s.Identity.RequestPasswordReset(ctx, in.Body.Email, in.Body.Channel); err != nil {
				return nil, fail(ctx, err)
			}
			return &emptyOut{}, nil
		})

	huma.Register(a, write(a, huma.Operation{OperationID: "confirm-password-reset", Method: http.MethodPost, Path: "/api/v1/auth/password-reset/confirm",
		Summary: "Set a new password with a reset link", Description: "Redeems the token of a reset link: the password becomes the new one (the rules of registration), " +
			"every session of the account ends (this browser's cookie too) and the e-mail counts as verified. " +
			"An unknown, expired, used or wrong token is 422 and changes nothing.",
		Tags: []string{"Accounts"}, DefaultStatus: http.StatusNoContent, Security: []map[string][]string{}}),
		func(ctx context.Context, in *resetConfirmIn) (*cookieOut, error) {
			if _, err := s.Identity.ResetPassword(ctx, in.Body.Token, in.Body.Password); err != nil {
				return nil, fail(ctx, err)
			}
			return &cookieOut{SetCookie: []http.Cookie{EndSessionCookie(s.SecureCookies)}}, nil
		})
}
