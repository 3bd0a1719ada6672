package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/inventory"
)

// AnnounceConsignment implements inventory.ConsignmentStore.
func (s *Stock) AnnounceConsignment(ctx context.Context, c inventory.Consignment, ev events.Event) error {
	const op = "sqlstore.AnnounceConsignment"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO consignments (id, warehouse_id, merchant_id, reference, status, announced_by, announced_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.ID, c.WarehouseID, c.MerchantID, c.Reference, string(c.Status), c.AnnouncedBy, c.AnnouncedAt); err != nil {
			return err
		}
		for _, l := range c.Lines {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM variants WHERE merchant_id = $1 AND sku = $2`, c.MerchantID, l.SKU).Scan(&one); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return errs.Field(op, "lines", "the merchant has no SKU "+l.SKU)
				}
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO consignment_lines (consignment_id, sku, announced) VALUES ($1, $2, $3)`,
				c.ID, l.SKU, l.Announced); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO stock (merchant_id, sku, warehouse_id, inbound, updated_at) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (merchant_id, sku, warehouse_id) DO UPDATE SET inbound = stock.inbound + excluded.inbound, updated_at = excluded.updated_at`,
				c.MerchantID, l.SKU, c.WarehouseID, l.Announced, c.AnnouncedAt); err != nil {
				return err
			}
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap(op, err, "consignment")
}

// ReceiveConsignment implements inventory.ConsignmentStore. The status
// moves first, under the row's lock (the single writer on SQLite), so that
// two receipts of one consignment cannot both count.
func (s *Stock) ReceiveConsignment(ctx context.Context, id string, counts map[string]int64, by string, at time.Time,
	ev func(inventory.Consignment) events.Event) (inventory.Consignment, error) {
	const op = "sqlstore.ReceiveConsignment"
	var out inventory.Consignment
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE consignments SET status = 'received', received_by = $1, received_at = $2
			WHERE id = $3 AND status = 'announced'`, by, at, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			if _, err := loadConsignment(ctx, tx, id); err != nil {
				return err
			}
			return errs.E(op, errs.Conflict, "the consignment was received already")
		}
		c, err := loadConsignment(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, l := range c.Lines {
			n := counts[l.SKU]
			if _, err := tx.ExecContext(ctx, `UPDATE consignment_lines SET received = $1 WHERE consignment_id = $2 AND sku = $3`, n, id, l.SKU); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE stock SET inbound = inbound - $1, on_hand = on_hand + $2, updated_at = $3
				WHERE merchant_id = $4 AND sku = $5 AND warehouse_id = $6`, l.Announced, n, at, c.MerchantID, l.SKU, c.WarehouseID); err != nil {
				return err
			}
		}
		if out, err = loadConsignment(ctx, tx, id); err != nil {
			return err
		}
		return insertEvents(ctx, tx, []events.Event{ev(out)})
	})
	return out, wrap(op, err, "consignment")
}

// Consignment implements inventory.ConsignmentStore.
func (s *Stock) Consignment(ctx context.Context, id string) (inventory.Consignment, error) {
	c, err := loadConsignment(ctx, s.db, id)
	return c, wrap("sqlstore.Consignment", err, "consignment")
}

// ListConsignments implements inventory.ConsignmentStore.
func (s *Stock) ListConsignments(ctx context.Context, warehouseID, merchantID string, status inventory.ConsignmentStatus, limit int) ([]inventory.Consignment, error) {
	const op = "sqlstore.ListConsignments"
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM consignments WHERE warehouse_id = $1 AND ($2 = '' OR merchant_id = $2) AND ($3 = '' OR status = $3)
		ORDER BY id DESC LIMIT $4`, warehouseID, merchantID, string(status), limit)
	if err != nil {
		return nil, wrap(op, err, "consignment")
	}
	var idList []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, wrap(op, err, "consignment")
		}
		idList = append(idList, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err, "consignment")
	}
	out := make([]inventory.Consignment, 0, len(idList))
	for _, id := range idList {
		c, err := loadConsignment(ctx, s.db, id)
		if err != nil {
			return nil, wrap(op, err, "consignment")
		}
		out = append(out, c)
	}
	return out, nil
}

// loadConsignment reads consignment id with its lines.
func loadConsignment(ctx context.Context, q reader, id string) (inventory.Consignment, error) {
	var (
		c          inventory.Consignment
		status     string
		receivedBy sql.NullString
		receivedAt sql.NullTime
	)
	if err := q.QueryRowContext(ctx, `SELECT id, warehouse_id, merchant_id, reference, status, announced_by, announced_at, received_by, received_at
		FROM consignments WHERE id = $1`, id).Scan(&c.ID, &c.WarehouseID, &c.MerchantID, &c.Reference, &status, &c.AnnouncedBy, &c.AnnouncedAt,
		&receivedBy, &receivedAt); err != nil {
		return c, err
	}
	c.Status, c.AnnouncedAt, c.ReceivedBy = inventory.ConsignmentStatus(status), c.AnnouncedAt.UTC(), receivedBy.String
	if receivedAt.Valid {
		t := receivedAt.Time.UTC()
		c.ReceivedAt = &t
	}
	rows, err := q.QueryContext(ctx, `SELECT sku, announced, received FROM consignment_lines WHERE consignment_id = $1 ORDER BY sku`, id)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	c.Lines = []inventory.ConsignmentLine{}
	for rows.Next() {
		var (
			l        inventory.ConsignmentLine
			received sql.NullInt64
		)
		if err := rows.Scan(&l.SKU, &l.Announced, &received); err != nil {
			return c, err
		}
		if received.Valid {
			l.Received = &received.Int64
			if received.Int64 != l.Announced {
				c.Discrepancies++
			}
		}
		c.Lines = append(c.Lines, l)
	}
	return c, rows.Err()
}
