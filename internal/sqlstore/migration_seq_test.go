package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestMigrationKeysProductsBySeq: a catalogue written before products were
// keyed by seq (migration 11) pages, shows and lists as it did, in id order
// whatever order its rows were written in; products created and listed
// after it join it in order; every reference still holds.
func TestMigrationKeysProductsBySeq(t *testing.T) {
	for _, e := range testkit.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			old := openOldSchema(t, e, 10)
			dsn, db, w, bazaar, cat := old.dsn, old.db, old.w, old.bazaar, old.cat
			m, staff := w.approvedMerchant(t, "Savonnerie", "FR", "soap@example.fr")
			must[merchant.Shop](t)(w.merchant.OpenShop(ctx, staff, m.ID, bazaar.ID, m.Name))
			db.Close()

			// Three products as schema 10 held them, written out of id order;
			// the first and the last are listed on bazaar.
			pids := []string{"prd_019a0000000070008000000000000001", "prd_019a0000000070008000000000000002", "prd_019a0000000070008000000000000003"}
			vids := []string{"var_019a0000000070008000000000000011", "var_019a0000000070008000000000000012", "var_019a0000000070008000000000000013"}
			now := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
			driver := map[sqlstore.Engine]string{sqlstore.SQLite: "sqlite", sqlstore.Postgres: "pgx"}[e]
			raw, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range []int{2, 0, 1} {
				doc, _ := json.Marshal(map[string]any{"v": 1, "id": pids[i], "merchant_id": m.ID, "merchant_name": m.Name, "category_id": cat.ID, "origin_country": "FR",
					"translations": map[string]any{"fr": map[string]any{"title": "Savon " + string(rune('A'+i))}},
					"media":        []string{}, "attributes": map[string]string{},
					"variants": []any{map[string]any{"id": vids[i], "sku": "SAV-" + string(rune('A'+i)), "options": map[string]string{},
						"prices": []any{map[string]any{"channel_id": bazaar.ID, "amount": 690 + i, "currency": "EUR"}}}},
					"channel_ids": []string{}, "version": 1, "created_at": now, "updated_at": now})
				for _, q := range []struct {
					q    string
					args []any
				}{
					{`INSERT INTO products (id, merchant_id, category_id, version, doc) VALUES ($1, $2, $3, 1, $4)`, []any{sqlstore.StoredID("prd", pids[i]), m.ID, cat.ID, doc}},
					{`INSERT INTO variants (merchant_id, sku, id, product_id) VALUES ($1, $2, $3, $4)`, []any{m.ID, "SAV-" + string(rune('A'+i)), sqlstore.StoredID("var", vids[i]), sqlstore.StoredID("prd", pids[i])}},
				} {
					if _, err := raw.ExecContext(ctx, q.q, q.args...); err != nil {
						t.Fatalf("%s: %v", q.q, err)
					}
				}
				if i != 1 {
					if _, err := raw.ExecContext(ctx, `INSERT INTO listings (channel_id, product_id, active, listed_at) VALUES ($1, $2, TRUE, $3)`,
						bazaar.ID, sqlstore.StoredID("prd", pids[i]), now); err != nil {
						t.Fatal(err)
					}
				}
			}
			raw.Close()

			db, err = sqlstore.Open(ctx, dsn, sqlstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			w = newWorld(t, db)
			store := db.Catalog()
			page := func(want ...string) {
				t.Helper()
				pg := must[catalog.ViewPage](t)(store.ChannelViews(ctx, bazaar, "fr", "", 10, nil))
				var got []struct{ ID string }
				if err := json.Unmarshal(append(append([]byte{'['}, pg.JSON...), ']'), &got); err != nil {
					t.Fatalf("page %s: %v", pg.JSON, err)
				}
				var ids []string
				for _, v := range got {
					ids = append(ids, v.ID)
				}
				if strings.Join(ids, " ") != strings.Join(want, " ") {
					t.Fatalf("bazaar's page: %v, want %v", ids, want)
				}
			}
			page(pids[0], pids[2])
			b := must[[]byte](t)(store.ProductView(ctx, pids[2], bazaar, "fr"))
			if !strings.Contains(string(b), "Savon C") {
				t.Fatalf("product view after the migration: %s", b)
			}
			if _, err := store.ProductView(ctx, pids[1], bazaar, "fr"); errs.KindOf(err) != errs.NotFound {
				t.Fatalf("an unlisted product is shown: %v", err)
			}
			// Listed after the migration, the middle one takes its place.
			if err := w.catalog.List(ctx, staff, pids[1], "bazaar"); err != nil {
				t.Fatal(err)
			}
			page(pids[0], pids[1], pids[2])
			// New products come after them, on the page and in the detail:
			// two imported with their listing, one created and then listed.
			var ps []catalog.Product
			for _, sku := range []string{"SAV-D", "SAV-E"} {
				p := must[catalog.Product](t)(w.catalog.NewProduct(ctx, "test", m.ID, m.Name, catalog.ProductInput{CategoryID: cat.ID, OriginCountry: "FR",
					Translations: map[string]catalog.Text{"fr": {Title: "Savon " + sku}},
					Variants:     []catalog.VariantInput{{SKU: sku, Prices: []catalog.PriceInput{{Channel: "bazaar", Currency: "EUR", Amount: 700}}}}}))
				p.Channels = []string{bazaar.ID}
				ps = append(ps, p)
			}
			if err := w.catalog.Import(ctx, identity.System, ps); err != nil {
				t.Fatal(err)
			}
			p := must[catalog.Product](t)(w.catalog.CreateProduct(ctx, staff, catalog.ProductInput{CategoryID: cat.ID, OriginCountry: "FR",
				Translations: map[string]catalog.Text{"fr": {Title: "Savon F"}},
				Variants:     []catalog.VariantInput{{SKU: "SAV-F", Prices: []catalog.PriceInput{{Channel: "bazaar", Currency: "EUR", Amount: 700}}}}}))
			if err := w.catalog.List(ctx, staff, p.ID, "bazaar"); err != nil {
				t.Fatal(err)
			}
			page(pids[0], pids[1], pids[2], ps[0].ID, ps[1].ID, p.ID)
			for id, title := range map[string]string{ps[1].ID: "Savon SAV-E", p.ID: "Savon F"} {
				if b := must[[]byte](t)(store.ProductView(ctx, id, bazaar, "fr")); !strings.Contains(string(b), title) {
					t.Fatalf("new product's view: %s", b)
				}
			}
			// SKUs are still taken, and nothing points nowhere.
			_, err = w.catalog.AddVariant(ctx, staff, pids[0], catalog.VariantInput{SKU: "SAV-B"})
			wantKind(t, err, errs.Conflict)
			if e == sqlstore.SQLite {
				var n int
				if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&n); err != nil || n != 0 {
					t.Fatalf("foreign key violations: %d (%v)", n, err)
				}
				if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM listings l JOIN products p ON p.id = l.product_id WHERE p.seq <> l.product_seq`).Scan(&n); err != nil || n != 0 {
					t.Fatalf("listings carrying another product's seq: %d (%v)", n, err)
				}
			}
		})
	}
}
