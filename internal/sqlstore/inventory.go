package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/inventory"
)

// Inventory is the inventory store.
type Inventory struct{ db *DB }

// Inventory returns the inventory store.
func (db *DB) Inventory() *Inventory { return &Inventory{db} }

var _ inventory.Store = (*Inventory)(nil)

const warehouseCols = `id, code, name, country, city, COALESCE(owner_merchant_id, ''), COALESCE(operator_partner_id, ''), created_at,
	address, postcode, latitude, longitude, region, time_zone, cut_off, serves`

func scanWarehouse(row interface{ Scan(...any) error }) (inventory.Warehouse, error) {
	var (
		w        inventory.Warehouse
		lat, lon sql.NullFloat64
		serves   string
	)
	err := row.Scan(&w.ID, &w.Code, &w.Name, &w.Country, &w.City, &w.OwnerMerchantID, &w.OperatorPartnerID, &w.CreatedAt,
		&w.Address, &w.Postcode, &lat, &lon, &w.Region, &w.TimeZone, &w.CutOff, &serves)
	if err != nil {
		return w, err
	}
	w.CreatedAt = w.CreatedAt.UTC()
	if lat.Valid && lon.Valid {
		w.Latitude, w.Longitude = &lat.Float64, &lon.Float64
	}
	if err := json.Unmarshal([]byte(serves), &w.Serves); err != nil {
		return w, fmt.Errorf("warehouse %s serves %q: %w", w.ID, serves, err)
	}
	if w.Serves == nil {
		w.Serves = []string{}
	}
	return w, nil
}

// nullFloat is f as a nullable column.
func nullFloat(f *float64) sql.NullFloat64 {
	if f == nil {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: *f, Valid: true}
}

// exists reports whether query (SELECT 1 ... WHERE id = $1) finds id.
func exists(ctx context.Context, tx *sql.Tx, query, id string) (bool, error) {
	var one int
	err := tx.QueryRowContext(ctx, query, id).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, err
}

// CreateWarehouse implements inventory.Store.
func (s *Inventory) CreateWarehouse(ctx context.Context, w inventory.Warehouse, link *inventory.PartnerLink, evs []events.Event) error {
	const op = "sqlstore.CreateWarehouse"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		// Every id in the request is checked, so that a bad one is named.
		if w.OwnerMerchantID != "" {
			if ok, err := exists(ctx, tx, `SELECT 1 FROM merchants WHERE id = $1`, w.OwnerMerchantID); err != nil || !ok {
				return firstErr(err, errs.Field(op, "owner_merchant_id", "no such merchant"))
			}
		}
		partner := w.OperatorPartnerID
		if link != nil {
			partner = link.PartnerID
		}
		if partner != "" {
			if ok, err := exists(ctx, tx, `SELECT 1 FROM partners WHERE id = $1`, partner); err != nil || !ok {
				return firstErr(err, errs.Field(op, "operator_partner_id", "no such logistics partner"))
			}
		}
		serves := []byte("[]")
		if len(w.Serves) > 0 {
			var err error
			if serves, err = json.Marshal(w.Serves); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO warehouses (id, code, name, country, city, owner_merchant_id, operator_partner_id, created_at,
			address, postcode, latitude, longitude, region, time_zone, cut_off, serves)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`, w.ID, w.Code, w.Name, w.Country, w.City,
			nullStr(w.OwnerMerchantID), nullStr(w.OperatorPartnerID), w.CreatedAt,
			w.Address, w.Postcode, nullFloat(w.Latitude), nullFloat(w.Longitude), w.Region, cmp.Or(w.TimeZone, "UTC"), cmp.Or(w.CutOff, "14:00"), string(serves)); err != nil {
			return wrap(op, err, "a warehouse with this code")
		}
		if link != nil {
			if err := insertLink(ctx, tx, *link); err != nil {
				return wrap(op, err, "an open request to this partner")
			}
		}
		return insertEvents(ctx, tx, evs)
	})
	return wrap(op, err, "warehouse")
}

func firstErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

func insertLink(ctx context.Context, tx *sql.Tx, l inventory.PartnerLink) error {
	var decided sql.NullTime
	if l.DecidedAt != nil {
		decided = sql.NullTime{Time: *l.DecidedAt, Valid: true}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO partner_links (id, merchant_id, partner_id, warehouse_id, status, requested_by, decided_by, requested_at, decided_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, l.ID, l.MerchantID, l.PartnerID, l.WarehouseID, string(l.Status), l.RequestedBy, l.DecidedBy, l.RequestedAt, decided)
	return err
}

// setOperator makes an accepted link's partner the warehouse's operator.
func setOperator(ctx context.Context, tx *sql.Tx, l inventory.PartnerLink) error {
	if l.Status != inventory.LinkAccepted {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE warehouses SET operator_partner_id = $1 WHERE id = $2`, l.PartnerID, l.WarehouseID)
	return err
}

// LinkPartner implements inventory.Store.
func (s *Inventory) LinkPartner(ctx context.Context, warehouseID, partnerID string, link func(inventory.Warehouse, bool) (inventory.PartnerLink, []events.Event, error)) (inventory.PartnerLink, error) {
	const op = "sqlstore.LinkPartner"
	var l inventory.PartnerLink
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		// Writing the row first locks it (PostgreSQL): two links decided on one
		// warehouse at once see each other's result.
		if _, err := tx.ExecContext(ctx, `UPDATE warehouses SET code = code WHERE id = $1`, warehouseID); err != nil {
			return err
		}
		w, err := scanWarehouse(tx.QueryRowContext(ctx, `SELECT `+warehouseCols+` FROM warehouses WHERE id = $1`, warehouseID))
		if err != nil {
			return wrap(op, err, "warehouse")
		}
		ok, err := exists(ctx, tx, `SELECT 1 FROM partners WHERE id = $1`, partnerID)
		if err != nil {
			return err
		}
		var evs []events.Event
		if l, evs, err = link(w, ok); err != nil {
			return err
		}
		if err := insertLink(ctx, tx, l); err != nil {
			return wrap(op, err, "an open request to this partner for this warehouse")
		}
		if err := setOperator(ctx, tx, l); err != nil {
			return err
		}
		return insertEvents(ctx, tx, evs)
	})
	return l, wrap(op, err, "partner link")
}

const linkCols = `id, merchant_id, partner_id, warehouse_id, status, requested_by, decided_by, requested_at, decided_at`

func scanLink(row interface{ Scan(...any) error }) (inventory.PartnerLink, error) {
	var l inventory.PartnerLink
	var status string
	var decided sql.NullTime
	err := row.Scan(&l.ID, &l.MerchantID, &l.PartnerID, &l.WarehouseID, &status, &l.RequestedBy, &l.DecidedBy, &l.RequestedAt, &decided)
	l.Status = inventory.LinkStatus(status)
	l.RequestedAt = l.RequestedAt.UTC()
	if decided.Valid {
		t := decided.Time.UTC()
		l.DecidedAt = &t
	}
	return l, err
}

// DecidePartnerLink implements inventory.Store.
func (s *Inventory) DecidePartnerLink(ctx context.Context, id string, decide func(inventory.PartnerLink) (inventory.PartnerLink, []events.Event, error)) (inventory.PartnerLink, error) {
	const op = "sqlstore.DecidePartnerLink"
	var next inventory.PartnerLink
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		// Lock the link (PostgreSQL): of two concurrent decisions the second
		// sees the first's status and is refused.
		if _, err := tx.ExecContext(ctx, `UPDATE partner_links SET status = status WHERE id = $1`, id); err != nil {
			return err
		}
		cur, err := scanLink(tx.QueryRowContext(ctx, `SELECT `+linkCols+` FROM partner_links WHERE id = $1`, id))
		if err != nil {
			return wrap(op, err, "partner link")
		}
		var evs []events.Event
		if next, evs, err = decide(cur); err != nil {
			return err
		}
		var decided sql.NullTime
		if next.DecidedAt != nil {
			decided = sql.NullTime{Time: *next.DecidedAt, Valid: true}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE partner_links SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4`,
			string(next.Status), next.DecidedBy, decided, id); err != nil {
			return err
		}
		if err := setOperator(ctx, tx, next); err != nil {
			return err
		}
		return insertEvents(ctx, tx, evs)
	})
	return next, wrap(op, err, "partner link")
}

// ListPartnerLinks implements inventory.Store. It returns at most the newest 500.
func (s *Inventory) ListPartnerLinks(ctx context.Context, merchantID, partnerID string, status inventory.LinkStatus) ([]inventory.PartnerLink, error) {
	const op = "sqlstore.ListPartnerLinks"
	rows, err := s.db.QueryContext(ctx, `SELECT `+linkCols+` FROM partner_links
		WHERE ($1 = '' OR merchant_id = $1) AND ($2 = '' OR partner_id = $2) AND ($3 = '' OR status = $3) ORDER BY id DESC LIMIT 500`,
		merchantID, partnerID, string(status))
	if err != nil {
		return nil, wrap(op, err, "partner link")
	}
	defer rows.Close()
	out := []inventory.PartnerLink{}
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, wrap(op, err, "partner link")
		}
		out = append(out, l)
	}
	return out, wrap(op, rows.Err(), "partner link")
}

// ListWarehouses implements inventory.Store. A partner's warehouses are the
// ones whose operator it is, which only an accepted link or an operator's
// assignment makes it.
func (s *Inventory) ListWarehouses(ctx context.Context, merchantID, partnerID string) ([]inventory.Warehouse, error) {
	const op = "sqlstore.ListWarehouses"
	rows, err := s.db.QueryContext(ctx, `SELECT `+warehouseCols+`
		FROM warehouses WHERE ($1 = '' OR owner_merchant_id = $1) AND ($2 = '' OR operator_partner_id = $2) ORDER BY code`, merchantID, partnerID)
	if err != nil {
		return nil, wrap(op, err, "warehouse")
	}
	defer rows.Close()
	out := []inventory.Warehouse{}
	for rows.Next() {
		w, err := scanWarehouse(rows)
		if err != nil {
			return nil, wrap(op, err, "warehouse")
		}
		out = append(out, w)
	}
	return out, wrap(op, rows.Err(), "warehouse")
}
