package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestMigrationCompactsTheCatalogue: a catalogue written before the compact
// schema (text ids, translations and prices in tables of their own) reads
// the same after the migration, is rendered for buyers at open, and keeps
// its rules: SKUs stay unique, "priced there" still holds for the listing
// rule, edits and listings work.
func TestMigrationCompactsTheCatalogue(t *testing.T) {
	for _, e := range testkit.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			old := openOldSchema(t, e, 8)
			dsn, db, w, bazaar, cat := old.dsn, old.db, old.w, old.bazaar, old.cat
			mall := must[channel.Channel](t)(w.channel.CreateChannel(ctx, identity.System, channel.ChannelInput{Code: "mall", Name: "Mall",
				Markets: []string{"CN"}, Languages: []string{"zh", "en"}, Currencies: []string{"CNY"}, Admission: channel.Open}))
			// Approved by hand: the review path of this schema's code is the new one.
			m, owner, err := w.merchant.Apply(ctx, identity.Actor{}, application("Savonnerie", "FR", "soap@example.fr"))
			if err != nil {
				t.Fatal(err)
			}
			if err := db.ExecForTest(ctx, `UPDATE merchants SET status = 'approved' WHERE id = $1`, m.ID); err != nil {
				t.Fatal(err)
			}
			staff := owner.Actor()
			staff.MerchantStatus = identity.MerchantApproved
			for _, ch := range []string{bazaar.ID, mall.ID} {
				must[merchant.Shop](t)(w.merchant.OpenShop(ctx, staff, m.ID, ch, m.Name))
			}
			db.Close()

			// One product as the old schema held it, listed on bazaar, priced on both.
			const pid, vid = "prd_019a0000000070008000000000000001", "var_019a0000000070008000000000000002"
			now := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
			doc := map[string]any{"v": 1, "id": pid, "merchant_id": m.ID, "merchant_name": m.Name, "category_id": cat.ID, "origin_country": "FR",
				"translations": map[string]any{"fr": map[string]any{"title": "Savon à l'olive", "description": "300 g"}, "en": map[string]any{"title": "Olive soap"}},
				"media":        []string{}, "attributes": map[string]string{"weight": "300 g"},
				"variants": []any{map[string]any{"id": vid, "sku": "SAV-1", "options": map[string]string{"parfum": "olive"},
					"prices": []any{map[string]any{"channel_id": bazaar.ID, "amount": 690, "currency": "EUR"}, map[string]any{"channel_id": mall.ID, "amount": 5400, "currency": "CNY"}}}},
				"channel_ids": []string{}, "version": 3, "created_at": now, "updated_at": now}
			docJSON, _ := json.Marshal(doc)
			driver := map[sqlstore.Engine]string{sqlstore.SQLite: "sqlite", sqlstore.Postgres: "pgx"}[e]
			raw, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range []struct {
				q    string
				args []any
			}{
				{`INSERT INTO products (id, merchant_id, category_id, origin_country, media, attributes, version, doc, created_at, updated_at)
					VALUES ($1, $2, $3, 'FR', '[]', '{"weight":"300 g"}', 3, $4, $5, $5)`, []any{pid, m.ID, cat.ID, string(docJSON), now}},
				{`INSERT INTO product_translations (product_id, lang, title, description) VALUES ($1, 'fr', 'Savon à l''olive', '300 g'), ($1, 'en', 'Olive soap', '')`, []any{pid}},
				{`INSERT INTO variants (id, product_id, merchant_id, sku, options, position, created_at) VALUES ($1, $2, $3, 'SAV-1', '{"parfum":"olive"}', 0, $4)`, []any{vid, pid, m.ID, now}},
				{`INSERT INTO prices (variant_id, channel_id, currency, amount_minor, updated_at) VALUES ($1, $2, 'EUR', 690, $4), ($1, $3, 'CNY', 5400, $4)`, []any{vid, bazaar.ID, mall.ID, now}},
				{`INSERT INTO listings (channel_id, product_id, merchant_id, active, listed_at) VALUES ($1, $2, $3, TRUE, $4)`, []any{bazaar.ID, pid, m.ID, now}},
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
			w = newWorld(t, db)
			store := db.Catalog()
			p := must[catalog.Product](t)(store.Product(ctx, pid))
			if p.Translations["fr"].Title != "Savon à l'olive" || len(p.Variants) != 1 || len(p.Variants[0].Prices) != 2 || p.Version != 3 ||
				strings.Join(p.Channels, ",") != bazaar.ID || p.Attributes["weight"] != "300 g" {
				t.Fatalf("product after the migration: %+v", p)
			}
			var views int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM products WHERE view IS NOT NULL`).Scan(&views); err != nil || views != 1 {
				t.Fatalf("views rendered at open: %d (%v)", views, err)
			}
			pg := must[catalog.ViewPage](t)(store.ChannelViews(ctx, bazaar, "fr", "", 10, nil))
			want, _ := json.Marshal(p.View(db.Formatters, &bazaar, "fr"))
			if string(pg.JSON) != string(want) {
				t.Fatalf("bazaar page after the migration:\n got %s\nwant %s", pg.JSON, want)
			}
			// Priced on mall before the migration: the listing rule still knows.
			if err := w.catalog.List(ctx, staff, pid, "mall"); err != nil {
				t.Fatalf("listing on mall, priced there before the migration: %v", err)
			}
			// The SKU is still taken.
			_, err = w.catalog.AddVariant(ctx, staff, pid, catalog.VariantInput{SKU: "SAV-1"})
			wantKind(t, err, errs.Conflict)
			got := must[catalog.Product](t)(w.catalog.SetPrices(ctx, staff, pid, []catalog.SKUPriceInput{{SKU: "SAV-1",
				PriceInput: catalog.PriceInput{Channel: "bazaar", Currency: "EUR", Amount: 750}}}))
			if got.Version != 4 || got.Variants[0].Prices[0].Minor != 750 {
				t.Fatalf("after a price change: %+v", got)
			}
		})
	}
}

// oldSchema is a database stopped at an earlier schema version, with the
// bazaar channel and a soap category, for a migration's test to fill.
type oldSchema struct {
	dsn    string
	db     *sqlstore.DB
	w      *world
	bazaar channel.Channel
	cat    catalog.Category
}

func openOldSchema(t *testing.T, e sqlstore.Engine, version int64) oldSchema {
	t.Helper()
	ctx := context.Background()
	o := oldSchema{dsn: testkit.DSN(t, e)}
	var err error
	if o.db, err = sqlstore.Open(ctx, o.dsn, sqlstore.Options{MigrateTo: version}); err != nil {
		t.Fatal(err)
	}
	o.w = newWorld(t, o.db)
	o.bazaar = must[channel.Channel](t)(o.w.channel.CreateChannel(ctx, identity.System, channel.ChannelInput{Code: "bazaar", Name: "Bazaar",
		Markets: []string{"FR"}, Languages: []string{"fr", "en"}, Currencies: []string{"EUR"}, Admission: channel.Open}))
	o.cat = must[catalog.Category](t)(o.w.catalog.CreateCategory(ctx, identity.System, catalog.CategoryInput{Slug: "soap", Names: map[string]string{"en": "Soap"}}))
	return o
}
