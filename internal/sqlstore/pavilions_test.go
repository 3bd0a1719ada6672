package sqlstore_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestListPavilionsMatchesEachPavilion checks the joined listing against
// the pavilions read one by one: order by name, merchants in the order they
// were added, an empty pavilion kept, other channels' pavilions left out.
func TestListPavilionsMatchesEachPavilion(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		sys := identity.System
		mk := func(code string) channel.Channel {
			return must[channel.Channel](t)(w.channel.CreateChannel(ctx, sys, channel.ChannelInput{Code: code, Name: code, Markets: []string{"FR"},
				Languages: []string{"fr"}, Currencies: []string{"EUR"}, Admission: channel.Open}))
		}
		bazaar, other := mk("bazaar"), mk("other")
		a, _ := w.approvedMerchant(t, "Alpha", "FR", "a@example.com")
		b, _ := w.approvedMerchant(t, "Beta", "FR", "b@example.com")
		c, _ := w.approvedMerchant(t, "Gamma", "FR", "c@example.com")
		if got := must[[]channel.Pavilion](t)(w.channel.Pavilions(ctx, bazaar.ID)); len(got) != 0 || got == nil {
			t.Fatalf("no pavilions: got %#v, want an empty list", got)
		}
		pav := func(ch channel.Channel, slug, name string, ms ...string) channel.Pavilion {
			return must[channel.Pavilion](t)(w.channel.CreatePavilion(ctx, sys, channel.PavilionInput{Channel: ch.ID, Slug: slug, Name: name, MerchantIDs: ms}))
		}
		z := pav(bazaar, "zed", "Zed", c.ID, a.ID)
		pav(bazaar, "empty", "Empty")
		y := pav(bazaar, "alpha", "Alpha", b.ID)
		pav(other, "elsewhere", "Elsewhere", a.ID)
		must[channel.Pavilion](t)(w.channel.AddPavilionMerchants(ctx, sys, y.ID, []string{a.ID, c.ID}))
		must[channel.Pavilion](t)(w.channel.AddPavilionMerchants(ctx, sys, z.ID, []string{b.ID}))

		got := must[[]channel.Pavilion](t)(w.channel.Pavilions(ctx, bazaar.ID))
		var names []string
		var want []channel.Pavilion
		for _, p := range got {
			names = append(names, p.Name)
			want = append(want, must[channel.Pavilion](t)(db.Channels().Pavilion(ctx, p.ID)))
		}
		if diff := cmp.Diff(names, []string{"Alpha", "Empty", "Zed"}); diff != "" {
			t.Errorf("pavilion order (-got +want):\n%s", diff)
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("listing differs from each pavilion (-got +want):\n%s", diff)
		}
		if diff := cmp.Diff(got[2].MerchantIDs, []string{c.ID, a.ID, b.ID}); diff != "" {
			t.Errorf("merchants keep their order (-got +want):\n%s", diff)
		}
	})
}
