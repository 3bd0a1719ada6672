// Package merchant runs the merchant side of the marketplace: applications
// with the trader details the EU Digital Services Act asks of marketplace
// traders, review by an operator, shops on channels, and the plans and
// programmes that set what a merchant pays.
package merchant

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity" // an application opens the owner's account
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/text"
)

// Status is where a merchant stands with the marketplace.
type Status string

// The merchant statuses. pending → approved | rejected; approved ⇄ suspended.
const (
	Pending   Status = "pending"
	Approved  Status = "approved"
	Rejected  Status = "rejected"
	Suspended Status = "suspended"
)

// Trader holds the trader details a marketplace must collect and check
// before a trader may sell to EU consumers (DSA art. 30).
type Trader struct {
	LegalName          string `json:"legal_name" minLength:"1" maxLength:"200"`
	RegistrationNumber string `json:"registration_number" minLength:"1" maxLength:"100" doc:"Trade register number"`
	VATNumber          string `json:"vat_number,omitempty" maxLength:"40"`
	Address            string `json:"address" minLength:"1" maxLength:"500"`
	Email              string `json:"email" minLength:"3" maxLength:"254"`
	Phone              string `json:"phone" minLength:"3" maxLength:"40"`
	SelfCertified      bool   `json:"self_certified" doc:"The trader certifies it offers only products that comply with EU law"`
}

// Merchant is a seller on the marketplace.
type Merchant struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Country      string     `json:"country"`
	Status       Status     `json:"status"`
	StatusReason string     `json:"status_reason,omitempty"`
	Trader       Trader     `json:"trader"`
	PlanID       string     `json:"plan_id,omitempty"`
	ProgrammeID  string     `json:"programme_id,omitempty"`
	ReviewedBy   string     `json:"reviewed_by,omitempty"`
	ReviewedAt   *time.Time `json:"reviewed_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// Application is what a company submits to sell on Sesame.
type Application struct {
	Name    string                `json:"name" minLength:"1" maxLength:"200" doc:"Shop name shown to buyers"`
	Country string                `json:"country" pattern:"^[A-Z]{2}$" doc:"Country of establishment, ISO 3166-1 alpha-2"`
	Trader  Trader                `json:"trader"`
	Owner   identity.Registration `json:"owner" doc:"The owner's login"`
}

// Shop is a merchant's presence on one channel.
type Shop struct {
	ID         string    `json:"id"`
	MerchantID string    `json:"merchant_id"`
	ChannelID  string    `json:"channel_id"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
}

// Plan is a price list for merchants: a deposit, a yearly fee and a
// commission rate per category (with a default), all in the plan's currency.
type Plan struct {
	ID            string       `json:"id"`
	Code          string       `json:"code"`
	Name          string       `json:"name"`
	Deposit       money.Amount `json:"deposit"`
	YearlyFee     money.Amount `json:"yearly_fee"`
	CommissionBps int64        `json:"commission_bps" doc:"Default commission in basis points (1/100 of a percent)"`
	// CommissionMin and CommissionMax bound the default commission on one
	// order line, in minor units of the plan's currency (0: no bound).
	CommissionMin int64                `json:"commission_min_per_line" doc:"Least commission on one order line at the default rate, in minor units of the plan's currency; 0: none"`
	CommissionMax int64                `json:"commission_max_per_line" doc:"Most commission on one order line at the default rate, in minor units of the plan's currency; 0: no cap"`
	Categories    []CategoryCommission `json:"category_commissions"`
	// ReserveBps of each order's settlement is kept in reserve ReserveDays
	// after the order completes (a rolling reserve); 0: none.
	ReserveBps  int64     `json:"reserve_bps" doc:"Share of each order's settlement kept in reserve after completion, in basis points; 0: no reserve"`
	ReserveDays int       `json:"reserve_days" doc:"Days the reserve is kept after the order completes"`
	CreatedAt   time.Time `json:"created_at"`
}

// CategoryCommission overrides a plan's commission for one category (and its
// descendants).
type CategoryCommission struct {
	CategoryID    string `json:"category_id"`
	CommissionBps int64  `json:"commission_bps" minimum:"0" maximum:"10000"`
	Min           int64  `json:"min_per_line,omitempty" minimum:"0" doc:"Least commission on one order line of the category, in minor units of the plan's currency; 0: none"`
	Max           int64  `json:"max_per_line,omitempty" minimum:"0" doc:"Most commission on one order line of the category, in minor units of the plan's currency; 0: no cap"`
}

// Programme discounts a plan for eligible merchants, e.g. French exporters.
type Programme struct {
	ID                    string    `json:"id"`
	Code                  string    `json:"code"`
	Name                  string    `json:"name"`
	Description           string    `json:"description"`
	Countries             []string  `json:"countries" doc:"Countries whose merchants are eligible; empty means all"`
	DepositDiscountBps    int64     `json:"deposit_discount_bps"`
	YearlyFeeDiscountBps  int64     `json:"yearly_fee_discount_bps"`
	CommissionDiscountBps int64     `json:"commission_discount_bps"`
	CreatedAt             time.Time `json:"created_at"`
}

// Terms are what a merchant pays under its plan after its programme's discounts.
type Terms struct {
	PlanID        string       `json:"plan_id"`
	ProgrammeID   string       `json:"programme_id,omitempty"`
	Deposit       money.Amount `json:"deposit"`
	YearlyFee     money.Amount `json:"yearly_fee"`
	CommissionBps int64        `json:"commission_bps"`
	// Currency is the plan's, that of the per-line bounds.
	Currency      string               `json:"currency"`
	CommissionMin int64                `json:"commission_min_per_line"`
	CommissionMax int64                `json:"commission_max_per_line"`
	Categories    []CategoryCommission `json:"category_commissions"`
	ReserveBps    int64                `json:"reserve_bps"`
	ReserveDays   int                  `json:"reserve_days"`
}

// Terms computes what merchant pays under plan p and programme g (which may
// be the zero Programme). Discounts round half up to a whole minor unit.
// Errors: Internal (a stored amount money refuses, e.g. beyond its bound).
func ComputeTerms(p Plan, g Programme) (Terms, error) {
	const op = "merchant.ComputeTerms"
	t := Terms{PlanID: p.ID, ProgrammeID: g.ID}
	var err error
	if t.Deposit, err = discounted(p.Deposit, g.DepositDiscountBps); err != nil {
		return Terms{}, errs.E(op, errs.Internal, err)
	}
	if t.YearlyFee, err = discounted(p.YearlyFee, g.YearlyFeeDiscountBps); err != nil {
		return Terms{}, errs.E(op, errs.Internal, err)
	}
	disc := func(bps int64) int64 { return bps - (bps*g.CommissionDiscountBps+5000)/10000 }
	// A programme lowers the rates; the per-line bounds stay the plan's.
	t.CommissionBps = disc(p.CommissionBps)
	t.Currency, t.CommissionMin, t.CommissionMax = p.Deposit.Currency, p.CommissionMin, p.CommissionMax
	t.ReserveBps, t.ReserveDays = p.ReserveBps, p.ReserveDays
	t.Categories = make([]CategoryCommission, len(p.Categories))
	for i, c := range p.Categories {
		t.Categories[i] = CategoryCommission{CategoryID: c.CategoryID, CommissionBps: disc(c.CommissionBps), Min: c.Min, Max: c.Max}
	}
	return t, nil
}

// discounted returns a less bps of itself, the discount rounded half up.
func discounted(a money.Amount, bps int64) (money.Amount, error) {
	d, err := a.ApplyBasisPoints(bps, money.HalfUp)
	if err != nil {
		return money.Amount{}, err
	}
	return a.Sub(d)
}

// Store persists merchants. Errors are as documented per method; others Internal.
type Store interface {
	// CreateApplication inserts a pending merchant, its owner and the event.
	// Conflict if the owner's email is taken.
	CreateApplication(ctx context.Context, m Merchant, owner identity.User, ev events.Event) error
	// Merchant returns NotFound if there is no such merchant.
	Merchant(ctx context.Context, id string) (Merchant, error)
	// ListMerchants lists merchants with the given status ("" for all) after
	// the id cursor, in id order.
	ListMerchants(ctx context.Context, status Status, after string, limit int) ([]Merchant, error)
	// SetMerchantStatus moves a merchant from one of the statuses in from to
	// to, atomically; Conflict if its status is not in from, NotFound if it
	// does not exist. Suspension hides its listings; approval shows them again.
	// When EndsAccess(to), the merchant's sessions and API keys end in the
	// same transaction.
	SetMerchantStatus(ctx context.Context, id string, from []Status, to Status, reason, reviewer string, at time.Time, ev events.Event) error
	// EditApplication changes a merchant's application: under a lock on the
	// merchant it reads the merchant, calls edit (the domain rule) and writes
	// what edit returns with its events. NotFound if there is no such
	// merchant; edit's errors are returned as they are.
	EditApplication(ctx context.Context, id string, edit func(cur Merchant) (Merchant, []events.Event, error)) (Merchant, error)
	// OpenShop inserts a shop. Forbidden if the channel does not admit the
	// merchant or the merchant is not approved; Conflict if it has one there.
	OpenShop(ctx context.Context, s Shop, ev events.Event) error
	ListShops(ctx context.Context, merchantID string) ([]Shop, error)
	CreatePlan(ctx context.Context, p Plan, ev events.Event) error
	// Plan returns NotFound if there is no such plan.
	Plan(ctx context.Context, id string) (Plan, error)
	ListPlans(ctx context.Context) ([]Plan, error)
	CreateProgramme(ctx context.Context, p Programme, ev events.Event) error
	// Programme returns NotFound if there is no such programme.
	Programme(ctx context.Context, id string) (Programme, error)
	ListProgrammes(ctx context.Context) ([]Programme, error)
	// AssignPlan sets the merchant's plan and programme ("" for none).
	AssignPlan(ctx context.Context, merchantID, planID, programmeID string, ev events.Event) error
}

// Service is the merchant service.
type Service struct {
	Store Store
	Now   func() time.Time
	// Hasher hashes the passwords of applicants' owner accounts. A process
	// gives it the identity service's hasher, so that one memory bound holds
	// for every password hash. It must not be nil.
	Hasher *identity.Hasher
}

// NewService returns a service on st with the real clock and a default
// hasher of its own.
func NewService(st Store) *Service {
	return &Service{Store: st, Now: func() time.Time { return time.Now().UTC() }, Hasher: identity.NewDefaultHasher()}
}

// Apply records a merchant application and opens its owner's account. Anyone
// may apply, signed in or not. Errors: Invalid, Conflict (owner email taken).
func (s *Service) Apply(ctx context.Context, actor identity.Actor, a Application) (Merchant, identity.User, error) {
	const op = "merchant.Apply"
	if err := checkApplication(op, &a); err != nil {
		return Merchant{}, identity.User{}, err
	}
	now := s.Now()
	owner, err := identity.NewUser(ctx, s.Hasher, op, a.Owner, identity.Staff, now)
	if err != nil {
		return Merchant{}, identity.User{}, err
	}
	m := Merchant{ID: ids.New(ids.Merchant), Name: a.Name, Country: a.Country, Status: Pending, Trader: a.Trader, CreatedAt: now, UpdatedAt: now}
	owner.MerchantID, owner.StaffRole, owner.MerchantStatus = m.ID, identity.StaffOwner, string(Pending)
	ev := events.New(events.MerchantApplied, m.ID, m.ID, now, map[string]string{"name": m.Name, "country": m.Country})
	if err := s.Store.CreateApplication(ctx, m, owner, ev); err != nil {
		return Merchant{}, identity.User{}, errs.E(op, errs.Other, err)
	}
	return m, owner, nil
}

func checkApplication(op string, a *Application) error {
	return checkDetails(op, &a.Name, &a.Country, &a.Trader)
}

// checkDetails is the one normalise-and-validate step of an application's
// details, for Apply and EditApplication alike.
func checkDetails(op string, name, country *string, t *Trader) error {
	var err error
	if *name, err = text.Line(op, "name", *name, 200, true); err != nil {
		return err
	}
	if !identity.ValidCountry(*country) {
		return errs.Field(op, "country", "must be an ISO 3166-1 alpha-2 code such as FR or CN")
	}
	for _, f := range []struct {
		name     string
		v        *string
		max      int
		required bool
	}{{"trader.legal_name", &t.LegalName, 200, true}, {"trader.registration_number", &t.RegistrationNumber, 100, true},
		{"trader.vat_number", &t.VATNumber, 40, false}, {"trader.email", &t.Email, 254, true}, {"trader.phone", &t.Phone, 40, true}} {
		if *f.v, err = text.Line(op, f.name, *f.v, f.max, false); err != nil {
			return err
		}
		if f.required && *f.v == "" {
			return errs.Field(op, f.name, "is required of marketplace traders")
		}
	}
	// An address may span lines.
	if t.Address, err = text.Block(op, "trader.address", t.Address, 500, false); err != nil {
		return err
	}
	if t.Address == "" {
		return errs.Field(op, "trader.address", "is required of marketplace traders")
	}
	if !strings.Contains(t.Email, "@") {
		return errs.Field(op, "trader.email", "not a valid e-mail address")
	}
	if !t.SelfCertified {
		return errs.Field(op, "trader.self_certified", "the trader must certify that it offers only compliant products")
	}
	return nil
}

// ApplicationPatch changes some of an application's details; nil fields are
// left alone.
type ApplicationPatch struct {
	Name    *string      `json:"name,omitempty" maxLength:"200" doc:"Shop name shown to buyers"`
	Country *string      `json:"country,omitempty" pattern:"^[A-Z]{2}$" doc:"Country of establishment, ISO 3166-1 alpha-2"`
	Trader  *TraderPatch `json:"trader,omitempty"`
}

// TraderPatch changes some of the trader details; nil fields are left alone.
type TraderPatch struct {
	LegalName          *string `json:"legal_name,omitempty" maxLength:"200"`
	RegistrationNumber *string `json:"registration_number,omitempty" maxLength:"100"`
	VATNumber          *string `json:"vat_number,omitempty" maxLength:"40"`
	Address            *string `json:"address,omitempty" maxLength:"500"`
	Email              *string `json:"email,omitempty" maxLength:"254"`
	Phone              *string `json:"phone,omitempty" maxLength:"40"`
	SelfCertified      *bool   `json:"self_certified,omitempty"`
}

// Editable reports whether a merchant's application may still be edited by
// its owner: while it waits for review or after it was rejected (editing
// resubmits it). An approved or suspended merchant's details change only
// through the operators.
func Editable(st Status) bool { return st == Pending || st == Rejected }

// EndsAccess reports whether moving a merchant to status st ends its
// sessions and API keys: rejection and suspension do, and reinstatement does
// not bring them back (its people sign in again, its keys are made anew).
func EndsAccess(st Status) bool { return st == Rejected || st == Suspended }

// EditApplication changes the details of a pending or rejected application;
// only the merchant's owners may (signed in, not with an API key). Editing a
// rejected application resubmits it: it is pending again and the rejection
// reason is cleared. The result goes through the same checks as Apply.
// Errors: NotFound (also for a merchant the actor may not see), Forbidden,
// Invalid, Conflict (the merchant is approved or suspended).
func (s *Service) EditApplication(ctx context.Context, actor identity.Actor, id string, p ApplicationPatch) (Merchant, error) {
	const op = "merchant.EditApplication"
	switch {
	case actor.OwnerOf(id):
	case actor.IsOperator() || actor.ActsFor(id):
		return Merchant{}, errs.E(op, errs.Forbidden, "only the merchant's owners edit its application")
	default:
		return Merchant{}, errs.E(op, errs.NotFound, "merchant not found")
	}
	now := s.Now()
	m, err := s.Store.EditApplication(ctx, id, func(cur Merchant) (Merchant, []events.Event, error) {
		if !Editable(cur.Status) {
			return Merchant{}, nil, errs.E(op, errs.Conflict, "the merchant is "+string(cur.Status)+"; its application can no longer be edited")
		}
		next := cur
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&next.Name, p.Name)
		set(&next.Country, p.Country)
		if t := p.Trader; t != nil {
			set(&next.Trader.LegalName, t.LegalName)
			set(&next.Trader.RegistrationNumber, t.RegistrationNumber)
			set(&next.Trader.VATNumber, t.VATNumber)
			set(&next.Trader.Address, t.Address)
			set(&next.Trader.Email, t.Email)
			set(&next.Trader.Phone, t.Phone)
			if t.SelfCertified != nil {
				next.Trader.SelfCertified = *t.SelfCertified
			}
		}
		if err := checkDetails(op, &next.Name, &next.Country, &next.Trader); err != nil {
			return Merchant{}, nil, err
		}
		next.UpdatedAt = now
		evs := []events.Event{events.New(events.MerchantApplicationEdited, id, id, now, map[string]string{"name": next.Name, "country": next.Country})}
		if cur.Status == Rejected {
			next.Status, next.StatusReason = Pending, ""
			evs = append(evs, events.New(events.MerchantResubmitted, id, id, now, map[string]string{"status": string(Pending)}))
		}
		return next, evs, nil
	})
	if err != nil {
		return Merchant{}, errs.E(op, errs.Other, err)
	}
	return m, nil
}

// Merchant returns a merchant: any to operators, its own to staff. Errors:
// NotFound (also for a merchant the actor may not see).
func (s *Service) Merchant(ctx context.Context, actor identity.Actor, id string) (Merchant, error) {
	const op = "merchant.Merchant"
	if !actor.IsOperator() && !actor.ActsFor(id) {
		return Merchant{}, errs.E(op, errs.NotFound, "merchant not found")
	}
	return s.Store.Merchant(ctx, id)
}

// TraderInfo is what the EU's Digital Services Act (article 30) has a
// marketplace show buyers of a trader that sells through it: its legal
// name, address, phone, e-mail, trade register number, VAT number if any,
// and its self-certification. Anyone may read it, of a merchant that is
// approved; any other is NotFound.
func (s *Service) TraderInfo(ctx context.Context, id string) (Trader, error) {
	m, err := s.Store.Merchant(ctx, id)
	if err != nil {
		return Trader{}, err
	}
	if m.Status != Approved {
		return Trader{}, errs.E("merchant.TraderInfo", errs.NotFound, "merchant not found")
	}
	return m.Trader, nil
}

// List lists merchants for operators (all, or with one status), or the
// actor's own merchant for staff. Errors: Forbidden.
func (s *Service) List(ctx context.Context, actor identity.Actor, status Status, after string, limit int) ([]Merchant, error) {
	const op = "merchant.List"
	switch {
	case actor.IsOperator():
		if status != "" && !slices.Contains([]Status{Pending, Approved, Rejected, Suspended}, status) {
			return nil, errs.Field(op, "status", "must be pending, approved, rejected or suspended")
		}
		return s.Store.ListMerchants(ctx, status, after, clampLimit(limit))
	case actor.Role == identity.Staff:
		m, err := s.Store.Merchant(ctx, actor.MerchantID)
		if err != nil {
			return nil, err
		}
		return []Merchant{m}, nil
	}
	return nil, errs.E(op, errs.Forbidden, "only operators and merchant staff may list merchants")
}

func clampLimit(n int) int {
	if n <= 0 || n > 100 {
		return 50
	}
	return n
}

// Approve approves a pending (or reinstates a suspended) merchant. Operators
// only. Errors: Forbidden, NotFound, Conflict.
func (s *Service) Approve(ctx context.Context, actor identity.Actor, id string) (Merchant, error) {
	return s.review(ctx, actor, "merchant.Approve", id, []Status{Pending, Suspended}, Approved, "", events.MerchantApproved)
}

// Reject rejects a pending application with a reason the applicant sees.
// Operators only. Errors: Forbidden, NotFound, Conflict, Invalid.
func (s *Service) Reject(ctx context.Context, actor identity.Actor, id, reason string) (Merchant, error) {
	return s.review(ctx, actor, "merchant.Reject", id, []Status{Pending}, Rejected, reason, events.MerchantRejected)
}

// Suspend suspends an approved merchant: its listings disappear from every
// channel until it is approved again. Operators only. Errors: Forbidden,
// NotFound, Conflict, Invalid.
func (s *Service) Suspend(ctx context.Context, actor identity.Actor, id, reason string) (Merchant, error) {
	return s.review(ctx, actor, "merchant.Suspend", id, []Status{Approved}, Suspended, reason, events.MerchantSuspended)
}

func (s *Service) review(ctx context.Context, actor identity.Actor, op, id string, from []Status, to Status, reason, evType string) (Merchant, error) {
	if !actor.IsOperator() {
		return Merchant{}, errs.E(op, errs.Forbidden, "only operators review merchants")
	}
	reason, err := text.Block(op, "reason", reason, 1000, to != Approved)
	if err != nil {
		return Merchant{}, err
	}
	now := s.Now()
	ev := events.New(evType, id, id, now, map[string]string{"status": string(to), "reason": reason})
	if err := s.Store.SetMerchantStatus(ctx, id, from, to, reason, actor.UserID, now, ev); err != nil {
		return Merchant{}, errs.E(op, errs.Other, err)
	}
	return s.Store.Merchant(ctx, id)
}

// OpenShop opens the merchant's shop on a channel. Its staff may; the merchant
// must be approved and admitted by the channel. Errors: Forbidden, Invalid,
// Conflict.
func (s *Service) OpenShop(ctx context.Context, actor identity.Actor, merchantID, channelID, name string) (Shop, error) {
	const op = "merchant.OpenShop"
	if err := identity.RefuseUnapproved(op, actor); err != nil {
		return Shop{}, err
	}
	if !actor.ActsFor(merchantID) && !actor.IsOperator() {
		return Shop{}, errs.E(op, errs.Forbidden, "only the merchant's staff may open its shops")
	}
	name, err := text.Line(op, "name", name, 200, true)
	if err != nil {
		return Shop{}, err
	}
	sh := Shop{ID: ids.New(ids.Shop), MerchantID: merchantID, ChannelID: channelID, Name: name, CreatedAt: s.Now()}
	ev := events.New(events.ShopOpened, sh.ID, merchantID, sh.CreatedAt, sh)
	if err := s.Store.OpenShop(ctx, sh, ev); err != nil {
		return Shop{}, errs.E(op, errs.Other, err)
	}
	return sh, nil
}

// Shops lists a merchant's shops, for its staff and operators. Errors: NotFound.
func (s *Service) Shops(ctx context.Context, actor identity.Actor, merchantID string) ([]Shop, error) {
	if !actor.ActsFor(merchantID) && !actor.IsOperator() {
		return nil, errs.E("merchant.Shops", errs.NotFound, "merchant not found")
	}
	return s.Store.ListShops(ctx, merchantID)
}

// PlanInput describes a new plan.
type PlanInput struct {
	Code          string               `json:"code" pattern:"^[a-z0-9-]{2,40}$"`
	Name          string               `json:"name" minLength:"1" maxLength:"200"`
	Currency      string               `json:"currency" doc:"ISO 4217 code of every amount of the plan"`
	Deposit       int64                `json:"deposit" minimum:"0" doc:"Deposit in minor units of the currency"`
	YearlyFee     int64                `json:"yearly_fee" minimum:"0" doc:"Yearly fee in minor units"`
	CommissionBps int64                `json:"commission_bps" minimum:"0" maximum:"10000"`
	CommissionMin int64                `json:"commission_min_per_line,omitempty" minimum:"0" doc:"Least commission on one order line at the default rate, in minor units; 0: none"`
	CommissionMax int64                `json:"commission_max_per_line,omitempty" minimum:"0" doc:"Most commission on one order line at the default rate, in minor units; 0: no cap"`
	Categories    []CategoryCommission `json:"category_commissions,omitempty"`
	ReserveBps    int64                `json:"reserve_bps,omitempty" minimum:"0" maximum:"5000" doc:"Share of each order's settlement kept in reserve after completion, in basis points (at most 50 %); 0: none"`
	ReserveDays   int                  `json:"reserve_days,omitempty" minimum:"0" maximum:"365" doc:"Days the reserve is kept after the order completes; required with a reserve"`
}

// CreatePlan creates a plan. Operators only. Errors: Forbidden, Invalid, Conflict.
func (s *Service) CreatePlan(ctx context.Context, actor identity.Actor, in PlanInput) (Plan, error) {
	const op = "merchant.CreatePlan"
	if !actor.IsOperator() {
		return Plan{}, errs.E(op, errs.Forbidden, "only operators set plans")
	}
	dep, err := money.New(in.Deposit, in.Currency)
	if err != nil {
		return Plan{}, errs.E(op, errs.Other, err)
	}
	fee, err := money.New(in.YearlyFee, in.Currency)
	if err != nil {
		return Plan{}, errs.E(op, errs.Other, err)
	}
	if err := checkBps(op, "commission_bps", in.CommissionBps); err != nil {
		return Plan{}, err
	}
	if err := checkBounds(op, "commission", in.CommissionMin, in.CommissionMax); err != nil {
		return Plan{}, err
	}
	seen := map[string]bool{}
	for _, c := range in.Categories {
		if err := checkBps(op, "category_commissions.commission_bps", c.CommissionBps); err != nil {
			return Plan{}, err
		}
		if err := checkBounds(op, "category_commissions", c.Min, c.Max); err != nil {
			return Plan{}, err
		}
		if seen[c.CategoryID] {
			return Plan{}, errs.Field(op, "category_commissions", "a category appears twice")
		}
		seen[c.CategoryID] = true
	}
	switch {
	case in.ReserveBps < 0 || in.ReserveBps > 5000:
		return Plan{}, errs.Field(op, "reserve_bps", "0 to 5000 (50 %)")
	case in.ReserveDays < 0 || in.ReserveDays > 365:
		return Plan{}, errs.Field(op, "reserve_days", "0 to 365 days")
	case in.ReserveBps > 0 && in.ReserveDays == 0:
		return Plan{}, errs.Field(op, "reserve_days", "a reserve is kept for at least a day")
	case in.ReserveBps == 0 && in.ReserveDays > 0:
		return Plan{}, errs.Field(op, "reserve_bps", "days of reserve need a share to keep")
	}
	name, err := text.Line(op, "name", in.Name, 200, true)
	if err != nil {
		return Plan{}, err
	}
	if strings.TrimSpace(in.Code) == "" {
		return Plan{}, errs.Field(op, "code", "is required")
	}
	p := Plan{ID: ids.New(ids.Plan), Code: in.Code, Name: name, Deposit: dep, YearlyFee: fee,
		CommissionBps: in.CommissionBps, CommissionMin: in.CommissionMin, CommissionMax: in.CommissionMax,
		Categories: append([]CategoryCommission{}, in.Categories...), ReserveBps: in.ReserveBps, ReserveDays: in.ReserveDays, CreatedAt: s.Now()}
	if err := s.Store.CreatePlan(ctx, p, events.New(events.PlanCreated, p.ID, "", p.CreatedAt, p)); err != nil {
		return Plan{}, errs.E(op, errs.Other, err)
	}
	return p, nil
}

// checkBounds checks a per-line minimum and maximum: neither negative, and
// the minimum not above a maximum that is set.
func checkBounds(op, field string, lo, hi int64) error {
	switch {
	case lo < 0 || hi < 0:
		return errs.Field(op, field, "a per-line minimum or maximum cannot be negative")
	case hi > 0 && lo > hi:
		return errs.Field(op, field, "the per-line minimum is above the maximum")
	}
	return nil
}

func checkBps(op, field string, v int64) error {
	if v < 0 || v > 10000 {
		return errs.Field(op, field, "must be between 0 and 10000 basis points")
	}
	return nil
}

// ProgrammeInput describes a new programme.
type ProgrammeInput struct {
	Code                  string   `json:"code" pattern:"^[a-z0-9-]{2,40}$"`
	Name                  string   `json:"name" minLength:"1" maxLength:"200"`
	Description           string   `json:"description,omitempty" maxLength:"2000"`
	Countries             []string `json:"countries,omitempty" doc:"Eligible countries of establishment; empty means all"`
	DepositDiscountBps    int64    `json:"deposit_discount_bps" minimum:"0" maximum:"10000"`
	YearlyFeeDiscountBps  int64    `json:"yearly_fee_discount_bps" minimum:"0" maximum:"10000"`
	CommissionDiscountBps int64    `json:"commission_discount_bps" minimum:"0" maximum:"10000"`
}

// CreateProgramme creates a programme. Operators only. Errors: Forbidden,
// Invalid, Conflict.
func (s *Service) CreateProgramme(ctx context.Context, actor identity.Actor, in ProgrammeInput) (Programme, error) {
	const op = "merchant.CreateProgramme"
	if !actor.IsOperator() {
		return Programme{}, errs.E(op, errs.Forbidden, "only operators set programmes")
	}
	for _, c := range in.Countries {
		if !identity.ValidCountry(c) {
			return Programme{}, errs.Field(op, "countries", "must be ISO 3166-1 alpha-2 codes")
		}
	}
	for f, v := range map[string]int64{"deposit_discount_bps": in.DepositDiscountBps, "yearly_fee_discount_bps": in.YearlyFeeDiscountBps, "commission_discount_bps": in.CommissionDiscountBps} {
		if err := checkBps(op, f, v); err != nil {
			return Programme{}, err
		}
	}
	name, err := text.Line(op, "name", in.Name, 200, true)
	if err != nil {
		return Programme{}, err
	}
	desc, err := text.Block(op, "description", in.Description, 4000, false)
	if err != nil {
		return Programme{}, err
	}
	p := Programme{ID: ids.New(ids.Programme), Code: in.Code, Name: name, Description: desc,
		Countries: append([]string{}, in.Countries...), DepositDiscountBps: in.DepositDiscountBps, YearlyFeeDiscountBps: in.YearlyFeeDiscountBps,
		CommissionDiscountBps: in.CommissionDiscountBps, CreatedAt: s.Now()}
	if err := s.Store.CreateProgramme(ctx, p, events.New(events.ProgrammeCreated, p.ID, "", p.CreatedAt, p)); err != nil {
		return Programme{}, errs.E(op, errs.Other, err)
	}
	return p, nil
}

// AssignPlan puts a merchant on a plan, optionally with a programme whose
// eligibility it meets. Operators only. Errors: Forbidden, NotFound (the
// merchant), Invalid (no such plan or programme, an ineligible country), and
// the store's own kinds (Unavailable, Internal) when it fails otherwise.
func (s *Service) AssignPlan(ctx context.Context, actor identity.Actor, merchantID, planID, programmeID string) (Terms, error) {
	const op = "merchant.AssignPlan"
	if !actor.IsOperator() {
		return Terms{}, errs.E(op, errs.Forbidden, "only operators assign plans")
	}
	m, err := s.Store.Merchant(ctx, merchantID)
	if err != nil {
		return Terms{}, err
	}
	// Only a missing plan or programme is the caller's mistake; any other
	// store failure (an outage) keeps its own kind.
	p, err := s.Store.Plan(ctx, planID)
	if errs.Is(err, errs.NotFound) {
		return Terms{}, errs.Field(op, "plan_id", "no such plan")
	} else if err != nil {
		return Terms{}, errs.E(op, errs.Other, err)
	}
	var g Programme
	if programmeID != "" {
		g, err = s.Store.Programme(ctx, programmeID)
		if errs.Is(err, errs.NotFound) {
			return Terms{}, errs.Field(op, "programme_id", "no such programme")
		} else if err != nil {
			return Terms{}, errs.E(op, errs.Other, err)
		}
		if len(g.Countries) > 0 && !slices.Contains(g.Countries, m.Country) {
			return Terms{}, errs.Field(op, "programme_id", "the merchant's country is not eligible for this programme")
		}
	}
	ev := events.New(events.PlanAssigned, merchantID, merchantID, s.Now(), map[string]string{"plan_id": planID, "programme_id": programmeID})
	if err := s.Store.AssignPlan(ctx, merchantID, planID, programmeID, ev); err != nil {
		return Terms{}, errs.E(op, errs.Other, err)
	}
	return ComputeTerms(p, g)
}

// Terms returns what a merchant pays, for its staff and operators. Errors:
// NotFound (also when no plan is assigned).
func (s *Service) Terms(ctx context.Context, actor identity.Actor, merchantID string) (Terms, error) {
	const op = "merchant.Terms"
	m, err := s.Merchant(ctx, actor, merchantID)
	if err != nil {
		return Terms{}, err
	}
	if m.PlanID == "" {
		return Terms{}, errs.E(op, errs.NotFound, "the merchant has no plan yet")
	}
	p, err := s.Store.Plan(ctx, m.PlanID)
	if err != nil {
		return Terms{}, err
	}
	var g Programme
	if m.ProgrammeID != "" {
		if g, err = s.Store.Programme(ctx, m.ProgrammeID); err != nil {
			return Terms{}, err
		}
	}
	return ComputeTerms(p, g)
}

// Plans lists plans; anyone may read them (they are the public price list).
func (s *Service) Plans(ctx context.Context) ([]Plan, error) { return s.Store.ListPlans(ctx) }

// Programmes lists programmes; anyone may read them.
func (s *Service) Programmes(ctx context.Context) ([]Programme, error) {
	return s.Store.ListProgrammes(ctx)
}
