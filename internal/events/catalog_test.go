package events

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// TestNewListingEvents: one listing is one upserted event; more are batches
// of at most ListingBatchSize, in order, none lost.
func TestNewListingEvents(t *testing.T) {
	at := time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)
	mk := func(n int) []Listing {
		ls := make([]Listing, n)
		for i := range ls {
			ls[i] = Listing{V: ListingV1, ProductID: fmt.Sprint("prd_", i), ChannelID: "chn_1"}
		}
		return ls
	}
	one := NewListingEvents(mk(1), "mer_1", at)
	if len(one) != 1 || one[0].Type != ListingUpserted || one[0].AggregateID != "prd_0" || one[0].Tenant != "mer_1" {
		t.Fatalf("one listing: %+v", one)
	}
	for _, n := range []int{2, ListingBatchSize, ListingBatchSize + 1, 2*ListingBatchSize + 50} {
		evs := NewListingEvents(mk(n), "", at)
		want := (n + ListingBatchSize - 1) / ListingBatchSize
		if len(evs) != want {
			t.Fatalf("%d listings: %d events, want %d", n, len(evs), want)
		}
		next := 0
		for _, e := range evs {
			var b ListingBatch
			if err := json.Unmarshal(e.Payload, &b); err != nil || e.Type != ListingsUpserted || b.V != ListingV1 {
				t.Fatalf("%d listings: event %s %s (%v)", n, e.Type, e.Payload, err)
			}
			if len(b.Listings) > ListingBatchSize {
				t.Fatalf("a batch of %d", len(b.Listings))
			}
			for _, l := range b.Listings {
				if l.ProductID != fmt.Sprint("prd_", next) {
					t.Fatalf("%d listings: got %s at %d", n, l.ProductID, next)
				}
				next++
			}
		}
		if next != n {
			t.Fatalf("%d listings: %d carried", n, next)
		}
	}
}
