package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/order"
)

// shareCommissionCols are the columns scanShareCommission reads.
const shareCommissionCols = `order_id, code, sharer_id, channel_id, product_id, title, currency, rate_bps, amount, reversed, status, created_at, updated_at`

func scanShareCommission(row interface{ Scan(...any) error }) (order.ShareCommission, error) {
	var (
		c      order.ShareCommission
		status string
	)
	err := row.Scan(&c.OrderID, &c.Code, &c.SharerID, &c.ChannelID, &c.ProductID, &c.Title, &c.Amount.Currency, &c.RateBps,
		&c.Amount.Minor, &c.Reversed.Minor, &status, &c.CreatedAt, &c.UpdatedAt)
	c.Reversed.Currency, c.Status = c.Amount.Currency, order.ShareStatus(status)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, err
}

// insertShareCommissions writes a checkout's commissions inside tx, once
// per order.
func insertShareCommissions(ctx context.Context, tx *sql.Tx, cs []order.ShareCommission) error {
	for _, c := range cs {
		if _, err := execIn(ctx, tx, `INSERT INTO share_commissions (`+shareCommissionCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (order_id) DO NOTHING`,
			c.OrderID, c.Code, c.SharerID, c.ChannelID, c.ProductID, c.Title, c.Amount.Currency, c.RateBps,
			c.Amount.Minor, c.Reversed.Minor, string(c.Status), c.CreatedAt.UTC(), c.UpdatedAt.UTC()); err != nil {
			return err
		}
	}
	return nil
}

// shareMove applies order o's move to status to (o as it is after the
// move, with its refund) to the order's share commission inside tx, with
// its event (order.ShareCommissionMove). An order without a commission has
// nothing to move. The update is conditional on the commission as read, and
// the order's move holds the order's row, so that a move applied twice
// changes it once.
func shareMove(ctx context.Context, tx *sql.Tx, o order.Order, to order.Status, at time.Time) error {
	c, err := scanShareCommission(queryRowIn(ctx, tx, `SELECT `+shareCommissionCols+` FROM share_commissions WHERE order_id = $1`, o.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	next, typ, err := order.ShareCommissionMove(c, o, to, at)
	if err != nil || typ == "" {
		return err
	}
	res, err := execIn(ctx, tx, `UPDATE share_commissions SET status = $1, reversed = $2, updated_at = $3 WHERE order_id = $4 AND status = $5 AND reversed = $6`,
		string(next.Status), next.Reversed.Minor, next.UpdatedAt.UTC(), o.ID, string(c.Status), c.Reversed.Minor)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil // moved meanwhile, by the transaction that holds the order
	}
	return insertEvents(ctx, tx, []events.Event{order.ShareEvent(typ, next, o.MerchantID)})
}

// ShareCommissions implements order.Store.
func (s *Orders) ShareCommissions(ctx context.Context, sharerID string, limit int) (order.ShareSums, error) {
	const op = "sqlstore.ShareCommissions"
	out := order.ShareSums{Totals: []order.ShareSum{}, ByLink: []order.ShareLinkSum{}, Recent: []order.ShareCommission{}}
	rows, err := s.db.QueryContext(ctx, `SELECT currency, status, SUM(amount), SUM(reversed) FROM share_commissions WHERE sharer_id = $1
		GROUP BY currency, status ORDER BY currency, status`, sharerID)
	if err != nil {
		return out, wrap(op, err, "share commission")
	}
	for rows.Next() {
		var (
			t      order.ShareSum
			status string
		)
		if err := rows.Scan(&t.Currency, &status, &t.Amount, &t.Reversed); err != nil {
			rows.Close()
			return out, wrap(op, err, "share commission")
		}
		t.Status = order.ShareStatus(status)
		out.Totals = append(out.Totals, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, wrap(op, err, "share commission")
	}
	rows, err = s.db.QueryContext(ctx, `SELECT code, currency, COUNT(*), SUM(amount - reversed) FROM share_commissions WHERE sharer_id = $1
		GROUP BY code, currency ORDER BY code, currency`, sharerID)
	if err != nil {
		return out, wrap(op, err, "share commission")
	}
	for rows.Next() {
		var l order.ShareLinkSum
		if err := rows.Scan(&l.Code, &l.Currency, &l.Orders, &l.Earned); err != nil {
			rows.Close()
			return out, wrap(op, err, "share commission")
		}
		out.ByLink = append(out.ByLink, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, wrap(op, err, "share commission")
	}
	rows, err = s.db.QueryContext(ctx, `SELECT `+shareCommissionCols+` FROM share_commissions WHERE sharer_id = $1
		ORDER BY created_at DESC, order_id DESC LIMIT $2`, sharerID, limit)
	if err != nil {
		return out, wrap(op, err, "share commission")
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanShareCommission(rows)
		if err != nil {
			return out, wrap(op, err, "share commission")
		}
		out.Recent = append(out.Recent, c)
	}
	return out, wrap(op, rows.Err(), "share commission")
}
