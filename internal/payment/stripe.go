package payment

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/money"
)

// Stripe takes payments with Stripe's PaymentIntents: the client collects
// the card with Stripe.js and hands Sesame the PaymentMethod id (pm_…) as
// the token; Sesame creates and confirms the intent, with its idempotency
// key, so that a retried charge is the same intent.
type Stripe struct {
	client *stripe.Client
}

// NewStripe returns the Stripe provider with secret key key; url, when
// set, is the API's base URL (stripe-mock's in tests).
func NewStripe(key, url string) *Stripe {
	var opts []stripe.ClientOption
	if url != "" {
		retries := int64(0)
		opts = append(opts, stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{URL: stripe.String(url),
			MaxNetworkRetries: &retries, LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull}})))
	}
	return &Stripe{client: stripe.NewClient(key, opts...)}
}

// Name implements Provider.
func (*Stripe) Name() string { return "stripe" }

// statusOf maps an intent's status to a charge's.
func statusOf(pi *stripe.PaymentIntent) Result {
	r := Result{Ref: pi.ID}
	switch pi.Status {
	case stripe.PaymentIntentStatusSucceeded:
		r.Status = Captured
	case stripe.PaymentIntentStatusRequiresAction, stripe.PaymentIntentStatusProcessing, stripe.PaymentIntentStatusRequiresConfirmation,
		stripe.PaymentIntentStatusRequiresCapture:
		r.Status = RequiresAction
	default: // requires_payment_method, canceled
		r.Status, r.Reason = Failed, "The payment was not accepted."
		if pi.LastPaymentError != nil && pi.LastPaymentError.Msg != "" {
			r.Reason = pi.LastPaymentError.Msg
		}
	}
	return r
}

// fail turns Stripe's error into a declined charge (card errors) or an
// error Sesame reports.
func fail(op string, err error) (Result, error) {
	var se *stripe.Error
	if errors.As(err, &se) {
		switch se.Type {
		case stripe.ErrorTypeCard:
			return Result{Status: Failed, Reason: se.Msg}, nil
		case stripe.ErrorTypeInvalidRequest:
			return Result{}, errs.E(op, errs.Invalid, "the payment provider refused the request: "+se.Msg)
		}
	}
	return Result{}, errs.E(op, errs.Unavailable, err)
}

// Charge implements Provider.
func (s *Stripe) Charge(ctx context.Context, c Charge) (Result, error) {
	const op = "payment.StripeCharge"
	if !strings.HasPrefix(c.Token, "pm_") {
		return Result{}, errs.Field(op, "payment.token", "a Stripe PaymentMethod id (pm_…)")
	}
	p := &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(c.Amount.Minor), Currency: stripe.String(strings.ToLower(c.Amount.Currency)),
		PaymentMethod: stripe.String(c.Token), Confirm: stripe.Bool(true), Description: stripe.String(c.Description),
		AutomaticPaymentMethods: &stripe.PaymentIntentCreateAutomaticPaymentMethodsParams{Enabled: stripe.Bool(true), AllowRedirects: stripe.String("never")}}
	p.SetIdempotencyKey(c.Key)
	pi, err := s.client.V1PaymentIntents.Create(ctx, p)
	if err != nil {
		return fail(op, err)
	}
	return statusOf(pi), nil
}

// Confirm implements Provider: the intent is read again once the buyer
// completed the bank's step.
func (s *Stripe) Confirm(ctx context.Context, ref string) (Result, error) {
	pi, err := s.client.V1PaymentIntents.Retrieve(ctx, ref, nil)
	if err != nil {
		return fail("payment.StripeConfirm", err)
	}
	return statusOf(pi), nil
}

// Refund implements Provider.
func (s *Stripe) Refund(ctx context.Context, ref, key string, amount money.Amount) (Result, error) {
	p := &stripe.RefundCreateParams{PaymentIntent: stripe.String(ref), Amount: stripe.Int64(amount.Minor)}
	p.SetIdempotencyKey(key)
	re, err := s.client.V1Refunds.Create(ctx, p)
	if err != nil {
		return fail("payment.StripeRefund", err)
	}
	return Result{Ref: re.ID, Status: Refunded}, nil
}

// Transfer implements Provider with a Connect transfer to the connected
// account (acct_…) from the platform's balance.
func (s *Stripe) Transfer(ctx context.Context, key, account string, amount money.Amount) (Result, error) {
	const op = "payment.StripeTransfer"
	if !strings.HasPrefix(account, "acct_") {
		return Result{}, errs.Field(op, "account", "a Stripe Connect account id (acct_…)")
	}
	p := &stripe.TransferCreateParams{Amount: stripe.Int64(amount.Minor), Currency: stripe.String(strings.ToLower(amount.Currency)),
		Destination: stripe.String(account), TransferGroup: stripe.String(key)}
	p.SetIdempotencyKey(key)
	tr, err := s.client.V1Transfers.Create(ctx, p)
	if err != nil {
		return fail(op, err)
	}
	return Result{Ref: tr.ID, Status: Paid}, nil
}

// Event is what a provider's webhook says about a charge.
type Event struct {
	ID     string // the provider's event id: a replayed event has the same
	Type   string
	Ref    string // the charge
	Status Status // "" when the event says nothing Sesame acts on
	Reason string
}

// WebhookEvent verifies a webhook's payload by its Stripe-Signature header
// (HMAC with secret, the timestamp within 5 minutes) and reads it. Errors:
// Unauthenticated (a bad or stale signature), Invalid.
func WebhookEvent(payload []byte, signature, secret string) (Event, error) {
	const op = "payment.StripeWebhook"
	e, err := webhook.ConstructEventWithOptions(payload, signature, secret, webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil {
		return Event{}, errs.E(op, errs.Unauthenticated, "the webhook's signature does not verify: "+err.Error())
	}
	out := Event{ID: e.ID, Type: string(e.Type)}
	if !strings.HasPrefix(out.Type, "payment_intent.") {
		return out, nil
	}
	var pi stripe.PaymentIntent
	if err := json.Unmarshal(e.Data.Raw, &pi); err != nil || pi.ID == "" {
		return Event{}, errs.E(op, errs.Invalid, "the webhook's payment intent cannot be read")
	}
	out.Ref = pi.ID
	switch e.Type {
	case "payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled":
		r := statusOf(&pi)
		out.Status, out.Reason = r.Status, r.Reason
	}
	return out, nil
}
