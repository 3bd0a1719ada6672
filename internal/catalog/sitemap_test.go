package catalog

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/money"
)

// TestSitemapEntryIsTheView: for random products, the sitemap entry read
// from the rendered pieces is the one read from the product, and names the
// View's title and time: a sitemap's address is the product page's.
func TestSitemapEntryIsTheView(t *testing.T) {
	chans := []channel.Channel{
		{ID: "chn_bazaar", Languages: []string{"fr", "en"}, DefaultLanguage: "fr", Currencies: []string{"EUR", "GBP"}},
		{ID: "chn_luxe", Languages: []string{"zh", "en", "fr"}, DefaultLanguage: "en", Currencies: []string{"CNY"}},
	}
	rapid.Check(t, func(t *rapid.T) {
		p := genProduct(t, chans)
		f := money.NewFormatters(0)
		r := Render(f, p, chans)
		for i := range chans {
			ch := &chans[i]
			for _, lang := range ch.Languages {
				got, ok := r.SitemapEntry(p.ID, ch, lang)
				if !ok {
					t.Fatalf("%s %s: the pieces could not say", ch.ID, lang)
				}
				if diff := cmp.Diff(got, EntryOf(p, ch, lang)); diff != "" {
					t.Fatalf("%s %s: from the pieces (-) and from the product (+):\n%s", ch.ID, lang, diff)
				}
				v := p.View(f, ch, lang)
				if got.Title != v.Title || !got.UpdatedAt.Equal(v.UpdatedAt) {
					t.Fatalf("%s %s: entry %+v, view title %q at %v", ch.ID, lang, got, v.Title, v.UpdatedAt)
				}
			}
		}
	})
}

// TestSitemapEntryMalformed: pieces that do not hold what Render writes are
// reported, for the store to read the product instead.
func TestSitemapEntryMalformed(t *testing.T) {
	ch := &channel.Channel{ID: "chn_1", Languages: []string{"fr"}, DefaultLanguage: "fr"}
	for name, r := range map[string]Rendered{
		"no tail":         {Texts: []RenderedText{{Lang: []byte("fr"), JSON: textMembers("fr", Text{Title: "x"})}}},
		"title unclosed":  {Texts: []RenderedText{{Lang: []byte("fr"), JSON: []byte(`"lang":"fr","title":"x\"`)}}, Tail: []byte(`],"updated_at":"2025-01-02T03:04:05Z"}`)},
		"no title":        {Texts: []RenderedText{{Lang: []byte("fr"), JSON: []byte(`"lang":"fr",`)}}, Tail: []byte(`],"updated_at":"2025-01-02T03:04:05Z"}`)},
		"time not a time": {Tail: []byte(`],"updated_at":"yesterday"}`)},
	} {
		if e, ok := r.SitemapEntry("prd_1", ch, "fr"); ok {
			t.Errorf("%s: read as %+v", name, e)
		}
	}
}
