package web_test

import (
	"bytes"
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/web/api"
)

type problemBody struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Message  string `json:"message"`
		Location string `json:"location"`
		Value    any    `json:"value"`
	} `json:"errors"`
}

func decodeProblem(t *testing.T, b []byte) problemBody {
	t.Helper()
	var p problemBody
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("not a problem: %v: %s", err, b)
	}
	return p
}

// TestErrorsSayWhereAndHideSecrets: a bad cursor is reported at the query
// parameter, a refused password is never echoed, and enum messages list
// exactly the allowed values.
func TestErrorsSayWhereAndHideSecrets(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		for _, path := range []string{"/api/v1/merchants/{A}/products?cursor=bogus", "/api/v1/products?channel=bazaar&cursor=bogus"} {
			status, out := f.do("ownerA", "GET", path, nil)
			p := decodeProblem(t, out)
			if status != 422 || len(p.Errors) != 1 || p.Errors[0].Location != "query.cursor" {
				t.Errorf("GET %s: %d %s, want 422 at query.cursor", path, status, out)
			}
		}

		secret := "short"
		status, out := f.do("", "POST", "/api/v1/auth/register", map[string]any{"email": "x@example.com", "name": "X", "password": secret})
		if status != 422 || bytes.Contains(out, []byte(secret)) {
			t.Errorf("register with a short password: %d %s (the password must not be echoed)", status, out)
		}
		a := app("y@example.com")
		a["owner"].(map[string]any)["password"] = strings.Repeat("p", 200)
		status, out = f.do("", "POST", "/api/v1/merchant-applications", a)
		if status != 422 || bytes.Contains(out, []byte(strings.Repeat("p", 200))) {
			t.Errorf("apply with a long password: %d %.300s (the password must not be echoed)", status, out)
		}
		if p := decodeProblem(t, out); len(p.Errors) == 0 || p.Errors[0].Location != "body.owner.password" {
			t.Errorf("apply with a long password: errors %+v, want one at body.owner.password", p.Errors)
		}

		status, out = f.do("operator", "GET", "/api/v1/merchants?status=bogus", nil)
		if status != 422 || !bytes.Contains(out, []byte("pending, approved, rejected, suspended")) || bytes.Contains(out, []byte("suspended, ")) {
			t.Errorf("bad status filter: %d %s", status, out)
		}
		if status, out := f.do("operator", "GET", "/api/v1/merchants", nil); status != 200 {
			t.Errorf("no status filter: %d %s", status, out)
		}

		status, out = f.do("operator", "POST", "/api/v1/merchants/{A}/approve", nil)
		if p := decodeProblem(t, out); status != 409 || strings.Contains(p.Detail, "a approved") || !strings.Contains(p.Detail, "approved") {
			t.Errorf("approve an approved merchant: %d %s", status, out)
		}
		if p := decodeProblem(t, out); p.Type != api.ProblemBase+"conflict" {
			t.Errorf("problem type = %q", p.Type)
		}
	})
}

// TestProductReads: without a channel, each price names its channel; the
// language follows lang=, else Accept-Language.
func TestProductReads(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		if status, out := f.do("ownerA", "PATCH", "/api/v1/products/{productA}", map[string]any{"translations": map[string]any{"fr": map[string]any{"title": "Coque"}}}); status != 200 {
			t.Fatalf("patch: %d %s", status, out)
		}
		var v struct {
			Lang     string `json:"lang"`
			Title    string `json:"title"`
			Variants []struct {
				Prices []struct {
					Channel  string `json:"channel"`
					Currency string `json:"currency"`
				} `json:"prices"`
			} `json:"variants"`
		}
		_, out := f.do("", "GET", "/api/v1/products/{productA}", nil)
		json.Unmarshal(out, &v)
		got := map[string]string{}
		for _, p := range v.Variants[0].Prices {
			got[p.Channel] = p.Currency
		}
		if len(got) != 2 || got["bazaar"] != "EUR" || got["mall"] != "CNY" {
			t.Errorf("prices without a channel: %s", out)
		}
		_, out = f.do("", "GET", "/api/v1/products/{productA}?channel=bazaar", nil)
		v.Variants = nil
		json.Unmarshal(out, &v)
		if len(v.Variants) != 1 || len(v.Variants[0].Prices) != 1 || v.Variants[0].Prices[0].Channel != "" {
			t.Errorf("prices on bazaar: %s", out)
		}

		for _, tc := range []struct{ path, accept, lang string }{
			{"/api/v1/products/{productA}", "fr-FR,fr;q=0.9,en;q=0.5", "fr"},
			{"/api/v1/products/{productA}?channel=bazaar", "fr-FR,fr;q=0.9", "fr"},
			{"/api/v1/products/{productA}?channel=bazaar&lang=en", "fr", "en"},
			{"/api/v1/products/{productA}", "de", "en"},
		} {
			if got := f.withHeader("Accept-Language", tc.accept, func() []byte { _, b := f.do("", "GET", tc.path, nil); return b }); !bytes.Contains(got, []byte(`"lang":"`+tc.lang+`"`)) {
				t.Errorf("GET %s with Accept-Language %s: %s, want lang %s", tc.path, tc.accept, got, tc.lang)
			}
		}
		var page struct {
			Lang string `json:"lang"`
		}
		json.Unmarshal(f.withHeader("Accept-Language", "fr", func() []byte { _, b := f.do("", "GET", "/api/v1/products?channel=bazaar", nil); return b }), &page)
		if page.Lang != "fr" {
			t.Errorf("list with Accept-Language fr: lang %q", page.Lang)
		}
	})
}

// TestReferencePage: /docs is valid enough HTML (ids are unique and made of
// allowed characters, anchors point at ids), shows each request body's
// fields and an example, and the examples it shows are valid requests.
func TestReferencePage(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		status, page := f.do("", "GET", "/docs", nil)
		if status != 200 {
			t.Fatalf("/docs: %d", status)
		}
		ids := map[string]bool{}
		for _, m := range regexp.MustCompile(`\sid="([^"]*)"`).FindAllSubmatch(page, -1) {
			id := string(m[1])
			if !regexp.MustCompile(`^[a-z][a-z0-9-]*$`).MatchString(id) {
				t.Errorf("id %q is not a valid id", id)
			}
			if ids[id] {
				t.Errorf("id %q twice", id)
			}
			ids[id] = true
		}
		for _, m := range regexp.MustCompile(`href="#([^"]*)"`).FindAllSubmatch(page, -1) {
			if !ids[string(m[1])] {
				t.Errorf("anchor #%s points nowhere", m[1])
			}
		}
		for _, want := range []string{"translations.{key}.title", "variants[].prices[].amount", "min length 10", "pattern ^[A-Z]{2}$",
			"one of pending, approved, rejected, suspended", `&#34;amount&#34;: 1250`, "Example response", `rel="icon"`, "/docs/guide"} {
			if !bytes.Contains(page, []byte(want)) {
				t.Errorf("/docs lacks %q", want)
			}
		}
		// Each example request body shown is one the API accepts.
		art := regexp.MustCompile(`(?s)<span class="m (\w+)">\w+</span><code>([^<]+)</code>.*?Example request body</summary><pre><code>(.*?)</code></pre>`)
		n := 0
		for _, chunk := range bytes.Split(page, []byte(`<article class="op"`)) {
			m := art.FindSubmatch(chunk)
			if m == nil {
				continue
			}
			n++
			path := regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(html.UnescapeString(string(m[2])), "x1")
			body := []byte(html.UnescapeString(string(m[3])))
			req, _ := http.NewRequest(string(m[1]), f.srv.URL+path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: "x"})
			if err := f.contract().CheckRequest(req, body); err != nil {
				t.Errorf("example: %v\n%s", err, body)
			}
		}
		if n < 20 {
			t.Errorf("only %d example request bodies on /docs", n)
		}

		status, icon := f.do("", "GET", "/favicon.ico", nil)
		if status != 200 || !bytes.HasPrefix(icon, []byte("<svg")) {
			t.Errorf("/favicon.ico: %d %.100s", status, icon)
		}
	})
}
