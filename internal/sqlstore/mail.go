package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/sesame-market/sesame/internal/notify"
)

// Mails is the store of the mail queue.
type Mails struct{ db *DB }

var _ notify.Store = (*Mails)(nil)

// Mails returns the mail queue's store.
func (db *DB) Mails() *Mails { return &Mails{db} }

// QueueMail implements notify.Store.
func (s *Mails) QueueMail(ctx context.Context, m notify.Mail) error {
	_, err := s.db.exec(ctx, `INSERT INTO mails (id, dedupe, kind, to_addr, to_name, lang, subject, body, created_at, next_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (dedupe) DO NOTHING`,
		m.ID, m.Dedupe, m.Kind, m.To, m.ToName, m.Lang, m.Subject, m.Body, m.CreatedAt, m.NextAt)
	return wrap("sqlstore.QueueMail", err, "mail")
}

// Queued implements notify.Store.
func (s *Mails) Queued(ctx context.Context, dedupe string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM mails WHERE dedupe = $1`, dedupe).Scan(&n)
	return n > 0, wrap("sqlstore.Queued", err, "mail")
}

const mailCols = `id, dedupe, kind, to_addr, to_name, lang, subject, body, created_at, next_at, attempts, last_error, sent_at`

func (s *Mails) mails(ctx context.Context, q string, args ...any) ([]notify.Mail, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap("sqlstore.Mails", err, "mail")
	}
	defer rows.Close()
	out := []notify.Mail{}
	for rows.Next() {
		var (
			m    notify.Mail
			sent sql.NullTime
		)
		if err := rows.Scan(&m.ID, &m.Dedupe, &m.Kind, &m.To, &m.ToName, &m.Lang, &m.Subject, &m.Body, &m.CreatedAt, &m.NextAt, &m.Attempts, &m.LastError, &sent); err != nil {
			return nil, wrap("sqlstore.Mails", err, "mail")
		}
		m.CreatedAt, m.NextAt = m.CreatedAt.UTC(), m.NextAt.UTC()
		if sent.Valid {
			t := sent.Time.UTC()
			m.SentAt = &t
		}
		out = append(out, m)
	}
	return out, wrap("sqlstore.Mails", rows.Err(), "mail")
}

// DueMails implements notify.Store.
func (s *Mails) DueMails(ctx context.Context, now time.Time, limit int) ([]notify.Mail, error) {
	return s.mails(ctx, `SELECT `+mailCols+` FROM mails WHERE sent_at IS NULL AND next_at <= $1 ORDER BY next_at, id LIMIT $2`, now, limit)
}

// RecentMails implements notify.Store.
func (s *Mails) RecentMails(ctx context.Context, limit int) ([]notify.Mail, error) {
	return s.mails(ctx, `SELECT `+mailCols+` FROM mails ORDER BY id DESC LIMIT $1`, limit)
}

// MailSent implements notify.Store.
func (s *Mails) MailSent(ctx context.Context, id string, at time.Time) error {
	_, err := s.db.exec(ctx, `UPDATE mails SET sent_at = $1, attempts = attempts + 1, last_error = '' WHERE id = $2`, at, id)
	return wrap("sqlstore.MailSent", err, "mail")
}

// MailFailed implements notify.Store.
func (s *Mails) MailFailed(ctx context.Context, id, reason string, next time.Time) error {
	if len(reason) > 500 {
		reason = reason[:500]
	}
	_, err := s.db.exec(ctx, `UPDATE mails SET attempts = attempts + 1, last_error = $1, next_at = $2 WHERE id = $3`, reason, next, id)
	return wrap("sqlstore.MailFailed", err, "mail")
}
