package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
)

// SandboxBooks are the sandbox payment provider's own records, in their
// own table: what a real provider's balance transactions are to
// reconciliation.
type SandboxBooks struct{ db *DB }

// SandboxBooks returns the sandbox provider's books.
func (db *DB) SandboxBooks() *SandboxBooks { return &SandboxBooks{db} }

var _ payment.Books = (*SandboxBooks)(nil)

// Record implements payment.Books.
func (b *SandboxBooks) Record(ctx context.Context, t payment.Txn, captured bool) error {
	status := "captured"
	if !captured {
		status = "pending"
	}
	_, err := b.db.exec(ctx, `INSERT INTO sandbox_transactions (ref, type, status, currency, amount, created_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (ref) DO NOTHING`, t.Ref, string(t.Type), status, t.Amount.Currency, t.Amount.Minor, t.At.UTC())
	return wrap("sqlstore.SandboxRecord", err, "transaction")
}

// Capture implements payment.Books.
func (b *SandboxBooks) Capture(ctx context.Context, ref string, at time.Time) error {
	_, err := b.db.exec(ctx, `UPDATE sandbox_transactions SET status = 'captured' WHERE ref = $1`, ref)
	return wrap("sqlstore.SandboxCapture", err, "transaction")
}

// Transactions implements payment.Books.
func (b *SandboxBooks) Transactions(ctx context.Context, from, to time.Time, fn func(payment.Txn) error) error {
	const op = "sqlstore.SandboxTransactions"
	rows, err := b.db.QueryContext(ctx, `SELECT type, ref, currency, amount, created_at FROM sandbox_transactions
		WHERE status = 'captured' AND created_at >= $1 AND created_at < $2`, from.UTC(), to.UTC())
	if err != nil {
		return wrap(op, err, "transaction")
	}
	defer rows.Close()
	for rows.Next() {
		var t payment.Txn
		var typ string
		if err := rows.Scan(&typ, &t.Ref, &t.Amount.Currency, &t.Amount.Minor, &t.At); err != nil {
			return wrap(op, err, "transaction")
		}
		t.Type, t.At = payment.TxnType(typ), t.At.UTC()
		if err := fn(t); err != nil {
			return err
		}
	}
	return wrap(op, rows.Err(), "transaction")
}

// ProviderRecords implements order.Store: the payments captured at
// provider, their refunds and the payouts it transferred, in [from, to),
// by when Sesame recorded them (a payout by when it was paid).
func (s *Orders) ProviderRecords(ctx context.Context, provider string, from, to time.Time, fn func(order.ProviderRecord) error) error {
	const op = "sqlstore.ProviderRecords"
	rows, err := s.db.QueryContext(ctx, `
		SELECT 'charge', provider_ref, currency, amount, created_at, checkout_id FROM payments
			WHERE provider = $1 AND status IN ('captured', 'refunded') AND created_at >= $2 AND created_at < $3
		UNION ALL
		SELECT 'refund', r.provider_ref, r.currency, r.amount, r.created_at, r.order_id FROM refunds r JOIN payments p ON p.id = r.payment_id
			WHERE p.provider = $1 AND r.created_at >= $2 AND r.created_at < $3
		UNION ALL
		SELECT 'transfer', provider_ref, currency, amount, paid_at, id FROM payouts
			WHERE provider = $1 AND status = 'paid' AND paid_at >= $2 AND paid_at < $3`, provider, from.UTC(), to.UTC())
	if err != nil {
		return wrap(op, err, "payment")
	}
	defer rows.Close()
	for rows.Next() {
		var (
			r   order.ProviderRecord
			typ string
			at  sql.NullTime
		)
		if err := rows.Scan(&typ, &r.Ref, &r.Amount.Currency, &r.Amount.Minor, &at, &r.Of); err != nil {
			return wrap(op, err, "payment")
		}
		r.Type, r.At = payment.TxnType(typ), at.Time.UTC()
		if err := fn(r); err != nil {
			return err
		}
	}
	return wrap(op, rows.Err(), "payment")
}
