package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/merchant"
)

// Merchants is the merchant store.
type Merchants struct{ db *DB }

// Merchants returns the merchant store.
func (db *DB) Merchants() *Merchants { return &Merchants{db} }

var _ merchant.Store = (*Merchants)(nil)

const merchantCols = `id, name, country, status, legal_name, registration_number, vat_number, address, email, phone, self_certified,
	status_reason, COALESCE(plan_id, ''), COALESCE(programme_id, ''), reviewed_by, reviewed_at, created_at, updated_at`

func scanMerchant(row interface{ Scan(...any) error }) (merchant.Merchant, error) {
	var m merchant.Merchant
	var status string
	var reviewed sql.NullTime
	t := &m.Trader
	err := row.Scan(&m.ID, &m.Name, &m.Country, &status, &t.LegalName, &t.RegistrationNumber, &t.VATNumber, &t.Address, &t.Email, &t.Phone,
		&t.SelfCertified, &m.StatusReason, &m.PlanID, &m.ProgrammeID, &m.ReviewedBy, &reviewed, &m.CreatedAt, &m.UpdatedAt)
	m.Status = merchant.Status(status)
	if reviewed.Valid {
		r := reviewed.Time.UTC()
		m.ReviewedAt = &r
	}
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	return m, err
}

// CreateApplication implements merchant.Store.
func (s *Merchants) CreateApplication(ctx context.Context, m merchant.Merchant, owner identity.User, ev events.Event) error {
	const op = "sqlstore.CreateApplication"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		t := m.Trader
		if _, err := tx.ExecContext(ctx, `INSERT INTO merchants (id, name, country, status, legal_name, registration_number, vat_number,
			address, email, phone, self_certified, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			m.ID, m.Name, m.Country, string(m.Status), t.LegalName, t.RegistrationNumber, t.VATNumber, t.Address, t.Email, t.Phone,
			t.SelfCertified, m.CreatedAt, m.UpdatedAt); err != nil {
			return err
		}
		if err := insertUser(ctx, tx, owner); err != nil {
			return wrap(op, err, "an account with this e-mail")
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap(op, err, "merchant")
}

// Merchant implements merchant.Store.
func (s *Merchants) Merchant(ctx context.Context, id string) (merchant.Merchant, error) {
	m, err := scanMerchant(s.db.QueryRowContext(ctx, `SELECT `+merchantCols+` FROM merchants WHERE id = $1`, id))
	return m, wrap("sqlstore.Merchant", err, "merchant")
}

// ListMerchants implements merchant.Store.
func (s *Merchants) ListMerchants(ctx context.Context, status merchant.Status, after string, limit int) ([]merchant.Merchant, error) {
	const op = "sqlstore.ListMerchants"
	rows, err := s.db.QueryContext(ctx, `SELECT `+merchantCols+` FROM merchants
		WHERE ($1 = '' OR status = $1) AND id > $2 ORDER BY id LIMIT $3`, string(status), after, limit)
	if err != nil {
		return nil, wrap(op, err, "merchant")
	}
	defer rows.Close()
	out := []merchant.Merchant{}
	for rows.Next() {
		m, err := scanMerchant(rows)
		if err != nil {
			return nil, wrap(op, err, "merchant")
		}
		out = append(out, m)
	}
	return out, wrap(op, rows.Err(), "merchant")
}

// SetMerchantStatus implements merchant.Store.
func (s *Merchants) SetMerchantStatus(ctx context.Context, id string, from []merchant.Status, to merchant.Status, reason, reviewer string, at time.Time, ev events.Event) error {
	const op = "sqlstore.SetMerchantStatus"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		// Writing the row first locks it (PostgreSQL), so the status read below
		// cannot change before this transaction commits.
		if _, err := tx.ExecContext(ctx, `UPDATE merchants SET status = status WHERE id = $1`, id); err != nil {
			return err
		}
		var cur string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM merchants WHERE id = $1`, id).Scan(&cur); err != nil {
			return wrap(op, err, "merchant")
		}
		if !slices.Contains(from, merchant.Status(cur)) {
			return errs.E(op, errs.Conflict, fmt.Sprintf("a merchant that is %s cannot become %s", cur, to))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE merchants SET status = $1, status_reason = $2, reviewed_by = $3, reviewed_at = $4, updated_at = $4
			WHERE id = $5`, string(to), reason, reviewer, at, id); err != nil {
			return err
		}
		// Rejection and suspension end the merchant's sessions and API keys
		// with the status change, so no request is served after it commits;
		// reinstatement leaves them ended.
		if merchant.EndsAccess(to) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE merchant_id = $1)`, id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE merchant_id = $2 AND revoked_at IS NULL`, at, id); err != nil {
				return err
			}
		}
		// Listings follow the listing rule: hidden while the merchant may not
		// sell, shown again on approval where they still qualify.
		hidden := events.RemovedMerchantStatus
		if to == merchant.Suspended {
			hidden = events.RemovedSuspended
		}
		if err := recheckListings(ctx, tx, followStatus, hidden, at, `product_id IN (SELECT id FROM products WHERE merchant_id = $1)`, id); err != nil {
			return err
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap(op, err, "merchant")
}

// EditApplication implements merchant.Store.
func (s *Merchants) EditApplication(ctx context.Context, id string, edit func(merchant.Merchant) (merchant.Merchant, []events.Event, error)) (merchant.Merchant, error) {
	const op = "sqlstore.EditApplication"
	var next merchant.Merchant
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		// Writing the row first locks it (PostgreSQL), so a review cannot
		// change the status between the rule's check and the write.
		if _, err := tx.ExecContext(ctx, `UPDATE merchants SET status = status WHERE id = $1`, id); err != nil {
			return err
		}
		cur, err := scanMerchant(tx.QueryRowContext(ctx, `SELECT `+merchantCols+` FROM merchants WHERE id = $1`, id))
		if err != nil {
			return wrap(op, err, "merchant")
		}
		var evs []events.Event
		if next, evs, err = edit(cur); err != nil {
			return err
		}
		t := next.Trader
		if _, err := tx.ExecContext(ctx, `UPDATE merchants SET name = $1, country = $2, legal_name = $3, registration_number = $4, vat_number = $5,
			address = $6, email = $7, phone = $8, self_certified = $9, status = $10, status_reason = $11, updated_at = $12 WHERE id = $13`,
			next.Name, next.Country, t.LegalName, t.RegistrationNumber, t.VATNumber, t.Address, t.Email, t.Phone, t.SelfCertified,
			string(next.Status), next.StatusReason, next.UpdatedAt, id); err != nil {
			return err
		}
		return insertEvents(ctx, tx, evs)
	})
	return next, wrap(op, err, "merchant")
}

// OpenShop implements merchant.Store. The shop rule (channel.MayOpenShop) is
// asked inside the transaction after the listing lock, so a concurrent
// revocation cannot slip a shop through.
func (s *Merchants) OpenShop(ctx context.Context, sh merchant.Shop, ev events.Event) error {
	const op = "sqlstore.OpenShop"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		// The listing lock makes the facts hold until commit.
		if err := lockForListing(ctx, tx, sh.MerchantID, sh.ChannelID); err != nil {
			return err
		}
		var f channel.ShopFacts
		var adm string
		err := tx.QueryRowContext(ctx, `SELECT c.code, c.admission, m.status,
			EXISTS (SELECT 1 FROM channel_merchants cm WHERE cm.channel_id = c.id AND cm.merchant_id = m.id)
			FROM merchants m CROSS JOIN channels c WHERE m.id = $1 AND c.id = $2`, sh.MerchantID, sh.ChannelID).
			Scan(&f.ChannelCode, &adm, &f.MerchantStatus, &f.MerchantAdmitted)
		if err != nil {
			return wrap(op, err, "merchant or channel")
		}
		f.Admission = channel.Admission(adm)
		if err := channel.MayOpenShop(f); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO shops (id, merchant_id, channel_id, name, created_at) VALUES ($1, $2, $3, $4, $5)`,
			sh.ID, sh.MerchantID, sh.ChannelID, sh.Name, sh.CreatedAt); err != nil {
			return wrap(op, err, "a shop of this merchant on this channel")
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap(op, err, "shop")
}

// ListShops implements merchant.Store.
func (s *Merchants) ListShops(ctx context.Context, merchantID string) ([]merchant.Shop, error) {
	const op = "sqlstore.ListShops"
	rows, err := s.db.QueryContext(ctx, `SELECT id, merchant_id, channel_id, name, created_at FROM shops WHERE merchant_id = $1 ORDER BY id`, merchantID)
	if err != nil {
		return nil, wrap(op, err, "shop")
	}
	defer rows.Close()
	out := []merchant.Shop{}
	for rows.Next() {
		var sh merchant.Shop
		if err := rows.Scan(&sh.ID, &sh.MerchantID, &sh.ChannelID, &sh.Name, &sh.CreatedAt); err != nil {
			return nil, wrap(op, err, "shop")
		}
		sh.CreatedAt = sh.CreatedAt.UTC()
		out = append(out, sh)
	}
	return out, wrap(op, rows.Err(), "shop")
}

// CreatePlan implements merchant.Store.
func (s *Merchants) CreatePlan(ctx context.Context, p merchant.Plan, ev events.Event) error {
	const op = "sqlstore.CreatePlan"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO plans (id, code, name, currency, deposit_minor, yearly_fee_minor, commission_bps, commission_min_minor, commission_max_minor, created_at, reserve_bps, reserve_days)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, p.ID, p.Code, p.Name, p.Deposit.Currency, p.Deposit.Minor, p.YearlyFee.Minor, p.CommissionBps,
			p.CommissionMin, p.CommissionMax, p.CreatedAt, p.ReserveBps, p.ReserveDays); err != nil {
			return wrap(op, err, "a plan with this code")
		}
		for _, c := range p.Categories {
			if _, err := tx.ExecContext(ctx, `INSERT INTO plan_commissions (plan_id, category_id, commission_bps, min_minor, max_minor) VALUES ($1, $2, $3, $4, $5)`,
				p.ID, c.CategoryID, c.CommissionBps, c.Min, c.Max); err != nil {
				return err
			}
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap(op, err, "plan")
}

const planCols = `id, code, name, currency, deposit_minor, yearly_fee_minor, commission_bps, commission_min_minor, commission_max_minor, created_at, reserve_bps, reserve_days,
	COALESCE((SELECT json_group_array(json_object('category_id', category_id, 'commission_bps', commission_bps, 'min_per_line', min_minor, 'max_per_line', max_minor)) FROM plan_commissions WHERE plan_id = plans.id), '[]')`

func (s *Merchants) planCols() string {
	if s.db.Engine == Postgres {
		return `id, code, name, currency, deposit_minor, yearly_fee_minor, commission_bps, commission_min_minor, commission_max_minor, created_at, reserve_bps, reserve_days,
	COALESCE((SELECT json_agg(json_build_object('category_id', category_id, 'commission_bps', commission_bps, 'min_per_line', min_minor, 'max_per_line', max_minor))::text FROM plan_commissions WHERE plan_id = plans.id), '[]')`
	}
	return planCols
}

func scanPlan(row interface{ Scan(...any) error }) (merchant.Plan, error) {
	var p merchant.Plan
	var cur, cats string
	err := row.Scan(&p.ID, &p.Code, &p.Name, &cur, &p.Deposit.Minor, &p.YearlyFee.Minor, &p.CommissionBps, &p.CommissionMin, &p.CommissionMax, &p.CreatedAt, &p.ReserveBps, &p.ReserveDays, &cats)
	if err != nil {
		return p, err
	}
	p.Deposit.Currency, p.YearlyFee.Currency = cur, cur
	p.CreatedAt = p.CreatedAt.UTC()
	p.Categories = []merchant.CategoryCommission{}
	return p, json.Unmarshal([]byte(cats), &p.Categories)
}

// Plan implements merchant.Store.
func (s *Merchants) Plan(ctx context.Context, id string) (merchant.Plan, error) {
	p, err := scanPlan(s.db.QueryRowContext(ctx, `SELECT `+s.planCols()+` FROM plans WHERE id = $1`, id))
	return p, wrap("sqlstore.Plan", err, "plan")
}

// ListPlans implements merchant.Store.
func (s *Merchants) ListPlans(ctx context.Context) ([]merchant.Plan, error) {
	const op = "sqlstore.ListPlans"
	rows, err := s.db.QueryContext(ctx, `SELECT `+s.planCols()+` FROM plans ORDER BY code`)
	if err != nil {
		return nil, wrap(op, err, "plan")
	}
	defer rows.Close()
	out := []merchant.Plan{}
	for rows.Next() {
		p, err := scanPlan(rows)
		if err != nil {
			return nil, wrap(op, err, "plan")
		}
		out = append(out, p)
	}
	return out, wrap(op, rows.Err(), "plan")
}

// CreateProgramme implements merchant.Store.
func (s *Merchants) CreateProgramme(ctx context.Context, p merchant.Programme, ev events.Event) error {
	const op = "sqlstore.CreateProgramme"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO programmes (id, code, name, description, countries, deposit_discount_bps,
			yearly_fee_discount_bps, commission_discount_bps, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			p.ID, p.Code, p.Name, p.Description, jsonText(p.Countries), p.DepositDiscountBps, p.YearlyFeeDiscountBps, p.CommissionDiscountBps, p.CreatedAt); err != nil {
			return wrap(op, err, "a programme with this code")
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap(op, err, "programme")
}

const programmeCols = `id, code, name, description, countries, deposit_discount_bps, yearly_fee_discount_bps, commission_discount_bps, created_at`

func scanProgramme(row interface{ Scan(...any) error }) (merchant.Programme, error) {
	var p merchant.Programme
	var countries string
	if err := row.Scan(&p.ID, &p.Code, &p.Name, &p.Description, &countries, &p.DepositDiscountBps, &p.YearlyFeeDiscountBps,
		&p.CommissionDiscountBps, &p.CreatedAt); err != nil {
		return p, err
	}
	p.CreatedAt = p.CreatedAt.UTC()
	return p, json.Unmarshal([]byte(countries), &p.Countries)
}

// Programme implements merchant.Store.
func (s *Merchants) Programme(ctx context.Context, id string) (merchant.Programme, error) {
	p, err := scanProgramme(s.db.QueryRowContext(ctx, `SELECT `+programmeCols+` FROM programmes WHERE id = $1`, id))
	return p, wrap("sqlstore.Programme", err, "programme")
}

// ListProgrammes implements merchant.Store.
func (s *Merchants) ListProgrammes(ctx context.Context) ([]merchant.Programme, error) {
	const op = "sqlstore.ListProgrammes"
	rows, err := s.db.QueryContext(ctx, `SELECT `+programmeCols+` FROM programmes ORDER BY code`)
	if err != nil {
		return nil, wrap(op, err, "programme")
	}
	defer rows.Close()
	out := []merchant.Programme{}
	for rows.Next() {
		p, err := scanProgramme(rows)
		if err != nil {
			return nil, wrap(op, err, "programme")
		}
		out = append(out, p)
	}
	return out, wrap(op, rows.Err(), "programme")
}

// AssignPlan implements merchant.Store.
func (s *Merchants) AssignPlan(ctx context.Context, merchantID, planID, programmeID string, ev events.Event) error {
	const op = "sqlstore.AssignPlan"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE merchants SET plan_id = $1, programme_id = $2, updated_at = $3 WHERE id = $4`,
			planID, nullStr(programmeID), ev.At, merchantID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(op, errs.NotFound, "merchant not found")
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap(op, err, "merchant")
}
