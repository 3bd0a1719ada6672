package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
)

// This file holds what a catalogue feed needs besides CreateProducts: its
// products found by the merchant's ref, and a product's content replaced by
// a feed's line.

// ProductsByRef implements catalog.Store.
func (s *Catalog) ProductsByRef(ctx context.Context, merchantID string, refs []string) (map[string]catalog.Product, error) {
	const op = "sqlstore.ProductsByRef"
	out := make(map[string]catalog.Product, len(refs))
	for len(refs) > 0 {
		chunk := refs[:min(len(refs), 500)]
		refs = refs[len(chunk):]
		q, args := inList(`SELECT doc FROM products WHERE merchant_id = $1 AND ref IN `, []any{merchantID}, chunk)
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, wrap(op, err, "product")
		}
		for rows.Next() {
			var doc []byte
			if err := rows.Scan(&doc); err != nil {
				rows.Close()
				return nil, wrap(op, err, "product")
			}
			p, err := loadProduct(op, doc)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[p.Ref] = p
		}
		if err := rows.Close(); err != nil {
			return nil, wrap(op, err, "product")
		}
		if err := rows.Err(); err != nil {
			return nil, wrap(op, err, "product")
		}
	}
	return out, nil
}

// ReplaceProduct implements catalog.Store, as one edit (editProduct): the
// product's next version, its listings re-announced.
func (s *Catalog) ReplaceProduct(ctx context.Context, merchantID string, np catalog.Product, at time.Time, ev events.Event) error {
	const op = "sqlstore.ReplaceProduct"
	err := s.editProduct(ctx, op, merchantID, np.ID, at, ev, func(tx *sql.Tx, p *catalog.Product) error {
		if np.BrandID != p.BrandID {
			if np.BrandID != "" {
				b, authorised, err := loadBrand(ctx, tx, op, np.BrandID, merchantID)
				if err != nil {
					return err
				}
				if err := catalog.MayUseBrand(b, merchantID, authorised); err != nil {
					return &errs.Error{Op: op, Kind: errs.Forbidden, Field: "brand_id", Err: err}
				}
			}
			p.BrandID = np.BrandID
			// The brand column first: the listing rule reads it.
			if _, err := tx.ExecContext(ctx, `UPDATE products SET brand_id = $1 WHERE id = $2`, nullStr(p.BrandID), prodID(p.ID)); err != nil {
				return err
			}
			if err := recheckListings(ctx, tx, removeFailing, events.RemovedBrandChanged, at, `product_id = $1`, prodID(p.ID)); err != nil {
				return err
			}
		}
		if np.CategoryID != p.CategoryID {
			var slug string
			err := tx.QueryRowContext(ctx, `SELECT slug FROM categories WHERE id = $1`, np.CategoryID).Scan(&slug)
			if err == sql.ErrNoRows {
				return errs.Field(op, "category_id", "no such category")
			} else if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE products SET category_id = $1 WHERE id = $2`, np.CategoryID, prodID(p.ID)); err != nil {
				return err
			}
			p.CategoryID = np.CategoryID
		}
		p.OriginCountry, p.Translations, p.Media, p.Attributes = np.OriginCountry, np.Translations, slices.Clone(np.Media), np.Attributes
		prep := func(q string) (*sql.Stmt, error) { return tx.PrepareContext(ctx, q) }
		for _, v := range np.Variants {
			if i := slices.IndexFunc(p.Variants, func(o catalog.Variant) bool { return o.SKU == v.SKU }); i >= 0 {
				p.Variants[i].Options, p.Variants[i].Prices = v.Options, slices.Clone(v.Prices)
				continue
			}
			if len(p.Variants) >= 200 {
				return errs.Field(op, "variants", "a product has at most 200 variants")
			}
			if err := insertVariant(ctx, prep, merchantID, p.ID, v); err != nil {
				return err
			}
			v.Prices = slices.Clone(v.Prices)
			p.Variants = append(p.Variants, v)
		}
		return nil
	})
	return wrap(op, err, "product")
}
