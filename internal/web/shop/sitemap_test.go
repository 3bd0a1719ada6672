package shop_test

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/web"
)

type sitemapIndexDoc struct {
	Sitemaps []struct {
		Loc string `xml:"loc"`
	} `xml:"sitemap"`
}

type urlsetDoc struct {
	URLs []struct {
		Loc     string `xml:"loc"`
		Lastmod string `xml:"lastmod"`
	} `xml:"url"`
}

// xmlDoc fetches path, which must answer 200 in XML, and decodes it into v.
func (s *store) xmlDoc(path string, v any) string {
	s.t.Helper()
	res, body := s.get(path)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/xml; charset=utf-8" {
		s.t.Fatalf("GET %s: %d %s\n%.500s", path, res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	if err := xml.Unmarshal([]byte(body), v); err != nil {
		s.t.Fatalf("GET %s: %v\n%.500s", path, err, body)
	}
	return body
}

// listed is every product listed on a channel, from the catalogue's pages.
func (s *store) listed(code string) map[string]bool {
	s.t.Helper()
	ids := map[string]bool{}
	for cursor := ""; ; {
		pg, err := s.svc.Catalog.ChannelPage(context.Background(), code, "en", cursor, 100)
		if err != nil {
			s.t.Fatal(err)
		}
		for _, v := range pg.Items {
			ids[v.ID] = true
		}
		if cursor = pg.NextCursor; cursor == "" {
			return ids
		}
	}
}

// wantIndex is the sitemap index of chans with perSitemap products a
// sitemap, from the catalogue's own lists.
func (s *store) wantIndex(chans []channel.Channel, perSitemap int) []string {
	var want []string
	for _, ch := range chans {
		want = append(want, s.srv.URL+"/sitemaps/"+ch.Code+"-pages.xml")
		blocks := (len(s.listed(ch.Code)) + perSitemap - 1) / perSitemap
		for _, lang := range ch.Languages {
			for n := 1; n <= blocks; n++ {
				want = append(want, s.srv.URL+"/sitemaps/"+ch.Code+"-"+lang+"-"+strconv.Itoa(n)+".xml")
			}
		}
	}
	return want
}

func (s *store) index() []string {
	s.t.Helper()
	var idx sitemapIndexDoc
	s.xmlDoc("/sitemap.xml", &idx)
	var got []string
	for _, sm := range idx.Sitemaps {
		got = append(got, sm.Loc)
	}
	return got
}

// TestSitemaps: robots.txt names the index; the index names, for every
// channel, its pages' sitemap and, in each language, as many blocks as its
// listed products fill; the blocks hold every listed product of the
// channel exactly once, in full blocks but the last, at the address of its
// product page and with its update time, and nothing else: no other
// channel's product, none unlisted.
func TestSitemaps(t *testing.T) {
	const per = 3
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newStoreWith(t, db, 40, web.Config{SitemapURLs: per})
		ctx := context.Background()
		res, robots := s.get("/robots.txt")
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
			t.Fatalf("robots.txt: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		for _, line := range []string{"User-agent: *", "Disallow: /api/", "Sitemap: " + s.srv.URL + "/sitemap.xml"} {
			if !strings.Contains(robots, line+"\n") {
				t.Errorf("robots.txt lacks %q:\n%s", line, robots)
			}
		}
		chans, err := s.svc.Channels.Channels(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(s.index(), s.wantIndex(chans, per)); diff != "" {
			t.Errorf("sitemap index (-got +want):\n%s", diff)
		}
		for _, ch := range chans {
			s.checkChannelSitemaps(ch, per)
		}
		// Luxe admits only some maisons: the check above is only worth
		// something if bazaar lists products luxe does not.
		luxe, bazaar := s.listed("luxe"), s.listed("bazaar")
		others := 0
		for id := range bazaar {
			if !luxe[id] {
				others++
			}
		}
		if others == 0 {
			t.Fatal("every bazaar product is on luxe: the seed no longer tells the channels apart")
		}

		// An unlisted product leaves the sitemaps, and the blocks close up.
		var gone string
		for id := range bazaar {
			gone = id
			break
		}
		if err := s.svc.Catalog.Unlist(ctx, identity.System, gone, "bazaar"); err != nil {
			t.Fatal(err)
		}
		for _, ch := range chans {
			if ch.Code == "bazaar" {
				if ids := s.checkChannelSitemaps(ch, per); ids[gone] {
					t.Errorf("unlisted %s is still in bazaar's sitemaps", gone)
				}
			}
		}
		if diff := cmp.Diff(s.index(), s.wantIndex(chans, per)); diff != "" {
			t.Errorf("sitemap index after an unlisting (-got +want):\n%s", diff)
		}

		var pages urlsetDoc
		s.xmlDoc("/sitemaps/luxe-pages.xml", &pages)
		var got []string
		for _, u := range pages.URLs {
			got = append(got, u.Loc)
		}
		want := []string{}
		for _, lang := range []string{"zh", "en", "fr"} {
			want = append(want, s.srv.URL+"/luxe/"+lang+"/", s.srv.URL+"/luxe/"+lang+"/new")
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("luxe's pages (-got +want):\n%s", diff)
		}
	})
}

// checkChannelSitemaps reads every block of ch in each of its languages
// and checks it against the channel's listed products; it returns them.
func (s *store) checkChannelSitemaps(ch channel.Channel, per int) map[string]bool {
	t := s.t
	t.Helper()
	want := s.listed(ch.Code)
	blocks := (len(want) + per - 1) / per
	for _, lang := range ch.Languages {
		seen := map[string]bool{}
		prefix := s.srv.URL + "/" + ch.Code + "/" + lang + "/p/"
		last := ""
		for n := 1; n <= blocks; n++ {
			path := "/sitemaps/" + ch.Code + "-" + lang + "-" + strconv.Itoa(n) + ".xml"
			var doc urlsetDoc
			s.xmlDoc(path, &doc)
			if len(doc.URLs) == 0 || len(doc.URLs) > per || n < blocks && len(doc.URLs) != per {
				t.Errorf("%s: %d URLs, want %d a block", path, len(doc.URLs), per)
			}
			for _, u := range doc.URLs {
				if !strings.HasPrefix(u.Loc, prefix) {
					t.Errorf("%s: %s is not a product page of %s in %s", path, u.Loc, ch.Code, lang)
					continue
				}
				id := u.Loc[strings.LastIndex(u.Loc, "prd_"):]
				if seen[id] {
					t.Errorf("%s: %s named twice", path, id)
				}
				if id <= last {
					t.Errorf("%s: %s after %s, out of id order", path, id, last)
				}
				seen[id], last = true, id
				if !want[id] {
					t.Errorf("%s names %s, not listed on %s", path, id, ch.Code)
					continue
				}
				// The address is the page's own: no redirect to another slug.
				loc, err := url.Parse(u.Loc)
				if err != nil {
					t.Fatal(err)
				}
				s.page(loc.Path)
				v, err := s.svc.Catalog.PublicProduct(context.Background(), id, ch.Code, lang)
				if err != nil {
					t.Fatal(err)
				}
				if w := v.UpdatedAt.UTC().Format(time.RFC3339); u.Lastmod != w {
					t.Errorf("%s: %s lastmod %q, want %q", path, id, u.Lastmod, w)
				}
			}
		}
		if diff := cmp.Diff(seen, want); diff != "" {
			t.Errorf("%s in %s: products named (-) and listed (+):\n%s", ch.Code, lang, diff)
		}
		past := "/sitemaps/" + ch.Code + "-" + lang + "-" + strconv.Itoa(blocks+1) + ".xml"
		if res, _ := s.get(past); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s, past the last block: %d", past, res.StatusCode)
		}
	}
	return want
}

// TestSitemapSchemas validates robots.txt's index and every sitemap it
// names, at the protocol's size, against the sitemaps.org schemas, with
// xmllint.
func TestSitemapSchemas(t *testing.T) {
	schemas := schemaDir(t)
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newStore(t, db, 60)
		_, robots := s.get("/robots.txt")
		_, index, ok := strings.Cut(robots, "Sitemap: "+s.srv.URL)
		if !ok {
			t.Fatalf("robots.txt names no sitemap:\n%s", robots)
		}
		index = strings.TrimSpace(index)
		var idx sitemapIndexDoc
		validate(t, schemas, "siteindex.xsd", s.xmlDoc(index, &idx))
		if len(idx.Sitemaps) < 10 {
			t.Fatalf("the index names %d sitemaps", len(idx.Sitemaps))
		}
		for _, sm := range idx.Sitemaps {
			var doc urlsetDoc
			validate(t, schemas, "sitemap.xsd", s.xmlDoc(strings.TrimPrefix(sm.Loc, s.srv.URL), &doc))
		}
	})
}

// schemaDir is the folder of the sitemaps.org schemas, ../shared/schemas
// from the repository's root. Without xmllint or the schemas the test is
// skipped, except in CI (CI=true), where it fails.
func schemaDir(t *testing.T) string {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatal(what + " is missing: CI validates the sitemaps (apt-get install libxml2-utils)")
		}
		t.Skip(what + " is missing: the sitemaps are not validated against their schemas (apt-get install libxml2-utils)")
	}
	if _, err := exec.LookPath("xmllint"); err != nil {
		missing("xmllint")
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = up
	}
	schemas := filepath.Join(dir, "..", "shared", "schemas")
	if _, err := os.Stat(filepath.Join(schemas, "sitemap.xsd")); err != nil {
		missing(schemas + "/sitemap.xsd")
	}
	return schemas
}

// validate checks doc against schema with xmllint.
func validate(t *testing.T, dir, schema, doc string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(f, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("xmllint", "--noout", "--schema", filepath.Join(dir, schema), f).CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		t.Fatalf("not valid against %s:\n%s\n%.1000s", schema, out, doc)
	} else if err != nil {
		t.Fatal(err)
	}
}

// TestSitemapHostileAddresses: a sitemap's name is read strictly; whatever
// else it holds is a 404, never a 500.
func TestSitemapHostileAddresses(t *testing.T) {
	s := newStoreWith(t, testkit.Open(t, sqlstore.SQLite), 10, web.Config{SitemapURLs: 3})
	bazaar, err := s.svc.Channels.Channel(context.Background(), "bazaar")
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := s.get("/sitemaps/bazaar-fr-1.xml"); res.StatusCode != http.StatusOK {
		t.Fatalf("the first block: %d", res.StatusCode)
	}
	for _, name := range []string{
		"bazaar-fr-0.xml", "bazaar-fr-99999999999999999999.xml", "bazaar-fr-01.xml", "bazaar-fr-+1.xml", "bazaar-fr--1.xml",
		"bazaar-fr-1.5.xml", "bazaar-fr-1e3.xml", "bazaar-fr- 1.xml", "bazaar-fr-999999999.xml", "bazaar-fr-1", "bazaar-fr-1.XML",
		"bazaar-fr-1.xml.gz", "bazaar-fr-.xml", "bazaar-fr.xml", "bazaar-1.xml", "bazaar.xml", ".xml", "-1.xml", "--1.xml",
		"nowhere-fr-1.xml", "bazaar-zh-1.xml", "bazaar-xx-1.xml", "bazaar--1.xml", "-fr-1.xml", "BAZAAR-fr-1.xml",
		bazaar.ID + "-fr-1.xml", bazaar.ID + "-pages.xml", "nowhere-pages.xml", "-pages.xml", "pages.xml",
		"bazaar-..-1.xml", "..-fr-1.xml", "..%2Fsitemap.xml", "..%2F..%2Fetc%2Fpasswd", "bazaar-fr-1.xml%00",
		"%3Cscript%3E-fr-1.xml", strings.Repeat("a-", 5000) + "1.xml",
	} {
		res, body := s.get("/sitemaps/" + name)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("/sitemaps/%.80s: %d, want 404", name, res.StatusCode)
		}
		if strings.Contains(body, "<script>") {
			t.Errorf("/sitemaps/%.80s: reflected unescaped", name)
		}
	}
}
