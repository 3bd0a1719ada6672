package sqlstore_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestStoredProductDocumentVersions checks what products.doc holds and how
// it is read back: written at version 1; a document an older Sesame wrote
// (no "v") reads the same; one a newer Sesame wrote (unknown version) is an
// Internal error on every read path, not a product with fields missing.
func TestStoredProductDocumentVersions(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		mall := must[channel.Channel](t)(w.channel.CreateChannel(ctx, identity.System, channel.ChannelInput{Code: "mall", Name: "Mall", Markets: []string{"CN"},
			Languages: []string{"zh"}, Currencies: []string{"CNY"}, Admission: channel.Open}))
		cat := must[catalog.Category](t)(w.catalog.CreateCategory(ctx, identity.System, catalog.CategoryInput{Slug: "tea", Names: map[string]string{"en": "Tea"}}))
		m, staff := w.approvedMerchant(t, "Tea House", "CN", "tea@example.cn")
		must[merchant.Shop](t)(w.merchant.OpenShop(ctx, staff, m.ID, mall.ID, m.Name))
		p := must[catalog.Product](t)(w.catalog.CreateProduct(ctx, staff, catalog.ProductInput{CategoryID: cat.ID, OriginCountry: "CN",
			Translations: map[string]catalog.Text{"en": {Title: "Oolong"}}, Variants: []catalog.VariantInput{{SKU: "OOLONG-50"}}}))
		p = must[catalog.Product](t)(w.catalog.SetPrices(ctx, staff, p.ID, []catalog.SKUPriceInput{{SKU: "OOLONG-50",
			PriceInput: catalog.PriceInput{Channel: "mall", Currency: "CNY", Amount: 4800}}}))
		if err := w.catalog.List(ctx, staff, p.ID, "mall"); err != nil {
			t.Fatal(err)
		}
		store := db.Catalog()
		want := must[catalog.Product](t)(store.Product(ctx, p.ID))

		var stored []byte
		if err := db.QueryRowContext(ctx, `SELECT doc FROM products WHERE id = $1`, sqlstore.ProductKey(p.ID)).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(sqlstore.DocJSON(t, stored), &doc); err != nil {
			t.Fatal(err)
		}
		if doc["v"] != 1.0 {
			t.Fatalf("stored v = %v, want 1", doc["v"])
		}
		setDoc := func(v any) {
			t.Helper()
			if v == nil {
				delete(doc, "v")
			} else {
				doc["v"] = v
			}
			b, _ := json.Marshal(doc)
			if err := db.ExecForTest(ctx, `UPDATE products SET doc = $1 WHERE id = $2`, b, sqlstore.ProductKey(p.ID)); err != nil {
				t.Fatal(err)
			}
		}

		setDoc(nil)
		got := must[catalog.Product](t)(store.Product(ctx, p.ID))
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("unversioned document (-got +want):\n%s", diff)
		}
		if ps := must[[]catalog.Product](t)(store.ChannelProducts(ctx, mall.ID, "", 10)); len(ps) != 1 || ps[0].ID != p.ID {
			t.Errorf("channel products from an unversioned document = %+v", ps)
		}

		setDoc(2)
		_, err := store.Product(ctx, p.ID)
		wantKind(t, err, errs.Internal)
		if !strings.Contains(err.Error(), "version 2") {
			t.Errorf("error %q does not say which version it found", err)
		}
		_, err = store.ChannelProducts(ctx, mall.ID, "", 10)
		wantKind(t, err, errs.Internal)
		_, err = store.MerchantProducts(ctx, m.ID, "", 10)
		wantKind(t, err, errs.Internal)
	})
}
