package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/timers"
)

// SchedulePromise implements order.Store.
func (s *Orders) SchedulePromise(ctx context.Context, t timers.Timer) error {
	return s.db.Timers().ScheduleTimer(ctx, t)
}

// PromiseWarehouse implements order.Store.
func (s *Orders) PromiseWarehouse(ctx context.Context, id string) (order.PromiseWarehouse, error) {
	w, err := promiseWarehouse(ctx, s.db.QueryRowContext(ctx, promiseWarehouseQuery, id))
	return w, wrap("sqlstore.PromiseWarehouse", err, "warehouse")
}

const promiseWarehouseQuery = `SELECT COALESCE(NULLIF(region, ''), country), COALESCE(owner_merchant_id, ''), COALESCE(operator_partner_id, '')
	FROM warehouses WHERE id = $1`

func promiseWarehouse(_ context.Context, row *sql.Row) (order.PromiseWarehouse, error) {
	var w order.PromiseWarehouse
	err := row.Scan(&w.Origin, &w.OwnerMerchantID, &w.OperatorPartnerID)
	return w, err
}

// DecidePromise implements order.Store. The outcomes' primary key makes
// the decision once: a second decision finds the first's rows and writes
// nothing. A merchant's charge is posted under the merchant's lock, with
// what it has available then.
func (s *Orders) DecidePromise(ctx context.Context, orderID string, at time.Time, step func(order.Order, map[string]order.PromiseWarehouse) (order.PromiseDecision, error)) (order.PromiseDecision, error) {
	const op = "sqlstore.DecidePromise"
	var out order.PromiseDecision
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		var merchantID string
		if err := queryRowIn(ctx, tx, `SELECT merchant_id FROM orders WHERE id = $1`, orderID).Scan(&merchantID); err != nil {
			return err
		}
		if err := s.lockMerchant(ctx, tx, merchantID); err != nil {
			return err
		}
		var n int
		if err := queryRowIn(ctx, tx, `SELECT COUNT(*) FROM promise_outcomes WHERE order_id = $1`, orderID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil // decided already
		}
		os, err := queryOrders(ctx, tx, `SELECT doc, status, updated_at FROM orders WHERE id = $1`, orderID)
		if err != nil {
			return err
		}
		if len(os) == 0 {
			return sql.ErrNoRows
		}
		o := os[0]
		whs := map[string]order.PromiseWarehouse{}
		for _, p := range o.Parcels {
			if _, ok := whs[p.WarehouseID]; ok {
				continue
			}
			w, err := promiseWarehouse(ctx, queryRowIn(ctx, tx, promiseWarehouseQuery, p.WarehouseID))
			if err != nil {
				return err
			}
			whs[p.WarehouseID] = w
		}
		d, err := step(o, whs)
		if err != nil {
			return err
		}
		for _, p := range d.Outcomes {
			if _, err := execIn(ctx, tx, `INSERT INTO promise_outcomes (order_id, warehouse_id, merchant_id, lane_from, to_country, carrier, latest, arrived_at, on_time, decided_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (order_id, warehouse_id) DO NOTHING`,
				o.ID, p.WarehouseID, o.MerchantID, p.LaneFrom, p.ToCountry, p.Carrier, p.Latest, nullTime(p.ArrivedAt), boolInt(p.OnTime), at.UTC()); err != nil {
				return err
			}
		}
		if c := d.Compensation; c != nil && d.Coupon != nil {
			if _, err := insertCoupon(ctx, func(ctx context.Context, q string, args ...any) (sql.Result, error) {
				return execIn(ctx, tx, q, args...)
			}, *d.Coupon); err != nil {
				return err
			}
			if _, err := execIn(ctx, tx, `INSERT INTO compensations (order_id, buyer_id, coupon_id, currency, amount, liable, liable_id, warehouse_id, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, o.ID, c.BuyerID, d.Coupon.ID, c.Currency, c.Amount, c.Liable, c.LiableID, lateWarehouse(d), at.UTC()); err != nil {
				return err
			}
			if d.Charge > 0 {
				var avail sql.NullInt64
				if err := queryRowIn(ctx, tx, `SELECT SUM(available) FROM ledger_postings WHERE merchant_id = $1 AND currency = $2`,
					o.MerchantID, o.Settlement.Currency).Scan(&avail); err != nil {
					return err
				}
				if err := insertPosting(ctx, tx, order.CompensationPosting(o, d.Charge, avail.Int64, at)); err != nil {
					return err
				}
			}
		}
		if err := insertEvents(ctx, tx, d.Events); err != nil {
			return err
		}
		out = d
		return nil
	})
	return out, wrap(op, err, "order")
}

// lateWarehouse is the warehouse of d's first late parcel.
func lateWarehouse(d order.PromiseDecision) string {
	for _, p := range d.Outcomes {
		if !p.OnTime {
			return p.WarehouseID
		}
	}
	return ""
}

// OnTime implements order.Store.
func (s *Orders) OnTime(ctx context.Context, warehouseID string, since time.Time) ([]order.LaneOnTime, error) {
	const op = "sqlstore.OnTime"
	q := `SELECT warehouse_id, lane_from, to_country, carrier, SUM(on_time), COUNT(*) - SUM(on_time) FROM promise_outcomes WHERE decided_at >= $1`
	args := []any{since.UTC()}
	if warehouseID != "" {
		q += ` AND warehouse_id = $2`
		args = append(args, warehouseID)
	}
	rows, err := s.db.QueryContext(ctx, q+` GROUP BY warehouse_id, lane_from, to_country, carrier ORDER BY warehouse_id, lane_from, to_country, carrier`, args...)
	if err != nil {
		return nil, wrap(op, err, "promise")
	}
	defer rows.Close()
	out := []order.LaneOnTime{}
	for rows.Next() {
		var l order.LaneOnTime
		if err := rows.Scan(&l.WarehouseID, &l.From, &l.To, &l.Carrier, &l.Kept, &l.Missed); err != nil {
			return nil, wrap(op, err, "promise")
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err, "promise")
	}
	if len(out) == 0 && warehouseID != "" {
		if _, err := s.PromiseWarehouse(ctx, warehouseID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
