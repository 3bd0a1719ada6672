package web_test

import (
	"encoding/json"
	"testing"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestTraderInformationIsPublic: anyone reads an approved merchant's
// trader information, signed in or not; a pending, rejected or suspended
// merchant's, or an unknown one's, is not found. Every answer matches the
// document.
func TestTraderInformationIsPublic(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		for _, actor := range []string{"", "buyer", "ownerB", "partner"} {
			status, out := f.do(actor, "GET", "/api/v1/merchants/{A}/trader", nil)
			var tr struct {
				LegalName          string `json:"legal_name"`
				RegistrationNumber string `json:"registration_number"`
				Email              string `json:"email"`
			}
			if err := json.Unmarshal(out, &tr); status != 200 || err != nil || tr.LegalName == "" || tr.RegistrationNumber == "" || tr.Email == "" {
				t.Errorf("%q reads A's trader information: %d %s", actor, status, out)
			}
		}
		for _, id := range []string{"{P}", "{R}", "{S}", "{C1}", "mer_nothing"} {
			if status, out := f.do("", "GET", "/api/v1/merchants/"+id+"/trader", nil); status != 404 {
				t.Errorf("the trader information of %s: %d %s", id, status, out)
			}
		}
	})
}

// TestOnTimeOverHTTP: operators read every warehouse's on-time counts; a
// warehouse's merchant reads its own; others are refused or find no such
// warehouse; a bad period is refused with its field. Every answer matches
// the document.
func TestOnTimeOverHTTP(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		for _, c := range []struct {
			actor, path string
			want        int
		}{
			{"operator", "/api/v1/promises/on-time", 200},
			{"operator", "/api/v1/promises/on-time?warehouse_id={whS}&days=30", 200},
			{"ownerS", "/api/v1/promises/on-time?warehouse_id={whS}", 200},
			{"ownerB", "/api/v1/promises/on-time?warehouse_id={whS}", 404},
			{"partner", "/api/v1/promises/on-time?warehouse_id={whS}", 404},
			{"buyer", "/api/v1/promises/on-time", 403},
			{"ownerA", "/api/v1/promises/on-time", 403},
			{"", "/api/v1/promises/on-time", 401},
			{"operator", "/api/v1/promises/on-time?days=0", 422},
			{"operator", "/api/v1/promises/on-time?warehouse_id=wh_nothing", 404},
		} {
			status, out := f.do(c.actor, "GET", c.path, nil)
			if status != c.want {
				t.Errorf("%s GET %s: %d, want %d: %s", c.actor, c.path, status, c.want, out)
			}
			if status == 200 {
				var r struct {
					Items []json.RawMessage `json:"items"`
				}
				if err := json.Unmarshal(out, &r); err != nil || r.Items == nil {
					t.Errorf("%s GET %s: %s", c.actor, c.path, out)
				}
			}
		}
	})
}
