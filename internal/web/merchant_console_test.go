package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestMerchantConsoleAccessTable walks the merchants' console as every
// actor: merchant A's own pages and forms are its owner's alone (every
// other actor, another merchant's owner and API keys included, gets the
// page of an unknown address and changes nothing); the console's general
// pages are any staff member's, each showing only its own merchant;
// signed out, every address sends to the sign-in page; a post from
// another site is refused.
func TestMerchantConsoleAccessTable(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		f.buyingFixture()
		unknown := map[string]string{}
		for _, lang := range []string{"en", "fr", "zh"} {
			res, body := f.consoleDo("buyer", "GET", "/merchant/"+lang+"/no-such-page", "", nil)
			if res.StatusCode != http.StatusNotFound {
				t.Fatalf("an unknown console page: %d", res.StatusCode)
			}
			unknown[lang] = body
		}
		deniedAll := []string{"buyer", "payer", "partner", "operator", "keyB"}
		// Merchant A's own things.
		own := []consoleRoute{
			{"GET", "/merchant/en/products/{productA}", nil, http.StatusOK},
			{"GET", "/merchant/fr/disputes/{disputeToAnswer}", nil, http.StatusOK},
			{"POST", "/merchant/en/products/{productA}/list", url.Values{"channel": {"bazaar"}}, http.StatusSeeOther},
			{"POST", "/merchant/en/products/{productA}/variant", url.Values{"sku-new": {"A-CONSOLE-2"}}, http.StatusSeeOther},
			{"POST", "/merchant/zh/disputes/{disputeOpen}/message", url.Values{"message": {"We are looking into it."}}, http.StatusSeeOther},
			{"POST", "/merchant/en/disputes/{disputeToAnswer}/answer", url.Values{"answer": {"offer"}, "amount": {"0,01"}, "message": {"A cent?"}}, http.StatusSeeOther},
		}
		// Pages every staff member has, of their own merchant.
		general := []consoleRoute{
			{"GET", "/merchant/en/", nil, http.StatusOK},
			{"GET", "/merchant/fr/products", nil, http.StatusOK},
			{"GET", "/merchant/zh/products/new", nil, http.StatusOK},
			{"GET", "/merchant/en/orders?view=all", nil, http.StatusOK},
			{"GET", "/merchant/en/disputes?status=", nil, http.StatusOK},
			{"GET", "/merchant/en/money", nil, http.StatusOK},
		}
		check := func(r consoleRoute, denied []string) {
			t.Helper()
			name := r.method + " " + r.path
			lang := strings.Split(r.path, "/")[2]
			for _, actor := range denied {
				before := f.fingerprint()
				res, body := f.consoleDo(actor, r.method, r.path, "", r.form)
				// Another merchant's staff get the console's own page of
				// an unknown address (its header is theirs).
				if res.StatusCode != http.StatusNotFound || actor != "ownerB" && body != unknown[lang] || actor == "ownerB" && !strings.Contains(body, "404</h1>") {
					t.Errorf("%s as %s: %d, not the unknown page\n%s", name, actor, res.StatusCode, body)
				}
				if f.fingerprint() != before {
					t.Errorf("%s as %s changed the database", name, actor)
				}
			}
			before := f.fingerprint()
			res, _ := f.consoleDo("", r.method, r.path, "", r.form)
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/merchant/"+lang+"/signin?next=") {
				t.Errorf("%s signed out: %d to %q", name, res.StatusCode, res.Header.Get("Location"))
			}
			if r.method == http.MethodPost {
				if res, _ := f.consoleDo("ownerA", r.method, r.path, "https://evil.example", r.form); res.StatusCode != http.StatusForbidden {
					t.Errorf("%s from another site: %d", name, res.StatusCode)
				}
			}
			if f.fingerprint() != before {
				t.Errorf("%s signed out or from another site changed the database", name)
			}
			if res, body := f.consoleDo("ownerA", r.method, r.path, "", r.form); res.StatusCode != r.status {
				t.Errorf("%s as merchant A: %d, want %d\n%s", name, res.StatusCode, r.status, body)
			}
		}
		for _, r := range own {
			check(r, append([]string{"ownerB"}, deniedAll...))
		}
		for _, r := range general {
			check(r, deniedAll)
			res, body := f.consoleDo("ownerB", r.method, r.path, "", nil)
			if res.StatusCode != http.StatusOK {
				t.Errorf("%s as merchant B: %d", r.path, res.StatusCode)
			}
			for _, id := range []string{"productA", "disputeOpen", "disputeToAnswer", "order"} {
				if strings.Contains(body, f.ids[id]) {
					t.Errorf("%s as merchant B shows A's %s", r.path, id)
				}
			}
		}
	})
}
