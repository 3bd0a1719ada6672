package payment

import (
	"context"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v82"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/money"
)

// TxnType is what a provider's balance transaction moved.
type TxnType string

// The balance transactions Sesame reconciles.
const (
	TxnCharge   TxnType = "charge"
	TxnRefund   TxnType = "refund"
	TxnTransfer TxnType = "transfer"
)

// Txn is one of a provider's balance transactions: a charge captured, a
// refund or a transfer out, by the ref Sesame holds of it (a charge's is
// its payment's, a Stripe PaymentIntent's id), with its amount (never
// negative: Type says which way it went).
type Txn struct {
	Type   TxnType
	Ref    string
	Amount money.Amount
	At     time.Time
}

// Reporter is a provider that lists its balance transactions, which
// reconciliation compares with Sesame's ledger.
type Reporter interface {
	// Transactions passes the balance transactions created in [from, to)
	// to fn, in no particular order. Errors: Unavailable, and fn's.
	Transactions(ctx context.Context, from, to time.Time, fn func(Txn) error) error
}

// Books are the sandbox's own records of what it did, as a real provider
// keeps them: a charge captured (or waiting for the buyer's action, until
// captured), a refund, a transfer, each once by its ref.
type Books interface {
	// Record writes t once: a ref recorded already is left as it is.
	// Captured says whether a charge is captured yet.
	Record(ctx context.Context, t Txn, captured bool) error
	// Capture marks the charge ref captured.
	Capture(ctx context.Context, ref string, at time.Time) error
	// Transactions lists the captured charges, refunds and transfers
	// created in [from, to).
	Transactions(ctx context.Context, from, to time.Time, fn func(Txn) error) error
}

// Transactions implements Reporter from the sandbox's books. Errors:
// Unavailable (a sandbox without books keeps no record).
func (s Sandbox) Transactions(ctx context.Context, from, to time.Time, fn func(Txn) error) error {
	if s.Books == nil {
		return errs.E("payment.SandboxTransactions", errs.Unavailable, "this sandbox keeps no books")
	}
	return s.Books.Transactions(ctx, from, to, fn)
}

// record writes t to the sandbox's books, if it keeps any.
func (s Sandbox) record(ctx context.Context, t Txn, captured bool) error {
	if s.Books == nil {
		return nil
	}
	t.At = s.now()
	if err := s.Books.Record(ctx, t, captured); err != nil {
		return errs.E("payment.Sandbox", errs.Unavailable, err)
	}
	return nil
}

// Transactions implements Reporter with Stripe's balance transactions of
// the period, each charge's expanded to its PaymentIntent (the ref Sesame
// holds), pages followed to the end. Other kinds (fees, payouts to the
// platform's bank) are not Sesame's and are left out.
func (s *Stripe) Transactions(ctx context.Context, from, to time.Time, fn func(Txn) error) error {
	p := &stripe.BalanceTransactionListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: from.Unix(), LesserThan: to.Unix()}}
	p.Limit = stripe.Int64(100)
	p.AddExpand("data.source")
	for bt, err := range s.client.V1BalanceTransactions.List(ctx, p) {
		if err != nil {
			return errs.E("payment.StripeTransactions", errs.Unavailable, err)
		}
		t := Txn{Amount: money.Amount{Minor: max(bt.Amount, -bt.Amount), Currency: strings.ToUpper(string(bt.Currency))}, At: time.Unix(bt.Created, 0).UTC()}
		if bt.Source != nil {
			t.Ref = bt.Source.ID
		}
		switch bt.Type {
		case stripe.BalanceTransactionTypeCharge, stripe.BalanceTransactionTypePayment:
			t.Type = TxnCharge
			if bt.Source != nil && bt.Source.Charge != nil && bt.Source.Charge.PaymentIntent != nil {
				t.Ref = bt.Source.Charge.PaymentIntent.ID
			}
		case stripe.BalanceTransactionTypeRefund, stripe.BalanceTransactionTypePaymentRefund:
			t.Type = TxnRefund
		case stripe.BalanceTransactionTypeTransfer:
			t.Type = TxnTransfer
		default:
			continue
		}
		if err := fn(t); err != nil {
			return err
		}
	}
	return nil
}
