package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// contentSecurityPolicy allows only Sesame's own scripts, styles and
// images (no inline script or style: the pages use /static/sesame.css),
// images as data: URLs and from https hosts too (merchants' product photos
// may live on their own image hosts), and no framing by any other site.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; object-src 'none'; " +
	"frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

// hstsValue is sent when Sesame's public URL is https: two years, as the
// HSTS preload list asks.
const hstsValue = "max-age=63072000; includeSubDomains"

// one returns a header value slice of length and capacity 1: it is shared
// by every response without allocating, and an Add on it copies.
func one(v string) []string { return []string{v}[:1:1] }

var (
	cspHeader       = one(contentSecurityPolicy)
	nosniffHeader   = one("nosniff")
	denyHeader      = one("DENY")
	referrerHeader  = one("strict-origin-when-cross-origin")
	hstsHeader      = one(hstsValue)
	noStoreHeader   = one("no-store")
	cssTypeHeader   = one("text/css; charset=utf-8")
	cssCacheHeader  = one("public, max-age=86400")
	headerCSP       = http.CanonicalHeaderKey("Content-Security-Policy")
	headerNosniff   = http.CanonicalHeaderKey("X-Content-Type-Options")
	headerFrame     = http.CanonicalHeaderKey("X-Frame-Options")
	headerReferrer  = http.CanonicalHeaderKey("Referrer-Policy")
	headerHSTS      = http.CanonicalHeaderKey("Strict-Transport-Security")
	headerCache     = http.CanonicalHeaderKey("Cache-Control")
	headerSetCookie = http.CanonicalHeaderKey("Set-Cookie")
)

// secureHeaders puts the browser protections on every response (pages,
// API, errors, static files), before anything else can write.
func (s *Server) secureHeaders(next http.Handler) http.Handler {
	hsts := strings.HasPrefix(s.cfg.PublicURL, "https://")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h[headerCSP] = cspHeader
		h[headerNosniff] = nosniffHeader
		h[headerFrame] = denyHeader
		h[headerReferrer] = referrerHeader
		if hsts {
			h[headerHSTS] = hstsHeader
		}
		next.ServeHTTP(w, r)
	})
}

// noStoreWriter makes a response private to its reader: an authenticated
// response, or one that sets a cookie, is never kept by a browser or a
// shared cache, whatever Cache-Control the handler chose, unless that
// already says no-store.
type noStoreWriter struct {
	http.ResponseWriter
	authenticated bool
	done          bool
}

func (w *noStoreWriter) guard() {
	if w.done {
		return
	}
	w.done = true
	h := w.Header()
	if !w.authenticated && h[headerSetCookie] == nil {
		return
	}
	if !strings.Contains(h.Get(headerCache), "no-store") {
		h[headerCache] = noStoreHeader
	}
}

func (w *noStoreWriter) WriteHeader(code int) {
	w.guard()
	w.ResponseWriter.WriteHeader(code)
}

func (w *noStoreWriter) Write(b []byte) (int, error) {
	w.guard()
	return w.ResponseWriter.Write(b)
}

func (w *noStoreWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

//go:embed static/sesame.css
var staticFS embed.FS

// stylesheet is the pages' one stylesheet; its ETag is its content hash,
// so a browser revalidates it cheaply after a day.
func (s *Server) stylesheet() http.HandlerFunc {
	css, err := staticFS.ReadFile("static/sesame.css")
	if err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	sum := sha256.Sum256(css)
	etag := one(`"` + hex.EncodeToString(sum[:8]) + `"`)
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = cssTypeHeader
		h[headerCache] = cssCacheHeader
		h["Etag"] = etag
		http.ServeContent(w, r, "sesame.css", time.Time{}, bytes.NewReader(css))
	}
}
