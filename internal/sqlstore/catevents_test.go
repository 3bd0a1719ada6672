package sqlstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/search"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// follower is a consumer that knows the catalogue only from the stream: per
// channel, the listings it shows, as the listing events describe them.
type follower map[string]map[string]events.Listing

func (f follower) apply(t *testing.T, e events.Event) {
	t.Helper()
	put := func(l events.Listing) {
		if l.V != events.ListingV1 {
			t.Fatalf("listing of version %d", l.V)
		}
		if f[l.ChannelID] == nil {
			f[l.ChannelID] = map[string]events.Listing{}
		}
		f[l.ChannelID][l.ProductID] = l
	}
	switch e.Type {
	case events.ListingUpserted:
		var l events.Listing
		if err := json.Unmarshal(e.Payload, &l); err != nil {
			t.Fatal(err)
		}
		put(l)
	case events.ListingsUpserted:
		var b events.ListingBatch
		if err := json.Unmarshal(e.Payload, &b); err != nil {
			t.Fatal(err)
		}
		if b.V != events.ListingV1 || len(b.Listings) == 0 || len(b.Listings) > events.ListingBatchSize {
			t.Fatalf("batch of version %d with %d listings", b.V, len(b.Listings))
		}
		for _, l := range b.Listings {
			put(l)
		}
	case events.ListingRemoved:
		var r events.ListingRemoval
		if err := json.Unmarshal(e.Payload, &r); err != nil {
			t.Fatal(err)
		}
		if r.Reason == "" || r.V != events.ListingV1 {
			t.Fatalf("removal %+v", r)
		}
		delete(f[r.ChannelID], r.ProductID)
	}
}

// drain applies every pending outbox event, in outbox order, and marks them
// published.
func (f follower) drain(t *testing.T, db *sqlstore.DB, seen map[string]int, also ...events.Handler) {
	t.Helper()
	ctx := context.Background()
	for {
		evs, err := db.PendingEvents(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return
		}
		idl := make([]string, len(evs))
		for i, e := range evs {
			f.apply(t, e)
			for _, h := range also {
				if err := h(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			seen[e.Type]++
			if e.Type == events.ListingRemoved {
				var r events.ListingRemoval
				json.Unmarshal(e.Payload, &r)
				seen["removed:"+r.Reason]++
			}
			idl[i] = e.ID
		}
		if err := db.MarkPublished(ctx, idl); err != nil {
			t.Fatal(err)
		}
	}
}

// shown is what the database says each channel shows: every active listing,
// built from the product's stored document.
func shown(t *testing.T, db *sqlstore.DB, chans []channel.Channel, cats []catalog.Category) follower {
	t.Helper()
	ctx := context.Background()
	byID := map[string]catalog.Category{}
	for _, c := range cats {
		byID[c.ID] = c
	}
	out := follower{}
	countries := map[string]string{}
	for _, ch := range chans {
		after := ""
		for {
			page, err := db.Catalog().ChannelProducts(ctx, ch.ID, after, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, p := range page {
				var path []catalog.Category
				for id := p.CategoryID; id != ""; id = byID[id].ParentID {
					path = append([]catalog.Category{byID[id]}, path...)
				}
				if out[ch.ID] == nil {
					out[ch.ID] = map[string]events.Listing{}
				}
				if _, ok := countries[p.MerchantID]; !ok {
					m, err := db.Merchants().Merchant(ctx, p.MerchantID)
					if err != nil {
						t.Fatal(err)
					}
					countries[p.MerchantID] = m.Country
				}
				l := catalog.ListingOf(p, ch.ID, ch.Code, path)
				l.ShipsFrom = countries[p.MerchantID]
				out[ch.ID][p.ID] = l
			}
			after = page[len(page)-1].ID
		}
	}
	return out
}

// TestEventsCarryTheCatalogue runs a seeded random sequence of catalogue
// operations (create, patch, price, variant, list, unlist, revoke, admit,
// suspend, reinstate, brand change, brand authorisation and its withdrawal,
// import) and checks, every 100 operations and at the end, that a consumer
// built from the listing events alone shows exactly what the database does,
// field for field. The seed is logged, so a failure can be replayed with
// SESAME_EVENTS_SEED. A seeded sequence rather than pgregory.net/rapid: one
// run is about 1,000 database transactions per engine, and rapid's hundred
// runs and shrinking would not fit in the test's time budget.
func TestEventsCarryTheCatalogue(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		seed := uint64(testSeed(t))
		rng := rand.New(rand.NewPCG(seed, 7))
		w := newWorld(t, db)
		luxe := must[channel.Channel](t)(w.channel.CreateChannel(ctx, identity.System, channel.ChannelInput{Code: "luxe", Name: "Luxe", Markets: []string{"CN"},
			Languages: []string{"zh", "en"}, Currencies: []string{"CNY"}, Admission: channel.Curated}))
		bazaar := must[channel.Channel](t)(w.channel.CreateChannel(ctx, identity.System, channel.ChannelInput{Code: "bazaar", Name: "Bazaar", Markets: []string{"FR"},
			Languages: []string{"fr", "en"}, Currencies: []string{"EUR", "CNY"}, Admission: channel.Open}))
		chans := []channel.Channel{luxe, bazaar}
		home := must[catalog.Category](t)(w.catalog.CreateCategory(ctx, identity.System, catalog.CategoryInput{Slug: "home", Names: map[string]string{"en": "Home", "fr": "Maison"}}))
		bags := must[catalog.Category](t)(w.catalog.CreateCategory(ctx, identity.System, catalog.CategoryInput{ParentID: home.ID, Slug: "bags", Names: map[string]string{"en": "Bags"}}))
		cats := []catalog.Category{home, bags}
		ma, aa := w.approvedMerchant(t, "Maison", "FR", "m@example.fr")
		mb, ab := w.approvedMerchant(t, "Grasse", "IT", "g@example.it")
		merchants := []merchant.Merchant{ma, mb}
		actors := []identity.Actor{aa, ab}
		own := []catalog.Brand{
			must[catalog.Brand](t)(w.catalog.CreateBrand(ctx, aa, catalog.BrandInput{Slug: "lux", Name: "Lux"})),
			must[catalog.Brand](t)(w.catalog.CreateBrand(ctx, ab, catalog.BrandInput{Slug: "plain", Name: "Plain"})),
		}
		market := must[catalog.Brand](t)(w.catalog.CreateBrand(ctx, identity.System, catalog.BrandInput{Slug: "market", Name: "Market"}))
		for _, m := range merchants {
			must[catalog.BrandAuthorisation](t)(w.catalog.AuthoriseBrand(ctx, identity.System, market.ID, m.ID))
		}
		admit := func() {
			must[channel.Rules](t)(w.channel.Admit(ctx, identity.System, "luxe", channel.Rules{Merchants: []string{ma.ID, mb.ID}, Brands: []string{own[0].ID, own[1].ID, market.ID}}))
		}
		admit()
		for i, m := range merchants {
			for _, ch := range chans {
				must[merchant.Shop](t)(w.merchant.OpenShop(ctx, actors[i], m.ID, ch.ID, m.Name))
			}
		}
		type prod struct {
			id       string
			merchant int
			skus     []string
		}
		var products []prod
		sku := 0
		brandFor := func(m int) string {
			switch rng.IntN(4) {
			case 0:
				return ""
			case 1:
				return market.ID
			default:
				return own[m].ID
			}
		}
		prices := func() []catalog.PriceInput {
			var out []catalog.PriceInput
			if rng.IntN(3) > 0 {
				out = append(out, catalog.PriceInput{Channel: "luxe", Currency: "CNY", Amount: int64(100 + rng.IntN(10000))})
			}
			if rng.IntN(3) > 0 {
				out = append(out, catalog.PriceInput{Channel: "bazaar", Currency: []string{"EUR", "CNY"}[rng.IntN(2)], Amount: int64(100 + rng.IntN(10000))})
			}
			return out
		}
		input := func(m int) catalog.ProductInput {
			sku++
			in := catalog.ProductInput{BrandID: brandFor(m), CategoryID: cats[rng.IntN(2)].ID, OriginCountry: []string{"FR", "CN", "IT"}[rng.IntN(3)],
				Translations: map[string]catalog.Text{"fr": {Title: fmt.Sprintf("Sac %d", sku), Description: "Cuir"}},
				Media:        []string{fmt.Sprintf("https://img.example/%d.jpg", sku)}, Attributes: map[string]string{"material": "leather"},
				Variants: []catalog.VariantInput{{SKU: fmt.Sprintf("S-%d", sku), Options: map[string]string{"colour": "black"}, Prices: prices()}}}
			if rng.IntN(2) == 0 {
				in.Translations["zh"] = catalog.Text{Title: fmt.Sprintf("包 %d", sku)}
			}
			return in
		}
		var bulk []prod // imported: many, so picked less often
		pick := func() (prod, bool) {
			from := products
			if len(bulk) > 0 && (len(from) == 0 || rng.IntN(5) == 0) {
				from = bulk
			}
			if len(from) == 0 {
				return prod{}, false
			}
			return from[rng.IntN(len(from))], true
		}
		// ok accepts the refusals a random sequence runs into (the rules
		// say no) and fails on anything else.
		ok := func(op string, err error) {
			t.Helper()
			if k := errs.KindOf(err); err != nil && k != errs.Forbidden && k != errs.Invalid && k != errs.NotFound && k != errs.Conflict {
				t.Fatalf("%s: %v (kind %v)", op, err, k)
			}
		}
		f := follower{}
		seen := map[string]int{}
		// A search engine follows the same stream: it must show what the
		// database does.
		engine := search.New(func(context.Context) ([]channel.Channel, error) { return chans, nil }, slog.New(slog.DiscardHandler))
		if err := engine.Load(ctx, db.Catalog()); err != nil {
			t.Fatal(err)
		}
		check := func(at int) {
			t.Helper()
			f.drain(t, db, seen, engine.Handle)
			want := shown(t, db, chans, cats)
			for _, ch := range chans {
				if diff := cmp.Diff(f[ch.ID], want[ch.ID], cmpopts.EquateEmpty()); diff != "" {
					t.Fatalf("seed %d, after %d operations, channel %s: stream (-) and database (+) differ:\n%s", seed, at, ch.Code, diff)
				}
				found := map[string]string{}
				for cursor := ""; ; {
					r, err := engine.Search(ctx, search.Query{Channel: ch.Code, Lang: ch.DefaultLanguage, Limit: search.MaxLimit, Cursor: cursor, Sort: search.SortNewest})
					if err != nil {
						t.Fatal(err)
					}
					for _, it := range r.Items {
						found[it.ID] = it.Title
					}
					if cursor = r.NextCursor; cursor == "" {
						break
					}
				}
				titles := map[string]string{}
				for id, l := range want[ch.ID] {
					titles[id] = search.TitleIn(l.Texts, ch.DefaultLanguage, ch.DefaultLanguage)
				}
				if diff := cmp.Diff(found, titles, cmpopts.EquateEmpty()); diff != "" {
					t.Fatalf("seed %d, after %d operations, channel %s: search (-) and database (+) differ:\n%s", seed, at, ch.Code, diff)
				}
			}
		}
		var imports [2]int // done, refused
		const steps = 1000
		for i := 1; i <= steps; i++ {
			w.clock.Advance(1e9)
			m := rng.IntN(2)
			switch op := rng.IntN(20); {
			case op < 2 && rng.IntN(2) == 0: // brand change, the brand of a listed product
				if p, ok2 := pick(); ok2 {
					b := brandFor(p.merchant)
					_, err := w.catalog.UpdateProduct(ctx, actors[p.merchant], p.id, catalog.Patch{BrandID: &b})
					ok("brand change", err)
				}
			case op < 2: // list on luxe
				if p, ok2 := pick(); ok2 {
					ok("list", w.catalog.List(ctx, actors[p.merchant], p.id, "luxe"))
				}
			case op < 4: // create
				p, err := w.catalog.CreateProduct(ctx, actors[m], input(m))
				ok("create", err)
				if err == nil {
					products = append(products, prod{p.ID, m, []string{p.Variants[0].SKU}})
				}
			case op < 5: // patch texts, media, attributes, origin
				if p, ok2 := pick(); ok2 {
					origin := []string{"FR", "CN", "IT"}[rng.IntN(3)]
					_, err := w.catalog.UpdateProduct(ctx, actors[p.merchant], p.id, catalog.Patch{OriginCountry: &origin,
						Translations: map[string]catalog.Text{"en": {Title: fmt.Sprintf("Bag %d", i)}},
						Attributes:   map[string]string{"size": fmt.Sprint(rng.IntN(5))}})
					ok("patch", err)
				}
			case op < 6: // brand change
				if p, ok2 := pick(); ok2 {
					b := brandFor(p.merchant)
					_, err := w.catalog.UpdateProduct(ctx, actors[p.merchant], p.id, catalog.Patch{BrandID: &b})
					ok("brand change", err)
				}
			case op < 8: // price
				if p, ok2 := pick(); ok2 {
					in := []catalog.SKUPriceInput{{SKU: p.skus[rng.IntN(len(p.skus))], PriceInput: catalog.PriceInput{Channel: "luxe", Currency: "CNY", Amount: int64(rng.IntN(9000))}}}
					if rng.IntN(2) == 0 {
						in[0].PriceInput = catalog.PriceInput{Channel: "bazaar", Currency: "EUR", Amount: int64(rng.IntN(9000))}
					}
					_, err := w.catalog.SetPrices(ctx, actors[p.merchant], p.id, in)
					ok("price", err)
				}
			case op < 9: // variant
				if p, ok2 := pick(); ok2 {
					sku++
					s := fmt.Sprintf("S-%d", sku)
					_, err := w.catalog.AddVariant(ctx, actors[p.merchant], p.id, catalog.VariantInput{SKU: s, Options: map[string]string{"colour": "red"}, Prices: prices()})
					ok("variant", err)
					if err == nil {
						for _, list := range [][]prod{products, bulk} {
							for j := range list {
								if list[j].id == p.id {
									list[j].skus = append(list[j].skus, s)
								}
							}
						}
					}
				}
			case op < 12: // list
				if p, ok2 := pick(); ok2 {
					c := chans[min(rng.IntN(3), 1)].Code
					err := w.catalog.List(ctx, actors[p.merchant], p.id, c)
					ok("list", err)
				}
			case op < 13: // unlist, by the merchant or an operator
				if p, ok2 := pick(); ok2 {
					a := actors[p.merchant]
					if rng.IntN(3) == 0 {
						a = identity.System
					}
					ok("unlist", w.catalog.Unlist(ctx, a, p.id, chans[rng.IntN(2)].Code))
				}
			case op < 14 && rng.IntN(3) > 0:
				admit()
			case op < 14: // revoke a merchant or a brand from luxe
				r := channel.Rules{Merchants: []string{merchants[m].ID}}
				if rng.IntN(2) == 0 {
					r = channel.Rules{Brands: []string{[]string{own[0].ID, market.ID}[rng.IntN(2)]}}
				}
				_, err := w.channel.Revoke(ctx, identity.System, "luxe", r)
				ok("revoke", err)
			case op < 15:
				admit()
			case op < 16: // suspend or reinstate (a suspension hides much: keep it rarer)
				if rng.IntN(3) == 0 {
					_, err := w.merchant.Suspend(ctx, identity.System, merchants[m].ID, "audit")
					ok("suspend", err)
				} else {
					_, err := w.merchant.Approve(ctx, identity.System, merchants[m].ID)
					ok("reinstate", err)
				}
			case op < 18: // withdraw or grant the marketplace brand
				if rng.IntN(2) == 0 {
					ok("withdraw", w.catalog.RevokeBrandAuthorisation(ctx, identity.System, market.ID, merchants[m].ID))
				} else {
					_, err := w.catalog.AuthoriseBrand(ctx, identity.System, market.ID, merchants[m].ID)
					ok("authorise", err)
				}
			default: // import, sometimes more than one batch
				n := 1 + rng.IntN(3)
				if rng.IntN(10) == 0 {
					n = events.ListingBatchSize + 20
				}
				var ps []catalog.Product
				for range n {
					in := input(m)
					in.BrandID = "" // an unbranded product passes the brand rule
					p, err := w.catalog.NewProduct(ctx, "test", merchants[m].ID, "", in)
					if err != nil {
						t.Fatal(err)
					}
					// Listed on the open channel where priced there (the curated
					// one refuses unbranded products).
					p.Channels = []string{}
					for _, v := range p.Variants {
						for _, pr := range v.Prices {
							if pr.ChannelID == bazaar.ID && !slices.Contains(p.Channels, pr.ChannelID) {
								p.Channels = append(p.Channels, pr.ChannelID)
							}
						}
					}
					ps = append(ps, p)
				}
				err := w.catalog.Import(ctx, identity.System, ps)
				ok("import", err)
				if err != nil {
					imports[1]++
				} else {
					imports[0]++
				}
				if err == nil {
					for _, p := range ps {
						bulk = append(bulk, prod{p.ID, m, []string{p.Variants[0].SKU}})
					}
				}
			}
			if i%100 == 0 {
				check(i)
			}
		}
		check(steps)
		// The sequence must have exercised every kind of event, or it proves little.
		for _, typ := range []string{events.ListingUpserted, events.ListingsUpserted, events.ListingRemoved,
			"removed:" + events.RemovedUnlisted, "removed:" + events.RemovedRevoked, "removed:" + events.RemovedBrandChanged,
			"removed:" + events.RemovedBrandAuthorisationWithdrawn, "removed:" + events.RemovedSuspended} {
			if seen[typ] == 0 {
				t.Errorf("seed %d: no %s event in %d operations", seed, typ, steps)
			}
		}
		t.Logf("seed %d: %d products, %d imported, %d imports (%d refused), events %v", seed, len(products), len(bulk), imports[0], imports[1], seen)
	})
}

// testSeed is SESAME_EVENTS_SEED if set, else a fixed seed: the sequence is
// the same on every run (and both engines) unless asked otherwise.
func testSeed(t *testing.T) int64 {
	if v := os.Getenv("SESAME_EVENTS_SEED"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("SESAME_EVENTS_SEED: %v", err)
		}
		return n
	}
	return 20261111
}
