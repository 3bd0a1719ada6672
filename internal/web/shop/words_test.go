package shop

import (
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestEveryWordInEveryLanguage: the message files hold the same messages,
// and every message a template or the code asks for is in them, so that no
// page shows a message id.
func TestEveryWordInEveryLanguage(t *testing.T) {
	keys := map[string][]string{}
	for _, l := range uiLanguages {
		b, err := localeFS.ReadFile("locales/" + l + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		keys[l] = slices.Sorted(maps.Keys(m))
	}
	for _, l := range uiLanguages[1:] {
		if !slices.Equal(keys[l], keys["en"]) {
			t.Errorf("%s has messages %v, en has %v", l, keys[l], keys["en"])
		}
	}
	used := map[string]bool{}
	tmplRe := regexp.MustCompile(`\.W\.[TN] "([a-z_]+)"`)
	codeRe := regexp.MustCompile(`W\.[TN]\("([a-z_]+)"`)
	fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := templateFS.ReadFile(p)
		for _, m := range tmplRe.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		return nil
	})
	files, _ := os.ReadDir(".")
	for _, f := range files {
		if strings.HasSuffix(f.Name(), ".go") && !strings.HasSuffix(f.Name(), "_test.go") {
			b, _ := os.ReadFile(f.Name())
			for _, m := range codeRe.FindAllStringSubmatch(string(b), -1) {
				used[m[1]] = true
			}
		}
	}
	if len(used) < 20 {
		t.Fatalf("found only %d messages in use: the patterns no longer match the code", len(used))
	}
	for id := range used {
		if !slices.Contains(keys["en"], id) {
			t.Errorf("message %q is used but not written", id)
		}
	}
	for _, id := range keys["en"] {
		if !used[id] {
			t.Errorf("message %q is written but never used", id)
		}
	}
}

// TestPlurals: counts take the language's plural forms.
func TestPlurals(t *testing.T) {
	b, err := loadBundle()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		lang  string
		count int
		want  string
	}{{"en", 1, "1 merchant"}, {"en", 2, "2 merchants"}, {"en", 0, "0 merchants"}, {"fr", 0, "0 marchand"}, {"fr", 1, "1 marchand"},
		{"fr", 3, "3 marchands"}, {"zh", 1, "1 家商户"}, {"zh", 7, "7 家商户"}} {
		if got := newWords(b, c.lang, nil).N("merchant_count", c.count); got != c.want {
			t.Errorf("%s %d: %q, want %q", c.lang, c.count, got, c.want)
		}
	}
}

// TestLists: lists are joined as each language writes them.
func TestLists(t *testing.T) {
	b, err := loadBundle()
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string]string{"zh": "中国、中国香港特别行政区", "fr": "Chine, R.A.S. chinoise de Hong Kong", "en": "China, Hong Kong SAR China"} {
		w := newWords(b, lang, nil)
		if got := w.List([]string{w.Country("CN"), w.Country("HK")}); got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
}

func TestSlugs(t *testing.T) {
	for title, want := range map[string]string{
		"Robe d'été essentiel — Marinières de Bretagne": "robe-d-ete-essentiel-marinieres-de-bretagne",
		"Coque MagSafe (iPhone 16 Pro)":                 "coque-magsafe-iphone-16-pro",
		"Maison Lumière 高级皮革托特包":                        "maison-lumiere-高级皮革托特包",
		"  --  ":                                        "",
	} {
		if got := slugOf(title); got != want {
			t.Errorf("slugOf(%q) = %q, want %q", title, got, want)
		}
	}
	if got := len([]rune(slugOf(strings.Repeat("ab ", 100)))); got > maxSlugRunes+maxSlugRunes/2 {
		t.Errorf("a long title's slug has %d runes", got)
	}
	id := "prd_01a2352f24fc76bc971b52b636fd0fe2"
	for seg, want := range map[string]string{"robe-" + id: id, id: id, "robe" + id: "", "robe": "", "": ""} {
		if got := idOfSlug(seg); got != want {
			t.Errorf("idOfSlug(%q) = %q, want %q", seg, got, want)
		}
	}
}
