package catalog

import (
	"encoding/json"
	"maps"
	"slices"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/money"
)

// Rendered is a product's public View pre-rendered in pieces of JSON, made
// when the product is written, so that a read assembles the View of any
// channel the product is priced on, in any of that channel's languages, by
// concatenation alone: no decoding, no price formatting, no encoding. Only
// the text and the prices differ between channels and languages, so each is
// rendered once per translation and once per (channel, language), and the
// rest once.
//
// Append's output is byte for byte json.Marshal(p.View(&ch, lang)); the
// test TestRenderedIsTheView holds the two together.
type Rendered struct {
	Head     []byte          // {"id":"…",
	Texts    []RenderedText  // one per translation, by language
	Body     []byte          // "merchant":…,"variants":[
	Variants [][]byte        // per variant: {"id":…,"sku":…,"options":…,"prices":
	Prices   []RenderedPrice // per channel and language of that channel
	Tail     []byte          // ],"updated_at":"…"}
}

// RenderedText is one translation's members of the View: lang, title and
// description, followed by a comma.
type RenderedText struct {
	Lang []byte
	JSON []byte
}

// RenderedPrice is, for one channel and language, each variant's prices
// array and the variant's closing brace.
type RenderedPrice struct {
	ChannelID, Lang []byte // bytes, so a stored view decodes without copies
	PerVariant      [][]byte
}

// Render pre-renders p for the given channels (those it is priced on), in
// each of their languages, formatting prices with f.
func Render(f *money.Formatters, p Product, chans []channel.Channel) Rendered {
	var r Rendered
	r.Head = append(append([]byte(`{"id":`), jsonOf(p.ID)...), ',')
	for _, l := range slices.Sorted(maps.Keys(p.Translations)) {
		r.Texts = append(r.Texts, RenderedText{Lang: []byte(l), JSON: textMembers(l, p.Translations[l])})
	}
	v := p.View(f, nil, "")
	b := []byte(`"merchant":`)
	b = append(b, jsonOf(v.Merchant)...)
	if v.Brand != nil {
		b = append(append(b, `,"brand":`...), jsonOf(v.Brand)...)
	}
	b = append(append(b, `,"category_id":`...), jsonOf(v.CategoryID)...)
	b = append(append(b, `,"origin_country":`...), jsonOf(v.OriginCountry)...)
	b = append(append(b, `,"media":`...), jsonOf(v.Media)...)
	if len(v.Attributes) > 0 {
		b = append(append(b, `,"attributes":`...), jsonOf(v.Attributes)...)
	}
	r.Body = append(b, `,"variants":[`...)
	for i, vr := range p.Variants {
		b := []byte{}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(append(b, `{"id":`...), jsonOf(vr.ID)...)
		b = append(append(b, `,"sku":`...), jsonOf(vr.SKU)...)
		if len(vr.Options) > 0 {
			b = append(append(b, `,"options":`...), jsonOf(vr.Options)...)
		}
		r.Variants = append(r.Variants, append(b, `,"prices":`...))
	}
	// Prices as View shows them on a channel (the channel's, in the
	// variant's order, formatted for the language); variants often share
	// amounts, so each is formatted once.
	formatted := map[PriceView]string{}
	for i := range chans {
		ch := &chans[i]
		for _, lang := range ch.Languages {
			rp := RenderedPrice{ChannelID: []byte(ch.ID), Lang: []byte(lang)}
			for _, vr := range p.Variants {
				pvs := make([]PriceView, 0, len(vr.Prices))
				for _, pr := range vr.Prices {
					if pr.ChannelID != ch.ID {
						continue
					}
					pv := PriceView{Amount: pr.Minor, Currency: pr.Currency, Formatted: lang}
					s, ok := formatted[pv]
					if !ok {
						s = f.Format(pr.Amount, lang)
						formatted[pv] = s
					}
					pv.Formatted = s
					pvs = append(pvs, pv)
				}
				rp.PerVariant = append(rp.PerVariant, append(jsonOf(pvs), '}'))
			}
			r.Prices = append(r.Prices, rp)
		}
	}
	r.Tail = append(append([]byte(`],"updated_at":`), jsonOf(v.UpdatedAt)...), '}')
	return r
}

// Append appends the View of the product on channel ch in language lang
// (one of the channel's languages) to dst. It reports false, leaving dst as
// it was, when the pieces do not hold that channel and language (the
// channel gained a language after the product was rendered): the caller then
// renders from the product itself.
func (r *Rendered) Append(dst []byte, ch *channel.Channel, lang string) ([]byte, bool) {
	var prices *RenderedPrice
	for i := range r.Prices {
		if string(r.Prices[i].ChannelID) == ch.ID && string(r.Prices[i].Lang) == lang {
			prices = &r.Prices[i]
			break
		}
	}
	if prices == nil || len(prices.PerVariant) != len(r.Variants) {
		return dst, false
	}
	dst = append(dst, r.Head...)
	used := textLang(func(l string) bool {
		for _, t := range r.Texts {
			if string(t.Lang) == l {
				return true
			}
		}
		return false
	}, func() string {
		if len(r.Texts) == 0 {
			return ""
		}
		return string(r.Texts[0].Lang)
	}, lang, ch.DefaultLanguage)
	text := []byte(`"lang":"","title":"",`)
	for _, t := range r.Texts {
		if string(t.Lang) == used {
			text = t.JSON
		}
	}
	dst = append(dst, text...)
	dst = append(dst, r.Body...)
	for i, v := range r.Variants {
		dst = append(dst, v...)
		dst = append(dst, prices.PerVariant[i]...)
	}
	return append(dst, r.Tail...), true
}

// textMembers is `"lang":…,"title":…,"description":…,` for one translation,
// as View encodes them (description omitted when empty).
func textMembers(lang string, t Text) []byte {
	b := append([]byte(`"lang":`), jsonOf(lang)...)
	b = append(append(b, `,"title":`...), jsonOf(t.Title)...)
	if t.Description != "" {
		b = append(append(b, `,"description":`...), jsonOf(t.Description)...)
	}
	return append(b, ',')
}

// jsonOf is v encoded by encoding/json, as View's fields are. Every value
// here (strings, string maps, refs, prices, times) encodes without error.
func jsonOf(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("catalog: render: " + err.Error())
	}
	return b
}

// textLang is the language whose text a View shows for lang on a channel
// whose default is def: the first of fallbackOrder that has a translation,
// else the first language in tag order (first). has says whether a
// translation exists.
func textLang(has func(string) bool, first func() string, lang, def string) string {
	for _, l := range fallbackOrder(lang, def) {
		if l != "" && has(l) {
			return l
		}
	}
	return first()
}
