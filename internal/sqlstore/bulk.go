package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"runtime"
	"strconv"
	"strings"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/errs"
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
}

func newRowInserter(ctx context.Context, prep func(string) (*sql.Stmt, error), head string, cols int, parent *rowInserter) *rowInserter {
	return &rowInserter{ctx: ctx, prep: prep, head: head, cols: cols, args: make([]any, 0, cols*rowsPerInsert), parent: parent}
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
				return errs.E(op, errs.Conflict, "SKU "+v.SKU+" is used twice")
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
				return errs.E(op, errs.Conflict, "SKU "+taken[0]+" is already used by one of your products")
			}
		}
	}
	return nil
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
