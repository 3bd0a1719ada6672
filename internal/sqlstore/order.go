package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/pricing"
	"github.com/sesame-market/sesame/internal/timers"
)

// Orders is the store of carts, checkouts and orders.
type Orders struct{ db *DB }

var _ order.Store = (*Orders)(nil)

// Orders returns the order store.
func (db *DB) Orders() *Orders { return &Orders{db} }

// seedLaw writes the default tax rules and exchange rates into a database
// that has none: every marketplace starts with the law as it stands.
func (db *DB) seedLaw(ctx context.Context) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := queryRowIn(ctx, tx, `SELECT COUNT(*) FROM tax_rules`).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			for _, r := range pricing.DefaultRules() {
				if err := putTaxRule(ctx, tx, r); err != nil {
					return err
				}
			}
		}
		if err := queryRowIn(ctx, tx, `SELECT COUNT(*) FROM fx_rates`).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			for _, r := range pricing.DefaultRates() {
				if _, err := execIn(ctx, tx, `INSERT INTO fx_rates (base, quote, valid_from, rate, created_by) VALUES ($1, $2, $3, $4, $5)
					ON CONFLICT (base, quote, valid_from) DO NOTHING`,
					r.Base, r.Quote, r.ValidFrom.UTC(), r.Rate.String(), r.CreatedBy); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// CreateCart implements order.Store.
func (s *Orders) CreateCart(ctx context.Context, c order.Cart) error {
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := execIn(ctx, tx, `INSERT INTO carts (id, channel_id, currency, country, buyer_id, token_hash, status, attempt, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $9)`, c.ID, c.ChannelID, c.Currency, c.Country, nullStr(c.BuyerID), nullStr(c.TokenHash),
			string(c.Status), c.Version, c.CreatedAt)
		return err
	})
	return wrap("sqlstore.CreateCart", err, "cart")
}

const cartCols = `id, channel_id, currency, country, COALESCE(buyer_id, ''), COALESCE(token_hash, ''), status, address, attempt, version, created_at, updated_at`

func scanCart(row interface{ Scan(...any) error }) (order.Cart, error) {
	var (
		c      order.Cart
		status string
		addr   sql.NullString
	)
	if err := row.Scan(&c.ID, &c.ChannelID, &c.Currency, &c.Country, &c.BuyerID, &c.TokenHash, &status, &addr, &c.Attempt, &c.Version, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return c, err
	}
	c.Status = order.CartStatus(status)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	if addr.Valid {
		c.Address = &order.Address{}
		if err := json.Unmarshal([]byte(addr.String), c.Address); err != nil {
			return c, err
		}
	}
	return c, nil
}

func (s *Orders) cartLines(ctx context.Context, q querier, c *order.Cart) error {
	rows, err := q.QueryContext(ctx, `SELECT id, variant_id, product_id, merchant_id, sku, quantity, added_at FROM cart_lines WHERE cart_id = $1 ORDER BY added_at, id`, c.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	c.Lines = []order.Line{}
	for rows.Next() {
		var l order.Line
		if err := rows.Scan(&l.ID, &l.VariantID, &l.ProductID, &l.MerchantID, &l.SKU, &l.Quantity, &l.AddedAt); err != nil {
			return err
		}
		l.AddedAt = l.AddedAt.UTC()
		c.Lines = append(c.Lines, l)
	}
	return rows.Err()
}

// Cart implements order.Store.
func (s *Orders) Cart(ctx context.Context, id string) (order.Cart, error) {
	const op = "sqlstore.Cart"
	c, err := scanCart(s.db.QueryRowContext(ctx, `SELECT `+cartCols+` FROM carts WHERE id = $1`, id))
	if err != nil {
		return order.Cart{}, wrap(op, err, "cart")
	}
	return c, wrap(op, s.cartLines(ctx, s.db, &c), "cart")
}

// OpenCart implements order.Store.
func (s *Orders) OpenCart(ctx context.Context, buyerID, channelID string) (order.Cart, error) {
	const op = "sqlstore.OpenCart"
	c, err := scanCart(s.db.QueryRowContext(ctx, `SELECT `+cartCols+` FROM carts WHERE buyer_id = $1 AND channel_id = $2 AND status = 'open'`, buyerID, channelID))
	if err != nil {
		return order.Cart{}, wrap(op, err, "cart")
	}
	return c, wrap(op, s.cartLines(ctx, s.db, &c), "cart")
}

// touchOpen bumps an open cart's version inside tx; Conflict when the cart
// is not open.
func touchOpen(ctx context.Context, tx *sql.Tx, op, id string, at time.Time) error {
	res, err := execIn(ctx, tx, `UPDATE carts SET version = version + 1, updated_at = $1 WHERE id = $2 AND status = 'open'`, at, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(op, errs.Conflict, "this cart is no longer open")
	}
	return nil
}

// AddLine implements order.Store.
func (s *Orders) AddLine(ctx context.Context, cartID string, l order.Line, max int64, at time.Time) (order.Line, error) {
	const op = "sqlstore.AddLine"
	out := l
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if err := touchOpen(ctx, tx, op, cartID, at); err != nil {
			return err
		}
		var id string
		var q int64
		err := queryRowIn(ctx, tx, `SELECT id, quantity FROM cart_lines WHERE cart_id = $1 AND variant_id = $2`, cartID, l.VariantID).Scan(&id, &q)
		if err == nil {
			out.ID, out.Quantity = id, min(q+l.Quantity, max)
			_, err = execIn(ctx, tx, `UPDATE cart_lines SET quantity = $1 WHERE id = $2`, out.Quantity, id)
			return err
		}
		if err != sql.ErrNoRows {
			return err
		}
		var n int
		if err := queryRowIn(ctx, tx, `SELECT COUNT(*) FROM cart_lines WHERE cart_id = $1`, cartID).Scan(&n); err != nil {
			return err
		}
		if n >= order.MaxLines {
			return errs.E(op, errs.Invalid, fmt.Sprintf("a cart holds at most %d lines", order.MaxLines))
		}
		_, err = execIn(ctx, tx, `INSERT INTO cart_lines (id, cart_id, variant_id, product_id, merchant_id, sku, quantity, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			l.ID, cartID, l.VariantID, l.ProductID, l.MerchantID, l.SKU, l.Quantity, at)
		return err
	})
	return out, wrap(op, err, "cart line")
}

// SetQuantity implements order.Store.
func (s *Orders) SetQuantity(ctx context.Context, cartID, lineID string, q int64, at time.Time) error {
	const op = "sqlstore.SetQuantity"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if err := touchOpen(ctx, tx, op, cartID, at); err != nil {
			return err
		}
		var res sql.Result
		var err error
		if q == 0 {
			res, err = execIn(ctx, tx, `DELETE FROM cart_lines WHERE id = $1 AND cart_id = $2`, lineID, cartID)
		} else {
			res, err = execIn(ctx, tx, `UPDATE cart_lines SET quantity = $1 WHERE id = $2 AND cart_id = $3`, q, lineID, cartID)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(op, errs.NotFound, "no such line in this cart")
		}
		return nil
	})
	return wrap(op, err, "cart line")
}

// SetCartCurrency implements order.Store.
func (s *Orders) SetCartCurrency(ctx context.Context, cartID, currency string, at time.Time) error {
	return s.updateOpenCart(ctx, "sqlstore.SetCartCurrency", `UPDATE carts SET currency = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND status = 'open'`,
		currency, at, cartID)
}

// SetAddress implements order.Store.
func (s *Orders) SetAddress(ctx context.Context, cartID string, a order.Address, at time.Time) error {
	return s.updateOpenCart(ctx, "sqlstore.SetAddress", `UPDATE carts SET address = $1, country = $2, version = version + 1, updated_at = $3 WHERE id = $4 AND status = 'open'`,
		jsonText(a), a.Country, at, cartID)
}

// updateOpenCart runs q, an UPDATE of one open cart: Conflict when the
// cart is no longer open.
func (s *Orders) updateOpenCart(ctx context.Context, op, q string, args ...any) error {
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := execIn(ctx, tx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(op, errs.Conflict, "this cart is no longer open")
		}
		return nil
	})
	return wrap(op, err, "cart")
}

// MergeCart implements order.Store.
func (s *Orders) MergeCart(ctx context.Context, from, into string, max int64, at time.Time) error {
	const op = "sqlstore.MergeCart"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if err := touchOpen(ctx, tx, op, into, at); err != nil {
			return err
		}
		res, err := execIn(ctx, tx, `UPDATE carts SET status = 'merged', version = version + 1, updated_at = $1 WHERE id = $2 AND status = 'open'`, at, from)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(op, errs.Conflict, "the cart to merge is no longer open")
		}
		return moveLines(ctx, tx, from, into, max)
	})
	return wrap(op, err, "cart")
}

// moveLines adds cart from's lines to cart into inside tx: a variant into
// has already gets the quantities added, up to max.
func moveLines(ctx context.Context, tx *sql.Tx, from, into string, max int64) error {
	rows, err := queryIn(ctx, tx, `SELECT id, variant_id, product_id, merchant_id, sku, quantity FROM cart_lines WHERE cart_id = $1`, from)
	if err != nil {
		return err
	}
	var ls []order.Line
	for rows.Next() {
		var l order.Line
		if err := rows.Scan(&l.ID, &l.VariantID, &l.ProductID, &l.MerchantID, &l.SKU, &l.Quantity); err != nil {
			rows.Close()
			return err
		}
		ls = append(ls, l)
	}
	rows.Close()
	for _, l := range ls {
		var id string
		var q int64
		err := queryRowIn(ctx, tx, `SELECT id, quantity FROM cart_lines WHERE cart_id = $1 AND variant_id = $2`, into, l.VariantID).Scan(&id, &q)
		switch {
		case err == nil:
			_, err = execIn(ctx, tx, `UPDATE cart_lines SET quantity = $1 WHERE id = $2`, min(q+l.Quantity, max), id)
		case err == sql.ErrNoRows:
			_, err = execIn(ctx, tx, `UPDATE cart_lines SET cart_id = $1 WHERE id = $2`, into, l.ID)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// reopenCart gives the lines of checkout's cart back to its buyer when the
// payment failed after the checkout was placed (an authentication refused
// or never completed): the cart opens again for a new attempt, or, if the
// buyer has opened another cart on the channel since, its lines join that
// one and it is marked merged.
func reopenCart(ctx context.Context, tx *sql.Tx, checkoutID string, at time.Time) error {
	var cartID, channelID string
	var buyerID sql.NullString
	if err := queryRowIn(ctx, tx, `SELECT c.id, c.channel_id, c.buyer_id FROM checkouts k JOIN carts c ON c.id = k.cart_id
		WHERE k.id = $1 AND c.status = 'checked_out' AND c.attempt = k.attempt`, checkoutID).Scan(&cartID, &channelID, &buyerID); err != nil {
		if err == sql.ErrNoRows {
			return nil // the cart moved on already
		}
		return err
	}
	var other string
	if buyerID.Valid {
		err := queryRowIn(ctx, tx, `SELECT id FROM carts WHERE buyer_id = $1 AND channel_id = $2 AND status = 'open'`, buyerID.String, channelID).Scan(&other)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
	}
	if other == "" {
		_, err := execIn(ctx, tx, `UPDATE carts SET status = 'open', attempt = attempt + 1, version = version + 1, updated_at = $1 WHERE id = $2`, at, cartID)
		return err
	}
	if _, err := execIn(ctx, tx, `UPDATE carts SET status = 'merged', version = version + 1, updated_at = $1 WHERE id = $2`, at, cartID); err != nil {
		return err
	}
	if err := touchOpen(ctx, tx, "sqlstore.reopenCart", other, at); err != nil {
		return err
	}
	return moveLines(ctx, tx, cartID, other, order.MaxQuantity)
}

// ClaimCart implements order.Store.
func (s *Orders) ClaimCart(ctx context.Context, id, buyerID string, at time.Time) error {
	const op = "sqlstore.ClaimCart"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := execIn(ctx, tx, `UPDATE carts SET buyer_id = $1, token_hash = NULL, version = version + 1, updated_at = $2 WHERE id = $3 AND buyer_id IS NULL AND status = 'open'`,
			buyerID, at, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(op, errs.Conflict, "the cart is no longer anonymous")
		}
		return nil
	})
	return wrap(op, err, "cart")
}

// VariantProduct implements order.Store.
func (s *Orders) VariantProduct(ctx context.Context, variantID string) (catalog.Product, error) {
	const op = "sqlstore.VariantProduct"
	var pid prodID
	if err := s.db.QueryRowContext(ctx, `SELECT product_id FROM variants WHERE id = $1`, varID(variantID)).Scan(&pid); err != nil {
		return catalog.Product{}, wrap(op, err, "variant")
	}
	return (&Catalog{s.db}).Product(ctx, string(pid))
}

// Tariffs implements order.Store.
func (s *Orders) Tariffs(ctx context.Context) (map[string]order.Tariff, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT category_id, hs_code, tax_class FROM category_tariffs`)
	if err != nil {
		return nil, wrap("sqlstore.Tariffs", err, "tariff")
	}
	defer rows.Close()
	out := map[string]order.Tariff{}
	for rows.Next() {
		var t order.Tariff
		if err := rows.Scan(&t.CategoryID, &t.HSCode, &t.TaxClass); err != nil {
			return nil, wrap("sqlstore.Tariffs", err, "tariff")
		}
		out[t.CategoryID] = t
	}
	return out, wrap("sqlstore.Tariffs", rows.Err(), "tariff")
}

// CategoryParents implements order.Store.
func (s *Orders) CategoryParents(ctx context.Context) (map[string]string, error) {
	const op = "sqlstore.CategoryParents"
	rows, err := s.db.QueryContext(ctx, `SELECT id, COALESCE(parent_id, '') FROM categories`)
	if err != nil {
		return nil, wrap(op, err, "category")
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, parent string
		if err := rows.Scan(&id, &parent); err != nil {
			return nil, wrap(op, err, "category")
		}
		out[id] = parent
	}
	return out, wrap(op, rows.Err(), "category")
}

// PutTariff implements order.Store.
func (s *Orders) PutTariff(ctx context.Context, t order.Tariff) error {
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := queryRowIn(ctx, tx, `SELECT 1 FROM categories WHERE id = $1`, t.CategoryID).Scan(&one); err != nil {
			return err
		}
		_, err := execIn(ctx, tx, `INSERT INTO category_tariffs (category_id, hs_code, tax_class) VALUES ($1, $2, $3)
			ON CONFLICT (category_id) DO UPDATE SET hs_code = excluded.hs_code, tax_class = excluded.tax_class`, t.CategoryID, t.HSCode, t.TaxClass)
		return err
	})
	return wrap("sqlstore.PutTariff", err, "category")
}

func putTaxRule(ctx context.Context, tx *sql.Tx, r pricing.Rule) error {
	var to any
	if !r.ValidTo.IsZero() {
		to = r.ValidTo.UTC()
	}
	_, err := execIn(ctx, tx, `INSERT INTO tax_rules (id, kind, country, class, subheading, rate_bps, amount_minor, amount_currency, limit_minor, limit_currency, valid_from, valid_to, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, country = excluded.country, class = excluded.class, subheading = excluded.subheading,
			rate_bps = excluded.rate_bps, amount_minor = excluded.amount_minor, amount_currency = excluded.amount_currency,
			limit_minor = excluded.limit_minor, limit_currency = excluded.limit_currency, valid_from = excluded.valid_from,
			valid_to = excluded.valid_to, note = excluded.note`,
		r.ID, string(r.Kind), r.Country, r.Class, r.Subheading, r.RateBps, r.Amount.Minor, r.Amount.Currency, r.Limit.Minor, r.Limit.Currency,
		r.ValidFrom.UTC(), to, r.Note)
	return err
}

// TaxRules implements order.Store.
func (s *Orders) TaxRules(ctx context.Context) ([]pricing.Rule, error) {
	const op = "sqlstore.TaxRules"
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, country, class, subheading, rate_bps, amount_minor, amount_currency, limit_minor, limit_currency, valid_from, valid_to, note FROM tax_rules`)
	if err != nil {
		return nil, wrap(op, err, "tax rule")
	}
	defer rows.Close()
	var out []pricing.Rule
	for rows.Next() {
		var (
			r    pricing.Rule
			kind string
			to   sql.NullTime
		)
		if err := rows.Scan(&r.ID, &kind, &r.Country, &r.Class, &r.Subheading, &r.RateBps, &r.Amount.Minor, &r.Amount.Currency,
			&r.Limit.Minor, &r.Limit.Currency, &r.ValidFrom, &to, &r.Note); err != nil {
			return nil, wrap(op, err, "tax rule")
		}
		r.Kind, r.ValidFrom = pricing.Kind(kind), r.ValidFrom.UTC()
		if to.Valid {
			r.ValidTo = to.Time.UTC()
		}
		out = append(out, r)
	}
	return out, wrap(op, rows.Err(), "tax rule")
}

// PutTaxRule implements order.Store.
func (s *Orders) PutTaxRule(ctx context.Context, r pricing.Rule) error {
	return wrap("sqlstore.PutTaxRule", s.db.inTx(ctx, func(tx *sql.Tx) error { return putTaxRule(ctx, tx, r) }), "tax rule")
}

// FXRates implements order.Store.
func (s *Orders) FXRates(ctx context.Context) ([]pricing.FXRate, error) {
	const op = "sqlstore.FXRates"
	rows, err := s.db.QueryContext(ctx, `SELECT base, quote, valid_from, rate, created_by FROM fx_rates`)
	if err != nil {
		return nil, wrap(op, err, "exchange rate")
	}
	defer rows.Close()
	var out []pricing.FXRate
	for rows.Next() {
		var (
			r    pricing.FXRate
			rate string
		)
		if err := rows.Scan(&r.Base, &r.Quote, &r.ValidFrom, &rate, &r.CreatedBy); err != nil {
			return nil, wrap(op, err, "exchange rate")
		}
		if r.Rate, err = money.ParseRate(rate); err != nil {
			return nil, errs.E(op, errs.Internal, err)
		}
		r.ValidFrom = r.ValidFrom.UTC()
		out = append(out, r)
	}
	return out, wrap(op, rows.Err(), "exchange rate")
}

// AddFXRate implements order.Store.
func (s *Orders) AddFXRate(ctx context.Context, r pricing.FXRate) error {
	_, err := s.db.exec(ctx, `INSERT INTO fx_rates (base, quote, valid_from, rate, created_by) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (base, quote, valid_from) DO UPDATE SET rate = excluded.rate, created_by = excluded.created_by`,
		r.Base, r.Quote, r.ValidFrom.UTC(), r.Rate.String(), r.CreatedBy)
	return wrap("sqlstore.AddFXRate", err, "exchange rate")
}

// CBECSpent implements order.Store.
func (s *Orders) CBECSpent(ctx context.Context, buyerID string, since time.Time) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(cbec_cny), 0) FROM orders WHERE buyer_id = $1 AND created_at >= $2 AND status <> 'cancelled'`,
		buyerID, since.UTC()).Scan(&n)
	return n, wrap("sqlstore.CBECSpent", err, "order")
}

// cbecValue is the value an order adds to its buyer's yearly cross-border
// limit: its parcels under China's regime, in CNY (the mall sells in CNY).
func cbecValue(o order.Order) int64 {
	var n int64
	for _, p := range o.Parcels {
		if (p.Regime == pricing.CBEC || p.Regime == pricing.CBECFull) && p.Value.Currency == "CNY" {
			n += p.Value.Minor
		}
	}
	return n
}

// PlaceCheckout implements order.Store.
func (s *Orders) PlaceCheckout(ctx context.Context, c order.Checkout, expiry *timers.Timer, evs []events.Event) (order.Checkout, bool, error) {
	const op = "sqlstore.PlaceCheckout"
	var (
		out     order.Checkout
		created bool
	)
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		created = false
		res, err := s.db.txExec(ctx, tx, `INSERT INTO checkouts (id, cart_id, attempt, buyer_id, currency, total, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (cart_id, attempt) DO NOTHING`, c.ID, c.CartID, c.Attempt, c.BuyerID, c.Total.Currency, c.Total.Minor, c.CreatedAt)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			var id string
			if err := s.db.txQueryRow(ctx, tx, `SELECT id FROM checkouts WHERE cart_id = $1 AND attempt = $2`, c.CartID, c.Attempt).Scan(&id); err != nil {
				return err
			}
			out, err = loadCheckout(ctx, tx, id)
			return err
		}
		p := c.Payment
		if _, err := s.db.txExec(ctx, tx, `INSERT INTO payments (id, checkout_id, provider, provider_ref, status, amount, currency, reason, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`, p.ID, c.ID, p.Provider, p.ProviderRef, string(p.Status), p.Amount.Minor, p.Amount.Currency, p.Reason, p.CreatedAt); err != nil {
			return err
		}
		if p.Status == payment.Failed {
			for _, id := range c.Reservations {
				if _, err := endReservation(ctx, s.db, tx, id, []inventory.ReservationStatus{inventory.Held}, inventory.Released, c.CreatedAt, false); err != nil && !errs.Is(err, errs.Conflict) {
					return err
				}
			}
			if _, err := s.db.txExec(ctx, tx, `UPDATE carts SET attempt = attempt + 1, version = version + 1, updated_at = $1 WHERE id = $2 AND status = 'open'`, c.CreatedAt, c.CartID); err != nil {
				return err
			}
			if _, err := s.db.txExec(ctx, tx, `DELETE FROM coupon_redemptions WHERE ref = $1 AND status = 'held'`, c.Ref); err != nil {
				return err
			}
			out, created = c, true
			return nil
		}
		for _, o := range c.Orders {
			if _, err := s.db.txExec(ctx, tx, `INSERT INTO orders (id, checkout_id, merchant_id, buyer_id, channel_id, reservation_id, status, currency, total, cbec_cny, doc, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)`, o.ID, c.ID, o.MerchantID, o.BuyerID, o.ChannelID, nullStr(o.ReservationID),
				string(o.Status), o.Total.Currency, o.Total.Minor, cbecValue(o), jsonText(o), o.CreatedAt); err != nil {
				return err
			}
			if err := postMove(ctx, tx, o, "", o.Status, o.CreatedAt); err != nil {
				return err
			}
		}
		if err := insertShareCommissions(ctx, tx, c.Commissions); err != nil {
			return err
		}
		if p.Status == payment.Captured {
			for _, id := range c.Reservations {
				if err := confirmReservation(ctx, s.db, tx, id); err != nil {
					return err
				}
			}
		}
		res, err = s.db.txExec(ctx, tx, `UPDATE carts SET status = 'checked_out', version = version + 1, updated_at = $1 WHERE id = $2 AND status = 'open' AND attempt = $3`,
			c.CreatedAt, c.CartID, c.Attempt)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(op, errs.Conflict, "the cart changed during checkout; try again")
		}
		if _, err := s.db.txExec(ctx, tx, `UPDATE coupon_redemptions SET status = 'redeemed', checkout_id = $1 WHERE ref = $2 AND status = 'held'`, c.ID, c.Ref); err != nil {
			return err
		}
		if expiry != nil {
			if err := insertTimer(ctx, tx, *expiry); err != nil {
				return err
			}
		}
		if err := insertEvents(ctx, tx, evs); err != nil {
			return err
		}
		out, created = c, true
		return nil
	})
	return out, created, wrap(op, err, "checkout")
}

// loadCheckout reads checkout id with its payment and orders.
func loadCheckout(ctx context.Context, q reader, id string) (order.Checkout, error) {
	var c order.Checkout
	err := q.QueryRowContext(ctx, `SELECT id, cart_id, attempt, buyer_id, currency, total, created_at FROM checkouts WHERE id = $1`, id).
		Scan(&c.ID, &c.CartID, &c.Attempt, &c.BuyerID, &c.Total.Currency, &c.Total.Minor, &c.CreatedAt)
	if err != nil {
		return c, err
	}
	c.CreatedAt = c.CreatedAt.UTC()
	var status string
	p := &c.Payment
	if err := q.QueryRowContext(ctx, `SELECT id, checkout_id, provider, provider_ref, status, amount, currency, reason, created_at, updated_at FROM payments WHERE checkout_id = $1`, id).
		Scan(&p.ID, &p.CheckoutID, &p.Provider, &p.ProviderRef, &status, &p.Amount.Minor, &p.Amount.Currency, &p.Reason, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return c, err
	}
	p.Status, p.CreatedAt, p.UpdatedAt = payment.Status(status), p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	c.Orders, err = queryOrders(ctx, q, `SELECT doc, status, updated_at FROM orders WHERE checkout_id = $1 ORDER BY id`, id)
	if err != nil {
		return c, err
	}
	rsv, err := queryStrings(ctx, q, `SELECT reservation_id FROM orders WHERE checkout_id = $1 AND reservation_id IS NOT NULL ORDER BY id`, id)
	c.Reservations = rsv
	return c, err
}

func queryOrders(ctx context.Context, q querier, query string, args ...any) ([]order.Order, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []order.Order{}
	for rows.Next() {
		var (
			doc     []byte
			status  string
			updated time.Time
		)
		if err := rows.Scan(&doc, &status, &updated); err != nil {
			return nil, err
		}
		var o order.Order
		if err := json.Unmarshal(doc, &o); err != nil {
			return nil, err
		}
		o.Status, o.UpdatedAt = order.Status(status), updated.UTC()
		out = append(out, o)
	}
	return out, rows.Err()
}

// CheckoutOfCart implements order.Store.
func (s *Orders) CheckoutOfCart(ctx context.Context, cartID string) (order.Checkout, error) {
	const op = "sqlstore.CheckoutOfCart"
	var id string
	if err := s.db.QueryRowContext(ctx, `SELECT id FROM checkouts WHERE cart_id = $1 ORDER BY attempt DESC LIMIT 1`, cartID).Scan(&id); err != nil {
		return order.Checkout{}, wrap(op, err, "checkout")
	}
	c, err := loadCheckout(ctx, s.db, id)
	return c, wrap(op, err, "checkout")
}

// Checkout implements order.Store.
func (s *Orders) Checkout(ctx context.Context, id string) (order.Checkout, error) {
	c, err := loadCheckout(ctx, s.db, id)
	return c, wrap("sqlstore.Checkout", err, "checkout")
}

// PaymentCheckout implements order.Store.
func (s *Orders) PaymentCheckout(ctx context.Context, paymentID string) (order.Checkout, error) {
	const op = "sqlstore.PaymentCheckout"
	var id string
	if err := s.db.QueryRowContext(ctx, `SELECT checkout_id FROM payments WHERE id = $1`, paymentID).Scan(&id); err != nil {
		return order.Checkout{}, wrap(op, err, "payment")
	}
	c, err := loadCheckout(ctx, s.db, id)
	return c, wrap(op, err, "payment")
}

// SettlePayment implements order.Store.
func (s *Orders) SettlePayment(ctx context.Context, paymentID string, was, now payment.Status, reason string, from []order.Status, to order.Status, at time.Time, evs func(order.Order) []events.Event) (order.Checkout, error) {
	const op = "sqlstore.SettlePayment"
	var out order.Checkout
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := execIn(ctx, tx, `UPDATE payments SET status = $1, reason = $2, updated_at = $3 WHERE id = $4 AND status = $5`,
			string(now), reason, at, paymentID, string(was))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			var st string
			if err := queryRowIn(ctx, tx, `SELECT status FROM payments WHERE id = $1`, paymentID).Scan(&st); err != nil {
				return err
			}
			return errs.E(op, errs.Conflict, "the payment is "+st)
		}
		var checkoutID string
		if err := queryRowIn(ctx, tx, `SELECT checkout_id FROM payments WHERE id = $1`, paymentID).Scan(&checkoutID); err != nil {
			return err
		}
		c, err := loadCheckout(ctx, tx, checkoutID)
		if err != nil {
			return err
		}
		for i, o := range c.Orders {
			if !slices.Contains(from, o.Status) {
				continue
			}
			if err := moveOrder(ctx, s.db, tx, o, to, at); err != nil {
				return err
			}
			c.Orders[i].Status, c.Orders[i].UpdatedAt = to, at.UTC()
			if err := insertEvents(ctx, tx, evs(c.Orders[i])); err != nil {
				return err
			}
		}
		if to == order.Cancelled {
			// A payment that never completed used no coupon, and its
			// buyer gets the cart back.
			if _, err := s.db.txExec(ctx, tx, `DELETE FROM coupon_redemptions WHERE checkout_id = $1`, checkoutID); err != nil {
				return err
			}
			if now == payment.Failed {
				if err := reopenCart(ctx, tx, checkoutID, at); err != nil {
					return err
				}
			}
		}
		c.Payment.Status, c.Payment.Reason, c.Payment.UpdatedAt = now, reason, at.UTC()
		out = c
		return nil
	})
	return out, wrap(op, err, "payment")
}

// moveOrder writes order o's new status inside tx, with its ledger
// posting, its share commission's move (shareMove) and what its stock
// reservation does: confirmed when paid, shipped when shipped, released
// when cancelled.
func moveOrder(ctx context.Context, db *DB, tx *sql.Tx, o order.Order, to order.Status, at time.Time) error {
	var rsv sql.NullString
	if err := queryRowIn(ctx, tx, `SELECT reservation_id FROM orders WHERE id = $1`, o.ID).Scan(&rsv); err != nil {
		return err
	}
	res, err := execIn(ctx, tx, `UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4`, string(to), at, o.ID, string(o.Status))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E("sqlstore.MoveOrder", errs.Conflict, "the order changed meanwhile")
	}
	if err := postMove(ctx, tx, o, o.Status, to, at); err != nil {
		return err
	}
	if err := shareMove(ctx, tx, o, to, at); err != nil {
		return err
	}
	if !rsv.Valid {
		return nil
	}
	switch to {
	case order.Paid:
		err = confirmReservation(ctx, db, tx, rsv.String)
	case order.Shipped:
		if o.Status != order.Paid {
			return nil // back from a dispute: shipped already
		}
		_, err = endReservation(ctx, db, tx, rsv.String, []inventory.ReservationStatus{inventory.Confirmed}, inventory.Shipped, at, false)
	case order.Cancelled:
		_, err = endReservation(ctx, db, tx, rsv.String, []inventory.ReservationStatus{inventory.Held, inventory.Confirmed}, inventory.Released, at, false)
		if errs.Is(err, errs.Conflict) {
			err = nil // expired already: the units are back
		}
	}
	return err
}

// Orders implements order.Store.
func (s *Orders) Orders(ctx context.Context, f order.Filter) ([]order.Order, error) {
	q := `SELECT doc, status, updated_at FROM orders WHERE 1 = 1`
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.BuyerID != "" {
		q += ` AND buyer_id = ` + arg(f.BuyerID)
	}
	if f.MerchantID != "" {
		q += ` AND merchant_id = ` + arg(f.MerchantID)
	}
	if f.Before != "" {
		q += ` AND id < ` + arg(f.Before)
	}
	q += ` ORDER BY id DESC LIMIT ` + arg(f.Limit)
	os, err := queryOrders(ctx, s.db, q, args...)
	return os, wrap("sqlstore.Orders", err, "order")
}

// Order implements order.Store.
func (s *Orders) Order(ctx context.Context, id string) (order.Order, error) {
	os, err := queryOrders(ctx, s.db, `SELECT doc, status, updated_at FROM orders WHERE id = $1`, id)
	if err == nil && len(os) == 0 {
		err = sql.ErrNoRows
	}
	if err != nil {
		return order.Order{}, wrap("sqlstore.Order", err, "order")
	}
	return os[0], nil
}

// MoveOrder implements order.Store.
func (s *Orders) MoveOrder(ctx context.Context, id string, from []order.Status, to order.Status, at time.Time, evs []events.Event) (order.Order, error) {
	const op = "sqlstore.MoveOrder"
	var out order.Order
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		os, err := queryOrders(ctx, tx, `SELECT doc, status, updated_at FROM orders WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if len(os) == 0 {
			return sql.ErrNoRows
		}
		o := os[0]
		if !slices.Contains(from, o.Status) {
			return errs.E(op, errs.Conflict, "the order is "+string(o.Status))
		}
		if err := moveOrder(ctx, s.db, tx, o, to, at); err != nil {
			return err
		}
		if to == order.Cancelled && o.Status == order.Paid {
			var pay string
			if err := queryRowIn(ctx, tx, `SELECT id FROM payments WHERE checkout_id = $1`, o.CheckoutID).Scan(&pay); err != nil {
				return err
			}
			if _, err := execIn(ctx, tx, `INSERT INTO refunds (id, payment_id, order_id, amount, currency, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				"rfd_"+o.ID[4:], pay, o.ID, o.Total.Minor, o.Total.Currency, at); err != nil {
				return err
			}
		}
		if err := insertEvents(ctx, tx, evs); err != nil {
			return err
		}
		o.Status, o.UpdatedAt = to, at.UTC()
		out = o
		return nil
	})
	return out, wrap(op, err, "order")
}

// AdvanceOrder implements order.Store.
func (s *Orders) AdvanceOrder(ctx context.Context, id string, at time.Time, step func(order.Order, time.Time) (order.Order, *timers.Timer, []events.Event, error)) (order.Order, error) {
	const op = "sqlstore.AdvanceOrder"
	lock := s.db.forUpdate()
	var out order.Order
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		os, err := queryOrders(ctx, tx, `SELECT doc, status, updated_at FROM orders WHERE id = $1`+lock, id)
		if err != nil {
			return err
		}
		if len(os) == 0 {
			return sql.ErrNoRows
		}
		o, t, evs, err := step(os[0], at.UTC())
		if err != nil {
			return err
		}
		if o.Status != os[0].Status {
			if err := moveOrder(ctx, s.db, tx, os[0], o.Status, at); err != nil {
				return err
			}
		}
		if _, err := execIn(ctx, tx, `UPDATE orders SET doc = $1, updated_at = $2 WHERE id = $3`, jsonText(o), at, id); err != nil {
			return err
		}
		if t != nil {
			if err := insertTimer(ctx, tx, *t); err != nil {
				return err
			}
		}
		if err := insertEvents(ctx, tx, evs); err != nil {
			return err
		}
		o.UpdatedAt, out = at.UTC(), o
		return nil
	})
	return out, wrap(op, err, "order")
}

const couponCols = `id, code, COALESCE(merchant_id, ''), COALESCE(channel_id, ''), kind, percent_bps, amount_minor, currency, min_spend, max_uses, max_per_buyer, valid_from, valid_to, created_at, COALESCE(buyer_id, '')`

func scanCoupon(row interface{ Scan(...any) error }) (order.Coupon, error) {
	var (
		c          order.Coupon
		kind, cur  string
		amt, spend int64
		to         sql.NullTime
	)
	if err := row.Scan(&c.ID, &c.Code, &c.MerchantID, &c.ChannelID, &kind, &c.PercentBps, &amt, &cur, &spend, &c.MaxUses, &c.MaxPerBuyer,
		&c.ValidFrom, &to, &c.CreatedAt, &c.BuyerID); err != nil {
		return c, err
	}
	c.Kind, c.ValidFrom, c.CreatedAt = order.CouponKind(kind), c.ValidFrom.UTC(), c.CreatedAt.UTC()
	if to.Valid {
		c.ValidTo = to.Time.UTC()
	}
	if c.Kind == order.Fixed {
		c.Amount = money.Amount{Minor: amt, Currency: cur}
	}
	if spend > 0 {
		c.MinSpend = money.Amount{Minor: spend, Currency: cur}
	}
	return c, nil
}

// CreateCoupon implements order.Store.
func (s *Orders) CreateCoupon(ctx context.Context, c order.Coupon) error {
	_, err := insertCoupon(ctx, s.db.exec, c)
	if classify(err) == uniqueViolation {
		return errs.Field("sqlstore.CreateCoupon", "code", "this code is taken")
	}
	return wrap("sqlstore.CreateCoupon", err, "coupon")
}

// insertCoupon writes coupon c with exec.
func insertCoupon(ctx context.Context, exec func(ctx context.Context, q string, args ...any) (sql.Result, error), c order.Coupon) (sql.Result, error) {
	var to any
	if !c.ValidTo.IsZero() {
		to = c.ValidTo
	}
	cur := c.Amount.Currency
	if cur == "" {
		cur = c.MinSpend.Currency
	}
	return exec(ctx, `INSERT INTO coupons (id, code, merchant_id, channel_id, kind, percent_bps, amount_minor, currency, min_spend, max_uses, max_per_buyer, valid_from, valid_to, created_at, buyer_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`, c.ID, c.Code, nullStr(c.MerchantID), nullStr(c.ChannelID), string(c.Kind),
		c.PercentBps, c.Amount.Minor, cur, c.MinSpend.Minor, c.MaxUses, c.MaxPerBuyer, c.ValidFrom, to, c.CreatedAt, nullStr(c.BuyerID))
}

func (s *Orders) coupons(ctx context.Context, q string, args ...any) ([]order.Coupon, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap("sqlstore.Coupons", err, "coupon")
	}
	defer rows.Close()
	out := []order.Coupon{}
	for rows.Next() {
		c, err := scanCoupon(rows)
		if err != nil {
			return nil, wrap("sqlstore.Coupons", err, "coupon")
		}
		out = append(out, c)
	}
	return out, wrap("sqlstore.Coupons", rows.Err(), "coupon")
}

// Coupons implements order.Store.
func (s *Orders) Coupons(ctx context.Context, merchantID string) ([]order.Coupon, error) {
	if merchantID == "" {
		return s.coupons(ctx, `SELECT `+couponCols+` FROM coupons ORDER BY id DESC LIMIT 500`)
	}
	return s.coupons(ctx, `SELECT `+couponCols+` FROM coupons WHERE merchant_id = $1 ORDER BY id DESC LIMIT 500`, merchantID)
}

// CouponByCode implements order.Store.
func (s *Orders) CouponByCode(ctx context.Context, code string) (order.Coupon, error) {
	c, err := scanCoupon(s.db.QueryRowContext(ctx, `SELECT `+couponCols+` FROM coupons WHERE code = $1`, code))
	return c, wrap("sqlstore.CouponByCode", err, "coupon")
}

// CartCoupons implements order.Store.
func (s *Orders) CartCoupons(ctx context.Context, cartID string) ([]order.Coupon, error) {
	return s.coupons(ctx, `SELECT `+couponCols+` FROM coupons WHERE id IN (SELECT coupon_id FROM cart_coupons WHERE cart_id = $1) ORDER BY id`, cartID)
}

// AddCartCoupon implements order.Store.
func (s *Orders) AddCartCoupon(ctx context.Context, cartID, couponID string, at time.Time) error {
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if err := touchOpen(ctx, tx, "sqlstore.AddCartCoupon", cartID, at); err != nil {
			return err
		}
		_, err := execIn(ctx, tx, `INSERT INTO cart_coupons (cart_id, coupon_id, added_at) VALUES ($1, $2, $3) ON CONFLICT (cart_id, coupon_id) DO NOTHING`, cartID, couponID, at)
		return err
	})
	return wrap("sqlstore.AddCartCoupon", err, "coupon")
}

// RemoveCartCoupon implements order.Store.
func (s *Orders) RemoveCartCoupon(ctx context.Context, cartID, couponID string) error {
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if err := touchOpen(ctx, tx, "sqlstore.RemoveCartCoupon", cartID, time.Now().UTC()); err != nil {
			return err
		}
		_, err := execIn(ctx, tx, `DELETE FROM cart_coupons WHERE cart_id = $1 AND coupon_id = $2`, cartID, couponID)
		return err
	})
	return wrap("sqlstore.RemoveCartCoupon", err, "coupon")
}

// ClaimCoupons implements order.Store.
func (s *Orders) ClaimCoupons(ctx context.Context, ref, buyerID string, claims []order.CouponClaim, since, at time.Time) error {
	const op = "sqlstore.ClaimCoupons"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		for _, c := range claims {
			// The row's update is the coupon's lock: claims of one coupon
			// take turns, so that each counts the others.
			if _, err := s.db.txExec(ctx, tx, `UPDATE coupons SET version = version + 1 WHERE id = $1`, c.Coupon.ID); err != nil {
				return err
			}
			var mine int
			if err := s.db.txQueryRow(ctx, tx, `SELECT COUNT(*) FROM coupon_redemptions WHERE coupon_id = $1 AND ref = $2`, c.Coupon.ID, ref).Scan(&mine); err != nil {
				return err
			}
			if mine > 0 {
				continue // this attempt's claim, made already
			}
			live := `(status = 'redeemed' OR created_at >= $2)`
			var all, buyer int64
			if err := s.db.txQueryRow(ctx, tx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN buyer_id = $3 THEN 1 ELSE 0 END), 0) FROM coupon_redemptions WHERE coupon_id = $1 AND `+live,
				c.Coupon.ID, since, buyerID).Scan(&all, &buyer); err != nil {
				return err
			}
			if c.Coupon.MaxUses > 0 && all >= c.Coupon.MaxUses {
				return errs.E(op, errs.Conflict, "the coupon "+c.Coupon.Code+" has been used up")
			}
			if c.Coupon.MaxPerBuyer > 0 && buyer >= c.Coupon.MaxPerBuyer {
				return errs.E(op, errs.Conflict, "you have used the coupon "+c.Coupon.Code+" as often as it allows")
			}
			if _, err := s.db.txExec(ctx, tx, `INSERT INTO coupon_redemptions (coupon_id, ref, buyer_id, status, amount, created_at) VALUES ($1, $2, $3, 'held', $4, $5)`,
				c.Coupon.ID, ref, buyerID, c.Amount, at); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap(op, err, "coupon")
}

// ReleaseCoupons implements order.Store.
func (s *Orders) ReleaseCoupons(ctx context.Context, ref string) error {
	_, err := s.db.exec(ctx, `DELETE FROM coupon_redemptions WHERE ref = $1 AND status = 'held'`, ref)
	return wrap("sqlstore.ReleaseCoupons", err, "coupon")
}

// FirstProviderEvent implements order.Store.
func (s *Orders) FirstProviderEvent(ctx context.Context, provider, eventID string, at time.Time) (bool, error) {
	res, err := s.db.exec(ctx, `INSERT INTO provider_events (provider, event_id, received_at) VALUES ($1, $2, $3) ON CONFLICT (provider, event_id) DO NOTHING`,
		provider, eventID, at)
	if err != nil {
		return false, wrap("sqlstore.FirstProviderEvent", err, "provider event")
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// PaymentByRef implements order.Store.
func (s *Orders) PaymentByRef(ctx context.Context, provider, ref string) (string, error) {
	var id string
	err := s.db.QueryRowContext(ctx, `SELECT id FROM payments WHERE provider = $1 AND provider_ref = $2`, provider, ref).Scan(&id)
	return id, wrap("sqlstore.PaymentByRef", err, "payment")
}

// ProviderEventSeen implements order.Store.
func (s *Orders) ProviderEventSeen(ctx context.Context, provider, eventID string) (bool, error) {
	var ok bool
	err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM provider_events WHERE provider = $1 AND event_id = $2)`, provider, eventID).Scan(&ok)
	return ok, wrap("sqlstore.ProviderEventSeen", err, "provider event")
}
