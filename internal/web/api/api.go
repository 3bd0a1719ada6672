// Package api is Sesame's JSON API under /api/v1. Operations are declared
// with huma, which generates the OpenAPI 3.1 document from these Go types and
// validates requests against it (unknown fields, types, bounds, body size).
// Handlers only translate: every rule lives in the domain services, which
// take the Actor the web layer authenticated.
package api

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/search"
	"github.com/sesame-market/sesame/internal/share"
)

// Services are the domain services the API calls.
type Services struct {
	Identity  *identity.Service
	Merchants *merchant.Service
	Channels  *channel.Service
	Catalog   *catalog.Service
	Inventory *inventory.Service
	// Stock counts stock and holds reservations.
	Stock *inventory.Stock
	// Search answers product searches (nil: GET /api/v1/search answers 503).
	Search *search.Engine
	// Shares runs the sharing links.
	Shares *share.Service
	// Orders runs carts, checkouts and orders.
	Orders *order.Service
	// StripeWebhookSecret verifies Stripe's webhooks (empty: the webhook
	// route is absent).
	StripeWebhookSecret string
	// SecureCookies marks session cookies Secure (behind TLS).
	SecureCookies bool
}

type ctxKey int

const (
	actorKey ctxKey = iota
	tokenKey
)

// WithActor returns ctx carrying the authenticated actor and, for cookie
// sessions, the raw session token (needed to sign out).
func WithActor(ctx context.Context, a identity.Actor, sessionToken string) context.Context {
	ctx = context.WithValue(ctx, actorKey, a)
	return context.WithValue(ctx, tokenKey, sessionToken)
}

// ActorFrom returns the actor in ctx (anonymous if none).
func ActorFrom(ctx context.Context) identity.Actor {
	a, _ := ctx.Value(actorKey).(identity.Actor)
	return a
}

// SessionToken returns the raw session token of a cookie session in ctx
// (empty for API keys and anonymous callers), which signing out needs.
func SessionToken(ctx context.Context) string {
	t, _ := ctx.Value(tokenKey).(string)
	return t
}

// SessionCookie is the name of the session cookie.
const SessionCookie = "sesame_session"

// ProblemBase prefixes problem type URIs; /problems/{kind} documents each.
const ProblemBase = "/problems/"

// kindStatus is the one table between error kinds and HTTP statuses. A
// kind's status is its first row; a status read back (from an error huma
// raised itself, such as a validation failure) gives the kind of its first
// row. Kinds absent from the table (Internal) answer 500, statuses absent
// from it read back as Internal. 499 (StatusClientClosedRequest) is not here:
// it is recorded for abandoned requests and never sent as a problem type.
var kindStatus = [...]struct {
	kind   errs.Kind
	status int
}{
	{errs.Invalid, http.StatusUnprocessableEntity},
	// A malformed request, a wrong method or an unservable Accept is the
	// client's mistake too: huma raises them, and they read back as Invalid.
	{errs.Invalid, http.StatusBadRequest},
	{errs.Invalid, http.StatusMethodNotAllowed},
	{errs.Invalid, http.StatusNotAcceptable},
	{errs.NotFound, http.StatusNotFound},
	{errs.Conflict, http.StatusConflict},
	{errs.Forbidden, http.StatusForbidden},
	{errs.Unauthenticated, http.StatusUnauthorized},
	{errs.Unavailable, http.StatusServiceUnavailable},
	{errs.TooLarge, http.StatusRequestEntityTooLarge},
	{errs.RateLimited, http.StatusTooManyRequests},
	{errs.Unsupported, http.StatusUnsupportedMediaType},
}

// StatusOf maps an error kind to its HTTP status. It and KindOfStatus are
// the only places that do, both read from kindStatus.
func StatusOf(k errs.Kind) int {
	for _, r := range kindStatus {
		if r.kind == k {
			return r.status
		}
	}
	return http.StatusInternalServerError
}

// KindOfStatus maps an HTTP status back to the kind whose problem type it
// carries (for errors huma raises itself, such as validation failures).
func KindOfStatus(status int) errs.Kind {
	for _, r := range kindStatus {
		if r.status == status {
			return r.kind
		}
	}
	return errs.Internal
}

// StatusClientClosedRequest is the status recorded for a request whose
// client went away before the answer (nginx's 499): no one reads it, and it
// keeps abandoned requests out of the server errors.
const StatusClientClosedRequest = 499

// ProblemType returns the problem type URI of a response with the given status.
func ProblemType(status int) string { return ProblemBase + KindOfStatus(status).String() }

// Problem is the body of every error response: an RFC 9457 problem
// document whose type names the error kind. The type is a URI reference
// relative to the API's own origin (/problems/{kind}), as RFC 9457 allows;
// it is declared uri-reference (huma's ErrorModel says uri, which relative
// values break), so it stays right behind any proxy or host name.
type Problem struct {
	Type     string              `json:"type" format:"uri-reference" example:"/problems/invalid" doc:"A URI reference, relative to this API's origin, to a page that documents the kind of error: /problems/{kind}"`
	Title    string              `json:"title" example:"Unprocessable Entity" doc:"The HTTP status text"`
	Status   int                 `json:"status" example:"422" doc:"The HTTP status code"`
	Detail   string              `json:"detail,omitempty" example:"validation failed" doc:"What went wrong this time; an internal error carries its error id"`
	Instance string              `json:"instance,omitempty" format:"uri-reference" doc:"A URI reference identifying this occurrence"`
	Errors   []*huma.ErrorDetail `json:"errors,omitempty" doc:"The fields at fault, each with its location (body.x, query.y, path.z)"`
}

// TypeProblems is a huma transformer that turns every error huma writes
// (its own validation failures included) into Sesame's Problem: the type
// names its kind, and details naming a password field lose their value, so
// a refused password is never echoed back. It is set per API in
// huma.Config.Transformers, rather than by replacing the package-level
// huma.NewError, so two servers in one process do not share it.
func TypeProblems(_ huma.Context, _ string, v any) (any, error) {
	e, ok := v.(*huma.ErrorModel)
	if !ok {
		return v, nil
	}
	p := &Problem{Type: e.Type, Title: e.Title, Status: e.Status, Detail: e.Detail, Instance: e.Instance}
	if p.Type == "" || p.Type == "about:blank" {
		p.Type = ProblemType(e.Status)
	}
	for _, d := range e.Errors {
		if d == nil {
			continue
		}
		dd := *d
		if secretLocation(dd.Location) {
			dd.Value = nil
		}
		p.Errors = append(p.Errors, &dd)
	}
	return p, nil
}

// secretLocation reports whether an error location (body.owner.password)
// names a field whose value must not be echoed.
func secretLocation(loc string) bool {
	return strings.Contains(strings.ToLower(loc), "password")
}

// RetryAfterSeconds renders a wait as a Retry-After value: whole seconds,
// rounded up, at least 1.
func RetryAfterSeconds(d time.Duration) string {
	secs := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(max(secs, 1), 10)
}

// Options are what the API needs from the server besides the services.
type Options struct {
	// ReportInternal is called with every internal error before it is
	// hidden from the client; it returns the error id to show instead.
	ReportInternal func(ctx context.Context, err error) string
	// PublicURL is the scheme and host buyers reach Sesame at, which makes
	// the addresses of sharing links absolute; "" gives paths.
	PublicURL string
}

type optionsKey struct{}

// fail turns a domain error into a problem: client-side kinds keep their
// message; internal ones are reported and replaced by an error id. A
// RateLimited error (or any carrying a wait) gets Retry-After.
func fail(ctx context.Context, err error) error {
	k := errs.KindOf(err)
	if k == errs.Forbidden && ActorFrom(ctx).IsAnonymous() {
		// Not allowed as nobody: signing in may allow it.
		return huma.NewError(http.StatusUnauthorized, "sign in, or send an API key in Authorization: Bearer")
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		// The client went away: not a server error, and no one reads this.
		return huma.NewError(StatusClientClosedRequest, "the client closed the request")
	}
	status := StatusOf(k)
	var pe huma.StatusError
	if status >= 500 && !(k == errs.Unavailable && errs.RetryAfter(err) > 0) {
		// (A server shedding load or still starting says so with a wait:
		// not an error to report.)
		msg := errs.Message(err)
		if o, _ := ctx.Value(optionsKey{}).(*Options); o != nil && o.ReportInternal != nil {
			if id := o.ReportInternal(ctx, err); id != "" {
				msg += " (error id " + id + ")"
			}
		}
		pe = huma.NewError(status, msg)
	} else {
		pe = huma.NewError(status, errs.Message(err))
		if f := errs.FieldOf(err); f != "" {
			pe.(*huma.ErrorModel).Errors = []*huma.ErrorDetail{{Message: errs.Message(err), Location: fieldLocation(ctx, f)}}
		}
	}
	if d := errs.RetryAfter(err); d > 0 || k == errs.RateLimited {
		return huma.ErrorWithHeaders(pe, http.Header{"Retry-After": {RetryAfterSeconds(d)}})
	}
	return pe
}

type opKey struct{}

// fieldLocation says where a field the domain names is in the request: a
// parameter of the operation (query.cursor, path.id, header.x) if it has
// one of that name, else the body.
func fieldLocation(ctx context.Context, field string) string {
	if op, _ := ctx.Value(opKey{}).(*huma.Operation); op != nil {
		for _, p := range op.Parameters {
			if p != nil && p.Name == field {
				return p.In + "." + field
			}
		}
	}
	return "body." + field
}

// Register declares every operation of the API on a. The options reach
// the handlers through each request's context (a middleware of this API
// only), so nothing is shared between two APIs in one process; so does the
// operation, so that fail can place a field error on the right parameter.
func Register(a huma.API, s Services, o Options) {
	a.UseMiddleware(func(ctx huma.Context, next func(huma.Context)) {
		ctx = huma.WithValue(ctx, optionsKey{}, &o)
		next(huma.WithValue(ctx, opKey{}, ctx.Operation()))
	})
	a.OpenAPI().OnAddOperation = append(a.OpenAPI().OnAddOperation, document)
	registerIdentity(a, s)
	registerMerchants(a, s)
	registerChannels(a, s)
	registerCatalog(a, s)
	registerInventory(a, s)
	registerSearch(a, s)
	registerShares(a, s, o)
	registerOrders(a, s)
	registerLedger(a, s)
	registerReviews(a, s)
	registerDisputes(a, s)
	registerPayouts(a, s)
	registerPromises(a, s)
	documentRetryAfter(a)
	documentProblems(a)
}

// documentProblems makes every error response of the document name Problem,
// the body TypeProblems writes: huma declares the errors it adds with its
// own ErrorModel (type format uri), which is then dropped from the
// components, so no response claims a schema Sesame never sends.
func documentProblems(a huma.API) {
	oapi := a.OpenAPI()
	problem := oapi.Components.Schemas.Schema(reflect.TypeFor[Problem](), true, "Problem")
	for _, item := range oapi.Paths {
		for _, op := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete} {
			if op == nil {
				continue
			}
			for _, r := range op.Responses {
				for _, mt := range r.Content {
					if mt != nil && mt.Schema != nil && strings.HasSuffix(mt.Schema.Ref, "/ErrorModel") {
						mt.Schema = problem
					}
				}
			}
		}
	}
	delete(oapi.Components.Schemas.Map(), "ErrorModel")
}

// documentRetryAfter declares the Retry-After header on every 429 response
// of the document.
func documentRetryAfter(a huma.API) {
	for _, item := range a.OpenAPI().Paths {
		for _, op := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete} {
			if op == nil || op.Responses["429"] == nil {
				continue
			}
			r := op.Responses["429"]
			if r.Headers == nil {
				r.Headers = map[string]*huma.Param{}
			}
			r.Headers["Retry-After"] = &huma.Param{Description: "Seconds to wait before retrying.", Schema: &huma.Schema{Type: "integer", Minimum: ptr(1.0)}}
		}
	}
}

func ptr[T any](v T) *T { return &v }

// write declares a write operation: it documents the security schemes and
// the errors every write may return, and refuses anonymous callers with 401
// unless the operation is public (an empty, non-nil Security).
func write(a huma.API, op huma.Operation) huma.Operation {
	if op.DefaultStatus == 0 {
		op.DefaultStatus = http.StatusOK
	}
	// 429: every write is rate limited per address and per account.
	op.Errors = append(op.Errors, 400, 401, 403, 404, 409, 413, 415, 422, 429)
	if op.Method == http.MethodPost && !noIdempotency[op.Path] {
		documentIdempotency(&op)
	}
	if op.Security == nil {
		op.Security = []map[string][]string{{"session": {}}, {"apiKey": {}}}
		op.Middlewares = append(op.Middlewares, func(ctx huma.Context, next func(huma.Context)) {
			if ActorFrom(ctx.Context()).IsAnonymous() {
				huma.WriteErr(a, ctx, http.StatusUnauthorized, "sign in, or send an API key in Authorization: Bearer")
				return
			}
			next(ctx)
		})
	}
	return op
}

// noIdempotency lists the POST paths that ignore Idempotency-Key. Signing in
// answers with a new session token in Set-Cookie: storing it for replay would
// keep a live credential in a second table, and a replay without it would
// sign no one in; signing in again is harmless anyway. Signing out ends the
// caller's session: a stored answer could be replayed after the caller signed
// in again, leaving that new session open while the client believes it closed.
var noIdempotency = map[string]bool{"/api/v1/auth/login": true, "/api/v1/auth/logout": true}

// IgnoresIdempotencyKey reports whether POST path ignores Idempotency-Key
// (signing in and out; see noIdempotency for why).
func IgnoresIdempotencyKey(path string) bool { return noIdempotency[path] }

// providerCalls are the POST routes that call a payment provider (a charge,
// its confirmation, a refund) and are idempotent by keys of their own: a
// checkout by its cart and attempt, a confirmation by its payment, a
// cancellation by its order. Under an Idempotency-Key their writes commit
// as they go rather than with the stored response, so that no write
// transaction (on SQLite, the one writer) is held across the provider's
// answer; a retry finds what they wrote.
var providerCalls = regexp.MustCompile(`^/api/v1/(carts/[^/]+/checkout|payments/[^/]+/confirm|orders/[^/]+/cancel)$`)

// CallsProvider reports whether POST path calls a payment provider (see
// providerCalls).
func CallsProvider(path string) bool { return providerCalls.MatchString(path) }

// IdempotencyExemptPaths returns the POST paths that ignore
// Idempotency-Key, in a fresh slice.
func IdempotencyExemptPaths() []string { return slices.Sorted(maps.Keys(noIdempotency)) }

// documentIdempotency declares the Idempotency-Key request header and the
// Idempotent-Replayed response header on op (the web layer implements them
// for every POST).
func documentIdempotency(op *huma.Operation) {
	minLen, maxLen := 1, 255
	op.Parameters = append(op.Parameters, &huma.Param{Name: "Idempotency-Key", In: "header",
		Description: "A unique key (1 to 255 printable ASCII characters, such as a UUID) that makes the request safe to retry: " +
			"the first response is stored for 24 hours and replayed, with Idempotent-Replayed: true, to a retry with the same key. " +
			"The same key with a different request is 422; a retry while the first is still running is 409. Server errors (5xx) are not stored.",
		Schema: &huma.Schema{Type: "string", MinLength: &minLen, MaxLength: &maxLen, Pattern: "^[\\x20-\\x7E]+$"}})
	status := strconv.Itoa(op.DefaultStatus)
	if op.Responses == nil {
		op.Responses = map[string]*huma.Response{}
	}
	if op.Responses[status] == nil {
		op.Responses[status] = &huma.Response{Description: http.StatusText(op.DefaultStatus)}
	}
	for code, r := range op.Responses {
		if code[0] != '2' {
			continue
		}
		if r.Headers == nil {
			r.Headers = map[string]*huma.Param{}
		}
		r.Headers["Idempotent-Replayed"] = &huma.Param{
			Description: "true when this response is the stored answer to an earlier request with the same Idempotency-Key.",
			Schema:      &huma.Schema{Type: "string", Enum: []any{"true"}}}
	}
}

var errNotFound = errs.E("api", errs.NotFound, "not found")

// authed documents a read that needs a signed-in actor.
func authed(op huma.Operation) huma.Operation {
	op.Security = []map[string][]string{{"session": {}}, {"apiKey": {}}}
	return op
}

// document completes every operation as it is added to the OpenAPI
// document: a public operation says so with an empty security requirement
// (no requirement would mean "whatever the document's default is"), every
// operation names its tag in the document's tag list and says who may call
// it, and the errors any operation can meet are declared, so that each
// response Sesame sends matches the document.
func document(o *huma.OpenAPI, op *huma.Operation) {
	if ex, ok := requestExamples[op.OperationID]; ok && op.RequestBody != nil {
		if mt := op.RequestBody.Content["application/json"]; mt != nil {
			mt.Example = ex
		}
	}
	public := len(op.Security) == 0
	if op.Security == nil {
		op.Security = []map[string][]string{}
	}
	if op.Description == "" {
		op.Description = "Needs a session or an API key."
		if public {
			op.Description = "Public."
		}
	}
	for _, t := range op.Tags {
		if !slices.ContainsFunc(o.Tags, func(x *huma.Tag) bool { return x.Name == t }) {
			o.Tags = append(o.Tags, &huma.Tag{Name: t})
			slices.SortFunc(o.Tags, func(a, b *huma.Tag) int { return strings.Compare(a.Name, b.Name) })
		}
	}
	// A wrong Authorization header is refused on every route; an unavailable
	// database and internal errors may meet any request, rate limits any write.
	codes := []int{http.StatusUnauthorized, http.StatusInternalServerError, http.StatusServiceUnavailable}
	if op.Method != http.MethodGet {
		codes = append(codes, http.StatusTooManyRequests) // writes are rate limited; reads are not
	}
	if !public {
		codes = append(codes, http.StatusForbidden)
	}
	if len(op.Parameters) > 0 {
		codes = append(codes, http.StatusUnprocessableEntity)
	}
	if slices.ContainsFunc(op.Parameters, func(p *huma.Param) bool { return p.In == "path" }) {
		codes = append(codes, http.StatusNotFound)
	}
	if op.RequestBody != nil {
		codes = append(codes, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity)
	}
	schema := o.Components.Schemas.Schema(reflect.TypeFor[Problem](), true, "Problem")
	for _, c := range codes {
		k := strconv.Itoa(c)
		if op.Responses[k] == nil {
			op.Responses[k] = &huma.Response{Description: http.StatusText(c),
				Content: map[string]*huma.MediaType{"application/problem+json": {Schema: schema}}}
		}
	}
	// huma adds a catch-all "default" error to operations that declare no
	// errors; with every error declared it would only hide a missing one.
	delete(op.Responses, "default")
}
