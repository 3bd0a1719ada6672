package events

import (
	"encoding/json"
	"testing"
	"time"
)

// TestWireIsTheEventsJSON: what the bus carries is exactly the JSON of the
// event, with and without a tenant, for a single listing and a batch.
func TestWireIsTheEventsJSON(t *testing.T) {
	at := time.Date(2026, 11, 11, 0, 0, 0, 123456789, time.UTC)
	l := Listing{V: ListingV1, ProductID: "prd_1", ChannelID: "chn_1", ChannelCode: "bazaar", Merchant: Ref{ID: "mer_1", Name: `Maison "Lumière" <&>`},
		Texts: map[string]ListText{"fr": {Title: "Sac", Description: "Cuir\nnoir"}}, Prices: map[string]int64{"EUR": 1990}, Version: 3, UpdatedAt: at}
	evs := append(NewListingEvents([]Listing{l}, "mer_1", at), NewListingEvents([]Listing{l, l, l}, "", at)...)
	evs = append(evs, Event{ID: "evt_x", Type: "x", AggregateID: "a", At: at})
	for _, e := range evs {
		got, err := e.Wire()
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("wire form\n got %s\nwant %s", got, want)
		}
		var back Event
		if err := json.Unmarshal(got, &back); err != nil || back.ID != e.ID || back.Tenant != e.Tenant {
			t.Fatalf("wire form does not decode to the event: %v", err)
		}
	}
}
