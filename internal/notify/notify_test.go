package notify_test

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/notify"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// mailbox is an SMTP server in the test: it keeps what it accepts and
// refuses the first refuse messages.
type mailbox struct {
	mu     sync.Mutex
	got    []string
	rcpts  []string
	refuse int
}

type session struct {
	box *mailbox
	to  []string
}

func (s *session) Reset()                                      {}
func (s *session) Logout() error                               { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error { return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error   { s.to = append(s.to, to); return nil }
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	if s.box.refuse > 0 {
		s.box.refuse--
		return &smtp.SMTPError{Code: 451, Message: "try again later"}
	}
	s.box.got = append(s.box.got, string(b))
	s.box.rcpts = append(s.box.rcpts, s.to...)
	return nil
}

func startSMTP(t *testing.T, box *mailbox) string {
	t.Helper()
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{box: box}, nil }))
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// TestOrderConfirmationIsMailedOnce: an order paid on the French bazaar
// gets its buyer one confirmation in French, even when its event is
// delivered twice; a mail the server refuses at first is sent on a later
// try, once.
func TestOrderConfirmationIsMailedOnce(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		box := &mailbox{refuse: 1}
		svc := &notify.Service{Store: db.Mails(), Sender: notify.SMTP{Addr: startSMTP(t, box), From: "Sesame <orders@sesame.example>"},
			Users: db.Identity(), Orders: db.Orders(), Channels: m.Channels, Now: time.Now}
		buyer := m.Buyer(t)
		c, _, err := m.Orders.CreateCart(ctx, buyer, order.CartInput{Channel: "bazaar"})
		if err != nil {
			t.Fatal(err)
		}
		acc := order.Access{Actor: buyer}
		if _, err := m.Orders.AddLine(ctx, acc, c.ID, order.LineInput{VariantID: m.Variants["SOAP"], Quantity: 2}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Orders.SetAddress(ctx, acc, c.ID, testkit.Paris()); err != nil {
			t.Fatal(err)
		}
		co, _, err := m.Orders.Checkout(ctx, acc, c.ID, order.CheckoutInput{Payment: order.PaymentInput{Provider: "sandbox", Token: payment.TokenSuccess}})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := db.PendingEvents(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var paid []events.Event
		for _, e := range evs {
			if e.Type == events.OrderPaid {
				paid = append(paid, e)
			}
		}
		if len(paid) != 1 {
			t.Fatalf("%d order.paid events", len(paid))
		}
		for range 2 { // delivered twice
			if err := svc.Handle(ctx, paid[0]); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := svc.SendDue(ctx); err != nil || n != 0 {
			t.Fatalf("first try, refused: %d %v", n, err)
		}
		ms, _ := svc.Recent(ctx, 10)
		if len(ms) != 1 || ms[0].Attempts != 1 || ms[0].LastError == "" || ms[0].SentAt != nil {
			t.Fatalf("after a refusal: %+v", ms)
		}
		svc.Now = func() time.Time { return time.Now().Add(time.Minute) }
		if n, err := svc.SendDue(ctx); err != nil || n != 1 {
			t.Fatalf("second try: %d %v", n, err)
		}
		if n, _ := svc.SendDue(ctx); n != 0 {
			t.Fatalf("a sent mail was sent again")
		}
		box.mu.Lock()
		defer box.mu.Unlock()
		if len(box.got) != 1 || box.rcpts[0] != "buyer1@example.com" {
			t.Fatalf("the server got %d mails for %v", len(box.got), box.rcpts)
		}
		msg := box.got[0]
		for _, want := range []string{"Content-Language: fr", "Message-ID: <mail_", co.Orders[0].ID, "Savonnerie de Provence", "Total payé", "Lavender soap", "75011 Paris"} {
			if !strings.Contains(msg, want) {
				t.Errorf("the mail lacks %q:\n%s", want, msg)
			}
		}
		if !strings.Contains(msg, "Subject: =?utf-8?q?Votre_commande") {
			t.Errorf("subject: %s", msg)
		}
	})
}
