// Package web is Sesame's HTTP layer: middleware (request ids, logging,
// recovery, authentication, cross-origin protection), the JSON API from
// package api, its OpenAPI document and reference page, and the pages.
package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/media"
	"github.com/sesame-market/sesame/internal/notify"
	"github.com/sesame-market/sesame/internal/web/api"
	"github.com/sesame-market/sesame/internal/web/shop"
)

//go:embed templates/*.html
var templateFS embed.FS

// Login is a demo account shown on the home page.
type Login struct {
	Role     string
	Email    string
	Password string
	Note     string
}

// Config wires the server.
type Config struct {
	Services api.Services
	Logger   *slog.Logger
	// Ping checks the database for /healthz.
	Ping func(ctx context.Context) error
	// DemoLogins are listed on the home page (demo mode only).
	DemoLogins []Login
	// Mailbox, in demo mode, lists the e-mails Sesame sent, for the
	// storefronts' mailbox page (nil: no such page).
	Mailbox func(ctx context.Context, limit int) ([]notify.Mail, error)
	Version string
	// PublicURL is the scheme and host buyers reach Sesame at (e.g.
	// https://shop.example), or empty when unknown (local runs). With https,
	// responses carry HSTS.
	PublicURL string
	// RateLimits bound how fast one address or account may write. The zero
	// value sets no limit; cmd/sesame starts from DefaultRateLimits.
	RateLimits RateLimits
	// TrustedProxies are the proxies (load balancers) whose X-Forwarded-For
	// names the client; without them the client is the connection's peer.
	TrustedProxies []netip.Prefix
	// Idempotency stores the responses to POSTs that carry an
	// Idempotency-Key; nil ignores the header.
	Idempotency IdempotencyStore
	// SitemapURLs is how many products a storefront sitemap names; 0 is
	// the protocol's limit, 50,000 (see shop.Config).
	SitemapURLs int
	// Media keeps the images merchants upload in their console; nil
	// turns uploads off.
	Media media.Store
}

// Server is Sesame's HTTP handler.
type Server struct {
	cfg     Config
	api     huma.API
	handler http.Handler
	pages   *template.Template
	// guideHTML is the API guide, rendered once at start-up.
	guideHTML template.HTML
	limits    *rateLimiter
	// abandoned counts requests whose client went away before the answer.
	abandoned atomic.Int64
}

// New builds the server and parses every template, so that a broken
// template fails at start (and in tests), never on a buyer's request.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	pages, err := template.New("").Funcs(template.FuncMap{
		"join":  strings.Join,
		"lower": strings.ToLower,
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	guide, err := renderGuide()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, pages: pages, limits: newRateLimiter(cfg.RateLimits), guideHTML: guide}
	mux := http.NewServeMux()

	hc := huma.DefaultConfig("Sesame API", cfg.Version)
	hc.Info.Description = "Sesame runs a cross-border marketplace: merchants, channels, pavilions and one catalogue. " +
		"Amounts are integer minor units with an ISO 4217 currency. Errors are RFC 9457 problem documents whose type names the error kind."
	hc.Info.Contact = &huma.Contact{Name: "Sesame", URL: "https://github.com/sesame-market/sesame"}
	// Paths are relative to the public URL, or to wherever the document was
	// fetched from when none is configured.
	hc.Servers = []*huma.Server{{URL: "/", Description: "This Sesame server"}}
	if cfg.PublicURL != "" {
		hc.Servers = []*huma.Server{{URL: cfg.PublicURL, Description: "This Sesame server"}}
	}
	hc.OpenAPIPath = "/openapi"
	hc.DocsPath = "" // the reference page is served by Sesame itself (no CDN at run time)
	hc.CreateHooks = nil
	hc.Transformers = append(hc.Transformers, api.TypeProblems)
	hc.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"session": {Type: "apiKey", In: "cookie", Name: api.SessionCookie, Description: "Set by POST /api/v1/auth/login"},
		"apiKey":  {Type: "http", Scheme: "bearer", Description: "A merchant's or partner's API key: Authorization: Bearer sesame_..."},
	}
	s.api = humago.New(mux, hc)
	api.Register(s.api, cfg.Services, api.Options{ReportInternal: s.reportInternal, PublicURL: cfg.PublicURL})

	store, err := shop.New(shop.Config{Services: shop.Services{Catalog: cfg.Services.Catalog, Channels: cfg.Services.Channels, Search: cfg.Services.Search,
		Identity: cfg.Services.Identity, Shares: cfg.Services.Shares, Stock: cfg.Services.Stock, Orders: cfg.Services.Orders, Mailbox: cfg.Mailbox,
		Merchants: cfg.Services.Merchants},
		Logger: cfg.Logger, PublicURL: cfg.PublicURL, RequestID: RequestID, NotFound: s.noRoute(mux),
		SitemapURLs: cfg.SitemapURLs, SecureCookies: cfg.Services.SecureCookies, Media: cfg.Media})
	if err != nil {
		return nil, err
	}
	store.Register(mux)

	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /docs", s.reference)
	mux.HandleFunc("GET /docs/guide", s.guide)
	mux.HandleFunc("GET /favicon.ico", favicon)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /problems/{kind}", s.problem)
	mux.HandleFunc("GET /static/sesame.css", s.stylesheet())
	mux.Handle("/", s.noRoute(mux))

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusForbidden, "cross-origin request refused: send writes from Sesame's own pages, or without browser cookies (an API key)")
	}))
	// requestLog is outermost so that every line and every error, a panic's
	// included, carries the request id.
	s.handler = s.requestLog(s.secureHeaders(s.recoverer(cop.Handler(s.limitByAddress(s.authenticate(s.limitByAccount(s.refuseBadText(s.idempotency(mux)))))))))
	return s, nil
}

// reportInternal logs an internal error with the request id and returns
// the id, which the client sees instead of the error.
func (s *Server) reportInternal(ctx context.Context, err error) string {
	id := RequestID(ctx)
	s.cfg.Logger.ErrorContext(ctx, "internal error", "request_id", id, "err", err)
	return id
}

// Abandoned returns how many requests were abandoned by their client
// before the answer (logged at debug level, not as errors).
func (s *Server) Abandoned() int64 { return s.abandoned.Load() }

// noRoute answers the requests no route matches: 405 with Allow when the
// path exists for other methods, else 404, both as problem+json (API
// clients and browsers alike: a wrong URL is an API error more often than
// a page).
func (s *Server) noRoute(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if m == r.Method {
				continue
			}
			probe := *r
			probe.Method = m
			if _, pattern := mux.Handler(&probe); pattern != "/" && pattern != "" && !shop.CatchAll(pattern) {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeProblem(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path+"; allowed: "+strings.Join(allow, ", "))
			return
		}
		writeProblem(w, http.StatusNotFound, "no such route: "+r.URL.Path)
	})
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// API returns the huma API, whose OpenAPI() is the document served at /openapi.json.
func (s *Server) API() huma.API { return s.api }

type reqIDKey struct{}

// RequestID returns the id of the request ctx belongs to.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(reqIDKey{}).(string)
	return id
}

func newRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) requestLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := newRequestID()
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(r.Context(), reqIDKey{}, id))
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		next.ServeHTTP(sw, r)
		msg, lvl := "request", slog.LevelDebug
		abandoned := r.Context().Err() != nil
		if abandoned {
			// The client went away: its own doing, not a server error.
			msg = "request abandoned by the client"
		} else if sw.status >= 500 {
			lvl = slog.LevelError
		}
		s.cfg.Logger.Log(r.Context(), lvl, msg, "request_id", id, "method", r.Method, "path", r.URL.Path,
			"status", sw.status, "bytes", sw.bytes, "duration", time.Since(start))
		if abandoned { // counted once logged, so whoever sees the count finds the line
			s.abandoned.Add(1)
		}
	})
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.cfg.Logger.ErrorContext(r.Context(), "panic", "request_id", RequestID(r.Context()), "panic", v, "stack", string(debug.Stack()))
				writeProblem(w, http.StatusInternalServerError, "an internal error occurred (error id "+RequestID(r.Context())+")")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// authenticate resolves the actor: an API key in Authorization (a wrong
// key is refused with 401), else the session cookie (an expired one is
// treated as signed out), else anonymous.
func (s *Server) authenticate(next http.Handler) http.Handler {
	ids := s.cfg.Services.Identity
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var actor identity.Actor
		var token string
		if h := r.Header.Get("Authorization"); h != "" {
			raw, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				writeProblem(w, http.StatusUnauthorized, "use Authorization: Bearer <API key>")
				return
			}
			w.Header()[headerCache] = noStoreHeader
			a, err := ids.AuthenticateKey(ctx, strings.TrimSpace(raw))
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			actor = a
		} else if c, err := r.Cookie(api.SessionCookie); err == nil && c.Value != "" {
			if a, err := ids.Authenticate(ctx, c.Value); err == nil {
				actor, token = a, c.Value
			} else if !errs.Is(err, errs.Unauthenticated) {
				s.writeError(w, r, err)
				return
			}
		}
		if !actor.IsAnonymous() || isWrite(r.Method) {
			// Signed-in answers are private; so are the answers that set a
			// session cookie (sign-in), which are all writes.
			w = &noStoreWriter{ResponseWriter: w, authenticated: !actor.IsAnonymous()}
		}
		next.ServeHTTP(w, r.WithContext(api.WithActor(ctx, actor, token)))
	})
}

// problemDoc is an RFC 9457 problem document, as the API's own errors.
type problemDoc struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// writeProblem answers with a problem+json document whose type names the
// kind of the status.
func writeProblem(w http.ResponseWriter, status int, detail string) {
	body, err := json.Marshal(problemDoc{Type: api.ProblemType(status), Title: http.StatusText(status), Status: status, Detail: detail})
	if err != nil {
		panic(err) // strings and an int always marshal
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Del("Content-Length")
	w.WriteHeader(status)
	w.Write(body)
}

// writeError answers with the problem of a domain error: internal ones are
// reported and replaced by the error id, and a wait (rate limits, login
// throttling) is sent as Retry-After.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	k := errs.KindOf(err)
	status := api.StatusOf(k)
	msg := errs.Message(err)
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		writeProblem(w, api.StatusClientClosedRequest, "the client closed the request")
		return
	}
	if status >= 500 {
		msg += " (error id " + s.reportInternal(r.Context(), err) + ")"
	}
	if d := errs.RetryAfter(err); d > 0 || k == errs.RateLimited {
		w.Header().Set("Retry-After", api.RetryAfterSeconds(d))
	}
	writeProblem(w, status, msg)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if s.cfg.Ping != nil {
		if err := s.cfg.Ping(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"status":"unavailable","database":"down"}`)
			return
		}
	}
	fmt.Fprintf(w, `{"status":"ok","version":%q}`, s.cfg.Version)
}

// render executes a page template into a buffer first, so that a failure
// never sends half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.writeError(w, r, fmt.Errorf("render %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

type homePage struct {
	Title    string
	Channels []channel.Channel
	Logins   []Login
	Version  string
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	chs, err := s.cfg.Services.Channels.Channels(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.render(w, r, "home.html", homePage{Title: "Sesame", Channels: chs, Logins: s.cfg.DemoLogins, Version: s.cfg.Version})
}

type problemPage struct {
	Title   string
	Version string
	Kind    string
	Status  int
	About   string
}

var problemAbout = map[errs.Kind]string{
	errs.Invalid:         "The request is malformed or breaks a rule: a wrong type, an unknown field, a missing value, a negative amount, an unknown currency. The errors list names the fields at fault. Nothing was changed.",
	errs.NotFound:        "The object does not exist, or you may not see it. Nothing was changed.",
	errs.Conflict:        "The change collides with the current state: a duplicate (e-mail, code, SKU) or a status that does not allow it. Nothing was changed.",
	errs.Forbidden:       "You are signed in but may not do this: the object belongs to another merchant, or the action needs another role. Nothing was changed.",
	errs.Unauthenticated: "Sign in (session cookie) or send a valid API key (Authorization: Bearer sesame_...). Nothing was changed.",
	errs.Unavailable:     "Sesame is busy or a dependency is down. Retry after the time in Retry-After, if given.",
	errs.Internal:        "Something failed on Sesame's side. The detail carries an error id that operators can find in the logs.",
	errs.RateLimited:     "Too many requests from this address or account in a short time. Wait for the number of seconds in Retry-After, then retry. Nothing was changed.",
	errs.TooLarge:        "The request body exceeds the limit of the operation (1 MiB unless the reference says otherwise). Nothing was changed.",
	errs.Unsupported:     "The request body is not in a media type the operation accepts: send JSON with Content-Type: application/json. Nothing was changed.",
}

func (s *Server) problem(w http.ResponseWriter, r *http.Request) {
	kind := r.PathValue("kind")
	for k, about := range problemAbout {
		if k.String() == kind {
			s.render(w, r, "problem.html", problemPage{Title: "Problem: " + kind, Version: s.cfg.Version, Kind: kind, Status: api.StatusOf(k), About: about})
			return
		}
	}
	writeProblem(w, http.StatusNotFound, "no such problem type: "+kind)
}

type refOp struct {
	Method, Path, ID, Summary, Description, Auth string
	Params                                       []refParam
	Body                                         *refBody
	Response                                     *refBody
	Status                                       []string
}

type refParam struct {
	Name, In, Type, Doc string
	Rules               []string
	Required            bool
}

type refGroup struct {
	Tag, Anchor string
	Ops         []refOp
}

type refPage struct {
	Title   string
	Version string
	Groups  []refGroup
	About   string
}

// reference renders a readable API reference from the generated OpenAPI
// document itself, so the two cannot disagree.
func (s *Server) reference(w http.ResponseWriter, r *http.Request) {
	doc := s.api.OpenAPI()
	sch := schemas(doc.Components.Schemas.Map())
	groups := map[string]*refGroup{}
	var order []string
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		item := doc.Paths[p]
		for _, mo := range []struct {
			m  string
			op *huma.Operation
		}{{"GET", item.Get}, {"POST", item.Post}, {"PUT", item.Put}, {"PATCH", item.Patch}, {"DELETE", item.Delete}} {
			if mo.op == nil {
				continue
			}
			op := mo.op
			ro := refOp{Method: mo.m, Path: p, ID: anchor("op-", op.OperationID), Summary: op.Summary, Description: op.Description, Auth: "public"}
			if len(op.Security) > 0 {
				ro.Auth = "session or API key"
			}
			for _, prm := range op.Parameters {
				rp := refParam{Name: prm.Name, In: prm.In, Doc: prm.Description, Required: prm.Required}
				if prm.Schema != nil {
					rp.Type, rp.Rules = sch.typeName(prm.Schema), rules(prm.Schema)
				}
				ro.Params = append(ro.Params, rp)
			}
			ro.Body, ro.Response = sch.requestBody(op), sch.response(op)
			codes := make([]string, 0, len(op.Responses))
			for c := range op.Responses {
				codes = append(codes, c)
			}
			slices.Sort(codes)
			ro.Status = codes
			tag := "Other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			if groups[tag] == nil {
				groups[tag] = &refGroup{Tag: tag, Anchor: anchor("tag-", tag)}
				order = append(order, tag)
			}
			groups[tag].Ops = append(groups[tag].Ops, ro)
		}
	}
	slices.Sort(order)
	page := refPage{Title: "Sesame API reference", Version: s.cfg.Version, About: doc.Info.Description}
	for _, t := range order {
		page.Groups = append(page.Groups, *groups[t])
	}
	s.render(w, r, "reference.html", page)
}

// faviconSVG is Sesame's icon: an orange tile with a white S. Browsers ask
// for /favicon.ico on every page; modern ones take SVG there.
const faviconSVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#c2410c"/>` +
	`<text x="16" y="23" font-family="system-ui,sans-serif" font-size="20" font-weight="800" text-anchor="middle" fill="#fff">S</text></svg>`

func favicon(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	fmt.Fprint(w, faviconSVG)
}
