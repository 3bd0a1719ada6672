package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/order"
)

// ledgerAccounts are the accounts of a posting's row, in the order its
// entries are read back.
var ledgerAccounts = [...]order.Account{order.Clearing, order.Held, order.Available, order.PaidOut, order.Fees, order.Reserve, order.Owed}

// postMove writes the ledger posting of order o's move from status from
// ("" when placed) to status to inside tx, once: a posting of the order
// and kind written already (a retried or repeated move) is left as it is.
// A posting is one row, its entries its amounts on the seven accounts. A
// posting that puts some of the order's settlement in reserve arms the
// timer that releases it.
func postMove(ctx context.Context, tx *sql.Tx, o order.Order, from, to order.Status, at time.Time) error {
	p, err := order.LedgerPosting(o, from, to, at)
	if err != nil || p == nil {
		return err
	}
	if err := insertPosting(ctx, tx, p); err != nil {
		return err
	}
	for _, e := range p.Entries {
		if e.Account == order.Reserve && e.Amount.Minor > 0 {
			t, err := order.ReserveTimer(o, at)
			if err != nil {
				return err
			}
			return insertTimer(ctx, tx, t)
		}
	}
	return nil
}

// insertPosting writes posting p as one row inside tx, once per order (or
// payout) and kind: a posting written already is left as it is.
func insertPosting(ctx context.Context, tx *sql.Tx, p *order.Posting) error {
	const op = "sqlstore.insertPosting"
	if p.Sum() != 0 {
		return errs.E(op, errs.Internal, fmt.Sprintf("the %s posting of order %s sums to %d", p.Kind, p.OrderID, p.Sum()))
	}
	var amounts [len(ledgerAccounts)]int64
	for _, e := range p.Entries {
		i := slices.Index(ledgerAccounts[:], e.Account)
		mine := e.MerchantID == p.MerchantID && e.Account != order.Clearing || e.MerchantID == "" && e.Account == order.Clearing
		if i < 0 || !mine || e.Amount.Currency != p.Currency {
			return errs.E(op, errs.Internal, fmt.Sprintf("the %s posting of order %s has an entry %+v a row cannot hold", p.Kind, p.OrderID, e))
		}
		amounts[i] += e.Amount.Minor
	}
	conflict := "(order_id, kind)"
	if p.OrderID == "" {
		conflict = "(payout_id, kind)"
	}
	_, err := execIn(ctx, tx, `INSERT INTO ledger_postings (id, kind, order_id, payout_id, merchant_id, currency, created_at, clearing, held, available, paid, fees, reserve, owed)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT `+conflict+` DO NOTHING`,
		p.ID, string(p.Kind), nullStr(p.OrderID), nullStr(p.PayoutID), p.MerchantID, p.Currency, p.CreatedAt.UTC(),
		amounts[0], amounts[1], amounts[2], amounts[3], amounts[4], amounts[5], amounts[6])
	return err
}

// LedgerBalances implements order.Store: a merchant's four accounts in
// each currency it has postings in (0 where no money moved), or the
// marketplace's clearing account in each currency.
func (s *Orders) LedgerBalances(ctx context.Context, merchantID string) ([]order.Balance, error) {
	const op = "sqlstore.LedgerBalances"
	var (
		rows *sql.Rows
		err  error
		accs []order.Account
	)
	if merchantID == "" {
		accs = []order.Account{order.Clearing}
		rows, err = s.db.QueryContext(ctx, `SELECT currency, SUM(clearing) FROM ledger_postings GROUP BY currency`)
	} else {
		accs = []order.Account{order.Held, order.Available, order.Reserve, order.PaidOut, order.Fees, order.Owed}
		rows, err = s.db.QueryContext(ctx, `SELECT currency, SUM(held), SUM(available), SUM(reserve), SUM(paid), SUM(fees), SUM(owed)
			FROM ledger_postings WHERE merchant_id = $1 GROUP BY currency`, merchantID)
	}
	if err != nil {
		return nil, wrap(op, err, "ledger")
	}
	defer rows.Close()
	out := []order.Balance{}
	for rows.Next() {
		var cur string
		sums := make([]int64, len(accs))
		dst := []any{&cur}
		for i := range sums {
			dst = append(dst, &sums[i])
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, wrap(op, err, "ledger")
		}
		for i, a := range accs {
			out = append(out, order.Balance{Account: a, Amount: money.Amount{Minor: sums[i], Currency: cur}})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err, "ledger")
	}
	slices.SortFunc(out, func(a, b order.Balance) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Amount.Currency, b.Amount.Currency))
	})
	return out, nil
}

// LedgerPostings implements order.Store.
func (s *Orders) LedgerPostings(ctx context.Context, merchantID, after string, limit int) ([]order.Posting, error) {
	const op = "sqlstore.LedgerPostings"
	rows, err := s.db.QueryContext(ctx, `SELECT `+postingCols+`
		FROM ledger_postings WHERE merchant_id = $1 AND id > $2 ORDER BY id LIMIT $3`, merchantID, after, limit)
	if err != nil {
		return nil, wrap(op, err, "ledger")
	}
	out := []order.Posting{}
	err = scanPostings(rows, func(p order.Posting) error { out = append(out, p); return nil })
	return out, wrap(op, err, "ledger")
}

// postingCols are the columns scanPostings reads.
const postingCols = `id, kind, COALESCE(order_id, ''), COALESCE(payout_id, ''), merchant_id, currency, created_at, clearing, held, available, paid, fees, reserve, owed`

// scanPostings reads rows of postingCols, each to fn, and closes rows.
func scanPostings(rows *sql.Rows, fn func(order.Posting) error) error {
	defer rows.Close()
	for rows.Next() {
		var (
			p       order.Posting
			kind    string
			amounts [len(ledgerAccounts)]int64
		)
		if err := rows.Scan(&p.ID, &kind, &p.OrderID, &p.PayoutID, &p.MerchantID, &p.Currency, &p.CreatedAt,
			&amounts[0], &amounts[1], &amounts[2], &amounts[3], &amounts[4], &amounts[5], &amounts[6]); err != nil {
			return err
		}
		p.Kind, p.CreatedAt, p.Entries = order.PostingKind(kind), p.CreatedAt.UTC(), []order.Entry{}
		for i, a := range ledgerAccounts {
			if amounts[i] == 0 {
				continue
			}
			e := order.Entry{Account: a, Amount: money.Amount{Minor: amounts[i], Currency: p.Currency}}
			if a != order.Clearing {
				e.MerchantID = p.MerchantID
			}
			p.Entries = append(p.Entries, e)
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return rows.Err()
}
