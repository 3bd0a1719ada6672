package sqlstore_test

import (
	"context"
	"sync"
	"testing"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// brandWorld is curatedLuxe plus an open bazaar channel, a second merchant
// ("rival", admitted to luxe with shops on both) and a marketplace brand
// admitted to luxe.
type brandWorld struct {
	*world
	luxe, bazaar   channel.Channel
	cat            catalog.Category
	owner, rival   merchant.Merchant
	ownerA, rivalA identity.Actor
	lux, market    catalog.Brand
}

func newBrandWorld(t *testing.T, db *sqlstore.DB) *brandWorld {
	t.Helper()
	ctx := context.Background()
	w := &brandWorld{world: newWorld(t, db)}
	w.luxe, w.cat, w.owner, w.ownerA, w.lux = w.curatedLuxe(t)
	w.bazaar = must[channel.Channel](t)(w.channel.CreateChannel(ctx, identity.System, channel.ChannelInput{Code: "bazaar", Name: "Bazaar", Markets: []string{"FR"},
		Languages: []string{"fr"}, Currencies: []string{"CNY"}, Admission: channel.Open}))
	w.rival, w.rivalA = w.approvedMerchant(t, "Grasse", "FR", "grasse@example.fr")
	w.market = must[catalog.Brand](t)(w.catalog.CreateBrand(ctx, identity.System, catalog.BrandInput{Slug: "market", Name: "Market"}))
	must[channel.Rules](t)(w.channel.Admit(ctx, identity.System, "luxe", channel.Rules{Merchants: []string{w.rival.ID}, Brands: []string{w.market.ID}}))
	for _, ch := range []string{w.luxe.ID, w.bazaar.ID} {
		must[merchant.Shop](t)(w.merchant.OpenShop(ctx, w.rivalA, w.rival.ID, ch, "Grasse"))
	}
	return w
}

func (w *brandWorld) input(brand, sku string) catalog.ProductInput {
	return catalog.ProductInput{BrandID: brand, CategoryID: w.cat.ID, OriginCountry: "FR", Translations: map[string]catalog.Text{"fr": {Title: "Parfum " + sku}},
		Variants: []catalog.VariantInput{{SKU: sku, Prices: []catalog.PriceInput{{Channel: "luxe", Currency: "CNY", Amount: 100}, {Channel: "bazaar", Currency: "CNY", Amount: 90}}}}}
}

// TestBrandRuleOnEveryPath: a merchant cannot put another merchant's brand,
// or a marketplace brand it is not authorised for, on a product by create,
// patch or bulk import; an authorisation opens all three, and withdrawing it
// removes the listings of that brand (and only those) on every channel.
func TestBrandRuleOnEveryPath(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newBrandWorld(t, db)
		before, _ := db.Fingerprint(ctx)
		_, err := w.catalog.CreateProduct(ctx, w.rivalA, w.input(w.lux.ID, "FAKE-1"))
		wantKind(t, err, errs.Forbidden)
		_, err = w.catalog.CreateProduct(ctx, w.rivalA, w.input(w.market.ID, "MKT-0"))
		wantKind(t, err, errs.Forbidden)
		imported := func(brand, sku string) catalog.Product {
			p := must[catalog.Product](t)(w.catalog.NewProduct(ctx, "test", w.rival.ID, "", w.input(brand, sku)))
			p.Channels = []string{w.luxe.ID, w.bazaar.ID}
			return p
		}
		wantKind(t, w.catalog.Import(ctx, identity.System, []catalog.Product{imported(w.lux.ID, "FAKE-2")}), errs.Forbidden)
		if after, _ := db.Fingerprint(ctx); after != before {
			t.Fatal("a refused create or import wrote something")
		}
		own := must[catalog.Product](t)(w.catalog.CreateProduct(ctx, w.rivalA, w.input("", "PLAIN-1")))
		luxID := w.lux.ID
		_, err = w.catalog.UpdateProduct(ctx, w.rivalA, own.ID, catalog.Patch{BrandID: &luxID})
		wantKind(t, err, errs.Forbidden)
		if p := must[catalog.Product](t)(db.Catalog().Product(ctx, own.ID)); p.BrandID != "" {
			t.Fatalf("a refused patch set brand %s", p.BrandID)
		}
		// The rival lists its unbranded product on the open bazaar; it stays there throughout.
		if err := w.catalog.List(ctx, w.rivalA, own.ID, "bazaar"); err != nil {
			t.Fatal(err)
		}

		// Authorised for the marketplace brand: create, patch, import and list all work.
		_, err = w.catalog.AuthoriseBrand(ctx, w.rivalA, w.market.ID, w.rival.ID)
		wantKind(t, err, errs.Forbidden) // only operators authorise
		a := must[catalog.BrandAuthorisation](t)(w.catalog.AuthoriseBrand(ctx, identity.System, w.market.ID, w.rival.ID))
		if a.GrantedBy != "system" || a.MerchantID != w.rival.ID {
			t.Fatalf("authorisation = %+v", a)
		}
		again := must[catalog.BrandAuthorisation](t)(w.catalog.AuthoriseBrand(ctx, identity.System, w.market.ID, w.rival.ID))
		if !again.GrantedAt.Equal(a.GrantedAt) {
			t.Fatalf("a second grant replaced the first: %+v then %+v", a, again)
		}
		_, err = w.catalog.AuthoriseBrand(ctx, identity.System, w.market.ID, ids.New(ids.Merchant))
		wantKind(t, err, errs.NotFound)
		mkt := must[catalog.Product](t)(w.catalog.CreateProduct(ctx, w.rivalA, w.input(w.market.ID, "MKT-1")))
		for _, ch := range []string{"luxe", "bazaar"} {
			if err := w.catalog.List(ctx, w.rivalA, mkt.ID, ch); err != nil {
				t.Fatalf("list on %s: %v", ch, err)
			}
		}
		bulk := imported(w.market.ID, "MKT-2")
		if err := w.catalog.Import(ctx, identity.System, []catalog.Product{bulk}); err != nil {
			t.Fatal(err)
		}
		listed := func(ch channel.Channel) map[string]bool {
			out := map[string]bool{}
			for _, p := range must[[]catalog.Product](t)(db.Catalog().ChannelProducts(ctx, ch.ID, "", 100)) {
				out[p.ID] = true
			}
			return out
		}
		if l := listed(w.luxe); !l[mkt.ID] || !l[bulk.ID] {
			t.Fatalf("luxe lists %v", l)
		}
		auths := must[[]catalog.BrandAuthorisation](t)(w.catalog.BrandAuthorisations(ctx, identity.System, w.market.ID))
		if len(auths) != 1 {
			t.Fatalf("authorisations = %+v", auths)
		}
		_, err = w.catalog.BrandAuthorisations(ctx, w.rivalA, w.market.ID)
		wantKind(t, err, errs.Forbidden)

		// Withdrawn: both products of that brand leave every channel; the unbranded one stays.
		wantKind(t, w.catalog.RevokeBrandAuthorisation(ctx, w.ownerA, w.market.ID, w.rival.ID), errs.Forbidden)
		if err := w.catalog.RevokeBrandAuthorisation(ctx, identity.System, w.market.ID, w.rival.ID); err != nil {
			t.Fatal(err)
		}
		if l := listed(w.luxe); len(l) != 0 {
			t.Fatalf("luxe still lists %v", l)
		}
		if l := listed(w.bazaar); len(l) != 1 || !l[own.ID] {
			t.Fatalf("bazaar lists %v, want only %s", l, own.ID)
		}
		wantKind(t, w.catalog.List(ctx, w.rivalA, mkt.ID, "bazaar"), errs.Forbidden)
		wantKind(t, w.catalog.RevokeBrandAuthorisation(ctx, identity.System, w.market.ID, w.rival.ID), errs.NotFound)
	})
}

// TestBrandWithdrawalRacingListings lists products of a marketplace brand
// while an operator withdraws the merchant's authorisation: whatever the
// interleaving, no listing of the brand survives.
func TestBrandWithdrawalRacingListings(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newBrandWorld(t, db)
		must[catalog.BrandAuthorisation](t)(w.catalog.AuthoriseBrand(ctx, identity.System, w.market.ID, w.rival.ID))
		var products []string
		for i := range 12 {
			p := must[catalog.Product](t)(w.catalog.CreateProduct(ctx, w.rivalA, w.input(w.market.ID, "R-"+string(rune('a'+i)))))
			products = append(products, p.ID)
		}
		var wg sync.WaitGroup
		for i, id := range products {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ch := "luxe"
				if i%2 == 0 {
					ch = "bazaar"
				}
				w.catalog.List(ctx, w.rivalA, id, ch) // refused or accepted; the end state is what matters
			}()
		}
		if err := w.catalog.RevokeBrandAuthorisation(ctx, identity.System, w.market.ID, w.rival.ID); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		for _, ch := range []channel.Channel{w.luxe, w.bazaar} {
			if page := must[[]catalog.Product](t)(db.Catalog().ChannelProducts(ctx, ch.ID, "", 100)); len(page) != 0 {
				t.Fatalf("%s lists %d products of a withdrawn brand", ch.Code, len(page))
			}
		}
	})
}

// TestSuspensionKeepsListingsThroughRevocations: a suspended merchant's
// listings are hidden, not removed, by a revocation that concerns someone
// else; reinstatement shows them again, and only those that still qualify.
func TestSuspensionKeepsListingsThroughRevocations(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newBrandWorld(t, db)
		bag := must[catalog.Product](t)(w.catalog.CreateProduct(ctx, w.ownerA, w.input(w.lux.ID, "BAG-1")))
		if err := w.catalog.List(ctx, w.ownerA, bag.ID, "luxe"); err != nil {
			t.Fatal(err)
		}
		must[merchant.Merchant](t)(w.merchant.Suspend(ctx, identity.System, w.owner.ID, "audit"))
		wantKind(t, w.catalog.List(ctx, w.ownerA, bag.ID, "luxe"), errs.Forbidden)
		must[channel.Rules](t)(w.channel.Revoke(ctx, identity.System, "luxe", channel.Rules{Merchants: []string{w.rival.ID}}))
		if page := must[[]catalog.Product](t)(db.Catalog().ChannelProducts(ctx, w.luxe.ID, "", 10)); len(page) != 0 {
			t.Fatalf("a suspended merchant's product is shown")
		}
		must[merchant.Merchant](t)(w.merchant.Approve(ctx, identity.System, w.owner.ID))
		if page := must[[]catalog.Product](t)(db.Catalog().ChannelProducts(ctx, w.luxe.ID, "", 10)); len(page) != 1 || page[0].ID != bag.ID {
			t.Fatalf("after reinstatement luxe lists %d, want the bag", len(page))
		}
		// Revoking the brand while suspended removes the listing for good.
		must[merchant.Merchant](t)(w.merchant.Suspend(ctx, identity.System, w.owner.ID, "audit"))
		must[channel.Rules](t)(w.channel.Revoke(ctx, identity.System, "luxe", channel.Rules{Brands: []string{w.lux.ID}}))
		must[merchant.Merchant](t)(w.merchant.Approve(ctx, identity.System, w.owner.ID))
		if page := must[[]catalog.Product](t)(db.Catalog().ChannelProducts(ctx, w.luxe.ID, "", 10)); len(page) != 0 {
			t.Fatalf("a listing whose brand was revoked came back")
		}
	})
}
