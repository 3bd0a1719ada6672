package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/web"
	"github.com/sesame-market/sesame/internal/web/api"
)

// clock is a time the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// send serves one request in process, from the given address, and returns
// the recorded response.
func send(h http.Handler, from, method, path, body string, prep ...func(*http.Request)) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	req.RemoteAddr = from
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, p := range prep {
		p(req)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func withCookie(token string) func(*http.Request) {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: token}) }
}

// checkTooMany asserts that rec is a 429 problem of the rate-limited kind
// with a Retry-After in whole seconds, and returns that wait.
func checkTooMany(t *testing.T, rec *httptest.ResponseRecorder) int {
	t.Helper()
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("429 Content-Type = %q", ct)
	}
	var p struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Type != "/problems/rate-limited" || p.Status != 429 {
		t.Errorf("429 body = %s (%v)", rec.Body, err)
	}
	secs, err := strconv.Atoi(rec.Header().Get("Retry-After"))
	if err != nil || secs < 1 {
		t.Errorf("Retry-After = %q, want whole seconds ≥ 1", rec.Header().Get("Retry-After"))
	}
	return secs
}

// TestRateLimits floods one address and one account with writes and wrong
// passwords: past each limit the answers are 429 with Retry-After, reads
// still pass, other addresses and accounts are not affected, and once the
// clock has moved on the flooded client passes again.
func TestRateLimits(t *testing.T) {
	db := testkit.Open(t, sqlstore.SQLite)
	f := newFixture(t, db)
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	limits := web.DefaultRateLimits()
	limits.Now = clk.Now
	srv, err := web.New(web.Config{Services: f.svc, Logger: slog.New(slog.DiscardHandler), RateLimits: limits})
	if err != nil {
		t.Fatal(err)
	}
	const attacker, other = "198.51.100.7:4000", "203.0.113.9:5000"

	t.Run("writes per address", func(t *testing.T) {
		passed, limited := 0, 0
		for range 1000 {
			rec := send(srv, attacker, "POST", "/api/v1/products", "{}")
			if rec.Code == http.StatusTooManyRequests {
				checkTooMany(t, rec)
				limited++
			} else {
				passed++
			}
		}
		t.Logf("1,000 rapid writes from one address: %d passed, %d got 429", passed, limited)
		if passed != 60 || limited != 940 {
			t.Errorf("1,000 writes: %d passed, %d limited; want the burst of 60 to pass", passed, limited)
		}
		for range 200 {
			if rec := send(srv, attacker, "GET", "/api/v1/channels", ""); rec.Code != 200 {
				t.Fatalf("a read from the flooding address: %d, want 200 (reads are not limited)", rec.Code)
			}
		}
		if rec := send(srv, other, "POST", "/api/v1/products", "{}"); rec.Code == http.StatusTooManyRequests {
			t.Errorf("another address is limited too")
		}
		clk.Add(time.Second) // 20 writes a second
		passed = 0
		for range 25 {
			if send(srv, attacker, "POST", "/api/v1/products", "{}").Code != http.StatusTooManyRequests {
				passed++
			}
		}
		if passed != 20 {
			t.Errorf("a second later, %d writes passed, want 20", passed)
		}
	})

	t.Run("sign-in per address", func(t *testing.T) {
		const guesser = "192.0.2.50:1234"
		// A different e-mail each time, so that the per-account throttle
		// (after 5 failures) leaves the per-address limit to act alone.
		passed, limited, wait := 0, 0, 0
		for i := range 1400 {
			wrong := fmt.Sprintf(`{"email":"guess%d@example.com","password":"not the password"}`, i)
			rec := send(srv, guesser, "POST", "/api/v1/auth/login", wrong)
			switch rec.Code {
			case http.StatusTooManyRequests:
				wait = checkTooMany(t, rec)
				limited++
			case http.StatusUnauthorized:
				passed++
			default:
				t.Fatalf("wrong password: %d %s", rec.Code, rec.Body)
			}
		}
		t.Logf("1,400 wrong passwords from one address: %d answered 401, %d got 429 (Retry-After %d s)", passed, limited, wait)
		if passed != 20 || limited != 1380 {
			t.Errorf("1,400 wrong passwords: %d tried, %d limited; want the sign-in burst of 20 to pass", passed, limited)
		}
		if wait != 6 { // 10 a minute
			t.Errorf("Retry-After = %d, want 6", wait)
		}
		// Another address signs in; registration from the guesser is limited too.
		if rec := send(srv, other, "POST", "/api/v1/auth/login", `{"email":"buyer@example.com","password":"`+pw+`"}`); rec.Code != 200 {
			t.Errorf("sign-in from another address: %d %s", rec.Code, rec.Body)
		}
		checkTooMany(t, send(srv, guesser, "POST", "/api/v1/auth/register", `{"email":"x@example.com","name":"X","password":"`+pw+`"}`))
		checkTooMany(t, send(srv, guesser, "POST", "/api/v1/merchant-applications", "{}"))
		clk.Add(6 * time.Second)
		if rec := send(srv, guesser, "POST", "/api/v1/auth/login", `{"email":"buyer@example.com","password":"`+pw+`"}`); rec.Code != 200 {
			t.Errorf("sign-in after the wait: %d %s", rec.Code, rec.Body)
		}
	})

	t.Run("writes per account", func(t *testing.T) {
		passed, limited := 0, 0
		for i := range 200 {
			// A new address each time: only the account's limit applies.
			from := netip.AddrFrom4([4]byte{10, 1, byte(i / 250), byte(i%250 + 1)}).String() + ":1"
			rec := send(srv, from, "POST", "/api/v1/products", "{}", withCookie(f.cookies["ownerA"]))
			if rec.Code == http.StatusTooManyRequests {
				checkTooMany(t, rec)
				limited++
			} else {
				passed++
			}
		}
		t.Logf("200 writes of one account from 200 addresses: %d passed, %d got 429", passed, limited)
		if passed != 40 || limited != 160 {
			t.Errorf("%d passed, %d limited; want the account's burst of 40", passed, limited)
		}
		if rec := send(srv, "10.9.9.9:1", "POST", "/api/v1/products", "{}", withCookie(f.cookies["ownerB"])); rec.Code == http.StatusTooManyRequests {
			t.Error("another account is limited too")
		}
		if rec := send(srv, "10.9.9.9:1", "GET", "/api/v1/me", "", withCookie(f.cookies["ownerA"])); rec.Code != 200 {
			t.Errorf("a read of the limited account: %d", rec.Code)
		}
		clk.Add(time.Second)
		if rec := send(srv, "10.9.9.8:1", "POST", "/api/v1/products", "{}", withCookie(f.cookies["ownerA"])); rec.Code == http.StatusTooManyRequests {
			t.Error("the account is still limited after the wait")
		}
	})
}

// TestRateLimitAddresses checks which address is limited: the peer, or
// the client named by X-Forwarded-For only behind a trusted proxy; IPv6
// per /64; and that the limiters kept are bounded.
func TestRateLimitAddresses(t *testing.T) {
	db := testkit.Open(t, sqlstore.SQLite)
	f := newFixture(t, db)
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	one := web.Limit{Rate: rate.Every(time.Hour), Burst: 1}
	newSrv := func(maxKeys int, proxies ...string) http.Handler {
		var ps []netip.Prefix
		for _, p := range proxies {
			ps = append(ps, netip.MustParsePrefix(p))
		}
		s, err := web.New(web.Config{Services: f.svc, Logger: slog.New(slog.DiscardHandler), TrustedProxies: ps,
			RateLimits: web.RateLimits{WritePerIP: one, MaxKeys: maxKeys, Now: clk.Now}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	xff := func(v string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("X-Forwarded-For", v) }
	}
	limited := func(h http.Handler, from string, prep ...func(*http.Request)) bool {
		return send(h, from, "POST", "/api/v1/products", "{}", prep...).Code == http.StatusTooManyRequests
	}

	direct := newSrv(0)
	limited(direct, "10.0.0.1:1", xff("198.51.100.1"))
	if !limited(direct, "10.0.0.1:2", xff("198.51.100.2")) {
		t.Error("an untrusted peer escapes its limit by sending X-Forwarded-For")
	}

	proxied := newSrv(0, "10.0.0.0/8")
	limited(proxied, "10.0.0.1:1", xff("198.51.100.1"))
	if limited(proxied, "10.0.0.1:1", xff("198.51.100.2")) {
		t.Error("two clients behind a trusted proxy share one limit")
	}
	if !limited(proxied, "10.0.0.2:1", xff("203.0.113.5, 198.51.100.1")) {
		t.Error("a client forged X-Forwarded-For's left part and escaped its limit")
	}

	if limited(direct, "[2001:db8:1::1]:1") || !limited(direct, "[2001:db8:1::2]:1") {
		t.Error("two addresses of one IPv6 /64 are not limited together")
	}
	if limited(direct, "[2001:db8:2::1]:1") {
		t.Error("another /64 is limited")
	}

	small := newSrv(2)
	limited(small, "192.0.2.1:1")
	if !limited(small, "192.0.2.1:1") {
		t.Fatal("no limit")
	}
	limited(small, "192.0.2.2:1")
	limited(small, "192.0.2.3:1") // evicts 192.0.2.1's limiter
	if limited(small, "192.0.2.1:1") {
		t.Error("more limiters kept than MaxKeys")
	}
}

func TestParseRateLimits(t *testing.T) {
	def := web.DefaultRateLimits()
	for in, want := range map[string]string{
		"":                             def.String(),
		"default":                      "auth-ip=10/m:20,write-ip=20/s:60,write-account=10/s:40",
		"off":                          "off",
		"write-ip=off":                 "auth-ip=10/m:20,write-ip=off,write-account=10/s:40",
		"auth-ip=5/m:10, write-ip=1/s": "auth-ip=5/m:10,write-ip=1/s:1,write-account=10/s:40",
	} {
		got, err := web.ParseRateLimits(in)
		if err != nil || got.String() != want {
			t.Errorf("ParseRateLimits(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"fast", "write-ip=10", "write-ip=10/d", "write-ip=-1/s", "write-ip=1/s:0", "reads=1/s"} {
		if _, err := web.ParseRateLimits(bad); err == nil {
			t.Errorf("ParseRateLimits(%q) succeeded", bad)
		}
	}
}

// TestSecurityHeaders checks the browser protections on a page, an API
// answer, an API error, an unknown route, a wrong method, the stylesheet
// and a refused cross-origin write; HSTS only behind https; and no-store
// on authenticated answers only.
func TestSecurityHeaders(t *testing.T) {
	db := testkit.Open(t, sqlstore.SQLite)
	f := newFixture(t, db)
	https, err := web.New(web.Config{Services: f.svc, Logger: slog.New(slog.DiscardHandler), PublicURL: "https://shop.example"})
	if err != nil {
		t.Fatal(err)
	}
	crossSite := func(r *http.Request) {
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		r.Header.Set("Origin", "https://evil.example")
	}
	cases := []struct {
		name, method, path, body string
		prep                     []func(*http.Request)
		status                   int
	}{
		{"page", "GET", "/", "", nil, 200},
		{"reference page", "GET", "/docs", "", nil, 200},
		{"API", "GET", "/api/v1/channels", "", nil, 200},
		{"API error", "GET", "/api/v1/products/prd_nope", "", nil, 404},
		{"unknown route", "GET", "/nope", "", nil, 404},
		{"wrong method", "DELETE", "/api/v1/channels", "", nil, 405},
		{"stylesheet", "GET", "/static/sesame.css", "", nil, 200},
		{"cross-origin refusal", "POST", "/api/v1/auth/logout", "", []func(*http.Request){crossSite, withCookie(f.cookies["buyer"])}, 403},
	}
	want := map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "strict-origin-when-cross-origin",
	}
	for _, c := range cases {
		for _, h := range []http.Handler{f.web, https} {
			rec := send(h, "192.0.2.1:1", c.method, c.path, c.body, c.prep...)
			if rec.Code != c.status {
				t.Errorf("%s: status %d, want %d: %s", c.name, rec.Code, c.status, rec.Body)
			}
			for k, v := range want {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s: %s = %q, want %q", c.name, k, got, v)
				}
			}
			csp := rec.Header().Get("Content-Security-Policy")
			for _, d := range []string{"default-src 'self'", "style-src 'self'", "img-src 'self' data:", "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'"} {
				if !strings.Contains(csp, d) {
					t.Errorf("%s: CSP %q lacks %q", c.name, csp, d)
				}
			}
			if strings.Contains(csp, "unsafe-inline") {
				t.Errorf("%s: CSP allows inline code: %q", c.name, csp)
			}
			hsts := rec.Header().Get("Strict-Transport-Security")
			if h == https && hsts != "max-age=63072000; includeSubDomains" {
				t.Errorf("%s behind https: HSTS = %q", c.name, hsts)
			}
			if h == f.web && hsts != "" {
				t.Errorf("%s without https: HSTS = %q", c.name, hsts)
			}
		}
	}

	// The pages carry no inline style or script for the CSP to block, and
	// link the stylesheet that is served.
	for _, path := range []string{"/", "/docs", "/problems/invalid"} {
		body := send(f.web, "192.0.2.1:1", "GET", path, "").Body.String()
		if strings.Contains(body, "<style") || strings.Contains(body, "style=") || strings.Contains(body, "<script") {
			t.Errorf("%s has inline style or script", path)
		}
		if !strings.Contains(body, `<link rel="stylesheet" href="/static/sesame.css">`) {
			t.Errorf("%s does not link the stylesheet", path)
		}
	}
	css := send(f.web, "192.0.2.1:1", "GET", "/static/sesame.css", "")
	if ct := css.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/css") || !strings.Contains(css.Body.String(), ".wrap{") {
		t.Errorf("stylesheet: %q %.40s", ct, css.Body)
	}
	if again := send(f.web, "192.0.2.1:1", "GET", "/static/sesame.css", "", func(r *http.Request) {
		r.Header.Set("If-None-Match", css.Header().Get("Etag"))
	}); again.Code != http.StatusNotModified {
		t.Errorf("stylesheet revalidation: %d, want 304", again.Code)
	}

	key := createKey(t, f)
	bearer := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+key) }
	for _, c := range []struct {
		name, method, path, body string
		prep                     []func(*http.Request)
		noStore                  bool
	}{
		{"anonymous read", "GET", "/api/v1/channels", "", nil, false},
		{"signed-in read", "GET", "/api/v1/me", "", []func(*http.Request){withCookie(f.cookies["buyer"])}, true},
		{"signed-in public read", "GET", "/api/v1/channels", "", []func(*http.Request){withCookie(f.cookies["buyer"])}, true},
		{"API-key read", "GET", "/api/v1/merchants/" + f.ids["A"] + "/products", "", []func(*http.Request){bearer}, true},
		{"wrong API key", "GET", "/api/v1/channels", "", []func(*http.Request){func(r *http.Request) { r.Header.Set("Authorization", "Bearer sesame_wrong") }}, true},
		{"sign-in", "POST", "/api/v1/auth/login", `{"email":"buyer@example.com","password":"` + pw + `"}`, nil, true},
		{"signed-in page", "GET", "/", "", []func(*http.Request){withCookie(f.cookies["buyer"])}, true},
	} {
		rec := send(f.web, "192.0.2.1:1", c.method, c.path, c.body, c.prep...)
		if got := rec.Header().Get("Cache-Control") == "no-store"; got != c.noStore {
			t.Errorf("%s (%d): Cache-Control = %q, want no-store: %v", c.name, rec.Code, rec.Header().Get("Cache-Control"), c.noStore)
		}
	}
}

func createKey(t *testing.T, f *fixture) string {
	t.Helper()
	rec := send(f.web, "192.0.2.1:1", "POST", "/api/v1/merchants/"+f.ids["A"]+"/api-keys", `{"name":"erp"}`, withCookie(f.cookies["ownerA"]))
	var out struct {
		Key string `json:"key"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Key == "" {
		t.Fatalf("create key: %d %s", rec.Code, rec.Body)
	}
	return out.Key
}

// checkProblem asserts rec is a problem+json document of the given status
// and type, and returns it.
func checkProblem(t *testing.T, name string, rec *httptest.ResponseRecorder, status int, typ string) problemBody {
	t.Helper()
	var p problemBody
	if rec.Code != status {
		t.Errorf("%s: status %d, want %d: %s", name, rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: Content-Type %q, want application/problem+json", name, ct)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Errorf("%s: body is not JSON (%v): %q", name, err, rec.Body)
	}
	if p.Type != typ || p.Status != status {
		t.Errorf("%s: type %q status %d, want %q %d", name, p.Type, p.Status, typ, status)
	}
	return p
}

// TestErrorsAreProblems checks that the answers Sesame's own middleware
// and router give, not only the API's, are problem+json of the right kind.
func TestErrorsAreProblems(t *testing.T) {
	db := testkit.Open(t, sqlstore.SQLite)
	f := newFixture(t, db)
	h := f.web
	crossSite := func(r *http.Request) {
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		r.Header.Set("Origin", "https://evil.example")
	}
	checkProblem(t, "cross-origin write", send(h, "192.0.2.1:1", "POST", "/api/v1/auth/logout", "", crossSite, withCookie(f.cookies["buyer"])), 403, "/problems/forbidden")
	checkProblem(t, "unsupported media type", send(h, "192.0.2.1:1", "POST", "/api/v1/auth/login", "email=a", func(r *http.Request) {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}), 415, "/problems/unsupported-media-type")
	checkProblem(t, "unknown route", send(h, "192.0.2.1:1", "GET", "/no/such/page", ""), 404, "/problems/not-found")
	checkProblem(t, "unknown API route", send(h, "192.0.2.1:1", "GET", "/api/v1/nothing", ""), 404, "/problems/not-found")
	checkProblem(t, "unknown problem type", send(h, "192.0.2.1:1", "GET", "/problems/nothing", ""), 404, "/problems/not-found")
	p := checkProblem(t, "control characters in the path", send(h, "192.0.2.1:1", "GET", "/a%01b%22%E2%80%A8", ""), 404, "/problems/not-found")
	if !strings.Contains(p.Detail, "/a\x01b\"\u2028") {
		t.Errorf("detail %q lost the path", p.Detail)
	}
	rec := send(h, "192.0.2.1:1", "DELETE", "/api/v1/channels", "")
	checkProblem(t, "wrong method", rec, 405, "/problems/invalid")
	if allow := rec.Header().Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") || strings.Contains(allow, "DELETE") {
		t.Errorf("405 Allow = %q", allow)
	}
	rec = send(h, "192.0.2.1:1", "POST", "/docs", "")
	checkProblem(t, "write to a page", rec, 405, "/problems/invalid")
	if allow := rec.Header().Get("Allow"); allow != "GET, HEAD" {
		t.Errorf("405 Allow on /docs = %q", allow)
	}
	// Exact routes still answer.
	if rec := send(h, "192.0.2.1:1", "GET", "/healthz", ""); rec.Code != 200 {
		t.Errorf("healthz: %d", rec.Code)
	}
	if rec := send(h, "192.0.2.1:1", "HEAD", "/", ""); rec.Code != 200 {
		t.Errorf("HEAD /: %d", rec.Code)
	}

	// The document declares 415 and 429 (with Retry-After) on writes.
	doc := f.web.API().OpenAPI()
	login := doc.Paths["/api/v1/auth/login"].Post
	if login.Responses["415"] == nil || login.Responses["429"] == nil || login.Responses["429"].Headers["Retry-After"] == nil {
		t.Errorf("login's documented responses lack 415 or 429 with Retry-After")
	}
	if doc.Paths["/api/v1/channels"].Get.Responses["429"] != nil {
		t.Errorf("a read documents 429, but reads are not limited")
	}
}

// syncBuf is a log sink read while the server writes.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestPanicAnswerCarriesRequestID makes a handler panic: the answer is a
// 500 problem whose error id is the request's id, found in the log.
func TestPanicAnswerCarriesRequestID(t *testing.T) {
	db := testkit.Open(t, sqlstore.SQLite)
	f := newFixture(t, db)
	var logs syncBuf
	srv, err := web.New(web.Config{Services: f.svc, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Ping: func(context.Context) error { panic("boom") }})
	if err != nil {
		t.Fatal(err)
	}
	rec := send(srv, "192.0.2.1:1", "GET", "/healthz", "")
	p := checkProblem(t, "panic", rec, 500, "/problems/internal")
	id := rec.Header().Get("X-Request-Id")
	if id == "" || !strings.Contains(p.Detail, "(error id "+id+")") {
		t.Errorf("panic answer %q does not carry the request id %q", p.Detail, id)
	}
	if !strings.Contains(logs.String(), "request_id="+id) || !strings.Contains(logs.String(), "boom") {
		t.Errorf("the panic is not logged with the request id:\n%s", logs.String())
	}
}

// TestAbandonedRequestIsNotAnError has a client give up on a slow request:
// the server logs it at debug level, never as an error, and counts it.
func TestAbandonedRequestIsNotAnError(t *testing.T) {
	db := testkit.Open(t, sqlstore.SQLite)
	f := newFixture(t, db)
	var logs syncBuf
	entered := make(chan struct{}, 1)
	srv, err := web.New(web.Config{Services: f.svc, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Ping: func(ctx context.Context) error {
			entered <- struct{}{}
			<-ctx.Done() // a database that does not answer before the client leaves
			return ctx.Err()
		}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/healthz", nil)
	go func() { <-entered; cancel() }()
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Fatal("the request was answered")
	}
	deadline := time.Now().Add(5 * time.Second)
	for srv.Abandoned() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := srv.Abandoned(); n != 1 {
		t.Errorf("abandoned = %d, want 1", n)
	}
	out := logs.String()
	if strings.Contains(out, "level=ERROR") {
		t.Errorf("an abandoned request is logged as an error:\n%s", out)
	}
	if !strings.Contains(out, "level=DEBUG msg=\"request abandoned by the client\"") {
		t.Errorf("the abandoned request is not logged at debug level:\n%s", out)
	}
}

// TestTwoServersKeepTheirOwnLoggers builds two servers in one process: an
// internal error in the first is logged by the first's logger with the id
// its client sees, not by the one built last.
func TestTwoServersKeepTheirOwnLoggers(t *testing.T) {
	db := testkit.Open(t, sqlstore.SQLite)
	f := newFixture(t, db)
	var first, second syncBuf
	s1, err := web.New(web.Config{Services: f.svc, Logger: slog.New(slog.NewTextHandler(&first, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := web.New(web.Config{Services: f.svc, Logger: slog.New(slog.NewTextHandler(&second, nil))}); err != nil {
		t.Fatal(err)
	}
	db.Close() // every query now fails on Sesame's side
	rec := send(s1, "192.0.2.1:1", "GET", "/api/v1/channels", "")
	if rec.Code < 500 {
		t.Fatalf("status %d on a closed database", rec.Code)
	}
	id := rec.Header().Get("X-Request-Id")
	var p problemBody
	json.Unmarshal(rec.Body.Bytes(), &p)
	if rec.Code == 500 && !strings.Contains(p.Detail, "(error id "+id+")") {
		t.Errorf("detail %q lacks the error id %s", p.Detail, id)
	}
	if rec.Code == 500 && !strings.Contains(first.String(), "request_id="+id) {
		t.Errorf("the first server's logger did not get the error:\n%s", first.String())
	}
	if second.String() != "" {
		t.Errorf("the second server's logger got the first's error:\n%s", second.String())
	}
}
