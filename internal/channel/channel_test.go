package channel_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
)

func TestMayList(t *testing.T) {
	// ok is a product that qualifies on a curated channel; each case breaks one fact.
	ok := channel.ListingFacts{ChannelCode: "luxe", Admission: channel.Curated, MerchantStatus: "approved", HasShop: true, Priced: true,
		MerchantAdmitted: true, BrandID: "brd_1", BrandAdmitted: true, BrandUsable: true}
	tests := []struct {
		name    string
		change  func(f *channel.ListingFacts)
		kind    errs.Kind // 0: allowed
		mention string
	}{
		{"curated, everything admitted", func(f *channel.ListingFacts) {}, 0, ""},
		{"open channel ignores admissions", func(f *channel.ListingFacts) {
			f.Admission, f.MerchantAdmitted, f.BrandAdmitted = channel.Open, false, false
		}, 0, ""},
		{"open channel, no brand", func(f *channel.ListingFacts) {
			f.Admission, f.BrandID, f.BrandAdmitted, f.BrandUsable = channel.Open, "", false, false
		}, 0, ""},
		{"pending merchant", func(f *channel.ListingFacts) { f.MerchantStatus = "pending" }, errs.Forbidden, "pending"},
		{"suspended merchant", func(f *channel.ListingFacts) { f.MerchantStatus = "suspended" }, errs.Forbidden, "suspended"},
		{"rejected merchant on an open channel", func(f *channel.ListingFacts) { f.MerchantStatus, f.Admission = "rejected", channel.Open }, errs.Forbidden, "rejected"},
		{"no shop", func(f *channel.ListingFacts) { f.HasShop = false }, errs.Forbidden, "shop"},
		{"not priced", func(f *channel.ListingFacts) { f.Priced = false }, errs.Invalid, "price"},
		{"curated, merchant not admitted", func(f *channel.ListingFacts) { f.MerchantAdmitted = false }, errs.Forbidden, "merchant"},
		{"curated, brand not admitted", func(f *channel.ListingFacts) { f.BrandAdmitted = false }, errs.Forbidden, "brand"},
		{"curated, no brand", func(f *channel.ListingFacts) { f.BrandID, f.BrandUsable = "", false }, errs.Forbidden, "brand"},
		{"curated, admitted brand the merchant may not use", func(f *channel.ListingFacts) { f.BrandUsable = false }, errs.Forbidden, "may not use"},
		{"open, brand the merchant may not use", func(f *channel.ListingFacts) { f.Admission, f.BrandUsable = channel.Open, false }, errs.Forbidden, "may not use"},
		{"unknown admission mode", func(f *channel.ListingFacts) { f.Admission = "secret" }, errs.Forbidden, "admission"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := ok
			tt.change(&f)
			err := channel.MayList(f)
			if tt.kind == 0 {
				if err != nil {
					t.Fatalf("MayList(%+v) = %v, want nil", f, err)
				}
				return
			}
			if got := errs.KindOf(err); got != tt.kind {
				t.Fatalf("MayList(%+v) kind = %v (%v), want %v", f, got, err, tt.kind)
			}
			if !strings.Contains(errs.Message(err), tt.mention) {
				t.Fatalf("reason %q does not mention %q", errs.Message(err), tt.mention)
			}
		})
	}
}

func TestMayOpenShop(t *testing.T) {
	tests := []struct {
		name string
		f    channel.ShopFacts
		kind errs.Kind
	}{
		{"open, approved", channel.ShopFacts{Admission: channel.Open, MerchantStatus: "approved"}, 0},
		{"open, pending", channel.ShopFacts{Admission: channel.Open, MerchantStatus: "pending"}, errs.Forbidden},
		{"curated, admitted", channel.ShopFacts{Admission: channel.Curated, MerchantStatus: "approved", MerchantAdmitted: true}, 0},
		{"curated, not admitted", channel.ShopFacts{Admission: channel.Curated, MerchantStatus: "approved"}, errs.Forbidden},
		{"curated, admitted but suspended", channel.ShopFacts{Admission: channel.Curated, MerchantStatus: "suspended", MerchantAdmitted: true}, errs.Forbidden},
		{"unknown admission", channel.ShopFacts{Admission: "x", MerchantStatus: "approved", MerchantAdmitted: true}, errs.Forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := channel.MayOpenShop(tt.f)
			if tt.kind == 0 && err != nil || tt.kind != 0 && errs.KindOf(err) != tt.kind {
				t.Fatalf("MayOpenShop(%+v) = %v, want kind %v", tt.f, err, tt.kind)
			}
		})
	}
}

// TestReservedCodes: a channel may not take a code that begins Sesame's own
// addresses, such as the operator's console and the merchants'.
func TestReservedCodes(t *testing.T) {
	s := channel.NewService(nil) // refused before the store is reached
	for _, code := range []string{"admin", "merchant", "api", "static", "docs"} {
		_, err := s.CreateChannel(context.Background(), identity.System, channel.ChannelInput{Code: code, Name: "Shadowed",
			Markets: []string{"FR"}, Languages: []string{"fr"}, Currencies: []string{"EUR"}})
		if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "code" {
			t.Errorf("channel %q: %v", code, err)
		}
	}
	if channel.Reserved("bazaar") {
		t.Error("bazaar is reserved")
	}
}
