package sqlstore_test

import (
	"context"
	"sync"
	"testing"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestRejectionRevokesKeysMadeBeforeGating: a key a pending merchant holds
// (made before pending merchants were refused keys) is revoked by the
// rejection, in the same transaction; a partner's key is untouched.
func TestRejectionRevokesKeysMadeBeforeGating(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		m, owner, err := w.merchant.Apply(ctx, identity.Actor{}, application("Legacy", "FR", "legacy@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		// Written as the row an older Sesame stored: the store refuses such a key now.
		if err := db.ExecForTest(ctx, `INSERT INTO api_keys (id, name, merchant_id, secret_hash, created_by, created_at)
			VALUES ('key_00000000000000000000000000000001', 'old', $1, 'x', $2, $3)`, m.ID, owner.ID, w.clock.Now()); err != nil {
			t.Fatal(err)
		}
		p, _, err := w.id.CreatePartner(ctx, identity.System, identity.PartnerInput{Name: "P", Country: "FR", Login: identity.Registration{Email: "p@example.com", Name: "P", Password: "correct horse battery"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Identity().CreateAPIKey(ctx, identity.APIKey{ID: "key_00000000000000000000000000000002", Name: "wms", PartnerID: p.ID,
			SecretHash: "y", CreatedBy: "x", CreatedAt: w.clock.Now()}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.merchant.Reject(ctx, identity.System, m.ID, "unknown company"); err != nil {
			t.Fatal(err)
		}
		k, err := db.Identity().APIKeyByID(ctx, "key_00000000000000000000000000000001")
		if err != nil || k.RevokedAt == nil {
			t.Errorf("the rejected merchant's key: revoked %v, %v", k.RevokedAt, err)
		}
		k, err = db.Identity().APIKeyByID(ctx, "key_00000000000000000000000000000002")
		if err != nil || k.RevokedAt != nil {
			t.Errorf("the partner's key: revoked %v, %v", k.RevokedAt, err)
		}
	})
}

// TestEditRacingReview: an owner's edit racing the operator's approval is
// either applied before the approval or refused; it never lands on an
// approved merchant.
func TestEditRacingReview(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		for i := range 10 {
			m, owner, err := w.merchant.Apply(ctx, identity.Actor{}, application("Racer", "FR", "racer"+string(rune('a'+i))+"@example.com"))
			if err != nil {
				t.Fatal(err)
			}
			name := "Edited"
			var editErr, approveErr error
			var wg sync.WaitGroup
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, editErr = w.merchant.EditApplication(ctx, owner.Actor(), m.ID, merchant.ApplicationPatch{Name: &name})
			}()
			go func() { defer wg.Done(); _, approveErr = w.merchant.Approve(ctx, identity.System, m.ID) }()
			wg.Wait()
			if approveErr != nil {
				t.Fatal(approveErr)
			}
			got, err := w.merchant.Merchant(ctx, identity.System, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case editErr == nil && got.Name != "Edited", editErr != nil && got.Name != "Racer":
				t.Errorf("edit err %v, name %q", editErr, got.Name)
			case editErr != nil && errs.KindOf(editErr) != errs.Conflict:
				t.Errorf("edit after approval: %v, want Conflict", editErr)
			}
			if got.Status != merchant.Approved {
				t.Errorf("status %s", got.Status)
			}
		}
	})
}
