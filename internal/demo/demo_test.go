package demo

import (
	"context"
	"sync"
	"testing"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestSeedsDoNotShareState seeds two marketplaces at once: each gets its
// own merchants, and the package's seller descriptions are left as they
// were (a seeding run once wrote its merchant ids into them).
func TestSeedsDoNotShareState(t *testing.T) {
	var wg sync.WaitGroup
	owners := make([]map[string]bool, 2)
	for i := range owners {
		db := testkit.Open(t, sqlstore.SQLite)
		chans := channel.NewService(db.Channels())
		s := Services{Identity: identity.NewService(db.Identity()), Merchants: merchant.NewService(db.Merchants()), Channels: chans,
			Catalog: catalog.NewService(db.Catalog(), chans), Inventory: inventory.NewService(db.Inventory())}
		wg.Go(func() {
			if _, err := Seed(context.Background(), s, 10, nil); err != nil {
				t.Error(err)
				return
			}
			ms, err := s.Merchants.List(context.Background(), identity.System, "", "", 100)
			if err != nil {
				t.Error(err)
				return
			}
			owners[i] = map[string]bool{}
			for _, m := range ms {
				owners[i][m.ID] = true
			}
		})
	}
	wg.Wait()
	for id := range owners[0] {
		if owners[1][id] {
			t.Errorf("merchant %s in both marketplaces", id)
		}
	}
	for _, sl := range sellerSpecs {
		if sl.m.ID != "" || sl.brandID != "" || sl.channels != nil {
			t.Errorf("seller %s keeps a seeding run's state: %s, %s", sl.name, sl.m.ID, sl.brandID)
		}
	}
}
