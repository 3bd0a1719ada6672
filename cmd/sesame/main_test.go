package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/sqlstore"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func get(t *testing.T, url string, into any) *http.Response {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	if into != nil {
		if err := json.Unmarshal(b, into); err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
	}
	return res
}

// TestDemoEndToEnd runs the real binary's run() on a free port: it seeds a
// demo marketplace, serves the API and pages, pages through a channel by
// cursor, and shuts down cleanly with every event relayed.
func TestDemoEndToEnd(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	out := &syncBuffer{}
	done := make(chan error, 1)
	env := map[string]string{"SESAME_DATA": dir}
	go func() {
		done <- runWith(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--products", "300"}, func(k string) string { return env[k] }, out, ready)
	}()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("run returned early: %v\n%s", err, out)
	case <-time.After(60 * time.Second):
		t.Fatalf("not ready after 60s:\n%s", out)
	}
	if !strings.Contains(out.String(), "operator@sesame.example") {
		t.Errorf("start-up output lacks the demo logins:\n%s", out)
	}

	get(t, base+"/healthz", nil)
	res, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	home, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{"Sesame Bazaar", "Sesame Luxe", "operator@sesame.example", "/docs"} {
		if !bytes.Contains(home, []byte(want)) {
			t.Errorf("home page lacks %q", want)
		}
	}
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	get(t, base+"/openapi.json", &doc)
	if doc.OpenAPI != "3.1.0" || doc.Paths["/api/v1/products"] == nil {
		t.Errorf("openapi = %s with %d paths", doc.OpenAPI, len(doc.Paths))
	}
	get(t, base+"/docs", nil)

	var chans struct {
		Items []struct{ Code string } `json:"items"`
	}
	get(t, base+"/api/v1/channels", &chans)
	if len(chans.Items) != 3 {
		t.Fatalf("channels = %+v", chans.Items)
	}

	// Every bazaar product, paged by cursor, exactly once.
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		var page struct {
			Items []struct {
				ID, Title string
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		get(t, base+"/api/v1/products?channel=bazaar&lang=fr&limit=50&cursor="+cursor, &page)
		for _, it := range page.Items {
			if seen[it.ID] {
				t.Fatalf("product %s on two pages", it.ID)
			}
			seen[it.ID] = true
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
		if pages > 20 {
			t.Fatal("pagination does not end")
		}
	}
	if len(seen) != 300 { // every demo merchant sells on bazaar
		t.Errorf("bazaar lists %d products, want 300", len(seen))
	}

	// The luxe channel lists only admitted luxury maisons.
	var luxe struct {
		Items []struct {
			Merchant struct{ Name string } `json:"merchant"`
		} `json:"items"`
	}
	get(t, base+"/api/v1/products?channel=luxe&limit=100", &luxe)
	for _, it := range luxe.Items {
		switch it.Merchant.Name {
		case "Parfums de Grasse", "Maison Lumière", "Atelier Saint-Honoré":
		default:
			t.Errorf("luxe lists a product of %s", it.Merchant.Name)
		}
	}

	// A merchant signs in, creates an API key and uses it.
	body := `{"email":"cases@shenzhen-case.example","password":"sesame-demo"}`
	res, err = http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(body))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("login: %v %v", err, res.Status)
	}
	var me struct {
		MerchantID string `json:"merchant_id"`
	}
	json.NewDecoder(res.Body).Decode(&me)
	res.Body.Close()
	cookie := res.Cookies()[0]
	req, _ := http.NewRequest("POST", base+"/api/v1/merchants/"+me.MerchantID+"/api-keys", strings.NewReader(`{"name":"erp"}`))
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(cookie)
	res, err = http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("api key: %v %v", err, res.Status)
	}
	var key struct {
		Key string `json:"key"`
	}
	json.NewDecoder(res.Body).Decode(&key)
	res.Body.Close()
	req, _ = http.NewRequest("GET", base+"/api/v1/merchants/"+me.MerchantID+"/products?limit=5", nil)
	req.Header.Set("Authorization", "Bearer "+key.Key)
	res, err = http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("products with API key: %v %v", err, res.Status)
	}
	res.Body.Close()

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no shutdown after 30s")
	}
	// Every committed event was relayed before the process stopped.
	db, err := sqlstore.Open(context.Background(), filepath.Join(dir, "sesame.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pending, published, err := db.OutboxStats(context.Background())
	if err != nil || pending != 0 || published == 0 {
		t.Fatalf("outbox after shutdown: pending %d published %d (%v)", pending, published, err)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"bogus"}, {"demo", "--products", "-1"}, {"serve", "extra"}} {
		if err := run(context.Background(), args, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("run(%v) succeeded", args)
		}
	}
	var b bytes.Buffer
	if err := run(context.Background(), []string{"version"}, func(string) string { return "" }, &b); err != nil || !strings.Contains(b.String(), "sesame") {
		t.Errorf("version: %v %q", err, b.String())
	}
}
