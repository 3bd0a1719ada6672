package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/web"
	"github.com/sesame-market/sesame/internal/web/api"
)

type answer struct {
	status int
	header http.Header
	body   []byte
}

// send makes a request to base with the given headers and JSON body.
func sendJSON(t *testing.T, base, method, path string, header map[string]string, body any) answer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header, b}
}

func bearer(key string) map[string]string { return map[string]string{"Authorization": "Bearer " + key} }

func cookie(token string) map[string]string {
	return map[string]string{"Cookie": api.SessionCookie + "=" + token}
}

// TestAPIKeysOverHTTP creates a merchant key with an expiry, calls /me with
// it, lists the merchant's keys (no secrets), revokes one (401 from the next
// request on) and lets another expire (401).
func TestAPIKeysOverHTTP(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		base, a := f.srv.URL, f.ids["A"]
		create := func(body map[string]any) (string, string) {
			t.Helper()
			r := sendJSON(t, base, "POST", "/api/v1/merchants/"+a+"/api-keys", cookie(f.cookies["ownerA"]), body)
			if r.status != 201 {
				t.Fatalf("create key: %d %s", r.status, r.body)
			}
			var out struct {
				Key    string          `json:"key"`
				APIKey identity.APIKey `json:"api_key"`
			}
			json.Unmarshal(r.body, &out)
			return out.Key, out.APIKey.ID
		}
		raw, id := create(map[string]any{"name": "erp", "expires_in_days": 30})
		soon, _ := create(map[string]any{"name": "soon", "expires_at": f.clock.Now().Add(time.Hour).Format(time.RFC3339)})
		if r := sendJSON(t, base, "POST", "/api/v1/merchants/"+a+"/api-keys", cookie(f.cookies["ownerA"]),
			map[string]any{"name": "late", "expires_at": f.clock.Now().Add(-time.Hour).Format(time.RFC3339)}); r.status != 422 {
			t.Fatalf("a key expiring in the past: %d %s", r.status, r.body)
		}

		r := sendJSON(t, base, "GET", "/api/v1/me", bearer(raw), nil)
		var me identity.Me
		json.Unmarshal(r.body, &me)
		if r.status != 200 || me.APIKey == nil || me.APIKey.ID != id || me.MerchantID != a || me.Role != identity.Staff || me.User != nil {
			t.Fatalf("/me with a key: %d %s", r.status, r.body)
		}
		r = sendJSON(t, base, "GET", "/api/v1/me", cookie(f.cookies["buyer"]), nil)
		json.Unmarshal(r.body, &me)
		if r.status != 200 || me.User == nil || me.User.Email != "buyer@example.com" || me.SessionID == "" {
			t.Fatalf("/me with a session: %d %s", r.status, r.body)
		}

		r = sendJSON(t, base, "GET", "/api/v1/merchants/"+a+"/api-keys", cookie(f.cookies["ownerA"]), nil)
		secret := raw[strings.LastIndex(raw, ".")+1:]
		if r.status != 200 || !strings.Contains(string(r.body), `"prefix":"sesame_`+id+`."`) || strings.Contains(string(r.body), secret) ||
			!strings.Contains(string(r.body), `"last_used_at"`) {
			t.Fatalf("list keys: %d %s", r.status, r.body)
		}
		for _, who := range []string{"ownerB", "buyer", "partner"} {
			if r := sendJSON(t, base, "GET", "/api/v1/merchants/"+a+"/api-keys", cookie(f.cookies[who]), nil); r.status != 403 {
				t.Errorf("list keys as %s: %d", who, r.status)
			}
		}
		if r := sendJSON(t, base, "GET", "/api/v1/merchants/"+a+"/api-keys", bearer(raw), nil); r.status != 403 {
			t.Errorf("list keys with a key: %d", r.status)
		}
		if r := sendJSON(t, base, "GET", "/api/v1/partners/"+f.ids["partner"]+"/api-keys", cookie(f.cookies["partner"]), nil); r.status != 200 ||
			!strings.Contains(string(r.body), `"name":"wms"`) {
			t.Fatalf("partner keys: %d %s", r.status, r.body)
		}

		if r := sendJSON(t, base, "DELETE", "/api/v1/merchants/"+a+"/api-keys/"+id, cookie(f.cookies["ownerA"]), nil); r.status != 204 {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
		if r := sendJSON(t, base, "GET", "/api/v1/me", bearer(raw), nil); r.status != 401 {
			t.Fatalf("/me with a revoked key: %d", r.status)
		}
		if r := sendJSON(t, base, "GET", "/api/v1/me", bearer(soon), nil); r.status != 200 {
			t.Fatalf("/me with a live key: %d", r.status)
		}
		f.clock.Advance(time.Hour)
		if r := sendJSON(t, base, "GET", "/api/v1/me", bearer(soon), nil); r.status != 401 {
			t.Fatalf("/me with an expired key: %d", r.status)
		}
	})
}

// TestSignInOverHTTP: a locked e-mail gets 429 with Retry-After; "remember
// me" makes a lasting cookie and its absence a browser-session one; one's
// sessions are listed without tokens; signing out everywhere ends the
// current session too.
func TestSignInOverHTTP(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		base := f.srv.URL
		for i := 0; i < 5; i++ {
			if r := sendJSON(t, base, "POST", "/api/v1/auth/login", nil, map[string]any{"email": "nobody@example.com", "password": "wrong password"}); r.status != 401 {
				t.Fatalf("failure %d: %d %s", i+1, r.status, r.body)
			}
		}
		r := sendJSON(t, base, "POST", "/api/v1/auth/login", nil, map[string]any{"email": "nobody@example.com", "password": "wrong password"})
		if r.status != 429 || r.header.Get("Retry-After") != "1" || !strings.Contains(string(r.body), "rate-limited") {
			t.Fatalf("locked: %d Retry-After %q %s", r.status, r.header.Get("Retry-After"), r.body)
		}
		if r := sendJSON(t, base, "POST", "/api/v1/auth/login", nil, map[string]any{"email": "nul\x00@example.com", "password": "wrong password"}); r.status != 422 {
			t.Fatalf("NUL in the e-mail: %d %s", r.status, r.body)
		}

		login := func(base string, remember bool) *http.Cookie {
			t.Helper()
			r := sendJSON(t, base, "POST", "/api/v1/auth/login", nil, map[string]any{"email": "buyer@example.com", "password": pw, "remember_me": remember})
			if r.status != 200 {
				t.Fatalf("login: %d %s", r.status, r.body)
			}
			c, err := http.ParseSetCookie(r.header.Get("Set-Cookie"))
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		long, short := login(base, true), login(base, false)
		if long.MaxAge != 30*24*3600 || short.MaxAge != 0 || !long.HttpOnly || long.Secure {
			t.Fatalf("cookies: remembered %+v, plain %+v", long, short)
		}

		r = sendJSON(t, base, "GET", "/api/v1/me/sessions", cookie(short.Value), nil)
		var list struct {
			Items []identity.Session `json:"items"`
		}
		json.Unmarshal(r.body, &list)
		current := 0
		for _, s := range list.Items {
			if s.Current {
				current++
			}
		}
		if r.status != 200 || len(list.Items) != 5 || current != 1 || strings.Contains(string(r.body), short.Value) || strings.Contains(string(r.body), "token") {
			t.Fatalf("sessions: %d %s", r.status, r.body)
		}
		var other, mine string
		for _, s := range list.Items {
			if s.Current {
				mine = s.ID
			} else {
				other = s.ID
			}
		}
		if r := sendJSON(t, base, "DELETE", "/api/v1/me/sessions/"+other, cookie(short.Value), nil); r.status != 204 || r.header.Get("Set-Cookie") != "" {
			t.Fatalf("end another session: %d %v", r.status, r.header)
		}
		if r := sendJSON(t, base, "DELETE", "/api/v1/me/sessions/"+mine, cookie(f.cookies["ownerA"]), nil); r.status != 404 {
			t.Fatalf("end another person's session: %d", r.status)
		}
		if r := sendJSON(t, base, "GET", "/api/v1/me/sessions", bearer("sesame_key_0.x"), nil); r.status != 401 {
			t.Fatalf("sessions with a bad key: %d", r.status)
		}

		r = sendJSON(t, base, "POST", "/api/v1/auth/logout-all", cookie(short.Value), nil)
		if c, _ := http.ParseSetCookie(r.header.Get("Set-Cookie")); r.status != 204 || c == nil || c.MaxAge >= 0 {
			t.Fatalf("logout-all: %d %v", r.status, r.header)
		}
		for _, tok := range []string{short.Value, long.Value, f.cookies["buyer"], f.cookies["leaver"]} {
			if r := sendJSON(t, base, "GET", "/api/v1/me", cookie(tok), nil); r.status != 401 {
				t.Fatalf("a session survived logout-all: %d", r.status)
			}
		}
		if r := sendJSON(t, base, "GET", "/api/v1/me", cookie(f.cookies["ownerA"]), nil); r.status != 200 {
			t.Fatalf("another person's session ended: %d", r.status)
		}

		// Behind https (--public-url https://...), every session cookie is Secure.
		svc := f.svc
		svc.SecureCookies = true
		ws, err := web.New(web.Config{Services: svc, Logger: slog.New(slog.DiscardHandler), Ping: db.Ping})
		if err != nil {
			t.Fatal(err)
		}
		tls := httptest.NewServer(ws)
		defer tls.Close()
		c := login(tls.URL, false)
		if !c.Secure {
			t.Fatalf("cookie behind https: %+v", c)
		}
		r = sendJSON(t, tls.URL, "POST", "/api/v1/auth/logout", cookie(c.Value), nil)
		if out, _ := http.ParseSetCookie(r.header.Get("Set-Cookie")); r.status != 204 || out == nil || !out.Secure {
			t.Fatalf("logout cookie behind https: %d %v", r.status, r.header)
		}
	})
}
