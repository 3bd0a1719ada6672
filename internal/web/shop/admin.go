package shop

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/web/api"
)

// The operator's console: merchant applications to review and the brand
// registry, under /admin/{lang}/, in the storefront's templates, stylesheet
// and words. Operators are not per channel, so neither is its address. Only
// operators see it: anyone signed out is sent to its sign-in page, anyone
// else gets the page of an unknown address. Its forms post to the console
// itself (the server's cross-origin protection refuses a post from another
// site) and call the same domain services as the JSON API.

// consolePrefix begins every address of the console.
const consolePrefix = "/admin/"

// Patterns of the console. patternConsolePages matches every address
// under the console, as patternPages does under a storefront.
const (
	patternConsole          = "GET /admin"
	patternConsolePages     = "GET /admin/{lang}/{page...}"
	patternConsoleSignIn    = "POST /admin/{lang}/signin"
	patternConsoleSignOut   = "POST /admin/{lang}/signout"
	patternConsoleReview    = "POST /admin/{lang}/applications/{id}/{action}"
	patternConsoleBrand     = "POST /admin/{lang}/brands"
	patternConsoleAuthorise = "POST /admin/{lang}/brands/{id}/{action}"
)

// consolePageSize is how many applications a page of the list shows.
const consolePageSize = 20

// maxConsoleForm bounds a console form's body: a reason of 1,000
// characters, percent-encoded, fits.
const maxConsoleForm = 32 << 10

// registerConsole adds the console's routes to mux; without the merchant
// service there is no console.
func (s *Shop) registerConsole(mux *http.ServeMux) {
	if s.svc.Merchants == nil {
		return
	}
	mux.HandleFunc(patternConsole, s.consoleLanguage)
	mux.HandleFunc(patternConsolePages, s.consoleRoute)
	mux.HandleFunc(patternConsoleSignIn, s.consoleSignIn)
	mux.HandleFunc(patternConsoleSignOut, s.consoleSignOut)
	mux.HandleFunc(patternConsoleReview, s.consoleReview)
	mux.HandleFunc(patternConsoleBrand, s.consoleCreateBrand)
	mux.HandleFunc(patternConsoleAuthorise, s.consoleAuthorise)
	if s.svc.Orders != nil {
		mux.HandleFunc(patternConsoleDispute, s.consoleDisputeAction)
		mux.HandleFunc(patternConsolePayouts, s.consoleRunPayouts)
		mux.HandleFunc(patternConsoleOrderRefund, s.consoleRefundOrder)
	}
}

// consoleLanguage sends /admin to the console in the language the browser
// prefers.
func (s *Shop) consoleLanguage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Vary", "Accept-Language")
	http.Redirect(w, r, consolePrefix+preferredLanguage(r)+"/", http.StatusFound)
}

// preferredLanguage is the language of the storefront's words the browser
// prefers, English when none.
func preferredLanguage(r *http.Request) string {
	lang := "en"
	if tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language")); err == nil && len(tags) > 0 {
		if _, idx, conf := uiMatcher.Match(tags...); conf != language.No {
			lang = uiLanguages[idx]
		}
	}
	return lang
}

// consoleBase makes the base of a console page in the path's language; it
// writes the page of an unknown address and returns false when the
// language is not one of the console's.
func (s *Shop) consoleBase(w http.ResponseWriter, r *http.Request) (*base, bool) {
	lang := r.PathValue("lang")
	if !slices.Contains(uiLanguages, lang) {
		s.notFound(w, r, nil)
		return nil, false
	}
	page := strings.TrimPrefix(r.URL.Path, consolePrefix+lang+"/")
	b := &base{W: newWords(s.words, lang, s.log), Lang: lang, Theme: "console", Home: consolePrefix + lang + "/", Path: r.URL.Path,
		SignedIn: !api.ActorFrom(r.Context()).IsAnonymous(), NoIndex: true}
	b.Title = b.W.T("console_title")
	for _, l := range uiLanguages {
		b.Langs = append(b.Langs, link{Lang: l, Name: LanguageName(l), Href: consolePrefix + l + "/" + page, Current: l == lang})
	}
	return b, true
}

// operator is consoleBase for an operator's request: anyone signed out is
// sent to the console's sign-in page and comes back, anyone else gets the
// page of an unknown address (the console reveals nothing of itself).
func (s *Shop) operator(w http.ResponseWriter, r *http.Request) (*base, identity.Actor, bool) {
	b, ok := s.consoleBase(w, r)
	if !ok {
		return nil, identity.Actor{}, false
	}
	actor := api.ActorFrom(r.Context())
	switch {
	case actor.IsAnonymous():
		next := r.URL.Path
		if r.Method != http.MethodGet {
			next = b.Home
		}
		http.Redirect(w, r, b.Home+"signin?next="+url.QueryEscape(next), http.StatusSeeOther)
		return nil, actor, false
	case !actor.IsOperator():
		s.notFound(w, r, &base{W: b.W, Lang: b.Lang, Theme: "market", Home: "/", Path: r.URL.Path})
		return nil, actor, false
	}
	b.Console = true
	return b, actor, true
}

// consoleRoute sends a console path to its page.
func (s *Shop) consoleRoute(w http.ResponseWriter, r *http.Request) {
	page := r.PathValue("page")
	if page == "signin" {
		s.consoleSignInPage(w, r)
		return
	}
	b, actor, ok := s.operator(w, r)
	if !ok {
		return
	}
	switch {
	case page == "":
		s.consoleDashboard(w, r, b, actor)
	case page == "applications":
		s.consoleApplications(w, r, b, actor)
	case strings.HasPrefix(page, "applications/") && !strings.Contains(page[13:], "/"):
		s.consoleApplication(w, r, b, actor, page[13:], http.StatusOK, applicationForm{})
	case page == "brands":
		s.consoleBrands(w, r, b, http.StatusOK, brandForm{})
	case strings.HasPrefix(page, "brands/") && !strings.Contains(page[7:], "/"):
		s.consoleBrand(w, r, b, actor, page[7:], http.StatusOK, "")
	case s.svc.Orders != nil && page == "payouts":
		s.consolePayouts(w, r, b, actor, "")
	case s.svc.Orders != nil && page == "orders":
		s.consoleOrders(w, r, b, actor)
	case s.svc.Orders != nil && strings.HasPrefix(page, "orders/") && !strings.Contains(page[7:], "/"):
		s.consoleOrder(w, r, b, actor, page[7:], http.StatusOK, refundForm{})
	case s.svc.Orders != nil && page == "disputes":
		s.consoleDisputes(w, r, b, actor)
	case s.svc.Orders != nil && strings.HasPrefix(page, "disputes/") && !strings.Contains(page[9:], "/"):
		s.consoleDispute(w, r, b, actor, page[9:], http.StatusOK, disputeForm{})
	default:
		s.notFound(w, r, b)
	}
}

// consolePage renders a console page titled title.
func (s *Shop) consolePage(w http.ResponseWriter, r *http.Request, b *base, status int, name, title string, data any) {
	b.Title = title + " · " + b.W.T("console_title")
	s.page(w, r, status, name, data)
}

// consoleSignInPage shows the console's sign-in form; an operator already
// signed in goes straight where it would have sent them.
func (s *Shop) consoleSignInPage(w http.ResponseWriter, r *http.Request) {
	b, ok := s.consoleBase(w, r)
	if !ok {
		return
	}
	next := within(b, r.URL.Query().Get("next"))
	if api.ActorFrom(r.Context()).IsOperator() {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.form(w, r, http.StatusOK, "admin_signin", &formPage{base: b, Next: next})
}

// consoleSignIn opens an operator's session. Any other account is refused
// as a wrong password would be, and its new session ended at once.
func (s *Shop) consoleSignIn(w http.ResponseWriter, r *http.Request) {
	b, ok := s.consoleBase(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	p := &formPage{base: b, Next: within(b, r.PostFormValue("next")), Email: r.PostFormValue("email")}
	token, u, _, err := s.svc.Identity.SignIn(r.Context(), identity.Credentials{Email: p.Email, Password: r.PostFormValue("password")})
	if err == nil && !u.Actor().IsOperator() {
		if err = s.svc.Identity.Logout(r.Context(), token); err == nil {
			err = errs.E("shop.consoleSignIn", errs.Unauthenticated, "not an operator")
		}
	}
	if err != nil {
		s.formFailed(w, r, "admin_signin", p, err)
		return
	}
	c := api.SessionCookieOf(token, 0, s.cfg.SecureCookies)
	http.SetCookie(w, &c)
	http.Redirect(w, r, p.Next, http.StatusSeeOther)
}

// consoleSignOut ends the operator's session.
func (s *Shop) consoleSignOut(w http.ResponseWriter, r *http.Request) {
	if b, ok := s.consoleBase(w, r); ok {
		s.endSession(w, r, b, b.Home+"signin")
	}
}

// dashboardPage is the console's landing page.
type dashboardPage struct {
	*base
	Waiting, Merchants, Brands, Escalated string
}

// countCap bounds how many merchants the dashboard counts; beyond it, it
// says "10000+".
const countCap = 10000

func (s *Shop) consoleDashboard(w http.ResponseWriter, r *http.Request, b *base, actor identity.Actor) {
	waiting, err := s.countMerchants(r, actor, merchant.Pending)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	all, err := s.countMerchants(r, actor, "")
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	brands, err := s.svc.Catalog.Brands(r.Context())
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	p := dashboardPage{base: b, Waiting: waiting, Merchants: all, Brands: strconv.Itoa(len(brands))}
	if s.svc.Orders != nil {
		ds, next, err := s.svc.Orders.Disputes(r.Context(), actor, order.DisputeEscalated, "", order.MaxDisputePage)
		if err != nil {
			s.fail(w, r, b, err)
			return
		}
		p.Escalated = strconv.Itoa(len(ds))
		if next != "" {
			p.Escalated += "+"
		}
	}
	s.consolePage(w, r, b, http.StatusOK, "admin_home", b.W.T("console_dashboard"), p)
}

// countMerchants counts the merchants of a status ("" for all), up to
// countCap.
func (s *Shop) countMerchants(r *http.Request, actor identity.Actor, st merchant.Status) (string, error) {
	n, after := 0, ""
	for n < countCap {
		ms, err := s.svc.Merchants.List(r.Context(), actor, st, after, 100)
		if err != nil {
			return "", err
		}
		n += len(ms)
		if len(ms) < 100 {
			return strconv.Itoa(n), nil
		}
		after = ms[len(ms)-1].ID
	}
	return strconv.Itoa(countCap) + "+", nil
}

// applicationRow is a merchant in the list of applications.
type applicationRow struct {
	Href, Name, Country, Status, StatusClass, Applied string
}

// applicationsPage lists merchants with one status, a page at a time.
type applicationsPage struct {
	*base
	Status   string
	Statuses []option
	Rows     []applicationRow
	// Next is the address of the next page, empty on the last.
	Next string
}

// merchantStatuses are the statuses the list filters by, "" for all.
var merchantStatuses = []merchant.Status{merchant.Pending, merchant.Approved, merchant.Rejected, merchant.Suspended, ""}

func (s *Shop) consoleApplications(w http.ResponseWriter, r *http.Request, b *base, actor identity.Actor) {
	q := r.URL.Query()
	st := merchant.Status(q.Get("status"))
	if !q.Has("status") {
		st = merchant.Pending
	}
	if !slices.Contains(merchantStatuses, st) {
		s.fail(w, r, b, errs.E("shop.consoleApplications", errs.Invalid, "unknown status"))
		return
	}
	after := q.Get("after")
	ms, err := s.svc.Merchants.List(r.Context(), actor, st, after, consolePageSize+1)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	p := applicationsPage{base: b, Status: string(st)}
	for _, v := range merchantStatuses {
		p.Statuses = append(p.Statuses, option{Value: string(v), Label: statusWord(b.W, v), Selected: v == st})
	}
	if len(ms) > consolePageSize {
		ms = ms[:consolePageSize]
		p.Next = b.Home + "applications?status=" + url.QueryEscape(string(st)) + "&after=" + url.QueryEscape(ms[len(ms)-1].ID)
	}
	for _, m := range ms {
		p.Rows = append(p.Rows, applicationRow{Href: b.Home + "applications/" + url.PathEscape(m.ID), Name: m.Name, Country: b.W.Country(m.Country),
			Status: statusWord(b.W, m.Status), StatusClass: string(m.Status), Applied: day(m.CreatedAt)})
	}
	s.consolePage(w, r, b, http.StatusOK, "admin_applications", b.W.T("console_applications"), p)
}

// statusWord is a merchant status in words; "" is every status.
func statusWord(W *Words, st merchant.Status) string {
	switch st {
	case merchant.Pending:
		return W.T("merchant_pending")
	case merchant.Approved:
		return W.T("merchant_approved")
	case merchant.Rejected:
		return W.T("merchant_rejected")
	case merchant.Suspended:
		return W.T("merchant_suspended")
	}
	return W.T("merchant_any")
}

// day is t's date, as operators read it everywhere: 2026-11-11.
func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// applicationForm is what a refused review form sends back to the page.
type applicationForm struct {
	Action, Reason, Error string
}

// applicationPage is one merchant's application with the review forms its
// status allows.
type applicationPage struct {
	*base
	M               merchant.Merchant
	Status, Applied string
	Reviewed        string
	Form            applicationForm
	Notice          string
	CanApprove      bool
	CanReject       bool
	CanSuspend      bool
	Reinstate       bool
}

func (s *Shop) consoleApplication(w http.ResponseWriter, r *http.Request, b *base, actor identity.Actor, id string, status int, f applicationForm) {
	m, err := s.svc.Merchants.Merchant(r.Context(), actor, id)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	p := applicationPage{base: b, M: m, Status: statusWord(b.W, m.Status), Applied: day(m.CreatedAt), Form: f,
		CanApprove: m.Status == merchant.Pending || m.Status == merchant.Suspended, CanReject: m.Status == merchant.Pending,
		CanSuspend: m.Status == merchant.Approved, Reinstate: m.Status == merchant.Suspended}
	if m.ReviewedAt != nil {
		p.Reviewed = day(*m.ReviewedAt)
	}
	if f.Error == "" {
		switch r.URL.Query().Get("done") {
		case "approve":
			p.Notice = b.W.T("console_done_approved")
		case "reject":
			p.Notice = b.W.T("console_done_rejected")
		case "suspend":
			p.Notice = b.W.T("console_done_suspended")
		}
	}
	s.consolePage(w, r, b, status, "admin_application", m.Name, p)
}

// consoleReview approves, rejects or suspends a merchant.
func (s *Shop) consoleReview(w http.ResponseWriter, r *http.Request) {
	b, actor, ok := s.operator(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxConsoleForm)
	id, action := r.PathValue("id"), r.PathValue("action")
	reason := r.PostFormValue("reason")
	var err error
	switch action {
	case "approve":
		_, err = s.svc.Merchants.Approve(r.Context(), actor, id)
	case "reject":
		_, err = s.svc.Merchants.Reject(r.Context(), actor, id, reason)
	case "suspend":
		_, err = s.svc.Merchants.Suspend(r.Context(), actor, id, reason)
	default:
		s.notFound(w, r, b)
		return
	}
	f := applicationForm{Action: action, Reason: reason}
	switch k := errs.KindOf(err); {
	case err == nil:
		http.Redirect(w, r, b.Home+"applications/"+url.PathEscape(id)+"?done="+action, http.StatusSeeOther)
	case k == errs.Invalid:
		f.Error = b.W.T("console_reason_invalid")
		s.consoleApplication(w, r, b, actor, id, http.StatusBadRequest, f)
	case k == errs.Conflict:
		f.Error = b.W.T("console_review_conflict")
		s.consoleApplication(w, r, b, actor, id, http.StatusConflict, f)
	default:
		s.fail(w, r, b, err)
	}
}

// brandRow is a brand in the registry.
type brandRow struct {
	Href, Name, Slug, Owner, Created string
}

// brandForm is what a refused brand form sends back to the page.
type brandForm struct {
	Slug, Name, Field, Error string
}

// brandsPage is the brand registry with the form that adds a marketplace
// brand.
type brandsPage struct {
	*base
	Rows   []brandRow
	Form   brandForm
	Notice string
}

func (s *Shop) consoleBrands(w http.ResponseWriter, r *http.Request, b *base, status int, f brandForm) {
	bs, err := s.svc.Catalog.Brands(r.Context())
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	names, err := s.merchantNames(r, nil)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	p := brandsPage{base: b, Form: f}
	for _, br := range bs {
		row := brandRow{Href: b.Home + "brands/" + url.PathEscape(br.ID), Name: br.Name, Slug: br.Slug, Created: day(br.CreatedAt), Owner: b.W.T("brand_marketplace")}
		if br.MerchantID != "" {
			row.Owner = names[br.MerchantID]
		}
		p.Rows = append(p.Rows, row)
	}
	if f.Error == "" && r.URL.Query().Get("done") == "created" {
		p.Notice = b.W.T("console_done_brand")
	}
	s.consolePage(w, r, b, status, "admin_brands", b.W.T("console_brands"), p)
}

// merchantNames are the names of every merchant by id, those of status st
// only when st is given.
func (s *Shop) merchantNames(r *http.Request, st *merchant.Status) (map[string]string, error) {
	actor := api.ActorFrom(r.Context())
	var status merchant.Status
	if st != nil {
		status = *st
	}
	names := map[string]string{}
	after := ""
	for {
		ms, err := s.svc.Merchants.List(r.Context(), actor, status, after, 100)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			names[m.ID] = m.Name
		}
		if len(ms) < 100 || len(names) >= countCap {
			return names, nil
		}
		after = ms[len(ms)-1].ID
	}
}

// consoleCreateBrand registers a marketplace brand.
func (s *Shop) consoleCreateBrand(w http.ResponseWriter, r *http.Request) {
	b, actor, ok := s.operator(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxConsoleForm)
	f := brandForm{Slug: r.PostFormValue("slug"), Name: r.PostFormValue("name")}
	br, err := s.svc.Catalog.CreateBrand(r.Context(), actor, catalog.BrandInput{Slug: strings.TrimSpace(f.Slug), Name: f.Name})
	switch k := errs.KindOf(err); {
	case err == nil:
		http.Redirect(w, r, b.Home+"brands/"+url.PathEscape(br.ID)+"?done=created", http.StatusSeeOther)
	case k == errs.Invalid:
		f.Field = errs.FieldOf(err)
		f.Error = b.W.T("console_brand_name_invalid")
		if f.Field == "slug" {
			f.Error = b.W.T("console_brand_slug_invalid")
		}
		s.consoleBrands(w, r, b, http.StatusBadRequest, f)
	case k == errs.Conflict:
		f.Field, f.Error = "slug", b.W.T("console_brand_slug_taken")
		s.consoleBrands(w, r, b, http.StatusConflict, f)
	default:
		s.fail(w, r, b, err)
	}
}

// authorisedRow is a merchant authorised to use a brand.
type authorisedRow struct {
	MerchantID, Name, Href, Granted string
}

// brandPage is one brand with the merchants authorised to use it.
type brandPage struct {
	*base
	B       catalog.Brand
	Owner   string
	Rows    []authorisedRow
	Choices []option
	Error   string
	Notice  string
}

func (s *Shop) consoleBrand(w http.ResponseWriter, r *http.Request, b *base, actor identity.Actor, id string, status int, problem string) {
	auths, err := s.svc.Catalog.BrandAuthorisations(r.Context(), actor, id)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	bs, err := s.svc.Catalog.Brands(r.Context())
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	i := slices.IndexFunc(bs, func(x catalog.Brand) bool { return x.ID == id })
	if i < 0 {
		s.notFound(w, r, b)
		return
	}
	all, err := s.merchantNames(r, nil)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	approved := merchant.Approved
	may, err := s.merchantNames(r, &approved)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	p := brandPage{base: b, B: bs[i], Owner: b.W.T("brand_marketplace"), Error: problem}
	if p.B.MerchantID != "" {
		p.Owner = all[p.B.MerchantID]
	}
	granted := map[string]bool{p.B.MerchantID: true}
	for _, a := range auths {
		granted[a.MerchantID] = true
		p.Rows = append(p.Rows, authorisedRow{MerchantID: a.MerchantID, Name: all[a.MerchantID], Href: b.Home + "applications/" + url.PathEscape(a.MerchantID), Granted: day(a.GrantedAt)})
	}
	for mid, name := range may {
		if !granted[mid] {
			p.Choices = append(p.Choices, option{Value: mid, Label: name})
		}
	}
	slices.SortFunc(p.Choices, func(a, b option) int { return strings.Compare(a.Label, b.Label) })
	if problem == "" {
		switch r.URL.Query().Get("done") {
		case "created":
			p.Notice = b.W.T("console_done_brand")
		case "authorise":
			p.Notice = b.W.T("console_done_authorised")
		case "revoke":
			p.Notice = b.W.T("console_done_revoked")
		}
	}
	s.consolePage(w, r, b, status, "admin_brand", p.B.Name, p)
}

// consoleAuthorise authorises a merchant to use a brand, or withdraws
// the authorisation.
func (s *Shop) consoleAuthorise(w http.ResponseWriter, r *http.Request) {
	b, actor, ok := s.operator(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxConsoleForm)
	id, action, mid := r.PathValue("id"), r.PathValue("action"), r.PostFormValue("merchant")
	var err error
	switch action {
	case "authorise":
		if _, err = s.svc.Merchants.Merchant(r.Context(), actor, mid); err == nil {
			_, err = s.svc.Catalog.AuthoriseBrand(r.Context(), actor, id, mid)
		} else if errs.KindOf(err) == errs.NotFound {
			err = errs.E("shop.consoleAuthorise", errs.Invalid, "unknown merchant")
		}
	case "revoke":
		err = s.svc.Catalog.RevokeBrandAuthorisation(r.Context(), actor, id, mid)
		if errs.KindOf(err) == errs.NotFound && mid != "" {
			if _, e := s.svc.Catalog.BrandAuthorisations(r.Context(), actor, id); e == nil {
				err = errs.E("shop.consoleAuthorise", errs.Invalid, "no such authorisation")
			}
		}
	default:
		s.notFound(w, r, b)
		return
	}
	switch {
	case err == nil:
		http.Redirect(w, r, b.Home+"brands/"+url.PathEscape(id)+"?done="+action, http.StatusSeeOther)
	case errs.KindOf(err) == errs.Invalid:
		s.consoleBrand(w, r, b, actor, id, http.StatusBadRequest, b.W.T("console_merchant_unknown"))
	default:
		s.fail(w, r, b, err)
	}
}
