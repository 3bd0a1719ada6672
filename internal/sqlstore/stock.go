package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/timers"
)

// Stock is the store of stock levels and reservations.
type Stock struct{ db *DB }

// Stock returns the stock store.
func (db *DB) Stock() *Stock { return &Stock{db} }

var _ inventory.StockStore = (*Stock)(nil)

// reader reads rows and one row: a *sql.Tx or the DB.
type reader interface {
	querier
	rowQuerier
}

const stockCols = `warehouse_id, merchant_id, sku, on_hand, reserved, inbound, shipped, updated_at`

func scanStock(row interface{ Scan(...any) error }) (inventory.StockLevel, error) {
	var l inventory.StockLevel
	err := row.Scan(&l.WarehouseID, &l.MerchantID, &l.SKU, &l.OnHand, &l.Reserved, &l.Inbound, &l.Shipped, &l.UpdatedAt)
	l.Available, l.UpdatedAt = l.OnHand-l.Reserved, l.UpdatedAt.UTC()
	return l, err
}

func collectStock(rows *sql.Rows, err error) ([]inventory.StockLevel, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []inventory.StockLevel{}
	for rows.Next() {
		l, err := scanStock(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Warehouse implements inventory.StockStore.
func (s *Stock) Warehouse(ctx context.Context, id string) (inventory.Warehouse, error) {
	w, err := scanWarehouse(s.db.QueryRowContext(ctx, `SELECT `+warehouseCols+` FROM warehouses WHERE id = $1`, id))
	return w, wrap("sqlstore.Warehouse", err, "warehouse")
}

// PartnerServes implements inventory.StockStore.
func (s *Stock) PartnerServes(ctx context.Context, partnerID, merchantID string) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM partner_links WHERE partner_id = $1 AND merchant_id = $2 AND status = 'accepted' LIMIT 1`,
		partnerID, merchantID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, wrap("sqlstore.PartnerServes", err, "partner link")
}

// SetStock implements inventory.StockStore. A count replaces on-hand only
// where it covers the reserved units (the upsert's condition), so that a
// count racing a reservation cannot break the CHECK.
func (s *Stock) SetStock(ctx context.Context, ls []inventory.StockLevel, ev func(inventory.StockLevel) events.Event) ([]inventory.StockLevel, error) {
	const op = "sqlstore.SetStock"
	out := make([]inventory.StockLevel, 0, len(ls))
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		prepare := func(q string) (*sql.Stmt, error) { return tx.PrepareContext(ctx, q) }
		// One statement a count: the upsert returns the level, or no row
		// when the count is below the reserved units; a SKU the merchant
		// does not have breaks the foreign key to its variants.
		upsert, err := prepare(`INSERT INTO stock (merchant_id, sku, warehouse_id, on_hand, updated_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (merchant_id, sku, warehouse_id) DO UPDATE SET on_hand = excluded.on_hand, updated_at = excluded.updated_at
			WHERE stock.reserved <= excluded.on_hand RETURNING ` + stockCols)
		if err != nil {
			return err
		}
		defer upsert.Close()
		evs := make([]events.Event, 0, len(ls))
		for _, l := range ls {
			got, err := scanStock(upsert.QueryRowContext(ctx, l.MerchantID, l.SKU, l.WarehouseID, l.OnHand, l.UpdatedAt))
			switch {
			case errors.Is(err, sql.ErrNoRows):
				var reserved int64
				if err := tx.QueryRowContext(ctx, `SELECT reserved FROM stock WHERE merchant_id = $1 AND sku = $2 AND warehouse_id = $3`,
					l.MerchantID, l.SKU, l.WarehouseID).Scan(&reserved); err != nil {
					return err
				}
				return errs.E(op, errs.Conflict, fmt.Sprintf("%d units of %s are reserved for buyers: the count cannot be lower", reserved, l.SKU))
			case err != nil && classify(err) == foreignKeyViolation:
				return errs.Field(op, "sku", "the merchant has no SKU "+l.SKU)
			case err != nil:
				return err
			}
			out = append(out, got)
			evs = append(evs, ev(got))
		}
		return insertEvents(ctx, tx, evs)
	})
	return out, wrap(op, err, "stock")
}

// ListStock implements inventory.StockStore.
func (s *Stock) ListStock(ctx context.Context, warehouseID, merchantID, afterMerchant, afterSKU string, limit int) ([]inventory.StockLevel, error) {
	out, err := collectStock(s.db.QueryContext(ctx, `SELECT `+stockCols+` FROM stock
		WHERE warehouse_id = $1 AND ($2 = '' OR merchant_id = $2) AND (merchant_id > $3 OR (merchant_id = $3 AND sku > $4))
		ORDER BY merchant_id, sku LIMIT $5`, warehouseID, merchantID, afterMerchant, afterSKU, limit))
	return out, wrap("sqlstore.ListStock", err, "stock")
}

// StockOf implements inventory.StockStore.
func (s *Stock) StockOf(ctx context.Context, merchantID string, skus []string) ([]inventory.StockLevel, error) {
	if len(skus) == 0 {
		return []inventory.StockLevel{}, nil
	}
	args := []any{merchantID}
	marks := make([]string, len(skus))
	for i, sku := range skus {
		args = append(args, sku)
		marks[i] = "$" + strconv.Itoa(len(args))
	}
	out, err := collectStock(s.db.QueryContext(ctx, `SELECT `+stockCols+` FROM stock WHERE merchant_id = $1 AND sku IN (`+
		strings.Join(marks, ", ")+`) ORDER BY sku, warehouse_id`, args...))
	return out, wrap("sqlstore.StockOf", err, "stock")
}

// AvailableOf implements inventory.StockStore.
func (s *Stock) AvailableOf(ctx context.Context, merchantID string, skus []string) ([]inventory.Units, error) {
	const op = "sqlstore.AvailableOf"
	out := []inventory.Units{}
	if len(skus) == 0 {
		return out, nil
	}
	args := []any{merchantID}
	marks := make([]string, len(skus))
	for i, sku := range skus {
		args = append(args, sku)
		marks[i] = "$" + strconv.Itoa(len(args))
	}
	rows, err := s.db.QueryContext(ctx, `SELECT sku, warehouse_id, on_hand - reserved FROM stock WHERE merchant_id = $1 AND sku IN (`+
		strings.Join(marks, ", ")+`) AND on_hand > reserved`, args...)
	if err != nil {
		return nil, wrap(op, err, "stock")
	}
	defer rows.Close()
	for rows.Next() {
		var u inventory.Units
		if err := rows.Scan(&u.SKU, &u.WarehouseID, &u.Available); err != nil {
			return nil, wrap(op, err, "stock")
		}
		out = append(out, u)
	}
	return out, wrap(op, rows.Err(), "stock")
}

// lockStock reads the levels of items' SKUs in every warehouse inside tx,
// locked on PostgreSQL (in key order, so that two checkouts of the same
// SKUs cannot deadlock); SQLite's single writer already holds them.
func (s *Stock) lockStock(ctx context.Context, tx *sql.Tx, items []inventory.Item) ([]inventory.StockLevel, error) {
	var (
		args  []any
		conds []string
	)
	for _, it := range items {
		args = append(args, it.MerchantID, it.SKU)
		conds = append(conds, "(merchant_id = $"+strconv.Itoa(len(args)-1)+" AND sku = $"+strconv.Itoa(len(args))+")")
	}
	q := `SELECT ` + stockCols + ` FROM stock WHERE ` + strings.Join(conds, " OR ") + ` ORDER BY merchant_id, sku, warehouse_id`
	if s.db.Engine == Postgres {
		q += ` FOR UPDATE`
	}
	return collectStock(queryIn(ctx, tx, q, args...))
}

// Reserve implements inventory.StockStore. The reservation's row is written
// first: a second checkout of the same ref waits for the first to commit
// (PostgreSQL) or for the writer (SQLite), then finds it.
func (s *Stock) Reserve(ctx context.Context, r inventory.Reservation, items []inventory.Item, pick inventory.Picker, expiry timers.Timer) (inventory.Reservation, bool, error) {
	out, created, err := s.ReserveAll(ctx, []inventory.ReserveRequest{{Reservation: r, Items: items, Pick: pick, Expiry: expiry}})
	if err != nil {
		return inventory.Reservation{}, false, err
	}
	return out[0], created[0], nil
}

// ReserveAll implements inventory.StockStore.
func (s *Stock) ReserveAll(ctx context.Context, reqs []inventory.ReserveRequest) ([]inventory.Reservation, []bool, error) {
	const op = "sqlstore.Reserve"
	var (
		out     []inventory.Reservation
		created []bool
	)
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		out, created = make([]inventory.Reservation, len(reqs)), make([]bool, len(reqs))
		for i, req := range reqs {
			var err error
			if out[i], created[i], err = s.reserveIn(ctx, tx, req); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, wrap(op, err, "reservation")
	}
	return out, created, nil
}

// reserveIn writes req inside tx, or finds the live reservation of its ref.
func (s *Stock) reserveIn(ctx context.Context, tx *sql.Tx, req inventory.ReserveRequest) (inventory.Reservation, bool, error) {
	const op = "sqlstore.Reserve"
	r, items, pick, expiry := req.Reservation, req.Items, req.Pick, req.Expiry
	res, err := s.db.txExec(ctx, tx, `INSERT INTO reservations (id, ref, status, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (ref) WHERE status IN ('held', 'confirmed') DO NOTHING`, r.ID, r.Ref, string(r.Status), r.ExpiresAt, r.CreatedAt)
	if err != nil {
		return inventory.Reservation{}, false, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		var id string
		if err := s.db.txQueryRow(ctx, tx, `SELECT id FROM reservations WHERE ref = $1 AND status IN ('held', 'confirmed')`, r.Ref).Scan(&id); err != nil {
			return inventory.Reservation{}, false, err
		}
		out, err := loadReservation(ctx, tx, id, false)
		return out, false, err
	}
	levels, err := s.lockStock(ctx, tx, items)
	if err != nil {
		return inventory.Reservation{}, false, err
	}
	lines, err := pick(items, levels)
	if err != nil {
		return inventory.Reservation{}, false, err
	}
	for _, l := range lines {
		res, err := s.db.txExec(ctx, tx, `UPDATE stock SET reserved = reserved + $1, updated_at = $2
			WHERE merchant_id = $3 AND sku = $4 AND warehouse_id = $5 AND on_hand - reserved >= $1`,
			l.Quantity, r.CreatedAt, l.MerchantID, l.SKU, l.WarehouseID)
		if err != nil {
			return inventory.Reservation{}, false, err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return inventory.Reservation{}, false, errs.E(op, errs.Conflict, "not enough stock of "+l.SKU)
		}
		if _, err := s.db.txExec(ctx, tx, `INSERT INTO reservation_lines (reservation_id, merchant_id, sku, warehouse_id, quantity)
			VALUES ($1, $2, $3, $4, $5)`, r.ID, l.MerchantID, l.SKU, l.WarehouseID, l.Quantity); err != nil {
			return inventory.Reservation{}, false, err
		}
	}
	if err := insertTimer(ctx, tx, expiry); err != nil {
		return inventory.Reservation{}, false, err
	}
	r.Lines = lines
	return r, true, nil
}

// loadReservation reads reservation id with its lines, locked on PostgreSQL
// when lock is set.
func loadReservation(ctx context.Context, q reader, id string, lock bool) (inventory.Reservation, error) {
	var (
		r      inventory.Reservation
		status string
		ended  sql.NullTime
	)
	sel := `SELECT id, ref, status, expires_at, created_at, ended_at FROM reservations WHERE id = $1`
	if lock {
		sel += ` FOR UPDATE`
	}
	row := q.QueryRowContext
	rows := q.QueryContext
	if tx, ok := q.(*sql.Tx); ok {
		row = func(ctx context.Context, s string, args ...any) *sql.Row { return queryRowIn(ctx, tx, s, args...) }
		rows = func(ctx context.Context, s string, args ...any) (*sql.Rows, error) {
			return queryIn(ctx, tx, s, args...)
		}
	}
	if err := row(ctx, sel, id).Scan(&r.ID, &r.Ref, &status, &r.ExpiresAt, &r.CreatedAt, &ended); err != nil {
		return r, err
	}
	r.Status, r.ExpiresAt, r.CreatedAt = inventory.ReservationStatus(status), r.ExpiresAt.UTC(), r.CreatedAt.UTC()
	if ended.Valid {
		t := ended.Time.UTC()
		r.EndedAt = &t
	}
	rs, err := rows(ctx, `SELECT merchant_id, sku, warehouse_id, quantity FROM reservation_lines WHERE reservation_id = $1
		ORDER BY merchant_id, sku, warehouse_id`, id)
	if err != nil {
		return r, err
	}
	defer rs.Close()
	r.Lines = []inventory.Line{}
	for rs.Next() {
		var l inventory.Line
		if err := rs.Scan(&l.MerchantID, &l.SKU, &l.WarehouseID, &l.Quantity); err != nil {
			return r, err
		}
		r.Lines = append(r.Lines, l)
	}
	return r, rs.Err()
}

// Reservation implements inventory.StockStore.
func (s *Stock) Reservation(ctx context.Context, id string) (inventory.Reservation, error) {
	r, err := loadReservation(ctx, s.db, id, false)
	return r, wrap("sqlstore.Reservation", err, "reservation")
}

// EndReservation implements inventory.StockStore.
func (s *Stock) EndReservation(ctx context.Context, id string, from []inventory.ReservationStatus, to inventory.ReservationStatus, at time.Time, dueOnly bool) (inventory.Reservation, error) {
	const op = "sqlstore.EndReservation"
	var out inventory.Reservation
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = endReservation(ctx, s.db, tx, id, from, to, at, dueOnly)
		return err
	})
	return out, wrap(op, err, "reservation")
}

// endReservation moves reservation id, inside tx, as EndReservation says;
// lock locks its row (PostgreSQL).
// confirmReservation confirms held reservation id inside tx (a paid
// order's): one statement, as confirming moves no stock. Conflict when it is
// not held.
func confirmReservation(ctx context.Context, db *DB, tx *sql.Tx, id string) error {
	res, err := db.txExec(ctx, tx, `UPDATE reservations SET status = 'confirmed', ended_at = NULL WHERE id = $1 AND status = 'held'`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		var status string
		if err := queryRowIn(ctx, tx, `SELECT status FROM reservations WHERE id = $1`, id).Scan(&status); err != nil {
			return err
		}
		return errs.E("sqlstore.ConfirmReservation", errs.Conflict, "the reservation is "+status)
	}
	return nil
}

func endReservation(ctx context.Context, db *DB, tx *sql.Tx, id string, from []inventory.ReservationStatus, to inventory.ReservationStatus, at time.Time, dueOnly bool) (inventory.Reservation, error) {
	const op = "sqlstore.EndReservation"
	r, err := loadReservation(ctx, tx, id, db.Engine == Postgres)
	if err != nil {
		return r, err
	}
	out := r
	if !slices.Contains(from, r.Status) {
		return out, errs.E(op, errs.Conflict, "the reservation is "+string(r.Status))
	}
	if dueOnly && r.ExpiresAt.After(at) {
		return out, errs.E(op, errs.Conflict, "the reservation's hold has not ended")
	}
	var ended any
	if to != inventory.Confirmed {
		ended = at
	}
	if _, err := db.txExec(ctx, tx, `UPDATE reservations SET status = $1, ended_at = $2 WHERE id = $3`, string(to), ended, id); err != nil {
		return out, err
	}
	var move string
	switch to {
	case inventory.Released, inventory.Expired:
		move = `reserved = reserved - $1`
	case inventory.Shipped:
		move = `reserved = reserved - $1, on_hand = on_hand - $1, shipped = shipped + $1`
	}
	if move != "" {
		for _, l := range r.Lines {
			if _, err := db.txExec(ctx, tx, `UPDATE stock SET `+move+`, updated_at = $2 WHERE merchant_id = $3 AND sku = $4 AND warehouse_id = $5`,
				l.Quantity, at, l.MerchantID, l.SKU, l.WarehouseID); err != nil {
				return out, err
			}
		}
	}
	out.Status = to
	if to != inventory.Confirmed {
		t := at.UTC()
		out.EndedAt = &t
	}
	return out, nil
}
