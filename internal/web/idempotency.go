package web

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/web/api"
)

// IdempotencyStore keeps the first response to each POST that carries an
// Idempotency-Key (sqlstore.Idempotency implements it). The run of a claimed
// key travels in the context Claim returns: the request's store calls made
// with that context commit together with Complete, or not at all.
type IdempotencyStore interface {
	// Claim takes key in scope for a run of the request with digest hash, or
	// returns the response stored for it (and a nil context). It returns
	// Invalid when the key was used with another request and Conflict while
	// another run of the key is in flight.
	Claim(ctx context.Context, scope, key, hash string) (context.Context, []byte, error)
	// Complete stores the response with the run's work and commits both.
	Complete(ctx context.Context, status int, response []byte) error
	// Release rolls the run back and frees its key.
	Release(ctx context.Context) error
	// Detach returns the run's context without its transaction: store
	// calls made with it commit on their own, while Complete and Release
	// still take the run's context.
	Detach(ctx context.Context) context.Context
}

const (
	idempotencyHeader = "Idempotency-Key"
	replayedHeader    = "Idempotent-Replayed"
	// maxIdempotentBody bounds the body read to hash a request; the
	// operations' own limits (1 MiB by default) are smaller.
	maxIdempotentBody = 16 << 20
)

// storedHeaders are the response headers a replay repeats. Set-Cookie is
// never among them: a stored session token would be handed to whoever
// replays the key.
var storedHeaders = []string{"Content-Type", "Content-Language", "Location", "ETag", "Last-Modified", "Link"}

// validIdempotencyKey reports whether k is 1 to 255 printable ASCII
// characters.
func validIdempotencyKey(k string) bool {
	if len(k) < 1 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// idempotencyScope names whose keys a key belongs to: a user, or an API key
// of a merchant or partner. Anonymous callers share one scope; the request
// hash keeps one anonymous caller from replaying another's different request.
func idempotencyScope(a identity.Actor) string {
	switch {
	case a.APIKeyID != "" && a.MerchantID != "":
		return "merchant:" + a.MerchantID + "/key:" + a.APIKeyID
	case a.APIKeyID != "" && a.PartnerID != "":
		return "partner:" + a.PartnerID + "/key:" + a.APIKeyID
	case a.APIKeyID != "":
		return "key:" + a.APIKeyID
	case a.UserID != "":
		return "user:" + a.UserID
	}
	return "anonymous"
}

func requestHash(method, uri string, body []byte) string {
	h := sha256.New()
	io.WriteString(h, method)
	h.Write([]byte{0})
	io.WriteString(h, uri)
	h.Write([]byte{0})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// idempotency gives every POST Stripe's Idempotency-Key contract, with no
// code in the routes: the first response (status, body and the headers in
// storedHeaders) is stored with the key, the caller's scope and a digest of
// the request, and committed in the same transaction as the request's work,
// so that a crash between commit and answer still leaves the retry the
// committed answer, never a second effect. A replay answers the stored
// response with Idempotent-Replayed: true; the key with another request is
// 422; a key still in flight is 409. 5xx and 429 answers are not stored (the
// key is released, and a retry runs afresh). It runs after authentication,
// which gives it the caller.
func (s *Server) idempotency(next http.Handler) http.Handler {
	store := s.cfg.Idempotency
	if store == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys := r.Header.Values(idempotencyHeader)
		if r.Method != http.MethodPost || len(keys) == 0 || api.IgnoresIdempotencyKey(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		if len(keys) > 1 || !validIdempotencyKey(keys[0]) {
			writeProblem(w, http.StatusUnprocessableEntity, "Idempotency-Key must be one value of 1 to 255 printable ASCII characters")
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxIdempotentBody+1))
		if err != nil {
			writeProblem(w, http.StatusBadRequest, "the request body could not be read")
			return
		}
		if len(body) > maxIdempotentBody {
			writeProblem(w, http.StatusRequestEntityTooLarge, "the request body is too large")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		ctx := r.Context()
		runCtx, stored, err := store.Claim(ctx, idempotencyScope(api.ActorFrom(ctx)), keys[0], requestHash(r.Method, r.URL.RequestURI(), body))
		if err != nil {
			s.idempotencyFailed(w, r, err)
			return
		}
		if runCtx == nil {
			if err := replay(w, stored); err != nil {
				s.idempotencyFailed(w, r, errs.E("web.idempotency", errs.Internal, err))
			}
			return
		}
		rec := &bufferedWriter{header: w.Header()}
		func() {
			defer func() {
				if v := recover(); v != nil {
					store.Release(runCtx)
					panic(v)
				}
			}()
			handlerCtx := runCtx
			if api.CallsProvider(r.URL.Path) {
				handlerCtx = store.Detach(runCtx)
			}
			next.ServeHTTP(rec, r.WithContext(handlerCtx))
		}()
		status := rec.code()
		if status >= 500 || status == http.StatusTooManyRequests {
			if err := store.Release(runCtx); err != nil {
				s.cfg.Logger.ErrorContext(ctx, "idempotency release", "request_id", RequestID(ctx), "err", err)
			}
			rec.send(w)
			return
		}
		if err := store.Complete(runCtx, status, encodeResponse(status, w.Header(), rec.body.Bytes())); err != nil {
			s.idempotencyFailed(w, r, err)
			return
		}
		rec.send(w)
	})
}

func (s *Server) idempotencyFailed(w http.ResponseWriter, r *http.Request, err error) {
	for _, k := range storedHeaders {
		w.Header().Del(k) // the handler's, if it ran: its answer is not sent
	}
	switch errs.KindOf(err) {
	case errs.Invalid:
		writeProblem(w, http.StatusUnprocessableEntity, errs.Message(err))
	case errs.Conflict:
		w.Header().Set("Retry-After", "1")
		writeProblem(w, http.StatusConflict, errs.Message(err))
	default:
		// Nothing was committed: the same key may be retried.
		s.cfg.Logger.ErrorContext(r.Context(), "idempotency", "request_id", RequestID(r.Context()), "err", err)
		w.Header().Set("Retry-After", "1")
		writeProblem(w, http.StatusServiceUnavailable, "the request could not be completed; nothing was changed, retry with the same Idempotency-Key (error id "+RequestID(r.Context())+")")
	}
}

// encodeResponse records a response as an HTTP/1.1 message (status line,
// the stored headers, body): a standard format that replay parses back.
func encodeResponse(status int, h http.Header, body []byte) []byte {
	kept := http.Header{}
	for _, k := range storedHeaders {
		if v := h.Values(k); len(v) > 0 {
			kept[k] = v
		}
	}
	res := &http.Response{StatusCode: status, ProtoMajor: 1, ProtoMinor: 1, Header: kept,
		ContentLength: int64(len(body)), Body: io.NopCloser(bytes.NewReader(body))}
	var buf bytes.Buffer
	res.Write(&buf) // writes to a buffer cannot fail
	return buf.Bytes()
}

// replay writes a response recorded by encodeResponse.
func replay(w http.ResponseWriter, stored []byte) error {
	res, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(stored)), nil)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	for _, k := range storedHeaders {
		if v := res.Header.Values(k); len(v) > 0 {
			w.Header()[k] = v
		}
	}
	w.Header().Set(replayedHeader, "true")
	if res.StatusCode != http.StatusNoContent && res.StatusCode != http.StatusNotModified {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(res.StatusCode)
	w.Write(body)
	return nil
}

// bufferedWriter holds a response back until its completion is committed.
// Headers go straight to the real writer's map (outer middleware set some
// already); the status and body wait.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufferedWriter) code() int {
	if b.status == 0 {
		return http.StatusOK
	}
	return b.status
}

func (b *bufferedWriter) send(w http.ResponseWriter) {
	w.WriteHeader(b.code())
	w.Write(b.body.Bytes())
}
