package sqlstore

import (
	"context"
	"database/sql"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
)

// The storefront's sitemaps name every listed product of a channel, a block
// of 50,000 at a time. They are read from the listings' primary key
// (channel_id, product_id) and the products' views, never the documents
// (unless a view is missing), and never all at once.

// ListedCount implements catalog.Store.
func (s *Catalog) ListedCount(ctx context.Context, channelID string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM listings WHERE channel_id = $1 AND active`, channelID).Scan(&n)
	return n, wrap("sqlstore.ListedCount", err, "channel")
}

// ListedAt implements catalog.Store. It skips pos listings in the primary
// key's order: the rows are a few dozen bytes (SQLite keeps them in the key's
// own b-tree), so skipping a million is a scan of a few tens of megabytes,
// with no product read (see scripts/bench-sitemap.sh for what it costs).
func (s *Catalog) ListedAt(ctx context.Context, channelID string, pos int) (string, error) {
	var id prodID
	err := s.db.QueryRowContext(ctx, `SELECT product_id FROM listings WHERE channel_id = $1 AND active
		ORDER BY product_id LIMIT 1 OFFSET $2`, channelID, pos).Scan(&id)
	return string(id), wrap("sqlstore.ListedAt", err, "listing")
}

// sitemapPage is how many entries ListedEntries reads a query.
const sitemapPage = 1000

// entriesQueries are each engine's query of a page of listed products'
// views, built once.
var entriesQueries = map[Engine]string{SQLite: entriesQuery(SQLite), Postgres: entriesQuery(Postgres)}

func entriesQuery(e Engine) string {
	return `SELECT l.product_id, p.view FROM listings l JOIN products p ON ` + listedProduct(e) + `
	WHERE l.channel_id = $1 AND l.active AND l.product_id > $2 ORDER BY l.product_id LIMIT $3`
}

// ListedEntries implements catalog.Store. A page's rows are read to the end
// and closed before fn sees them: fn writes to a client, which may be slow,
// and a query left open would hold a read connection (and, on SQLite, keep
// the write-ahead log from being checkpointed) for as long.
func (s *Catalog) ListedEntries(ctx context.Context, ch channel.Channel, lang, after string, limit int, fn func(catalog.SitemapEntry) error) error {
	const op = "sqlstore.ListedEntries"
	page := make([]catalog.SitemapEntry, 0, min(limit, sitemapPage))
	for limit > 0 {
		n := min(limit, sitemapPage)
		var err error
		if page, err = s.entries(ctx, &ch, lang, after, n, page[:0]); err != nil {
			return wrap(op, err, "product")
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(page) < n {
			return nil
		}
		after, limit = page[len(page)-1].ID, limit-n
	}
	return nil
}

// entries appends to page the entries of up to n products listed on ch after
// product id after.
func (s *Catalog) entries(ctx context.Context, ch *channel.Channel, lang, after string, n int, page []catalog.SitemapEntry) ([]catalog.SitemapEntry, error) {
	rows, err := s.db.QueryContext(ctx, entriesQueries[s.db.Engine], ch.ID, prodID(after), n)
	if err != nil {
		return page, err
	}
	var missing []int // entries whose view cannot say: read from the document
	var id prodID
	var view sql.RawBytes
	d := getDecoder()
	defer putDecoder(d)
	for rows.Next() {
		if err := rows.Scan(&id, &view); err != nil {
			rows.Close()
			return page, err
		}
		e, ok := catalog.SitemapEntry{ID: string(id)}, false
		if d.buf, err = decodeView(view, d.buf, &d.r); err == nil {
			e, ok = d.r.SitemapEntry(string(id), ch, lang)
		}
		if !ok {
			missing = append(missing, len(page))
		}
		page = append(page, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return page, err
	}
	for _, i := range missing {
		var doc []byte
		if err := s.db.QueryRowContext(ctx, `SELECT doc FROM products WHERE id = $1`, prodID(page[i].ID)).Scan(&doc); err != nil {
			return page, err
		}
		p, err := loadProduct("sqlstore.ListedEntries", doc)
		if err != nil {
			return page, err
		}
		page[i] = catalog.EntryOf(p, ch, lang)
	}
	return page, nil
}
