package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/notify"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// mailer is the mail consumer of a fixture, fed from its outbox.
type mailer struct {
	f   *fixture
	svc *notify.Service
}

func newMailer(f *fixture) *mailer {
	return &mailer{f: f, svc: &notify.Service{Store: f.db.Mails(), Users: f.db.Identity(), Channels: f.svc.Channels, Tokens: f.svc.Identity,
		PublicURL: "https://shop.example"}}
}

// deliver hands every pending event to the consumer twice, as a bus may,
// and marks them published.
func (m *mailer) deliver() {
	m.f.t.Helper()
	ctx := context.Background()
	evs, err := m.f.db.PendingEvents(ctx, 1000)
	if err != nil {
		m.f.t.Fatal(err)
	}
	var ids []string
	for _, e := range evs {
		for range 2 {
			if err := m.svc.Handle(ctx, e); err != nil {
				m.f.t.Fatal(err)
			}
		}
		ids = append(ids, e.ID)
	}
	if err := m.f.db.MarkPublished(ctx, ids); err != nil {
		m.f.t.Fatal(err)
	}
}

// mailsTo returns the mails queued for to, newest first.
func (m *mailer) mailsTo(to string) []notify.Mail {
	m.f.t.Helper()
	all, err := m.svc.Recent(context.Background(), 100)
	if err != nil {
		m.f.t.Fatal(err)
	}
	var out []notify.Mail
	for _, ml := range all {
		if ml.To == to {
			out = append(out, ml)
		}
	}
	return out
}

var linkRE = regexp.MustCompile(`https://shop\.example/[a-z]+/[a-z]+/(verify|reset)\?token=([A-Za-z0-9_-]+)`)

// link returns the page and the token of the link in a mail.
func link(t *testing.T, m notify.Mail) (page, token string) {
	t.Helper()
	sm := linkRE.FindStringSubmatch(m.Body)
	if sm == nil {
		t.Fatalf("no link in the mail:\n%s", m.Body)
	}
	return strings.TrimPrefix(strings.SplitN(sm[0], "?", 2)[0], "https://shop.example"), sm[2]
}

// sessionOf returns the session token a response sets.
func sessionOf(t *testing.T, h http.Header) string {
	t.Helper()
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Value != "" {
			return c.Value
		}
	}
	t.Fatal("no session cookie set")
	return ""
}

func verifiedOf(t *testing.T, body []byte) bool {
	t.Helper()
	var me identity.Me
	if err := json.Unmarshal(body, &me); err != nil || me.User == nil {
		t.Fatalf("me: %s", body)
	}
	return me.User.EmailVerified
}

// TestAccountMailsOverHTTP walks a buyer through the mailed links over the
// API, every answer checked against the OpenAPI document: registration on
// the French bazaar mails one verification link in French however often
// its event is delivered, the link verifies the address once, and /me says
// so; a password reset answers alike for an e-mail with an account and one
// without, mails a link to the first only, and the link sets the new
// password (the old one refused), ends every session and works once.
func TestAccountMailsOverHTTP(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		m := newMailer(f)
		m.deliver() // the fixture's own events
		const email = "lea@example.com"

		status, out := f.do("", "POST", "/api/v1/auth/register", map[string]any{"email": email, "name": "Léa", "password": pw, "channel": "bazaar"})
		if status != 201 || !strings.Contains(string(out), `"lang":"fr"`) || !strings.Contains(string(out), `"email_verified":false`) {
			t.Fatalf("register: %d %s", status, out)
		}
		m.deliver()
		ms := m.mailsTo(email)
		if len(ms) != 1 || ms[0].Kind != "verify_email" || ms[0].Lang != "fr" || !strings.Contains(ms[0].Subject, "Confirmez") {
			t.Fatalf("verification mails: %+v", ms)
		}
		page, token := link(t, ms[0])
		if page != "/bazaar/fr/verify" {
			t.Fatalf("verification link opens %s", page)
		}

		status, h, _ := f.sendWith("", "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": pw}, nil)
		if status != 200 {
			t.Fatalf("login: %d", status)
		}
		f.cookies["lea"] = sessionOf(t, h)
		if status, out := f.do("lea", "GET", "/api/v1/me", nil); status != 200 || verifiedOf(t, out) {
			t.Fatalf("me before verifying: %d %s", status, out)
		}
		if status, out := f.do("lea", "POST", "/api/v1/auth/verify-email/resend", map[string]any{"channel": "bazaar"}); status != 202 {
			t.Fatalf("resend: %d %s", status, out)
		}
		m.deliver()
		if n := len(m.mailsTo(email)); n != 2 {
			t.Fatalf("%d mails after asking again, want 2", n)
		}

		before := f.fingerprint()
		if status, out := f.do("", "POST", "/api/v1/auth/verify-email", map[string]any{"token": strings.Repeat("A", 43)}); status != 422 ||
			!strings.Contains(string(out), "not valid") {
			t.Fatalf("unknown token: %d %s", status, out)
		}
		if f.fingerprint() != before {
			t.Fatal("a refused token changed the database")
		}
		if status, out := f.do("", "POST", "/api/v1/auth/verify-email", map[string]any{"token": token}); status != 204 {
			t.Fatalf("verify: %d %s", status, out)
		}
		if status, out := f.do("", "POST", "/api/v1/auth/verify-email", map[string]any{"token": token}); status != 422 ||
			!strings.Contains(string(out), "used already") {
			t.Fatalf("verify twice: %d %s", status, out)
		}
		if status, out := f.do("lea", "GET", "/api/v1/me", nil); status != 200 || !verifiedOf(t, out) {
			t.Fatalf("me after verifying: %d %s", status, out)
		}
		if status, _ := f.do("lea", "POST", "/api/v1/auth/verify-email/resend", nil); status != 409 {
			t.Fatalf("resend once verified: %d", status)
		}

		// The reset: the same answer whether or not an account has the e-mail.
		known, kh, kb := f.sendWith("", "POST", "/api/v1/auth/password-reset", map[string]any{"email": email, "channel": "bazaar"}, nil)
		unknown, uh, ub := f.sendWith("", "POST", "/api/v1/auth/password-reset", map[string]any{"email": "nobody@example.com", "channel": "bazaar"}, nil)
		if known != 202 || unknown != known || string(kb) != string(ub) || kh.Get("Content-Length") != uh.Get("Content-Length") ||
			kh.Get("Content-Type") != uh.Get("Content-Type") {
			t.Fatalf("reset answers differ: %d %q %v / %d %q %v", known, kb, kh, unknown, ub, uh)
		}
		m.deliver()
		if n := len(m.mailsTo("nobody@example.com")); n != 0 {
			t.Fatalf("%d mails to an e-mail without an account", n)
		}
		ms = m.mailsTo(email)
		if len(ms) != 3 || ms[0].Kind != "password_reset" || ms[0].Lang != "fr" {
			t.Fatalf("reset mails: %+v", ms)
		}
		page, reset := link(t, ms[0])
		if page != "/bazaar/fr/reset" {
			t.Fatalf("reset link opens %s", page)
		}
		if status, out := f.do("", "POST", "/api/v1/auth/password-reset/confirm", map[string]any{"token": reset, "password": "short"}); status != 422 {
			t.Fatalf("a short password: %d %s", status, out)
		}
		if status, _ := f.do("lea", "GET", "/api/v1/me", nil); status != 200 {
			t.Fatalf("a refused reset ended the session: %d", status)
		}
		const newPW = "a brand new password"
		status, h, out = f.sendWith("", "POST", "/api/v1/auth/password-reset/confirm", map[string]any{"token": reset, "password": newPW}, nil)
		if status != 204 || !strings.Contains(h.Get("Set-Cookie"), "Max-Age=0") {
			t.Fatalf("reset: %d %v %s", status, h, out)
		}
		if status, _ := f.do("lea", "GET", "/api/v1/me", nil); status != 401 {
			t.Fatalf("the old session after a reset: %d", status)
		}
		if status, _ := f.do("", "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": pw}); status != 401 {
			t.Fatalf("the old password after a reset: %d", status)
		}
		if status, _ := f.do("", "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": newPW}); status != 200 {
			t.Fatalf("the new password: %d", status)
		}
		if status, out := f.do("", "POST", "/api/v1/auth/password-reset/confirm", map[string]any{"token": reset, "password": "yet another password"}); status != 422 ||
			!strings.Contains(string(out), "used already") {
			t.Fatalf("a reset link used twice: %d %s", status, out)
		}
	})
}
