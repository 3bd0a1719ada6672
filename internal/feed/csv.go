package feed

import (
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/errs"
)

// csvColumn is what one column of a CSV feed holds.
type csvColumn struct {
	kind string // ref, sku, brand_id, category_id, origin_country, title, description, price, option, attribute, media, channels
	// lang (title, description), name (option, attribute) or channel
	// (price); currency (price).
	key, currency string
	name          string // the header's text, the field of a line error about it
}

// csvDecoder reads a CSV feed: a header naming the columns (see
// docs/import.md), then one product of one variant a record.
type csvDecoder struct {
	r    *csv.Reader
	cols []csvColumn
	n    int
}

func newCSVDecoder(r io.Reader) (*csvDecoder, error) {
	const op = "feed.csv"
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errs.Field(op, "header", "the feed is empty: a CSV feed starts with its header")
	} else if err != nil {
		return nil, errs.Field(op, "header", "the header cannot be read: "+err.Error())
	}
	d := &csvDecoder{r: cr, n: 1}
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff") // a byte-order mark some spreadsheets write
		}
		c, ok := parseColumn(h)
		if !ok {
			return nil, errs.Field(op, "header", "unknown column "+strconv.Quote(h)+" (see docs/import.md)")
		}
		if seen[h] {
			return nil, errs.Field(op, "header", "column "+strconv.Quote(h)+" appears twice")
		}
		seen[h] = true
		d.cols = append(d.cols, c)
	}
	for _, must := range []string{"ref", "category_id", "origin_country"} {
		if !seen[must] {
			return nil, errs.Field(op, "header", "the header has no column "+must)
		}
	}
	return d, nil
}

// parseColumn reads one header name.
func parseColumn(h string) (csvColumn, bool) {
	c := csvColumn{name: h}
	switch h {
	case "ref", "sku", "brand_id", "category_id", "origin_country", "media", "channels":
		c.kind = h
		return c, true
	}
	if lang, ok := strings.CutPrefix(h, "title_"); ok && lang != "" {
		c.kind, c.key = "title", lang
		return c, true
	}
	if lang, ok := strings.CutPrefix(h, "description_"); ok && lang != "" {
		c.kind, c.key = "description", lang
		return c, true
	}
	if rest, ok := strings.CutPrefix(h, "price:"); ok {
		ch, cur, ok := strings.Cut(rest, ":")
		if ok && ch != "" && cur != "" {
			c.kind, c.key, c.currency = "price", ch, cur
			return c, true
		}
		return c, false
	}
	for _, k := range []string{"option", "attribute"} {
		if name, ok := strings.CutPrefix(h, k+":"); ok && name != "" {
			c.kind, c.key = k, name
			return c, true
		}
	}
	return c, false
}

func (d *csvDecoder) lineNo() int { return d.n }

func (d *csvDecoder) next() (catalog.Line, error) {
	rec, err := d.r.Read()
	if err == io.EOF {
		return catalog.Line{}, io.EOF
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		d.n = pe.Line
		return catalog.Line{}, &lineError{line: pe.StartLine, reason: "not a CSV record: " + pe.Err.Error()}
	} else if err != nil {
		return catalog.Line{}, err
	}
	start, _ := d.r.FieldPos(0)
	d.n, _ = d.r.FieldPos(len(rec) - 1)
	l := catalog.Line{N: start}
	v := catalog.VariantInput{}
	in := &l.Product
	for i, c := range d.cols {
		val := strings.TrimSpace(rec[i])
		switch c.kind {
		case "ref":
			l.Ref = val
		case "sku":
			v.SKU = val
		case "brand_id":
			in.BrandID = val
		case "category_id":
			in.CategoryID = val
		case "origin_country":
			in.OriginCountry = val
		case "media":
			in.Media = strings.Fields(val)
		case "channels":
			l.Channels = strings.Fields(val)
		case "title", "description":
			if val == "" {
				continue
			}
			if in.Translations == nil {
				in.Translations = map[string]catalog.Text{}
			}
			t := in.Translations[c.key]
			if c.kind == "title" {
				t.Title = val
			} else {
				t.Description = rec[i] // a description keeps its own spacing
			}
			in.Translations[c.key] = t
		case "price":
			if val == "" {
				continue
			}
			amt, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return catalog.Line{}, &lineError{line: start, field: c.name, reason: "must be a whole number of minor units (cents), such as 1290"}
			}
			v.Prices = append(v.Prices, catalog.PriceInput{Channel: c.key, Currency: c.currency, Amount: amt})
		case "option", "attribute":
			if val == "" {
				continue
			}
			m := &v.Options
			if c.kind == "attribute" {
				m = &in.Attributes
			}
			if *m == nil {
				*m = map[string]string{}
			}
			(*m)[c.key] = val
		}
	}
	if v.SKU == "" {
		v.SKU = l.Ref
	}
	in.Variants = []catalog.VariantInput{v}
	return l, nil
}
