package web_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/web/api"
)

// consoleRoute is a page or a form of the operator's console, with what
// its operator gets.
type consoleRoute struct {
	method, path string // path with {fixture} placeholders
	form         url.Values
	status       int // the operator's
}

// consoleRoutes are the console's pages and forms against the fixture's
// merchants and brands; the forms come after the pages, each leaving the
// next one something to do.
func consoleRoutes() []consoleRoute {
	return []consoleRoute{
		{"GET", "/admin/en/", nil, http.StatusOK},
		{"GET", "/admin/en/applications", nil, http.StatusOK},
		{"GET", "/admin/fr/applications?status=rejected", nil, http.StatusOK},
		{"GET", "/admin/zh/applications/{C1}", nil, http.StatusOK},
		{"GET", "/admin/en/brands", nil, http.StatusOK},
		{"GET", "/admin/en/brands/{marketBrand}", nil, http.StatusOK},
		{"POST", "/admin/en/applications/{C1}/approve", nil, http.StatusSeeOther},
		{"POST", "/admin/en/applications/{C2}/reject", url.Values{"reason": {"unknown trade register number"}}, http.StatusSeeOther},
		{"POST", "/admin/en/brands", url.Values{"slug": {"console-brand"}, "name": {"Console Brand"}}, http.StatusSeeOther},
		{"POST", "/admin/en/brands/{marketBrand}/authorise", url.Values{"merchant": {"{D}"}}, http.StatusSeeOther},
		{"POST", "/admin/en/brands/{marketBrand}/revoke", url.Values{"merchant": {"{B}"}}, http.StatusSeeOther},
		{"GET", "/admin/en/disputes", nil, http.StatusOK},
		{"GET", "/admin/fr/disputes?status=", nil, http.StatusOK},
		{"GET", "/admin/zh/disputes/{disputeEscalated}", nil, http.StatusOK},
		{"POST", "/admin/en/disputes/{disputeOpen}/message", url.Values{"message": {"We are looking into it."}}, http.StatusSeeOther},
		{"POST", "/admin/en/disputes/{disputeEscalated}/decide", url.Values{"refund": {"0,01"}, "message": {"Partly right."}}, http.StatusSeeOther},
		{"GET", "/admin/fr/payouts", nil, http.StatusOK},
		{"POST", "/admin/en/payouts/run", nil, http.StatusOK},
		// Last: suspending A ends its owner's sessions.
		{"POST", "/admin/en/applications/{A}/suspend", url.Values{"reason": {"counterfeits"}}, http.StatusSeeOther},
	}
}

// consoleDo sends a console request as actor (a session or an API key)
// from origin ("" for none), without following a redirect.
func (f *fixture) consoleDo(actor, method, path, origin string, form url.Values) (*http.Response, string) {
	f.t.Helper()
	var body io.Reader
	if form != nil {
		vs := url.Values{}
		for k, v := range form {
			for _, x := range v {
				vs.Add(k, f.expand(x))
			}
		}
		body = strings.NewReader(vs.Encode())
	}
	req, _ := http.NewRequest(method, f.srv.URL+f.expand(path), body)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
	}
	if c := f.cookies[actor]; c != "" {
		req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: c})
	}
	if k := f.keys[actor]; k != "" {
		req.Header.Set("Authorization", "Bearer "+k)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res, string(out)
}

// TestConsoleAccessTable: every page and form of the operator's console,
// as every actor who is no operator (buyers, merchant staff, partners, by
// session or API key), answers as an unknown address does, 404, and
// changes nothing; signed out, it sends to the console's sign-in page; a
// form posted from another site is refused even for an operator. Then the
// operator's request succeeds, proving the refusals were about rights.
func TestConsoleAccessTable(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		f.buyingFixture()
		unknown := map[string]string{}
		for _, lang := range []string{"en", "fr", "zh"} {
			res, body := f.consoleDo("buyer", "GET", "/admin/"+lang+"/no-such-page", "", nil)
			if res.StatusCode != http.StatusNotFound {
				t.Fatalf("an unknown console page: %d", res.StatusCode)
			}
			unknown[lang] = body
		}
		denied := append(except("operator"), "keyB")
		for _, r := range consoleRoutes() {
			name := r.method + " " + r.path
			lang := strings.Split(r.path, "/")[2]
			for _, actor := range denied {
				before := f.fingerprint()
				res, body := f.consoleDo(actor, r.method, r.path, "", r.form)
				if res.StatusCode != http.StatusNotFound || body != unknown[lang] {
					t.Errorf("%s as %s: %d, not the unknown page\n%s", name, actor, res.StatusCode, body)
				}
				if f.fingerprint() != before {
					t.Errorf("%s as %s changed the database", name, actor)
				}
			}
			before := f.fingerprint()
			res, _ := f.consoleDo("", r.method, r.path, "", r.form)
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/admin/") || !strings.Contains(res.Header.Get("Location"), "/signin?next=") {
				t.Errorf("%s signed out: %d to %q", name, res.StatusCode, res.Header.Get("Location"))
			}
			if r.method == http.MethodPost {
				if res, _ := f.consoleDo("operator", r.method, r.path, "https://evil.example", r.form); res.StatusCode != http.StatusForbidden {
					t.Errorf("%s from another site: %d", name, res.StatusCode)
				}
			}
			if f.fingerprint() != before {
				t.Errorf("%s signed out or from another site changed the database", name)
			}
			if res, body := f.consoleDo("operator", r.method, r.path, "", r.form); res.StatusCode != r.status {
				t.Errorf("%s as the operator: %d, want %d\n%s", name, res.StatusCode, r.status, body)
			}
		}
	})
}
