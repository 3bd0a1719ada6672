// Package shop is Sesame's storefront: the buyers' pages of every channel,
// server-rendered, one path prefix per channel and language
// (/bazaar/fr/…, /mall/zh/…), in the channel's own look, readable by a
// crawler and by a person on a slow phone, with no script needed.
package shop

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bojanz/currency"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/media"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/notify"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/promise"
	"github.com/sesame-market/sesame/internal/search"
	"github.com/sesame-market/sesame/internal/share"
	"github.com/sesame-market/sesame/internal/web/api"
)

//go:embed templates/*.html
var templateFS embed.FS

// Services are the domain services the storefront reads.
type Services struct {
	Catalog  *catalog.Service
	Channels *channel.Service
	Search   *search.Engine
	Identity *identity.Service
	// Shares makes and follows share links; nil turns sharing off (its
	// addresses are not found).
	Shares *share.Service
	// Stock tells what is available; nil shows no availability.
	Stock *inventory.Stock
	// Orders runs carts, checkouts and orders; nil turns buying off (its
	// pages are not found).
	Orders *order.Service
	// Mailbox lists the e-mails sent, for the demo's mailbox page (nil:
	// no such page).
	Mailbox func(ctx context.Context, limit int) ([]notify.Mail, error)
	// Merchants reviews merchants, for the operator's console (nil: no
	// console).
	Merchants *merchant.Service
}

// Config wires the storefront.
type Config struct {
	Services Services
	Logger   *slog.Logger
	// PublicURL is the scheme and host buyers reach Sesame at; canonical
	// links and share previews are absolute with it. Empty: the request's
	// host, over http.
	PublicURL string
	// RequestID names a request in the logs and on error pages.
	RequestID func(context.Context) string
	// NotFound answers addresses whose first segment is no channel: they
	// are not the storefront's (an API client's typo, most often).
	NotFound http.Handler
	// SitemapURLs is how many products a product sitemap names; 0 is
	// 50,000, the sitemap protocol's limit (tests set a few).
	SitemapURLs int
	// SecureCookies marks the session cookies the sign-in pages set Secure
	// (behind TLS).
	SecureCookies bool
	// Media keeps the product images merchants upload in their console
	// (served under /media/u/); nil turns uploads off.
	Media media.Store
}

// Shop serves the storefront.
type Shop struct {
	cfg    Config
	svc    Services
	log    *slog.Logger
	pages  map[string]*template.Template
	words  *i18n.Bundle
	assets *assets

	catMu    sync.Mutex // guards cats and catsRead
	cats     map[string]categoryInfo
	catsRead time.Time
}

// pageNames are the templates of whole pages, each filling layout.html.
var pageNames = []string{"home", "list", "product", "search", "error", "signin", "register", "forgot", "reset", "verify", "account", "cart", "confirm", "orders", "mailbox",
	"admin_signin", "admin_home", "admin_applications", "admin_application", "admin_brands", "admin_brand", "admin_disputes", "admin_dispute", "admin_payouts", "admin_orders", "admin_order",
	"merchant_signin", "merchant_home", "merchant_products", "merchant_product", "merchant_orders", "merchant_disputes", "merchant_dispute", "merchant_money"}

// New parses every template, message file and static file, so that a
// broken one fails at start (and in tests), never on a buyer's request.
func New(cfg Config) (*Shop, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.NotFound == nil {
		cfg.NotFound = http.NotFoundHandler()
	}
	if cfg.RequestID == nil {
		cfg.RequestID = func(context.Context) string { return "" }
	}
	s := &Shop{cfg: cfg, svc: cfg.Services, log: cfg.Logger, pages: map[string]*template.Template{}}
	var err error
	if s.words, err = loadBundle(); err != nil {
		return nil, fmt.Errorf("storefront messages: %w", err)
	}
	if s.assets, err = loadAssets(); err != nil {
		return nil, fmt.Errorf("storefront static files: %w", err)
	}
	layout, err := template.New("layout.html").Funcs(template.FuncMap{
		"asset": s.assets.url,
	}).ParseFS(templateFS, "templates/layout.html", "templates/parts.html")
	if err != nil {
		return nil, fmt.Errorf("storefront templates: %w", err)
	}
	for _, name := range pageNames {
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("storefront template %s: %w", name, err)
		}
		s.pages[name] = t
	}
	return s, nil
}

// Patterns that begin with a channel match addresses of every shape: a
// router that looks for the methods an unknown address allows must pass
// over them (see CatchAll).
const (
	patternChannel  = "GET /{channel}"
	patternPages    = "GET /{channel}/{lang}/{page...}"
	patternCurrency = "POST /{channel}/{lang}/currency"
	patternSignIn   = "POST /{channel}/{lang}/signin"
	patternRegister = "POST /{channel}/{lang}/register"
	patternSignOut  = "POST /{channel}/{lang}/signout"
	patternForgot   = "POST /{channel}/{lang}/forgot"
	patternReset    = "POST /{channel}/{lang}/reset"
	patternResend   = "POST /{channel}/{lang}/verify/resend"
	patternShare    = "POST /{channel}/{lang}/share"
	patternCart     = "POST /{channel}/{lang}/cart/{action}"
	patternConfirm  = "POST /{channel}/{lang}/pay/{id}"
	patternCancel   = "POST /{channel}/{lang}/orders/{id}/cancel"
	patternProtect  = "POST /{channel}/{lang}/orders/{id}/protection/{action}"
	patternReview   = "POST /{channel}/{lang}/orders/{id}/reviews"
)

// CatchAll reports whether pattern is one of the storefront's patterns that
// begin with a channel: matching one says nothing of whether an address
// exists.
func CatchAll(pattern string) bool {
	switch pattern {
	case patternConsolePages, patternConsoleReview, patternConsoleAuthorise, patternConsoleDispute, patternConsolePayouts:
		return true
	case patternSellerPages, patternSellerProduct, patternSellerShip, patternSellerDeliver, patternSellerDispute:
		return true
	case patternChannel, patternPages, patternCurrency, patternSignIn, patternRegister, patternSignOut, patternShare,
		patternCart, patternConfirm, patternCancel, patternProtect, patternReview, patternDispute, patternDisputeAct, patternForgot, patternReset, patternResend:
		return true
	}
	return false
}

// AccountForm reports whether path is where a storefront's account form
// posts (sign-in, registration, password reset): the server limits them
// per address as it does the API's sign-in.
func AccountForm(path string) bool {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return false
	}
	switch parts[2] {
	case "signin", "register", "forgot", "reset":
		return true
	}
	return false
}

// Register adds the storefront's routes to mux.
func (s *Shop) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /static/shop/{file}", s.assets.serve)
	mux.HandleFunc("GET /media/demo/{file}", s.media)
	mux.HandleFunc("GET /robots.txt", s.robots)
	mux.HandleFunc("GET /sitemap.xml", s.sitemapIndex)
	mux.HandleFunc("GET /sitemaps/{file}", s.sitemap)
	mux.HandleFunc(patternChannel, s.chooseLanguage)
	// One pattern for a storefront's pages, so that every more specific
	// route (the API's, the static files') wins over it without conflict.
	mux.HandleFunc(patternPages, s.route)
	mux.HandleFunc(patternCurrency, s.setCurrency)
	mux.HandleFunc(patternSignIn, s.signIn)
	mux.HandleFunc(patternRegister, s.register)
	mux.HandleFunc(patternSignOut, s.signOut)
	mux.HandleFunc(patternForgot, s.forgot)
	mux.HandleFunc(patternReset, s.reset)
	mux.HandleFunc(patternResend, s.resendVerification)
	mux.HandleFunc(patternShare, s.shareProduct)
	if s.svc.Orders != nil {
		mux.HandleFunc(patternCart, s.cartAction)
		mux.HandleFunc(patternConfirm, s.confirmPayment)
		mux.HandleFunc(patternCancel, s.cancelOrder)
		mux.HandleFunc(patternProtect, s.protectOrder)
		mux.HandleFunc(patternReview, s.reviewOrder)
		mux.HandleFunc(patternDispute, s.openDispute)
		mux.HandleFunc(patternDisputeAct, s.disputeAction)
	}
	mux.HandleFunc("GET /s/{code}", s.visitShare)
	s.registerConsole(mux)
	s.registerSeller(mux)
}

// route sends a storefront path to its page.
func (s *Shop) route(w http.ResponseWriter, r *http.Request) {
	page := r.PathValue("page")
	switch {
	case page == "":
		s.home(w, r)
	case page == "new":
		s.list(w, r)
	case strings.HasPrefix(page, "p/") && !strings.Contains(page[2:], "/"):
		s.product(w, r, page[2:])
	case page == "search":
		s.search(w, r, place{})
	case page == "signin":
		s.formPageFor("signin")(w, r)
	case page == "register":
		s.formPageFor("register")(w, r)
	case page == "forgot":
		s.formPageFor("forgot")(w, r)
	case page == "reset":
		s.resetPage(w, r)
	case page == "verify":
		s.verifyPage(w, r)
	case page == "account":
		s.account(w, r)
	case s.svc.Mailbox != nil && page == "mailbox":
		s.mailbox(w, r)
	case s.svc.Orders != nil && page == "cart":
		s.cart(w, r)
	case s.svc.Orders != nil && page == "checkout":
		s.checkoutPage(w, r)
	case s.svc.Orders != nil && page == "orders":
		s.orders(w, r, "")
	case s.svc.Orders != nil && strings.HasPrefix(page, "orders/") && !strings.Contains(page[7:], "/"):
		s.orders(w, r, page[7:])
	case s.svc.Orders != nil && strings.HasPrefix(page, "orders/") && strings.Contains(page, "/dispute/photos/"):
		if o, p, ok := disputePhotoPath(page); ok {
			s.disputePhoto(w, r, o, p)
		} else if b, ok := s.storefront(w, r); ok {
			s.notFound(w, r, b)
		}
	case s.svc.Orders != nil && strings.HasPrefix(page, "pay/") && !strings.Contains(page[4:], "/"):
		s.payPage(w, r, page[4:])
	case s.placeOf(page) != nil:
		s.search(w, r, *s.placeOf(page))
	default:
		if b, ok := s.storefront(w, r); ok {
			s.notFound(w, r, b)
		}
	}
}

// placeOf reads a page path naming a category, a pavilion or a shop
// ("c/{slug}", "pavilion/{slug}", "shop/{merchant id}"); nil for another.
func (s *Shop) placeOf(page string) *place {
	for _, kind := range []string{placeCategory, placePavilion, placeShop} {
		if key, ok := strings.CutPrefix(page, kind+"/"); ok && key != "" && !strings.Contains(key, "/") {
			return &place{kind: kind, key: key}
		}
	}
	return nil
}

// currencyCookie holds the currency a buyer chose.
const currencyCookie = "sesame_currency"

// base is what every page shows around its content.
type base struct {
	W           *Words
	Lang        string
	Title       string
	Description string
	Canonical   string
	Alternates  []link // the page in the channel's other languages
	Channel     channel.Channel
	Theme       string
	Home        string // the storefront's home page
	Path        string // this page's path, where a form sends the buyer back
	Langs       []link
	Currencies  []string
	Currency    string
	OG          *openGraph
	JSONLD      template.JS // encoded by ldJSON
	NoIndex     bool
	SearchText  string // the words of the search shown, kept in the search box
	SignedIn    bool
	// Buying is true when the storefront sells (carts and orders).
	Buying bool
	// Mailbox is true in the demo, which shows the e-mails it sent.
	Mailbox bool
	// Console is true on the operator's console, once the operator is
	// known, and on the merchants' console, once the staff member is: the
	// header shows the console's sections.
	Console bool
	// Seller is true on the merchants' console: the header names it and
	// shows its sections, not the operator's.
	Seller bool
	notice string // a notice already in words (a service's refusal)
}

type link struct {
	Lang, Name, Href string
	Current          bool
}

type openGraph struct {
	Type, Title, Description, Image, URL string
}

// storefront reads the channel and language a path names and makes the
// base of its pages; it writes the error page itself and returns false when
// either is unknown.
func (s *Shop) storefront(w http.ResponseWriter, r *http.Request) (*base, bool) {
	ch, ok := s.channel(w, r)
	if !ok {
		return nil, false
	}
	lang := r.PathValue("lang")
	if !slices.Contains(ch.Languages, lang) {
		b := s.newBase(r, ch, ch.Language(r.Header.Get("Accept-Language")))
		s.notFound(w, r, b)
		return nil, false
	}
	return s.newBase(r, ch, lang), true
}

// channel reads the channel the path names; an address of no channel is
// not the storefront's, and is answered by Config.NotFound.
func (s *Shop) channel(w http.ResponseWriter, r *http.Request) (channel.Channel, bool) {
	ch, err := s.svc.Channels.Public(r.Context(), r.PathValue("channel"))
	if errs.KindOf(err) == errs.NotFound {
		s.cfg.NotFound.ServeHTTP(w, r)
		return ch, false
	}
	if err != nil {
		s.fail(w, r, nil, err)
		return ch, false
	}
	return ch, true
}

func (s *Shop) newBase(r *http.Request, ch channel.Channel, lang string) *base {
	b := &base{W: newWords(s.words, lang, s.log), Lang: lang, Channel: ch, Theme: "market",
		Home: "/" + ch.Code + "/" + lang + "/", Path: r.URL.Path, Currencies: ch.Currencies, Title: ch.Name, Description: ch.Description,
		SignedIn: !api.ActorFrom(r.Context()).IsAnonymous(), Buying: s.svc.Orders != nil, Mailbox: s.svc.Mailbox != nil}
	if ch.Admission == channel.Curated {
		b.Theme = "house"
	}
	b.Currency = s.currency(r, ch)
	for _, l := range ch.Languages {
		b.Langs = append(b.Langs, link{Lang: l, Name: LanguageName(l), Href: "/" + ch.Code + "/" + l + "/", Current: l == lang})
	}
	return b
}

// currency is the currency prices show in: the buyer's choice, else that
// of the market the buyer's language names (en-GB: GBP), else the
// channel's first.
func (s *Shop) currency(r *http.Request, ch channel.Channel) string {
	if c, err := r.Cookie(currencyCookie); err == nil && slices.Contains(ch.Currencies, c.Value) {
		return c.Value
	}
	if tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language")); err == nil {
		for _, t := range tags {
			if reg, conf := t.Region(); conf == language.Exact {
				if c, ok := currency.ForCountryCode(reg.String()); ok && slices.Contains(ch.Currencies, c) {
					return c
				}
			}
		}
	}
	if len(ch.Currencies) > 0 {
		return ch.Currencies[0]
	}
	return ""
}

// absolute is path as a full URL, for canonical links and previews.
func (s *Shop) absolute(r *http.Request, path string) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimSuffix(s.cfg.PublicURL, "/") + path
	}
	return "http://" + r.Host + path
}

// chooseLanguage sends /{channel} to the channel's language the browser
// prefers.
func (s *Shop) chooseLanguage(w http.ResponseWriter, r *http.Request) {
	ch, ok := s.channel(w, r)
	if !ok {
		return
	}
	w.Header().Set("Vary", "Accept-Language")
	http.Redirect(w, r, "/"+ch.Code+"/"+ch.Language(r.Header.Get("Accept-Language"))+"/", http.StatusFound)
}

// setCurrency keeps the buyer's currency in a cookie and sends the buyer
// back to the page the form was on.
func (s *Shop) setCurrency(w http.ResponseWriter, r *http.Request) {
	b, ok := s.posted(w, r, 4<<10)
	if !ok {
		return
	}
	cur := r.PostFormValue("currency")
	if !slices.Contains(b.Channel.Currencies, cur) {
		s.page(w, r, http.StatusBadRequest, "error", errorPage{base: b, Status: http.StatusBadRequest,
			Message: b.W.T("error_currency", "Currencies", b.W.List(b.Channel.Currencies))})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: currencyCookie, Value: cur, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, within(b, r.PostFormValue("back")), http.StatusSeeOther)
}

// A card is a product in a grid.
type card struct {
	Href, Title, Image, Price, Seller, Origin string
}

func (s *Shop) cards(b *base, vs []catalog.View) []card {
	cs := make([]card, len(vs))
	for i, v := range vs {
		cs[i] = s.card(b, v)
	}
	return cs
}

func (s *Shop) card(b *base, v catalog.View) card {
	c := card{Href: productPath(b.Channel.Code, b.Lang, v.Title, v.ID), Title: v.Title, Price: priceLine(b, v),
		Seller: v.Merchant.Name, Origin: b.W.Country(v.OriginCountry)}
	if v.Brand != nil {
		c.Seller = v.Brand.Name
	}
	if len(v.Media) > 0 {
		c.Image = v.Media[0] // shown with an empty alt: the card's title names it
	}
	return c
}

// priceLine is the product's price in the buyer's currency: the lowest of
// its variants', "from" it when they differ.
func priceLine(b *base, v catalog.View) string {
	lo, low, differ := int64(-1), "", false
	for _, vr := range v.Variants {
		for _, p := range vr.Prices {
			if p.Currency != b.Currency {
				continue
			}
			if lo >= 0 && p.Amount != lo {
				differ = true
			}
			if lo < 0 || p.Amount < lo {
				lo, low = p.Amount, p.Formatted
			}
		}
	}
	if differ {
		return b.W.T("from_price", "Price", low)
	}
	return low
}

type homePage struct {
	*base
	MarketNames string
	Categories  []link
	Pavilions   []channel.Pavilion
	Products    []card
	More        string
}

// homeProducts is how many of the newest products the home page shows.
const homeProducts = 12

func (s *Shop) home(w http.ResponseWriter, r *http.Request) {
	b, ok := s.storefront(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	pavs, err := s.svc.Channels.Pavilions(ctx, b.Channel.ID)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	pg, err := s.svc.Catalog.ChannelPageOf(ctx, b.Channel, b.Lang, "", homeProducts)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	p := homePage{base: b, Pavilions: pavs, Products: s.cards(b, pg.Items)}
	for _, c := range s.svc.Search.Categories(b.Channel.Code, b.Lang) {
		p.Categories = append(p.Categories, link{Name: c.Name, Href: b.Home + "c/" + url.PathEscape(c.Slug), Lang: b.W.N("search_results", c.Count)})
	}
	names := make([]string, len(b.Channel.Markets))
	for i, m := range b.Channel.Markets {
		names[i] = b.W.Country(m)
	}
	p.MarketNames = b.W.List(names)
	if pg.NextCursor != "" {
		p.More = b.Home + "new"
	}
	b.Canonical = s.absolute(r, b.Home)
	b.Alternates = s.alternates(r, b, func(l string) string { return "/" + b.Channel.Code + "/" + l + "/" })
	b.OG = &openGraph{Type: "website", Title: b.Channel.Name, Description: b.Channel.Description, URL: b.Canonical}
	b.JSONLD = ldJSON(map[string]any{"@context": "https://schema.org", "@type": "WebSite", "name": b.Channel.Name, "url": b.Canonical, "inLanguage": b.Lang})
	s.page(w, r, http.StatusOK, "home", p)
}

type listPage struct {
	*base
	Products []card
	Next     string
	First    string
}

// listSize is how many products a list page shows.
const listSize = 24

// list shows the channel's products, newest catalogue order, a page at a
// time.
func (s *Shop) list(w http.ResponseWriter, r *http.Request) {
	b, ok := s.storefront(w, r)
	if !ok {
		return
	}
	cursor := r.URL.Query().Get("after")
	pg, err := s.svc.Catalog.ChannelPageOf(r.Context(), b.Channel, b.Lang, cursor, listSize)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	b.Title = b.W.T("all_products") + " · " + b.Channel.Name
	b.Canonical = s.absolute(r, b.Home+"new")
	if cursor != "" {
		b.Canonical += "?after=" + url.QueryEscape(cursor)
		b.NoIndex = true // the sitemap names every product; pages past the first need no index
	}
	p := listPage{base: b, Products: s.cards(b, pg.Items)}
	if pg.NextCursor != "" {
		p.Next = b.Home + "new?after=" + url.QueryEscape(pg.NextCursor)
	}
	if cursor != "" {
		p.First = b.Home + "new"
	}
	s.page(w, r, http.StatusOK, "list", p)
}

type productPage struct {
	*base
	V            catalog.View
	Category     string
	CategoryHref string
	Image        string
	Price        string
	Variants     []variantRow
	Origin       string
	// Stock is the product's availability (its best variant's) and
	// StockText its words; empty when unknown.
	Stock     inventory.Availability
	StockText string
	// Was and Off are the product's reduction (its cheapest variant's).
	Was    string
	Off    int64
	Crumbs []link
	// Delivery is the promise to the buyer's place (Arrives, ShipsFrom),
	// absent when no warehouse with stock can send there.
	Delivery *deliveryLine
	// Dest is where the promise goes: the buyer's choice among the
	// channel's markets.
	Dest        promise.Destination
	DestOptions []option
	// Rating and Reviews are the product's rating and its latest published
	// reviews; nil and none without reviews.
	Rating      *ratingView
	ReviewCount string
	Reviews     []reviewRow
}

type variantRow struct {
	// Was is the lowest price of the 30 days before a reduction, and Off
	// the percentage off it (empty and 0 when the price is no reduction).
	Was       string
	Off       int64
	ID        string
	Options   []string
	SKU       string
	Price     string
	Stock     inventory.Availability
	StockText string
}

// deliveryLine is a delivery promise as a buyer reads it.
type deliveryLine struct {
	Arrives, ShipsFrom string
	// Fast marks a promise of at most two days.
	Fast bool
}

type option struct {
	Value, Label string
	Selected     bool
}

func (s *Shop) product(w http.ResponseWriter, r *http.Request, slug string) {
	b, ok := s.storefront(w, r)
	if !ok {
		return
	}
	id := idOfSlug(slug)
	if id == "" {
		s.notFound(w, r, b)
		return
	}
	vs, err := s.svc.Catalog.PublicViews(r.Context(), id, b.Channel, b.Channel.Languages)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	var v catalog.View
	paths := map[string]string{}
	for i, l := range b.Channel.Languages {
		paths[l] = productPath(b.Channel.Code, l, vs[i].Title, vs[i].ID)
		if l == b.Lang {
			v = vs[i]
		}
	}
	if want := paths[b.Lang]; r.URL.Path != want { // an old title, or none: the one address
		http.Redirect(w, r, want, http.StatusMovedPermanently)
		return
	}
	cats, err := s.categories(r)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	p := productPage{base: b, V: v, Price: priceLine(b, v), Origin: b.W.Country(v.OriginCountry)}
	if c, ok := cats[v.CategoryID]; ok {
		p.Category, p.CategoryHref = c.name(b.Lang), b.Home+"c/"+url.PathEscape(c.Slug)
	}
	if len(v.Media) > 0 {
		p.Image = v.Media[0]
	}
	p.Dest = destination(r, b.Channel)
	for _, m := range b.Channel.Markets {
		p.DestOptions = append(p.DestOptions, option{Value: m, Label: b.W.Country(m), Selected: m == p.Dest.Country})
	}
	offers, err := s.offers(r, v, &p.Dest)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	avail := make(map[string]inventory.Availability, len(offers))
	for sku, o := range offers {
		avail[sku] = o.Availability
	}
	if best := inventory.BestPromise(offers); best != nil {
		p.Delivery = deliveryText(b.W, best, promise.DateOf(s.now(), nil))
	}
	for _, vr := range v.Variants {
		row := variantRow{ID: vr.ID, SKU: vr.SKU, Stock: avail[vr.SKU]}
		row.StockText = stockText(b.W, row.Stock)
		p.Stock = betterStock(p.Stock, row.Stock)
		for _, k := range slices.Sorted(maps.Keys(vr.Options)) {
			row.Options = append(row.Options, vr.Options[k])
		}
		for _, pr := range vr.Prices {
			if pr.Currency == b.Currency {
				row.Price = pr.Formatted
			}
		}
		p.Variants = append(p.Variants, row)
	}
	p.StockText = stockText(b.W, p.Stock)
	if err := s.reductions(r, b, v, &p); err != nil {
		s.fail(w, r, b, err)
		return
	}
	if err := s.productReviews(r, b, &p); err != nil {
		s.fail(w, r, b, err)
		return
	}
	b.Title = v.Title + " · " + b.Channel.Name
	b.Description = firstLine(v.Description, 160)
	b.Canonical = s.absolute(r, paths[b.Lang])
	b.Alternates = s.alternates(r, b, func(l string) string { return paths[l] })
	p.Crumbs = []link{{Name: b.Channel.Name, Href: b.Home}}
	if p.Category != "" {
		p.Crumbs = append(p.Crumbs, link{Name: p.Category, Href: p.CategoryHref})
	}
	b.OG = &openGraph{Type: "product", Title: v.Title, Description: b.Description, URL: b.Canonical}
	if p.Image != "" {
		b.OG.Image = s.absoluteMedia(r, p.Image)
	}
	b.JSONLD = ldJSON(s.productLD(r, b, v, p, avail))
	s.page(w, r, http.StatusOK, "product", p)
}

// reductions marks the variants whose price in the buyer's currency is a
// reduction with the lowest price of the 30 days before it (the reference
// the EU's Omnibus rule requires) and the percentage off that price.
func (s *Shop) reductions(r *http.Request, b *base, v catalog.View, p *productPage) error {
	prices := map[string]map[string]int64{}
	for _, vr := range v.Variants {
		for _, pr := range vr.Prices {
			if pr.Currency == b.Currency {
				prices[vr.ID] = map[string]int64{pr.Currency: pr.Amount}
			}
		}
	}
	red, err := s.svc.Catalog.Reductions(r.Context(), v.ID, b.Channel.ID, s.now(), prices)
	if err != nil || len(red) == 0 {
		return err
	}
	low := int64(-1)
	for i, vr := range v.Variants {
		rd, ok := red[vr.ID][b.Currency]
		if !ok {
			continue
		}
		p.Variants[i].Was = s.money(b, money.Amount{Minor: rd.Prior, Currency: b.Currency})
		p.Variants[i].Off = rd.PercentOff
		if amount := prices[vr.ID][b.Currency]; low < 0 || amount < low {
			low, p.Was, p.Off = amount, p.Variants[i].Was, rd.PercentOff
		}
	}
	return nil
}

// offers is what a buyer may know of v's variants' stock, with promises to
// dest (none when the shop has no stock service).
func (s *Shop) offers(r *http.Request, v catalog.View, dest *promise.Destination) (map[string]inventory.Offer, error) {
	if s.svc.Stock == nil || len(v.Variants) == 0 {
		return nil, nil
	}
	skus := make([]string, len(v.Variants))
	for i, vr := range v.Variants {
		skus[i] = vr.SKU
	}
	return s.svc.Stock.Offers(r.Context(), v.Merchant.ID, skus, nil, dest)
}

// now is the shop's clock.
func (s *Shop) now() time.Time {
	if s.svc.Stock != nil && s.svc.Stock.Now != nil {
		return s.svc.Stock.Now()
	}
	return time.Now().UTC()
}

// postcodePattern is what a postcode may be: letters, digits, spaces and
// dashes.
var postcodePattern = regexp.MustCompile(`^[A-Za-z0-9 -]{1,12}$`)

// destination is where the buyer wants delivery: the country and postcode
// of the query when the channel sells there, else the channel's first
// market.
func destination(r *http.Request, ch channel.Channel) promise.Destination {
	d := promise.Destination{Country: ch.Markets[0]}
	if c := r.URL.Query().Get("country"); slices.Contains(ch.Markets, c) {
		d.Country = c
	}
	if pc := strings.TrimSpace(r.URL.Query().Get("postcode")); postcodePattern.MatchString(pc) {
		d.Postcode = strings.ToUpper(pc)
	}
	return d
}

// deliveryText words promise r for a buyer on day today: "Delivered
// tomorrow", "Delivered Thu 19 Nov", "Delivered 24 Nov – 2 Dec", and
// where it ships from.
func deliveryText(W *Words, r *promise.Result, today promise.Date) *deliveryLine {
	l := &deliveryLine{ShipsFrom: W.T("ships_from", "Country", W.Country(r.ShipsFrom)), Fast: r.Latest.Sub(today) <= 2}
	switch {
	case r.Earliest == r.Latest && r.Latest == today.AddDays(1):
		l.Arrives = W.T("delivered_tomorrow")
	case r.Earliest == r.Latest:
		l.Arrives = W.T("delivered_on", "Date", shortDate(W, r.Earliest))
	default:
		l.Arrives = W.T("delivered_between", "From", shortDate(W, r.Earliest), "To", shortDate(W, r.Latest))
	}
	return l
}

// shortDate is d as the page's language writes a near date: "Thu 19 Nov",
// "jeu. 19 nov.", "11月19日周四".
func shortDate(W *Words, d promise.Date) string {
	wd := strings.Split(W.T("weekdays_short"), ",")
	mo := strings.Split(W.T("months_short"), ",")
	if len(wd) != 7 || len(mo) != 12 {
		return d.String()
	}
	return W.T("date_short", "Weekday", wd[d.Weekday()], "Day", d.Day(), "Month", mo[d.Month()-1], "MonthNumber", int(d.Month()))
}

// stockText is what a buyer reads of a.
func stockText(W *Words, a inventory.Availability) string {
	switch a {
	case inventory.InStock:
		return W.T("in_stock")
	case inventory.LowStock:
		return W.T("low_stock")
	case inventory.OutOfStock:
		return W.T("out_of_stock")
	}
	return ""
}

// betterStock is the more available of a and b: a product is in stock
// when one of its variants is.
func betterStock(a, b inventory.Availability) inventory.Availability {
	rank := map[inventory.Availability]int{inventory.OutOfStock: 1, inventory.LowStock: 2, inventory.InStock: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// schemaAvailability is schema.org's name for each availability.
var schemaAvailability = map[inventory.Availability]string{
	inventory.InStock:    "https://schema.org/InStock",
	inventory.LowStock:   "https://schema.org/LimitedAvailability",
	inventory.OutOfStock: "https://schema.org/OutOfStock",
}

// ldJSON encodes a schema.org description for a <script
// type="application/ld+json">. encoding/json escapes <, > and & inside
// strings (\u003c…), so no value can close the script; encoding once here
// spares html/template's escaper encoding it again.
func ldJSON(v any) template.JS {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return template.JS(b)
}

// absoluteMedia is a media address as a full URL (Sesame's own media are
// paths).
func (s *Shop) absoluteMedia(r *http.Request, m string) string {
	if strings.HasPrefix(m, "/") {
		return s.absolute(r, m)
	}
	return m
}

// alternates are the page in each of the channel's languages, for hreflang.
func (s *Shop) alternates(r *http.Request, b *base, path func(lang string) string) []link {
	var out []link
	for _, l := range b.Channel.Languages {
		out = append(out, link{Lang: l, Href: s.absolute(r, path(l)), Current: l == b.Lang})
	}
	return out
}

// productLD is the product's schema.org description: the Product with its
// offers in the buyer's currency, and where it sits.
func (s *Shop) productLD(r *http.Request, b *base, v catalog.View, p productPage, avail map[string]inventory.Availability) []any {
	var offers []any
	for _, vr := range v.Variants {
		for _, pr := range vr.Prices {
			if pr.Currency != b.Currency {
				continue
			}
			offer := map[string]any{"@type": "Offer", "sku": vr.SKU, "price": decimal(pr), "priceCurrency": pr.Currency, "url": b.Canonical,
				"seller": map[string]any{"@type": "Organization", "name": v.Merchant.Name}}
			if a, ok := schemaAvailability[avail[vr.SKU]]; ok {
				offer["availability"] = a
			}
			offers = append(offers, offer)
		}
	}
	prod := map[string]any{"@context": "https://schema.org", "@type": "Product", "name": v.Title, "productID": v.ID, "url": b.Canonical, "offers": offers}
	if v.Description != "" {
		prod["description"] = v.Description
	}
	if p.Image != "" {
		prod["image"] = []string{s.absoluteMedia(r, p.Image)}
	}
	if v.Brand != nil {
		prod["brand"] = map[string]any{"@type": "Brand", "name": v.Brand.Name}
	}
	if len(v.Variants) > 0 {
		prod["sku"] = v.Variants[0].SKU
	}
	if v.OriginCountry != "" {
		prod["countryOfOrigin"] = map[string]any{"@type": "Country", "name": v.OriginCountry}
	}
	if p.Rating != nil {
		prod["aggregateRating"] = aggregateRating(p.Rating)
	}
	crumbs := map[string]any{"@context": "https://schema.org", "@type": "BreadcrumbList"}
	var items []any
	for i, c := range append(p.Crumbs, link{Name: v.Title, Href: b.Path}) {
		it := map[string]any{"@type": "ListItem", "position": i + 1, "name": c.Name}
		if c.Href != "" {
			it["item"] = s.absolute(r, c.Href)
		}
		items = append(items, it)
	}
	crumbs["itemListElement"] = items
	org := map[string]any{"@context": "https://schema.org", "@type": "Organization", "name": b.Channel.Name, "url": s.absolute(r, b.Home)}
	return []any{prod, crumbs, org}
}

// categoryInfo is the catalogue's categories by id.
type categoryInfo struct {
	Slug  string
	Names map[string]string
}

func (c categoryInfo) name(lang string) string {
	if n, ok := c.Names[lang]; ok {
		return n
	}
	if n, ok := c.Names["en"]; ok {
		return n
	}
	return c.Slug
}

// categoriesFresh is how long the storefront keeps the catalogue's
// categories before reading them again: a renamed category shows on pages
// at most this late, and a product page reads no category most of the time.
const categoriesFresh = 10 * time.Second

func (s *Shop) categories(r *http.Request) (map[string]categoryInfo, error) {
	s.catMu.Lock()
	defer s.catMu.Unlock()
	if s.cats != nil && time.Since(s.catsRead) < categoriesFresh {
		return s.cats, nil
	}
	cs, err := s.svc.Catalog.Categories(r.Context())
	if err != nil {
		return nil, err
	}
	m := make(map[string]categoryInfo, len(cs))
	for _, c := range cs {
		m[c.ID] = categoryInfo{Slug: c.Slug, Names: c.Names}
	}
	s.cats, s.catsRead = m, time.Now()
	return m, nil
}

type errorPage struct {
	*base
	Status  int
	Message string
	ErrorID string
}

// notFound is the page of an address that names nothing.
func (s *Shop) notFound(w http.ResponseWriter, r *http.Request, b *base) {
	s.fail(w, r, b, errs.E("shop", errs.NotFound, "not found"))
}

// fail answers err with an error page in the storefront's look (a plain
// one when the channel is not known).
func (s *Shop) fail(w http.ResponseWriter, r *http.Request, b *base, err error) {
	if b == nil {
		lang := preferredLanguage(r)
		b = &base{W: newWords(s.words, lang, s.log), Lang: lang, Theme: "market", Home: "/", Path: r.URL.Path}
	}
	b.NoIndex = true
	p := errorPage{base: b}
	switch errs.KindOf(err) {
	case errs.NotFound:
		p.Status, p.Message = http.StatusNotFound, b.W.T("error_not_found")
	case errs.Invalid:
		p.Status, p.Message = http.StatusBadRequest, b.W.T("error_invalid")
	default:
		p.Status, p.Message, p.ErrorID = http.StatusInternalServerError, b.W.T("error_internal"), s.cfg.RequestID(r.Context())
		s.log.ErrorContext(r.Context(), "storefront", "request_id", p.ErrorID, "path", r.URL.Path, "err", err)
	}
	b.Title = b.W.T("error_title", "Status", p.Status)
	s.page(w, r, p.Status, "error", p)
}

// page renders a whole page.
func (s *Shop) page(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		s.log.ErrorContext(r.Context(), "storefront render", "page", name, "err", err)
		http.Error(w, "the page could not be shown", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", langOf(data))
	h.Set("Vary", "Accept-Language, Cookie")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func langOf(data any) string {
	type langer interface{ lang() string }
	if l, ok := data.(langer); ok {
		return l.lang()
	}
	return "en"
}

func (b *base) lang() string { return b.Lang }

// decimal is a price as schema.org writes it: "12.50".
func decimal(p catalog.PriceView) string {
	a, err := money.New(p.Amount, p.Currency)
	if err != nil {
		return ""
	}
	return a.Decimal()
}

// firstLine is s cut to at most n runes at a word's end.
func firstLine(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}
