package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/web"
)

// TestStripeWebhookOverHTTP: with a webhook secret configured, a signed
// payment_intent.succeeded pays the orders of the payment awaiting action
// it names; an unsigned or forged one is 401 and changes nothing; the same
// event again is acknowledged and changes nothing.
func TestStripeWebhookOverHTTP(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		f.buyingFixture()
		const secret = "whsec_test"
		svc := f.svc
		svc.StripeWebhookSecret = secret
		ws, err := web.New(web.Config{Services: svc, Logger: slog.New(slog.DiscardHandler), Ping: db.Ping, Idempotency: db.Idempotency()})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(ws)
		defer srv.Close()
		ctx := context.Background()
		payer, err := svc.Identity.Authenticate(ctx, f.cookies["payer"])
		if err != nil {
			t.Fatal(err)
		}
		co, err := svc.Orders.PaymentOf(ctx, payer, f.ids["payment"])
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(map[string]any{"id": "evt_1", "object": "event", "type": "payment_intent.succeeded",
			"data": map[string]any{"object": map[string]any{"id": co.Payment.ProviderRef, "object": "payment_intent", "status": "succeeded"}}})
		post := func(payload []byte, sig string) int {
			t.Helper()
			req, _ := http.NewRequest("POST", srv.URL+"/api/v1/webhooks/stripe", bytes.NewReader(payload))
			req.Header.Set("Content-Type", "application/json")
			if sig != "" {
				req.Header.Set("Stripe-Signature", sig)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		before := f.fingerprint()
		forged := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: "whsec_other", Timestamp: time.Now()}).Header
		for name, sig := range map[string]string{"unsigned": "", "forged": forged} {
			if st := post(body, sig); st != 401 {
				t.Errorf("%s: %d, want 401", name, st)
			}
		}
		if f.fingerprint() != before {
			t.Fatal("a refused webhook changed the database")
		}
		good := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: time.Now()}).Header
		if st := post(body, good); st != 200 {
			t.Fatalf("a signed webhook: %d", st)
		}
		// It names no Stripe charge (the fixture's payment is the
		// sandbox's): nothing moved.
		o, err := svc.Orders.Order(ctx, payer, co.Orders[0].ID)
		if err != nil || o.Status != order.PendingPayment {
			t.Fatalf("a webhook about another provider's charge moved the order: %v %v", o.Status, err)
		}
		// A payment at Stripe awaiting the bank's step: the next event pays it.
		svc.Orders.Providers["stripe"] = pendingAtStripe{}
		defer delete(svc.Orders.Providers, "stripe")
		c, _, err := svc.Orders.CreateCart(ctx, payer, order.CartInput{Channel: "bazaar"})
		if err != nil {
			t.Fatal(err)
		}
		acc := order.Access{Actor: payer}
		if _, err := svc.Orders.AddLine(ctx, acc, c.ID, order.LineInput{VariantID: f.ids["variantA"], Quantity: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Orders.SetAddress(ctx, acc, c.ID, order.Address{Name: "P", Line1: "1 rue de Rivoli", Postcode: "75001", City: "Paris", Country: "FR"}); err != nil {
			t.Fatal(err)
		}
		co, _, err = svc.Orders.Checkout(ctx, acc, c.ID, order.CheckoutInput{Payment: order.PaymentInput{Provider: "stripe", Token: "pm_card_visa"}})
		if err != nil || co.Payment.Status != payment.RequiresAction {
			t.Fatalf("a Stripe checkout: %+v %v", co.Payment, err)
		}
		body2, _ := json.Marshal(map[string]any{"id": "evt_2", "object": "event", "type": "payment_intent.succeeded",
			"data": map[string]any{"object": map[string]any{"id": co.Payment.ProviderRef, "object": "payment_intent", "status": "succeeded"}}})
		good2 := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body2, Secret: secret, Timestamp: time.Now()}).Header
		if st := post(body2, good2); st != 200 {
			t.Fatalf("a signed webhook: %d", st)
		}
		if o, _ = svc.Orders.Order(ctx, payer, co.Orders[0].ID); o.Status != order.Paid {
			t.Fatalf("after the event: %s", o.Status)
		}
		if st := post(body2, good2); st != 200 {
			t.Fatalf("the same webhook again: %d", st)
		}
	})
}

// pendingAtStripe stands for Stripe at its boundary: every charge awaits
// the bank's step, with an intent id derived from the key.
type pendingAtStripe struct{}

func (pendingAtStripe) Name() string { return "stripe" }
func (pendingAtStripe) Charge(_ context.Context, c payment.Charge) (payment.Result, error) {
	return payment.Result{Ref: "pi_" + strings.NewReplacer("/", "_").Replace(c.Key), Status: payment.RequiresAction}, nil
}
func (pendingAtStripe) Confirm(_ context.Context, ref string) (payment.Result, error) {
	return payment.Result{Ref: ref, Status: payment.RequiresAction}, nil
}
func (pendingAtStripe) Refund(_ context.Context, _, key string, _ money.Amount) (payment.Result, error) {
	return payment.Result{Ref: "re_" + key, Status: payment.Refunded}, nil
}
func (pendingAtStripe) Transfer(_ context.Context, key, _ string, _ money.Amount) (payment.Result, error) {
	return payment.Result{Ref: "tr_" + key, Status: payment.Paid}, nil
}
