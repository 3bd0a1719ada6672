package merchant_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/money"
)

func eur(t *testing.T, minor int64) money.Amount {
	t.Helper()
	a, err := money.New(minor, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestComputeTerms(t *testing.T) {
	// A programme discounts the rates, never the per-line bounds.
	plan := merchant.Plan{ID: "pln_1", Deposit: eur(t, 100000), YearlyFee: eur(t, 999), CommissionBps: 1500, CommissionMin: 50, CommissionMax: 900,
		Categories: []merchant.CategoryCommission{{CategoryID: "cat_1", CommissionBps: 1250, Min: 10, Max: 400}, {CategoryID: "cat_2", CommissionBps: 25}}}
	for _, c := range []struct {
		name string
		g    merchant.Programme
		want merchant.Terms
	}{
		{"no programme", merchant.Programme{}, merchant.Terms{PlanID: "pln_1", Deposit: eur(t, 100000), YearlyFee: eur(t, 999), CommissionBps: 1500, Currency: "EUR", CommissionMin: 50, CommissionMax: 900,
			Categories: []merchant.CategoryCommission{{CategoryID: "cat_1", CommissionBps: 1250, Min: 10, Max: 400}, {CategoryID: "cat_2", CommissionBps: 25}}}},
		// 999 × 33.33% = 332.97 rounds to 333 off; 25 bps × 50% = 12.5 rounds
		// half up to 13 off.
		{"discounts round half up", merchant.Programme{ID: "prg_1", DepositDiscountBps: 5000, YearlyFeeDiscountBps: 3333, CommissionDiscountBps: 5000},
			merchant.Terms{PlanID: "pln_1", ProgrammeID: "prg_1", Deposit: eur(t, 50000), YearlyFee: eur(t, 666), CommissionBps: 750, Currency: "EUR", CommissionMin: 50, CommissionMax: 900,
				Categories: []merchant.CategoryCommission{{CategoryID: "cat_1", CommissionBps: 625, Min: 10, Max: 400}, {CategoryID: "cat_2", CommissionBps: 12}}}},
		{"free", merchant.Programme{ID: "prg_2", DepositDiscountBps: 10000, YearlyFeeDiscountBps: 10000, CommissionDiscountBps: 10000},
			merchant.Terms{PlanID: "pln_1", ProgrammeID: "prg_2", Deposit: eur(t, 0), YearlyFee: eur(t, 0), CommissionBps: 0, Currency: "EUR", CommissionMin: 50, CommissionMax: 900,
				Categories: []merchant.CategoryCommission{{CategoryID: "cat_1", CommissionBps: 0, Min: 10, Max: 400}, {CategoryID: "cat_2", CommissionBps: 0}}}},
	} {
		got, err := merchant.ComputeTerms(plan, c.g)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if diff := cmp.Diff(got, c.want); diff != "" {
			t.Errorf("%s (-got +want):\n%s", c.name, diff)
		}
	}
	// The plan is not changed by computing its terms.
	if plan.CommissionBps != 1500 || plan.Categories[0].CommissionBps != 1250 {
		t.Errorf("ComputeTerms changed its plan: %+v", plan)
	}
}

func TestStatusRules(t *testing.T) {
	for _, c := range []struct {
		st             merchant.Status
		editable, ends bool
	}{
		{merchant.Pending, true, false},
		{merchant.Approved, false, false},
		{merchant.Rejected, true, true},
		{merchant.Suspended, false, true},
	} {
		if got := merchant.Editable(c.st); got != c.editable {
			t.Errorf("Editable(%s) = %v, want %v", c.st, got, c.editable)
		}
		if got := merchant.EndsAccess(c.st); got != c.ends {
			t.Errorf("EndsAccess(%s) = %v, want %v", c.st, got, c.ends)
		}
	}
}

// fakeStore holds one merchant in memory and records status changes; the
// methods the tests do not use are left to the embedded nil interface.
type fakeStore struct {
	merchant.Store
	m          merchant.Merchant
	plans      map[string]merchant.Plan
	programmes map[string]merchant.Programme
	from       []merchant.Status
	to         merchant.Status
	evs        []events.Event
	created    int
}

func (s *fakeStore) CreateApplication(_ context.Context, m merchant.Merchant, _ identity.User, ev events.Event) error {
	s.m, s.created, s.evs = m, s.created+1, append(s.evs, ev)
	return nil
}

func (s *fakeStore) Merchant(_ context.Context, id string) (merchant.Merchant, error) {
	if id != s.m.ID {
		return merchant.Merchant{}, errs.E("fake.Merchant", errs.NotFound, "merchant not found")
	}
	return s.m, nil
}

func (s *fakeStore) SetMerchantStatus(_ context.Context, id string, from []merchant.Status, to merchant.Status, reason, _ string, _ time.Time, ev events.Event) error {
	s.from, s.to = from, to
	if !slices.Contains(from, s.m.Status) {
		return errs.E("fake.SetMerchantStatus", errs.Conflict, "wrong status")
	}
	s.m.Status, s.m.StatusReason, s.evs = to, reason, append(s.evs, ev)
	return nil
}

func (s *fakeStore) EditApplication(_ context.Context, id string, edit func(merchant.Merchant) (merchant.Merchant, []events.Event, error)) (merchant.Merchant, error) {
	next, evs, err := edit(s.m)
	if err != nil {
		return merchant.Merchant{}, err
	}
	s.m, s.evs = next, append(s.evs, evs...)
	return next, nil
}

func (s *fakeStore) Plan(_ context.Context, id string) (merchant.Plan, error) {
	if p, ok := s.plans[id]; ok {
		return p, nil
	}
	return merchant.Plan{}, errs.E("fake.Plan", errs.NotFound, "plan not found")
}

func (s *fakeStore) Programme(_ context.Context, id string) (merchant.Programme, error) {
	if g, ok := s.programmes[id]; ok {
		return g, nil
	}
	return merchant.Programme{}, errs.E("fake.Programme", errs.NotFound, "programme not found")
}

func (s *fakeStore) AssignPlan(context.Context, string, string, string, events.Event) error {
	return nil
}

func newService(st *fakeStore) *merchant.Service {
	s := merchant.NewService(st)
	s.Now = func() time.Time { return time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC) }
	return s
}

func application() merchant.Application {
	return merchant.Application{Name: " Maison ", Country: "FR",
		Trader: merchant.Trader{LegalName: "Maison SAS", RegistrationNumber: "RCS 1", Address: "Paris", Email: "m@example.com", Phone: "+33 1", SelfCertified: true},
		Owner:  identity.Registration{Email: "owner@example.com", Name: "Owner", Password: "correct horse battery"}}
}

func wantKind(t *testing.T, what string, err error, k errs.Kind) {
	t.Helper()
	if got := errs.KindOf(err); got != k {
		t.Errorf("%s: kind %v, want %v (%v)", what, got, k, err)
	}
}

func TestApplyHashesWithTheServicesHasher(t *testing.T) {
	st := &fakeStore{}
	s := newService(st)
	s.Hasher = identity.NewHasher(1, time.Second)
	m, owner, err := s.Apply(t.Context(), identity.Actor{}, application())
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != merchant.Pending || m.Name != "Maison" || owner.MerchantID != m.ID || owner.PasswordHash == "" {
		t.Errorf("applied: %+v, owner %+v", m, owner)
	}
	if got := s.Hasher.Stats().Done; got != 1 {
		t.Errorf("the service's hasher did %d hashes, want 1", got)
	}
	bad := application()
	bad.Trader.SelfCertified = false
	_, _, err = s.Apply(t.Context(), identity.Actor{}, bad)
	wantKind(t, "uncertified trader", err, errs.Invalid)
	if errs.FieldOf(err) != "trader.self_certified" || st.created != 1 {
		t.Errorf("uncertified trader: field %q, %d applications stored", errs.FieldOf(err), st.created)
	}
}

func TestReviewTransitions(t *testing.T) {
	ctx := t.Context()
	op := identity.System
	for _, c := range []struct {
		name   string
		from   merchant.Status
		review func(s *merchant.Service) (merchant.Merchant, error)
		want   []merchant.Status // the statuses the store is told to move from
		to     merchant.Status
		kind   errs.Kind // of a move from a status not in want
	}{
		{"approve", merchant.Pending, func(s *merchant.Service) (merchant.Merchant, error) { return s.Approve(ctx, op, "mer_1") },
			[]merchant.Status{merchant.Pending, merchant.Suspended}, merchant.Approved, errs.Conflict},
		{"reject", merchant.Pending, func(s *merchant.Service) (merchant.Merchant, error) {
			return s.Reject(ctx, op, "mer_1", "unknown number")
		},
			[]merchant.Status{merchant.Pending}, merchant.Rejected, errs.Conflict},
		{"suspend", merchant.Approved, func(s *merchant.Service) (merchant.Merchant, error) { return s.Suspend(ctx, op, "mer_1", "complaints") },
			[]merchant.Status{merchant.Approved}, merchant.Suspended, errs.Conflict},
		{"reinstate", merchant.Suspended, func(s *merchant.Service) (merchant.Merchant, error) { return s.Approve(ctx, op, "mer_1") },
			[]merchant.Status{merchant.Pending, merchant.Suspended}, merchant.Approved, errs.Conflict},
	} {
		st := &fakeStore{m: merchant.Merchant{ID: "mer_1", Status: c.from}}
		m, err := c.review(newService(st))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if m.Status != c.to || !slices.Equal(st.from, c.want) || st.to != c.to {
			t.Errorf("%s: status %s, store moved %v → %s; want %v → %s", c.name, m.Status, st.from, st.to, c.want, c.to)
		}
	}
	st := &fakeStore{m: merchant.Merchant{ID: "mer_1", Status: merchant.Pending}}
	s := newService(st)
	_, err := s.Reject(ctx, op, "mer_1", "  ")
	wantKind(t, "rejection without a reason", err, errs.Invalid)
	_, err = s.Suspend(ctx, op, "mer_1", "complaints")
	wantKind(t, "suspending a pending merchant", err, errs.Conflict)
	_, err = s.Approve(ctx, identity.Actor{Role: identity.Staff, UserID: "usr_1", MerchantID: "mer_1"}, "mer_1")
	wantKind(t, "staff approving", err, errs.Forbidden)
	if st.m.Status != merchant.Pending {
		t.Errorf("refused reviews changed the status to %s", st.m.Status)
	}
}

func TestEditingARejectedApplicationResubmitsIt(t *testing.T) {
	st := &fakeStore{m: merchant.Merchant{ID: "mer_1", Name: "Old", Country: "FR", Status: merchant.Rejected, StatusReason: "unknown number",
		Trader: application().Trader}}
	s := newService(st)
	owner := identity.Actor{Role: identity.Staff, UserID: "usr_1", MerchantID: "mer_1", StaffRole: identity.StaffOwner}
	name := "New"
	m, err := s.EditApplication(t.Context(), owner, "mer_1", merchant.ApplicationPatch{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "New" || m.Status != merchant.Pending || m.StatusReason != "" {
		t.Errorf("edited: %+v, want pending without reason", m)
	}
	var types []string
	for _, ev := range st.evs {
		types = append(types, ev.Type)
	}
	if diff := cmp.Diff(types, []string{events.MerchantApplicationEdited, events.MerchantResubmitted}); diff != "" {
		t.Errorf("events (-got +want):\n%s", diff)
	}
	st.m.Status = merchant.Approved
	_, err = s.EditApplication(t.Context(), owner, "mer_1", merchant.ApplicationPatch{Name: &name})
	wantKind(t, "editing an approved merchant", err, errs.Conflict)
}

func TestAssignPlanChecksEligibility(t *testing.T) {
	st := &fakeStore{m: merchant.Merchant{ID: "mer_1", Country: "CN", Status: merchant.Approved},
		plans:      map[string]merchant.Plan{"pln_1": {ID: "pln_1", Deposit: eur(t, 1000), YearlyFee: eur(t, 100), CommissionBps: 1000}},
		programmes: map[string]merchant.Programme{"prg_fr": {ID: "prg_fr", Countries: []string{"FR"}, DepositDiscountBps: 5000}, "prg_all": {ID: "prg_all", DepositDiscountBps: 5000}}}
	s := newService(st)
	ctx, op := t.Context(), identity.System
	terms, err := s.AssignPlan(ctx, op, "mer_1", "pln_1", "prg_all")
	if err != nil || terms.Deposit.Minor != 500 {
		t.Errorf("open programme: %+v, %v; want a deposit of 500", terms, err)
	}
	for _, c := range []struct {
		name, plan, programme, field string
		kind                         errs.Kind
	}{
		{"ineligible country", "pln_1", "prg_fr", "programme_id", errs.Invalid},
		{"no such plan", "pln_x", "", "plan_id", errs.Invalid},
		{"no such programme", "pln_1", "prg_x", "programme_id", errs.Invalid},
	} {
		_, err := s.AssignPlan(ctx, op, "mer_1", c.plan, c.programme)
		wantKind(t, c.name, err, c.kind)
		if errs.FieldOf(err) != c.field {
			t.Errorf("%s: field %q, want %q", c.name, errs.FieldOf(err), c.field)
		}
	}
	_, err = s.AssignPlan(ctx, identity.Actor{Role: identity.Buyer, UserID: "usr_b"}, "mer_1", "pln_1", "")
	wantKind(t, "a buyer assigning", err, errs.Forbidden)
	_, err = s.AssignPlan(ctx, op, "mer_x", "pln_1", "")
	wantKind(t, "an unknown merchant", err, errs.NotFound)
}
