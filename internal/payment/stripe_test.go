package payment_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/payment"
)

// stripeMock is the URL of a running stripe-mock (SESAME_STRIPE_MOCK;
// .ci/run builds and starts it).
func stripeMock(t *testing.T) string {
	u := os.Getenv("SESAME_STRIPE_MOCK")
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("SESAME_STRIPE_MOCK is not set: .ci/run starts stripe-mock")
		}
		t.Skip("SESAME_STRIPE_MOCK is not set (go install github.com/stripe/stripe-mock@latest, run it, and set it to http://127.0.0.1:12111)")
	}
	return u
}

// TestStripeAgainstStripeMock: the adapter creates and confirms a
// PaymentIntent with the buyer's PaymentMethod and its idempotency key,
// reads it again, and refunds it, speaking Stripe's real API (stripe-mock
// validates every request against Stripe's OpenAPI document).
func TestStripeAgainstStripeMock(t *testing.T) {
	s := payment.NewStripe("sk_test_123", stripeMock(t))
	ctx := context.Background()
	eur := money.Amount{Minor: 4290, Currency: "EUR"}
	r, err := s.Charge(ctx, payment.Charge{Key: "checkout/crt_1/0", Amount: eur, Token: "pm_card_visa", Description: "Sesame Bazaar"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.Ref, "pi_") || r.Status == "" {
		t.Fatalf("charge: %+v", r)
	}
	c, err := s.Confirm(ctx, r.Ref)
	if err != nil || c.Ref != r.Ref {
		t.Fatalf("confirm: %+v %v", c, err)
	}
	re, err := s.Refund(ctx, r.Ref, "refund/ord_1", eur)
	if err != nil || !strings.HasPrefix(re.Ref, "re_") || re.Status != payment.Refunded {
		t.Fatalf("refund: %+v %v", re, err)
	}
	if _, err := s.Charge(ctx, payment.Charge{Key: "k", Amount: eur, Token: "4242424242424242"}); !errs.Is(err, errs.Invalid) {
		t.Fatalf("a card number as token: %v", err)
	}
}

// TestStripeWebhookSignature: a webhook verifies by its signature and
// timestamp; a forged, tampered or stale one is refused.
func TestStripeWebhookSignature(t *testing.T) {
	const secret = "whsec_test"
	body, _ := json.Marshal(map[string]any{"id": "evt_1", "object": "event", "type": "payment_intent.succeeded", "api_version": "2025-01-27.acacia",
		"data": map[string]any{"object": map[string]any{"id": "pi_123", "object": "payment_intent", "status": "succeeded"}}})
	sign := func(payload []byte, secret string, at time.Time) string {
		return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at}).Header
	}
	ev, err := payment.WebhookEvent(body, sign(body, secret, time.Now()), secret)
	if err != nil || ev.ID != "evt_1" || ev.Ref != "pi_123" || ev.Status != payment.Captured {
		t.Fatalf("a good webhook: %+v %v", ev, err)
	}
	tampered := []byte(strings.Replace(string(body), "pi_123", "pi_999", 1))
	for name, c := range map[string]struct {
		payload []byte
		header  string
	}{
		"another secret": {body, sign(body, "whsec_other", time.Now())},
		"tampered":       {tampered, sign(body, secret, time.Now())},
		"stale":          {body, sign(body, secret, time.Now().Add(-10*time.Minute))},
		"unsigned":       {body, ""},
	} {
		if _, err := payment.WebhookEvent(c.payload, c.header, secret); !errs.Is(err, errs.Unauthenticated) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestStripeTransferAgainstStripeMock: a payout is a Connect transfer to
// the merchant's connected account, with its idempotency key; an account
// that is not a Connect account's id is refused before any request.
func TestStripeTransferAgainstStripeMock(t *testing.T) {
	s := payment.NewStripe("sk_test_123", stripeMock(t))
	ctx := context.Background()
	r, err := s.Transfer(ctx, "payout/pyt_1", "acct_1032D82eZvKYlo2C", money.Amount{Minor: 125000, Currency: "EUR"})
	if err != nil || !strings.HasPrefix(r.Ref, "tr_") || r.Status != payment.Paid {
		t.Fatalf("transfer: %+v %v", r, err)
	}
	if _, err := s.Transfer(ctx, "payout/pyt_2", "ba_123", money.Amount{Minor: 100, Currency: "EUR"}); !errs.Is(err, errs.Invalid) {
		t.Errorf("a bank account as the destination: %v", err)
	}
	sb, err := payment.Sandbox{}.Transfer(ctx, "payout/pyt_1", "sandbox", money.Amount{Minor: 100, Currency: "EUR"})
	again, _ := payment.Sandbox{}.Transfer(ctx, "payout/pyt_1", "sandbox", money.Amount{Minor: 100, Currency: "EUR"})
	if err != nil || sb.Ref != again.Ref || sb.Status != payment.Paid {
		t.Errorf("the sandbox's transfer is not the same when retried: %+v %+v %v", sb, again, err)
	}
}

// TestStripeBalanceTransactionsAgainstStripeMock: reconciliation reads
// Stripe's balance transactions of a period, their sources expanded, as
// Stripe's API answers them: each one Sesame reconciles comes out with
// its type, its ref, a positive amount and an upper-case currency.
func TestStripeBalanceTransactionsAgainstStripeMock(t *testing.T) {
	s := payment.NewStripe("sk_test_123", stripeMock(t))
	var got []payment.Txn
	from := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if err := s.Transactions(context.Background(), from, from.Add(24*time.Hour), func(tx payment.Txn) error {
		got = append(got, tx)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, tx := range got {
		if tx.Ref == "" || tx.Amount.Minor < 0 || tx.Amount.Currency != strings.ToUpper(tx.Amount.Currency) ||
			tx.Type != payment.TxnCharge && tx.Type != payment.TxnRefund && tx.Type != payment.TxnTransfer {
			t.Errorf("a balance transaction: %+v", tx)
		}
	}
	t.Logf("%d balance transactions read", len(got))
}
