// Package notify sends Sesame's e-mails: consumers of the events queue
// each mail once (one per event and purpose, however often the event is
// delivered), in the recipient's language, and the sender hands the queue
// to an SMTP server, retrying until it accepts. A mail whose acceptance
// was lost in a crash is sent again with the same Message-ID, which
// receivers use to drop the copy.
package notify

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/channel" // mails name the storefront and speak its language
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity" // the recipient's address and name
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/merchant" // a dispute mails its merchant
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/order" // an order's confirmation lists its lines
)

// Mail is one e-mail.
type Mail struct {
	ID        string     `json:"id"`
	Dedupe    string     `json:"-"`
	Kind      string     `json:"kind"`
	To        string     `json:"to"`
	ToName    string     `json:"to_name,omitempty"`
	Lang      string     `json:"lang"`
	Subject   string     `json:"subject"`
	Body      string     `json:"body"`
	CreatedAt time.Time  `json:"created_at"`
	NextAt    time.Time  `json:"-"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error,omitempty"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
}

// Store keeps the mail queue.
type Store interface {
	// QueueMail inserts m unless a mail of its Dedupe is queued already.
	QueueMail(ctx context.Context, m Mail) error
	// Queued reports whether a mail of the dedupe is queued (or sent).
	Queued(ctx context.Context, dedupe string) (bool, error)
	// DueMails returns at most limit unsent mails due at now, oldest first.
	DueMails(ctx context.Context, now time.Time, limit int) ([]Mail, error)
	// MailSent records that m was accepted at at; MailFailed that it was
	// refused, to be tried again at next.
	MailSent(ctx context.Context, id string, at time.Time) error
	MailFailed(ctx context.Context, id, reason string, next time.Time) error
	// RecentMails returns the newest mails, sent or not.
	RecentMails(ctx context.Context, limit int) ([]Mail, error)
}

// Sender hands a mail to a mail server.
type Sender interface {
	Send(ctx context.Context, m Mail) error
}

// Service queues and sends the mails.
type Service struct {
	Store  Store
	Sender Sender // nil: mails stay in the queue (and the demo's mailbox)
	Users  interface {
		UserByID(ctx context.Context, id string) (identity.User, error)
	}
	Orders interface {
		Order(ctx context.Context, id string) (order.Order, error)
	}
	// Merchants, when set, gives the dispute mails the merchant's address
	// (nil: no dispute mails).
	Merchants interface {
		Merchant(ctx context.Context, id string) (merchant.Merchant, error)
	}
	Channels interface {
		Public(ctx context.Context, idOrCode string) (channel.Channel, error)
		Channels(ctx context.Context) ([]channel.Channel, error)
	}
	// Tokens mints the tokens of the mailed links (nil: the account
	// events mail nothing).
	Tokens interface {
		MintToken(ctx context.Context, userID string, purpose identity.Purpose) (string, identity.User, error)
	}
	// PublicURL is the scheme and host the links of the mails open
	// (https://shop.example).
	PublicURL string
	Money     *money.Formatters
	Logger    *slog.Logger
	Now       func() time.Time
	// Interval is how often the sender looks for due mails (default 1 s).
	Interval time.Duration
}

// Subjects are the events the mail consumer follows.
func Subjects() []string {
	return []string{events.SubjectPrefix + "order.>", events.SubjectPrefix + "dispute.>", events.SubjectPrefix + "identity.user.>"}
}

// The kinds of mails with a link.
const (
	kindVerify = "verify_email"
	kindReset  = "password_reset"
)

// Handle is the consumer of the order and account events: an order paid
// gets its buyer's confirmation, an order shipped its tracking number, a buyer's registration and a request for
// the verification mail get a verification link, a request for a password
// reset gets a reset link, a dispute's steps mail whom they concern
// (dispute.go), and so do an order's later moves (lifecycle.go). It is idempotent: the dedupe of an order's mail
// is the order's, that of a link's mail the event's.
func (s *Service) Handle(ctx context.Context, e events.Event) error {
	switch e.Type {
	case events.UserRegistered, events.VerificationRequested:
		return s.linkMail(ctx, e, kindVerify, identity.VerifyEmail)
	case events.PasswordResetRequested:
		return s.linkMail(ctx, e, kindReset, identity.ResetPassword)
	case events.OrderPaid:
		return s.orderPaid(ctx, e)
	case events.OrderShipped:
		return s.orderMail(ctx, e, "order_shipped", orderShipped)
	case events.DisputeOpened, events.DisputeAnswered, events.DisputeEscalated, events.DisputeClosed:
		return s.disputeMail(ctx, e)
	case events.OrderDelivered, events.OrderProtectionExtended, events.OrderConfirmed, events.OrderCancelled, events.OrderRefunded:
		return s.lifecycleMail(ctx, e)
	case events.OrderCompensated:
		return s.compensationMail(ctx, e)
	}
	return nil
}

// linkMail mails the link of an account event: a token is minted for it
// and the mail queued under the event's dedupe, so that a redelivered
// event mails nothing more (were two deliveries to race, the token the
// loser minted is never sent, and expires). A person already verified is not asked again; one sent enough
// links lately is sent none.
func (s *Service) linkMail(ctx context.Context, e events.Event, kind string, purpose identity.Purpose) error {
	var p events.Account
	if err := json.Unmarshal(e.Payload, &p); err != nil || p.UserID == "" || s.Tokens == nil {
		return nil // not an event Sesame wrote, or no tokens to mail
	}
	if e.Type == events.UserRegistered && p.Role != string(identity.Buyer) {
		return nil // staff, partners and operators are given their accounts
	}
	u, err := s.Users.UserByID(ctx, p.UserID)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if purpose == identity.VerifyEmail && u.EmailVerifiedAt != nil {
		return nil
	}
	// A redelivery finds its mail queued, and mints no token: the tokens
	// of a person's hourly limit are those of the mails.
	dedupe := kind + ":" + e.ID
	if done, err := s.Store.Queued(ctx, dedupe); err != nil || done {
		return err
	}
	ch, err := s.channelFor(ctx, p.Channel, u.Lang)
	if err != nil {
		return err
	}
	raw, u, err := s.Tokens.MintToken(ctx, u.ID, purpose)
	if errs.Is(err, errs.RateLimited) {
		if s.Logger != nil {
			s.Logger.Info("mail not sent: enough links lately", "kind", kind, "user", p.UserID, "event", e.ID)
		}
		return nil
	}
	if err != nil {
		return err
	}
	page := "verify"
	if purpose == identity.ResetPassword {
		page = "reset"
	}
	pathLang := u.Lang
	if !slices.Contains(ch.Languages, pathLang) {
		pathLang = ch.DefaultLanguage
	}
	link := strings.TrimRight(s.PublicURL, "/") + "/" + ch.Code + "/" + pathLang + "/" + page + "?token=" + url.QueryEscape(raw)
	subject, body := linkMail(kind, u.Lang, ch.Name, u.Name, link, identity.TokenPolicyOf(purpose).Lifetime)
	now := s.now()
	return s.Store.QueueMail(ctx, Mail{ID: ids.New(ids.Mail), Dedupe: dedupe, Kind: kind, To: u.Email, ToName: u.Name,
		Lang: u.Lang, Subject: subject, Body: body, CreatedAt: now, NextAt: now})
}

// channelFor is the storefront whose pages a link opens: the one the
// person was on, else the first that speaks their language, else the
// first.
func (s *Service) channelFor(ctx context.Context, code, lang string) (channel.Channel, error) {
	if code != "" {
		ch, err := s.Channels.Public(ctx, code)
		if err == nil || !errs.Is(err, errs.NotFound) {
			return ch, err
		}
	}
	chs, err := s.Channels.Channels(ctx)
	if err != nil {
		return channel.Channel{}, err
	}
	if len(chs) == 0 {
		return channel.Channel{}, errs.E("notify.channelFor", errs.NotFound, "no storefront for the links")
	}
	for _, ch := range chs {
		if slices.Contains(ch.Languages, lang) {
			return ch, nil
		}
	}
	return chs[0], nil
}

// orderPaid queues the confirmation of the order an order.paid event is
// about.
func (s *Service) orderPaid(ctx context.Context, e events.Event) error {
	return s.orderMail(ctx, e, "order_paid", func(lang string, ch channel.Channel, o order.Order, name string) (string, string) {
		return orderPaid(lang, ch, o, name, func(a money.Amount) string {
			if s.Money != nil {
				return s.Money.Format(a, lang)
			}
			return a.Decimal() + " " + a.Currency
		})
	})
}

// orderMail queues the mail of kind about the order event e is about, to
// its buyer in its storefront's language, composed by compose; the dedupe
// is the kind's and the order's, so that an event delivered twice queues
// one mail.
func (s *Service) orderMail(ctx context.Context, e events.Event, kind string, compose func(lang string, ch channel.Channel, o order.Order, name string) (string, string)) error {
	var p events.OrderChange
	if err := json.Unmarshal(e.Payload, &p); err != nil || p.OrderID == "" {
		return nil // not an event Sesame wrote
	}
	o, err := s.Orders.Order(ctx, p.OrderID)
	if err != nil {
		return err
	}
	u, err := s.Users.UserByID(ctx, o.BuyerID)
	if err != nil {
		return err
	}
	ch, err := s.Channels.Public(ctx, o.ChannelID)
	if err != nil {
		return err
	}
	lang := ch.DefaultLanguage
	subject, body := compose(lang, ch, o, u.Name)
	now := s.now()
	return s.Store.QueueMail(ctx, Mail{ID: ids.New(ids.Mail), Dedupe: kind + ":" + o.ID, Kind: kind, To: u.Email, ToName: u.Name,
		Lang: lang, Subject: subject, Body: body, CreatedAt: now, NextAt: now})
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// SendDue sends the mails due now and returns how many were accepted.
func (s *Service) SendDue(ctx context.Context) (int, error) {
	if s.Sender == nil {
		return 0, nil
	}
	ms, err := s.Store.DueMails(ctx, s.now(), 50)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, m := range ms {
		if err := s.Sender.Send(ctx, m); err != nil {
			// Back off: 1 s, 2 s, 4 s… up to an hour.
			wait := min(time.Second<<min(m.Attempts, 12), time.Hour)
			if ferr := s.Store.MailFailed(ctx, m.ID, err.Error(), s.now().Add(wait)); ferr != nil {
				return sent, ferr
			}
			if s.Logger != nil {
				s.Logger.Warn("mail refused", "mail", m.ID, "to", m.To, "attempts", m.Attempts+1, "err", err)
			}
			continue
		}
		if err := s.Store.MailSent(ctx, m.ID, s.now()); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}

// Run sends due mails until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	every := s.Interval
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.SendDue(ctx); err != nil && ctx.Err() == nil && s.Logger != nil {
			s.Logger.Error("mail sender", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Recent returns the newest mails, for the demo's mailbox.
func (s *Service) Recent(ctx context.Context, limit int) ([]Mail, error) {
	return s.Store.RecentMails(ctx, limit)
}

// Mailbox is the demo's Sender: it delivers to no server; the queue is the
// mailbox the demo's page shows, each mail marked sent when it is due.
type Mailbox struct{}

// Send implements Sender.
func (Mailbox) Send(context.Context, Mail) error { return nil }
