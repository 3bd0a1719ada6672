package shop_test

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenIDs are the parts of a page that change from run to run: ids, the
// test server's port, the stylesheet's content hash.
var goldenIDs = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(prd|var|mer|brd|cat|chn|pav)_[0-9a-f]{32}`), "${1}_ID"},
	{regexp.MustCompile(`http://127\.0\.0\.1:\d+`), "http://HOST"},
	{regexp.MustCompile(`shop\.[0-9a-f]+\.css`), "shop.HASH.css"},
}

// TestProductHeadGolden keeps a product page's head (title, description,
// canonical and hreflang links, Open Graph and Twitter tags, JSON-LD) in
// testdata/product-head.golden, so that every change to what search
// engines and share previews read shows in review. Refresh it with
// go test ./internal/web/shop -run TestProductHeadGolden -update
func TestProductHeadGolden(t *testing.T) {
	s := newStore(t, testkit.Open(t, sqlstore.SQLite), 120)
	s.sync()
	// The demo's catalogue is the same at every run but for its ids: its
	// dearest luxe product is a fixed one.
	_, r := s.searchAPI("channel=luxe&lang=fr&sort=price_desc&limit=1")
	if len(r.Items) != 1 {
		t.Fatal("luxe has no product")
	}
	body := s.page(productPathOf(s.page("/luxe/fr/search?sort=price_desc"), r.Items[0].ID))
	head := body[strings.Index(body, "<head>") : strings.Index(body, "</head>")+len("</head>")]
	for _, g := range goldenIDs {
		head = g.re.ReplaceAllString(head, g.with)
	}
	// One tag or JSON-LD member per line, for readable diffs.
	head = strings.ReplaceAll(head, `,"`, ",\n\"") + "\n"
	path := filepath.Join("testdata", "product-head.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(head), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if head != string(want) {
		t.Errorf("the product page's head differs from %s; if the change is meant, run with -update\ngot:\n%s", path, head)
	}
}
