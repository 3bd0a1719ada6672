package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/order"
)

// disputeDoc is a dispute as its row's document keeps it: its state, with
// what a withdrawal gives back to the order, and without its thread (rows
// of dispute_messages).
type disputeDoc struct {
	order.Dispute
	OrderWas       order.Status `json:"order_was"`
	ProtectionLeft int64        `json:"protection_left_ns"`
}

// AdvanceDispute implements order.Store.
func (s *Orders) AdvanceDispute(ctx context.Context, orderID string, at time.Time, step func(order.Order, *order.Dispute, time.Time) (order.DisputeChange, error)) (order.Dispute, error) {
	const op = "sqlstore.AdvanceDispute"
	at = at.UTC()
	var out order.Dispute
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		os, err := queryOrders(ctx, tx, `SELECT doc, status, updated_at FROM orders WHERE id = $1`+s.db.forUpdate(), orderID)
		if err != nil {
			return err
		}
		if len(os) == 0 {
			return sql.ErrNoRows
		}
		was := os[0]
		var cur *order.Dispute
		ds, err := queryDisputes(ctx, tx, `SELECT doc, status FROM disputes WHERE order_id = $1`, orderID)
		if err != nil {
			return err
		}
		if len(ds) == 1 {
			if ds[0].Messages, err = disputeMessages(ctx, tx, ds[0].ID); err != nil {
				return err
			}
			cur = &ds[0]
		}
		c, err := step(was, cur, at)
		if err != nil {
			return err
		}
		o, d := c.Order, c.Dispute
		if o.ID != was.ID || d.OrderID != was.ID {
			return errs.E(op, errs.Internal, "a dispute step changed another order")
		}
		if o.Status != was.Status {
			from := o
			from.Status = was.Status
			if err := moveOrder(ctx, s.db, tx, from, o.Status, at); err != nil {
				return err
			}
		}
		if _, err := execIn(ctx, tx, `UPDATE orders SET doc = $1, updated_at = $2 WHERE id = $3`, jsonText(o), at, o.ID); err != nil {
			return err
		}
		d.UpdatedAt = at
		msgs := d.Messages
		doc := disputeDoc{Dispute: d, OrderWas: d.OrderWas, ProtectionLeft: int64(d.ProtectionLeft)}
		doc.Messages = nil
		if _, err := execIn(ctx, tx, `INSERT INTO disputes (id, order_id, merchant_id, buyer_id, status, doc, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (id) DO UPDATE SET status = excluded.status, doc = excluded.doc, updated_at = excluded.updated_at`,
			d.ID, d.OrderID, d.MerchantID, d.BuyerID, string(d.Status), jsonText(doc), d.CreatedAt.UTC(), at); err != nil {
			return err
		}
		for _, p := range c.Photos {
			if _, err := execIn(ctx, tx, `INSERT INTO dispute_photos (id, dispute_id, content_type, data, created_at) VALUES ($1, $2, $3, $4, $5)`,
				p.ID, d.ID, p.ContentType, p.Data, p.CreatedAt.UTC()); err != nil {
				return err
			}
		}
		if m := c.Message; m != nil {
			refs := m.Photos
			if refs == nil {
				refs = []string{}
			}
			if _, err := execIn(ctx, tx, `INSERT INTO dispute_messages (id, dispute_id, author, body, photos, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				m.ID, d.ID, string(m.Author), m.Body, jsonText(refs), m.CreatedAt.UTC()); err != nil {
				return err
			}
			msgs = append(msgs, *m)
		}
		if r := c.Refunded; r != nil {
			var pay string
			if err := queryRowIn(ctx, tx, `SELECT id FROM payments WHERE checkout_id = $1`, o.CheckoutID).Scan(&pay); err != nil {
				return err
			}
			if _, err := execIn(ctx, tx, `INSERT INTO refunds (id, payment_id, order_id, amount, currency, created_at, provider_ref) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				"rfd_"+o.ID[4:], pay, o.ID, r.Amount.Minor, r.Amount.Currency, at, r.ProviderRef); err != nil {
				return err
			}
		}
		for _, t := range c.Timers {
			if err := insertTimer(ctx, tx, t); err != nil {
				return err
			}
		}
		if err := insertEvents(ctx, tx, c.Events); err != nil {
			return err
		}
		if msgs == nil {
			msgs = []order.DisputeMessage{}
		}
		d.Messages = msgs
		out = d
		return nil
	})
	return out, wrap(op, err, "order")
}

func queryDisputes(ctx context.Context, q querier, query string, args ...any) ([]order.Dispute, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []order.Dispute{}
	for rows.Next() {
		var (
			doc    []byte
			status string
		)
		if err := rows.Scan(&doc, &status); err != nil {
			return nil, err
		}
		var d disputeDoc
		if err := json.Unmarshal(doc, &d); err != nil {
			return nil, fmt.Errorf("dispute document: %w", err)
		}
		d.Dispute.Status, d.Dispute.OrderWas, d.Dispute.ProtectionLeft = order.DisputeStatus(status), d.OrderWas, time.Duration(d.ProtectionLeft)
		out = append(out, d.Dispute)
	}
	return out, rows.Err()
}

func disputeMessages(ctx context.Context, q querier, id string) ([]order.DisputeMessage, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, author, body, photos, created_at FROM dispute_messages WHERE dispute_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []order.DisputeMessage{}
	for rows.Next() {
		var (
			m      order.DisputeMessage
			author string
			photos []byte
		)
		if err := rows.Scan(&m.ID, &author, &m.Body, &photos, &m.CreatedAt); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(photos, &m.Photos); err != nil {
			return nil, fmt.Errorf("dispute message photos: %w", err)
		}
		m.Author, m.CreatedAt = order.Party(author), m.CreatedAt.UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

// dispute returns one dispute with its thread.
func (s *Orders) dispute(ctx context.Context, op, where, arg string) (order.Dispute, error) {
	ds, err := queryDisputes(ctx, s.db, `SELECT doc, status FROM disputes WHERE `+where+` = $1`, arg)
	if err == nil && len(ds) == 0 {
		err = sql.ErrNoRows
	}
	if err != nil {
		return order.Dispute{}, wrap(op, err, "dispute")
	}
	d := ds[0]
	d.Messages, err = disputeMessages(ctx, s.db, d.ID)
	return d, wrap(op, err, "dispute")
}

// Dispute implements order.Store.
func (s *Orders) Dispute(ctx context.Context, id string) (order.Dispute, error) {
	return s.dispute(ctx, "sqlstore.Dispute", "id", id)
}

// DisputeOfOrder implements order.Store.
func (s *Orders) DisputeOfOrder(ctx context.Context, orderID string) (order.Dispute, error) {
	return s.dispute(ctx, "sqlstore.DisputeOfOrder", "order_id", orderID)
}

// Disputes implements order.Store.
func (s *Orders) Disputes(ctx context.Context, f order.DisputeFilter) ([]order.Dispute, error) {
	q := `SELECT doc, status FROM disputes WHERE 1 = 1`
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.BuyerID != "" {
		q += ` AND buyer_id = ` + arg(f.BuyerID)
	}
	if f.MerchantID != "" {
		q += ` AND merchant_id = ` + arg(f.MerchantID)
	}
	if f.Status != "" {
		q += ` AND status = ` + arg(string(f.Status))
	}
	if f.Before != "" {
		q += ` AND id < ` + arg(f.Before)
	}
	q += ` ORDER BY id DESC LIMIT ` + arg(f.Limit)
	ds, err := queryDisputes(ctx, s.db, q, args...)
	for i := range ds {
		ds[i].Messages = []order.DisputeMessage{}
	}
	return ds, wrap("sqlstore.Disputes", err, "dispute")
}

// DisputePhoto implements order.Store.
func (s *Orders) DisputePhoto(ctx context.Context, disputeID, id string) (order.Photo, error) {
	p := order.Photo{ID: id, OwnerID: disputeID}
	err := s.db.QueryRowContext(ctx, `SELECT content_type, data, created_at FROM dispute_photos WHERE id = $1 AND dispute_id = $2`, id, disputeID).
		Scan(&p.ContentType, &p.Data, &p.CreatedAt)
	p.CreatedAt = p.CreatedAt.UTC()
	return p, wrap("sqlstore.DisputePhoto", err, "photo")
}
