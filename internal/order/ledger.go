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
// completed, then Available to pay out, less the share its merchant's plan
// keeps in Reserve for some days (a rolling reserve); Paid is what was paid
// out; Fees is the commission Sesame keeps of the merchant's orders; Owed
// is negative by what a refund after payout took back beyond what the
// merchant had (the next payouts recover it). Clearing is the
// marketplace's: the buyers' money it collected and owes out, negative by
// what it holds for merchants.
const (
	Held      Account = "held"
	Available Account = "available"
	Reserve   Account = "reserve"
	PaidOut   Account = "paid"
	Fees      Account = "fees"
	Owed      Account = "owed"
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
	// PostPayout: a payout paid the merchant's available balance out, less
	// what it recovered of what the merchant owed.
	PostPayout PostingKind = "payout"
	// PostReserveReleased: the order's reserve was held its plan's days;
	// it is available.
	PostReserveReleased PostingKind = "reserve_released"
	// PostClawback: an operator refunded a completed order (after its
	// money was available, perhaps paid out): the refunded share of its
	// settlement is taken from its reserve, then from what is available,
	// the rest owed; the refunded share of its commission is reversed.
	PostClawback PostingKind = "clawback"
	// PostRecovered: a payout run found no more available than the
	// merchant owed, and kept it all (no order, no payout).
	PostRecovered PostingKind = "recovered"
)

// Entry is one line of a posting: an amount (signed) on an account. A
// marketplace account's entry has no MerchantID.
type Entry struct {
	Account    Account      `json:"account" enum:"held,available,reserve,paid,fees,owed,clearing"`
	MerchantID string       `json:"merchant_id,omitempty" doc:"The merchant whose account it is; absent for the marketplace's clearing account"`
	Amount     money.Amount `json:"amount" doc:"Signed: positive adds to the account's balance"`
}

// Posting is what one transition of one order writes to the ledger: its
// entries, all in the merchant's settlement currency, sum to zero.
type Posting struct {
	ID         string      `json:"id"`
	Kind       PostingKind `json:"kind" enum:"paid,released,reversed,refunded,payout,reserve_released,clawback,recovered,compensation"`
	OrderID    string      `json:"order_id,omitempty" doc:"The order whose move it records; absent for a payout's and a recovery's"`
	PayoutID   string      `json:"payout_id,omitempty" doc:"The payout it records (kind payout)"`
	MerchantID string      `json:"merchant_id"`
	Currency   string      `json:"currency"`
	Entries    []Entry     `json:"entries"`
	CreatedAt  time.Time   `json:"created_at"`
}

// Balance is an account's balance in one currency.
type Balance struct {
	Account Account      `json:"account" enum:"held,available,reserve,paid,fees,owed,clearing"`
	Amount  money.Amount `json:"amount" doc:"Owed is negative by what the merchant owes"`
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
//	completed (from shipped, delivered or disputed):      held −settlement, available +(settlement−r), reserve +r
//	cancelled from paid (refunded in full):               held −settlement, fees −commission, clearing +(settlement+commission)
//	refunded, or completed with a refund, from disputed:  held −settlement, available +(rest−r), reserve +r, fees −c, clearing +(s+c)
//
// where s and c are the shares of the settlement and the commission the
// dispute's refund took back (o.Refund, RefundShare), rest is
// settlement−s, and r the reserve the order's plan keeps of what becomes
// available (ReserveOf). A refund of a completed order (a clawback) is
// posted by ClawbackPosting, which needs the merchant's balances.
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
		r, err := ReserveOf(o, settle.Minor)
		if err != nil {
			return nil, err
		}
		p.Entries = []Entry{mine(Held, -settle.Minor), mine(Available, settle.Minor-r)}
		if r != 0 {
			p.Entries = append(p.Entries, mine(Reserve, r))
		}
	case PostReversed:
		p.Entries = []Entry{mine(Held, -settle.Minor), mine(Fees, -com.Minor), clearing(gross)}
	case PostRefunded:
		if o.Refund == nil || o.Refund.Settlement.Currency != cur || o.Refund.Settlement.Minor > settle.Minor || o.Refund.Commission.Minor > com.Minor {
			return nil, errs.E("order.LedgerPosting", errs.Internal, fmt.Sprintf("order %s is refunded without a refund share of its escrow", o.ID))
		}
		s, c := o.Refund.Settlement.Minor, o.Refund.Commission.Minor
		p.Entries = []Entry{clearing(s + c), mine(Held, -settle.Minor)}
		rest := settle.Minor - s
		r, err := ReserveOf(o, rest)
		if err != nil {
			return nil, err
		}
		if rest-r != 0 {
			p.Entries = append(p.Entries, mine(Available, rest-r))
		}
		if r != 0 {
			p.Entries = append(p.Entries, mine(Reserve, r))
		}
		if c != 0 {
			p.Entries = append(p.Entries, mine(Fees, -c))
		}
	}
	return p, nil
}

// OrderReserve is the rolling reserve of an order's merchant's plan when
// the order was placed: Bps of what becomes available at completion is
// kept in reserve for Days.
type OrderReserve struct {
	Bps  int64 `json:"bps" doc:"The share of the settlement kept in reserve, in basis points"`
	Days int   `json:"days" doc:"For how many days after completion"`
}

// ReserveOf is the reserve order o keeps of minor units of its settlement
// becoming available: its plan's share, rounded down (the merchant's to
// the minor unit). Errors: Internal (an amount money refuses).
func ReserveOf(o Order, minor int64) (int64, error) {
	if o.Reserve == nil || o.Reserve.Bps <= 0 || o.Reserve.Days <= 0 || minor <= 0 {
		return 0, nil
	}
	r, err := money.Amount{Minor: minor, Currency: o.Settlement.Currency}.ApplyBasisPoints(o.Reserve.Bps, money.Down)
	if err != nil {
		return 0, errs.E("order.ReserveOf", errs.Internal, err)
	}
	return r.Minor, nil
}

// ClawbackPosting is the posting of refunding s of order o's settlement
// and c of its commission after the order was completed, given what is
// left of the order's reserve and the merchant's available balance in the
// settlement currency: s is taken from the reserve first, then from what
// is available, and the rest is owed (the next payouts recover it).
//
//	clearing +(s+c), fees −c, reserve −min(s, left), available −…, owed −…
func ClawbackPosting(o Order, s, c, reserveLeft, available int64, at time.Time) *Posting {
	cur := o.Settlement.Currency
	mine := func(a Account, minor int64) Entry {
		return Entry{Account: a, MerchantID: o.MerchantID, Amount: money.Amount{Minor: minor, Currency: cur}}
	}
	fromReserve := min(s, max(reserveLeft, 0))
	fromAvailable := min(s-fromReserve, max(available, 0))
	owed := s - fromReserve - fromAvailable
	p := &Posting{ID: ids.New(ids.Posting), Kind: PostClawback, OrderID: o.ID, MerchantID: o.MerchantID, Currency: cur, CreatedAt: at.UTC(),
		Entries: []Entry{{Account: Clearing, Amount: money.Amount{Minor: s + c, Currency: cur}}}}
	for _, e := range []Entry{mine(Fees, -c), mine(Reserve, -fromReserve), mine(Available, -fromAvailable), mine(Owed, -owed)} {
		if e.Amount.Minor != 0 {
			p.Entries = append(p.Entries, e)
		}
	}
	return p
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
