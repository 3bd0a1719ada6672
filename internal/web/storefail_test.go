package web_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/testkit"
)

// failingPlans is a merchant store whose plan and programme reads fail with
// a given error, as a database outage would.
type failingPlans struct {
	merchant.Store
	err error
}

func (s failingPlans) Plan(context.Context, string) (merchant.Plan, error) {
	return merchant.Plan{}, s.err
}

func (s failingPlans) Programme(context.Context, string) (merchant.Programme, error) {
	return merchant.Programme{}, s.err
}

// TestStoreFailureIsNotTheCallersMistake checks that a store failing for a
// reason other than a missing row answers as a server error, not as 422: a
// database outage is not "no such plan".
func TestStoreFailureIsNotTheCallersMistake(t *testing.T) {
	f := newFixture(t, testkit.Open(t, testkit.Engines()[0]))
	real := f.svc.Merchants.Store
	t.Cleanup(func() { f.svc.Merchants.Store = real })
	for _, c := range []struct {
		name string
		err  error
		want int
	}{
		{"internal", errs.E("sqlstore.Plan", errs.Internal, "connection reset"), 500},
		{"unavailable", errs.E("sqlstore.Plan", errs.Unavailable, "too many connections"), 503},
		{"not found", errs.E("sqlstore.Plan", errs.NotFound, "plan not found"), 422},
	} {
		f.svc.Merchants.Store = failingPlans{Store: real, err: c.err}
		for _, body := range []map[string]any{{"plan_id": "{plan}"}, {"plan_id": "{plan}", "programme_id": "prg_x"}} {
			if _, ok := body["programme_id"]; ok {
				// The plan read succeeds; only the programme read fails.
				f.svc.Merchants.Store = programmeOnly{failingPlans{Store: real, err: c.err}}
			}
			st, out := f.do("operator", "PUT", "/api/v1/merchants/{A}/plan", f.expandBody(body))
			if st != c.want {
				t.Errorf("%s, %v: status %d, want %d: %s", c.name, body, st, c.want, out)
			}
			var p struct {
				Errors []struct{ Location string } `json:"errors"`
			}
			_ = json.Unmarshal(out, &p)
			if c.want == 422 && len(p.Errors) == 0 {
				t.Errorf("%s, %v: a missing plan or programme names its field: %s", c.name, body, out)
			}
		}
	}
}

// programmeOnly fails programme reads only.
type programmeOnly struct{ failingPlans }

func (s programmeOnly) Plan(ctx context.Context, id string) (merchant.Plan, error) {
	return s.failingPlans.Store.Plan(ctx, id)
}
