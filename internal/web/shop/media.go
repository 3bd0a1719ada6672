package shop

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"

	"github.com/sesame-market/sesame/internal/catalog"
)

// Demo images: the demo's products name /media/demo/{id}.svg, which Sesame
// draws from the product itself: a pictogram of its category on a ground
// of its colour, with its brand. Real uploads come with the consoles.

// pictograms are SVG shapes (in a 400 by 400 box, drawn in white) per
// category slug; other categories get a parcel.
var pictograms = map[string]string{
	"phone-cases": `<rect x="145" y="80" width="110" height="200" rx="22" fill="none" stroke="#fff" stroke-width="12"/><circle cx="180" cy="118" r="12" fill="#fff"/>`,
	"clothing":    `<path d="M150 90 L200 110 L250 90 L300 130 L275 165 L255 150 L255 290 L145 290 L145 150 L125 165 L100 130 Z" fill="none" stroke="#fff" stroke-width="12" stroke-linejoin="round"/>`,
	"jewellery":   `<circle cx="200" cy="200" r="70" fill="none" stroke="#fff" stroke-width="14"/><path d="M200 105 L225 75 L175 75 Z" fill="#fff"/>`,
	"furniture":   `<rect x="110" y="150" width="180" height="20" rx="6" fill="#fff"/><rect x="125" y="170" width="14" height="110" fill="#fff"/><rect x="261" y="170" width="14" height="110" fill="#fff"/>`,
	"travel":      `<rect x="130" y="120" width="140" height="170" rx="18" fill="none" stroke="#fff" stroke-width="12"/><path d="M170 120 V95 H230 V120" fill="none" stroke="#fff" stroke-width="12"/><line x1="200" y1="150" x2="200" y2="260" stroke="#fff" stroke-width="8"/>`,
	"beauty":      `<rect x="160" y="140" width="80" height="150" rx="16" fill="none" stroke="#fff" stroke-width="12"/><rect x="180" y="95" width="40" height="45" fill="#fff"/>`,
	"food":        `<path d="M180 80 H220 V130 C255 150 260 175 260 200 V290 H140 V200 C140 175 145 150 180 130 Z" fill="none" stroke="#fff" stroke-width="12" stroke-linejoin="round"/>`,
	"bags":        `<rect x="115" y="150" width="170" height="130" rx="14" fill="none" stroke="#fff" stroke-width="12"/><path d="M160 150 C160 95 240 95 240 150" fill="none" stroke="#fff" stroke-width="12"/>`,
}

const parcel = `<rect x="120" y="130" width="160" height="140" rx="8" fill="none" stroke="#fff" stroke-width="12"/><path d="M120 170 H280 M200 130 V270" stroke="#fff" stroke-width="8"/>`

// colours are grounds for the colours variants are named after.
var colours = map[string][2]string{
	"black": {"#2b2b2b", "#555"}, "cognac": {"#8a4b20", "#c07a3a"}, "ivory": {"#b9a98a", "#e2d6bd"},
	"navy": {"#1f2f57", "#3b5392"}, "sand": {"#b08f5c", "#dcc39a"}, "natural": {"#8b6d45", "#c2a27a"},
	"white": {"#8d99a6", "#c9d2db"}, "blue": {"#1d5fa8", "#4f93d8"}, "silver": {"#6d7680", "#b3bcc6"},
	"gold": {"#9a7410", "#d8b13f"},
}

// grounds are used when the product names no colour: picked by its id.
var grounds = [][2]string{{"#c2410c", "#f97316"}, {"#0f766e", "#14b8a6"}, {"#7c3aed", "#a78bfa"}, {"#be123c", "#fb7185"},
	{"#1d4ed8", "#60a5fa"}, {"#a16207", "#facc15"}, {"#15803d", "#4ade80"}, {"#334155", "#94a3b8"}}

// demoImage draws v, whose category has slug cat.
func demoImage(v catalog.View, cat string) []byte {
	g := ground(v)
	pic, ok := pictograms[cat]
	if !ok {
		pic = parcel
	}
	label := v.Merchant.Name
	if v.Brand != nil {
		label = v.Brand.Name
	}
	var esc bytes.Buffer
	xml.EscapeText(&esc, []byte(label))
	size := 26
	if n := len([]rune(label)); n > 18 {
		size = max(14, 26*18/n)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400" width="400" height="400">`+
		`<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="%s"/><stop offset="1" stop-color="%s"/></linearGradient></defs>`+
		`<rect width="400" height="400" fill="url(#g)"/>%s`+
		`<text x="200" y="352" text-anchor="middle" font-family="Georgia, 'Times New Roman', serif" font-size="%d" fill="#fff" letter-spacing="2">%s</text></svg>`,
		g[0], g[1], pic, size, strings.ToUpper(esc.String()))
	return b.Bytes()
}

// ground is the product's colour: its first variant's colour or metal, else
// one picked by its id.
func ground(v catalog.View) [2]string {
	for _, vr := range v.Variants {
		for _, k := range []string{"colour", "metal"} {
			if c, ok := colours[vr.Options[k]]; ok {
				return c
			}
		}
	}
	h := fnv.New32a()
	h.Write([]byte(v.ID))
	return grounds[h.Sum32()%uint32(len(grounds))]
}

// media serves /media/demo/{file}: a listed product's image.
func (s *Shop) media(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(r.PathValue("file"), ".svg")
	if !ok {
		s.notFound(w, r, nil)
		return
	}
	v, err := s.svc.Catalog.PublicProduct(r.Context(), id, "", "en")
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	etag := `"` + strconv.FormatInt(v.UpdatedAt.UnixNano(), 36) + `"`
	h := w.Header()
	h.Set("Etag", etag)
	h.Set("Cache-Control", "public, max-age=86400")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	cats, err := s.categories(r)
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	h.Set("Content-Type", "image/svg+xml")
	w.Write(demoImage(v, cats[v.CategoryID].Slug))
}

// DemoMedia is the address of product id's demo image.
func DemoMedia(id string) string { return "/media/demo/" + id + ".svg" }
