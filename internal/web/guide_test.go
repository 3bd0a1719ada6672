package web_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestGuideIsServed: the API guide is served by Sesame itself, rendered
// from the embedded Markdown, as a page of the site (no outside host).
func TestGuideIsServed(t *testing.T) {
	f := newFixture(t, testkit.Open(t, sqlstore.SQLite))
	res, err := http.Get(f.srv.URL + "/docs/guide")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs/guide: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{"<h2 id=\"the-order-a-merchant-must-follow\">", "<pre><code", "/api/v1/merchant-applications", "Idempotency-Key"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the guide lacks %q", want)
		}
	}
	if res.Header.Get("Content-Security-Policy") == "" {
		t.Error("the guide has no Content-Security-Policy")
	}
	ref, err := http.Get(f.srv.URL + "/docs")
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Body.Close()
	rb, _ := io.ReadAll(ref.Body)
	if !strings.Contains(string(rb), `href="/docs/guide"`) {
		t.Error("the reference does not link the guide")
	}
}
