package sqlstore_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/sqlstore"
)

// BenchmarkCreateProductSync measures what --sync-full costs SQLite's
// writes: one product (a variant priced on a channel, its outbox event) per
// transaction, with synchronous=NORMAL (WAL: durable against a crash of the
// process) and synchronous=FULL (an fsync per commit: durable against power
// loss). The figures are in docs/decisions.md; run it as
//
//	go test ./internal/sqlstore/ -run '^$' -bench CreateProductSync -benchtime 500x
func BenchmarkCreateProductSync(b *testing.B) {
	for _, full := range []bool{false, true} {
		b.Run("SyncFull="+strconv.FormatBool(full), func(b *testing.B) {
			ctx := context.Background()
			db, err := sqlstore.Open(ctx, filepath.Join(b.TempDir(), "sesame.db"), sqlstore.Options{SyncFull: full})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			sys := identity.System
			chans := channel.NewService(db.Channels())
			merchants := merchant.NewService(db.Merchants())
			cat := catalog.NewService(db.Catalog(), chans)
			fail := func(err error) {
				if err != nil {
					b.Helper()
					b.Fatal(err)
				}
			}
			_, err = chans.CreateChannel(ctx, sys, channel.ChannelInput{Code: "bazaar", Name: "Bazaar", Markets: []string{"FR"},
				Languages: []string{"fr"}, Currencies: []string{"EUR"}, Admission: channel.Open})
			fail(err)
			c, err := cat.CreateCategory(ctx, sys, catalog.CategoryInput{Slug: "cases", Names: map[string]string{"en": "Cases"}})
			fail(err)
			m, owner, err := merchants.Apply(ctx, identity.Actor{}, application("Maison", "FR", "maison@example.com"))
			fail(err)
			_, err = merchants.Approve(ctx, sys, m.ID)
			fail(err)
			staff := owner.Actor()
			staff.MerchantStatus = identity.MerchantApproved
			b.ResetTimer()
			for i := range b.N {
				_, err := cat.CreateProduct(ctx, staff, catalog.ProductInput{CategoryID: c.ID, OriginCountry: "FR",
					Translations: map[string]catalog.Text{"fr": {Title: "Savon " + strconv.Itoa(i)}},
					Variants: []catalog.VariantInput{{SKU: "SKU-" + strconv.Itoa(i),
						Prices: []catalog.PriceInput{{Channel: "bazaar", Currency: "EUR", Amount: 1250}}}}})
				fail(err)
			}
		})
	}
}
