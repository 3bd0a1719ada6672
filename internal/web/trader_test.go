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
