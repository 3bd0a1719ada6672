// Package feedtest writes generated catalogue feeds, for tests and the
// import benchmark (scripts/feedgen): n products of one category, priced on
// the channels bazaar (EUR) and mall (CNY), in either format.
package feedtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/sesame-market/sesame/internal/feed"
)

// Product is the content of generated line i; a test changes it to make
// the line bad or different.
type Product struct {
	Ref, SKU, BrandID, CategoryID, Origin, TitleEN, TitleFR, Description string
	// EUR and CNY are the prices in minor units on bazaar and mall; EURText,
	// when not empty, is written in the CSV in place of EUR.
	EUR, CNY int64
	EURText  string
	// Currency is bazaar's price's currency in JSON Lines ("EUR" by default).
	Currency string
}

// Default is generated line i's product, of category cat.
func Default(i int, cat string) Product {
	return Product{Ref: fmt.Sprintf("REF-%07d", i), SKU: fmt.Sprintf("SKU-%07d", i), CategoryID: cat, Origin: "CN",
		TitleEN: fmt.Sprintf("Phone case %d", i), TitleFR: fmt.Sprintf("Coque %d", i),
		Description: "A clear case that keeps the phone's lines, ref. " + strconv.Itoa(i) + ".",
		EUR:         1000 + int64(i%500), CNY: 8000 + int64(i%700), Currency: "EUR"}
}

// CSVHeader is the header Write gives a CSV feed.
const CSVHeader = "ref,sku,brand_id,category_id,origin_country,title_en,title_fr,description_en,price:bazaar:EUR,price:mall:CNY,option:colour"

// Write writes a feed of n lines in format f; line i (from 0) is
// product(i).
func Write(w io.Writer, f feed.Format, n int, product func(i int) Product) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	if f == feed.CSV {
		bw.WriteString(CSVHeader + "\n")
	}
	var buf []byte
	for i := range n {
		p := product(i)
		buf = buf[:0]
		if f == feed.CSV {
			eur := strconv.FormatInt(p.EUR, 10)
			if p.EURText != "" {
				eur = p.EURText
			}
			buf = fmt.Appendf(buf, "%s,%s,%s,%s,%s,%q,%q,%q,%s,%d,black\n", p.Ref, p.SKU, p.BrandID, p.CategoryID, p.Origin,
				p.TitleEN, p.TitleFR, p.Description, eur, p.CNY)
		} else {
			line := map[string]any{"ref": p.Ref, "category_id": p.CategoryID, "origin_country": p.Origin,
				"translations": map[string]any{"en": map[string]string{"title": p.TitleEN, "description": p.Description}, "fr": map[string]string{"title": p.TitleFR}},
				"variants": []any{map[string]any{"sku": p.SKU, "options": map[string]string{"colour": "black"},
					"prices": []any{map[string]any{"channel": "bazaar", "currency": p.Currency, "amount": p.EUR}, map[string]any{"channel": "mall", "currency": "CNY", "amount": p.CNY}}}}}
			if p.BrandID != "" {
				line["brand_id"] = p.BrandID
			}
			b, err := json.Marshal(line)
			if err != nil {
				return err
			}
			buf = append(append(buf, b...), '\n')
		}
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}
