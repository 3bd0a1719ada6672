package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/money"
)

// Rendered pages of a channel's products are cached by the nodes that serve
// them, and a node must never serve a page older than the database. Rather
// than one version per channel (a row every catalogue write would lock, and
// whose bump empties the channel's whole cache), versions are kept per
// bucket of product ids: a product id's bucket is its creation time (the
// UUIDv7's milliseconds) in steps of about a second (2^10 ms). Pages are in
// id order, so a page spans one bucket or a few; a change to what a channel
// shows of a product (listed, unlisted, hidden, shown, edited) bumps that
// product's bucket on that channel in the change's transaction, and a cached
// page is still good while the buckets it spans have the versions they had
// when it was read (PageStamp).

// bucketShift is the bucket width: 2^10 ms.
const bucketShift = 10

// bucketKey is the key of product id's bucket: the smallest product id the
// bucket can hold (the UUIDv7's milliseconds rounded down to the bucket,
// then zeros), so that it compares with stored product ids directly. What
// is not a product id is in the first bucket.
func bucketKey(id string) []byte {
	k := make([]byte, 16)
	b := idBytes(ids.Product, id)
	if len(b) != 16 {
		return k
	}
	ms := uint64(b[0])<<40 | uint64(b[1])<<32 | uint64(b[2])<<24 | uint64(b[3])<<16 | uint64(b[4])<<8 | uint64(b[5])
	ms &^= 1<<bucketShift - 1
	for i := range 6 {
		k[i] = byte(ms >> (40 - 8*i))
	}
	return k
}

// afterAll is above every product id: the end of an open range.
var afterAll = bytes.Repeat([]byte{0xff}, 17)

// bumpBuckets records, inside tx, that channelID shows something new of the
// given products: each distinct bucket once, in key order.
func bumpBuckets(ctx context.Context, tx *sql.Tx, channelID string, productIDs ...string) error {
	ks := make([][]byte, 0, len(productIDs))
	for _, id := range productIDs {
		ks = append(ks, bucketKey(id))
	}
	slices.SortFunc(ks, bytes.Compare)
	for _, k := range slices.CompactFunc(ks, bytes.Equal) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO catalog_buckets (channel_id, lo, version) VALUES ($1, $2, 1)
			ON CONFLICT (channel_id, lo) DO UPDATE SET version = catalog_buckets.version + 1`, channelID, k); err != nil {
			return err
		}
	}
	return nil
}

// A page's stamp is the sum of the versions of the buckets it spans:
// versions only grow and a new bucket starts at 1, so every change to what
// the page shows raises it.

// stampQuery is the stamp of the buckets from $2's to the one holding $3.
const stampQuery = `SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM catalog_buckets WHERE channel_id = $1 AND lo >= $2 AND lo <= $3`

// pageQuery is a page and, on each row, the page's stamp: the versions of
// the buckets from the page's first ($4, the bucket of the cursor's
// product) to the one holding its last row, found by its own seek to the
// $3th listing. Read in the same statement, the stamp is of the same
// snapshot as the rows; the subquery is uncorrelated, so it is evaluated
// once a page, not once a row. When the page is short, there is no $3th
// listing and the stamp is 0: the caller reads it another way.
func pageQuery(e Engine) string {
	return `SELECT l.product_id, p.view,
	(SELECT CAST(COALESCE(SUM(b.version), 0) AS BIGINT) FROM catalog_buckets b
		WHERE b.channel_id = $1 AND b.lo >= $4 AND b.lo <= (SELECT e.product_id FROM listings e
			WHERE e.channel_id = $1 AND e.active AND e.product_id > $2 ORDER BY e.product_id LIMIT 1 OFFSET $3 - 1))
	FROM listings l JOIN products p ON ` + listedProduct(e) + `
	WHERE l.channel_id = $1 AND l.active AND l.product_id > $2 ORDER BY l.product_id LIMIT $3`
}

// viewQuery is a listed product's stored view on a channel.
func viewQuery(e Engine) string {
	return `SELECT p.view FROM listings l JOIN products p ON ` + listedProduct(e) + `
		WHERE l.channel_id = $1 AND l.product_id = $2 AND l.active`
}

// viewStockQuery is viewQuery with a line per SKU of the product (its
// skus column) and warehouse holding available units of it, "sku TAB
// warehouse TAB units", or "sku TAB TAB 0" for a SKU none holds: the stock
// rows are found by their key, merchant and SKU.
func viewStockQuery(e Engine) string {
	if e == Postgres {
		return `SELECT p.view, (SELECT string_agg(j.sku || E'\t' || coalesce(s.warehouse_id, '') || E'\t' || coalesce(s.on_hand - s.reserved, 0)::text, E'\n')
			FROM json_array_elements_text(p.skus::json) AS j (sku)
			LEFT JOIN stock s ON s.merchant_id = p.merchant_id AND s.sku = j.sku AND s.on_hand > s.reserved)
		FROM listings l JOIN products p ON ` + listedProduct(e) + `
		WHERE l.channel_id = $1 AND l.product_id = $2 AND l.active`
	}
	return `SELECT p.view, (SELECT group_concat(j.value || char(9) || coalesce(s.warehouse_id, '') || char(9) || coalesce(s.on_hand - s.reserved, 0), char(10))
			FROM json_each(p.skus) AS j
			LEFT JOIN stock s ON s.merchant_id = p.merchant_id AND s.sku = j.value AND s.on_hand > s.reserved)
		FROM listings l JOIN products p ON ` + listedProduct(e) + `
		WHERE l.channel_id = $1 AND l.product_id = $2 AND l.active`
}

// pageQueries, viewQueries and viewStockQueries hold each engine's query,
// built once.
var (
	pageQueries      = map[Engine]string{SQLite: pageQuery(SQLite), Postgres: pageQuery(Postgres)}
	viewQueries      = map[Engine]string{SQLite: viewQuery(SQLite), Postgres: viewQuery(Postgres)}
	viewStockQueries = map[Engine]string{SQLite: viewStockQuery(SQLite), Postgres: viewStockQuery(Postgres)}
)

// listedProduct joins listing l to its product p: on SQLite by the
// product's seq, which the listing carries (migration 00011), on
// PostgreSQL by its id.
func listedProduct(e Engine) string {
	if e == SQLite {
		return `p.seq = l.product_seq`
	}
	return `p.id = l.product_id`
}

// PageStamp implements catalog.Store.
func (s *Catalog) PageStamp(ctx context.Context, channelID, from, to string) (string, error) {
	var sum int64
	err := s.db.QueryRowContext(ctx, stampQuery, channelID, bucketKey(from), pageEnd(to)).Scan(&sum)
	return strconv.FormatInt(sum, 36), wrap("sqlstore.PageStamp", err, "channel")
}

// pageEnd is the upper bound of the buckets a page ending at product id to
// spans: to itself, or past every bucket when the page is open-ended ("").
func pageEnd(to string) []byte {
	if to == "" {
		return afterAll
	}
	return idBytes(ids.Product, to)
}

// ChannelViews implements catalog.Store. A full page carries its stamp in
// its own statement, so it needs no transaction. A short one (the
// channel's last) spans every bucket after its start, and is read again
// with that stamp in one read transaction, so both describe the same
// moment: a change committed between them could otherwise be cached under
// the stamp it made and never be seen.
func (s *Catalog) ChannelViews(ctx context.Context, ch channel.Channel, lang, after string, limit int, dst []byte) (catalog.ViewPage, error) {
	const op = "sqlstore.ChannelViews"
	// Both statements are prepared before a transaction takes a
	// connection: preparing inside it would take a second one from the
	// pool, and as many concurrent first reads as the pool has connections
	// would each hold one and wait for another for ever.
	pageSt, err := s.db.prepared(ctx, pageQueries[s.db.Engine])
	if err != nil {
		return catalog.ViewPage{}, wrap(op, err, "product")
	}
	if d := s.db.deferredIn(ctx); d == nil || d.begun() == nil {
		pg, err := s.readPage(ctx, s.db, pageSt, ch, lang, after, limit, dst)
		if err != nil || pg.N == limit {
			return pg, wrap(op, err, "product")
		}
	}
	stampSt, err := s.db.prepared(ctx, stampQuery)
	if err != nil {
		return catalog.ViewPage{}, wrap(op, err, "product")
	}
	opts := &sql.TxOptions{ReadOnly: true}
	if s.db.Engine == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.db.r.BeginTx(ctx, opts)
	if err != nil {
		return catalog.ViewPage{}, wrap(op, err, "product")
	}
	defer tx.Rollback()
	pg, err := s.readPage(ctx, tx, tx.StmtContext(ctx, pageSt), ch, lang, after, limit, dst)
	if err != nil || pg.N == limit {
		return pg, wrap(op, err, "product")
	}
	var sum int64
	if err := tx.StmtContext(ctx, stampSt).QueryRowContext(ctx, ch.ID, bucketKey(after), afterAll).Scan(&sum); err != nil {
		return pg, wrap(op, err, "product")
	}
	pg.Stamp, pg.To = strconv.FormatInt(sum, 36), ""
	return pg, nil
}

// readPage reads a page with st (pageQuery) and, through q, the documents of
// the products whose views lack the channel or language. A full page's
// stamp is set; a short page's is left to the caller.
func (s *Catalog) readPage(ctx context.Context, q rowQuerier, st *sql.Stmt, ch channel.Channel, lang, after string, limit int, dst []byte) (catalog.ViewPage, error) {
	pg := catalog.ViewPage{JSON: dst, From: after}
	rows, err := st.QueryContext(ctx, ch.ID, prodID(after), limit, bucketKey(after))
	if err != nil {
		return pg, err
	}
	var missing []string // rendered again from the document
	var at []int         // where in pg.JSON each missing one goes
	var id sql.RawBytes
	var view sql.RawBytes // valid until the next row: appended before it
	d := getDecoder()
	defer putDecoder(d)
	var sum int64
	var last []byte
	for rows.Next() {
		if err := rows.Scan(&id, &view, &sum); err != nil {
			rows.Close()
			return pg, err
		}
		if pg.N > 0 {
			pg.JSON = append(pg.JSON, ',')
		}
		pg.N++
		last = append(last[:0], id...)
		ok := false
		if d.buf, err = decodeView(view, d.buf, &d.r); err == nil {
			pg.JSON, ok = d.r.Append(pg.JSON, &ch, lang)
		}
		if !ok {
			pid, err := idText(ids.Product, []byte(id))
			if err != nil {
				rows.Close()
				return pg, err
			}
			missing = append(missing, pid)
			at = append(at, len(pg.JSON))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return pg, err
	}
	if pg.N > 0 {
		if pg.LastID, err = idText(ids.Product, last); err != nil {
			return pg, err
		}
	}
	if pg.N == limit {
		pg.To, pg.Stamp = pg.LastID, strconv.FormatInt(sum, 36)
	}
	// Views not rendered for this channel and language: from the documents,
	// spliced in place (last first, so earlier offsets hold). A document
	// read after the stamp is at least as new as it, so the page is never
	// older than its stamp says.
	for i := len(missing) - 1; i >= 0; i-- {
		b, err := viewFromDoc(ctx, q, s.db.Formatters, missing[i], &ch, lang)
		if err != nil {
			return pg, err
		}
		pg.JSON = slices.Insert(pg.JSON, at[i], b...)
	}
	return pg, nil
}

// viewFromDoc renders product id's View on ch in lang from its document.
func viewFromDoc(ctx context.Context, q rowQuerier, f *money.Formatters, id string, ch *channel.Channel, lang string) ([]byte, error) {
	var doc []byte
	if err := q.QueryRowContext(ctx, `SELECT doc FROM products WHERE id = $1`, prodID(id)).Scan(&doc); err != nil {
		return nil, err
	}
	p, err := loadProduct("sqlstore.viewFromDoc", doc)
	if err != nil {
		return nil, err
	}
	return json.Marshal(p.View(f, ch, lang))
}

// ProductView implements catalog.Store.
func (s *Catalog) ProductView(ctx context.Context, id string, ch channel.Channel, lang string) ([]byte, error) {
	const op = "sqlstore.ProductView"
	var view []byte
	err := s.db.QueryRowContext(ctx, viewQueries[s.db.Engine], ch.ID, prodID(id)).Scan(&view)
	if err == sql.ErrNoRows {
		return nil, errs.E(op, errs.NotFound, "product not found")
	} else if err != nil {
		return nil, wrap(op, err, "product")
	}
	b, err := s.renderView(ctx, id, view, ch, lang)
	return b, wrap(op, err, "product")
}

// renderView is the JSON of product id's stored view on ch in lang, from
// its document when the view holds no rendering for them.
func (s *Catalog) renderView(ctx context.Context, id string, view []byte, ch channel.Channel, lang string) ([]byte, error) {
	d := getDecoder()
	defer putDecoder(d)
	var err error
	if d.buf, err = decodeView(view, d.buf, &d.r); err == nil {
		if b, ok := d.r.Append(nil, &ch, lang); ok {
			return b, nil
		}
	}
	return viewFromDoc(ctx, s.db, s.db.Formatters, id, &ch, lang)
}

// ProductViewStock implements catalog.Store.
func (s *Catalog) ProductViewStock(ctx context.Context, id string, ch channel.Channel, lang string) (catalog.ViewStock, error) {
	const op = "sqlstore.ProductViewStock"
	rows, err := s.db.QueryContext(ctx, viewStockQueries[s.db.Engine], ch.ID, prodID(id))
	if err != nil {
		return catalog.ViewStock{}, wrap(op, err, "product")
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return catalog.ViewStock{}, wrap(op, err, "product")
		}
		return catalog.ViewStock{}, errs.E(op, errs.NotFound, "product not found")
	}
	// Read in place (valid until the rows move on): the view is decoded
	// and the lines parsed before they are closed.
	var view, lines sql.RawBytes
	if err := rows.Scan(&view, &lines); err != nil {
		return catalog.ViewStock{}, wrap(op, err, "product")
	}
	out, err := parseStocked(lines)
	if err != nil {
		return catalog.ViewStock{}, errs.E(op, errs.Internal, err)
	}
	out.View, err = s.renderView(ctx, id, view, ch, lang)
	return out, wrap(op, err, "product")
}

// parseStocked reads viewStockQuery's lines.
func parseStocked(b []byte) (catalog.ViewStock, error) {
	var out catalog.ViewStock
	if len(b) == 0 {
		return out, nil
	}
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		sku, rest, ok1 := bytes.Cut(line, []byte{'\t'})
		wh, units, ok2 := bytes.Cut(rest, []byte{'\t'})
		n, err := strconv.ParseInt(string(units), 10, 64)
		if !ok1 || !ok2 || err != nil || len(sku) == 0 {
			return out, fmt.Errorf("sqlstore: a stock line that is not sku, warehouse and units: %q", line)
		}
		k := string(sku)
		if !slices.Contains(out.SKUs, k) {
			out.SKUs = append(out.SKUs, k)
		}
		if len(wh) > 0 && n > 0 {
			out.Stock = append(out.Stock, catalog.Stocked{SKU: k, WarehouseID: string(wh), Available: n})
		}
	}
	return out, nil
}
