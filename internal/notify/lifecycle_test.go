package notify_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/notify"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestOrderMovesAreMailedToWhomTheyConcern: a delivery mails the buyer the
// day the order confirms itself; an extension mails the merchant; a
// confirmation mails the buyer an invitation to review and the merchant
// its settlement; a cancellation after payment mails both, one before
// payment the buyer only; an operator's refund after completion mails both
// its amount and reason; a dispute's refund is mailed as the dispute's
// only. Each once, however often its event is delivered.
func TestOrderMovesAreMailedToWhomTheyConcern(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		svc := &notify.Service{Store: db.Mails(), Users: db.Identity(), Orders: db.Orders(), Merchants: db.Merchants(),
			Channels: m.Channels, Money: money.NewFormatters(16), Now: time.Now}
		buyerOf := func(o order.Order) identity.Actor { return identity.Actor{Role: identity.Buyer, UserID: o.BuyerID} }
		ship := func(o order.Order) {
			t.Helper()
			if _, err := m.Orders.Ship(ctx, m.PVStaff, o.ID, order.ShipInput{Carrier: "Colissimo", TrackingNumber: "6A12345678901"}); err != nil {
				t.Fatal(err)
			}
		}
		// Delivered, extended, confirmed by its buyer.
		kept := paidSoap(t, m, 1).Orders[0]
		ship(kept)
		if _, err := m.Orders.Deliver(ctx, m.PVStaff, kept.ID); err != nil {
			t.Fatal(err)
		}
		extended, err := m.Orders.ExtendProtection(ctx, buyerOf(kept), kept.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Orders.ConfirmDelivery(ctx, buyerOf(kept), kept.ID); err != nil {
			t.Fatal(err)
		}
		// Cancelled by its buyer once paid.
		cancelled := paidSoap(t, m, 2).Orders[0]
		if _, err := m.Orders.Cancel(ctx, buyerOf(cancelled), cancelled.ID, ""); err != nil {
			t.Fatal(err)
		}
		// Confirmed, then refunded in part by an operator.
		late := paidSoap(t, m, 3).Orders[0]
		ship(late)
		if _, err := m.Orders.ConfirmDelivery(ctx, buyerOf(late), late.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Orders.RefundCompleted(ctx, identity.System, late.ID, order.ClawbackInput{Amount: 500, Reason: "Batch recalled by the maker"}); err != nil {
			t.Fatal(err)
		}
		// Refunded in full by its dispute.
		disputed := paidSoap(t, m, 1).Orders[0]
		ship(disputed)
		d, err := m.Orders.OpenDispute(ctx, buyerOf(disputed), disputed.ID, order.DisputeInput{Reason: order.ReasonDamaged, Message: "Cassé."})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Orders.Answer(ctx, m.PVStaff, d.ID, order.AnswerInput{Action: "refund", Message: "Désolé."}); err != nil {
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
		ms, err := svc.Recent(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		pv, err := db.Merchants().Merchant(ctx, m.Provence.ID)
		if err != nil {
			t.Fatal(err)
		}
		who := func(to string) string {
			if to == pv.Trader.Email {
				return "merchant"
			}
			return "buyer"
		}
		got := map[string]notify.Mail{}
		for _, mail := range ms {
			if strings.HasPrefix(mail.Kind, "order_") && mail.Kind != "order_paid" && mail.Kind != "order_confirmation" && mail.Kind != "order_shipped" {
				o := strings.Fields(mail.Subject + " " + mail.Body)
				id := ""
				for _, w := range o {
					if strings.HasPrefix(w, "ord_") {
						id = strings.TrimRight(w, ".,:;)")
						break
					}
				}
				key := mail.Kind + " " + who(mail.To) + " " + id
				if _, dup := got[key]; dup {
					t.Errorf("%s mailed twice", key)
				}
				got[key] = mail
			}
		}
		want := map[string][]string{
			"order_delivered buyer " + kept.ID:              {"livrée", "confirmez la réception"},
			"order_protection_extended merchant " + kept.ID: {extended.ProtectionEndsAt.Format(time.DateOnly)},
			"order_confirmed buyer " + kept.ID:              {"Merci d'avoir confirmé", "avis"},
			"order_confirmed merchant " + kept.ID:           {"confirmée par son acheteur", "prochain versement"},
			"order_cancelled buyer " + cancelled.ID:         {"annulée", "remboursé"},
			"order_cancelled merchant " + cancelled.ID:      {"Ne l'expédiez pas"},
			"order_confirmed buyer " + late.ID:              {"Merci"},
			"order_confirmed merchant " + late.ID:           {"confirmée"},
			"order_refunded buyer " + late.ID:               {"5,00", "Batch recalled by the maker"},
			"order_refunded merchant " + late.ID:            {"5,00", "prochains versements", "Batch recalled by the maker"},
		}
		for key, words := range want {
			mail, ok := got[key]
			if !ok {
				t.Errorf("no %s", key)
				continue
			}
			for _, w := range words {
				if !strings.Contains(mail.Subject+"\n"+mail.Body, w) {
					t.Errorf("%s lacks %q:\n%s\n%s", key, w, mail.Subject, mail.Body)
				}
			}
			if mail.Lang != "fr" {
				t.Errorf("%s in %s", key, mail.Lang)
			}
		}
		for key := range got {
			if _, ok := want[key]; !ok {
				t.Errorf("unexpected %s", key)
			}
		}
		if t.Failed() {
			t.Logf("mails: %v", slices.Sorted(maps.Keys(got)))
		}
	})
}

// TestCompensationIsMailedToTheBuyer: a late order's buyer is mailed the
// code and value of their coupon, in the storefront's language, once.
func TestCompensationIsMailedToTheBuyer(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		svc := &notify.Service{Store: db.Mails(), Users: db.Identity(), Orders: db.Orders(), Merchants: db.Merchants(),
			Channels: m.Channels, Money: money.NewFormatters(16), Now: time.Now}
		o := paidSoap(t, m, 2).Orders[0]
		due, ok, err := order.PromiseTimer(o, m.Clock.Now())
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		m.Clock.Advance(due.DueAt.Sub(m.Clock.Now()) + time.Minute)
		if err := m.Orders.PromiseDueTimer(ctx, due); err != nil {
			t.Fatal(err)
		}
		var code string
		if err := db.QueryRowContext(ctx, `SELECT c.code FROM compensations p JOIN coupons c ON c.id = p.coupon_id WHERE p.order_id = $1`, o.ID).Scan(&code); err != nil {
			t.Fatal(err)
		}
		evs, err := db.PendingEvents(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			for range 2 {
				if err := svc.Handle(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
		}
		ms, err := svc.Recent(ctx, 50)
		if err != nil {
			t.Fatal(err)
		}
		var got []notify.Mail
		for _, mail := range ms {
			if mail.Kind == "order_compensated" {
				got = append(got, mail)
			}
		}
		value := money.NewFormatters(16).Format(money.Amount{Minor: o.Total.Minor / 10, Currency: "EUR"}, "fr")
		if len(got) != 1 || got[0].Lang != "fr" || !strings.Contains(got[0].Body, code) || !strings.Contains(got[0].Body, value) || !strings.Contains(got[0].Subject, o.ID) {
			t.Fatalf("the compensation mails (%s, %s): %+v", code, value, got)
		}
	})
}
