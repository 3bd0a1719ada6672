package order

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/timers"
)

// PayoutStatus is where a payout stands: Pending, posted and being
// transferred; Paid, the provider made the transfer.
type PayoutStatus string

// The payout statuses.
const (
	PayoutPending PayoutStatus = "pending"
	PayoutPaid    PayoutStatus = "paid"
)

// The timers of payouts: a payout's transfer to complete, and the
// scheduled run over every merchant.
const (
	TimerPayoutTransfer = "order.payout_transfer"
	TimerPayoutRun      = "order.payout_run"
)

// PayoutIDPrefix prefixes payout ids.
const PayoutIDPrefix = "pyt"

// Payout is money paid out of a merchant's available balance, in one
// currency, to its payout account.
type Payout struct {
	ID          string       `json:"id"`
	MerchantID  string       `json:"merchant_id"`
	Amount      money.Amount `json:"amount"`
	Status      PayoutStatus `json:"status" enum:"pending,paid"`
	Provider    string       `json:"provider"`
	Account     string       `json:"account" doc:"The merchant's account at the provider"`
	ProviderRef string       `json:"provider_ref,omitempty" doc:"The provider's id of the transfer, once made"`
	CreatedAt   time.Time    `json:"created_at"`
	PaidAt      *time.Time   `json:"paid_at,omitempty"`
}

// PayoutAccount is where a merchant is paid.
type PayoutAccount struct {
	MerchantID string    `json:"merchant_id" readOnly:"true"`
	Provider   string    `json:"provider" enum:"sandbox,stripe" doc:"The payout provider"`
	Account    string    `json:"account" minLength:"1" maxLength:"64" doc:"The merchant's account there: a Stripe Connect account (acct_…), or any name in the sandbox"`
	UpdatedAt  time.Time `json:"updated_at" readOnly:"true"`
}

// Due is a merchant's available balance in one currency.
type Due struct {
	MerchantID string
	Available  money.Amount
}

// PayoutRun is what a run over every merchant paid.
type PayoutRun struct {
	Merchants int `json:"merchants" doc:"Merchants with an available balance"`
	Payouts   int `json:"payouts" doc:"Payouts made"`
	// Pending counts payouts posted whose transfer the provider has not
	// made yet: their timers complete them.
	Pending   int            `json:"pending"`
	NoAccount int            `json:"no_account" doc:"Merchants skipped: no payout account at the provider"`
	Amounts   []money.Amount `json:"amounts" doc:"What was paid out, per currency"`
	Seconds   float64        `json:"seconds"`
}

// PayoutStore persists payouts.
type PayoutStore interface {
	// PutPayoutAccount sets a merchant's payout account;
	// PayoutAccountOf returns it (NotFound if none).
	PutPayoutAccount(ctx context.Context, a PayoutAccount) error
	PayoutAccountOf(ctx context.Context, merchantID string) (PayoutAccount, error)
	// DuePayouts returns up to limit merchants' available balances above
	// zero, by merchant and currency, after the merchant id after.
	DuePayouts(ctx context.Context, after string, limit int) ([]Due, error)
	// CreatePayout posts a payout of merchantID's whole available balance
	// in currency to account at provider, with its transfer's timer and
	// event, in one transaction; a payout of the merchant and currency
	// still pending is returned instead (created false). NotFound when
	// nothing is available.
	CreatePayout(ctx context.Context, p Payout, timer timers.Timer, ev func(Payout) events.Event) (Payout, bool, error)
	// PayoutPaid records the provider's transfer of pending payout id,
	// with ev. Conflict if it is not pending.
	PayoutPaid(ctx context.Context, id, ref string, at time.Time, ev func(Payout) events.Event) (Payout, error)
	// Payout returns payout id; Payouts merchantID's (every merchant's
	// when ""), newest first, before the id before.
	Payout(ctx context.Context, id string) (Payout, error)
	Payouts(ctx context.Context, merchantID, before string, limit int) ([]Payout, error)
	// StatementPostings passes merchantID's postings in currency created
	// in [from, to) to fn, oldest first; StatementOpening returns the
	// balances of its accounts before from.
	StatementPostings(ctx context.Context, merchantID, currency string, from, to time.Time, fn func(Posting) error) error
	StatementOpening(ctx context.Context, merchantID, currency string, before time.Time) (map[Account]int64, error)
}

var stripeAccountRe = regexp.MustCompile(`^acct_[A-Za-z0-9]{1,60}$`)

// SetPayoutAccount sets where merchantID is paid: its owner's staff and
// API keys, or an operator. The provider must be one Sesame is configured
// with. Errors: Unauthenticated, NotFound (not the actor's merchant),
// Invalid.
func (s *Service) SetPayoutAccount(ctx context.Context, actor identity.Actor, merchantID string, in PayoutAccount) (PayoutAccount, error) {
	const op = "order.SetPayoutAccount"
	if err := ledgerOf(op, actor, merchantID); err != nil {
		return PayoutAccount{}, err
	}
	if _, ok := s.Providers[in.Provider]; !ok {
		return PayoutAccount{}, errs.Field(op, "provider", "not a provider Sesame pays out with here")
	}
	switch {
	case in.Provider == "stripe" && !stripeAccountRe.MatchString(in.Account):
		return PayoutAccount{}, errs.Field(op, "account", "a Stripe Connect account id (acct_…)")
	case in.Account == "" || len(in.Account) > 64:
		return PayoutAccount{}, errs.Field(op, "account", "1 to 64 characters")
	}
	in.MerchantID, in.UpdatedAt = merchantID, s.Now().UTC()
	if err := s.Store.PutPayoutAccount(ctx, in); err != nil {
		return PayoutAccount{}, err
	}
	return in, nil
}

// payoutProvider is the provider payouts go through (PayoutProvider, the
// sandbox by default).
func (s *Service) payoutProvider() string { return cmp.Or(s.PayoutProvider, "sandbox") }

// accountOf is where merchantID is paid: its payout account, or in the
// sandbox its own name. ok false: none at the payout provider.
func (s *Service) accountOf(ctx context.Context, merchantID string) (string, bool, error) {
	a, err := s.Store.PayoutAccountOf(ctx, merchantID)
	switch {
	case err == nil && a.Provider == s.payoutProvider():
		return a.Account, true, nil
	case err != nil && !errs.Is(err, errs.NotFound):
		return "", false, err
	case s.payoutProvider() == "sandbox":
		return "sandbox:" + merchantID, true, nil
	}
	return "", false, nil
}

func payoutEvent(typ string, p Payout, at time.Time) events.Event {
	return events.New(typ, p.ID, p.MerchantID, at, events.PayoutChange{V: events.PayoutChangeV1, PayoutID: p.ID, MerchantID: p.MerchantID,
		Amount: p.Amount.Minor, Currency: p.Amount.Currency, Status: string(p.Status), Provider: p.Provider, ProviderRef: p.ProviderRef, At: at})
}

type payoutTimerPayload struct {
	Payout string `json:"payout"`
}

// payOut pays out merchantID's available balance in currency: the payout
// is posted first (available to paid) with a timer that completes its
// transfer should this call not, then transferred and marked paid. A
// payout still pending is completed instead of a new one. Errors:
// NotFound (nothing available), as the store's; a transfer that fails is
// left to its timer (the payout is returned pending).
func (s *Service) payOut(ctx context.Context, merchantID, currency, account string) (Payout, error) {
	now := s.Now().UTC()
	p := Payout{ID: ids.New(PayoutIDPrefix), MerchantID: merchantID, Amount: money.Amount{Currency: currency}, Status: PayoutPending,
		Provider: s.payoutProvider(), Account: account, CreatedAt: now}
	t, err := timers.New(TimerPayoutTransfer, now.Add(time.Minute), payoutTimerPayload{Payout: p.ID})
	if err != nil {
		return Payout{}, errs.E("order.payOut", errs.Internal, err)
	}
	t.Dedupe, t.CreatedAt = TimerPayoutTransfer+":"+p.ID, now
	p, _, err = s.Store.CreatePayout(ctx, p, t, func(p Payout) events.Event { return payoutEvent(events.PayoutCreated, p, now) })
	if err != nil {
		return Payout{}, err
	}
	done, err := s.transfer(ctx, p)
	if err != nil {
		slog.WarnContext(ctx, "payout transfer deferred to its timer", "payout", p.ID, "err", err)
		return p, nil
	}
	return done, nil
}

// transfer makes pending payout p's transfer (idempotent at the provider
// by the payout's id) and marks it paid. A payout paid already is
// returned as it is.
func (s *Service) transfer(ctx context.Context, p Payout) (Payout, error) {
	if p.Status != PayoutPending {
		return p, nil
	}
	prov, ok := s.Providers[p.Provider]
	if !ok {
		return p, errs.E("order.transfer", errs.Unavailable, "the payout's provider is not configured")
	}
	res, err := prov.Transfer(ctx, "payout/"+p.ID, p.Account, p.Amount)
	if err != nil {
		return p, err
	}
	out, err := s.Store.PayoutPaid(ctx, p.ID, res.Ref, s.Now().UTC(), func(p Payout) events.Event { return payoutEvent(events.PayoutPaid, p, s.Now().UTC()) })
	if errs.Is(err, errs.Conflict) {
		return s.Store.Payout(ctx, p.ID)
	}
	return out, err
}

// PayoutTransferTimer is the handler of TimerPayoutTransfer: a payout
// posted but not transferred (the process died, the provider was down)
// is transferred, once; a failure is retried by the runner.
func (s *Service) PayoutTransferTimer(ctx context.Context, t timers.Timer) error {
	var pl payoutTimerPayload
	if err := json.Unmarshal(t.Payload, &pl); err != nil || pl.Payout == "" {
		return nil
	}
	p, err := s.Store.Payout(ctx, pl.Payout)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = s.transfer(ctx, p)
	return err
}

// PayOutNow pays merchantID's available balance out now, in each
// currency it has one: its staff and API keys, or an operator. Errors:
// Unauthenticated, NotFound (not the actor's merchant), Conflict (nothing
// available, or no payout account at the provider).
func (s *Service) PayOutNow(ctx context.Context, actor identity.Actor, merchantID string) ([]Payout, error) {
	const op = "order.PayOutNow"
	if err := ledgerOf(op, actor, merchantID); err != nil {
		return nil, err
	}
	account, ok, err := s.accountOf(ctx, merchantID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.E(op, errs.Conflict, "the merchant has no payout account at "+s.payoutProvider())
	}
	bs, err := s.Store.LedgerBalances(ctx, merchantID)
	if err != nil {
		return nil, err
	}
	var out []Payout
	for _, b := range bs {
		if b.Account != Available || b.Amount.Minor <= 0 {
			continue
		}
		p, err := s.payOut(ctx, merchantID, b.Amount.Currency, account)
		if errs.Is(err, errs.NotFound) {
			continue // paid out meanwhile
		}
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, errs.E(op, errs.Conflict, "nothing is available to pay out")
	}
	return out, nil
}

// RunPayouts pays out every merchant's available balance, a page of
// merchants at a time (its memory does not grow with their number):
// the scheduled run (TimerPayoutRun) and an operator's. Merchants without
// a payout account at the provider are counted and skipped.
func (s *Service) RunPayouts(ctx context.Context) (PayoutRun, error) {
	start := time.Now()
	var run PayoutRun
	sums := map[string]int64{}
	after := ""
	const page = 500
	for {
		due, err := s.Store.DuePayouts(ctx, after, page)
		if err != nil {
			return run, err
		}
		last := ""
		for _, d := range due {
			if d.MerchantID != last {
				run.Merchants++
			}
			last = d.MerchantID
			account, ok, err := s.accountOf(ctx, d.MerchantID)
			if err != nil {
				return run, err
			}
			if !ok {
				run.NoAccount++
				continue
			}
			p, err := s.payOut(ctx, d.MerchantID, d.Available.Currency, account)
			if errs.Is(err, errs.NotFound) {
				continue
			}
			if err != nil {
				return run, fmt.Errorf("order.RunPayouts: %s: %w", d.MerchantID, err)
			}
			run.Payouts++
			if p.Status == PayoutPending {
				run.Pending++
			}
			sums[p.Amount.Currency] += p.Amount.Minor
		}
		if len(due) < page {
			break
		}
		after = due[len(due)-1].MerchantID
	}
	for cur, n := range sums {
		run.Amounts = append(run.Amounts, money.Amount{Minor: n, Currency: cur})
	}
	slices.SortFunc(run.Amounts, func(a, b money.Amount) int { return cmp.Compare(a.Currency, b.Currency) })
	run.Seconds = time.Since(start).Seconds()
	return run, nil
}

// RunPayoutsAs is RunPayouts at an operator's request. Errors:
// Unauthenticated, Forbidden (not an operator).
func (s *Service) RunPayoutsAs(ctx context.Context, actor identity.Actor) (PayoutRun, error) {
	const op = "order.RunPayoutsAs"
	if actor.IsAnonymous() {
		return PayoutRun{}, errs.E(op, errs.Unauthenticated, "sign in")
	}
	if !actor.IsOperator() {
		return PayoutRun{}, errs.E(op, errs.Forbidden, "only operators run payouts")
	}
	return s.RunPayouts(ctx)
}

// Payouts lists merchantID's payouts (every merchant's for an operator
// when ""), newest first. Errors: as Ledger; Invalid (cursor, limit).
func (s *Service) Payouts(ctx context.Context, actor identity.Actor, merchantID, cursor string, limit int) ([]Payout, string, error) {
	const op = "order.Payouts"
	if merchantID == "" && !actor.IsOperator() {
		return nil, "", errs.E(op, errs.NotFound, "merchant not found")
	}
	if err := ledgerOf(op, actor, merchantID); merchantID != "" && err != nil {
		return nil, "", err
	}
	limit = cmp.Or(limit, 20)
	if limit < 1 || limit > MaxLedgerPage {
		return nil, "", errs.Field(op, "limit", fmt.Sprintf("must be 1 to %d", MaxLedgerPage))
	}
	if cursor != "" && !ids.Valid(PayoutIDPrefix, cursor) {
		return nil, "", errs.Field(op, "cursor", "not a cursor of this list")
	}
	ps, err := s.Store.Payouts(ctx, merchantID, cursor, limit+1)
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

// StatementLine is one posting of a statement: what it moved on the
// merchant's accounts.
type StatementLine struct {
	PostingID string       `json:"posting_id"`
	Kind      PostingKind  `json:"kind" enum:"paid,released,reversed,refunded,payout,reserve_released,clawback,recovered"`
	OrderID   string       `json:"order_id,omitempty"`
	PayoutID  string       `json:"payout_id,omitempty"`
	At        time.Time    `json:"at"`
	Held      money.Amount `json:"held"`
	Available money.Amount `json:"available"`
	Reserve   money.Amount `json:"reserve"`
	Paid      money.Amount `json:"paid"`
	Fees      money.Amount `json:"fees"`
	Owed      money.Amount `json:"owed"`
}

// Statement is a merchant's accounts in one currency over a period: the
// balances at its start and end, and every posting between, so that
// opening + the lines = closing on each account, and the payout lines
// add up to the paid account's movement.
type Statement struct {
	MerchantID string          `json:"merchant_id"`
	Currency   string          `json:"currency"`
	From       time.Time       `json:"from"`
	To         time.Time       `json:"to"`
	Opening    []Balance       `json:"opening"`
	Closing    []Balance       `json:"closing"`
	PaidOut    money.Amount    `json:"paid_out" doc:"The payouts of the period: the sum of the payout lines"`
	Lines      []StatementLine `json:"lines"`
}

// statementAccounts are a merchant's accounts, in a statement's order.
var statementAccounts = [...]Account{Held, Available, Reserve, PaidOut, Fees, Owed}

// MaxStatementDays bounds a statement's period.
const MaxStatementDays = 366

// Statement passes merchantID's statement in currency for [from, to) to
// head (once, before the lines, with its opening balances) and each line
// to line, and returns it complete (its lines left out when keep is
// false, for a caller that streams them). Errors: as Ledger; Invalid (the
// currency, a period not forward or longer than MaxStatementDays).
func (s *Service) Statement(ctx context.Context, actor identity.Actor, merchantID, currency string, from, to time.Time, keep bool, line func(StatementLine) error) (Statement, error) {
	const op = "order.Statement"
	if err := ledgerOf(op, actor, merchantID); err != nil {
		return Statement{}, err
	}
	if err := money.CheckCurrency(op, "currency", currency); err != nil {
		return Statement{}, err
	}
	from, to = from.UTC(), to.UTC()
	if !to.After(from) || to.Sub(from) > MaxStatementDays*24*time.Hour {
		return Statement{}, errs.Field(op, "to", fmt.Sprintf("after from, at most %d days later", MaxStatementDays))
	}
	open, err := s.Store.StatementOpening(ctx, merchantID, currency, from)
	if err != nil {
		return Statement{}, err
	}
	st := Statement{MerchantID: merchantID, Currency: currency, From: from, To: to, PaidOut: money.Amount{Currency: currency}, Lines: []StatementLine{}}
	bal := map[Account]int64{}
	for _, a := range statementAccounts {
		bal[a] = open[a]
		st.Opening = append(st.Opening, Balance{Account: a, Amount: money.Amount{Minor: open[a], Currency: currency}})
	}
	err = s.Store.StatementPostings(ctx, merchantID, currency, from, to, func(p Posting) error {
		l := StatementLine{PostingID: p.ID, Kind: p.Kind, OrderID: p.OrderID, PayoutID: p.PayoutID, At: p.CreatedAt,
			Held: money.Amount{Currency: currency}, Available: money.Amount{Currency: currency}, Reserve: money.Amount{Currency: currency},
			Paid: money.Amount{Currency: currency}, Fees: money.Amount{Currency: currency}, Owed: money.Amount{Currency: currency}}
		cols := map[Account]*money.Amount{Held: &l.Held, Available: &l.Available, Reserve: &l.Reserve, PaidOut: &l.Paid, Fees: &l.Fees, Owed: &l.Owed}
		for _, e := range p.Entries {
			if c, ok := cols[e.Account]; ok {
				c.Minor = e.Amount.Minor
				bal[e.Account] += e.Amount.Minor
			}
		}
		if p.Kind == PostPayout {
			st.PaidOut.Minor += l.Paid.Minor
		}
		if keep {
			st.Lines = append(st.Lines, l)
		}
		if line != nil {
			return line(l)
		}
		return nil
	})
	if err != nil {
		return Statement{}, err
	}
	for _, a := range statementAccounts {
		st.Closing = append(st.Closing, Balance{Account: a, Amount: money.Amount{Minor: bal[a], Currency: currency}})
	}
	return st, nil
}
