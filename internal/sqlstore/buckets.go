package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"

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

// bucketOf is the bucket of product id; 0 for what is not a product id.
func bucketOf(id string) int64 {
	if !ids.Valid(ids.Product, id) {
		return 0
	}
	ms, err := strconv.ParseInt(id[len(ids.Product)+1:len(ids.Product)+13], 16, 64)
	if err != nil {
		return 0
	}
	return ms >> bucketShift
}

// bumpBuckets records, inside tx, that channelID shows something new of the
// given products: each distinct bucket once.
func bumpBuckets(ctx context.Context, tx *sql.Tx, channelID string, productIDs ...string) error {
	bs := make([]int64, 0, len(productIDs))
	for _, id := range productIDs {
		bs = append(bs, bucketOf(id))
	}
	slices.Sort(bs)
	for _, b := range slices.Compact(bs) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO catalog_buckets (channel_id, bucket, version) VALUES ($1, $2, 1)
			ON CONFLICT (channel_id, bucket) DO UPDATE SET version = catalog_buckets.version + 1`, channelID, b); err != nil {
			return err
		}
	}
	return nil
}

const stampQuery = `SELECT bucket, version FROM catalog_buckets WHERE channel_id = $1 AND bucket >= $2 AND bucket <= $3 ORDER BY bucket`

const pageQuery = `SELECT l.product_id, p.view FROM listings l JOIN products p ON p.id = l.product_id
	WHERE l.channel_id = $1 AND l.active AND l.product_id > $2 ORDER BY l.product_id LIMIT $3`

// PageStamp implements catalog.Store.
func (s *Catalog) PageStamp(ctx context.Context, channelID string, lo, hi int64) (string, error) {
	rows, err := s.db.QueryContext(ctx, stampQuery, channelID, lo, hi)
	if err != nil {
		return "", wrap("sqlstore.PageStamp", err, "channel")
	}
	st, err := readStamp(rows)
	return st, wrap("sqlstore.PageStamp", err, "channel")
}

func readStamp(rows *sql.Rows) (string, error) {
	defer rows.Close()
	var b strings.Builder
	var k, v int64
	for rows.Next() {
		if err := rows.Scan(&k, &v); err != nil {
			return "", err
		}
		b.WriteString(strconv.FormatInt(k, 36))
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(v, 36))
		b.WriteByte(',')
	}
	return b.String(), rows.Err()
}

// ChannelViews implements catalog.Store. The page and the stamp of the
// buckets it spans are read in one read transaction, so they describe the
// same moment: a change committed between them could otherwise be cached
// under the stamp it made and never be seen.
func (s *Catalog) ChannelViews(ctx context.Context, ch channel.Channel, lang, after string, limit int, dst []byte) (catalog.ViewPage, error) {
	const op = "sqlstore.ChannelViews"
	pg := catalog.ViewPage{JSON: dst}
	// Both statements are prepared before the transaction takes a
	// connection: preparing inside it would take a second one from the
	// pool, and as many concurrent first reads as the pool has connections
	// would each hold one and wait for another for ever.
	pageSt, err := s.db.prepared(ctx, pageQuery)
	if err != nil {
		return pg, wrap(op, err, "product")
	}
	stampSt, err := s.db.prepared(ctx, stampQuery)
	if err != nil {
		return pg, wrap(op, err, "product")
	}
	opts := &sql.TxOptions{ReadOnly: true}
	if s.db.Engine == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.db.r.BeginTx(ctx, opts)
	if err != nil {
		return pg, wrap(op, err, "product")
	}
	defer tx.Rollback()
	st := tx.StmtContext(ctx, pageSt)
	rows, err := st.QueryContext(ctx, ch.ID, prodID(after), limit)
	if err != nil {
		return pg, wrap(op, err, "product")
	}
	var missing []string // rendered again from the document
	var at []int         // where in pg.JSON each missing one goes
	var id prodID
	var view sql.RawBytes  // valid until the next row: appended before it
	var buf []byte         // decompressed view, reused row after row
	var r catalog.Rendered // likewise
	for rows.Next() {
		if err := rows.Scan(&id, &view); err != nil {
			rows.Close()
			return pg, wrap(op, err, "product")
		}
		if pg.N > 0 {
			pg.JSON = append(pg.JSON, ',')
		}
		pg.N++
		pg.LastID = string(id)
		ok := false
		if buf, err = decodeView(view, buf, &r); err == nil {
			pg.JSON, ok = r.Append(pg.JSON, &ch, lang)
		}
		if !ok {
			missing = append(missing, string(id))
			at = append(at, len(pg.JSON))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return pg, wrap(op, err, "product")
	}
	pg.Lo, pg.Hi = 0, math.MaxInt64
	if after != "" {
		pg.Lo = bucketOf(after)
	}
	if pg.N == limit {
		pg.Hi = bucketOf(pg.LastID)
	}
	srows, err := tx.StmtContext(ctx, stampSt).QueryContext(ctx, ch.ID, pg.Lo, pg.Hi)
	if err != nil {
		return pg, wrap(op, err, "product")
	}
	if pg.Stamp, err = readStamp(srows); err != nil {
		return pg, wrap(op, err, "product")
	}
	if len(missing) > 0 {
		// Views not rendered for this channel and language: from the
		// documents, in the same transaction, spliced in place (last first,
		// so earlier offsets hold).
		for i := len(missing) - 1; i >= 0; i-- {
			b, err := viewFromDoc(ctx, tx, s.db.Formatters, missing[i], &ch, lang)
			if err != nil {
				return pg, wrap(op, err, "product")
			}
			pg.JSON = slices.Insert(pg.JSON, at[i], b...)
		}
	}
	return pg, nil
}

// viewFromDoc renders product id's View on ch in lang from its document.
func viewFromDoc(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, f *money.Formatters, id string, ch *channel.Channel, lang string) ([]byte, error) {
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
	err := s.db.QueryRowContext(ctx, `SELECT p.view FROM listings l JOIN products p ON p.id = l.product_id
		WHERE l.channel_id = $1 AND l.product_id = $2 AND l.active`, ch.ID, prodID(id)).Scan(&view)
	if err == sql.ErrNoRows {
		return nil, errs.E(op, errs.NotFound, "product not found")
	} else if err != nil {
		return nil, wrap(op, err, "product")
	}
	var r catalog.Rendered
	if _, err := decodeView(view, nil, &r); err == nil {
		if b, ok := r.Append(nil, &ch, lang); ok {
			return b, nil
		}
	}
	b, err := viewFromDoc(ctx, s.db, s.db.Formatters, id, &ch, lang)
	return b, wrap(op, err, "product")
}
