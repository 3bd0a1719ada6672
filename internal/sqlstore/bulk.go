package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"maps"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/money"
)

// This file holds what makes a bulk import fast: rows written many to a
// statement, and the products' documents and views made on every core.

// rowsPerInsert is how many rows one INSERT statement of a bulk write
// carries: statements cost far more than rows on both engines.
const rowsPerInsert = 64

// rowInserter writes rows of one table in multi-row INSERT statements,
// prepared once per size within the transaction.
type rowInserter struct {
	ctx  context.Context
	prep func(string) (*sql.Stmt, error)
	head string // INSERT INTO t (cols) VALUES
	cols int
	args []any
	// parent's rows are written before any of these, which reference them.
	parent *rowInserter
	// anonymous placeholders (?) rather than numbered ones: SQLite finds a
	// numbered parameter by a search through all of a statement's names,
	// which for hundreds of them costs more than the row.
	anonymous bool
}

func newRowInserter(ctx context.Context, e Engine, prep func(string) (*sql.Stmt, error), head string, cols int, parent *rowInserter) *rowInserter {
	return &rowInserter{ctx: ctx, prep: prep, head: head, cols: cols, args: make([]any, 0, cols*rowsPerInsert), parent: parent,
		anonymous: e == SQLite}
}

// add queues one row, writing the queue when it is full.
func (b *rowInserter) add(row ...any) error {
	b.args = append(b.args, row...)
	if len(b.args) == b.cols*rowsPerInsert {
		return b.flush()
	}
	return nil
}

// flush writes the queued rows (the parent's first).
func (b *rowInserter) flush() error {
	if b.parent != nil {
		if err := b.parent.flush(); err != nil {
			return err
		}
	}
	n := len(b.args) / b.cols
	if n == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(b.head)
	for r := range n {
		if r > 0 {
			q.WriteByte(',')
		}
		q.WriteByte('(')
		for c := range b.cols {
			if c > 0 {
				q.WriteByte(',')
			}
			if b.anonymous {
				q.WriteByte('?')
				continue
			}
			q.WriteByte('$')
			q.WriteString(strconv.Itoa(r*b.cols + c + 1))
		}
		q.WriteByte(')')
	}
	st, err := b.prep(q.String())
	if err != nil {
		return err
	}
	_, err = st.ExecContext(b.ctx, b.args...)
	b.args = b.args[:0]
	return err
}

// storedProduct is what a product's row stores besides its keys.
type storedProduct struct{ doc, view []byte }

// renderAll makes the stored document and view of every product, on every
// core. The channels the products are priced on are in chans already, so
// the workers only read it.
func renderAll(ctx context.Context, chans *channelCache, ps []catalog.Product) ([]storedProduct, error) {
	out := make([]storedProduct, len(ps))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(ps)/16))
	errc := make(chan error, workers)
	for w := range workers {
		go func() {
			for i := w; i < len(ps); i += workers {
				view, err := chans.view(ctx, ps[i])
				if err != nil {
					errc <- err
					return
				}
				out[i] = storedProduct{storeDoc(ps[i]), view}
			}
			errc <- nil
		}()
	}
	var err error
	for range workers {
		err = cmp.Or(err, <-errc)
	}
	return out, err
}

// freeSKUs checks, inside tx, that no SKU of ps is taken: by another
// product of the same merchant, or twice within ps. Conflict names the SKU.
func freeSKUs(ctx context.Context, tx *sql.Tx, op string, ps []catalog.Product) error {
	type key struct{ merchant, sku string }
	seen := map[key]bool{}
	byMerchant := map[string][]string{}
	for _, p := range ps {
		for _, v := range p.Variants {
			k := key{p.MerchantID, v.SKU}
			if seen[k] {
				return skuTaken(op, "SKU "+v.SKU+" is used twice")
			}
			seen[k] = true
			byMerchant[p.MerchantID] = append(byMerchant[p.MerchantID], v.SKU)
		}
	}
	for m, skus := range byMerchant {
		for len(skus) > 0 {
			chunk := skus[:min(len(skus), 500)]
			skus = skus[len(chunk):]
			q, args := inList(`SELECT sku FROM variants WHERE merchant_id = $1 AND sku IN `, []any{m}, chunk)
			taken, err := queryStrings(ctx, tx, q, args...)
			if err != nil {
				return err
			}
			if len(taken) > 0 {
				return skuTaken(op, "SKU "+taken[0]+" is already used by one of your products")
			}
		}
	}
	return nil
}

// skuTaken is the Conflict of a SKU in use, naming the field at fault so
// that an import reports it on the feed's line.
func skuTaken(op, msg string) error {
	return &errs.Error{Op: op, Kind: errs.Conflict, Field: "variants.sku", Err: errors.New(msg)}
}

// inList is head followed by a parenthesised list of placeholders for vals,
// numbered after the args already bound, and all the arguments.
func inList(head string, args []any, vals []string) (string, []any) {
	var q strings.Builder
	q.WriteString(head)
	q.WriteByte('(')
	for i, v := range vals {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString("$" + strconv.Itoa(len(args)+1))
		args = append(args, v)
	}
	q.WriteByte(')')
	return q.String(), args
}

// resolved is what an import reads besides its own products: the names its
// documents carry, the channels its views are rendered for and the channel
// codes and category paths its listing events carry.
type resolved struct {
	merchants map[string]string    // id -> name
	brands    map[[2]string]string // (merchant, brand) -> name; the brand rule passed
	slugs     map[string]string    // category id -> slug
	chans     *channelCache
	lb        *listingBuilder
}

// resolve reads through q what importing ps needs (its views' prices
// formatted with f), and applies the brand rule (catalog.MayUseBrand) once per merchant and brand.
func resolve(ctx context.Context, q rowQuerier, op string, f *money.Formatters, ps []catalog.Product) (*resolved, error) {
	r := &resolved{merchants: map[string]string{}, brands: map[[2]string]string{}, slugs: map[string]string{}}
	r.chans, r.lb = newChannelCache(q, f), newListingBuilder(q)
	one := func(m map[string]string, sqlText, id, field string) error {
		if _, ok := m[id]; ok || id == "" {
			return nil
		}
		var n string
		if err := q.QueryRowContext(ctx, sqlText, id).Scan(&n); err != nil {
			if err == sql.ErrNoRows {
				return errs.Field(op, field, "no such "+strings.TrimSuffix(field, "_id"))
			}
			return err
		}
		m[id] = n
		return nil
	}
	for i := range ps {
		p := &ps[i]
		if err := one(r.merchants, `SELECT name FROM merchants WHERE id = $1`, p.MerchantID, "merchant_id"); err != nil {
			return nil, err
		}
		if k := [2]string{p.MerchantID, p.BrandID}; p.BrandID != "" {
			if _, ok := r.brands[k]; !ok {
				b, authorised, err := loadBrand(ctx, q, op, p.BrandID, p.MerchantID)
				if err != nil {
					return nil, err
				}
				if err := catalog.MayUseBrand(b, p.MerchantID, authorised); err != nil {
					return nil, err
				}
				r.brands[k] = b.Name
			}
		}
		if err := one(r.slugs, `SELECT slug FROM categories WHERE id = $1`, p.CategoryID, "category_id"); err != nil {
			return nil, err
		}
		if _, err := r.chans.channelsOf(ctx, p); err != nil {
			return nil, err
		}
		if len(p.Channels) > 0 {
			if _, err := r.lb.path(ctx, p.CategoryID); err != nil {
				return nil, err
			}
			for _, ch := range p.Channels {
				if _, err := r.lb.code(ctx, ch); err != nil {
					return nil, err
				}
			}
		}
	}
	return r, nil
}

// same reports whether r and o read the same: a plan made from o holds for r.
// Channels' catalogue versions are left out (every listing bumps them, and
// no view or event carries them).
func (r *resolved) same(o *resolved) bool {
	if !maps.Equal(r.merchants, o.merchants) || !maps.Equal(r.brands, o.brands) || !maps.Equal(r.slugs, o.slugs) ||
		!maps.Equal(r.lb.codes, o.lb.codes) || !maps.EqualFunc(r.lb.paths, o.lb.paths, func(a, b []catalog.Category) bool { return reflect.DeepEqual(a, b) }) {
		return false
	}
	return maps.EqualFunc(r.chans.m, o.chans.m, func(a, b channel.Channel) bool {
		a.CatalogVersion, b.CatalogVersion = 0, 0
		return reflect.DeepEqual(a, b)
	})
}

// importPlan is what an import writes, made from what it read: each
// product's stored row (its document, with its names, and its view), and
// the listings it announces, encoded.
type importPlan struct {
	res    *resolved
	stored []storedProduct
	// events announce the listings, unnamed and unstamped: the
	// transaction writing them does both.
	events []events.Event
}

// build makes the plan of importing ps from r, on every core. It sets the
// names on ps too.
func (r *resolved) build(ctx context.Context, ps []catalog.Product) (*importPlan, error) {
	plan := &importPlan{res: r}
	docs := make([]catalog.Product, len(ps))
	for i := range ps {
		p := &ps[i]
		p.MerchantName, p.BrandName = r.merchants[p.MerchantID], r.brands[[2]string{p.MerchantID, p.BrandID}]
		docs[i] = *p
		docs[i].Channels = []string{}
	}
	var err error
	if plan.stored, err = renderAll(ctx, r.chans, docs); err != nil {
		return nil, err
	}
	var shown []events.Listing
	tenant := "" // the merchant, when the listings are all one merchant's
	for i := range ps {
		for _, ch := range ps[i].Channels {
			l, err := r.lb.listing(ctx, docs[i], ch)
			if err != nil {
				return nil, err
			}
			if len(shown) == 0 {
				tenant = ps[i].MerchantID
			} else if tenant != ps[i].MerchantID {
				tenant = ""
			}
			shown = append(shown, l)
		}
	}
	if len(shown) > 0 {
		plan.events = events.NewListingEvents(shown, tenant, time.Time{})
	}
	return plan, nil
}
