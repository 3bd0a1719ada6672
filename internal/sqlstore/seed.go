package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/sesame-market/sesame/internal/order"
)

// SeedSettledOrders fills the store as a marketplace that has run for a
// while: merchants merchants cloned from like's merchant, and orders
// orders cloned from like (a completed order of the store) spread evenly
// over them, each with its paid and released postings, so that every
// merchant has an available balance. It writes with INSERT … SELECT over a
// generated series, in batches, for the payout benchmark and load tests at
// scale. The ids are valid ids that begin with prefix (hex digits), which
// must differ between calls.
func (db *DB) SeedSettledOrders(ctx context.Context, like order.Order, merchants, orders int, prefix string) error {
	const op = "sqlstore.SeedSettledOrders"
	settle, com, err := order.Escrow(like)
	if err != nil {
		return err
	}
	if prefix == "" || len(prefix) > 8 || strings.Trim(prefix, "0123456789abcdef") != "" {
		return fmt.Errorf("%s: the prefix is 1 to 8 hex digits", op)
	}
	hex := func(col string) string { // 32 hex digits: prefix, then integer col
		pad := fmt.Sprint(32 - len(prefix))
		if db.Engine == Postgres {
			return `'` + prefix + `' || lpad(to_hex(` + col + `), ` + pad + `, '0')`
		}
		return `'` + prefix + `' || printf('%0` + pad + `x', ` + col + `)`
	}
	series := func(from, to int) string {
		if db.Engine == Postgres {
			return fmt.Sprintf(`(SELECT generate_series(%d, %d) AS n) s`, from, to)
		}
		return fmt.Sprintf(`(WITH RECURSIVE c(n) AS (SELECT %d UNION ALL SELECT n + 1 FROM c WHERE n < %d) SELECT n FROM c) s`, from, to)
	}
	merchant := func(n string) string { return `'mer_' || ` + hex(n) }
	if err := db.cloneRows(ctx, "merchants", like.MerchantID, map[string]string{"id": merchant("s.n")}, series(0, merchants-1)); err != nil {
		return fmt.Errorf("%s: merchants: %w", op, err)
	}
	const batch = 50_000
	for from := 0; from < orders; from += batch {
		to := min(from+batch, orders) - 1
		m := fmt.Sprintf("(s.n %% %d)", merchants)
		oid := `'ord_' || ` + hex("s.n")
		if err := db.cloneRows(ctx, "orders", like.ID, map[string]string{"id": oid, "merchant_id": merchant(m), "reservation_id": "NULL"}, series(from, to)); err != nil {
			return fmt.Errorf("%s: orders: %w", op, err)
		}
		for i, p := range []struct {
			kind                            string
			clearing, held, available, fees int64
		}{{string(order.PostPaid), -(settle.Minor + com.Minor), settle.Minor, 0, com.Minor}, {string(order.PostReleased), 0, -settle.Minor, settle.Minor, 0}} {
			q := fmt.Sprintf(`INSERT INTO ledger_postings (id, kind, order_id, merchant_id, currency, created_at, clearing, held, available, paid, fees)
				SELECT 'lpo_' || %s, '%s', %s, %s, '%s', $1, %d, %d, %d, 0, %d FROM %s`,
				hex(fmt.Sprintf("(2 * s.n + %d)", i)), p.kind, oid, merchant(m), settle.Currency, p.clearing, p.held, p.available, p.fees, series(from, to))
			if _, err := db.w.ExecContext(ctx, q, like.CreatedAt.UTC()); err != nil {
				return fmt.Errorf("%s: postings: %w", op, err)
			}
		}
	}
	return nil
}

// cloneRows inserts a copy of table's row id for each row of series s,
// its columns as they are but those set to expressions by set.
func (db *DB) cloneRows(ctx context.Context, table, id string, set map[string]string, s string) error {
	var rows *sql.Rows
	var err error
	if db.Engine == Postgres {
		rows, err = db.w.QueryContext(ctx, `SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`, table)
	} else {
		rows, err = db.w.QueryContext(ctx, `SELECT name FROM pragma_table_info('`+table+`')`)
	}
	if err != nil {
		return err
	}
	var cols, exprs []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return err
		}
		cols = append(cols, c)
		if e, ok := set[c]; ok {
			exprs = append(exprs, e)
		} else {
			exprs = append(exprs, "t."+c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	_, err = db.w.ExecContext(ctx, `INSERT INTO `+table+` (`+strings.Join(cols, ", ")+`) SELECT `+strings.Join(exprs, ", ")+
		` FROM `+table+` t, `+s+` WHERE t.id = $1`, id)
	return err
}
