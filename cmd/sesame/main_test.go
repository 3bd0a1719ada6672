package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/demo"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/web/webtest"
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

// apiContract is the served OpenAPI document, which every response the
// end-to-end test receives must match.
var apiContract *webtest.Contract

// send sends req with body and returns the response with its body read,
// after checking both against the served OpenAPI document.
func send(t *testing.T, req *http.Request, body string) (*http.Response, []byte) {
	t.Helper()
	if body != "" {
		req.Body = io.NopCloser(strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if apiContract != nil {
		if err := apiContract.Check(req, []byte(body), res, b); err != nil {
			t.Error(err)
		}
	}
	return res, b
}

func get(t *testing.T, url string, into any) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	res, b := send(t, req, "")
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
		done <- runWith(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--products", "300"}, func(k string) string { return env[k] }, out, hooks{Ready: ready})
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

	res, spec := send(t, mustRequest("GET", base+"/openapi.json"), "")
	if res.StatusCode != 200 {
		t.Fatalf("openapi.json: %s", res.Status)
	}
	c, err := webtest.NewContract(spec)
	if err != nil {
		t.Fatal(err)
	}
	apiContract = c
	defer func() { apiContract = nil }()

	get(t, base+"/healthz", nil)
	_, home := send(t, mustRequest("GET", base+"/"), "")
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
	res, b := send(t, mustRequest("POST", base+"/api/v1/auth/login"), `{"email":"cases@shenzhen-case.example","password":"sesame-demo"}`)
	if res.StatusCode != 200 {
		t.Fatalf("login: %v %s", res.Status, b)
	}
	var me struct {
		MerchantID string `json:"merchant_id"`
	}
	json.Unmarshal(b, &me)
	cookie := res.Cookies()[0]
	req := mustRequest("POST", base+"/api/v1/merchants/"+me.MerchantID+"/api-keys")
	req.AddCookie(cookie)
	res, b = send(t, req, `{"name":"erp"}`)
	if res.StatusCode != 201 {
		t.Fatalf("api key: %v %s", res.Status, b)
	}
	var key struct {
		Key string `json:"key"`
	}
	json.Unmarshal(b, &key)
	req = mustRequest("GET", base+"/api/v1/merchants/"+me.MerchantID+"/products?limit=5")
	req.Header.Set("Authorization", "Bearer "+key.Key)
	if res, b = send(t, req, ""); res.StatusCode != 200 {
		t.Fatalf("products with API key: %v %s", res.Status, b)
	}
	// Errors match the document too: a wrong key, a product that is not
	// there, a bad cursor.
	req = mustRequest("GET", base+"/api/v1/merchants/"+me.MerchantID+"/products")
	req.Header.Set("Authorization", "Bearer sesame_wrong")
	if res, _ = send(t, req, ""); res.StatusCode != 401 {
		t.Errorf("wrong key: %s", res.Status)
	}
	if res, _ = send(t, mustRequest("GET", base+"/api/v1/products/prd_nope"), ""); res.StatusCode != 404 {
		t.Errorf("missing product: %s", res.Status)
	}
	if res, _ = send(t, mustRequest("GET", base+"/api/v1/products?channel=bazaar&cursor=bogus"), ""); res.StatusCode != 422 {
		t.Errorf("bad cursor: %s", res.Status)
	}

	// The demo buyer has an order in each state of an order's life, the
	// completed one reviewed.
	res, b = send(t, mustRequest("POST", base+"/api/v1/auth/login"), `{"email":"buyer@sesame.example","password":"sesame-demo"}`)
	if res.StatusCode != 200 {
		t.Fatalf("buyer's login: %v %s", res.Status, b)
	}
	buyer := res.Cookies()[0]
	req = mustRequest("GET", base+"/api/v1/orders")
	req.AddCookie(buyer)
	res, b = send(t, req, "")
	var orders struct {
		Items []struct{ ID, Status string }
	}
	if err := json.Unmarshal(b, &orders); res.StatusCode != 200 || err != nil {
		t.Fatalf("buyer's orders: %v %s", res.Status, b)
	}
	var states []string
	completed := ""
	for _, o := range orders.Items {
		states = append(states, o.Status)
		if o.Status == "completed" {
			completed = o.ID
		}
	}
	slices.Sort(states)
	if want := []string{"cancelled", "completed", "delivered", "disputed", "paid", "pending_payment", "refunded", "shipped"}; !slices.Equal(states, want) {
		t.Errorf("the demo buyer's orders are %v, want one of each of %v", states, want)
	}
	req = mustRequest("GET", base+"/api/v1/orders/"+completed)
	req.AddCookie(buyer)
	res, b = send(t, req, "")
	var reviewed struct {
		Lines []struct {
			ProductID string `json:"product_id"`
		}
	}
	if err := json.Unmarshal(b, &reviewed); res.StatusCode != 200 || err != nil || len(reviewed.Lines) == 0 {
		t.Fatalf("the completed order: %v %s", res.Status, b)
	}
	if res, b = send(t, mustRequest("GET", base+"/api/v1/products/"+reviewed.Lines[0].ProductID+"/reviews"), ""); res.StatusCode != 200 || !strings.Contains(string(b), `"stars":5`) {
		t.Errorf("the completed order's product has no review of 5 stars: %v %s", res.Status, b)
	}

	// The demo buyer shared a product a friend bought and confirmed: the
	// link has its visit and order, and the commission is payable.
	req = mustRequest("GET", base+"/api/v1/me/share-earnings")
	req.AddCookie(buyer)
	res, b = send(t, req, "")
	var earnings struct {
		Totals []struct {
			Payable struct{ Amount int64 } `json:"payable"`
		} `json:"totals"`
		Links []struct{ Visits, Orders int64 } `json:"links"`
	}
	if err := json.Unmarshal(b, &earnings); res.StatusCode != 200 || err != nil || len(earnings.Totals) != 1 || earnings.Totals[0].Payable.Amount <= 0 ||
		len(earnings.Links) != 1 || earnings.Links[0].Visits != 1 || earnings.Links[0].Orders != 1 {
		t.Errorf("the demo buyer's share earnings: %v %s", res.Status, b)
	}

	// A buyer registering on the mall finds the verification mail in the
	// demo's mailbox, in Chinese, its link on this server (no public URL is
	// set): the relay, the mail consumer and the mailbox are wired.
	if res, b = send(t, mustRequest("POST", base+"/api/v1/auth/register"), `{"email":"li.e2e@example.com","name":"Li","password":"correct horse battery","channel":"mall"}`); res.StatusCode != 201 {
		t.Fatalf("register: %s %s", res.Status, b)
	}
	link := base + "/mall/zh/verify?token="
	for deadline := time.Now().Add(20 * time.Second); ; {
		_, box := send(t, mustRequest("GET", base+"/mall/zh/mailbox"), "")
		if strings.Contains(string(box), "li.e2e@example.com") && strings.Contains(string(box), link) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no verification mail with a link to %s in the mailbox", link)
		}
		time.Sleep(100 * time.Millisecond)
	}

	cancel()
	awaitShutdown(t, done)
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

func mustRequest(method, url string) *http.Request {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		panic(err)
	}
	return req
}

// TestDemoListensOnLoopback: the demo, whose logins are public, listens on
// loopback unless told otherwise; serve listens on every interface.
func TestDemoListensOnLoopback(t *testing.T) {
	for _, tc := range []struct {
		cmd  string
		args []string
		env  string
		want string
	}{
		{"demo", nil, "", "127.0.0.1:8080"},
		{"serve", nil, "", ":8080"},
		{"demo", []string{"--addr", ":9000"}, "", ":9000"},
		{"demo", nil, "0.0.0.0:8081", "0.0.0.0:8081"},
	} {
		c, err := parseConfig(tc.cmd, tc.args, func(k string) string {
			if k == "SESAME_ADDR" {
				return tc.env
			}
			return ""
		}, io.Discard)
		if err != nil || c.Addr != tc.want {
			t.Errorf("%s %v (SESAME_ADDR=%q): addr %q, %v; want %q", tc.cmd, tc.args, tc.env, c.Addr, err, tc.want)
		}
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

// TestRelayAndStreamFlags: replicas and outbox retention come from flags or
// the environment; the embedded server takes one replica only.
func TestRelayAndStreamFlags(t *testing.T) {
	env := map[string]string{"SESAME_NATS_REPLICAS": "3", "SESAME_NATS": "nats://a:4222", "SESAME_OUTBOX_RETENTION": "48h"}
	c, err := parseConfig("serve", nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil || c.NATSReplicas != 3 || c.OutboxRetention != 48*time.Hour {
		t.Errorf("from the environment: replicas %d, retention %s, %v; want 3, 48h", c.NATSReplicas, c.OutboxRetention, err)
	}
	none := func(string) string { return "" }
	c, err = parseConfig("serve", nil, none, io.Discard)
	if err != nil || c.NATSReplicas != 1 || c.OutboxRetention != 24*time.Hour || c.NATSListen != "" {
		t.Errorf("defaults: replicas %d, retention %s, listen %q, %v; want 1, 24h, none", c.NATSReplicas, c.OutboxRetention, c.NATSListen, err)
	}
	c, err = parseConfig("demo", nil, func(k string) string { return map[string]string{"SESAME_NATS_LISTEN": "127.0.0.1:4222"}[k] }, io.Discard)
	if err != nil || c.NATSListen != "127.0.0.1:4222" {
		t.Errorf("SESAME_NATS_LISTEN: listen %q, %v", c.NATSListen, err)
	}
	for _, args := range [][]string{
		{"--nats-replicas", "3"}, // embedded
		{"--nats", "nats://a:4222", "--nats-replicas", "0"},
		{"--outbox-retention", "1s"},
		{"--nats", "nats://a:4222", "--nats-listen", "127.0.0.1:4222"}, // a cluster is reached directly
	} {
		if _, err := parseConfig("serve", args, none, io.Discard); err == nil {
			t.Errorf("parseConfig(%v) succeeded", args)
		}
	}
}

// TestSeedReport: the seed's last line gives its rate at the start and at
// the end, so that a seed slowing as the database grows shows.
func TestSeedReport(t *testing.T) {
	for _, tc := range []struct {
		res  demo.Result
		want string
	}{
		{demo.Result{Products: 1_000_000, Duration: 161*time.Second + 300*time.Millisecond, StartRate: 6104.2, EndRate: 5196},
			"Seeded 1000000 products in 2m41s (6,100/s at the start, 5,200/s at the end)."},
		{demo.Result{Products: 300, Duration: 2345 * time.Millisecond, StartRate: 950, EndRate: 950},
			"Seeded 300 products in 2.3s (950/s at the start, 950/s at the end)."},
		{demo.Result{Duration: 2 * time.Second}, "Seeded 0 products in 2s."},
	} {
		if got := seedReport(tc.res); got != tc.want {
			t.Errorf("seedReport(%+v) = %q; want %q", tc.res, got, tc.want)
		}
	}
}

// awaitShutdown waits for the process whose run reports on done to stop
// cleanly after its context was cancelled.
func awaitShutdown(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no shutdown after 30s")
	}
}

// TestProfilesOnLoopbackOnly: --debug-addr serves the profiles on a
// loopback address and refuses any other.
func TestProfilesOnLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:6060", "localhost"} {
		if _, err := serveProfiles(addr); err == nil {
			t.Errorf("%s: served", addr)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	stop, err := serveProfiles(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	res, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), "goroutine") {
		t.Errorf("goroutine profile: %d %.200s", res.StatusCode, b)
	}
}
