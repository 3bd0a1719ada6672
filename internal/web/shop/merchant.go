package shop

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/web/api"
)

// The merchants' console: a merchant's staff manage their shop under
// /merchant/{lang}/, in the storefront's templates, stylesheet and words,
// as the operator's console does. Staff sign in with their storefront
// account; a staff account belongs to one merchant, so the console is that
// merchant's, and every page and form calls the domain services with the
// staff member's actor: what is not their merchant's is not found, as in
// the JSON API. Anyone signed out is sent to its sign-in page; any other
// account gets the page of an unknown address. Its forms post to the
// console itself (the server's cross-origin protection refuses a post from
// another site).

// merchantPrefix begins every address of the merchants' console.
const merchantPrefix = "/merchant/"

// Patterns of the merchants' console; patternSellerPages matches every
// address under it, as patternPages does under a storefront.
const (
	patternSeller        = "GET /merchant"
	patternSellerPages   = "GET /merchant/{lang}/{page...}"
	patternSellerSignIn  = "POST /merchant/{lang}/signin"
	patternSellerSignOut = "POST /merchant/{lang}/signout"
)

// registerSeller adds the merchants' console's routes to mux; without the
// merchant service there is no console.
func (s *Shop) registerSeller(mux *http.ServeMux) {
	if s.svc.Merchants == nil {
		return
	}
	mux.HandleFunc(patternSeller, s.sellerLanguage)
	mux.HandleFunc(patternSellerPages, s.sellerRoute)
	mux.HandleFunc(patternSellerSignIn, s.sellerSignIn)
	mux.HandleFunc(patternSellerSignOut, s.sellerSignOut)
	mux.HandleFunc(patternSellerCreate, s.sellerCreateProduct)
	mux.HandleFunc(patternSellerProduct, s.sellerProductAction)
	mux.HandleFunc("GET "+mediaPrefix+"{file}", s.uploadedMedia)
	if s.svc.Orders != nil {
		mux.HandleFunc(patternSellerShip, s.sellerOrderAction)
		mux.HandleFunc(patternSellerDeliver, s.sellerOrderAction)
		mux.HandleFunc(patternSellerDispute, s.sellerDisputeAction)
		mux.HandleFunc(patternSellerPayOut, s.sellerPayOut)
	}
}

// sellerLanguage sends /merchant to the console in the language the
// browser prefers.
func (s *Shop) sellerLanguage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Vary", "Accept-Language")
	http.Redirect(w, r, merchantPrefix+preferredLanguage(r)+"/", http.StatusFound)
}

// sellerBase makes the base of a merchants' console page in the path's
// language; it writes the page of an unknown address and returns false
// when the language is not one of the console's.
func (s *Shop) sellerBase(w http.ResponseWriter, r *http.Request) (*base, bool) {
	lang := r.PathValue("lang")
	if !slices.Contains(uiLanguages, lang) {
		s.notFound(w, r, nil)
		return nil, false
	}
	page := strings.TrimPrefix(r.URL.Path, merchantPrefix+lang+"/")
	b := &base{W: newWords(s.words, lang, s.log), Lang: lang, Theme: "console", Home: merchantPrefix + lang + "/", Path: r.URL.Path,
		SignedIn: !api.ActorFrom(r.Context()).IsAnonymous(), NoIndex: true, Seller: true, Buying: s.svc.Orders != nil}
	b.Title = b.W.T("mc_title")
	for _, l := range uiLanguages {
		b.Langs = append(b.Langs, link{Lang: l, Name: LanguageName(l), Href: merchantPrefix + l + "/" + page, Current: l == lang})
	}
	return b, true
}

// staff is sellerBase for a merchant staff member's request: anyone signed
// out is sent to the sign-in page and comes back, anyone else gets the
// page of an unknown address.
func (s *Shop) staff(w http.ResponseWriter, r *http.Request) (*base, identity.Actor, bool) {
	b, ok := s.sellerBase(w, r)
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
	case actor.Role != identity.Staff || actor.MerchantID == "" || actor.APIKeyID != "":
		s.notFound(w, r, &base{W: b.W, Lang: b.Lang, Theme: "market", Home: "/", Path: r.URL.Path})
		return nil, actor, false
	}
	b.Console = true
	return b, actor, true
}

// sellerRoute sends a merchants' console path to its page.
func (s *Shop) sellerRoute(w http.ResponseWriter, r *http.Request) {
	page := r.PathValue("page")
	if page == "signin" {
		s.sellerSignInPage(w, r)
		return
	}
	b, actor, ok := s.staff(w, r)
	if !ok {
		return
	}
	switch {
	case page == "":
		s.sellerDashboard(w, r, b, actor)
	case page == "products":
		s.sellerProducts(w, r, b, actor)
	case page == "products/new":
		s.sellerNewProduct(w, r, b, actor, http.StatusOK, nil)
	case strings.HasPrefix(page, "products/") && !strings.Contains(page[9:], "/"):
		s.sellerProduct(w, r, b, actor, page[9:], http.StatusOK, nil)
	case s.svc.Orders != nil && page == "orders":
		s.sellerOrders(w, r, b, actor, http.StatusOK, "", orderForm{})
	case s.svc.Orders != nil && page == "disputes":
		s.sellerDisputes(w, r, b, actor)
	case s.svc.Orders != nil && strings.HasPrefix(page, "disputes/") && !strings.Contains(page[9:], "/"):
		s.sellerDispute(w, r, b, actor, page[9:], http.StatusOK, answerForm{})
	case s.svc.Orders != nil && page == "money":
		s.sellerMoney(w, r, b, actor, "")
	case s.svc.Orders != nil && strings.HasPrefix(page, "disputes/"):
		if id, photo, ok := sellerDisputePhotoPath(page); ok {
			s.sellerDisputePhoto(w, r, b, actor, id, photo)
		} else {
			s.notFound(w, r, b)
		}
	default:
		s.notFound(w, r, b)
	}
}

// sellerPage renders a merchants' console page titled title.
func (s *Shop) sellerPage(w http.ResponseWriter, r *http.Request, b *base, status int, name, title string, data any) {
	b.Title = title + " · " + b.W.T("mc_title")
	s.page(w, r, status, name, data)
}

// sellerSignInPage shows the console's sign-in form; staff already signed
// in go straight where it would have sent them.
func (s *Shop) sellerSignInPage(w http.ResponseWriter, r *http.Request) {
	b, ok := s.sellerBase(w, r)
	if !ok {
		return
	}
	next := within(b, r.URL.Query().Get("next"))
	if a := api.ActorFrom(r.Context()); a.Role == identity.Staff && a.MerchantID != "" {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.form(w, r, http.StatusOK, "merchant_signin", &formPage{base: b, Next: next})
}

// sellerSignIn opens a staff member's session. Any other account is
// refused as a wrong password would be, and its new session ended at once.
func (s *Shop) sellerSignIn(w http.ResponseWriter, r *http.Request) {
	b, ok := s.sellerBase(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	p := &formPage{base: b, Next: within(b, r.PostFormValue("next")), Email: r.PostFormValue("email")}
	token, u, _, err := s.svc.Identity.SignIn(r.Context(), identity.Credentials{Email: p.Email, Password: r.PostFormValue("password")})
	if err == nil && (u.Role != identity.Staff || u.MerchantID == "") {
		if err = s.svc.Identity.Logout(r.Context(), token); err == nil {
			err = errs.E("shop.sellerSignIn", errs.Unauthenticated, "not merchant staff")
		}
	}
	if err != nil {
		s.formFailed(w, r, "merchant_signin", p, err)
		return
	}
	c := api.SessionCookieOf(token, 0, s.cfg.SecureCookies)
	http.SetCookie(w, &c)
	http.Redirect(w, r, p.Next, http.StatusSeeOther)
}

// sellerSignOut ends the staff member's session.
func (s *Shop) sellerSignOut(w http.ResponseWriter, r *http.Request) {
	if b, ok := s.sellerBase(w, r); ok {
		s.endSession(w, r, b, b.Home+"signin")
	}
}

// shopRow is one of the merchant's shops: the channel it sells on.
type shopRow struct {
	Name, Channel, Href string
}

// dueRow is a dispute waiting for the merchant's answer.
type dueRow struct {
	Href, ID, Reason, Requested, Due string
	Late                             bool
}

// balanceRow is one account's balance in one currency.
type balanceRow struct {
	Account, Help, Amount, Class string
}

// sellerHomePage is the merchants' console's landing page.
type sellerHomePage struct {
	*base
	M        merchant.Merchant
	Status   string
	Shops    []shopRow
	Products string
	ToShip   string
	Due      []dueRow
	Balances []balanceRow
}

func (s *Shop) sellerDashboard(w http.ResponseWriter, r *http.Request, b *base, actor identity.Actor) {
	ctx := r.Context()
	m, err := s.svc.Merchants.Merchant(ctx, actor, actor.MerchantID)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	p := sellerHomePage{base: b, M: m, Status: statusWord(b.W, m.Status)}
	if p.Shops, err = s.shopRows(r, actor); err != nil {
		s.fail(w, r, b, err)
		return
	}
	ps, err := s.svc.Catalog.MerchantProducts(ctx, actor, actor.MerchantID, "", 100)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	p.Products = strconv.Itoa(len(ps))
	if len(ps) == 100 {
		p.Products += "+"
	}
	if s.svc.Orders != nil {
		if p.ToShip, err = s.countToShip(r, actor); err != nil {
			s.fail(w, r, b, err)
			return
		}
		ds, _, err := s.svc.Orders.Disputes(ctx, actor, order.DisputeAwaitingMerchant, "", order.MaxDisputePage)
		if err != nil {
			s.fail(w, r, b, err)
			return
		}
		p.Due = s.dueRows(b, ds)
		if p.Balances, err = s.balanceRows(r, b, actor); err != nil {
			s.fail(w, r, b, err)
			return
		}
	}
	s.sellerPage(w, r, b, http.StatusOK, "merchant_home", b.W.T("console_dashboard"), p)
}

// shopRows are the merchant's shops with their channels' names.
func (s *Shop) shopRows(r *http.Request, actor identity.Actor) ([]shopRow, error) {
	shops, err := s.svc.Merchants.Shops(r.Context(), actor, actor.MerchantID)
	if err != nil {
		return nil, err
	}
	var rows []shopRow
	for _, sh := range shops {
		ch, err := s.svc.Channels.Channel(r.Context(), sh.ChannelID)
		if err != nil {
			return nil, err
		}
		rows = append(rows, shopRow{Name: sh.Name, Channel: ch.Name, Href: "/" + ch.Code + "/" + ch.Language("") + "/shop/" + url.PathEscape(actor.MerchantID)})
	}
	return rows, nil
}

// countToShip counts the merchant's paid orders, waiting to be shipped, up
// to countCap orders read.
func (s *Shop) countToShip(r *http.Request, actor identity.Actor) (string, error) {
	n, read, cursor := 0, 0, ""
	for {
		os, next, err := s.svc.Orders.Orders(r.Context(), actor, cursor, order.MaxPage)
		if err != nil {
			return "", err
		}
		for _, o := range os {
			if o.Status == order.Paid {
				n++
			}
		}
		read += len(os)
		if next == "" {
			return strconv.Itoa(n), nil
		}
		if read >= countCap {
			return strconv.Itoa(n) + "+", nil
		}
		cursor = next
	}
}

// dueRows are disputes as the dashboard and the list show them, the
// nearest deadline first.
func (s *Shop) dueRows(b *base, ds []order.Dispute) []dueRow {
	slices.SortStableFunc(ds, func(x, y order.Dispute) int {
		switch {
		case x.ReplyDueAt == nil && y.ReplyDueAt == nil:
			return 0
		case x.ReplyDueAt == nil:
			return 1
		case y.ReplyDueAt == nil:
			return -1
		}
		return x.ReplyDueAt.Compare(*y.ReplyDueAt)
	})
	rows := make([]dueRow, 0, len(ds))
	now := s.now()
	for _, d := range ds {
		row := dueRow{Href: b.Home + "disputes/" + url.PathEscape(d.ID), ID: d.ID, Reason: reasonText(b.W, d.Reason), Requested: s.money(b, d.Requested)}
		if d.ReplyDueAt != nil {
			row.Due = d.ReplyDueAt.UTC().Format("2006-01-02 15:04") + " UTC"
			row.Late = d.ReplyDueAt.Sub(now) < 24*time.Hour
		}
		rows = append(rows, row)
	}
	return rows
}

// ledgerAccounts are the merchant's accounts in the order they are shown.
var ledgerAccounts = []order.Account{order.Available, order.Held, order.Reserve, order.Owed, order.PaidOut, order.Fees}

// balanceRows are the balances of the merchant's accounts.
func (s *Shop) balanceRows(r *http.Request, b *base, actor identity.Actor) ([]balanceRow, error) {
	bs, err := s.svc.Orders.Ledger(r.Context(), actor, actor.MerchantID)
	if err != nil {
		return nil, err
	}
	var rows []balanceRow
	for _, acc := range ledgerAccounts {
		for _, bal := range bs {
			if bal.Account != acc {
				continue
			}
			row := balanceRow{Account: accountWord(b.W, acc), Help: accountHelp(b.W, acc), Amount: s.money(b, bal.Amount), Class: string(acc)}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// accountWord names a ledger account.
func accountWord(W *Words, a order.Account) string {
	switch a {
	case order.Available:
		return W.T("mc_account_available")
	case order.Held:
		return W.T("mc_account_held")
	case order.Reserve:
		return W.T("mc_account_reserve")
	case order.Owed:
		return W.T("mc_account_owed")
	case order.PaidOut:
		return W.T("mc_account_paid")
	case order.Fees:
		return W.T("mc_account_fees")
	}
	return string(a)
}

// accountHelp says what a ledger account holds.
func accountHelp(W *Words, a order.Account) string {
	switch a {
	case order.Available:
		return W.T("mc_account_available_help")
	case order.Held:
		return W.T("mc_account_held_help")
	case order.Reserve:
		return W.T("mc_account_reserve_help")
	case order.Owed:
		return W.T("mc_account_owed_help")
	case order.PaidOut:
		return W.T("mc_account_paid_help")
	case order.Fees:
		return W.T("mc_account_fees_help")
	}
	return ""
}
