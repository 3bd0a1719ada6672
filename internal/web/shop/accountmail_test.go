package shop_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// mailLink returns the path and query of the newest link to page (verify
// or reset) that the mailbox page shows for to.
func (v *visitor) mailLink(home, to, page string) string {
	v.s.t.Helper()
	v.s.sync()
	_, body := v.get(home + "mailbox")
	re := regexp.MustCompile(`(?s)<li class="panel mail">.*?` + regexp.QuoteMeta(to) + `.*?<a href="([^"]*/` + page + `\?token=[^"]+)"`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		v.s.t.Fatalf("no %s link for %s in the mailbox:\n%s", page, to, body)
	}
	u, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		v.s.t.Fatal(err)
	}
	return u.RequestURI()
}

// TestPasswordResetPages: the French sign-in page leads to the forgotten
// password form, which answers the same page for an e-mail with an account
// and one without; the mailed link (in the mailbox) opens the new password
// form, which refuses a short password, then sets the new one, signs every
// device out and offers to sign in; the old password is refused, the new
// one accepted, and the link works once.
func TestPasswordResetPages(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newMailStore(t, db, 20)
		s.sync()
		other := s.visitor() // another device, signed in
		other.signIn("/bazaar/fr/")
		v := s.visitor()
		_, body := v.get("/bazaar/fr/signin")
		if !strings.Contains(body, `href="/bazaar/fr/forgot"`) {
			t.Fatalf("the sign-in page has no forgotten password link:\n%s", body)
		}
		_, body = v.get("/bazaar/fr/forgot")
		if !strings.Contains(body, `action="/bazaar/fr/forgot"`) || !strings.Contains(body, "Réinitialiser votre mot de passe") {
			t.Fatalf("forgot page:\n%s", body)
		}
		res, bad := v.post("/bazaar/fr/forgot", "", url.Values{"email": {"nope"}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(bad, "Saisissez une adresse e-mail valide.") {
			t.Fatalf("not an e-mail: %d\n%s", res.StatusCode, bad)
		}
		if res, _ := v.post("/bazaar/fr/forgot", "https://evil.example", url.Values{"email": {buyerEmail}}); res.StatusCode != http.StatusForbidden {
			t.Fatalf("a cross-site post: %d", res.StatusCode)
		}
		known, kb := v.post("/bazaar/fr/forgot", "", url.Values{"email": {buyerEmail}})
		unknown, ub := v.post("/bazaar/fr/forgot", "", url.Values{"email": {"nobody@example.com"}})
		if known.StatusCode != http.StatusOK || unknown.StatusCode != known.StatusCode || kb != strings.Replace(ub, "nobody@example.com", buyerEmail, -1) ||
			!strings.Contains(kb, "Si un compte existe pour cet e-mail") {
			t.Fatalf("the answers differ: %d / %d\n%s\n%s", known.StatusCode, unknown.StatusCode, kb, ub)
		}

		// The demo buyer's account speaks English: so do the mail and its link.
		link := v.mailLink("/bazaar/fr/", buyerEmail, "reset")
		if !strings.HasPrefix(link, "/bazaar/en/reset?token=") {
			t.Fatalf("the link opens %s", link)
		}
		_, body = v.get(link)
		tok := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(body)
		if tok == nil || !strings.Contains(body, `autocomplete="new-password"`) {
			t.Fatalf("reset page:\n%s", body)
		}
		res, body = v.post("/bazaar/fr/reset", "", url.Values{"token": {tok[1]}, "password": {"short"}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "de 10 à 128 caractères") {
			t.Fatalf("a short password: %d\n%s", res.StatusCode, body)
		}
		res, body = v.post("/bazaar/fr/reset", "", url.Values{"token": {tok[1]}, "password": {"a brand new password"}})
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "Votre mot de passe est changé.") || !strings.Contains(body, `href="/bazaar/fr/signin"`) {
			t.Fatalf("reset: %d\n%s", res.StatusCode, body)
		}
		if _, body := other.get("/bazaar/fr/account"); strings.Contains(body, buyerEmail) {
			t.Fatal("the other device is still signed in")
		}
		if res, _ := v.post("/bazaar/fr/signin", "", url.Values{"email": {buyerEmail}, "password": {"sesame-demo"}}); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("the old password: %d", res.StatusCode)
		}
		if res, _ := v.post("/bazaar/fr/signin", "", url.Values{"email": {buyerEmail}, "password": {"a brand new password"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("the new password: %d", res.StatusCode)
		}
		res, body = v.post("/bazaar/fr/reset", "", url.Values{"token": {tok[1]}, "password": {"yet another password"}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Ce lien a déjà servi.") || !strings.Contains(body, `href="/bazaar/fr/forgot"`) {
			t.Fatalf("the link used twice: %d\n%s", res.StatusCode, body)
		}
	})
}

// TestVerificationPages: an account opened on the English bazaar is mailed
// a verification link in English; the account page says the address is
// not confirmed and sends the link again on request; the link confirms it
// once (a second visit says it was used) and the account page says so.
func TestVerificationPages(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newMailStore(t, db, 20)
		s.sync()
		v := s.visitor()
		const email = "nora@example.com"
		if res, _ := v.post("/bazaar/en/register", "", url.Values{"name": {"Nora"}, "email": {email}, "password": {"long-enough-secret"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("register: %d", res.StatusCode)
		}
		first := v.mailLink("/bazaar/en/", email, "verify")
		if !strings.HasPrefix(first, "/bazaar/en/verify?token=") {
			t.Fatalf("the link opens %s", first)
		}
		_, body := v.get("/bazaar/en/account")
		if !strings.Contains(body, "Not confirmed yet") || !strings.Contains(body, `action="/bazaar/en/verify/resend"`) {
			t.Fatalf("account before confirming:\n%s", body)
		}
		res, _ := v.post("/bazaar/en/verify/resend", "", nil)
		wantRedirect(t, res, http.StatusSeeOther, "/bazaar/en/account?verify=sent#verification")
		_, body = v.get("/bazaar/en/account?verify=sent")
		if !strings.Contains(body, "A new link is on its way") {
			t.Fatalf("account after asking again:\n%s", body)
		}
		second := v.mailLink("/bazaar/en/", email, "verify")
		if second == first {
			t.Fatal("the link was not sent again")
		}
		res, body = v.get("/bazaar/en/verify?token=nonsense")
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "This link is not valid") {
			t.Fatalf("a bad link: %d\n%s", res.StatusCode, body)
		}
		res, body = v.get(second)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "your e-mail address is confirmed") {
			t.Fatalf("verify: %d\n%s", res.StatusCode, body)
		}
		res, body = v.get(second)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "This link has been used already.") {
			t.Fatalf("verify twice: %d\n%s", res.StatusCode, body)
		}
		_, body = v.get("/bazaar/en/account")
		if !strings.Contains(body, "Confirmed") || strings.Contains(body, "verify/resend") {
			t.Fatalf("account once confirmed:\n%s", body)
		}
	})
}
