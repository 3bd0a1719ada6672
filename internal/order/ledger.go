package order

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/pricing"
)

// Account is an account of the ledger of buyer protection's escrow. The
// merchant's accounts are kept per merchant and currency; the
// marketplace's (Clearing) per currency.
type Account string

// The accounts. A paid order's money is Held until the order is
// completed, then Available to pay out; Paid is what was paid out; Fees is
// the commission Sesame keeps of the merchant's orders. Clearing is the
// marketplace's: the buyers' money it collected and owes out, negative by
// what it holds for merchants.
const (
	Held      Account = "held"
	Available Account = "available"
	PaidOut   Account = "paid"
	Fees      Account = "fees"
	Clearing  Account = "clearing"
)

// PostingKind is the transition a posting records; an order has at most
// one posting of each kind.
type PostingKind string

// The posting kinds.
const (
	// PostPaid: the order was paid; its settlement is held and its
	// commission taken.
	PostPaid PostingKind = "paid"
	// PostReleased: the order was completed; its settlement is available.
	PostReleased PostingKind = "released"
	// PostReversed: the paid order was cancelled and refunded; what PostPaid
	// posted is reversed.
	PostReversed PostingKind = "reversed"
	// PostRefunded: a dispute refunded the order in full or in part; the
	// refunded share of its settlement and commission goes back to
	// clearing, and the rest of its settlement, if any, is available.
	PostRefunded PostingKind = "refunded"
	// PostPayout: a payout paid the merchant's available balance out.
	PostPayout PostingKind = "payout"
)

// Entry is one line of a posting: an amount (signed) on an account. A
// marketplace account's entry has no MerchantID.
type Entry struct {
	Account    Account      `json:"account" enum:"held,available,paid,fees,clearing"`
	MerchantID string       `json:"merchant_id,omitempty" doc:"The merchant whose account it is; absent for the marketplace's clearing account"`
	Amount     money.Amount `json:"amount" doc:"Signed: positive adds to the account's balance"`
}

// Posting is what one transition of one order writes to the ledger: its
// entries, all in the merchant's settlement currency, sum to zero.
type Posting struct {
	ID         string      `json:"id"`
	Kind       PostingKind `json:"kind" enum:"paid,released,reversed,refunded,payout"`
	OrderID    string      `json:"order_id,omitempty" doc:"The order whose move it records; absent for a payout's"`
	PayoutID   string      `json:"payout_id,omitempty" doc:"The payout it records (kind payout)"`
	MerchantID string      `json:"merchant_id"`
	Currency   string      `json:"currency"`
	Entries    []Entry     `json:"entries"`
	CreatedAt  time.Time   `json:"created_at"`
}

// Balance is an account's balance in one currency.
type Balance struct {
	Account Account      `json:"account" enum:"held,available,paid,fees,clearing"`
	Amount  money.Amount `json:"amount"`
}

// Escrow is what a paid order puts in escrow, in its merchant's settlement
// currency: the settlement the merchant is owed, and the commission Sesame
// keeps, converted at the rate the order stored (FXRounding). Their sum is
// the order's gross for the merchant in that currency: it is defined as the
// sum, so that no minor unit of a rounding is lost or invented between the
// parts. Errors: Internal (a rate the order stored that does not parse).
func Escrow(o Order) (settlement, commission money.Amount, err error) {
	settlement = o.Settlement
	commission = o.Commission
	if commission.Currency == "" {
		commission.Currency = settlement.Currency
	}
	if commission.Currency != settlement.Currency {
		r, err := money.ParseRate(o.FXRate)
		if err != nil {
			return money.Amount{}, money.Amount{}, errs.E("order.Escrow", errs.Internal, fmt.Errorf("order %s: %w", o.ID, err))
		}
		if commission, err = commission.Convert(settlement.Currency, r, pricing.FXRounding); err != nil {
			return money.Amount{}, money.Amount{}, errs.E("order.Escrow", errs.Internal, err)
		}
	}
	return settlement, commission, nil
}

// LedgerPosting is the posting of order o's move from status from (""
// when the order is placed) to status to at at, or nil when the move
// posts nothing:
//
//	paid (placed captured, or pending payment confirmed): clearing −(settlement+commission), held +settlement, fees +commission
//	completed (from shipped, delivered or disputed):      held −settlement, available +settlement
//	cancelled from paid (refunded in full):               held −settlement, fees −commission, clearing +(settlement+commission)
//	refunded, or completed with a refund, from disputed:  held −settlement, available +(settlement−s), fees −c, clearing +(s+c)
//
// where s and c are the shares of the settlement and the commission the
// dispute's refund took back (o.Refund, RefundShare).
//
// The store writes it in the transaction of the move, once per order and
// kind. Errors: as Escrow.
func LedgerPosting(o Order, from, to Status, at time.Time) (*Posting, error) {
	var kind PostingKind
	switch {
	case to == Paid && (from == "" || from == PendingPayment):
		kind = PostPaid
	case from == Disputed && (to == Refunded || to == Completed && o.Refund != nil):
		kind = PostRefunded
	case to == Completed && (from == Shipped || from == Delivered || from == Disputed):
		kind = PostReleased
	case to == Cancelled && from == Paid:
		kind = PostReversed
	default:
		return nil, nil
	}
	settle, com, err := Escrow(o)
	if err != nil {
		return nil, err
	}
	cur := settle.Currency
	mine := func(a Account, minor int64) Entry {
		return Entry{Account: a, MerchantID: o.MerchantID, Amount: money.Amount{Minor: minor, Currency: cur}}
	}
	clearing := func(minor int64) Entry {
		return Entry{Account: Clearing, Amount: money.Amount{Minor: minor, Currency: cur}}
	}
	gross := settle.Minor + com.Minor
	p := &Posting{ID: ids.New(ids.Posting), Kind: kind, OrderID: o.ID, MerchantID: o.MerchantID, Currency: cur, CreatedAt: at.UTC()}
	switch kind {
	case PostPaid:
		p.Entries = []Entry{clearing(-gross), mine(Held, settle.Minor), mine(Fees, com.Minor)}
	case PostReleased:
		p.Entries = []Entry{mine(Held, -settle.Minor), mine(Available, settle.Minor)}
	case PostReversed:
		p.Entries = []Entry{mine(Held, -settle.Minor), mine(Fees, -com.Minor), clearing(gross)}
	case PostRefunded:
		if o.Refund == nil || o.Refund.Settlement.Currency != cur || o.Refund.Settlement.Minor > settle.Minor || o.Refund.Commission.Minor > com.Minor {
			return nil, errs.E("order.LedgerPosting", errs.Internal, fmt.Sprintf("order %s is refunded without a refund share of its escrow", o.ID))
		}
		s, c := o.Refund.Settlement.Minor, o.Refund.Commission.Minor
		p.Entries = []Entry{clearing(s + c), mine(Held, -settle.Minor)}
		if rest := settle.Minor - s; rest != 0 {
			p.Entries = append(p.Entries, mine(Available, rest))
		}
		if c != 0 {
			p.Entries = append(p.Entries, mine(Fees, -c))
		}
	}
	return p, nil
}

// Sum is the sum of a posting's entries: zero for every posting.
func (p Posting) Sum() int64 {
	var n int64
	for _, e := range p.Entries {
		n += e.Amount.Minor
	}
	return n
}

// MaxLedgerPage bounds a page of postings.
const MaxLedgerPage = 100

// ledgerOf checks that actor may read merchantID's ledger: its staff and
// API keys, and operators. Anyone else signed in finds no such merchant.
func ledgerOf(op string, actor identity.Actor, merchantID string) error {
	switch {
	case actor.IsAnonymous():
		return errs.E(op, errs.Unauthenticated, "sign in")
	case !ids.Valid(ids.Merchant, merchantID) || !(actor.IsOperator() || actor.ActsFor(merchantID)):
		return errs.E(op, errs.NotFound, "merchant not found")
	}
	return nil
}

// Ledger returns the balances of merchantID's accounts, by account and
// currency. Errors: Unauthenticated, NotFound (not the actor's merchant:
// the same answer as for an unknown one).
func (s *Service) Ledger(ctx context.Context, actor identity.Actor, merchantID string) ([]Balance, error) {
	const op = "order.Ledger"
	if err := ledgerOf(op, actor, merchantID); err != nil {
		return nil, err
	}
	return s.Store.LedgerBalances(ctx, merchantID)
}

// MarketplaceLedger returns the balances of the marketplace's accounts.
// Errors: Unauthenticated (anonymous), Forbidden (not an operator).
func (s *Service) MarketplaceLedger(ctx context.Context, actor identity.Actor) ([]Balance, error) {
	const op = "order.MarketplaceLedger"
	if actor.IsAnonymous() {
		return nil, errs.E(op, errs.Unauthenticated, "sign in")
	}
	if !actor.IsOperator() {
		return nil, errs.E(op, errs.Forbidden, "only operators read the marketplace's ledger")
	}
	return s.Store.LedgerBalances(ctx, "")
}

// LedgerEntries lists merchantID's postings with their entries, oldest
// first, after the posting id after. Errors: as Ledger;
// Invalid (cursor, limit).
func (s *Service) LedgerEntries(ctx context.Context, actor identity.Actor, merchantID, after string, limit int) ([]Posting, string, error) {
	const op = "order.LedgerEntries"
	if err := ledgerOf(op, actor, merchantID); err != nil {
		return nil, "", err
	}
	limit = cmp.Or(limit, 20)
	if limit < 1 || limit > MaxLedgerPage {
		return nil, "", errs.Field(op, "limit", fmt.Sprintf("must be 1 to %d", MaxLedgerPage))
	}
	if after != "" && !ids.Valid(ids.Posting, after) {
		return nil, "", errs.Field(op, "after", "not a cursor of this list")
	}
	ps, err := s.Store.LedgerPostings(ctx, merchantID, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(ps) > limit {
		ps = ps[:limit]
		next = ps[limit-1].ID
	}
	return ps, next, nil
}
