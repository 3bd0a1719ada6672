package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/web/api"
)

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) replayed() bool { return r.header.Get("Idempotent-Replayed") == "true" }

// send sends a request as actor with an Idempotency-Key (none if key is "").
func (f *fixture) send(actor, method, path, key string, body any) reply {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		j, ok := body.([]byte)
		if !ok {
			j, _ = json.Marshal(body)
		}
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, f.srv.URL+f.expand(path), rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	if c := f.cookies[actor]; c != "" {
		req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: c})
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Error(err)
		return reply{}
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header, out}
}

func (f *fixture) count(table string) int {
	f.t.Helper()
	var n int
	if err := f.db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func newProduct(f *fixture, sku string) []byte {
	return f.expandBody(map[string]any{"category_id": "{category}", "origin_country": "CN", "translations": map[string]any{"en": map[string]any{"title": "New " + sku}},
		"variants": []any{map[string]any{"sku": sku, "prices": []any{map[string]any{"channel": "bazaar", "currency": "EUR", "amount": 100}}}}}).([]byte)
}

// TestIdempotentReplay retries a create-product and a create-API-key with
// the same key: the retry gets the first answer (same status and body, with
// Idempotent-Replayed: true) and nothing is created twice. Without a key, a
// retry behaves as before (the product's SKU is taken: 409).
func TestIdempotentReplay(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		products := f.count("products")
		body := newProduct(f, "IDEM-1")
		first := f.send("ownerA", "POST", "/api/v1/products", "retry-1", body)
		if first.status != 201 || first.replayed() {
			t.Fatalf("first: %d replayed=%v %s", first.status, first.replayed(), first.body)
		}
		for range 2 {
			again := f.send("ownerA", "POST", "/api/v1/products", "retry-1", body)
			if again.status != 201 || !again.replayed() || !bytes.Equal(again.body, first.body) {
				t.Fatalf("retry: %d replayed=%v %s, want 201 replayed %s", again.status, again.replayed(), again.body, first.body)
			}
			if ct := again.header.Get("Content-Type"); ct != first.header.Get("Content-Type") {
				t.Errorf("retry Content-Type %q, want %q", ct, first.header.Get("Content-Type"))
			}
		}
		if got := f.count("products"); got != products+1 {
			t.Fatalf("%d products created, want 1", got-products)
		}

		keys := f.count("api_keys")
		var bodies []string
		for range 3 {
			r := f.send("ownerA", "POST", "/api/v1/merchants/{A}/api-keys", "key-once", map[string]any{"name": "erp"})
			if r.status != 201 {
				t.Fatalf("create key: %d %s", r.status, r.body)
			}
			bodies = append(bodies, string(r.body))
		}
		if got := f.count("api_keys"); got != keys+1 {
			t.Fatalf("three retried key creations made %d keys, want 1", got-keys)
		}
		if bodies[1] != bodies[0] || bodies[2] != bodies[0] {
			t.Fatalf("retries answered other keys: %v", bodies)
		}

		// No key: as before, the retry is a second attempt.
		plain := newProduct(f, "PLAIN-1")
		if r := f.send("ownerA", "POST", "/api/v1/products", "", plain); r.status != 201 || r.replayed() {
			t.Fatalf("no key: %d %s", r.status, r.body)
		}
		if r := f.send("ownerA", "POST", "/api/v1/products", "", plain); r.status != 409 || r.replayed() {
			t.Fatalf("no key, retried: %d %s, want 409", r.status, r.body)
		}
	})
}

// TestIdempotencyConcurrentSameKey sends one create-product with one key
// from 20 goroutines at once: exactly one product exists afterwards; every
// answer is the first 201 (run or replayed) or 409 (still in flight).
func TestIdempotencyConcurrentSameKey(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		products := f.count("products")
		body := newProduct(f, "RACE-1")
		replies := make([]reply, 20)
		var wg sync.WaitGroup
		for i := range replies {
			wg.Go(func() { replies[i] = f.send("ownerA", "POST", "/api/v1/products", "race", body) })
		}
		wg.Wait()
		var run, replayed, inFlight int
		var created []byte
		for _, r := range replies {
			switch {
			case r.status == 201 && !r.replayed():
				run++
				created = r.body
			case r.status == 201:
				replayed++
			case r.status == 409 && strings.Contains(string(r.body), "in progress"):
				inFlight++
			default:
				t.Errorf("unexpected answer %d %s", r.status, r.body)
			}
		}
		if run != 1 {
			t.Fatalf("%d runs, want 1 (replayed %d, in flight %d)", run, replayed, inFlight)
		}
		for _, r := range replies {
			if r.status == 201 && !bytes.Equal(r.body, created) {
				t.Errorf("a replay differs from the run: %s", r.body)
			}
		}
		if got := f.count("products"); got != products+1 {
			t.Fatalf("%d products created, want 1", got-products)
		}
		t.Logf("run 1, replayed %d, in flight %d", replayed, inFlight)
	})
}

// TestIdempotencyMismatchAndScope: the same key with another body or path
// is 422 and runs nothing; another actor's same key is its own; a malformed
// key is 422.
func TestIdempotencyMismatchAndScope(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		if r := f.send("ownerA", "POST", "/api/v1/brands", "k", map[string]any{"slug": "idem-a", "name": "Idem A"}); r.status != 201 {
			t.Fatalf("first: %d %s", r.status, r.body)
		}
		before := f.fingerprint()
		if r := f.send("ownerA", "POST", "/api/v1/brands", "k", map[string]any{"slug": "idem-other", "name": "Other"}); r.status != 422 || r.replayed() {
			t.Errorf("same key, other body: %d %s, want 422", r.status, r.body)
		}
		if r := f.send("ownerA", "POST", "/api/v1/categories", "k", map[string]any{"slug": "idem-a", "name": "Idem A"}); r.status != 422 {
			t.Errorf("same key, other path: %d %s, want 422", r.status, r.body)
		}
		if f.fingerprint() != before {
			t.Error("a mismatched key changed the database")
		}
		// Another actor's key of the same name is another key: it runs.
		if r := f.send("ownerB", "POST", "/api/v1/brands", "k", map[string]any{"slug": "idem-b", "name": "Idem B"}); r.status != 201 || r.replayed() {
			t.Errorf("another actor's same key: %d replayed=%v %s, want a fresh 201", r.status, r.replayed(), r.body)
		}
		for _, bad := range []string{strings.Repeat("x", 256), "tab\there", "é"} {
			if r := f.send("ownerA", "POST", "/api/v1/brands", bad, map[string]any{"slug": "idem-c", "name": "C"}); r.status != 422 {
				t.Errorf("key %q: %d %s, want 422", bad, r.status, r.body)
			}
		}
		if r := f.send("ownerA", "POST", "/api/v1/brands", strings.Repeat("x", 255), map[string]any{"slug": "idem-c", "name": "C"}); r.status != 201 {
			t.Errorf("a 255-character key: %d %s, want 201", r.status, r.body)
		}
	})
}

// TestIdempotencyStoresClientErrors: a 4xx answer is stored and replayed,
// and its partial work is rolled back (the product row inserted before its
// variant's SKU collided leaves nothing), on both engines.
func TestIdempotencyStoresClientErrors(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		before := f.fingerprint()
		body := newProduct(f, "A-1") // productA's SKU
		first := f.send("ownerA", "POST", "/api/v1/products", "dup", body)
		if first.status != 409 {
			t.Fatalf("first: %d %s, want 409", first.status, first.body)
		}
		if f.fingerprint() != before {
			t.Fatal("a refused create left rows behind")
		}
		again := f.send("ownerA", "POST", "/api/v1/products", "dup", body)
		if again.status != 409 || !again.replayed() || !bytes.Equal(again.body, first.body) {
			t.Fatalf("retry: %d replayed=%v %s", again.status, again.replayed(), again.body)
		}
	})
}

// TestIdempotencyExemptsSignIn: login and logout ignore the header (their
// answer is a session cookie, which is never stored), and the header is
// not documented on them.
func TestIdempotencyExemptsSignIn(t *testing.T) {
	f := newFixture(t, testkit.Open(t, sqlstore.SQLite))
	login := map[string]any{"email": "buyer@example.com", "password": pw}
	var cookies []string
	for range 2 {
		r := f.send("", "POST", "/api/v1/auth/login", "login-key", login)
		if r.status != 200 || r.replayed() || r.header.Get("Set-Cookie") == "" {
			t.Fatalf("login: %d replayed=%v cookie=%q", r.status, r.replayed(), r.header.Get("Set-Cookie"))
		}
		cookies = append(cookies, r.header.Get("Set-Cookie"))
	}
	if cookies[0] == cookies[1] {
		t.Error("two sign-ins got the same session")
	}
	if n := f.count("idempotency_keys"); n != 0 {
		t.Errorf("%d keys stored for sign-in", n)
	}
}

// TestIdempotencyDocumented checks /openapi.json: every POST (but sign-in
// and sign-out) declares the Idempotency-Key header and, on its success
// response, the Idempotent-Replayed header.
func TestIdempotencyDocumented(t *testing.T) {
	f := newFixture(t, testkit.Open(t, sqlstore.SQLite))
	res, err := http.Get(f.srv.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct{ Name, In string }
			Responses  map[string]struct {
				Headers map[string]any
			}
		}
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for path, item := range doc.Paths {
		op, ok := item["post"]
		if !ok {
			continue
		}
		documented := false
		for _, p := range op.Parameters {
			documented = documented || (p.Name == "Idempotency-Key" && p.In == "header")
		}
		replayed := false
		for code, r := range op.Responses {
			if code[0] == '2' {
				_, replayed = r.Headers["Idempotent-Replayed"]
			}
		}
		exempt := api.IgnoresIdempotencyKey(path)
		if documented == exempt || replayed == exempt {
			t.Errorf("POST %s: Idempotency-Key documented %v, Idempotent-Replayed %v, exempt %v", path, documented, replayed, exempt)
		}
		n++
	}
	if n < 20 {
		t.Fatalf("only %d POST operations", n)
	}
	if ps := api.IdempotencyExemptPaths(); len(ps) != 2 {
		t.Errorf("exempt paths %v", ps)
	}
}
