package sqlstore

import (
	"context"
	"database/sql"

	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/inventory"
)

// Inventory is the inventory store.
type Inventory struct{ db *DB }

// Inventory returns the inventory store.
func (db *DB) Inventory() *Inventory { return &Inventory{db} }

var _ inventory.Store = (*Inventory)(nil)

// CreateWarehouse implements inventory.Store.
func (s *Inventory) CreateWarehouse(ctx context.Context, w inventory.Warehouse, ev events.Event) error {
	const op = "sqlstore.CreateWarehouse"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO warehouses (id, code, name, country, city, owner_merchant_id, operator_partner_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, w.ID, w.Code, w.Name, w.Country, w.City, nullStr(w.OwnerMerchantID), nullStr(w.OperatorPartnerID), w.CreatedAt); err != nil {
			return wrap(op, err, "a warehouse with this code")
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap(op, err, "warehouse")
}

// ListWarehouses implements inventory.Store.
func (s *Inventory) ListWarehouses(ctx context.Context, merchantID, partnerID string) ([]inventory.Warehouse, error) {
	const op = "sqlstore.ListWarehouses"
	rows, err := s.db.QueryContext(ctx, `SELECT id, code, name, country, city, COALESCE(owner_merchant_id, ''), COALESCE(operator_partner_id, ''), created_at
		FROM warehouses WHERE ($1 = '' OR owner_merchant_id = $1) AND ($2 = '' OR operator_partner_id = $2) ORDER BY code`, merchantID, partnerID)
	if err != nil {
		return nil, wrap(op, err, "warehouse")
	}
	defer rows.Close()
	out := []inventory.Warehouse{}
	for rows.Next() {
		var w inventory.Warehouse
		if err := rows.Scan(&w.ID, &w.Code, &w.Name, &w.Country, &w.City, &w.OwnerMerchantID, &w.OperatorPartnerID, &w.CreatedAt); err != nil {
			return nil, wrap(op, err, "warehouse")
		}
		w.CreatedAt = w.CreatedAt.UTC()
		out = append(out, w)
	}
	return out, wrap(op, rows.Err(), "warehouse")
}
