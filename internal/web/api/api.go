// Package api is Sesame's JSON API under /api/v1. Operations are declared
// with huma, which generates the OpenAPI 3.1 document from these Go types and
// validates requests against it (unknown fields, types, bounds, body size).
// Handlers only translate: every rule lives in the domain services, which
// take the Actor the web layer authenticated.
package api

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/merchant"
)

// Services are the domain services the API calls.
type Services struct {
	Identity  *identity.Service
	Merchants *merchant.Service
	Channels  *channel.Service
	Catalog   *catalog.Service
	Inventory *inventory.Service
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

func sessionToken(ctx context.Context) string {
	t, _ := ctx.Value(tokenKey).(string)
	return t
}

// SessionCookie is the name of the session cookie.
const SessionCookie = "sesame_session"

// ProblemBase prefixes problem type URIs; /problems/{kind} documents each.
const ProblemBase = "/problems/"

// StatusOf maps an error kind to its HTTP status. It is the only place
// that does.
func StatusOf(k errs.Kind) int {
	switch k {
	case errs.Invalid:
		return http.StatusUnprocessableEntity
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.Unauthenticated:
		return http.StatusUnauthorized
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	case errs.TooLarge:
		return http.StatusRequestEntityTooLarge
	case errs.RateLimited:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// KindOfStatus maps an HTTP status back to the kind whose problem type it
// carries (for errors huma raises itself, such as validation failures).
func KindOfStatus(status int) errs.Kind {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return errs.Invalid
	case http.StatusNotFound:
		return errs.NotFound
	case http.StatusConflict:
		return errs.Conflict
	case http.StatusForbidden:
		return errs.Forbidden
	case http.StatusUnauthorized:
		return errs.Unauthenticated
	case http.StatusRequestEntityTooLarge:
		return errs.TooLarge
	case http.StatusTooManyRequests:
		return errs.RateLimited
	case http.StatusServiceUnavailable:
		return errs.Unavailable
	}
	return errs.Internal
}

// InternalErrorLogger is called with every internal error before it is
// hidden from the client; it returns the error id to show instead.
var InternalErrorLogger = func(ctx context.Context, err error) string { return "" }

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

// Error returns the detail.
func (p *Problem) Error() string { return p.Detail }

// GetStatus returns the HTTP status.
func (p *Problem) GetStatus() int { return p.Status }

// ContentType makes huma send and document problems as application/problem+json.
func (p *Problem) ContentType(string) string { return "application/problem+json" }

// NewProblem builds the problem for status; details naming a password field
// lose their value, so a refused password is never echoed back.
func NewProblem(status int, msg string, es ...error) *Problem {
	details := make([]*huma.ErrorDetail, 0, len(es))
	for _, e := range es {
		if e == nil {
			continue
		}
		var d huma.ErrorDetailer
		if errors.As(e, &d) {
			dd := *d.ErrorDetail()
			if secretLocation(dd.Location) {
				dd.Value = nil
			}
			details = append(details, &dd)
		} else {
			details = append(details, &huma.ErrorDetail{Message: e.Error()})
		}
	}
	return &Problem{Type: ProblemBase + KindOfStatus(status).String(), Title: http.StatusText(status), Status: status, Detail: msg, Errors: details}
}

// secretLocation reports whether an error location (body.owner.password)
// names a field whose value must not be echoed.
func secretLocation(loc string) bool {
	return strings.Contains(strings.ToLower(loc), "password")
}

func init() {
	// huma writes its own errors (validation, bodies, content types) through
	// NewError, and documents error responses with the type it returns, so
	// both must be Sesame's problem type before any operation is registered.
	huma.NewError = func(status int, msg string, es ...error) huma.StatusError {
		return NewProblem(status, msg, es...)
	}
}

// fail turns a domain error into a problem: client-side kinds keep their
// message; internal ones are logged and replaced by an error id.
func fail(ctx context.Context, err error) error {
	k := errs.KindOf(err)
	if k == errs.Forbidden && ActorFrom(ctx).IsAnonymous() {
		// Not allowed as nobody: signing in may allow it.
		return huma.NewError(http.StatusUnauthorized, "sign in, or send an API key in Authorization: Bearer")
	}
	status := StatusOf(k)
	if status >= 500 {
		id := InternalErrorLogger(ctx, err)
		msg := errs.Message(err)
		if id != "" {
			msg += " (error id " + id + ")"
		}
		return huma.NewError(status, msg)
	}
	pe := NewProblem(status, errs.Message(err))
	if f := errs.FieldOf(err); f != "" {
		pe.Errors = []*huma.ErrorDetail{{Message: errs.Message(err), Location: fieldLocation(ctx, f)}}
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

// Register declares every operation of the API on a.
func Register(a huma.API, s Services) {
	// The operation travels in the context so that fail can place a field
	// error on the right parameter.
	a.UseMiddleware(func(ctx huma.Context, next func(huma.Context)) {
		next(huma.WithValue(ctx, opKey{}, ctx.Operation()))
	})
	a.OpenAPI().OnAddOperation = append(a.OpenAPI().OnAddOperation, document)
	registerIdentity(a, s)
	registerMerchants(a, s)
	registerChannels(a, s)
	registerCatalog(a, s)
	registerInventory(a, s)
}

// write declares a write operation: it documents the security schemes and
// the errors every write may return, and refuses anonymous callers with 401
// unless the operation is public (an empty, non-nil Security).
func write(a huma.API, op huma.Operation) huma.Operation {
	if op.DefaultStatus == 0 {
		op.DefaultStatus = http.StatusOK
	}
	op.Errors = append(op.Errors, 400, 401, 403, 404, 409, 413, 422)
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
	// A wrong Authorization header is refused on every route; rate limits,
	// an unavailable database and internal errors may meet any request.
	codes := []int{http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable}
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
