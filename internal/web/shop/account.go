package shop

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/web/api"
)

// The account pages: sign-in, registration, sign-out and the buyer's
// account. Their forms post to the storefront itself; the server's
// cross-origin protection refuses a post from another site, and its rate
// limits hold for them as for the API.

// formPage is the page of an account form: sign-in, registration, and
// those of the mailed links (forgot, reset, verify).
type formPage struct {
	*base
	Next     string // where the buyer goes once signed in: a page of this storefront
	Email    string
	Name     string
	Remember bool
	Error    string // what went wrong, shown above the form
	Field    string // the field it concerns, "" for the whole form
	Token    string // a mailed link's token, sent back with the form
	State    string // a link page's outcome: stateSent, stateDone, stateFailed or "" (the form)
}

// maxForm bounds an account form's body: an e-mail, a name and a password.
const maxForm = 8 << 10

// within is path when it is a page of b's storefront, else its home: a
// form's return address never leaves the storefront.
func within(b *base, path string) string {
	if !strings.HasPrefix(path, b.Home) || strings.ContainsAny(path, "\\\r\n") || strings.Contains(path, "//") {
		return b.Home
	}
	return path
}

// signInPath is the sign-in page that returns the buyer to next.
func signInPath(b *base, next string) string {
	return b.Home + "signin?next=" + url.QueryEscape(next)
}

// posted is storefront for a form's post, whose body may hold at most
// limit bytes (a longer one reads as empty fields).
func (s *Shop) posted(w http.ResponseWriter, r *http.Request, limit int64) (*base, bool) {
	b, ok := s.storefront(w, r)
	if ok {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}
	return b, ok
}

// formPageFor shows the empty sign-in or registration form; a signed-in
// person goes straight where the form would have sent them.
func (s *Shop) formPageFor(name string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		b, ok := s.storefront(w, r)
		if !ok {
			return
		}
		next := within(b, r.URL.Query().Get("next"))
		if b.SignedIn {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		s.form(w, r, http.StatusOK, name, &formPage{base: b, Next: next})
	}
}

// form renders the sign-in or registration page; neither is indexed.
func (s *Shop) form(w http.ResponseWriter, r *http.Request, status int, name string, p *formPage) {
	p.NoIndex = true
	site := p.Channel.Name
	if site == "" {
		site = p.W.T("console_title")
	}
	p.Title = p.W.T(name+"_title") + " · " + site
	s.page(w, r, status, name, p)
}

// signIn checks the form's e-mail and password and opens a session.
func (s *Shop) signIn(w http.ResponseWriter, r *http.Request) {
	b, ok := s.posted(w, r, maxForm)
	if !ok {
		return
	}
	p := &formPage{base: b, Next: within(b, r.PostFormValue("next")), Email: r.PostFormValue("email"),
		Remember: r.PostFormValue("remember") != ""}
	token, u, se, err := s.svc.Identity.SignIn(r.Context(), identity.Credentials{Email: p.Email, Password: r.PostFormValue("password"), RememberMe: p.Remember})
	if err != nil {
		s.formFailed(w, r, "signin", p, err)
		return
	}
	s.mergeCart(w, r, b, u.Actor())
	var maxAge time.Duration
	if p.Remember {
		maxAge = se.ExpiresAt.Sub(se.CreatedAt)
	}
	c := api.SessionCookieOf(token, maxAge, s.cfg.SecureCookies)
	http.SetCookie(w, &c)
	http.Redirect(w, r, p.Next, http.StatusSeeOther)
}

// register opens a buyer account and signs its owner in.
func (s *Shop) register(w http.ResponseWriter, r *http.Request) {
	b, ok := s.posted(w, r, maxForm)
	if !ok {
		return
	}
	p := &formPage{base: b, Next: within(b, r.PostFormValue("next")), Email: r.PostFormValue("email"), Name: r.PostFormValue("name")}
	password := r.PostFormValue("password")
	reg := identity.Registration{Email: p.Email, Name: p.Name, Password: password, Lang: b.Lang, Channel: b.Channel.Code}
	if _, err := s.svc.Identity.RegisterBuyer(r.Context(), reg); err != nil {
		s.formFailed(w, r, "register", p, err)
		return
	}
	token, u, _, err := s.svc.Identity.SignIn(r.Context(), identity.Credentials{Email: p.Email, Password: password})
	if err != nil {
		// The account exists: the buyer signs in by hand.
		http.Redirect(w, r, signInPath(b, p.Next), http.StatusSeeOther)
		return
	}
	s.mergeCart(w, r, b, u.Actor())
	c := api.SessionCookieOf(token, 0, s.cfg.SecureCookies)
	http.SetCookie(w, &c)
	http.Redirect(w, r, p.Next, http.StatusSeeOther)
}

// mergeCart puts the cart the buyer filled before signing in into their
// own, and forgets its cookie. A cart that cannot merge stays as it was:
// signing in never fails for it.
func (s *Shop) mergeCart(w http.ResponseWriter, r *http.Request, b *base, buyer identity.Actor) {
	c, err := r.Cookie(cartCookie(b.Channel.Code))
	if err != nil || s.svc.Orders == nil {
		return
	}
	if _, err := s.svc.Orders.MergeAtSignIn(r.Context(), buyer, c.Value); err != nil {
		s.log.WarnContext(r.Context(), "cart merge at sign-in", "err", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cartCookie(b.Channel.Code), Path: "/" + b.Channel.Code + "/", MaxAge: -1, HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// formFailed shows the form again, filled in (never the password), with
// what went wrong and the status that says it.
func (s *Shop) formFailed(w http.ResponseWriter, r *http.Request, name string, p *formPage, err error) {
	status := http.StatusBadRequest
	switch errs.KindOf(err) {
	case errs.Invalid:
		p.Field = errs.FieldOf(err)
		p.Error = invalidMessage(p.W, p.Field)
	case errs.Unauthenticated:
		status, p.Error = http.StatusUnauthorized, p.W.T("signin_wrong")
	case errs.Conflict:
		status, p.Field, p.Error = http.StatusConflict, "email", p.W.T("register_taken")
	case errs.RateLimited, errs.Unavailable:
		status = http.StatusTooManyRequests
		if errs.KindOf(err) == errs.Unavailable {
			status = http.StatusServiceUnavailable
		}
		secs := int64((errs.RetryAfter(err) + time.Second - 1) / time.Second)
		secs = max(secs, 1)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		p.Error = p.W.N("form_wait", int(secs))
	default:
		s.fail(w, r, p.base, err)
		return
	}
	s.form(w, r, status, name, p)
}

// invalidMessage says what is wrong with an invalid field; a field the
// forms do not have gets the general message.
func invalidMessage(W *Words, field string) string {
	switch field {
	case "email":
		return W.T("form_invalid_email")
	case "name":
		return W.T("form_invalid_name")
	case "password":
		return W.T("form_invalid_password")
	}
	return W.T("form_invalid_form")
}

// signOut ends the session and sends the buyer to the home page.
func (s *Shop) signOut(w http.ResponseWriter, r *http.Request) {
	if b, ok := s.storefront(w, r); ok {
		s.endSession(w, r, b, b.Home)
	}
}

// endSession ends the request's session, forgets its cookie and sends the
// person to the page to.
func (s *Shop) endSession(w http.ResponseWriter, r *http.Request, b *base, to string) {
	if t := api.SessionToken(r.Context()); t != "" {
		if err := s.svc.Identity.Logout(r.Context(), t); err != nil {
			s.fail(w, r, b, err)
			return
		}
	}
	c := api.EndSessionCookie(s.cfg.SecureCookies)
	http.SetCookie(w, &c)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// accountPage is the signed-in person's account.
type accountPage struct {
	*base
	Me     identity.Me
	Shares []shareRow
	// Earnings are what the person's links earned (nil when sharing is
	// off).
	Earnings *earningsView
	// VerifySent is true when the verification link was just asked for.
	VerifySent bool
}

func (s *Shop) account(w http.ResponseWriter, r *http.Request) {
	b, ok := s.storefront(w, r)
	if !ok {
		return
	}
	actor := api.ActorFrom(r.Context())
	if actor.IsAnonymous() {
		http.Redirect(w, r, signInPath(b, r.URL.Path), http.StatusSeeOther)
		return
	}
	me, err := s.svc.Identity.Me(r.Context(), actor)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	p := &accountPage{base: b, Me: me, VerifySent: r.URL.Query().Get("verify") == "sent"}
	if me.User != nil && s.svc.Shares != nil {
		ls, err := s.svc.Shares.Mine(r.Context(), actor)
		if err != nil {
			s.fail(w, r, b, err)
			return
		}
		var e *order.ShareEarnings
		if s.svc.Orders != nil {
			got, err := s.svc.Orders.ShareEarnings(r.Context(), actor)
			if err != nil {
				s.fail(w, r, b, err)
				return
			}
			e = &got
		}
		p.Shares = s.shareRows(r, b, ls, e, r.URL.Query().Get("shared"))
		p.Earnings = s.earningsOf(b, e)
	}
	b.NoIndex = true
	b.Title = b.W.T("account_title") + " · " + b.Channel.Name
	s.page(w, r, http.StatusOK, "account", p)
}
