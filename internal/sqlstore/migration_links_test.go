package sqlstore_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestMigrationTurnsImposedPartnersIntoRequests: a merchant's warehouse that
// named a partner before partner links existed loses that operator, and the
// partner finds a request to accept instead; a partner's own warehouse keeps
// it.
func TestMigrationTurnsImposedPartnersIntoRequests(t *testing.T) {
	for _, e := range testkit.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			dsn := testkit.DSN(t, e)
			db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{MigrateTo: 3})
			if err != nil {
				t.Fatal(err)
			}
			m, _, err := merchant.NewService(db.Merchants()).Apply(ctx, identity.Actor{}, application("Old", "FR", "old@example.com"))
			if err != nil {
				t.Fatal(err)
			}
			p, _, err := identity.NewService(db.Identity()).CreatePartner(ctx, identity.System, identity.PartnerInput{Name: "P", Country: "FR",
				Login: identity.Registration{Email: "p@example.com", Name: "P", Password: "correct horse battery"}})
			if err != nil {
				t.Fatal(err)
			}
			db.Close()

			// The schema before partner links, with one imposed operator.
			driver := map[sqlstore.Engine]string{sqlstore.SQLite: "sqlite", sqlstore.Postgres: "pgx"}[e]
			raw, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC()
			for _, q := range []struct {
				q    string
				args []any
			}{
				{`INSERT INTO warehouses (id, code, name, country, city, owner_merchant_id, operator_partner_id, created_at)
					VALUES ('wh_00000000000000000000000000000001', 'imposed', 'I', 'FR', 'Paris', $1, $2, $3)`, []any{m.ID, p.ID, now}},
				{`INSERT INTO warehouses (id, code, name, country, city, operator_partner_id, created_at)
					VALUES ('wh_00000000000000000000000000000002', 'own', 'O', 'FR', 'Paris', $1, $2)`, []any{p.ID, now}},
			} {
				if _, err := raw.ExecContext(ctx, q.q, q.args...); err != nil {
					t.Fatalf("%s: %v", q.q, err)
				}
			}
			raw.Close()

			db, err = sqlstore.Open(ctx, dsn, sqlstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			inv := inventory.NewService(db.Inventory())
			partner := identity.Actor{Role: identity.Partner, UserID: "u", PartnerID: p.ID}
			ws, err := inv.List(ctx, partner)
			if err != nil || len(ws) != 1 || ws[0].Code != "own" {
				t.Errorf("the partner sees %+v (%v), want only its own warehouse", ws, err)
			}
			ls, err := inv.Links(ctx, partner, inventory.LinkRequested)
			if err != nil || len(ls) != 1 || ls[0].WarehouseID != "wh_00000000000000000000000000000001" || ls[0].MerchantID != m.ID {
				t.Fatalf("requests: %+v (%v)", ls, err)
			}
			if _, err := inv.Accept(ctx, partner, ls[0].ID); err != nil {
				t.Fatal(err)
			}
			if ws, _ := inv.List(ctx, partner); len(ws) != 2 {
				t.Errorf("after accepting the partner sees %+v", ws)
			}
		})
	}
}
