package sqlstore_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
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

// viewWorld is a marketplace with two channels in two languages each and an
// approved merchant with a shop on both.
type viewWorld struct {
	*world
	bazaar, mall channel.Channel
	cat          catalog.Category
	m            merchant.Merchant
	staff        identity.Actor
}

func newViewWorld(t *testing.T, db *sqlstore.DB) *viewWorld {
	ctx := context.Background()
	w := &viewWorld{world: newWorld(t, db)}
	w.bazaar = must[channel.Channel](t)(w.channel.CreateChannel(ctx, identity.System, channel.ChannelInput{Code: "bazaar", Name: "Bazaar",
		Markets: []string{"FR"}, Languages: []string{"fr", "en"}, Currencies: []string{"EUR", "GBP"}, Admission: channel.Open}))
	w.mall = must[channel.Channel](t)(w.channel.CreateChannel(ctx, identity.System, channel.ChannelInput{Code: "mall", Name: "Mall",
		Markets: []string{"CN"}, Languages: []string{"zh", "en"}, Currencies: []string{"CNY"}, Admission: channel.Open}))
	w.cat = must[catalog.Category](t)(w.catalog.CreateCategory(ctx, identity.System, catalog.CategoryInput{Slug: "bags", Names: map[string]string{"en": "Bags"}}))
	w.m, w.staff = w.approvedMerchant(t, "Maroquinerie", "FR", "bags@example.fr")
	for _, ch := range []string{w.bazaar.ID, w.mall.ID} {
		must[merchant.Shop](t)(w.merchant.OpenShop(ctx, w.staff, w.m.ID, ch, w.m.Name))
	}
	return w
}

// product makes the input of product n, listed on both channels when priced
// on both; some have no Chinese title and fall back.
func (w *viewWorld) input(n int) catalog.ProductInput {
	tr := map[string]catalog.Text{"fr": {Title: fmt.Sprintf("Sac n°%d <cuir> & \"toile\"", n), Description: "Cousu main"},
		"en": {Title: fmt.Sprintf("Bag %d", n)}}
	if n%3 != 0 {
		tr["zh"] = catalog.Text{Title: fmt.Sprintf("包 %d", n), Description: "手工缝制"}
	}
	in := catalog.ProductInput{CategoryID: w.cat.ID, OriginCountry: "FR", Translations: tr, Media: []string{"https://media.example/bag.jpg"}}
	for v := 0; v < 1+n%3; v++ {
		vi := catalog.VariantInput{SKU: fmt.Sprintf("BAG-%d-%d", n, v), Options: map[string]string{"colour": []string{"noir", "cognac", "rouge"}[v]},
			Prices: []catalog.PriceInput{{Channel: "bazaar", Currency: "EUR", Amount: int64(1000*n + 90)}, {Channel: "bazaar", Currency: "GBP", Amount: int64(860*n + 5)}}}
		if n%4 != 0 {
			vi.Prices = append(vi.Prices, catalog.PriceInput{Channel: "mall", Currency: "CNY", Amount: int64(7800*n + 100)})
		}
		in.Variants = append(in.Variants, vi)
	}
	return in
}

// TestViewsAreTheDocuments: what buyers read from the pre-rendered views
// (pages and single products, every channel and language) is exactly what
// rendering the stored documents gives, after creation and after edits, and
// still so when a view is missing and the read falls back to the document.
func TestViewsAreTheDocuments(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newViewWorld(t, db)
		store := db.Catalog()
		var ps []catalog.Product
		for n := 1; n <= 17; n++ {
			p := must[catalog.Product](t)(w.catalog.CreateProduct(ctx, w.staff, w.input(n)))
			for _, ch := range []string{"bazaar", "mall"} {
				if ch == "mall" && n%4 == 0 {
					continue
				}
				if err := w.catalog.List(ctx, w.staff, p.ID, ch); err != nil {
					t.Fatal(err)
				}
			}
			ps = append(ps, p)
		}
		check := func(stage string) {
			t.Helper()
			for _, ch := range []channel.Channel{w.bazaar, w.mall} {
				for _, lang := range ch.Languages {
					var want []string
					docs := must[[]catalog.Product](t)(store.ChannelProducts(ctx, ch.ID, "", 100))
					for _, p := range docs {
						b, _ := json.Marshal(p.View(db.Formatters, &ch, lang))
						want = append(want, string(b))
						got, err := store.ProductView(ctx, p.ID, ch, lang)
						if err != nil || string(got) != string(b) {
							t.Fatalf("%s: product %s on %s in %s:\n got %s (%v)\nwant %s", stage, p.ID, ch.Code, lang, got, err, b)
						}
					}
					var got []string
					for after := ""; ; {
						pg := must[catalog.ViewPage](t)(store.ChannelViews(ctx, ch, lang, after, 5, nil))
						if pg.N > 0 {
							got = append(got, string(pg.JSON))
						}
						if pg.N < 5 {
							break
						}
						after = pg.LastID
					}
					if g, wnt := strings.Join(got, ","), strings.Join(want, ","); g != wnt || len(want) == 0 {
						t.Fatalf("%s: pages of %s in %s:\n got %s\nwant %s", stage, ch.Code, lang, g, wnt)
					}
				}
			}
		}
		check("created")
		// Edits of every kind re-render the view.
		p0, p1, p2 := ps[0], ps[1], ps[2]
		must[catalog.Product](t)(w.catalog.UpdateProduct(ctx, w.staff, p0.ID, catalog.Patch{Translations: map[string]catalog.Text{"en": {Title: "Renamed"}, "fr": {Title: ""}},
			Attributes: map[string]string{"matière": "cuir"}}))
		must[catalog.Product](t)(w.catalog.AddVariant(ctx, w.staff, p1.ID, catalog.VariantInput{SKU: "NEW-1",
			Prices: []catalog.PriceInput{{Channel: "mall", Currency: "CNY", Amount: 1}, {Channel: "bazaar", Currency: "EUR", Amount: 2}}}))
		must[catalog.Product](t)(w.catalog.SetPrices(ctx, w.staff, p2.ID, []catalog.SKUPriceInput{{SKU: p2.Variants[0].SKU,
			PriceInput: catalog.PriceInput{Channel: "bazaar", Currency: "GBP", Amount: 123456}}}))
		if err := w.catalog.Unlist(ctx, w.staff, ps[3].ID, "bazaar"); err != nil {
			t.Fatal(err)
		}
		check("edited")
		// Without views, reads render from the documents, with the same bytes.
		if err := db.ExecForTest(ctx, `UPDATE products SET view = NULL WHERE merchant_id = $1`, w.m.ID); err != nil {
			t.Fatal(err)
		}
		check("no views")
	})
}

// productIDAt is a product id made at millisecond ms (UUIDv7 layout).
func productIDAt(ms int64, n int) string {
	b := make([]byte, 16)
	for i := 0; i < 6; i++ {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6], b[8], b[15] = 0x70, 0x80, byte(n)
	return "prd_" + hex.EncodeToString(b)
}

// TestPagesAreInvalidatedByRange: a cached page stays current while nothing
// it shows changes, and stops being current when a product in its range is
// edited, listed or unlisted; edits leave the channel row alone.
func TestPagesAreInvalidatedByRange(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newViewWorld(t, db)
		// Products made an hour apart in two groups: A1 A2 and B1 B2 B3.
		base := int64(1_790_000_000_000)
		idsOf := []string{productIDAt(base, 1), productIDAt(base, 2), productIDAt(base+3_600_000, 1), productIDAt(base+3_600_000, 2), productIDAt(base+3_600_000, 3)}
		var ps []catalog.Product
		for i, id := range idsOf {
			p := must[catalog.Product](t)(w.catalog.NewProduct(ctx, "test", w.m.ID, w.m.Name, w.input(i+1)))
			p.ID, p.Channels = id, []string{w.bazaar.ID}
			ps = append(ps, p)
		}
		if err := w.catalog.Import(ctx, identity.System, ps); err != nil {
			t.Fatal(err)
		}
		pageAfter := func(after string) catalog.ViewPage {
			return must[catalog.ViewPage](t)(w.catalog.ChannelViews(ctx, w.bazaar, "fr", catalog.EncodeCursor(after), 2, nil))
		}
		first := must[catalog.ViewPage](t)(w.catalog.ChannelViews(ctx, w.bazaar, "fr", "", 2, nil))
		if first.N != 2 || first.LastID != idsOf[1] {
			t.Fatalf("first page: %d items to %s", first.N, first.LastID)
		}
		groupB := pageAfter(idsOf[2]) // B2 B3
		current := func(pg catalog.ViewPage) bool {
			return must[bool](t)(w.catalog.PageCurrent(ctx, w.bazaar.ID, pg))
		}
		if !current(first) || !current(groupB) {
			t.Fatal("pages read now are not current")
		}
		version := func() int64 { return must[channel.Channel](t)(w.channel.Channel(ctx, w.bazaar.ID)).CatalogVersion }
		v0 := version()
		must[catalog.Product](t)(w.catalog.SetPrices(ctx, w.staff, idsOf[0], []catalog.SKUPriceInput{{SKU: ps[0].Variants[0].SKU,
			PriceInput: catalog.PriceInput{Channel: "bazaar", Currency: "EUR", Amount: 4242}}}))
		if current(first) {
			t.Error("the first page is current after a price change on it")
		}
		if !current(groupB) {
			t.Error("a page of other products was invalidated by a price change elsewhere")
		}
		if version() != v0 {
			t.Error("a price change wrote the channel's row")
		}
		first = must[catalog.ViewPage](t)(w.catalog.ChannelViews(ctx, w.bazaar, "fr", "", 2, nil))
		if !strings.Contains(string(first.JSON), `"amount":4242`) {
			t.Fatalf("the first page read again lacks the new price: %s", first.JSON)
		}
		must[catalog.Product](t)(w.catalog.UpdateProduct(ctx, w.staff, idsOf[4], catalog.Patch{Translations: map[string]catalog.Text{"fr": {Title: "Nouveau"}}}))
		if current(groupB) || !current(first) {
			t.Error("an edit of B3 must invalidate its page and only it")
		}
		groupB = pageAfter(idsOf[2])
		if err := w.catalog.Unlist(ctx, w.staff, idsOf[3], "bazaar"); err != nil {
			t.Fatal(err)
		}
		if current(groupB) || !current(first) {
			t.Error("unlisting B2 must invalidate its page and only it")
		}
		groupB = pageAfter(idsOf[2])
		if err := w.catalog.List(ctx, w.staff, idsOf[3], "bazaar"); err != nil {
			t.Fatal(err)
		}
		if current(groupB) || !current(first) {
			t.Error("listing B2 again must invalidate its page and only it")
		}
	})
}

// TestBulkImport: an import of many products (more than one statement's
// worth of each kind of row) stores every one, readable and listed, and a
// SKU taken twice in the import, or already taken, refuses the whole import
// with a Conflict naming it.
func TestBulkImport(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newViewWorld(t, db)
		mk := func(from, n int) []catalog.Product {
			var ps []catalog.Product
			for i := from; i < from+n; i++ {
				p := must[catalog.Product](t)(w.catalog.NewProduct(ctx, "test", w.m.ID, w.m.Name, w.input(i)))
				p.Channels = []string{w.bazaar.ID}
				ps = append(ps, p)
			}
			return ps
		}
		ps := mk(1, 300)
		if err := w.catalog.Import(ctx, identity.System, ps); err != nil {
			t.Fatal(err)
		}
		var n int
		for after := ""; ; {
			pg := must[catalog.ViewPage](t)(db.Catalog().ChannelViews(ctx, w.bazaar, "en", after, 100, nil))
			n += pg.N
			if pg.N < 100 {
				break
			}
			after = pg.LastID
		}
		if n != 300 {
			t.Fatalf("listed after the import: %d, want 300", n)
		}
		got := must[catalog.Product](t)(db.Catalog().Product(ctx, ps[299].ID))
		if len(got.Variants) != len(ps[299].Variants) || got.Translations["en"].Title != "Bag 300" {
			t.Fatalf("last product: %+v", got)
		}
		before := must[string](t)(db.Fingerprint(ctx))
		again := mk(301, 100)
		again[70].Variants[0].SKU = again[3].Variants[0].SKU
		err := w.catalog.Import(ctx, identity.System, again)
		wantKind(t, err, errs.Conflict)
		if !strings.Contains(err.Error(), again[3].Variants[0].SKU) {
			t.Errorf("error %q does not name the SKU", err)
		}
		again = mk(301, 100)
		again[99].Variants[0].SKU = ps[10].Variants[0].SKU
		err = w.catalog.Import(ctx, identity.System, again)
		wantKind(t, err, errs.Conflict)
		if !strings.Contains(err.Error(), ps[10].Variants[0].SKU) {
			t.Errorf("error %q does not name the SKU", err)
		}
		if after := must[string](t)(db.Fingerprint(ctx)); after != before {
			t.Error("a refused import changed the database")
		}
	})
}

// TestConcurrentFirstReads: more buyers than the read pool has connections
// read pages at once on a database just opened: every read is answered (a
// read that took a second connection while holding one would wait for ever).
func TestConcurrentFirstReads(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		w := newViewWorld(t, db)
		p := must[catalog.Product](t)(w.catalog.CreateProduct(context.Background(), w.staff, w.input(1)))
		if err := w.catalog.List(context.Background(), w.staff, p.ID, "bazaar"); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		errc := make(chan error, 64)
		for range 64 {
			go func() {
				pg, err := db.Catalog().ChannelViews(ctx, w.bazaar, "fr", "", 20, nil)
				if err == nil && pg.N != 1 {
					err = fmt.Errorf("%d items", pg.N)
				}
				errc <- err
			}()
		}
		for range 64 {
			if err := <-errc; err != nil {
				t.Fatalf("a concurrent first read: %v", err)
			}
		}
	})
}

// TestImportSeesChangesBeforeItsWrite: an import's documents, views and
// listing events are made before its write transaction; a merchant or brand
// renamed in between, or a brand authorisation withdrawn, is what the
// import stores, or refuses on.
func TestImportSeesChangesBeforeItsWrite(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newViewWorld(t, db)
		brand := must[catalog.Brand](t)(w.catalog.CreateBrand(ctx, identity.System, catalog.BrandInput{Slug: "atelier", Name: "Atelier"}))
		must[catalog.BrandAuthorisation](t)(w.catalog.AuthoriseBrand(ctx, identity.System, brand.ID, w.m.ID))
		mk := func(from int) []catalog.Product {
			var ps []catalog.Product
			for i := from; i < from+40; i++ {
				in := w.input(i)
				in.BrandID = brand.ID
				p := must[catalog.Product](t)(w.catalog.NewProduct(ctx, "test", w.m.ID, w.m.Name, in))
				p.Channels = []string{w.bazaar.ID}
				ps = append(ps, p)
			}
			return ps
		}
		db.BeforeImportWrite(func() {
			if err := db.ExecForTest(ctx, `UPDATE merchants SET name = 'Maroquinerie Renamed' WHERE id = $1`, w.m.ID); err != nil {
				t.Error(err)
			}
			if err := db.ExecForTest(ctx, `UPDATE brands SET name = 'Atelier Paris' WHERE id = $1`, brand.ID); err != nil {
				t.Error(err)
			}
		})
		ps := mk(1)
		if err := w.catalog.Import(ctx, identity.System, ps); err != nil {
			t.Fatal(err)
		}
		for _, p := range []catalog.Product{ps[0], ps[39]} {
			doc := must[catalog.Product](t)(db.Catalog().Product(ctx, p.ID))
			if doc.MerchantName != "Maroquinerie Renamed" || doc.BrandName != "Atelier Paris" {
				t.Fatalf("stored document names %q and %q, want the names at the write", doc.MerchantName, doc.BrandName)
			}
			view := must[[]byte](t)(db.Catalog().ProductView(ctx, p.ID, w.bazaar, "fr"))
			if !strings.Contains(string(view), "Atelier Paris") || strings.Contains(string(view), `"Atelier"`) {
				t.Fatalf("stored view %s does not carry the brand's name at the write", view)
			}
		}
		// The authorisation to use the brand withdrawn in between: refused,
		// nothing written.
		db.BeforeImportWrite(func() {
			if err := db.ExecForTest(ctx, `DELETE FROM brand_authorisations WHERE brand_id = $1`, brand.ID); err != nil {
				t.Error(err)
			}
		})
		err := w.catalog.Import(ctx, identity.System, mk(100))
		wantKind(t, err, errs.Forbidden)
		if n := len(must[[]catalog.Product](t)(db.Catalog().ChannelProducts(ctx, w.bazaar.ID, "", 1000))); n != 40 {
			t.Fatalf("bazaar lists %d products, want the 40 of the first import", n)
		}
	})
}
