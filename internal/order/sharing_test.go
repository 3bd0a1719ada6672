package order_test

import (
	"context"
	"testing"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestChannelSharingRate: a channel's share commission is 300 basis points
// until an operator sets another, from 0 to 3000; no one else may.
func TestChannelSharingRate(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		sh, err := m.Channels.Sharing(ctx, "bazaar")
		if err != nil || sh.CommissionBps != 300 || sh.ChannelID == "" {
			t.Fatalf("the default: %+v %v", sh, err)
		}
		if _, err := m.Channels.SetSharing(ctx, m.PVStaff, "bazaar", channel.Sharing{CommissionBps: 500}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("a merchant sets it: %v", err)
		}
		for _, bad := range []int64{-1, 3001} {
			if _, err := m.Channels.SetSharing(ctx, identity.System, "bazaar", channel.Sharing{CommissionBps: bad}); !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "commission_bps" {
				t.Errorf("a rate of %d: %v", bad, err)
			}
		}
		if _, err := m.Channels.SetSharing(ctx, identity.System, "nowhere", channel.Sharing{CommissionBps: 100}); !errs.Is(err, errs.NotFound) {
			t.Errorf("an unknown channel: %v", err)
		}
		for _, bps := range []int64{0, 3000, 450} {
			if _, err := m.Channels.SetSharing(ctx, identity.System, "bazaar", channel.Sharing{CommissionBps: bps}); err != nil {
				t.Fatal(err)
			}
		}
		if sh, err := m.Channels.Sharing(ctx, "bazaar"); err != nil || sh.CommissionBps != 450 {
			t.Errorf("after setting it: %+v %v", sh, err)
		}
		if sh, err := m.Channels.Sharing(ctx, "mall"); err != nil || sh.CommissionBps != 300 {
			t.Errorf("another channel: %+v %v", sh, err)
		}
	})
}
