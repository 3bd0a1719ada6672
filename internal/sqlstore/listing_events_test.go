package sqlstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// listingLog drains the outbox and describes its listing events, in order,
// as "upserted <channel> <product>", "removed <channel> <product> <reason>"
// or "batch <n>"; it also returns the listings upserted.
func listingLog(t *testing.T, db *sqlstore.DB, names map[string]string) ([]string, []events.Listing) {
	t.Helper()
	var log []string
	var ls []events.Listing
	for {
		evs, err := db.PendingEvents(context.Background(), 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return log, ls
		}
		idl := []string{}
		for _, e := range evs {
			idl = append(idl, e.ID)
			switch e.Type {
			case events.ListingUpserted:
				var l events.Listing
				json.Unmarshal(e.Payload, &l)
				ls = append(ls, l)
				log = append(log, "upserted "+names[l.ChannelID]+" "+names[l.ProductID])
			case events.ListingsUpserted:
				var b events.ListingBatch
				json.Unmarshal(e.Payload, &b)
				ls = append(ls, b.Listings...)
				log = append(log, fmt.Sprint("batch ", len(b.Listings)))
			case events.ListingRemoved:
				var r events.ListingRemoval
				json.Unmarshal(e.Payload, &r)
				log = append(log, "removed "+names[r.ChannelID]+" "+names[r.ProductID]+" "+r.Reason)
			}
		}
		if err := db.MarkPublished(context.Background(), idl); err != nil {
			t.Fatal(err)
		}
	}
}

// TestListingEventsOnEachPath: every path that changes what a channel shows
// writes the listing events it should, per channel, with the reason.
func TestListingEventsOnEachPath(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newBrandWorld(t, db)
		must[catalog.BrandAuthorisation](t)(w.catalog.AuthoriseBrand(ctx, identity.System, w.market.ID, w.rival.ID))
		names := map[string]string{w.luxe.ID: "luxe", w.bazaar.ID: "bazaar"}
		create := func(brand, sku string, chans ...string) catalog.Product {
			p := must[catalog.Product](t)(w.catalog.CreateProduct(ctx, w.rivalA, w.input(brand, sku)))
			names[p.ID] = sku
			for _, ch := range chans {
				if err := w.catalog.List(ctx, w.rivalA, p.ID, ch); err != nil {
					t.Fatal(err)
				}
			}
			return p
		}
		step := func(name string, want ...string) []events.Listing {
			t.Helper()
			got, ls := listingLog(t, db, names)
			if diff := cmp.Diff(got, want); diff != "" {
				t.Fatalf("%s: listing events (-got +want):\n%s", name, diff)
			}
			return ls
		}
		a := create(w.market.ID, "A", "luxe", "bazaar")
		b := create(w.market.ID, "B", "luxe", "bazaar")
		ls := step("list", "upserted luxe A", "upserted bazaar A", "upserted luxe B", "upserted bazaar B")
		if l := ls[0]; l.Brand == nil || l.Brand.Name != "Market" || l.Merchant.Name != "Grasse" || l.Prices["CNY"] != 100 || l.Texts["fr"].Title != "Parfum A" ||
			len(l.Category) != 1 || l.Category[0].Names["en"] != "Bags" || l.ChannelCode != "luxe" {
			t.Fatalf("listing = %+v", l)
		}

		must[catalog.Product](t)(w.catalog.UpdateProduct(ctx, w.rivalA, a.ID, catalog.Patch{Translations: map[string]catalog.Text{"en": {Title: "Scent"}}}))
		ls = step("edit", "upserted luxe A", "upserted bazaar A")
		if ls[0].Texts["en"].Title != "Scent" || ls[0].Version != 2 {
			t.Fatalf("edited listing = %+v", ls[0])
		}
		must[catalog.Product](t)(w.catalog.SetPrices(ctx, w.rivalA, a.ID, []catalog.SKUPriceInput{{SKU: "A", PriceInput: catalog.PriceInput{Channel: "luxe", Currency: "CNY", Amount: 55}}}))
		ls = step("price", "upserted luxe A", "upserted bazaar A")
		if ls[0].Prices["CNY"] != 55 || ls[1].Prices["CNY"] != 90 {
			t.Fatalf("prices per channel = %v, %v", ls[0].Prices, ls[1].Prices)
		}
		must[catalog.Product](t)(w.catalog.AddVariant(ctx, w.rivalA, a.ID, catalog.VariantInput{SKU: "A2", Options: map[string]string{"size": "50ml"}}))
		ls = step("variant", "upserted luxe A", "upserted bazaar A")
		if len(ls[0].Variants) != 2 || ls[0].Variants[1].Options["size"] != "50ml" {
			t.Fatalf("variants = %+v", ls[0].Variants)
		}

		none := ""
		must[catalog.Product](t)(w.catalog.UpdateProduct(ctx, w.rivalA, a.ID, catalog.Patch{BrandID: &none}))
		ls = step("brand change", "removed luxe A brand_changed", "upserted bazaar A")
		if ls[0].Brand != nil {
			t.Fatalf("unbranded listing has brand %+v", ls[0].Brand)
		}
		if err := w.catalog.RevokeBrandAuthorisation(ctx, identity.System, w.market.ID, w.rival.ID); err != nil {
			t.Fatal(err)
		}
		step("authorisation withdrawn", "removed luxe B brand_authorisation_withdrawn", "removed bazaar B brand_authorisation_withdrawn")

		c := create("", "C", "bazaar")
		step("list unbranded", "upserted bazaar C")
		must[merchant.Merchant](t)(w.merchant.Suspend(ctx, identity.System, w.rival.ID, "audit"))
		step("suspend", "removed bazaar A suspended", "removed bazaar C suspended")
		must[merchant.Merchant](t)(w.merchant.Approve(ctx, identity.System, w.rival.ID))
		step("reinstate", "upserted bazaar A", "upserted bazaar C")
		if err := w.catalog.Unlist(ctx, identity.System, c.ID, "bazaar"); err != nil {
			t.Fatal(err)
		}
		step("unlist", "removed bazaar C unlisted")

		must[catalog.BrandAuthorisation](t)(w.catalog.AuthoriseBrand(ctx, identity.System, w.market.ID, w.rival.ID))
		if err := w.catalog.List(ctx, w.rivalA, b.ID, "luxe"); err != nil {
			t.Fatal(err)
		}
		step("list again", "upserted luxe B")
		must[channel.Rules](t)(w.channel.Revoke(ctx, identity.System, "luxe", channel.Rules{Merchants: []string{w.rival.ID}}))
		step("revoke", "removed luxe B revoked")

		var ps []catalog.Product
		for i := range events.ListingBatchSize + 20 {
			p := must[catalog.Product](t)(w.catalog.NewProduct(ctx, "test", w.rival.ID, "", w.input("", fmt.Sprint("IMP-", i))))
			p.Channels = []string{w.bazaar.ID}
			ps = append(ps, p)
		}
		if err := w.catalog.Import(ctx, identity.System, ps); err != nil {
			t.Fatal(err)
		}
		ls = step("import", "batch 100", "batch 20")
		if len(ls) != 120 || ls[119].ProductID != ps[119].ID || ls[0].Merchant.Name != "Grasse" || !strings.HasPrefix(ls[0].Texts["fr"].Title, "Parfum") {
			t.Fatalf("imported listings: %d, first %+v", len(ls), ls[0])
		}
	})
}

// TestListingEventsUnderConcurrentEdits edits, prices, lists and unlists
// the same products at once: whatever the interleaving, a consumer of the
// events in outbox order ends showing what the database does.
func TestListingEventsUnderConcurrentEdits(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newBrandWorld(t, db)
		chans := []channel.Channel{w.luxe, w.bazaar}
		must[catalog.BrandAuthorisation](t)(w.catalog.AuthoriseBrand(ctx, identity.System, w.market.ID, w.rival.ID))
		var ps []catalog.Product
		for i := range 3 {
			p := must[catalog.Product](t)(w.catalog.CreateProduct(ctx, w.rivalA, w.input(w.market.ID, fmt.Sprint("R-", i))))
			ps = append(ps, p)
		}
		done := make(chan error)
		workers := 0
		for _, p := range ps {
			workers += 3
			go func() { // edits
				var err error
				for i := range 8 {
					_, err = w.catalog.UpdateProduct(ctx, w.rivalA, p.ID, catalog.Patch{Translations: map[string]catalog.Text{"en": {Title: fmt.Sprint("Edit ", i)}}})
					if err != nil {
						break
					}
				}
				done <- err
			}()
			go func() { // prices
				var err error
				for i := range 8 {
					_, err = w.catalog.SetPrices(ctx, w.rivalA, p.ID, []catalog.SKUPriceInput{{SKU: p.Variants[0].SKU, PriceInput: catalog.PriceInput{Channel: "bazaar", Currency: "CNY", Amount: int64(100 + i)}}})
					if err != nil {
						break
					}
				}
				done <- err
			}()
			go func() { // list and unlist
				for i := range 8 {
					ch := []string{"luxe", "bazaar"}[i%2]
					w.catalog.List(ctx, w.rivalA, p.ID, ch)
					if i%3 == 2 {
						w.catalog.Unlist(ctx, w.rivalA, p.ID, ch)
					}
				}
				done <- nil
			}()
		}
		for range workers {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		f := follower{}
		f.drain(t, db, map[string]int{})
		want := shown(t, db, chans, []catalog.Category{w.cat})
		for _, ch := range chans {
			if diff := cmp.Diff(f[ch.ID], want[ch.ID], cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("channel %s: stream (-) and database (+) differ:\n%s", ch.Code, diff)
			}
		}
	})
}

// TestImportEventsStampedWhenWritten: an import's listing events carry the
// time they were written to the outbox, not its products' own times (a
// feed's, or a generator's running ahead of the writes), which are no
// measure of when the channel changed nor of the relay's lag.
func TestImportEventsStampedWhenWritten(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newBrandWorld(t, db)
		written := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
		db.Now = func() time.Time { return written }
		listingLog(t, db, nil) // the world's own events
		var ps []catalog.Product
		for i := range 3 {
			p := must[catalog.Product](t)(w.catalog.NewProduct(ctx, "test", w.rival.ID, "", w.input("", fmt.Sprint("OLD-", i))))
			p.Channels = []string{w.bazaar.ID}
			p.CreatedAt = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
			p.UpdatedAt = p.CreatedAt
			ps = append(ps, p)
		}
		if err := w.catalog.Import(ctx, identity.System, ps); err != nil {
			t.Fatal(err)
		}
		evs, err := db.PendingEvents(ctx, 100)
		if err != nil || len(evs) != 1 || evs[0].Type != events.ListingsUpserted {
			t.Fatalf("import events = %+v, %v; want one batch", evs, err)
		}
		if !evs[0].At.Equal(written) {
			t.Errorf("import event at %s; want %s, when it was written", evs[0].At, written)
		}
	})
}
