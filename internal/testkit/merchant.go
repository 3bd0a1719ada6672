package testkit

import (
	"context"
	"testing"

	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/merchant"
)

// Password is the password of the accounts the kit makes.
const Password = "correct horse battery"

// ApprovedMerchant applies for merchant name of country (its owner signs in
// as email with Password), has an operator approve it, and returns it with
// its owner as an approved merchant's staff.
func ApprovedMerchant(tb testing.TB, merchants *merchant.Service, name, country, email string) (merchant.Merchant, identity.Actor) {
	tb.Helper()
	ctx := context.Background()
	m, owner, err := merchants.Apply(ctx, identity.Actor{}, merchant.Application{Name: name, Country: country,
		Trader: merchant.Trader{LegalName: name + " Ltd", RegistrationNumber: "1", Address: "1 Main Street", Email: email, Phone: "+33 1", SelfCertified: true},
		Owner:  identity.Registration{Email: email, Name: name, Password: Password}})
	if err != nil {
		tb.Fatalf("merchant %s applies: %v", name, err)
	}
	if m, err = merchants.Approve(ctx, identity.System, m.ID); err != nil {
		tb.Fatalf("merchant %s approved: %v", name, err)
	}
	staff := owner.Actor()
	staff.MerchantStatus = identity.MerchantApproved
	return m, staff
}
