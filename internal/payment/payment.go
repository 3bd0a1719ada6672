// Package payment takes buyers' money through providers behind one
// interface: a deterministic sandbox for the demo and tests, and Stripe.
// No card number ever reaches Sesame: a client hands the provider's token
// (a Stripe payment method, a sandbox token) and Sesame charges it.
package payment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/money"
)

// Status is where a charge stands at its provider.
type Status string

// The statuses.
const (
	// Captured: the money is taken.
	Captured Status = "captured"
	// RequiresAction: the buyer must confirm (3-D Secure); Confirm follows.
	RequiresAction Status = "requires_action"
	// Failed: declined; nothing was taken.
	Failed Status = "failed"
	// Refunded: given back in full.
	Refunded Status = "refunded"
)

// Charge asks a provider for money. Key makes it idempotent at the
// provider: a charge retried with the same key (after a crash, a timeout)
// returns the first one's result and never takes the money twice.
type Charge struct {
	Key    string
	Amount money.Amount
	Token  string
	// Description is what the buyer's statement shows.
	Description string
}

// Result is a provider's answer about a charge.
type Result struct {
	Ref    string // the provider's id of the charge
	Status Status
	// Reason says why a charge failed, in words a buyer can read.
	Reason string
}

// Provider takes and returns money.
type Provider interface {
	// Name is the provider's name in the API ("sandbox", "stripe").
	Name() string
	// Charge takes c.Amount with c.Token. A decline is a Result with status
	// Failed, not an error; errors are the provider's being unreachable
	// (Unavailable) or refusing the request (Invalid).
	Charge(ctx context.Context, c Charge) (Result, error)
	// Confirm completes a charge that required the buyer's action.
	Confirm(ctx context.Context, ref string) (Result, error)
	// Refund returns amount of charge ref; key makes it idempotent.
	Refund(ctx context.Context, ref, key string, amount money.Amount) (Result, error)
	// Transfer pays amount out to account, a merchant's account at the
	// provider (a Stripe Connect account, acct_…); key makes it idempotent:
	// a transfer retried with the same key is the same transfer. Errors:
	// Invalid (the provider refused it), Unavailable.
	Transfer(ctx context.Context, key, account string, amount money.Amount) (Result, error)
}

// Paid is the status of a transfer made.
const Paid Status = "paid"

// The sandbox provider's tokens.
const (
	TokenSuccess        = "tok_success"
	TokenDecline        = "tok_decline"
	TokenRequiresAction = "tok_requires_action"
)

// Sandbox is a deterministic provider for the demo and tests: the token
// alone decides the outcome (tok_success captures, tok_decline fails,
// tok_requires_action waits for Confirm), and the charge's ref is derived
// from its key, so that a retried charge is the same charge. With Books,
// it records what it did, as a real provider does, for reconciliation;
// without, it keeps no state.
type Sandbox struct {
	Books Books
	// Now is the sandbox's clock (time.Now when nil).
	Now func() time.Time
}

// now is the time on the sandbox's clock, in UTC.
func (s Sandbox) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Name implements Provider.
func (Sandbox) Name() string { return "sandbox" }

// ref derives the sandbox's charge id from an idempotency key.
func ref(prefix, key string) string {
	h := sha256.Sum256([]byte(key))
	return prefix + hex.EncodeToString(h[:12])
}

// Charge implements Provider.
func (s Sandbox) Charge(ctx context.Context, c Charge) (Result, error) {
	const op = "payment.SandboxCharge"
	if c.Key == "" {
		return Result{}, errs.E(op, errs.Invalid, "a charge needs an idempotency key")
	}
	if c.Amount.Minor <= 0 {
		return Result{}, errs.Field(op, "amount", "a charge is of a positive amount")
	}
	r := Result{Ref: ref("sbx_ch_", c.Key)}
	switch c.Token {
	case TokenSuccess:
		r.Status = Captured
	case TokenDecline:
		r.Status, r.Reason = Failed, "Your card was declined."
		return r, nil
	case TokenRequiresAction:
		r.Status = RequiresAction
	default:
		return Result{}, errs.Field(op, "payment.token", "unknown sandbox token: use tok_success, tok_decline or tok_requires_action")
	}
	return r, s.record(ctx, Txn{Type: TxnCharge, Ref: r.Ref, Amount: c.Amount}, r.Status == Captured)
}

// Confirm implements Provider: a sandbox charge that required action is
// captured on confirmation.
func (s Sandbox) Confirm(ctx context.Context, ref string) (Result, error) {
	if !strings.HasPrefix(ref, "sbx_ch_") {
		return Result{}, errs.E("payment.SandboxConfirm", errs.NotFound, "no such sandbox charge")
	}
	if s.Books != nil {
		if err := s.Books.Capture(ctx, ref, s.now()); err != nil {
			return Result{}, errs.E("payment.SandboxConfirm", errs.Unavailable, err)
		}
	}
	return Result{Ref: ref, Status: Captured}, nil
}

// Refund implements Provider.
func (s Sandbox) Refund(ctx context.Context, charge, key string, amount money.Amount) (Result, error) {
	if !strings.HasPrefix(charge, "sbx_ch_") {
		return Result{}, errs.E("payment.SandboxRefund", errs.NotFound, "no such sandbox charge")
	}
	r := Result{Ref: ref("sbx_re_", key), Status: Refunded}
	return r, s.record(ctx, Txn{Type: TxnRefund, Ref: r.Ref, Amount: amount}, true)
}

// Transfer implements Provider: a sandbox transfer to any account is made,
// its ref derived from its key.
func (s Sandbox) Transfer(ctx context.Context, key, account string, amount money.Amount) (Result, error) {
	const op = "payment.SandboxTransfer"
	if key == "" {
		return Result{}, errs.E(op, errs.Invalid, "a transfer needs an idempotency key")
	}
	if amount.Minor <= 0 {
		return Result{}, errs.Field(op, "amount", "a transfer is of a positive amount")
	}
	r := Result{Ref: ref("sbx_tr_", key), Status: Paid}
	return r, s.record(ctx, Txn{Type: TxnTransfer, Ref: r.Ref, Amount: amount}, true)
}
