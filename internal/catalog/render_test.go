package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/money"
)

// texts include what encoding/json escapes (quotes, <, >, &, U+2028) and
// what it does not (accents, CJK).
var renderTexts = []string{"", "Coque", `Sac "Marais" <cuir> & co`, "Savon de Marseille — 300 g", "磁吸手机壳", "line\u2028sep", "tab\there"}

func genProduct(t *rapid.T, chans []channel.Channel) Product {
	p := Product{ID: "prd_" + rapid.StringMatching(`[0-9a-f]{32}`).Draw(t, "id"), MerchantID: "mer_1", MerchantName: rapid.SampledFrom(renderTexts).Draw(t, "merchant"),
		CategoryID: "cat_1", OriginCountry: rapid.SampledFrom([]string{"FR", "CN"}).Draw(t, "origin"),
		UpdatedAt: time.Unix(rapid.Int64Range(0, 4e9).Draw(t, "at"), rapid.Int64Range(0, 999999999).Draw(t, "ns")).UTC()}
	if rapid.Bool().Draw(t, "brand") {
		p.BrandID, p.BrandName = "brd_1", rapid.SampledFrom(renderTexts).Draw(t, "brandName")
	}
	p.Translations = map[string]Text{}
	for _, l := range rapid.SliceOfDistinct(rapid.SampledFrom([]string{"en", "fr", "zh", "de", "ja"}), rapid.ID[string]).Draw(t, "langs") {
		p.Translations[l] = Text{Title: rapid.SampledFrom(renderTexts[1:]).Draw(t, "title"), Description: rapid.SampledFrom(renderTexts).Draw(t, "desc")}
	}
	switch rapid.IntRange(0, 2).Draw(t, "media") {
	case 1:
		p.Media = []string{}
	case 2:
		p.Media = []string{"https://media.example/a.jpg?x=1&y=<2>"}
	}
	switch rapid.IntRange(0, 2).Draw(t, "attrs") {
	case 1:
		p.Attributes = map[string]string{}
	case 2:
		p.Attributes = map[string]string{"origin": "FR", "matière": rapid.SampledFrom(renderTexts).Draw(t, "attr")}
	}
	for i := range rapid.IntRange(0, 3).Draw(t, "variants") {
		v := Variant{ID: fmt.Sprintf("var_%d", i), SKU: fmt.Sprintf("SKU-%d", i)}
		if rapid.Bool().Draw(t, "options") {
			v.Options = map[string]string{"colour": rapid.SampledFrom(renderTexts).Draw(t, "opt")}
		}
		for _, ch := range chans {
			for _, cur := range ch.Currencies {
				if rapid.IntRange(0, 3).Draw(t, "priced") > 0 {
					v.Prices = append(v.Prices, Price{ChannelID: ch.ID, Amount: money.Amount{Minor: rapid.Int64Range(0, 1e9).Draw(t, "amount"), Currency: cur}})
				}
			}
		}
		p.Variants = append(p.Variants, v)
	}
	return p
}

// TestRenderedIsTheView: for random products, every channel and every
// language of it, the assembled pieces are exactly the JSON encoding of the
// View, so reads from pieces and reads from the document cannot differ.
func TestRenderedIsTheView(t *testing.T) {
	chans := []channel.Channel{
		{ID: "chn_bazaar", Languages: []string{"fr", "en"}, DefaultLanguage: "fr", Currencies: []string{"EUR", "GBP"}},
		{ID: "chn_mall", Languages: []string{"zh", "en"}, DefaultLanguage: "zh", Currencies: []string{"CNY"}},
		{ID: "chn_luxe", Languages: []string{"zh", "en", "fr"}, DefaultLanguage: "en", Currencies: []string{"CNY"}},
	}
	rapid.Check(t, func(t *rapid.T) {
		p := genProduct(t, chans)
		f := money.NewFormatters(0)
		r := Render(f, p, chans[:2])
		for i := range chans {
			ch := &chans[i]
			for _, lang := range ch.Languages {
				got, ok := r.Append([]byte("x"), ch, lang)
				if i == 2 {
					if ok || string(got) != "x" {
						t.Fatalf("a channel not rendered must report false and leave dst alone: %v %q", ok, got)
					}
					continue
				}
				want, err := json.Marshal(p.View(f, ch, lang))
				if err != nil {
					t.Fatal(err)
				}
				if !ok || !bytes.Equal(got[1:], want) {
					t.Fatalf("channel %s lang %s:\n got %s\nwant %s", ch.ID, lang, got[1:], want)
				}
			}
		}
	})
}
