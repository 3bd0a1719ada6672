package notify_test

import (
	"context"
	"io"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/money"
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

// paidSoap is a new buyer's paid checkout of n soaps on the French bazaar,
// shipped to Paris.
func paidSoap(t *testing.T, m *testkit.Market, n int64) order.Checkout {
	t.Helper()
	ctx := context.Background()
	buyer := m.Buyer(t)
	acc := order.Access{Actor: buyer}
	c, _, err := m.Orders.CreateCart(ctx, buyer, order.CartInput{Channel: "bazaar"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Orders.AddLine(ctx, acc, c.ID, order.LineInput{VariantID: m.Variants["SOAP"], Quantity: n}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Orders.SetAddress(ctx, acc, c.ID, testkit.Paris()); err != nil {
		t.Fatal(err)
	}
	co, _, err := m.Orders.Checkout(ctx, acc, c.ID, order.CheckoutInput{Payment: order.PaymentInput{Provider: "sandbox", Token: payment.TokenSuccess}})
	if err != nil {
		t.Fatal(err)
	}
	return co
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
		co := paidSoap(t, m, 2)
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

// TestAccountMailsAreMailedOnce: a registration on the Chinese mall, a
// request for the verification mail again and a password reset asked for
// a French account each get exactly one mail, in the account's language,
// with a link to the storefront in that language, even when each event is
// delivered twice; the mails reach the SMTP server once each, and no event
// carries a token. A staff account's registration mails nothing; links
// past the hourly limit are not mailed.
func TestAccountMailsAreMailedOnce(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		box := &mailbox{}
		svc := &notify.Service{Store: db.Mails(), Sender: notify.SMTP{Addr: startSMTP(t, box), From: "Sesame <accounts@sesame.example>"},
			Users: db.Identity(), Channels: m.Channels, Tokens: m.Identity, PublicURL: "https://shop.example/", Now: time.Now}
		// Delivered so far: the market's own accounts (staff, mailed nothing).
		deliver := func() {
			t.Helper()
			evs, err := db.PendingEvents(ctx, 1000)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, e := range evs {
				if strings.Contains(string(e.Payload), "token") {
					t.Fatalf("an event carries a token: %s", e.Payload)
				}
				for range 2 {
					if err := svc.Handle(ctx, e); err != nil {
						t.Fatal(err)
					}
				}
				ids = append(ids, e.ID)
			}
			if err := db.MarkPublished(ctx, ids); err != nil {
				t.Fatal(err)
			}
		}
		deliver()
		if ms, _ := svc.Recent(ctx, 10); len(ms) != 0 {
			t.Fatalf("staff accounts were mailed: %+v", ms)
		}
		li, err := m.Identity.RegisterBuyer(ctx, identity.Registration{Email: "li@example.com", Name: "李伟", Password: "correct horse battery", Lang: "zh", Channel: "mall"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = m.Identity.RegisterBuyer(ctx, identity.Registration{Email: "lea@example.com", Name: "Léa", Password: "correct horse battery", Lang: "fr", Channel: "bazaar"})
		if err != nil {
			t.Fatal(err)
		}
		deliver()
		if err := m.Identity.RequestVerification(ctx, li.Actor(), ""); err != nil {
			t.Fatal(err)
		}
		if err := m.Identity.RequestPasswordReset(ctx, "lea@example.com", "bazaar"); err != nil {
			t.Fatal(err)
		}
		deliver()
		if n, err := svc.SendDue(ctx); err != nil || n != 4 {
			t.Fatalf("sent %d (%v), want 4", n, err)
		}
		ms, _ := svc.Recent(ctx, 10)
		var got []string
		for _, ml := range ms {
			got = append(got, ml.Kind+" "+ml.To+" "+ml.Lang)
		}
		slices.Sort(got)
		want := []string{"password_reset lea@example.com fr", "verify_email lea@example.com fr", "verify_email li@example.com zh", "verify_email li@example.com zh"}
		if !slices.Equal(got, want) {
			t.Fatalf("mails %v, want %v", got, want)
		}
		box.mu.Lock()
		if len(box.got) != 4 {
			t.Fatalf("the server got %d mails", len(box.got))
		}
		var reset string
		for _, msg := range box.got {
			if strings.Contains(msg, "/bazaar/fr/reset?token=") {
				reset = msg
			}
		}
		box.mu.Unlock()
		for _, w := range []string{"Content-Language: fr", "Bonjour Léa", "https://shop.example/bazaar/fr/reset?token=", "60 minutes"} {
			if !strings.Contains(reset, w) {
				t.Errorf("the reset mail lacks %q:\n%s", w, reset)
			}
		}
		for _, ml := range ms {
			if ml.To == "li@example.com" && (!strings.Contains(ml.Body, "https://shop.example/mall/zh/verify?token=") || !strings.Contains(ml.Subject, "请确认")) {
				t.Errorf("li's mail:\n%s\n%s", ml.Subject, ml.Body)
			}
		}

		// Past three links an hour, asking again mails nothing.
		for range 3 {
			if err := m.Identity.RequestPasswordReset(ctx, "lea@example.com", "bazaar"); err != nil {
				t.Fatal(err)
			}
		}
		deliver()
		if ms, _ := svc.Recent(ctx, 20); len(ms) != 6 {
			t.Fatalf("%d mails after four resets in an hour, want 6", len(ms))
		}
	})
}

// TestShipmentIsMailedOnce: an order shipped on the French bazaar gets its
// buyer one mail in French with the carrier and the tracking number, even
// when its event is delivered twice.
func TestShipmentIsMailedOnce(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		svc := &notify.Service{Store: db.Mails(), Users: db.Identity(), Orders: db.Orders(), Channels: m.Channels, Now: time.Now}
		co := paidSoap(t, m, 1)
		if _, err := m.Orders.Ship(ctx, m.PVStaff, co.Orders[0].ID, order.ShipInput{Carrier: "Colissimo", TrackingNumber: "6A12345678901"}); err != nil {
			t.Fatal(err)
		}
		evs, err := db.PendingEvents(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(evs, func(e events.Event) bool { return e.Type == events.OrderShipped })
		if i < 0 {
			t.Fatal("no order.shipped event")
		}
		for range 2 { // delivered twice
			if err := svc.Handle(ctx, evs[i]); err != nil {
				t.Fatal(err)
			}
		}
		ms, err := svc.Recent(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		var shipped []notify.Mail
		for _, mail := range ms {
			if mail.Kind == "order_shipped" {
				shipped = append(shipped, mail)
			}
		}
		if len(shipped) != 1 {
			t.Fatalf("%d shipment mails", len(shipped))
		}
		mail := shipped[0]
		for _, want := range []string{"Numéro de suivi : 6A12345678901", "Transporteur : Colissimo", co.Orders[0].ID, "75011 Paris"} {
			if !strings.Contains(mail.Body, want) {
				t.Errorf("the mail lacks %q:\n%s", want, mail.Body)
			}
		}
		if mail.Lang != "fr" || mail.To != "buyer1@example.com" || !strings.Contains(mail.Subject, "expédiée") {
			t.Errorf("mail: %s %s %q", mail.Lang, mail.To, mail.Subject)
		}
	})
}

// TestDisputeIsMailedToWhomItConcerns: a dispute opened mails the
// merchant its deadline, in its country's language; the merchant's offer
// mails the buyer theirs; the refund that closes it mails both; each once,
// however often its event is delivered.
func TestDisputeIsMailedToWhomItConcerns(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		svc := &notify.Service{Store: db.Mails(), Users: db.Identity(), Orders: db.Orders(), Merchants: db.Merchants(),
			Channels: m.Channels, Money: money.NewFormatters(16), Now: time.Now}
		co := paidSoap(t, m, 1)
		o := co.Orders[0]
		if _, err := m.Orders.Ship(ctx, m.PVStaff, o.ID, order.ShipInput{Carrier: "Colissimo", TrackingNumber: "6A12345678901"}); err != nil {
			t.Fatal(err)
		}
		buyer, err := db.Identity().UserByID(ctx, o.BuyerID)
		if err != nil {
			t.Fatal(err)
		}
		as := identity.Actor{Role: identity.Buyer, UserID: buyer.ID}
		d, err := m.Orders.OpenDispute(ctx, as, o.ID, order.DisputeInput{Reason: order.ReasonDamaged, Message: "Cassé."})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Orders.Answer(ctx, m.PVStaff, d.ID, order.AnswerInput{Action: "offer", Amount: 200, Message: "2 € ?"}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Orders.Accept(ctx, as, d.ID); err != nil {
			t.Fatal(err)
		}
		evs, err := db.PendingEvents(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			for range 2 { // delivered twice
				if err := svc.Handle(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
		}
		ms, err := svc.Recent(ctx, 50)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]notify.Mail{}
		for _, mail := range ms {
			if strings.HasPrefix(mail.Kind, "dispute_") {
				key := mail.Kind + " " + mail.To
				if _, dup := got[key]; dup {
					t.Errorf("%s mailed twice", key)
				}
				got[key] = mail
			}
		}
		pv, err := db.Merchants().Merchant(ctx, m.Provence.ID)
		if err != nil {
			t.Fatal(err)
		}
		opened, ok := got["dispute_opened "+pv.Trader.Email]
		if !ok || opened.Lang != "fr" || !strings.Contains(opened.Body, d.ReplyDueAt.Format(time.DateOnly)) || !strings.Contains(opened.Subject, o.ID) {
			t.Errorf("the merchant's mail: %+v", opened)
		}
		answered, ok := got["dispute_answered "+buyer.Email]
		if !ok || !strings.Contains(answered.Body, "2,00") {
			t.Errorf("the buyer's mail of the offer: %+v", answered)
		}
		for _, to := range []string{buyer.Email, pv.Trader.Email} {
			if c, ok := got["dispute_closed "+to]; !ok || !strings.Contains(c.Body, "2,00") {
				t.Errorf("the closing mail to %s: %+v", to, c)
			}
		}
		if len(got) != 4 {
			t.Errorf("%d dispute mails: %v", len(got), slices.Collect(maps.Keys(got)))
		}
	})
}
