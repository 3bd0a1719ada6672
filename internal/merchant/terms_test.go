package merchant

import (
	"testing"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/money"
)

func TestComputeTermsDiscountsExactly(t *testing.T) {
	p := Plan{ID: "plan", Deposit: money.Amount{Minor: money.MaxMinor, Currency: "EUR"}, YearlyFee: money.Amount{Minor: 15, Currency: "EUR"}, CommissionBps: 800}
	g := Programme{ID: "prog", DepositDiscountBps: 5000, YearlyFeeDiscountBps: 5000, CommissionDiscountBps: 5000}
	got, err := ComputeTerms(p, g)
	if err != nil {
		t.Fatal(err)
	}
	// Half of the largest deposit is exactly half; half of 0.15 rounds the
	// 0.075 discount half up to 0.08, leaving 0.07.
	if got.Deposit.Minor != money.MaxMinor/2 || got.YearlyFee.Minor != 7 || got.CommissionBps != 400 {
		t.Fatalf("terms = %+v", got)
	}
}

func TestComputeTermsRefusesAnAmountBeyondTheBound(t *testing.T) {
	// A deposit stored before amounts were bounded: a 50% discount once left
	// it unchanged by wrapping; now the terms are refused.
	p := Plan{ID: "plan", Deposit: money.Amount{Minor: 1<<63 - 1, Currency: "EUR"}, YearlyFee: money.Amount{Minor: 0, Currency: "EUR"}}
	_, err := ComputeTerms(p, Programme{DepositDiscountBps: 5000})
	if errs.KindOf(err) != errs.Internal {
		t.Fatalf("err = %v, want Internal", err)
	}
}
