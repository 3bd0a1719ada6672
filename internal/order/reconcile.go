package order

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/payment"
)

// ProviderRecord is what Sesame recorded of a movement at a provider: a
// payment captured (Of its checkout), a refund (Of its order) or a payout
// transferred (Of the payout), by the provider's ref.
type ProviderRecord struct {
	Type   payment.TxnType
	Ref    string
	Amount money.Amount
	At     time.Time
	Of     string
}

// ReconcileStore is what reconciliation reads of the store.
type ReconcileStore interface {
	// ProviderRecords passes what Sesame recorded at provider in
	// [from, to) to fn.
	ProviderRecords(ctx context.Context, provider string, from, to time.Time, fn func(ProviderRecord) error) error
}

// The kinds of difference reconciliation finds.
const (
	// DiffMissingAtProvider: Sesame recorded it; the provider has no such
	// transaction (or Sesame has no ref of it).
	DiffMissingAtProvider = "missing_at_provider"
	// DiffMissingInSesame: the provider has it; Sesame recorded nothing.
	DiffMissingInSesame = "missing_in_sesame"
	// DiffAmount: both have it, for different amounts or kinds.
	DiffAmount = "amount_differs"
)

// Difference is one movement on which Sesame and the provider disagree.
type Difference struct {
	Kind     string        `json:"kind" enum:"missing_at_provider,missing_in_sesame,amount_differs"`
	Type     string        `json:"type" enum:"charge,refund,transfer"`
	Ref      string        `json:"ref" doc:"The provider's id of the movement (empty: Sesame recorded none)"`
	Sesame   *money.Amount `json:"sesame,omitempty" doc:"What Sesame recorded"`
	Provider *money.Amount `json:"provider,omitempty" doc:"What the provider has"`
	Of       string        `json:"of,omitempty" doc:"What Sesame recorded it for: a checkout (charge), an order (refund), a payout (transfer)"`
	At       time.Time     `json:"at"`
}

// ReconTotal sums one type of movement in one currency, on each side.
type ReconTotal struct {
	Type     string       `json:"type" enum:"charge,refund,transfer"`
	Sesame   money.Amount `json:"sesame"`
	Provider money.Amount `json:"provider"`
}

// Reconciliation is the ledger's movements at a provider over a period
// against the provider's balance transactions: how many matched, the
// totals, and every difference.
type Reconciliation struct {
	Provider    string       `json:"provider"`
	From        time.Time    `json:"from"`
	To          time.Time    `json:"to"`
	Matched     int          `json:"matched" doc:"Movements both sides have, for the same amount"`
	Totals      []ReconTotal `json:"totals"`
	Differences []Difference `json:"differences"`
}

// MaxReconcileDays bounds a reconciliation's period; ReconcileSlack is
// how far around it the provider's transactions are read, so that a
// movement recorded on either side of a bound by one side is matched.
const (
	MaxReconcileDays = 31
	ReconcileSlack   = time.Hour
)

// Reconcile compares what Sesame recorded at provider in [from, to) with
// the provider's balance transactions: every charge, refund and transfer
// is matched by its ref; what only one side has, or what the sides record
// for different amounts, is listed. Operators only. Errors:
// Unauthenticated, Forbidden, Invalid (provider, period), Unavailable (the
// provider does not report, or is down).
func (s *Service) Reconcile(ctx context.Context, actor identity.Actor, provider string, from, to time.Time) (Reconciliation, error) {
	const op = "order.Reconcile"
	switch {
	case actor.IsAnonymous():
		return Reconciliation{}, errs.E(op, errs.Unauthenticated, "sign in")
	case !actor.IsOperator():
		return Reconciliation{}, errs.E(op, errs.Forbidden, "only operators reconcile the ledger")
	}
	prov, ok := s.Providers[provider]
	if !ok {
		return Reconciliation{}, errs.Field(op, "provider", "not a provider Sesame is configured with")
	}
	rep, ok := prov.(payment.Reporter)
	if !ok {
		return Reconciliation{}, errs.E(op, errs.Unavailable, "the provider does not list its balance transactions")
	}
	from, to = from.UTC(), to.UTC()
	if !to.After(from) || to.Sub(from) > MaxReconcileDays*24*time.Hour {
		return Reconciliation{}, errs.Field(op, "to", fmt.Sprintf("after from, at most %d days later", MaxReconcileDays))
	}
	theirs := map[string]payment.Txn{}
	if err := rep.Transactions(ctx, from.Add(-ReconcileSlack), to.Add(ReconcileSlack), func(t payment.Txn) error {
		theirs[string(t.Type)+" "+t.Ref] = t
		return nil
	}); err != nil {
		return Reconciliation{}, errs.E(op, errs.Unavailable, err)
	}
	r := Reconciliation{Provider: provider, From: from, To: to, Totals: []ReconTotal{}, Differences: []Difference{}}
	totals := map[[2]string]*ReconTotal{}
	total := func(typ payment.TxnType, cur string) *ReconTotal {
		k := [2]string{string(typ), cur}
		if totals[k] == nil {
			totals[k] = &ReconTotal{Type: string(typ), Sesame: money.Amount{Currency: cur}, Provider: money.Amount{Currency: cur}}
		}
		return totals[k]
	}
	err := s.Store.ProviderRecords(ctx, provider, from, to, func(m ProviderRecord) error {
		total(m.Type, m.Amount.Currency).Sesame.Minor += m.Amount.Minor
		mine := m.Amount
		key := string(m.Type) + " " + m.Ref
		t, ok := theirs[key]
		if m.Ref == "" || !ok {
			r.Differences = append(r.Differences, Difference{Kind: DiffMissingAtProvider, Type: string(m.Type), Ref: m.Ref, Sesame: &mine, Of: m.Of, At: m.At})
			return nil
		}
		delete(theirs, key)
		total(t.Type, t.Amount.Currency).Provider.Minor += t.Amount.Minor
		if t.Amount != m.Amount {
			theirAmount := t.Amount
			r.Differences = append(r.Differences, Difference{Kind: DiffAmount, Type: string(m.Type), Ref: m.Ref, Sesame: &mine, Provider: &theirAmount, Of: m.Of, At: m.At})
			return nil
		}
		r.Matched++
		return nil
	})
	if err != nil {
		return Reconciliation{}, err
	}
	for _, t := range theirs {
		if t.At.Before(from) || !t.At.Before(to) {
			continue // read for the slack: Sesame's side of it is in another period
		}
		total(t.Type, t.Amount.Currency).Provider.Minor += t.Amount.Minor
		theirAmount := t.Amount
		r.Differences = append(r.Differences, Difference{Kind: DiffMissingInSesame, Type: string(t.Type), Ref: t.Ref, Provider: &theirAmount, At: t.At})
	}
	for _, t := range totals {
		r.Totals = append(r.Totals, *t)
	}
	slices.SortFunc(r.Totals, func(a, b ReconTotal) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Sesame.Currency, b.Sesame.Currency))
	})
	slices.SortFunc(r.Differences, func(a, b Difference) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Type, b.Type), cmp.Compare(a.Ref, b.Ref))
	})
	return r, nil
}
