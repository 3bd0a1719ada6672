package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"encoding/binary"
	"errors"
	"sync"

	"github.com/klauspost/compress/s2"

	"github.com/sesame-market/sesame/internal/catalog"
)

// products.view holds a product's catalog.Rendered: the pre-rendered pieces
// buyers' reads concatenate. Its stored form is a version byte, then each
// piece as a uvarint length and its bytes, counts as uvarints:
//
//	v=1  head  nTexts (lang json)*  body  nVariants (piece)*
//	     nPrices (channel lang piece{nVariants})*  tail
//
// That encoding is stored compressed with S2 (about half the size; it
// decodes at gigabytes a second, about a microsecond a view), behind a
// version byte of 2. Decoding aliases the decompressed bytes: no piece is
// copied on the read path. The view is derived data: a view of an unknown
// version, or none, is rendered again from the document.
const (
	productViewV = 1
	// productViewS2 marks a view whose encoding is S2-compressed.
	productViewS2 = 2
	// productViewS2Dict marks one compressed with S2 and viewDict, which
	// holds the structure every view shares (dicts/view-1.s2): a view is
	// then about 740 bytes rather than 1,010.
	productViewS2Dict = 3
)

//go:embed dicts
var dictFS embed.FS

// viewDict and docDict are read-only once made: the dictionaries stored
// rows are compressed with (see TestDictionariesAreFrozen).
var viewDict = s2.NewDict(mustDict("dicts/view-1.s2"))

func mustDict(name string) []byte {
	b, err := dictFS.ReadFile(name)
	if err != nil || len(b) == 0 {
		panic("sqlstore: dictionary " + name + " missing")
	}
	return b
}

func encodeView(r catalog.Rendered) []byte {
	return append([]byte{productViewS2Dict}, viewDict.Encode(nil, encodeViewRaw(r))...)
}

// encodeViewRaw is the uncompressed encoding of r.
func encodeViewRaw(r catalog.Rendered) []byte {
	n := 16 + len(r.Head) + len(r.Body) + len(r.Tail)
	for _, t := range r.Texts {
		n += 8 + len(t.Lang) + len(t.JSON)
	}
	for _, v := range r.Variants {
		n += 4 + len(v)
	}
	for _, p := range r.Prices {
		n += 8 + len(p.ChannelID) + len(p.Lang)
		for _, v := range p.PerVariant {
			n += 4 + len(v)
		}
	}
	b := make([]byte, 0, n)
	b = append(b, productViewV)
	piece := func(p []byte) { b = binary.AppendUvarint(b, uint64(len(p))); b = append(b, p...) }
	piece(r.Head)
	b = binary.AppendUvarint(b, uint64(len(r.Texts)))
	for _, t := range r.Texts {
		piece(t.Lang)
		piece(t.JSON)
	}
	piece(r.Body)
	b = binary.AppendUvarint(b, uint64(len(r.Variants)))
	for _, v := range r.Variants {
		piece(v)
	}
	b = binary.AppendUvarint(b, uint64(len(r.Prices)))
	for _, p := range r.Prices {
		piece(p.ChannelID)
		piece(p.Lang)
		for _, v := range p.PerVariant {
			piece(v)
		}
	}
	piece(r.Tail)
	return b
}

var errBadView = errors.New("stored product view is malformed")

// A viewDecoder is what decoding views needs and reuses from one view to the
// next: the decompressed bytes and the pieces aliasing them. Reads take one
// from a pool, so that a page's twenty views, and the next page's, allocate
// nothing once the pool is warm.
type viewDecoder struct {
	buf []byte
	r   catalog.Rendered
}

var viewDecoders = sync.Pool{New: func() any { return new(viewDecoder) }}

func getDecoder() *viewDecoder { return viewDecoders.Get().(*viewDecoder) }

// putDecoder returns d to the pool; its pieces alias its buffer, so nothing
// decoded with it may be used afterwards.
func putDecoder(d *viewDecoder) { viewDecoders.Put(d) }

// decodeView reads a stored view into r, decompressing it into buf (grown as
// needed and returned for reuse); r's slices are reused too, and its pieces
// alias buf (or b), so decoding a page of views allocates next to nothing.
func decodeView(b, buf []byte, r *catalog.Rendered) ([]byte, error) {
	if len(b) > 0 && (b[0] == productViewS2 || b[0] == productViewS2Dict) {
		n, err := s2.DecodedLen(b[1:])
		if err != nil {
			return buf, errBadView
		}
		if cap(buf) < n {
			buf = make([]byte, n, n+n/2)
		}
		if b[0] == productViewS2Dict {
			b, err = viewDict.Decode(buf[:n], b[1:])
		} else {
			b, err = s2.Decode(buf[:n], b[1:])
		}
		if err != nil {
			return buf, errBadView
		}
	}
	return buf, parseView(b, r)
}

func parseView(b []byte, r *catalog.Rendered) error {
	if len(b) == 0 || b[0] != productViewV {
		return errBadView
	}
	b = b[1:]
	bad := false
	count := func() int {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)) {
			bad = true
			return 0
		}
		b = b[k:]
		return int(n)
	}
	piece := func() []byte {
		n := count()
		if bad || n > len(b) {
			bad = true
			return nil
		}
		p := b[:n:n]
		b = b[n:]
		return p
	}
	r.Head = piece()
	nt := count()
	r.Texts = r.Texts[:0]
	for i := 0; i < nt && !bad; i++ {
		r.Texts = append(r.Texts, catalog.RenderedText{Lang: piece(), JSON: piece()})
	}
	r.Body = piece()
	nv := count()
	r.Variants = r.Variants[:0]
	for i := 0; i < nv && !bad; i++ {
		r.Variants = append(r.Variants, piece())
	}
	np := count()
	prices := r.Prices[:cap(r.Prices)]
	r.Prices = r.Prices[:0]
	for i := 0; i < np && !bad; i++ {
		var p catalog.RenderedPrice
		if i < len(prices) {
			p = prices[i] // reuse its PerVariant
		}
		p.ChannelID, p.Lang = piece(), piece()
		p.PerVariant = p.PerVariant[:0]
		for j := 0; j < nv && !bad; j++ {
			p.PerVariant = append(p.PerVariant, piece())
		}
		r.Prices = append(r.Prices, p)
	}
	r.Tail = piece()
	if bad || len(b) != 0 {
		return errBadView
	}
	return nil
}

// renderMissingViews renders the view of every product that has none (those
// written before views existed), in batches of one transaction each, so that
// buyers' reads never fall back to the document for them. Each batch is
// small, so a large catalogue is upgraded without one long write lock.
func (db *DB) renderMissingViews(ctx context.Context) error {
	for {
		n := 0
		err := db.inTx(ctx, func(tx *sql.Tx) error {
			ps, err := queryStrings(ctx, tx, `SELECT `+productIDText(db.Engine)+` FROM products WHERE view IS NULL ORDER BY id LIMIT 500`)
			if err != nil {
				return err
			}
			n = len(ps)
			chans := newChannelCache(tx, db.Formatters)
			for _, id := range ps {
				p, err := loadDoc(ctx, tx, id)
				if err != nil {
					return err
				}
				view, err := chans.view(ctx, p)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `UPDATE products SET view = $1 WHERE id = $2`, view, prodID(id)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || n == 0 {
			return err
		}
	}
}

// productIDText is the SQL expression of products.id as its text id.
func productIDText(e Engine) string {
	if e == Postgres {
		return `'prd_' || encode(id, 'hex')`
	}
	return `'prd_' || lower(hex(id))`
}
