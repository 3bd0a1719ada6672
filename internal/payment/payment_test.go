package payment_test

import (
	"context"
	"testing"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/payment"
)

// TestSandboxIsDeterministic: the token decides the outcome, the key the
// charge's id (a retried charge is the same charge), and bad input is
// refused.
func TestSandboxIsDeterministic(t *testing.T) {
	ctx := context.Background()
	s := payment.Sandbox{}
	eur := money.Amount{Minor: 100, Currency: "EUR"}
	for tok, want := range map[string]payment.Status{payment.TokenSuccess: payment.Captured, payment.TokenDecline: payment.Failed, payment.TokenRequiresAction: payment.RequiresAction} {
		a, err := s.Charge(ctx, payment.Charge{Key: "k-" + tok, Amount: eur, Token: tok})
		b, _ := s.Charge(ctx, payment.Charge{Key: "k-" + tok, Amount: eur, Token: tok})
		if err != nil || a.Status != want || a.Ref != b.Ref {
			t.Errorf("%s: %+v %+v %v", tok, a, b, err)
		}
	}
	if a, _ := s.Charge(ctx, payment.Charge{Key: "other", Amount: eur, Token: payment.TokenSuccess}); a.Ref == "" {
		t.Error("no ref")
	}
	for _, c := range []payment.Charge{{Key: "", Amount: eur, Token: payment.TokenSuccess}, {Key: "k", Amount: money.Amount{Currency: "EUR"}, Token: payment.TokenSuccess},
		{Key: "k", Amount: eur, Token: "4242424242424242"}} {
		if _, err := s.Charge(ctx, c); !errs.Is(err, errs.Invalid) {
			t.Errorf("%+v: %v", c, err)
		}
	}
}
