package sqlstore_test

import (
	"context"
	"testing"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestKeyCreatedAfterSuspensionIsRefused: a request authenticated while the
// merchant was approved (its actor still says so) that creates an API key
// after the suspension committed is refused by the store, which reads the
// status under the merchant row's lock; otherwise the key would miss the
// suspension's revocation and work again after reinstatement.
func TestKeyCreatedAfterSuspensionIsRefused(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		m, owner := w.approvedMerchant(t, "Racer", "FR", "racer@example.com")
		if _, err := w.merchant.Suspend(ctx, identity.System, m.ID, "checks failed"); err != nil {
			t.Fatal(err)
		}
		_, _, err := w.id.CreateAPIKey(ctx, owner, m.ID, "", identity.APIKeyInput{Name: "late"})
		wantKind(t, err, errs.Forbidden)
		if _, err := w.merchant.Approve(ctx, identity.System, m.ID); err != nil {
			t.Fatal(err)
		}
		keys, err := w.id.APIKeys(ctx, identity.System, m.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if k.RevokedAt == nil {
				t.Errorf("key %s (%s) outlived the suspension", k.ID, k.Name)
			}
		}
	})
}
