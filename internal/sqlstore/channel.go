package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
)

// Channels is the channel store.
type Channels struct{ db *DB }

// Channels returns the channel store.
func (db *DB) Channels() *Channels { return &Channels{db} }

var _ channel.Store = (*Channels)(nil)

const channelCols = `id, code, name, description, markets, languages, currencies, default_language, admission, created_at`

const channelReadCols = channelCols + `, catalog_version`

func scanChannel(row interface{ Scan(...any) error }) (channel.Channel, error) {
	var c channel.Channel
	var markets, langs, curs, adm string
	if err := row.Scan(&c.ID, &c.Code, &c.Name, &c.Description, &markets, &langs, &curs, &c.DefaultLanguage, &adm, &c.CreatedAt, &c.CatalogVersion); err != nil {
		return c, err
	}
	c.Admission = channel.Admission(adm)
	c.CreatedAt = c.CreatedAt.UTC()
	for _, f := range []struct {
		s string
		v *[]string
	}{{markets, &c.Markets}, {langs, &c.Languages}, {curs, &c.Currencies}} {
		if err := json.Unmarshal([]byte(f.s), f.v); err != nil {
			return c, err
		}
	}
	return c, nil
}

// CreateChannel implements channel.Store.
func (s *Channels) CreateChannel(ctx context.Context, c channel.Channel, ev events.Event) error {
	const op = "sqlstore.CreateChannel"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO channels (`+channelCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			c.ID, c.Code, c.Name, c.Description, jsonText(c.Markets), jsonText(c.Languages), jsonText(c.Currencies), c.DefaultLanguage,
			string(c.Admission), c.CreatedAt); err != nil {
			return wrap(op, err, "a channel with this code")
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap(op, err, "channel")
}

// Channel implements channel.Store.
func (s *Channels) Channel(ctx context.Context, idOrCode string) (channel.Channel, error) {
	c, err := scanChannel(s.db.QueryRowContext(ctx, `SELECT `+channelReadCols+` FROM channels WHERE id = $1 OR code = $1`, idOrCode))
	return c, wrap("sqlstore.Channel", err, "channel "+idOrCode)
}

// ListChannels implements channel.Store.
func (s *Channels) ListChannels(ctx context.Context) ([]channel.Channel, error) {
	const op = "sqlstore.ListChannels"
	rows, err := s.db.QueryContext(ctx, `SELECT `+channelReadCols+` FROM channels ORDER BY code`)
	if err != nil {
		return nil, wrap(op, err, "channel")
	}
	defer rows.Close()
	out := []channel.Channel{}
	for rows.Next() {
		c, err := scanChannel(rows)
		if err != nil {
			return nil, wrap(op, err, "channel")
		}
		out = append(out, c)
	}
	return out, wrap(op, rows.Err(), "channel")
}

// Admit implements channel.Store.
func (s *Channels) Admit(ctx context.Context, channelID string, r channel.Rules, at time.Time, ev events.Event) error {
	const op = "sqlstore.Admit"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		for _, m := range r.Merchants {
			if _, err := tx.ExecContext(ctx, `INSERT INTO channel_merchants (channel_id, merchant_id, admitted_at) VALUES ($1, $2, $3)
				ON CONFLICT DO NOTHING`, channelID, m, at); err != nil {
				if classify(err) == foreignKeyViolation {
					return errs.Field(op, "merchant_ids", "no merchant "+m)
				}
				return err
			}
		}
		for _, b := range r.Brands {
			if _, err := tx.ExecContext(ctx, `INSERT INTO channel_brands (channel_id, brand_id, admitted_at) VALUES ($1, $2, $3)
				ON CONFLICT DO NOTHING`, channelID, b, at); err != nil {
				if classify(err) == foreignKeyViolation {
					return errs.Field(op, "brand_ids", "no brand "+b)
				}
				return err
			}
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap(op, err, "admission")
}

// Revoke implements channel.Store. Listings that no longer pass the listing
// rule are removed in the same transaction, so the channel never shows them
// again.
func (s *Channels) Revoke(ctx context.Context, channelID string, r channel.Rules, ev events.Event) error {
	const op = "sqlstore.Revoke"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		// Writing the channel row first serialises this with listings (see lockForListing).
		if err := bumpChannel(ctx, tx, channelID); err != nil {
			return err
		}
		for _, m := range r.Merchants {
			if _, err := tx.ExecContext(ctx, `DELETE FROM channel_merchants WHERE channel_id = $1 AND merchant_id = $2`, channelID, m); err != nil {
				return err
			}
		}
		for _, b := range r.Brands {
			if _, err := tx.ExecContext(ctx, `DELETE FROM channel_brands WHERE channel_id = $1 AND brand_id = $2`, channelID, b); err != nil {
				return err
			}
		}
		// Every listing of the channel is re-checked against the listing rule;
		// those that fail it now are removed.
		if err := recheckListings(ctx, tx, removeFailing, events.RemovedRevoked, ev.At, `channel_id = $1`, channelID); err != nil {
			return err
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap(op, err, "admission")
}

// Rules implements channel.Store.
func (s *Channels) Rules(ctx context.Context, channelID string) (channel.Rules, error) {
	const op = "sqlstore.Rules"
	r := channel.Rules{Merchants: []string{}, Brands: []string{}}
	var err error
	if r.Merchants, err = s.strings(ctx, `SELECT merchant_id FROM channel_merchants WHERE channel_id = $1 ORDER BY merchant_id`, channelID); err != nil {
		return r, wrap(op, err, "admission")
	}
	r.Brands, err = s.strings(ctx, `SELECT brand_id FROM channel_brands WHERE channel_id = $1 ORDER BY brand_id`, channelID)
	return r, wrap(op, err, "admission")
}

func (s *Channels) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	return queryStrings(ctx, s.db, q, args...)
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func queryStrings(ctx context.Context, db querier, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// CreatePavilion implements channel.Store.
func (s *Channels) CreatePavilion(ctx context.Context, p channel.Pavilion, ev events.Event) error {
	const op = "sqlstore.CreatePavilion"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO pavilions (id, channel_id, slug, name, description, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			p.ID, p.ChannelID, p.Slug, p.Name, p.Description, p.CreatedAt); err != nil {
			return wrap(op, err, "a pavilion with this slug")
		}
		if err := addPavilionMerchants(ctx, tx, p.ID, p.MerchantIDs); err != nil {
			return err
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap(op, err, "pavilion")
}

func addPavilionMerchants(ctx context.Context, tx *sql.Tx, pavilionID string, merchantIDs []string) error {
	for _, m := range merchantIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO pavilion_merchants (pavilion_id, merchant_id, position)
			VALUES ($1, $2, (SELECT COUNT(*) FROM pavilion_merchants WHERE pavilion_id = $1)) ON CONFLICT DO NOTHING`, pavilionID, m); err != nil {
			if classify(err) == foreignKeyViolation {
				return errs.Field("sqlstore.AddPavilionMerchants", "merchant_ids", "no merchant "+m)
			}
			return err
		}
	}
	return nil
}

// AddPavilionMerchants implements channel.Store.
func (s *Channels) AddPavilionMerchants(ctx context.Context, pavilionID string, merchantIDs []string, ev events.Event) error {
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if err := addPavilionMerchants(ctx, tx, pavilionID, merchantIDs); err != nil {
			return err
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap("sqlstore.AddPavilionMerchants", err, "pavilion")
}

// Pavilion implements channel.Store.
func (s *Channels) Pavilion(ctx context.Context, id string) (channel.Pavilion, error) {
	const op = "sqlstore.Pavilion"
	var p channel.Pavilion
	err := s.db.QueryRowContext(ctx, `SELECT id, channel_id, slug, name, description, created_at FROM pavilions WHERE id = $1`, id).
		Scan(&p.ID, &p.ChannelID, &p.Slug, &p.Name, &p.Description, &p.CreatedAt)
	if err != nil {
		return p, wrap(op, err, "pavilion")
	}
	p.CreatedAt = p.CreatedAt.UTC()
	p.MerchantIDs, err = s.strings(ctx, `SELECT merchant_id FROM pavilion_merchants WHERE pavilion_id = $1 ORDER BY position, merchant_id`, id)
	return p, wrap(op, err, "pavilion")
}

// ListPavilions implements channel.Store. One query joins the pavilions to
// their merchants, so a channel with many pavilions costs one round trip
// (not one per pavilion) and every pavilion is read in one snapshot.
func (s *Channels) ListPavilions(ctx context.Context, channelID string) ([]channel.Pavilion, error) {
	const op = "sqlstore.ListPavilions"
	rows, err := s.db.QueryContext(ctx, `SELECT p.id, p.channel_id, p.slug, p.name, p.description, p.created_at, COALESCE(pm.merchant_id, '')
		FROM pavilions p LEFT JOIN pavilion_merchants pm ON pm.pavilion_id = p.id
		WHERE p.channel_id = $1 ORDER BY p.name, p.id, pm.position, pm.merchant_id`, channelID)
	if err != nil {
		return nil, wrap(op, err, "pavilion")
	}
	defer rows.Close()
	out := []channel.Pavilion{}
	for rows.Next() {
		var p channel.Pavilion
		var m string
		if err := rows.Scan(&p.ID, &p.ChannelID, &p.Slug, &p.Name, &p.Description, &p.CreatedAt, &m); err != nil {
			return nil, wrap(op, err, "pavilion")
		}
		if n := len(out); n == 0 || out[n-1].ID != p.ID {
			p.CreatedAt = p.CreatedAt.UTC()
			p.MerchantIDs = []string{}
			out = append(out, p)
		}
		if m != "" {
			last := &out[len(out)-1]
			last.MerchantIDs = append(last.MerchantIDs, m)
		}
	}
	return out, wrap(op, rows.Err(), "pavilion")
}

// bumpChannel writes channel id's row (counting what it lists), which takes
// the row's lock: listings, unlistings and revocations of one channel run
// one after the other. Edits of listed products do not take it; caches
// follow catalog_buckets (bumpBuckets).
func bumpChannel(ctx context.Context, tx *sql.Tx, id string) error {
	_, err := tx.ExecContext(ctx, `UPDATE channels SET catalog_version = catalog_version + 1 WHERE id = $1`, id)
	return err
}

// Protection implements channel.Store.
func (s *Channels) Protection(ctx context.Context, channelID string) (channel.Protection, error) {
	p := channel.Protection{ChannelID: channelID}
	var bps int
	err := s.db.QueryRowContext(ctx, `SELECT protection_days, unconfirmed_days, extension_days, late_coupon_bps FROM channel_protection WHERE channel_id = $1`, channelID).
		Scan(&p.Days, &p.UnconfirmedDays, &p.ExtensionDays, &bps)
	p.LateCouponBps = &bps
	return p, wrap("sqlstore.Protection", err, "channel protection")
}

// PutProtection implements channel.Store.
func (s *Channels) PutProtection(ctx context.Context, p channel.Protection, at time.Time, ev events.Event) error {
	const op = "sqlstore.PutProtection"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := execIn(ctx, tx, `INSERT INTO channel_protection (channel_id, protection_days, unconfirmed_days, extension_days, late_coupon_bps, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (channel_id) DO UPDATE SET protection_days = excluded.protection_days, unconfirmed_days = excluded.unconfirmed_days,
			extension_days = excluded.extension_days, late_coupon_bps = excluded.late_coupon_bps, updated_at = excluded.updated_at`,
			p.ChannelID, p.Days, p.UnconfirmedDays, p.ExtensionDays, p.LateCoupon(), at.UTC()); err != nil {
			return err
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap(op, err, "channel")
}

// Sharing implements channel.Store.
func (s *Channels) Sharing(ctx context.Context, channelID string) (channel.Sharing, error) {
	sh := channel.Sharing{ChannelID: channelID}
	err := s.db.QueryRowContext(ctx, `SELECT commission_bps FROM channel_sharing WHERE channel_id = $1`, channelID).Scan(&sh.CommissionBps)
	return sh, wrap("sqlstore.Sharing", err, "channel sharing")
}

// PutSharing implements channel.Store.
func (s *Channels) PutSharing(ctx context.Context, sh channel.Sharing, at time.Time, ev events.Event) error {
	const op = "sqlstore.PutSharing"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := execIn(ctx, tx, `INSERT INTO channel_sharing (channel_id, commission_bps, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (channel_id) DO UPDATE SET commission_bps = excluded.commission_bps, updated_at = excluded.updated_at`,
			sh.ChannelID, sh.CommissionBps, at.UTC()); err != nil {
			return err
		}
		return insertEvents(ctx, tx, []events.Event{ev})
	})
	return wrap(op, err, "channel")
}
