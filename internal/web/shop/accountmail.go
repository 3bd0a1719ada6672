package shop

import (
	"errors"
	"net/http"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/web/api"
)

// The pages of the mailed links: asking for a password reset, choosing the
// new password from the link, verifying the address from the link, and
// asking for the verification link again from the account page.

// The states of a link's page.
const (
	stateSent   = "sent"   // the request is taken: a mail may be on its way
	stateDone   = "done"   // the link did its work
	stateFailed = "failed" // the link is unknown, expired or used
)

// forgotPage shows the form asking for an e-mail, and once sent the same
// words whether or not an account has it.
func (s *Shop) forgot(w http.ResponseWriter, r *http.Request) {
	b, ok := s.posted(w, r, maxForm)
	if !ok {
		return
	}
	p := &formPage{base: b, Email: r.PostFormValue("email")}
	if err := s.svc.Identity.RequestPasswordReset(r.Context(), p.Email, b.Channel.Code); err != nil {
		s.formFailed(w, r, "forgot", p, err)
		return
	}
	p.State = stateSent
	s.form(w, r, http.StatusOK, "forgot", p)
}

// resetPage shows the new password form of a reset link; the token is
// checked when the form is sent.
func (s *Shop) resetPage(w http.ResponseWriter, r *http.Request) {
	b, ok := s.storefront(w, r)
	if !ok {
		return
	}
	p := &formPage{base: b, Token: r.URL.Query().Get("token")}
	if p.Token == "" {
		p.State = stateFailed
	}
	s.form(w, r, http.StatusOK, "reset", p)
}

// reset sets the new password of a reset link, ends the person's sessions
// (this browser's cookie too) and offers to sign in.
func (s *Shop) reset(w http.ResponseWriter, r *http.Request) {
	b, ok := s.posted(w, r, maxForm)
	if !ok {
		return
	}
	p := &formPage{base: b, Token: r.PostFormValue("token")}
	if _, err := s.svc.Identity.ResetPassword(r.Context(), p.Token, r.PostFormValue("password")); err != nil {
		if errs.FieldOf(err) == "token" {
			p.State, p.Error = stateFailed, linkProblem(p.W, err)
			s.form(w, r, http.StatusBadRequest, "reset", p)
			return
		}
		s.formFailed(w, r, "reset", p, err)
		return
	}
	c := api.EndSessionCookie(s.cfg.SecureCookies)
	http.SetCookie(w, &c)
	p.State, p.base.SignedIn = stateDone, false
	s.form(w, r, http.StatusOK, "reset", p)
}

// verifyPage redeems a verification link and says whether it worked. A
// link is followed with a GET: verifying is what following it means, and a
// second visit only says the link was used.
func (s *Shop) verifyPage(w http.ResponseWriter, r *http.Request) {
	b, ok := s.storefront(w, r)
	if !ok {
		return
	}
	p := &formPage{base: b, State: stateDone}
	status := http.StatusOK
	if _, err := s.svc.Identity.VerifyEmail(r.Context(), r.URL.Query().Get("token")); err != nil {
		if errs.KindOf(err) != errs.Invalid {
			s.fail(w, r, b, err)
			return
		}
		p.State, p.Error, status = stateFailed, linkProblem(p.W, err), http.StatusBadRequest
	}
	s.form(w, r, status, "verify", p)
}

// linkProblem says in words why a link was refused.
func linkProblem(W *Words, err error) string {
	switch {
	case errors.Is(err, identity.ErrLinkUsed):
		return W.T("link_used")
	case errors.Is(err, identity.ErrLinkExpired):
		return W.T("link_expired")
	}
	return W.T("link_invalid")
}

// resendVerification mails the signed-in person's verification link again
// and returns to the account page, which says so.
func (s *Shop) resendVerification(w http.ResponseWriter, r *http.Request) {
	b, ok := s.posted(w, r, maxForm)
	if !ok {
		return
	}
	actor := api.ActorFrom(r.Context())
	if actor.IsAnonymous() {
		http.Redirect(w, r, signInPath(b, b.Home+"account"), http.StatusSeeOther)
		return
	}
	err := s.svc.Identity.RequestVerification(r.Context(), actor, b.Channel.Code)
	if err != nil && !errs.Is(err, errs.Conflict) {
		s.fail(w, r, b, err)
		return
	}
	http.Redirect(w, r, b.Home+"account?verify=sent#verification", http.StatusSeeOther)
}
