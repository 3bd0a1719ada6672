package catalog

import (
	"context"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
)

// BrandAuthorisation lets a merchant use a brand it does not own: a
// marketplace brand, or another merchant's. Operators grant and withdraw it.
type BrandAuthorisation struct {
	BrandID    string    `json:"brand_id"`
	MerchantID string    `json:"merchant_id"`
	GrantedBy  string    `json:"granted_by" doc:"The operator who granted it"`
	GrantedAt  time.Time `json:"granted_at"`
}

// MayUseBrand is the brand rule: a merchant may put brand b on its products
// when it registered b (b.MerchantID), or when an operator authorised it for
// b (authorised). A marketplace brand (no owner) needs an authorisation for
// every merchant. Errors: Forbidden with the reason.
func MayUseBrand(b Brand, merchantID string, authorised bool) error {
	const op = "catalog.MayUseBrand"
	switch {
	case merchantID != "" && b.MerchantID == merchantID, authorised:
		return nil
	case b.MerchantID != "":
		return errs.E(op, errs.Forbidden, "brand "+b.ID+" belongs to another merchant; an operator must authorise your merchant to use it")
	}
	return errs.E(op, errs.Forbidden, "brand "+b.ID+" is a marketplace brand; an operator must authorise your merchant to use it")
}

// BrandInput describes a new brand.
type BrandInput struct {
	Slug string `json:"slug" pattern:"^[a-z0-9-]{2,60}$"`
	Name string `json:"name" minLength:"1" maxLength:"200"`
}

// CreateBrand registers a brand. Operators register marketplace brands, which
// merchants use only with an authorisation; staff of an approved merchant
// register brands that belong to their merchant. Errors: Forbidden, Invalid,
// Conflict.
func (s *Service) CreateBrand(ctx context.Context, actor identity.Actor, in BrandInput) (Brand, error) {
	const op = "catalog.CreateBrand"
	if err := identity.RefuseUnapproved(op, actor); err != nil {
		return Brand{}, err
	}
	var owner string
	switch {
	case actor.IsOperator():
	case actor.Sells():
		owner = actor.MerchantID
	case actor.Role == identity.Staff:
		return Brand{}, errs.E(op, errs.Forbidden, "only approved merchants register brands")
	default:
		return Brand{}, errs.E(op, errs.Forbidden, "only operators and merchants register brands")
	}
	in, err := in.normalise(op)
	if err != nil {
		return Brand{}, err
	}
	b := Brand{ID: ids.New(ids.Brand), Slug: in.Slug, Name: in.Name, MerchantID: owner, CreatedAt: s.Now()}
	if err := s.Store.CreateBrand(ctx, b, events.New(events.BrandCreated, b.ID, owner, b.CreatedAt, b)); err != nil {
		return Brand{}, errs.E(op, errs.Other, err)
	}
	return b, nil
}

// Brands lists brands; they are public.
func (s *Service) Brands(ctx context.Context) ([]Brand, error) { return s.Store.ListBrands(ctx) }

// AuthoriseBrand lets merchantID use brand brandID. Operators only.
// Idempotent: authorising again returns the first authorisation. Errors:
// Forbidden, NotFound (brand or merchant).
func (s *Service) AuthoriseBrand(ctx context.Context, actor identity.Actor, brandID, merchantID string) (BrandAuthorisation, error) {
	const op = "catalog.AuthoriseBrand"
	if !actor.IsOperator() {
		return BrandAuthorisation{}, errs.E(op, errs.Forbidden, "only operators authorise brands")
	}
	if !ids.Valid(ids.Brand, brandID) {
		return BrandAuthorisation{}, errs.E(op, errs.NotFound, "brand not found")
	}
	if !ids.Valid(ids.Merchant, merchantID) {
		return BrandAuthorisation{}, errs.E(op, errs.NotFound, "merchant not found")
	}
	a := BrandAuthorisation{BrandID: brandID, MerchantID: merchantID, GrantedBy: grantor(actor), GrantedAt: s.Now()}
	ev := events.New(events.BrandAuthorised, brandID, merchantID, a.GrantedAt, a)
	a, err := s.Store.AuthoriseBrand(ctx, a, ev)
	if err != nil {
		return BrandAuthorisation{}, errs.E(op, errs.Other, err)
	}
	return a, nil
}

// RevokeBrandAuthorisation withdraws merchantID's authorisation for brand
// brandID. In the same transaction the merchant's products of that brand lose
// the listings that no longer pass the listing rule. Operators only. Errors:
// Forbidden, NotFound (no such authorisation).
func (s *Service) RevokeBrandAuthorisation(ctx context.Context, actor identity.Actor, brandID, merchantID string) error {
	const op = "catalog.RevokeBrandAuthorisation"
	if !actor.IsOperator() {
		return errs.E(op, errs.Forbidden, "only operators withdraw brand authorisations")
	}
	if !ids.Valid(ids.Brand, brandID) || !ids.Valid(ids.Merchant, merchantID) {
		return errs.E(op, errs.NotFound, "authorisation not found")
	}
	now := s.Now()
	ev := events.New(events.BrandAuthorisationRevoked, brandID, merchantID, now,
		map[string]string{"brand_id": brandID, "merchant_id": merchantID, "revoked_by": grantor(actor)})
	if err := s.Store.RevokeBrandAuthorisation(ctx, brandID, merchantID, ev); err != nil {
		return errs.E(op, errs.Other, err)
	}
	return nil
}

// BrandAuthorisations lists the merchants authorised for a brand. Operators
// and the brand's owner merchant may see them. Errors: Forbidden, NotFound.
func (s *Service) BrandAuthorisations(ctx context.Context, actor identity.Actor, brandID string) ([]BrandAuthorisation, error) {
	const op = "catalog.BrandAuthorisations"
	if !ids.Valid(ids.Brand, brandID) {
		return nil, errs.E(op, errs.NotFound, "brand not found")
	}
	b, err := s.Store.Brand(ctx, brandID)
	if err != nil {
		return nil, err
	}
	if !actor.IsOperator() && !actor.ActsFor(b.MerchantID) {
		return nil, errs.E(op, errs.Forbidden, "only operators and the brand's owner see its authorisations")
	}
	return s.Store.BrandAuthorisations(ctx, brandID)
}

// grantor names the operator behind an authorisation ("system" for Sesame's
// own work, such as seeding).
func grantor(a identity.Actor) string {
	if a.UserID == "" {
		return "system"
	}
	return a.UserID
}
