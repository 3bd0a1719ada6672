package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// searchIDs returns the ids a search of the API finds, or nil while the
// index loads (503).
func searchIDs(t *testing.T, base, query string) []string {
	t.Helper()
	res, b := send(t, mustRequest("GET", base+"/api/v1/search?"+query), "")
	if res.StatusCode == http.StatusServiceUnavailable {
		return nil
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("search %s: %s %s", query, res.Status, b)
	}
	var r struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, it := range r.Items {
		ids = append(ids, it.ID)
	}
	return ids
}

// awaitSearch polls a search until found says its answer is the one
// awaited, and returns how long that took; it fails after limit.
func awaitSearch(t *testing.T, base, query string, limit time.Duration, found func([]string) bool) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if ids := searchIDs(t, base, query); ids != nil && found(ids) {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("search %s: not as awaited after %s", query, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// startServer runs Sesame with args on data dir and returns its base URL
// and the channel run reports on.
func startServer(t *testing.T, ctx context.Context, dir string, args ...string) (string, <-chan error) {
	t.Helper()
	ready := make(chan string, 1)
	out := &syncBuffer{}
	done := make(chan error, 1)
	env := map[string]string{"SESAME_DATA": dir}
	go func() {
		done <- runWith(ctx, args, func(k string) string { return env[k] }, out, hooks{Ready: ready})
	}()
	select {
	case base := <-ready:
		return base, done
	case err := <-done:
		t.Fatalf("run returned early: %v\n%s", err, out)
	case <-time.After(90 * time.Second):
		t.Fatalf("not ready after 90s:\n%s", out)
	}
	return "", nil
}

// TestSearchFollowsTheStream runs the demo with its embedded JetStream: a
// product a merchant lists is found within a second, through the outbox,
// the relay and the bus; after a restart the index is built again from the
// database and follows the stream from there.
func TestSearchFollowsTheStream(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	base, done := startServer(t, ctx, dir, "demo", "--addr", "127.0.0.1:0", "--products", "300")
	awaitSearch(t, base, "channel=bazaar", 30*time.Second, func(ids []string) bool { return len(ids) > 0 })

	res, b := send(t, mustRequest("POST", base+"/api/v1/auth/login"), `{"email":"cases@shenzhen-case.example","password":"sesame-demo"}`)
	if res.StatusCode != 200 {
		t.Fatalf("login: %v %s", res.Status, b)
	}
	cookie := res.Cookies()[0]
	var cats struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	get(t, base+"/api/v1/categories", &cats)
	// From the create request to the search that finds it: the write's
	// answer, the relay, the bus and the index.
	start := time.Now()
	req := mustRequest("POST", base+"/api/v1/products")
	req.AddCookie(cookie)
	res, b = send(t, req, fmt.Sprintf(`{"category_id":%q,"origin_country":"CN","translations":{"fr":{"title":"Coque zorblaxienne"},"en":{"title":"Zorblax case"}},`+
		`"variants":[{"sku":"ZRB-1","prices":[{"channel":"bazaar","currency":"EUR","amount":1290},{"channel":"bazaar","currency":"GBP","amount":1090}]}]}`, cats.Items[0].ID))
	if res.StatusCode != 201 {
		t.Fatalf("create: %s %s", res.Status, b)
	}
	var p struct {
		ID string `json:"id"`
	}
	json.Unmarshal(b, &p)
	req = mustRequest("PUT", base+"/api/v1/products/"+p.ID+"/listings/bazaar")
	req.AddCookie(cookie)
	if res, b = send(t, req, ""); res.StatusCode >= 300 {
		t.Fatalf("list: %s %s", res.Status, b)
	}
	has := func(ids []string) bool {
		for _, id := range ids {
			if id == p.ID {
				return true
			}
		}
		return false
	}
	awaitSearch(t, base, "channel=bazaar&lang=fr&q=zorblaxiene", 5*time.Second, has) // a typo, too
	took := time.Since(start)
	t.Logf("listed product found %s after its create request", took)
	if took > time.Second {
		t.Errorf("a listed product was found after %s, not within a second", took)
	}

	cancel()
	awaitShutdown(t, done)

	// Restart on the same data: the index is loaded from the database.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	base, done = startServer(t, ctx, dir, "serve", "--addr", "127.0.0.1:0")
	awaitSearch(t, base, "channel=bazaar&lang=en&q="+url.QueryEscape("zorblax"), 30*time.Second, has)
	// And it follows the stream from where it loaded.
	res, b = send(t, mustRequest("POST", base+"/api/v1/auth/login"), `{"email":"cases@shenzhen-case.example","password":"sesame-demo"}`)
	if res.StatusCode != 200 {
		t.Fatalf("login: %v %s", res.Status, b)
	}
	start = time.Now()
	req = mustRequest("DELETE", base+"/api/v1/products/"+p.ID+"/listings/bazaar")
	req.AddCookie(res.Cookies()[0])
	if res, b = send(t, req, ""); res.StatusCode >= 300 {
		t.Fatalf("unlist: %s %s", res.Status, b)
	}
	awaitSearch(t, base, "channel=bazaar&lang=en&q=zorblax", 5*time.Second, func(ids []string) bool { return !has(ids) })
	took = time.Since(start)
	t.Logf("unlisted product gone %s after the request", took)
	if took > time.Second {
		t.Errorf("an unlisted product was gone after %s, not within a second", took)
	}
	cancel()
	awaitShutdown(t, done)
}
