package sqlstore_test

import (
	"context"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/demo"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestListedEntries: the sitemap's reads agree with the channel's list of
// products. The channel lists more products than ListedEntries reads a
// query, so its pages are crossed; a product whose view is missing is read
// from its document, with the same entry.
func TestListedEntries(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		chans := channel.NewService(db.Channels())
		cat := catalog.NewService(db.Catalog(), chans)
		if _, err := demo.Seed(ctx, demo.Services{Identity: identity.NewService(db.Identity()), Merchants: merchant.NewService(db.Merchants()),
			Channels: chans, Catalog: cat, Inventory: inventory.NewService(db.Inventory()), Batch: 500}, 1300, nil); err != nil {
			t.Fatal(err)
		}
		st := db.Catalog()
		bazaar, err := chans.Channel(ctx, "bazaar")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for after := ""; ; {
			ps, err := st.ChannelProducts(ctx, bazaar.ID, after, 500)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				ids = append(ids, p.ID)
			}
			if len(ps) < 500 {
				break
			}
			after = ps[len(ps)-1].ID
		}
		if len(ids) <= 1000 {
			t.Fatalf("bazaar lists %d products: too few to cross a page", len(ids))
		}
		if n, err := st.ListedCount(ctx, bazaar.ID); err != nil || n != len(ids) {
			t.Fatalf("ListedCount = %d, %v; want %d", n, err, len(ids))
		}
		for _, pos := range []int{0, 1, 999, 1000, len(ids) - 1} {
			if id, err := st.ListedAt(ctx, bazaar.ID, pos); err != nil || id != ids[pos] {
				t.Errorf("ListedAt(%d) = %s, %v; want %s", pos, id, err, ids[pos])
			}
		}
		if _, err := st.ListedAt(ctx, bazaar.ID, len(ids)); errs.KindOf(err) != errs.NotFound {
			t.Errorf("ListedAt past the last: %v, want NotFound", err)
		}

		// A product rendered before views existed: read from its document.
		bare := ids[1003]
		key, _ := hex.DecodeString(bare[len("prd_"):])
		if err := db.ExecForTest(ctx, `UPDATE products SET view = NULL WHERE id = $1`, key); err != nil {
			t.Fatal(err)
		}
		read := func(lang, after string, limit int) []catalog.SitemapEntry {
			t.Helper()
			var got []catalog.SitemapEntry
			if err := st.ListedEntries(ctx, bazaar, lang, after, limit, func(e catalog.SitemapEntry) error {
				got = append(got, e)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			return got
		}
		idsOf := func(es []catalog.SitemapEntry) []string {
			out := make([]string, len(es))
			for i, e := range es {
				out[i] = e.ID
			}
			return out
		}
		all := read("en", "", len(ids)+10)
		if diff := cmp.Diff(idsOf(all), ids); diff != "" {
			t.Fatalf("every entry (-got +want):\n%s", diff)
		}
		if diff := cmp.Diff(idsOf(read("fr", ids[9], 1050)), ids[10:1060]); diff != "" {
			t.Errorf("a block across a page (-got +want):\n%s", diff)
		}
		for _, lang := range bazaar.Languages {
			es := all
			if lang != "en" {
				es = read(lang, "", len(ids))
			}
			for _, i := range []int{0, 999, 1000, 1003, len(ids) - 1} {
				p, err := st.Product(ctx, ids[i])
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(es[i], catalog.EntryOf(p, &bazaar, lang)); diff != "" {
					t.Errorf("entry %d in %s (-store +product):\n%s", i, lang, diff)
				}
			}
		}

		// fn's error stops the reading and is returned.
		stop := errors.New("stop")
		n := 0
		err = st.ListedEntries(ctx, bazaar, "fr", "", len(ids), func(catalog.SitemapEntry) error {
			if n++; n == 1001 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != 1001 {
			t.Errorf("after fn's error: %v, %d calls", err, n)
		}
	})
}
