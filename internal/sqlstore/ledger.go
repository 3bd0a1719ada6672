package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/order"
)

// postMove writes the ledger posting of order o's move from status from
// ("" when placed) to status to inside tx, once: a posting of the order
// and kind written already (a retried or repeated move) is left as it is.
func postMove(ctx context.Context, tx *sql.Tx, o order.Order, from, to order.Status, at time.Time) error {
	p, err := order.LedgerPosting(o, from, to, at)
	if err != nil || p == nil {
		return err
	}
	if p.Sum() != 0 {
		return errs.E("sqlstore.postMove", errs.Internal, fmt.Sprintf("the %s posting of order %s sums to %d", p.Kind, o.ID, p.Sum()))
	}
	res, err := execIn(ctx, tx, `INSERT INTO ledger_postings (id, kind, order_id, merchant_id, currency, created_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (order_id, kind) DO NOTHING`, p.ID, string(p.Kind), p.OrderID, p.MerchantID, p.Currency, p.CreatedAt)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil // posted already
	}
	// The entries in one statement (a posting has a handful).
	var q strings.Builder
	q.WriteString(`INSERT INTO ledger_entries (posting_id, seq, account, merchant_id, currency, amount) VALUES `)
	args := make([]any, 0, 6*len(p.Entries))
	for i, e := range p.Entries {
		if i > 0 {
			q.WriteString(", ")
		}
		k := len(args)
		fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+5, k+6)
		args = append(args, p.ID, i, string(e.Account), nullStr(e.MerchantID), e.Amount.Currency, e.Amount.Minor)
	}
	_, err = execIn(ctx, tx, q.String(), args...)
	return err
}

// LedgerBalances implements order.Store.
func (s *Orders) LedgerBalances(ctx context.Context, merchantID string) ([]order.Balance, error) {
	const op = "sqlstore.LedgerBalances"
	q := `SELECT account, currency, SUM(amount) FROM ledger_entries WHERE merchant_id = $1 GROUP BY account, currency ORDER BY account, currency`
	args := []any{merchantID}
	if merchantID == "" {
		q, args = `SELECT account, currency, SUM(amount) FROM ledger_entries WHERE merchant_id IS NULL GROUP BY account, currency ORDER BY account, currency`, nil
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(op, err, "ledger")
	}
	defer rows.Close()
	out := []order.Balance{}
	for rows.Next() {
		var (
			b       order.Balance
			account string
		)
		if err := rows.Scan(&account, &b.Amount.Currency, &b.Amount.Minor); err != nil {
			return nil, wrap(op, err, "ledger")
		}
		b.Account = order.Account(account)
		out = append(out, b)
	}
	return out, wrap(op, rows.Err(), "ledger")
}

// LedgerPostings implements order.Store.
func (s *Orders) LedgerPostings(ctx context.Context, merchantID, after string, limit int) ([]order.Posting, error) {
	const op = "sqlstore.LedgerPostings"
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, order_id, merchant_id, currency, created_at FROM ledger_postings
		WHERE merchant_id = $1 AND id > $2 ORDER BY id LIMIT $3`, merchantID, after, limit)
	if err != nil {
		return nil, wrap(op, err, "ledger")
	}
	out := []order.Posting{}
	at := map[string]int{}
	for rows.Next() {
		var (
			p    order.Posting
			kind string
		)
		if err := rows.Scan(&p.ID, &kind, &p.OrderID, &p.MerchantID, &p.Currency, &p.CreatedAt); err != nil {
			rows.Close()
			return nil, wrap(op, err, "ledger")
		}
		p.Kind, p.CreatedAt, p.Entries = order.PostingKind(kind), p.CreatedAt.UTC(), []order.Entry{}
		at[p.ID] = len(out)
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, wrap(op, err, "ledger")
	}
	marks := make([]string, len(out))
	args := make([]any, len(out))
	for i, p := range out {
		marks[i], args[i] = fmt.Sprintf("$%d", i+1), p.ID
	}
	rows, err = s.db.QueryContext(ctx, `SELECT posting_id, account, COALESCE(merchant_id, ''), currency, amount FROM ledger_entries
		WHERE posting_id IN (`+strings.Join(marks, ", ")+`) ORDER BY posting_id, seq`, args...)
	if err != nil {
		return nil, wrap(op, err, "ledger")
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, account string
			e           order.Entry
			a           money.Amount
		)
		if err := rows.Scan(&id, &account, &e.MerchantID, &a.Currency, &a.Minor); err != nil {
			return nil, wrap(op, err, "ledger")
		}
		e.Account, e.Amount = order.Account(account), a
		out[at[id]].Entries = append(out[at[id]].Entries, e)
	}
	return out, wrap(op, rows.Err(), "ledger")
}
