// Package inventory holds warehouses: owned by a merchant or operated by a
// logistics partner for merchants. A partner sees only the warehouses it
// operates. (Stock per SKU and reservations build on this.)
package inventory

import (
	"context"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
)

// Warehouse is a place stock is held and shipped from.
type Warehouse struct {
	ID                string    `json:"id"`
	Code              string    `json:"code"`
	Name              string    `json:"name"`
	Country           string    `json:"country"`
	City              string    `json:"city"`
	OwnerMerchantID   string    `json:"owner_merchant_id,omitempty"`
	OperatorPartnerID string    `json:"operator_partner_id,omitempty"`
	CreatedAt         time.Time `json:"created_at"`
}

// Store persists warehouses.
type Store interface {
	// CreateWarehouse inserts w; Conflict on a taken code, Invalid on an unknown owner.
	CreateWarehouse(ctx context.Context, w Warehouse, ev events.Event) error
	// ListWarehouses lists warehouses, all of them or only those of one
	// merchant (owner) or one partner (operator) when set.
	ListWarehouses(ctx context.Context, merchantID, partnerID string) ([]Warehouse, error)
}

// Service is the inventory service.
type Service struct {
	Store Store
	Now   func() time.Time
}

// NewService returns a service with the real clock.
func NewService(st Store) *Service {
	return &Service{Store: st, Now: func() time.Time { return time.Now().UTC() }}
}

// WarehouseInput describes a new warehouse.
type WarehouseInput struct {
	Code              string `json:"code" pattern:"^[a-z0-9-]{2,40}$"`
	Name              string `json:"name" minLength:"1" maxLength:"200"`
	Country           string `json:"country" pattern:"^[A-Z]{2}$"`
	City              string `json:"city" minLength:"1" maxLength:"200"`
	OwnerMerchantID   string `json:"owner_merchant_id,omitempty" maxLength:"64"`
	OperatorPartnerID string `json:"operator_partner_id,omitempty" maxLength:"64"`
}

// Create registers a warehouse. Operators may register any; a merchant's
// owner registers its own (the owner is forced to the caller's merchant).
// Errors: Forbidden, Invalid, Conflict.
func (s *Service) Create(ctx context.Context, actor identity.Actor, in WarehouseInput) (Warehouse, error) {
	const op = "inventory.Create"
	if err := identity.RefuseUnapproved(op, actor); err != nil {
		return Warehouse{}, err
	}
	switch {
	case actor.IsOperator():
	case actor.Role == identity.Staff && actor.StaffRole == identity.StaffOwner && actor.APIKeyID == "":
		in.OwnerMerchantID = actor.MerchantID
	default:
		return Warehouse{}, errs.E(op, errs.Forbidden, "only operators and merchant owners register warehouses")
	}
	if in.OwnerMerchantID == "" && in.OperatorPartnerID == "" {
		return Warehouse{}, errs.Field(op, "owner_merchant_id", "a warehouse has an owning merchant or an operating partner")
	}
	if !identity.ValidCountry(in.Country) {
		return Warehouse{}, errs.Field(op, "country", "must be an ISO 3166-1 alpha-2 code")
	}
	if strings.TrimSpace(in.Name) == "" || strings.TrimSpace(in.City) == "" || in.Code == "" {
		return Warehouse{}, errs.Field(op, "name", "code, name and city are required")
	}
	w := Warehouse{ID: ids.New(ids.Warehouse), Code: in.Code, Name: strings.TrimSpace(in.Name), Country: in.Country, City: strings.TrimSpace(in.City),
		OwnerMerchantID: in.OwnerMerchantID, OperatorPartnerID: in.OperatorPartnerID, CreatedAt: s.Now()}
	tenant := w.OwnerMerchantID
	if tenant == "" {
		tenant = w.OperatorPartnerID
	}
	if err := s.Store.CreateWarehouse(ctx, w, events.New(events.WarehouseCreated, w.ID, tenant, w.CreatedAt, w)); err != nil {
		return Warehouse{}, errs.E(op, errs.Other, err)
	}
	return w, nil
}

// List lists the warehouses the actor may see: all for operators, its own
// for a merchant's staff, the ones it operates for a partner. Errors: Forbidden.
func (s *Service) List(ctx context.Context, actor identity.Actor) ([]Warehouse, error) {
	switch {
	case actor.IsOperator():
		return s.Store.ListWarehouses(ctx, "", "")
	case actor.Role == identity.Staff:
		return s.Store.ListWarehouses(ctx, actor.MerchantID, "")
	case actor.Role == identity.Partner:
		return s.Store.ListWarehouses(ctx, "", actor.PartnerID)
	}
	return nil, errs.E("inventory.List", errs.Forbidden, "sign in as an operator, merchant or logistics partner")
}
