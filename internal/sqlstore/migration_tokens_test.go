package sqlstore_test

import (
	"context"
	"testing"

	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestMigrationGivesAccountsALanguage: accounts opened before migration 22
// speak English and are not verified once it has run; they sign in as
// before, and a token minted for one then resets its password.
func TestMigrationGivesAccountsALanguage(t *testing.T) {
	for _, e := range testkit.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			old := openOldSchema(t, e, 20)
			u := must[identity.User](t)(old.w.id.RegisterBuyer(ctx, identity.Registration{Email: "old@example.com", Name: "Old", Password: "correct horse battery"}))
			old.db.Close()

			db, err := sqlstore.Open(ctx, old.dsn, sqlstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ids := identity.NewService(db.Identity())
			got := must[identity.User](t)(db.Identity().UserByID(ctx, u.ID))
			if got.Lang != "en" || got.EmailVerified || got.EmailVerifiedAt != nil {
				t.Fatalf("an old account after the migration: %+v", got)
			}
			if _, _, err := ids.Login(ctx, "old@example.com", "correct horse battery"); err != nil {
				t.Fatalf("an old account signs in: %v", err)
			}
			raw, _, err := ids.MintToken(ctx, u.ID, identity.ResetPassword)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := ids.ResetPassword(ctx, raw, "a brand new password"); err != nil || !got.EmailVerified {
				t.Fatalf("reset: %+v %v", got, err)
			}
		})
	}
}
