package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
)

// Catalog is the catalogue store. Products are kept normalised (products,
// product_translations, variants, prices, listings) and, beside that, as one
// JSON document per product (products.doc) rebuilt in every transaction that
// changes the product, so that storefront reads are one indexed query.
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
func loadBrand(ctx context.Context, tx *sql.Tx, op, id, merchantID string) (catalog.Brand, bool, error) {
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
			`merchant_id = $1 AND product_id IN (SELECT id FROM products WHERE merchant_id = $1 AND brand_id = $2)`, merchantID, brandID); err != nil {
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
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		stmts := map[string]*sql.Stmt{}
		prep := func(q string) (*sql.Stmt, error) {
			if st, ok := stmts[q]; ok {
				return st, nil
			}
			st, err := tx.PrepareContext(ctx, q)
			stmts[q] = st
			return st, err
		}
		defer func() {
			for _, st := range stmts {
				if st != nil {
					st.Close()
				}
			}
		}()
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
		// The brand rule (catalog.MayUseBrand) once per merchant and brand.
		type brandKey struct{ merchant, brand string }
		brandNames := map[brandKey]string{}
		brandOf := func(merchantID, brandID string) (string, error) {
			if brandID == "" {
				return "", nil
			}
			k := brandKey{merchantID, brandID}
			if n, ok := brandNames[k]; ok {
				return n, nil
			}
			b, authorised, err := loadBrand(ctx, tx, op, brandID, merchantID)
			if err != nil {
				return "", err
			}
			if err := catalog.MayUseBrand(b, merchantID, authorised); err != nil {
				return "", err
			}
			brandNames[k] = b.Name
			return b.Name, nil
		}
		// What each channel now shows is announced in batches (see
		// events.NewListingEvents), built from each product's document as
		// stored here, by the builder every listing path uses.
		lb := newListingBuilder(tx)
		var shown []events.Listing
		tenant := ""
		if len(lockM) == 1 {
			tenant = lockM[0]
		}
		names := map[string]string{}
		lookup := func(q, id, field string) (string, error) {
			if id == "" {
				return "", nil
			}
			if n, ok := names[id]; ok {
				return n, nil
			}
			var n string
			if err := tx.QueryRowContext(ctx, q, id).Scan(&n); err != nil {
				if err == sql.ErrNoRows {
					return "", errs.Field(op, field, "no such "+field[:len(field)-3])
				}
				return "", err
			}
			names[id] = n
			return n, nil
		}
		for i := range ps {
			p := &ps[i]
			var err error
			if p.MerchantName, err = lookup(`SELECT name FROM merchants WHERE id = $1`, p.MerchantID, "merchant_id"); err != nil {
				return err
			}
			if p.BrandName, err = brandOf(p.MerchantID, p.BrandID); err != nil {
				return err
			}
			if _, err = lookup(`SELECT slug FROM categories WHERE id = $1`, p.CategoryID, "category_id"); err != nil {
				return err
			}
			doc := *p
			doc.Channels = []string{}
			st, err := prep(`INSERT INTO products (id, merchant_id, brand_id, category_id, origin_country, media, attributes, version, doc, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`)
			if err != nil {
				return err
			}
			if _, err := st.ExecContext(ctx, p.ID, p.MerchantID, nullStr(p.BrandID), p.CategoryID, p.OriginCountry, jsonText(p.Media),
				jsonText(p.Attributes), p.Version, encodeProduct(doc), p.CreatedAt, p.UpdatedAt); err != nil {
				return err
			}
			st, err = prep(`INSERT INTO product_translations (product_id, lang, title, description) VALUES ($1, $2, $3, $4)`)
			if err != nil {
				return err
			}
			for lang, t := range p.Translations {
				if _, err := st.ExecContext(ctx, p.ID, lang, t.Title, t.Description); err != nil {
					return err
				}
			}
			for pos, v := range p.Variants {
				if err := insertVariant(ctx, prep, p.MerchantID, p.ID, pos, v, p.CreatedAt); err != nil {
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
				st, err := prep(`INSERT INTO listings (channel_id, product_id, merchant_id, active, listed_at) VALUES ($1, $2, $3, TRUE, $4)`)
				if err != nil {
					return err
				}
				if _, err := st.ExecContext(ctx, ch, p.ID, p.MerchantID, p.CreatedAt); err != nil {
					return err
				}
				l, err := lb.listing(ctx, doc, ch)
				if err != nil {
					return err
				}
				shown = append(shown, l)
			}
		}
		if len(shown) > 0 {
			// Stamped when they are written, not with the products' own
			// times: an import's products may carry a feed's (or a
			// generator's) timestamps, and the event's time is what the
			// relay's lag is measured from.
			evs = append(evs, events.NewListingEvents(shown, tenant, s.db.Now())...)
		}
		return insertEvents(ctx, tx, evs)
	})
	return wrap(op, err, "a variant with this SKU")
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

func insertVariant(ctx context.Context, prep func(string) (*sql.Stmt, error), merchantID, productID string, pos int, v catalog.Variant, at time.Time) error {
	st, err := prep(`INSERT INTO variants (id, product_id, merchant_id, sku, options, position, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`)
	if err != nil {
		return err
	}
	if _, err := st.ExecContext(ctx, v.ID, productID, merchantID, v.SKU, jsonText(v.Options), pos, at); err != nil {
		if classify(err) == uniqueViolation {
			return errs.E("sqlstore.AddVariant", errs.Conflict, "SKU "+v.SKU+" is already used by one of your products")
		}
		return err
	}
	st, err = prep(`INSERT INTO prices (variant_id, channel_id, currency, amount_minor, updated_at) VALUES ($1, $2, $3, $4, $5)`)
	if err != nil {
		return err
	}
	for _, pr := range v.Prices {
		if _, err := st.ExecContext(ctx, v.ID, pr.ChannelID, pr.Currency, pr.Minor, at); err != nil {
			return err
		}
	}
	return nil
}

// Product implements catalog.Store.
func (s *Catalog) Product(ctx context.Context, id string) (catalog.Product, error) {
	const op = "sqlstore.Product"
	var doc string
	if err := s.db.QueryRowContext(ctx, `SELECT doc FROM products WHERE id = $1`, id).Scan(&doc); err != nil {
		return catalog.Product{}, wrap(op, err, "product")
	}
	p, err := decodeProduct(op, []byte(doc))
	if err != nil {
		return p, err
	}
	p.Channels, err = queryStrings(ctx, s.db, `SELECT channel_id FROM listings WHERE product_id = $1 AND active ORDER BY channel_id`, id)
	return p, wrap(op, err, "product")
}

// owned checks, inside tx, that product id belongs to merchantID.
func owned(ctx context.Context, tx *sql.Tx, op, merchantID, id string) error {
	var owner string
	err := tx.QueryRowContext(ctx, `SELECT merchant_id FROM products WHERE id = $1`, id).Scan(&owner)
	if err == sql.ErrNoRows || (err == nil && owner != merchantID) {
		return errs.E(op, errs.NotFound, "product not found")
	}
	return err
}

// UpdateProduct implements catalog.Store. A brand change is checked against
// the brand rule and re-checks the product's listings against the listing
// rule, removing those that no longer qualify.
func (s *Catalog) UpdateProduct(ctx context.Context, merchantID, id string, patch catalog.Patch, at time.Time, ev events.Event) error {
	const op = "sqlstore.UpdateProduct"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if err := owned(ctx, tx, op, merchantID, id); err != nil {
			return err
		}
		// The merchant's listing lock first (see lockEdit).
		if err := lockEdit(ctx, tx, merchantID); err != nil {
			return err
		}
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
			if _, err := tx.ExecContext(ctx, `UPDATE products SET brand_id = $1 WHERE id = $2`, nullStr(*patch.BrandID), id); err != nil {
				return err
			}
			if err := recheckListings(ctx, tx, removeFailing, events.RemovedBrandChanged, at, `product_id = $1`, id); err != nil {
				return err
			}
		}
		if patch.CategoryID != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE products SET category_id = $1 WHERE id = $2`, *patch.CategoryID, id); err != nil {
				if classify(err) == foreignKeyViolation {
					return errs.Field(op, "category_id", "no such category")
				}
				return err
			}
		}
		if patch.OriginCountry != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE products SET origin_country = $1 WHERE id = $2`, *patch.OriginCountry, id); err != nil {
				return err
			}
		}
		if patch.Media != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE products SET media = $1 WHERE id = $2`, jsonText(patch.Media), id); err != nil {
				return err
			}
		}
		if patch.Attributes != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE products SET attributes = $1 WHERE id = $2`, jsonText(patch.Attributes), id); err != nil {
				return err
			}
		}
		for lang, t := range patch.Translations {
			var err error
			if t.Title == "" {
				_, err = tx.ExecContext(ctx, `DELETE FROM product_translations WHERE product_id = $1 AND lang = $2`, id, lang)
			} else {
				_, err = tx.ExecContext(ctx, `INSERT INTO product_translations (product_id, lang, title, description) VALUES ($1, $2, $3, $4)
					ON CONFLICT (product_id, lang) DO UPDATE SET title = excluded.title, description = excluded.description`, id, lang, t.Title, t.Description)
			}
			if err != nil {
				return err
			}
		}
		var left int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM product_translations WHERE product_id = $1`, id).Scan(&left); err != nil {
			return err
		}
		if left == 0 {
			return errs.Field(op, "translations", "a product keeps a title in at least one language")
		}
		if err := refreshDoc(ctx, tx, id, at); err != nil {
			return err
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap(op, err, "product")
}

// AddVariant implements catalog.Store.
func (s *Catalog) AddVariant(ctx context.Context, merchantID, productID string, v catalog.Variant, at time.Time, ev events.Event) error {
	const op = "sqlstore.AddVariant"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if err := owned(ctx, tx, op, merchantID, productID); err != nil {
			return err
		}
		if err := lockEdit(ctx, tx, merchantID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM variants WHERE product_id = $1`, productID).Scan(&n); err != nil {
			return err
		}
		if n >= 200 {
			return errs.E(op, errs.Invalid, "a product has at most 200 variants")
		}
		prep := func(q string) (*sql.Stmt, error) { return tx.PrepareContext(ctx, q) }
		if err := insertVariant(ctx, prep, merchantID, productID, n, v, at); err != nil {
			return err
		}
		if err := refreshDoc(ctx, tx, productID, at); err != nil {
			return err
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap(op, err, "variant")
}

// SetPrices implements catalog.Store.
func (s *Catalog) SetPrices(ctx context.Context, merchantID, productID string, prices []catalog.SKUPrice, at time.Time, ev events.Event) error {
	const op = "sqlstore.SetPrices"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if err := owned(ctx, tx, op, merchantID, productID); err != nil {
			return err
		}
		if err := lockEdit(ctx, tx, merchantID); err != nil {
			return err
		}
		for _, p := range prices {
			var vid string
			err := tx.QueryRowContext(ctx, `SELECT id FROM variants WHERE product_id = $1 AND sku = $2`, productID, p.SKU).Scan(&vid)
			if err == sql.ErrNoRows {
				return errs.Field(op, "sku", "the product has no variant "+p.SKU)
			} else if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO prices (variant_id, channel_id, currency, amount_minor, updated_at) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (variant_id, channel_id, currency) DO UPDATE SET amount_minor = excluded.amount_minor, updated_at = excluded.updated_at`,
				vid, p.ChannelID, p.Currency, p.Minor, at); err != nil {
				return err
			}
		}
		if err := refreshDoc(ctx, tx, productID, at); err != nil {
			return err
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap(op, err, "price")
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
		if err := channel.MayList(l.facts); err != nil {
			return err
		}
		// The facts were read after lockForListing, so they still hold at commit.
		if _, err := tx.ExecContext(ctx, `INSERT INTO listings (channel_id, product_id, merchant_id, active, listed_at) VALUES ($1, $2, $3, TRUE, $4)
			ON CONFLICT (channel_id, product_id) DO UPDATE SET active = excluded.active`, channelID, productID, merchantID, at); err != nil {
			return err
		}
		p, err := loadDoc(ctx, tx, productID)
		if err != nil {
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
		if merchantID != "" {
			if err := owned(ctx, tx, op, merchantID, productID); err != nil {
				return err
			}
		}
		// The channel row before the listing row, the order of ListProduct,
		// so that the two cannot deadlock on PostgreSQL; and the removal's
		// event is made after both, so its id follows a concurrent edit's.
		if err := bumpChannel(ctx, tx, channelID); err != nil {
			return err
		}
		var owner string
		err := tx.QueryRowContext(ctx, `DELETE FROM listings WHERE channel_id = $1 AND product_id = $2 RETURNING merchant_id`,
			channelID, productID).Scan(&owner)
		if err == sql.ErrNoRows {
			return errs.E(op, errs.NotFound, "the product is not listed on this channel")
		} else if err != nil {
			return err
		}
		return insertEvents(ctx, tx, []events.Event{removedEvent(productID, channelID, owner, events.RemovedUnlisted, at)})
	})
	return wrap(op, err, "listing")
}

// ChannelProducts implements catalog.Store.
func (s *Catalog) ChannelProducts(ctx context.Context, channelID, after string, limit int) ([]catalog.Product, error) {
	return s.docs(ctx, "sqlstore.ChannelProducts", `SELECT p.doc FROM listings l JOIN products p ON p.id = l.product_id
		WHERE l.channel_id = $1 AND l.active AND l.product_id > $2 ORDER BY l.product_id LIMIT $3`, channelID, after, limit)
}

// MerchantProducts implements catalog.Store.
func (s *Catalog) MerchantProducts(ctx context.Context, merchantID, after string, limit int) ([]catalog.Product, error) {
	return s.docs(ctx, "sqlstore.MerchantProducts", `SELECT doc FROM products WHERE merchant_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		merchantID, after, limit)
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
		p, err := decodeProduct(op, doc)
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
		productID, channelID).Scan(&ok)
	return ok, wrap("sqlstore.Listed", err, "listing")
}

// refreshDoc rebuilds product id's document from its normalised rows and
// bumps its version, inside tx, and announces the new document to every
// channel that shows the product.
func refreshDoc(ctx context.Context, tx *sql.Tx, id string, at time.Time) error {
	var p catalog.Product
	var media, attrs string
	err := tx.QueryRowContext(ctx, `SELECT p.id, p.merchant_id, m.name, COALESCE(p.brand_id, ''), COALESCE(b.name, ''), p.category_id, p.origin_country,
		p.media, p.attributes, p.version, p.created_at FROM products p JOIN merchants m ON m.id = p.merchant_id LEFT JOIN brands b ON b.id = p.brand_id
		WHERE p.id = $1`, id).Scan(&p.ID, &p.MerchantID, &p.MerchantName, &p.BrandID, &p.BrandName, &p.CategoryID, &p.OriginCountry,
		&media, &attrs, &p.Version, &p.CreatedAt)
	if err != nil {
		return fmt.Errorf("refresh doc: %w", err)
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), at
	p.Version++
	if err := json.Unmarshal([]byte(media), &p.Media); err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(attrs), &p.Attributes); err != nil {
		return err
	}
	p.Translations = map[string]catalog.Text{}
	rows, err := tx.QueryContext(ctx, `SELECT lang, title, description FROM product_translations WHERE product_id = $1`, id)
	if err != nil {
		return err
	}
	for rows.Next() {
		var l string
		var t catalog.Text
		if err := rows.Scan(&l, &t.Title, &t.Description); err != nil {
			rows.Close()
			return err
		}
		p.Translations[l] = t
	}
	rows.Close()
	rows, err = tx.QueryContext(ctx, `SELECT v.id, v.sku, v.options, COALESCE(pr.channel_id, ''), COALESCE(pr.currency, ''), COALESCE(pr.amount_minor, 0)
		FROM variants v LEFT JOIN prices pr ON pr.variant_id = v.id WHERE v.product_id = $1 ORDER BY v.position, pr.channel_id, pr.currency`, id)
	if err != nil {
		return err
	}
	for rows.Next() {
		var v catalog.Variant
		var opts string
		var pr catalog.Price
		if err := rows.Scan(&v.ID, &v.SKU, &opts, &pr.ChannelID, &pr.Currency, &pr.Minor); err != nil {
			rows.Close()
			return err
		}
		if n := len(p.Variants); n == 0 || p.Variants[n-1].ID != v.ID {
			v.Prices = []catalog.Price{}
			if err := json.Unmarshal([]byte(opts), &v.Options); err != nil {
				rows.Close()
				return err
			}
			p.Variants = append(p.Variants, v)
		}
		if pr.ChannelID != "" {
			last := &p.Variants[len(p.Variants)-1]
			last.Prices = append(last.Prices, pr)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if _, err = tx.ExecContext(ctx, `UPDATE products SET doc = $1, version = $2, updated_at = $3 WHERE id = $4`, encodeProduct(p), p.Version, at, id); err != nil {
		return err
	}
	// The channels first: the rows they lock order this edit with a
	// concurrent revocation or unlisting (which write them before their
	// events), so the listings read next, and the event ids made for them,
	// follow whichever committed first.
	if err := bumpChannelsOfProduct(ctx, tx, id); err != nil {
		return err
	}
	return emitShown(ctx, tx, p, at)
}
