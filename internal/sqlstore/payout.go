package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/timers"
)

// PutPayoutAccount implements order.Store.
func (s *Orders) PutPayoutAccount(ctx context.Context, a order.PayoutAccount) error {
	_, err := s.db.exec(ctx, `INSERT INTO payout_accounts (merchant_id, provider, account, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (merchant_id) DO UPDATE SET provider = excluded.provider, account = excluded.account, updated_at = excluded.updated_at`,
		a.MerchantID, a.Provider, a.Account, a.UpdatedAt.UTC())
	return wrap("sqlstore.PutPayoutAccount", err, "merchant")
}

// PayoutAccountOf implements order.Store.
func (s *Orders) PayoutAccountOf(ctx context.Context, merchantID string) (order.PayoutAccount, error) {
	a := order.PayoutAccount{MerchantID: merchantID}
	err := s.db.QueryRowContext(ctx, `SELECT provider, account, updated_at FROM payout_accounts WHERE merchant_id = $1`, merchantID).
		Scan(&a.Provider, &a.Account, &a.UpdatedAt)
	a.UpdatedAt = a.UpdatedAt.UTC()
	return a, wrap("sqlstore.PayoutAccountOf", err, "payout account")
}

// DuePayouts implements order.Store: one grouped scan of the merchants'
// postings from after on (the index on (merchant_id, id) orders it), a
// page of merchants at a time.
func (s *Orders) DuePayouts(ctx context.Context, after string, limit int) ([]order.Due, error) {
	const op = "sqlstore.DuePayouts"
	rows, err := s.db.QueryContext(ctx, `SELECT merchant_id, currency, SUM(available) FROM ledger_postings
		WHERE merchant_id IN (SELECT DISTINCT merchant_id FROM ledger_postings WHERE merchant_id > $1 ORDER BY merchant_id LIMIT $2)
		GROUP BY merchant_id, currency HAVING SUM(available) > 0 ORDER BY merchant_id, currency`, after, limit)
	if err != nil {
		return nil, wrap(op, err, "ledger")
	}
	defer rows.Close()
	out := []order.Due{}
	for rows.Next() {
		var d order.Due
		if err := rows.Scan(&d.MerchantID, &d.Available.Currency, &d.Available.Minor); err != nil {
			return nil, wrap(op, err, "ledger")
		}
		out = append(out, d)
	}
	return out, wrap(op, rows.Err(), "ledger")
}

const payoutCols = `id, merchant_id, currency, amount, status, provider, account, provider_ref, created_at, paid_at`

func scanPayout(row interface{ Scan(...any) error }) (order.Payout, error) {
	var (
		p      order.Payout
		status string
		paid   sql.NullTime
	)
	err := row.Scan(&p.ID, &p.MerchantID, &p.Amount.Currency, &p.Amount.Minor, &status, &p.Provider, &p.Account, &p.ProviderRef, &p.CreatedAt, &paid)
	p.Status, p.CreatedAt = order.PayoutStatus(status), p.CreatedAt.UTC()
	if paid.Valid {
		t := paid.Time.UTC()
		p.PaidAt = &t
	}
	return p, err
}

// CreatePayout implements order.Store. The merchant's pending payout, if
// any, is read first: the partial unique index on (merchant_id, currency)
// keeps one, so that a run retried or two runs at once pay once.
func (s *Orders) CreatePayout(ctx context.Context, p order.Payout, t timers.Timer, ev func(order.Payout) events.Event) (order.Payout, bool, error) {
	const op = "sqlstore.CreatePayout"
	created, recoveredAll := false, false
	out := p
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		recoveredAll = false
		pending, err := scanPayout(queryRowIn(ctx, tx, `SELECT `+payoutCols+` FROM payouts WHERE merchant_id = $1 AND currency = $2 AND status = 'pending'`,
			p.MerchantID, p.Amount.Currency))
		if err == nil {
			out = pending
			return nil
		}
		if err != sql.ErrNoRows {
			return err
		}
		if err := s.lockMerchant(ctx, tx, p.MerchantID); err != nil {
			return err
		}
		var avail, owed sql.NullInt64
		if err := queryRowIn(ctx, tx, `SELECT SUM(available) FROM ledger_postings WHERE merchant_id = $1 AND currency = $2`,
			p.MerchantID, p.Amount.Currency).Scan(&avail); err != nil {
			return err
		}
		if avail.Int64 <= 0 {
			return errs.E(op, errs.NotFound, "nothing is available to pay out")
		}
		if err := queryRowIn(ctx, tx, `SELECT SUM(owed) FROM ledger_postings WHERE merchant_id = $1 AND currency = $2 AND owed <> 0`,
			p.MerchantID, p.Amount.Currency).Scan(&owed); err != nil {
			return err
		}
		// What the merchant owes (a refund after payout) is recovered
		// first: the payout is what is left.
		recovered := min(avail.Int64, max(-owed.Int64, 0))
		entries := func(paid int64) []order.Entry {
			cur := p.Amount.Currency
			es := []order.Entry{{Account: order.Available, MerchantID: p.MerchantID, Amount: money.Amount{Minor: -avail.Int64, Currency: cur}}}
			if recovered != 0 {
				es = append(es, order.Entry{Account: order.Owed, MerchantID: p.MerchantID, Amount: money.Amount{Minor: recovered, Currency: cur}})
			}
			if paid != 0 {
				es = append(es, order.Entry{Account: order.PaidOut, MerchantID: p.MerchantID, Amount: money.Amount{Minor: paid, Currency: cur}})
			}
			return es
		}
		if recovered == avail.Int64 {
			rp := &order.Posting{ID: ids.New(ids.Posting), Kind: order.PostRecovered, MerchantID: p.MerchantID, Currency: p.Amount.Currency,
				CreatedAt: p.CreatedAt, Entries: entries(0)}
			if err := insertPosting(ctx, tx, rp); err != nil {
				return err
			}
			recoveredAll = true
			return nil
		}
		p.Amount.Minor = avail.Int64 - recovered
		if _, err := execIn(ctx, tx, `INSERT INTO payouts (`+payoutCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8, NULL)`,
			p.ID, p.MerchantID, p.Amount.Currency, p.Amount.Minor, string(p.Status), p.Provider, p.Account, p.CreatedAt.UTC()); err != nil {
			return err
		}
		if err := insertPosting(ctx, tx, &order.Posting{ID: ids.New(ids.Posting), Kind: order.PostPayout, PayoutID: p.ID, MerchantID: p.MerchantID,
			Currency: p.Amount.Currency, CreatedAt: p.CreatedAt.UTC(), Entries: entries(p.Amount.Minor)}); err != nil {
			return err
		}
		if err := insertTimer(ctx, tx, t); err != nil {
			return err
		}
		if err := insertEvents(ctx, tx, []events.Event{ev(p)}); err != nil {
			return err
		}
		out, created = p, true
		return nil
	})
	if err == nil && recoveredAll {
		return p, false, errs.E(op, errs.NotFound, "nothing is left to pay out: what was available paid back what the merchant owed")
	}
	return out, created, wrap(op, err, "payout")
}

// PayoutPaid implements order.Store.
func (s *Orders) PayoutPaid(ctx context.Context, id, ref string, at time.Time, ev func(order.Payout) events.Event) (order.Payout, error) {
	const op = "sqlstore.PayoutPaid"
	var out order.Payout
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := execIn(ctx, tx, `UPDATE payouts SET status = 'paid', provider_ref = $1, paid_at = $2 WHERE id = $3 AND status = 'pending'`, ref, at.UTC(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(op, errs.Conflict, "the payout is not pending")
		}
		if out, err = scanPayout(queryRowIn(ctx, tx, `SELECT `+payoutCols+` FROM payouts WHERE id = $1`, id)); err != nil {
			return err
		}
		return insertEvents(ctx, tx, []events.Event{ev(out)})
	})
	return out, wrap(op, err, "payout")
}

// Payout implements order.Store.
func (s *Orders) Payout(ctx context.Context, id string) (order.Payout, error) {
	p, err := scanPayout(s.db.QueryRowContext(ctx, `SELECT `+payoutCols+` FROM payouts WHERE id = $1`, id))
	return p, wrap("sqlstore.Payout", err, "payout")
}

// Payouts implements order.Store.
func (s *Orders) Payouts(ctx context.Context, merchantID, before string, limit int) ([]order.Payout, error) {
	const op = "sqlstore.Payouts"
	q, args := `SELECT `+payoutCols+` FROM payouts WHERE ($1 = '' OR merchant_id = $1)`, []any{merchantID, limit}
	if before != "" {
		q, args = q+` AND id < $3`, append(args, before)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY id DESC LIMIT $2`, args...)
	if err != nil {
		return nil, wrap(op, err, "payout")
	}
	defer rows.Close()
	out := []order.Payout{}
	for rows.Next() {
		p, err := scanPayout(rows)
		if err != nil {
			return nil, wrap(op, err, "payout")
		}
		out = append(out, p)
	}
	return out, wrap(op, rows.Err(), "payout")
}

// StatementPostings implements order.Store.
func (s *Orders) StatementPostings(ctx context.Context, merchantID, currency string, from, to time.Time, fn func(order.Posting) error) error {
	const op = "sqlstore.StatementPostings"
	rows, err := s.db.QueryContext(ctx, `SELECT `+postingCols+` FROM ledger_postings
		WHERE merchant_id = $1 AND currency = $2 AND created_at >= $3 AND created_at < $4 ORDER BY created_at, id`, merchantID, currency, from.UTC(), to.UTC())
	if err != nil {
		return wrap(op, err, "ledger")
	}
	return wrap(op, scanPostings(rows, fn), "ledger")
}

// StatementOpening implements order.Store.
func (s *Orders) StatementOpening(ctx context.Context, merchantID, currency string, before time.Time) (map[order.Account]int64, error) {
	var held, avail, reserve, paid, fees, owed sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT SUM(held), SUM(available), SUM(reserve), SUM(paid), SUM(fees), SUM(owed) FROM ledger_postings
		WHERE merchant_id = $1 AND currency = $2 AND created_at < $3`, merchantID, currency, before.UTC()).Scan(&held, &avail, &reserve, &paid, &fees, &owed)
	if err != nil {
		return nil, wrap("sqlstore.StatementOpening", err, "ledger")
	}
	return map[order.Account]int64{order.Held: held.Int64, order.Available: avail.Int64, order.Reserve: reserve.Int64, order.PaidOut: paid.Int64,
		order.Fees: fees.Int64, order.Owed: owed.Int64}, nil
}
