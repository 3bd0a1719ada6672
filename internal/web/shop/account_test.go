package shop_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/demo"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/web/api"
)

// visitor is a person's browser on the store: it keeps cookies, shows
// redirects instead of following them, and sends its forms as a page of the
// store would (same origin).
type visitor struct {
	s *store
	c *http.Client
}

func (s *store) visitor() *visitor {
	jar, err := cookiejar.New(nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return &visitor{s: s, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *visitor) do(req *http.Request) (*http.Response, string) {
	b.s.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.s.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 500 {
		b.s.t.Fatalf("%s %s: %d\n%s", req.Method, req.URL.Path, res.StatusCode, body)
	}
	return res, string(body)
}

func (b *visitor) get(path string) (*http.Response, string) {
	b.s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.s.srv.URL+path, nil)
	return b.do(req)
}

// post sends a form; origin is the page's origin ("" for the store's own).
func (b *visitor) post(path, origin string, form url.Values) (*http.Response, string) {
	b.s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.s.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin == "" {
		origin = b.s.srv.URL
	}
	req.Header.Set("Origin", origin)
	return b.do(req)
}

func (b *visitor) session() string {
	u, _ := url.Parse(b.s.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == api.SessionCookie {
			return c.Value
		}
	}
	return ""
}

func wantRedirect(t *testing.T, res *http.Response, status int, to string) {
	t.Helper()
	if res.StatusCode != status || res.Header.Get("Location") != to {
		t.Fatalf("answer %d to %q, want %d to %q", res.StatusCode, res.Header.Get("Location"), status, to)
	}
}

// buyerEmail is the demo buyer's account.
const buyerEmail = "buyer@sesame.example"

func TestAccountPages(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newStore(t, db, 20)
		ctx := context.Background()
		b := s.visitor()

		// Signed out: the header offers to sign in, back to the same page;
		// the account page sends to the sign-in page.
		_, body := b.get("/bazaar/fr/new")
		if !strings.Contains(body, `href="/bazaar/fr/signin?next=%2fbazaar%2ffr%2fnew"`) {
			t.Errorf("the header does not offer to sign in and come back:\n%s", body)
		}
		res, _ := b.get("/bazaar/fr/account")
		wantRedirect(t, res, http.StatusSeeOther, "/bazaar/fr/signin?next=%2Fbazaar%2Ffr%2Faccount")

		// The form pages are not indexed and carry labelled fields.
		_, body = b.get("/bazaar/fr/register?next=/bazaar/fr/new")
		for _, want := range []string{`<meta name="robots" content="noindex">`, `<label for="email">E-mail</label>`, `autocomplete="new-password"`, `name="next" value="/bazaar/fr/new"`} {
			if !strings.Contains(body, want) {
				t.Errorf("registration page lacks %q", want)
			}
		}

		// Bad input: a clear message on the form, filled in again (never
		// the password), and no account.
		res, body = b.post("/bazaar/fr/register", "", url.Values{"name": {"Nora"}, "email": {"not-an-email"}, "password": {"long-enough-secret"}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Saisissez une adresse e-mail valide.") ||
			!strings.Contains(body, `value="not-an-email" aria-invalid="true"`) || strings.Contains(body, "long-enough-secret") {
			t.Fatalf("invalid e-mail: %d\n%s", res.StatusCode, body)
		}
		res, body = b.post("/bazaar/fr/register", "", url.Values{"name": {"Nora"}, "email": {"nora@example.com"}, "password": {"short"}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "de 10 à 128 caractères") {
			t.Fatalf("short password: %d\n%s", res.StatusCode, body)
		}
		if _, err := db.Identity().UserByEmail(ctx, "nora@example.com"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("a refused registration stored an account: %v", err)
		}

		// A post from another site is refused and changes nothing.
		res, _ = b.post("/bazaar/fr/register", "https://evil.example", url.Values{"name": {"Nora"}, "email": {"nora@example.com"}, "password": {"long-enough-secret"}})
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-site registration: %d", res.StatusCode)
		}
		if _, err := db.Identity().UserByEmail(ctx, "nora@example.com"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("a cross-site registration stored an account: %v", err)
		}

		// Registration signs the buyer in and returns to the page named,
		// never to another site.
		res, _ = b.post("/bazaar/fr/register", "", url.Values{"name": {"Nora Acheteuse"}, "email": {"Nora@Example.com"}, "password": {"long-enough-secret"}, "next": {"https://evil.example/"}})
		wantRedirect(t, res, http.StatusSeeOther, "/bazaar/fr/")
		if b.session() == "" {
			t.Fatal("registration set no session cookie")
		}
		_, body = b.get("/bazaar/fr/account")
		if !strings.Contains(body, "<dd>Nora Acheteuse</dd>") || !strings.Contains(body, "<dd>nora@example.com</dd>") {
			t.Fatalf("account page:\n%s", body)
		}
		res, _ = b.get("/bazaar/fr/new")
		if !strings.Contains(res.Header.Get("Cache-Control"), "no-store") {
			t.Errorf("a signed-in page may be kept by caches: Cache-Control %q", res.Header.Get("Cache-Control"))
		}
		res, _ = b.get("/bazaar/fr/signin")
		wantRedirect(t, res, http.StatusSeeOther, "/bazaar/fr/")

		// The same e-mail again is a conflict, shown on the form.
		other := s.visitor()
		res, body = other.post("/bazaar/en/register", "", url.Values{"name": {"Imposter"}, "email": {"nora@example.com"}, "password": {"another-secret-1"}})
		if res.StatusCode != http.StatusConflict || !strings.Contains(body, "An account already uses this e-mail") {
			t.Fatalf("taken e-mail: %d\n%s", res.StatusCode, body)
		}

		// Sign out ends the session on the server, not only the cookie.
		token := b.session()
		res, _ = b.post("/bazaar/fr/signout", "", nil)
		wantRedirect(t, res, http.StatusSeeOther, "/bazaar/fr/")
		if _, err := s.svc.Identity.Authenticate(ctx, token); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("the session outlived sign-out: %v", err)
		}
		res, _ = b.get("/bazaar/fr/account")
		wantRedirect(t, res, http.StatusSeeOther, "/bazaar/fr/signin?next=%2Fbazaar%2Ffr%2Faccount")

		// Sign-in: a wrong password keeps the e-mail and says so; the
		// right one returns to the page.
		res, body = b.post("/mall/zh/signin", "", url.Values{"email": {buyerEmail}, "password": {"wrong password"}, "next": {"/mall/zh/new"}})
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "电子邮箱或密码错误。") || !strings.Contains(body, `value="`+buyerEmail+`"`) {
			t.Fatalf("wrong password: %d\n%s", res.StatusCode, body)
		}
		res, _ = b.post("/mall/zh/signin", "", url.Values{"email": {buyerEmail}, "password": {demo.Password}, "next": {"/mall/zh/new"}, "remember": {"1"}})
		wantRedirect(t, res, http.StatusSeeOther, "/mall/zh/new")
		for _, c := range res.Cookies() {
			if c.Name == api.SessionCookie && (c.MaxAge <= 0 || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode) {
				t.Errorf("a remembered session's cookie: %+v", c)
			}
		}
		_, body = b.get("/mall/zh/new")
		if !strings.Contains(body, `href="/mall/zh/account"`) {
			t.Error("a signed-in page does not link the account")
		}

		// Guessing is slowed down: the sixth failure waits, and says how long.
		g := s.visitor()
		var last *http.Response
		for range 6 {
			last, body = g.post("/bazaar/en/signin", "", url.Values{"email": {"guess@example.com"}, "password": {"guess-guess"}})
		}
		if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" || !strings.Contains(body, "Too many attempts") {
			t.Fatalf("sixth failed sign-in: %d Retry-After %q\n%s", last.StatusCode, last.Header.Get("Retry-After"), body)
		}
	})
}

// TestAccountHostileInput: forms of megabytes, invalid UTF-8, markup and
// unknown storefronts get a clear answer, never a 500, never markup.
func TestAccountHostileInput(t *testing.T) {
	s := newStore(t, testkit.Open(t, sqlstore.SQLite), 5)
	b := s.visitor()
	for _, c := range []struct {
		path string
		form url.Values
		want int
	}{
		{"/bazaar/fr/signin", url.Values{"email": {`<script>alert(1)</script>@x.example`}, "password": {"x"}}, http.StatusUnauthorized},
		{"/bazaar/fr/signin", url.Values{"email": {"a\xff@x.example"}, "password": {"x"}}, http.StatusBadRequest},
		{"/bazaar/fr/register", url.Values{"name": {`"><img src=x onerror=alert(1)>`}, "email": {"x@"}, "password": {"long-enough-secret"}}, http.StatusBadRequest},
		{"/bazaar/fr/register", url.Values{"name": {strings.Repeat("n", 20000)}, "email": {"big@x.example"}, "password": {"long-enough-secret"}}, http.StatusBadRequest},
		{"/nowhere/fr/signin", url.Values{"email": {"a@x.example"}, "password": {"x"}}, http.StatusNotFound},
		{"/bazaar/xx/signin", url.Values{"email": {"a@x.example"}, "password": {"x"}}, http.StatusNotFound},
	} {
		res, body := b.post(c.path, "", c.form)
		if res.StatusCode != c.want {
			t.Errorf("POST %s: %d, want %d\n%s", c.path, res.StatusCode, c.want, body)
		}
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
			t.Errorf("POST %s reflects markup:\n%s", c.path, body)
		}
	}
}
