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
)

// lockMerchant takes merchantID's row lock inside tx on PostgreSQL (SQLite
// has one writer), so that what the merchant has available and owes is
// read and moved by one transaction at a time: the payouts, the
// recoveries and the clawbacks of one merchant are serialised.
func (s *Orders) lockMerchant(ctx context.Context, tx *sql.Tx, merchantID string) error {
	if s.db.Engine != Postgres {
		return nil
	}
	var id string
	return queryRowIn(ctx, tx, `SELECT id FROM merchants WHERE id = $1`+s.db.forUpdate(), merchantID).Scan(&id)
}

// ReleaseReserve implements order.Store: what the order's postings left in
// reserve (its release put it there, a clawback may have taken some) moves
// to available, under the order's row lock and once by the posting's
// (order, kind) key.
func (s *Orders) ReleaseReserve(ctx context.Context, orderID string, at time.Time, ev func(order.Posting) events.Event) (*order.Posting, error) {
	const op = "sqlstore.ReleaseReserve"
	var out *order.Posting
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		var merchantID string
		if err := queryRowIn(ctx, tx, `SELECT merchant_id FROM orders WHERE id = $1`+s.db.forUpdate(), orderID).Scan(&merchantID); err != nil {
			return err
		}
		var left sql.NullInt64
		var cur sql.NullString
		if err := queryRowIn(ctx, tx, `SELECT SUM(reserve), MIN(currency) FROM ledger_postings WHERE order_id = $1`, orderID).Scan(&left, &cur); err != nil {
			return err
		}
		currency := cur.String
		if left.Int64 <= 0 {
			return nil
		}
		p := &order.Posting{ID: ids.New(ids.Posting), Kind: order.PostReserveReleased, OrderID: orderID, MerchantID: merchantID, Currency: currency,
			CreatedAt: at.UTC(), Entries: []order.Entry{
				{Account: order.Reserve, MerchantID: merchantID, Amount: money.Amount{Minor: -left.Int64, Currency: currency}},
				{Account: order.Available, MerchantID: merchantID, Amount: money.Amount{Minor: left.Int64, Currency: currency}}}}
		if err := insertPosting(ctx, tx, p); err != nil {
			return err
		}
		out = p
		return insertEvents(ctx, tx, []events.Event{ev(*p)})
	})
	return out, wrap(op, err, "order")
}

// Clawback implements order.Store.
func (s *Orders) Clawback(ctx context.Context, id string, at time.Time, step func(order.Order) (order.Order, order.RefundRecord, []events.Event, error)) (order.Order, error) {
	const op = "sqlstore.Clawback"
	var out order.Order
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		var merchantID string
		if err := queryRowIn(ctx, tx, `SELECT merchant_id FROM orders WHERE id = $1`, id).Scan(&merchantID); err != nil {
			return err
		}
		if err := s.lockMerchant(ctx, tx, merchantID); err != nil {
			return err
		}
		os, err := queryOrders(ctx, tx, `SELECT doc, status, updated_at FROM orders WHERE id = $1`+s.db.forUpdate(), id)
		if err != nil {
			return err
		}
		if len(os) == 0 {
			return sql.ErrNoRows
		}
		was := os[0]
		o, rec, evs, err := step(was)
		if err != nil {
			return err
		}
		if o.Refund == nil {
			return errs.E(op, errs.Internal, "a clawback without a refund")
		}
		var left, avail sql.NullInt64
		if err := queryRowIn(ctx, tx, `SELECT SUM(reserve) FROM ledger_postings WHERE order_id = $1`, id).Scan(&left); err != nil {
			return err
		}
		if err := queryRowIn(ctx, tx, `SELECT SUM(available) FROM ledger_postings WHERE merchant_id = $1 AND currency = $2`,
			merchantID, o.Settlement.Currency).Scan(&avail); err != nil {
			return err
		}
		if o.Status != was.Status {
			if err := moveOrder(ctx, s.db, tx, was, o.Status, at); err != nil {
				return err
			}
		}
		p := order.ClawbackPosting(o, o.Refund.Settlement.Minor, o.Refund.Commission.Minor, left.Int64, avail.Int64, at)
		if err := insertPosting(ctx, tx, p); err != nil {
			return err
		}
		if o.Status == was.Status {
			// Refunded in part, the order stays completed: its sharer's
			// commission gives back the refund's share (a full refund
			// moved it to refunded above, which reversed it all).
			if err := shareMove(ctx, tx, o, o.Status, at); err != nil {
				return err
			}
		}
		if _, err := execIn(ctx, tx, `UPDATE orders SET doc = $1, updated_at = $2 WHERE id = $3`, jsonText(o), at.UTC(), id); err != nil {
			return err
		}
		var pay string
		if err := queryRowIn(ctx, tx, `SELECT id FROM payments WHERE checkout_id = $1`, o.CheckoutID).Scan(&pay); err != nil {
			return err
		}
		if _, err := execIn(ctx, tx, `INSERT INTO refunds (id, payment_id, order_id, amount, currency, created_at, provider_ref) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			"rfd_"+o.ID[4:], pay, o.ID, rec.Amount.Minor, rec.Amount.Currency, at.UTC(), rec.ProviderRef); err != nil {
			return wrap(op, err, "a refund of this order")
		}
		if err := insertEvents(ctx, tx, evs); err != nil {
			return err
		}
		o.UpdatedAt, out = at.UTC(), o
		return nil
	})
	return out, wrap(op, err, "order")
}

// SetRefundRef implements order.Store.
func (s *Orders) SetRefundRef(ctx context.Context, orderID, ref string) error {
	_, err := s.db.exec(ctx, `UPDATE refunds SET provider_ref = $1 WHERE order_id = $2 AND provider_ref = ''`, ref, orderID)
	return wrap("sqlstore.SetRefundRef", err, "refund")
}
