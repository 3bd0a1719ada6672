package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/money"
)

// Catalog is the catalogue store. A product is one row holding its document
// (products.doc, the truth) and its pre-rendered view (products.view, what
// buyers read), both written in every transaction that changes it; variants
// hold the SKUs (unique per merchant), listings where products are shown.
type Catalog struct{ db *DB }

// Catalog returns the catalogue store.
func (db *DB) Catalog() *Catalog { return &Catalog{db} }

var _ catalog.Store = (*Catalog)(nil)

// CreateCategory implements catalog.Store.
func (s *Catalog) CreateCategory(ctx context.Context, c catalog.Category, ev events.Event) error {
	const op = "sqlstore.CreateCategory"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO categories (id, parent_id, slug, names, created_at) VALUES ($1, $2, $3, $4, $5)`,
			c.ID, nullStr(c.ParentID), c.Slug, jsonText(c.Names), c.CreatedAt); err != nil {
			if classify(err) == foreignKeyViolation {
				return errs.Field(op, "parent_id", "no such category")
			}
			return wrap(op, err, "a category with this slug")
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap(op, err, "category")
}

// ListCategories implements catalog.Store.
func (s *Catalog) ListCategories(ctx context.Context) ([]catalog.Category, error) {
	const op = "sqlstore.ListCategories"
	rows, err := s.db.QueryContext(ctx, `SELECT id, COALESCE(parent_id, ''), slug, names, created_at FROM categories ORDER BY slug`)
	if err != nil {
		return nil, wrap(op, err, "category")
	}
	defer rows.Close()
	out := []catalog.Category{}
	for rows.Next() {
		var c catalog.Category
		var names string
		if err := rows.Scan(&c.ID, &c.ParentID, &c.Slug, &names, &c.CreatedAt); err != nil {
			return nil, wrap(op, err, "category")
		}
		c.CreatedAt = c.CreatedAt.UTC()
		if err := json.Unmarshal([]byte(names), &c.Names); err != nil {
			return nil, wrap(op, err, "category")
		}
		out = append(out, c)
	}
	return out, wrap(op, rows.Err(), "category")
}

// CreateBrand implements catalog.Store.
func (s *Catalog) CreateBrand(ctx context.Context, b catalog.Brand, ev events.Event) error {
	const op = "sqlstore.CreateBrand"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO brands (id, slug, name, merchant_id, created_at) VALUES ($1, $2, $3, $4, $5)`,
			b.ID, b.Slug, b.Name, nullStr(b.MerchantID), b.CreatedAt); err != nil {
			return wrap(op, err, "a brand with this slug")
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap(op, err, "brand")
}

// Brand implements catalog.Store.
func (s *Catalog) Brand(ctx context.Context, id string) (catalog.Brand, error) {
	var b catalog.Brand
	err := s.db.QueryRowContext(ctx, `SELECT id, slug, name, COALESCE(merchant_id, ''), created_at FROM brands WHERE id = $1`, id).
		Scan(&b.ID, &b.Slug, &b.Name, &b.MerchantID, &b.CreatedAt)
	b.CreatedAt = b.CreatedAt.UTC()
	return b, wrap("sqlstore.Brand", err, "brand")
}

// ListBrands implements catalog.Store.
func (s *Catalog) ListBrands(ctx context.Context) ([]catalog.Brand, error) {
	const op = "sqlstore.ListBrands"
	rows, err := s.db.QueryContext(ctx, `SELECT id, slug, name, COALESCE(merchant_id, ''), created_at FROM brands ORDER BY name, id`)
	if err != nil {
		return nil, wrap(op, err, "brand")
	}
	defer rows.Close()
	out := []catalog.Brand{}
	for rows.Next() {
		var b catalog.Brand
		if err := rows.Scan(&b.ID, &b.Slug, &b.Name, &b.MerchantID, &b.CreatedAt); err != nil {
			return nil, wrap(op, err, "brand")
		}
		b.CreatedAt = b.CreatedAt.UTC()
		out = append(out, b)
	}
	return out, wrap(op, rows.Err(), "brand")
}

// loadBrand reads brand id and whether merchantID is authorised for it,
// inside tx: the facts of catalog.MayUseBrand. Invalid if there is no such brand.
func loadBrand(ctx context.Context, tx rowQuerier, op, id, merchantID string) (catalog.Brand, bool, error) {
	var b catalog.Brand
	var authorised bool
	err := tx.QueryRowContext(ctx, `SELECT id, slug, name, COALESCE(merchant_id, ''), created_at,
		EXISTS (SELECT 1 FROM brand_authorisations ba WHERE ba.brand_id = brands.id AND ba.merchant_id = $2)
		FROM brands WHERE id = $1`, id, merchantID).Scan(&b.ID, &b.Slug, &b.Name, &b.MerchantID, &b.CreatedAt, &authorised)
	if err == sql.ErrNoRows {
		return b, false, errs.Field(op, "brand_id", "no such brand")
	}
	b.CreatedAt = b.CreatedAt.UTC()
	return b, authorised, err
}

// AuthoriseBrand implements catalog.Store.
func (s *Catalog) AuthoriseBrand(ctx context.Context, a catalog.BrandAuthorisation, ev events.Event) (catalog.BrandAuthorisation, error) {
	const op = "sqlstore.AuthoriseBrand"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []struct{ sql, what string }{{`SELECT id FROM brands WHERE id = $1`, "brand"}, {`SELECT id FROM merchants WHERE id = $1`, "merchant"}} {
			id := a.BrandID
			if q.what == "merchant" {
				id = a.MerchantID
			}
			var got string
			if err := tx.QueryRowContext(ctx, q.sql, id).Scan(&got); err != nil {
				return wrap(op, err, q.what)
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO brand_authorisations (brand_id, merchant_id, granted_by, granted_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (brand_id, merchant_id) DO NOTHING`, a.BrandID, a.MerchantID, a.GrantedBy, a.GrantedAt)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			// Already authorised: the first grant stands, nothing happened.
			err := tx.QueryRowContext(ctx, `SELECT granted_by, granted_at FROM brand_authorisations WHERE brand_id = $1 AND merchant_id = $2`,
				a.BrandID, a.MerchantID).Scan(&a.GrantedBy, &a.GrantedAt)
			a.GrantedAt = a.GrantedAt.UTC()
			return err
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return a, wrap(op, err, "brand authorisation")
}

// RevokeBrandAuthorisation implements catalog.Store.
func (s *Catalog) RevokeBrandAuthorisation(ctx context.Context, brandID, merchantID string, ev events.Event) error {
	const op = "sqlstore.RevokeBrandAuthorisation"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		// The merchant's listing lock first (see lockForListing), so no
		// listing of the brand can be added beside this withdrawal.
		if err := lockMerchant(ctx, tx, merchantID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM brand_authorisations WHERE brand_id = $1 AND merchant_id = $2`, brandID, merchantID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(op, errs.NotFound, "the merchant has no authorisation for this brand")
		}
		if err := recheckListings(ctx, tx, removeFailing, events.RemovedBrandAuthorisationWithdrawn, ev.At,
			`product_id IN (SELECT id FROM products WHERE merchant_id = $1 AND brand_id = $2)`, merchantID, brandID); err != nil {
			return err
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap(op, err, "brand authorisation")
}

// BrandAuthorisations implements catalog.Store.
func (s *Catalog) BrandAuthorisations(ctx context.Context, brandID string) ([]catalog.BrandAuthorisation, error) {
	const op = "sqlstore.BrandAuthorisations"
	rows, err := s.db.QueryContext(ctx, `SELECT brand_id, merchant_id, granted_by, granted_at FROM brand_authorisations
		WHERE brand_id = $1 ORDER BY merchant_id`, brandID)
	if err != nil {
		return nil, wrap(op, err, "brand authorisation")
	}
	defer rows.Close()
	out := []catalog.BrandAuthorisation{}
	for rows.Next() {
		var a catalog.BrandAuthorisation
		if err := rows.Scan(&a.BrandID, &a.MerchantID, &a.GrantedBy, &a.GrantedAt); err != nil {
			return nil, wrap(op, err, "brand authorisation")
		}
		a.GrantedAt = a.GrantedAt.UTC()
		out = append(out, a)
	}
	return out, wrap(op, rows.Err(), "brand authorisation")
}

// CreateProducts implements catalog.Store. Statements are prepared once per
// call, so a bulk import of thousands of products is one transaction of
// cheap executions.
func (s *Catalog) CreateProducts(ctx context.Context, ps []catalog.Product, evs []events.Event) error {
	const op = "sqlstore.CreateProducts"
	// The CPU work of an import (documents, views, listing events) is done
	// before its write transaction, so that on SQLite, where one connection
	// writes, one import's work runs beside another's writes. A failure
	// here is left for the transaction to report, from what it reads.
	var plan *importPlan
	if s.db.deferredIn(ctx) == nil {
		if res, err := resolve(ctx, s.db, op, s.db.Formatters, ps); err == nil {
			plan, _ = res.build(ctx, ps)
		}
	}
	if s.db.beforeImportWrite != nil {
		s.db.beforeImportWrite()
	}
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		prep, done := stmtsOf(ctx, tx)
		defer done()
		// The listing rule (channel.MayList) is asked for every product and
		// channel, over facts loaded once per merchant, brand and channel inside
		// this transaction after the listing locks; only whether the product is
		// priced there is the product's own, read from the product itself.
		type ruleKey struct{ merchant, brand, channel string }
		facts := map[ruleKey]channel.ListingFacts{}
		factsOf := func(p *catalog.Product, channelID string) (channel.ListingFacts, error) {
			k := ruleKey{p.MerchantID, p.BrandID, channelID}
			f, seen := facts[k]
			if !seen {
				var adm, owner string
				var authorised bool
				err := tx.QueryRowContext(ctx, `SELECT c.code, c.admission, m.status,
					EXISTS (SELECT 1 FROM shops s WHERE s.merchant_id = m.id AND s.channel_id = c.id),
					EXISTS (SELECT 1 FROM channel_merchants cm WHERE cm.channel_id = c.id AND cm.merchant_id = m.id),
					EXISTS (SELECT 1 FROM channel_brands cb WHERE cb.channel_id = c.id AND cb.brand_id = $2),
					COALESCE((SELECT merchant_id FROM brands WHERE id = $2), ''),
					EXISTS (SELECT 1 FROM brand_authorisations ba WHERE ba.brand_id = $2 AND ba.merchant_id = m.id)
					FROM merchants m CROSS JOIN channels c WHERE m.id = $1 AND c.id = $3`, p.MerchantID, p.BrandID, channelID).
					Scan(&f.ChannelCode, &adm, &f.MerchantStatus, &f.HasShop, &f.MerchantAdmitted, &f.BrandAdmitted, &owner, &authorised)
				if err == sql.ErrNoRows {
					return f, errs.Field(op, "channels", "no channel "+channelID)
				} else if err != nil {
					return f, err
				}
				f.Admission, f.BrandID = channel.Admission(adm), p.BrandID
				f.BrandUsable = brandUsable(p.BrandID, owner, p.MerchantID, authorised)
				facts[k] = f
			}
			f.Priced = pricedOn(p, channelID)
			return f, nil
		}
		// Locks in one order (merchants, then channels, each sorted), the order
		// of every other listing path, so concurrent imports cannot deadlock.
		var lockM, lockC []string
		for _, p := range ps {
			if len(p.Channels) > 0 && !slices.Contains(lockM, p.MerchantID) {
				lockM = append(lockM, p.MerchantID)
			}
			for _, ch := range p.Channels {
				if !slices.Contains(lockC, ch) {
					lockC = append(lockC, ch)
				}
			}
		}
		slices.Sort(lockM)
		slices.Sort(lockC)
		for _, m := range lockM {
			if err := lockMerchant(ctx, tx, m); err != nil {
				return err
			}
		}
		for _, c := range lockC {
			if err := bumpChannel(ctx, tx, c); err != nil {
				return err
			}
		}
		// What the import writes was made before this transaction from the
		// names and channels read then; they are read again here, under the
		// locks, and when any has changed in between it is made again.
		res, err := resolve(ctx, tx, op, s.db.Formatters, ps)
		if err != nil {
			return err
		}
		if plan == nil || !res.same(plan.res) {
			if plan, err = res.build(ctx, ps); err != nil {
				return err
			}
		}
		stored := plan.stored
		listed := map[string][]string{} // channel -> products listed on it here
		if err := freeSKUs(ctx, tx, op, ps); err != nil {
			return err
		}
		// On SQLite a product's seq is given here, in the one writer's
		// transaction, so that its listings can carry it (see listedProduct).
		numbered := s.db.Engine == SQLite
		var seq int64
		nProduct, nListing := 9, 4
		productCols, listingCols := `id, brand_id, category_id, version, doc, view, merchant_id, skus, ref`, `channel_id, product_id, active, listed_at`
		if numbered {
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM products`).Scan(&seq); err != nil {
				return err
			}
			productCols, listingCols = `seq, `+productCols, `product_seq, `+listingCols
			nProduct, nListing = 10, 5
		}
		products := newRowInserter(ctx, s.db.Engine, prep, `INSERT INTO products (`+productCols+`) VALUES `, nProduct, nil)
		variants := newRowInserter(ctx, s.db.Engine, prep, `INSERT INTO variants (merchant_id, sku, id, product_id) VALUES `, 4, products)
		listings := newRowInserter(ctx, s.db.Engine, prep, `INSERT INTO listings (`+listingCols+`) VALUES `, nListing, products)
		row := make([]any, 0, 10)
		for i := range ps {
			p := &ps[i]
			seq++
			row = row[:0]
			if numbered {
				row = append(row, seq)
			}
			if err := products.add(append(row, prodID(p.ID), nullStr(p.BrandID), p.CategoryID, p.Version, stored[i].doc, stored[i].view, p.MerchantID, skusOf(*p), nullStr(p.Ref))...); err != nil {
				return err
			}
			for _, v := range p.Variants {
				if err := variants.add(p.MerchantID, v.SKU, varID(v.ID), prodID(p.ID)); err != nil {
					return err
				}
			}
			for _, ch := range p.Channels {
				f, err := factsOf(p, ch)
				if err != nil {
					return err
				}
				if err := channel.MayList(f); err != nil {
					return errs.E(op, errs.Other, fmt.Errorf("product %s on channel %s: %w", p.ID, f.ChannelCode, err))
				}
				row = row[:0]
				if numbered {
					row = append(row, seq)
				}
				if err := listings.add(append(row, ch, prodID(p.ID), true, p.CreatedAt)...); err != nil {
					return err
				}
				listed[ch] = append(listed[ch], p.ID)
			}
		}
		for _, b := range []*rowInserter{products, variants, listings} {
			if err := b.flush(); err != nil {
				return err
			}
		}
		for _, ch := range lockC {
			if err := bumpBuckets(ctx, tx, ch, listed[ch]...); err != nil {
				return err
			}
		}
		// The listing events were encoded with the plan; they are named and
		// stamped when they are written, not with the products' own times:
		// an import's products may carry a feed's (or a generator's)
		// timestamps, and the event's time is what the relay's lag is
		// measured from.
		now := s.db.Now()
		for _, e := range plan.events {
			e.ID, e.At = ids.New(ids.Event), now
			evs = append(evs, e)
		}
		return insertEvents(ctx, tx, evs)
	})
	return wrap(op, err, "a variant with this SKU")
}

// stmtsOf returns a function preparing statements on tx once each, and one
// closing them all.
func stmtsOf(ctx context.Context, tx *sql.Tx) (func(string) (*sql.Stmt, error), func()) {
	stmts := map[string]*sql.Stmt{}
	prep := func(q string) (*sql.Stmt, error) {
		if st, ok := stmts[q]; ok {
			return st, nil
		}
		st, err := tx.PrepareContext(ctx, q)
		stmts[q] = st
		return st, err
	}
	return prep, func() {
		for _, st := range stmts {
			if st != nil {
				st.Close()
			}
		}
	}
}

// pricedOn reports whether some variant of p has a price on channel ch.
func pricedOn(p *catalog.Product, ch string) bool {
	for _, v := range p.Variants {
		for _, pr := range v.Prices {
			if pr.ChannelID == ch {
				return true
			}
		}
	}
	return false
}

// pricedChannels is the sorted ids of the channels p has a price on.
func pricedChannels(p *catalog.Product) []string {
	var out []string
	for _, v := range p.Variants {
		for _, pr := range v.Prices {
			if !slices.Contains(out, pr.ChannelID) {
				out = append(out, pr.ChannelID)
			}
		}
	}
	slices.Sort(out)
	return out
}

// channelCache reads channels once per transaction, for rendering views.
type channelCache struct {
	tx rowQuerier
	m  map[string]channel.Channel
	f  *money.Formatters // for the prices of the views rendered
}

func newChannelCache(tx rowQuerier, f *money.Formatters) *channelCache {
	return &channelCache{tx: tx, m: map[string]channel.Channel{}, f: f}
}

func (c *channelCache) get(ctx context.Context, id string) (channel.Channel, error) {
	if ch, ok := c.m[id]; ok {
		return ch, nil
	}
	ch, err := scanChannel(c.tx.QueryRowContext(ctx, `SELECT `+channelReadCols+` FROM channels WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return ch, errs.Field("sqlstore.putProduct", "prices", "no channel "+id)
	} else if err != nil {
		return ch, err
	}
	c.m[id] = ch
	return ch, nil
}

// channelsOf is the channels p is priced on. Once they have been read, it
// only reads the cache, so it is safe from several goroutines.
func (c *channelCache) channelsOf(ctx context.Context, p *catalog.Product) ([]channel.Channel, error) {
	priced := pricedChannels(p)
	cs := make([]channel.Channel, 0, len(priced))
	for _, id := range priced {
		ch, err := c.get(ctx, id)
		if err != nil {
			return nil, err
		}
		cs = append(cs, ch)
	}
	return cs, nil
}

// view is the stored form of p's view, pre-rendered for every channel it is
// priced on.
func (c *channelCache) view(ctx context.Context, p catalog.Product) ([]byte, error) {
	cs, err := c.channelsOf(ctx, &p)
	if err != nil {
		return nil, err
	}
	return encodeView(catalog.Render(c.f, p, cs)), nil
}

// putProduct writes product p's row (a new one when insert): its stored
// document and its view pre-rendered for every channel it is priced on.
// p.Channels is not stored (the listings table holds it).
func putProduct(ctx context.Context, prep func(string) (*sql.Stmt, error), chans *channelCache, p catalog.Product, insert bool) error {
	p.Channels = []string{}
	view, err := chans.view(ctx, p)
	if err != nil {
		return err
	}
	doc := storeDoc(p)
	q := `UPDATE products SET brand_id = $2, category_id = $3, version = $4, doc = $5, view = $6, skus = $7 WHERE id = $1`
	args := []any{prodID(p.ID), nullStr(p.BrandID), p.CategoryID, p.Version, doc, view, skusOf(p)}
	if insert {
		q = `INSERT INTO products (id, brand_id, category_id, version, doc, view, skus, merchant_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
		args = append(args, p.MerchantID)
	}
	st, err := prep(q)
	if err != nil {
		return err
	}
	if _, err := st.ExecContext(ctx, args...); err != nil {
		if classify(err) == foreignKeyViolation {
			return errs.Field("sqlstore.putProduct", "category_id", "no such category")
		}
		return err
	}
	return nil
}

// skusOf is the stored list of p's SKUs: a JSON array, in variant order.
func skusOf(p catalog.Product) string {
	skus := make([]string, len(p.Variants))
	for i, v := range p.Variants {
		skus[i] = v.SKU
	}
	b, _ := json.Marshal(skus) // strings always encode
	return string(b)
}

// insertVariant records variant v of product productID: its id and SKU,
// which is unique per merchant. The rest of it lives in the document.
func insertVariant(ctx context.Context, prep func(string) (*sql.Stmt, error), merchantID, productID string, v catalog.Variant) error {
	st, err := prep(`INSERT INTO variants (id, product_id, merchant_id, sku) VALUES ($1, $2, $3, $4)`)
	if err != nil {
		return err
	}
	if _, err := st.ExecContext(ctx, varID(v.ID), prodID(productID), merchantID, v.SKU); err != nil {
		if classify(err) == uniqueViolation {
			return skuTaken("sqlstore.AddVariant", "SKU "+v.SKU+" is already used by one of your products")
		}
		return err
	}
	return nil
}

// Product implements catalog.Store.
func (s *Catalog) Product(ctx context.Context, id string) (catalog.Product, error) {
	const op = "sqlstore.Product"
	var doc []byte
	if err := s.db.QueryRowContext(ctx, `SELECT doc FROM products WHERE id = $1`, prodID(id)).Scan(&doc); err != nil {
		return catalog.Product{}, wrap(op, err, "product")
	}
	p, err := loadProduct(op, doc)
	if err != nil {
		return p, err
	}
	p.Channels, err = queryStrings(ctx, s.db, `SELECT channel_id FROM listings WHERE product_id = $1 AND active ORDER BY channel_id`, prodID(id))
	return p, wrap(op, err, "product")
}

// owned checks, inside tx, that product id belongs to merchantID.
func owned(ctx context.Context, tx *sql.Tx, op, merchantID, id string) error {
	var owner string
	err := tx.QueryRowContext(ctx, `SELECT merchant_id FROM products WHERE id = $1`, prodID(id)).Scan(&owner)
	if err == sql.ErrNoRows || (err == nil && owner != merchantID) {
		return errs.E(op, errs.NotFound, "product not found")
	}
	return err
}

// editProduct runs an edit of product id (owned by merchantID) inside one
// transaction: it takes the merchant's listing lock, loads the stored
// document, lets change modify it, and saves it as the next version (see
// saveEdit). change's error aborts the edit.
func (s *Catalog) editProduct(ctx context.Context, op, merchantID, id string, at time.Time, ev events.Event,
	change func(tx *sql.Tx, p *catalog.Product) error) error {
	return s.db.inTx(ctx, func(tx *sql.Tx) error {
		if err := owned(ctx, tx, op, merchantID, id); err != nil {
			return err
		}
		// The merchant's listing lock first (see lockEdit).
		if err := lockEdit(ctx, tx, merchantID); err != nil {
			return err
		}
		p, err := loadDoc(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := change(tx, &p); err != nil {
			return err
		}
		if err := saveEdit(ctx, tx, s.db.Formatters, p, at); err != nil {
			return err
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
}

// UpdateProduct implements catalog.Store. A brand change is checked against
// the brand rule and re-checks the product's listings against the listing
// rule, removing those that no longer qualify.
func (s *Catalog) UpdateProduct(ctx context.Context, merchantID, id string, patch catalog.Patch, at time.Time, ev events.Event) error {
	const op = "sqlstore.UpdateProduct"
	err := s.editProduct(ctx, op, merchantID, id, at, ev, func(tx *sql.Tx, p *catalog.Product) error {
		if patch.BrandID != nil {
			if *patch.BrandID != "" {
				b, authorised, err := loadBrand(ctx, tx, op, *patch.BrandID, merchantID)
				if err != nil {
					return err
				}
				if err := catalog.MayUseBrand(b, merchantID, authorised); err != nil {
					return err
				}
			}
			p.BrandID = *patch.BrandID
			// The brand column first: the listing rule reads it.
			if _, err := tx.ExecContext(ctx, `UPDATE products SET brand_id = $1 WHERE id = $2`, nullStr(p.BrandID), prodID(id)); err != nil {
				return err
			}
			if err := recheckListings(ctx, tx, removeFailing, events.RemovedBrandChanged, at, `product_id = $1`, prodID(id)); err != nil {
				return err
			}
		}
		if patch.CategoryID != nil {
			var slug string
			err := tx.QueryRowContext(ctx, `SELECT slug FROM categories WHERE id = $1`, *patch.CategoryID).Scan(&slug)
			if err == sql.ErrNoRows {
				return errs.Field(op, "category_id", "no such category")
			} else if err != nil {
				return err
			}
			p.CategoryID = *patch.CategoryID
		}
		if patch.OriginCountry != nil {
			p.OriginCountry = *patch.OriginCountry
		}
		if patch.Media != nil {
			p.Media = slices.Clone(patch.Media)
		}
		if patch.Attributes != nil {
			p.Attributes = maps.Clone(patch.Attributes)
		}
		if len(patch.Translations) > 0 && p.Translations == nil {
			p.Translations = map[string]catalog.Text{}
		}
		for lang, t := range patch.Translations {
			if t.Title == "" {
				delete(p.Translations, lang)
			} else {
				p.Translations[lang] = t
			}
		}
		if len(p.Translations) == 0 {
			return errs.Field(op, "translations", "a product keeps a title in at least one language")
		}
		return nil
	})
	return wrap(op, err, "product")
}

// AddVariant implements catalog.Store.
func (s *Catalog) AddVariant(ctx context.Context, merchantID, productID string, v catalog.Variant, at time.Time, ev events.Event) error {
	const op = "sqlstore.AddVariant"
	err := s.editProduct(ctx, op, merchantID, productID, at, ev, func(tx *sql.Tx, p *catalog.Product) error {
		if len(p.Variants) >= 200 {
			return errs.E(op, errs.Invalid, "a product has at most 200 variants")
		}
		prep := func(q string) (*sql.Stmt, error) { return tx.PrepareContext(ctx, q) }
		if err := insertVariant(ctx, prep, merchantID, productID, v); err != nil {
			return err
		}
		v.Prices = slices.Clone(v.Prices)
		if v.Prices == nil {
			v.Prices = []catalog.Price{}
		}
		p.Variants = append(p.Variants, v)
		return nil
	})
	return wrap(op, err, "variant")
}

// SetPrices implements catalog.Store.
func (s *Catalog) SetPrices(ctx context.Context, merchantID, productID string, prices []catalog.SKUPrice, at time.Time, ev events.Event) error {
	const op = "sqlstore.SetPrices"
	err := s.editProduct(ctx, op, merchantID, productID, at, ev, func(tx *sql.Tx, p *catalog.Product) error {
		for _, sp := range prices {
			i := slices.IndexFunc(p.Variants, func(v catalog.Variant) bool { return v.SKU == sp.SKU })
			if i < 0 {
				return errs.Field(op, "sku", "the product has no variant "+sp.SKU)
			}
			v := &p.Variants[i]
			j := slices.IndexFunc(v.Prices, func(pr catalog.Price) bool {
				return pr.ChannelID == sp.ChannelID && pr.Currency == sp.Currency
			})
			if j < 0 {
				v.Prices = append(v.Prices, catalog.Price{ChannelID: sp.ChannelID, Amount: sp.Amount})
				continue
			}
			if old := v.Prices[j].Minor; old != sp.Minor {
				// The history a reduction's reference is read from.
				if _, err := tx.ExecContext(ctx, `INSERT INTO price_changes (product_id, variant_id, channel_id, currency, old_amount, new_amount, changed_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7)`, productID, v.ID, sp.ChannelID, sp.Currency, old, sp.Minor, at); err != nil {
					return err
				}
			}
			v.Prices[j].Amount = sp.Amount
		}
		return nil
	})
	return wrap(op, err, "price")
}

// PriceChanges implements catalog.Store.
func (s *Catalog) PriceChanges(ctx context.Context, productID string, since time.Time) ([]catalog.PriceChange, error) {
	const op = "sqlstore.PriceChanges"
	rows, err := s.db.QueryContext(ctx, `SELECT variant_id, channel_id, currency, old_amount, new_amount, changed_at FROM price_changes
		WHERE product_id = $1 AND changed_at >= $2 ORDER BY changed_at`, productID, since)
	if err != nil {
		return nil, wrap(op, err, "price")
	}
	defer rows.Close()
	var out []catalog.PriceChange
	for rows.Next() {
		var c catalog.PriceChange
		if err := rows.Scan(&c.VariantID, &c.ChannelID, &c.Currency, &c.Old, &c.New, &c.At); err != nil {
			return nil, wrap(op, err, "price")
		}
		c.At = c.At.UTC()
		out = append(out, c)
	}
	return out, wrap(op, rows.Err(), "price")
}

// ListProduct implements catalog.Store.
func (s *Catalog) ListProduct(ctx context.Context, merchantID, productID, channelID string, at time.Time) error {
	const op = "sqlstore.ListProduct"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if err := owned(ctx, tx, op, merchantID, productID); err != nil {
			return err
		}
		if err := lockForListing(ctx, tx, merchantID, channelID); err != nil {
			return err
		}
		l, err := productListingFacts(ctx, tx, productID, channelID)
		if err != nil {
			return wrap(op, err, "product or channel")
		}
		p, err := loadDoc(ctx, tx, productID)
		if err != nil {
			return err
		}
		l.facts.Priced = pricedOn(&p, channelID)
		if err := channel.MayList(l.facts); err != nil {
			return err
		}
		// The facts were read after lockForListing, so they still hold at commit.
		q := `INSERT INTO listings (channel_id, product_id, active, listed_at) VALUES ($1, $2, TRUE, $3)`
		if s.db.Engine == SQLite {
			q = `INSERT INTO listings (channel_id, product_id, active, listed_at, product_seq)
				VALUES ($1, $2, TRUE, $3, (SELECT seq FROM products WHERE id = $2))`
		}
		if _, err := tx.ExecContext(ctx, q+` ON CONFLICT (channel_id, product_id) DO UPDATE SET active = excluded.active`,
			channelID, prodID(productID), at); err != nil {
			return err
		}
		if err := bumpBuckets(ctx, tx, channelID, productID); err != nil {
			return err
		}
		ev, err := newListingBuilder(tx).upserted(ctx, p, channelID, at)
		if err != nil {
			return err
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap(op, err, "listing")
}

// UnlistProduct implements catalog.Store.
func (s *Catalog) UnlistProduct(ctx context.Context, merchantID, productID, channelID string, at time.Time) error {
	const op = "sqlstore.UnlistProduct"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		var owner string
		err := tx.QueryRowContext(ctx, `SELECT merchant_id FROM products WHERE id = $1`, prodID(productID)).Scan(&owner)
		if err == sql.ErrNoRows || err == nil && merchantID != "" && owner != merchantID {
			return errs.E(op, errs.NotFound, "product not found")
		} else if err != nil {
			return err
		}
		// The channel row before the listing row, the order of ListProduct,
		// so that the two cannot deadlock on PostgreSQL; and the removal's
		// event is made after both, so its id follows a concurrent edit's.
		if err := bumpChannel(ctx, tx, channelID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM listings WHERE channel_id = $1 AND product_id = $2`, channelID, prodID(productID))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errs.E(op, errs.NotFound, "the product is not listed on this channel")
		}
		if err := bumpBuckets(ctx, tx, channelID, productID); err != nil {
			return err
		}
		return insertEvents(ctx, tx, []events.Event{removedEvent(productID, channelID, owner, events.RemovedUnlisted, at)})
	})
	return wrap(op, err, "listing")
}

// ChannelProducts implements catalog.Store.
func (s *Catalog) ChannelProducts(ctx context.Context, channelID, after string, limit int) ([]catalog.Product, error) {
	return s.docs(ctx, "sqlstore.ChannelProducts", `SELECT p.doc FROM listings l JOIN products p ON p.id = l.product_id
		WHERE l.channel_id = $1 AND l.active AND l.product_id > $2 ORDER BY l.product_id LIMIT $3`, channelID, prodID(after), limit)
}

// MerchantProducts implements catalog.Store.
func (s *Catalog) MerchantProducts(ctx context.Context, merchantID, after string, limit int) ([]catalog.Product, error) {
	return s.docs(ctx, "sqlstore.MerchantProducts", `SELECT doc FROM products WHERE merchant_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		merchantID, prodID(after), limit)
}

func (s *Catalog) docs(ctx context.Context, op, q string, args ...any) ([]catalog.Product, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(op, err, "product")
	}
	defer rows.Close()
	out := []catalog.Product{}
	var doc []byte
	for rows.Next() {
		if err := rows.Scan(&doc); err != nil {
			return nil, wrap(op, err, "product")
		}
		p, err := loadProduct(op, doc)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, wrap(op, rows.Err(), "product")
}

// Listed implements catalog.Store.
func (s *Catalog) Listed(ctx context.Context, productID, channelID string) (bool, error) {
	var ok bool
	err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM listings WHERE product_id = $1 AND channel_id = $2 AND active)`,
		prodID(productID), channelID).Scan(&ok)
	return ok, wrap("sqlstore.Listed", err, "listing")
}

// saveEdit stores p, changed by an edit, as its next version inside tx: the
// merchant's and brand's current names, prices in a stable order, the
// document and its view; then bumps the page ranges of every channel showing
// the product and announces the new document to each of them.
func saveEdit(ctx context.Context, tx *sql.Tx, f *money.Formatters, p catalog.Product, at time.Time) error {
	err := tx.QueryRowContext(ctx, `SELECT m.name, COALESCE(b.name, '') FROM merchants m LEFT JOIN brands b ON b.id = $2 WHERE m.id = $1`,
		p.MerchantID, nullStr(p.BrandID)).Scan(&p.MerchantName, &p.BrandName)
	if err != nil {
		return fmt.Errorf("save product: %w", err)
	}
	p.Version++
	p.UpdatedAt = at
	for i := range p.Variants {
		slices.SortStableFunc(p.Variants[i].Prices, func(a, b catalog.Price) int {
			return cmp.Or(cmp.Compare(a.ChannelID, b.ChannelID), cmp.Compare(a.Currency, b.Currency))
		})
	}
	prep := func(q string) (*sql.Stmt, error) { return tx.PrepareContext(ctx, q) }
	if err := putProduct(ctx, prep, newChannelCache(tx, f), p, false); err != nil {
		return err
	}
	chans, err := queryStrings(ctx, tx, `SELECT channel_id FROM listings WHERE product_id = $1 AND active ORDER BY channel_id`, prodID(p.ID))
	if err != nil {
		return err
	}
	for _, c := range chans {
		if err := bumpBuckets(ctx, tx, c, p.ID); err != nil {
			return err
		}
	}
	return emitShown(ctx, tx, p, chans, at)
}
