// Package inventory holds warehouses: owned by a merchant or operated by a
// logistics partner for merchants. A partner sees only the warehouses it
// operates, and it operates a merchant's warehouse only once it has accepted
// the merchant's request (or an operator assigned it). Warehouses hold stock
// per SKU, which checkouts reserve, and promise delivery dates from where
// they are.
package inventory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/promise"
	"github.com/sesame-market/sesame/internal/text"
)

// Warehouse is a place stock is held and shipped from.
type Warehouse struct {
	ID                string    `json:"id"`
	Code              string    `json:"code"`
	Name              string    `json:"name"`
	Country           string    `json:"country"`
	City              string    `json:"city"`
	Address           string    `json:"address,omitempty"`
	Postcode          string    `json:"postcode,omitempty"`
	Latitude          *float64  `json:"latitude,omitempty"`
	Longitude         *float64  `json:"longitude,omitempty"`
	Region            string    `json:"region,omitempty" doc:"Where the carriers' lanes start: ISO 3166-2 (FR-IDF, FR-13, CN-GD)"`
	TimeZone          string    `json:"time_zone" doc:"IANA time zone, in which the cut-off is read"`
	CutOff            string    `json:"cut_off" doc:"Local time (HH:MM) before which an order paid on a working day leaves that day"`
	Serves            []string  `json:"serves" doc:"Countries it sends to; empty: wherever a carrier lane reaches"`
	OwnerMerchantID   string    `json:"owner_merchant_id,omitempty"`
	OperatorPartnerID string    `json:"operator_partner_id,omitempty"`
	CreatedAt         time.Time `json:"created_at"`
}

// LinkStatus is where a partner link stands.
type LinkStatus string

// The link statuses: requested → accepted | declined.
const (
	LinkRequested LinkStatus = "requested"
	LinkAccepted  LinkStatus = "accepted"
	LinkDeclined  LinkStatus = "declined"
)

// PartnerLink is a merchant's request that a logistics partner operate one
// of its warehouses. The partner operates the warehouse (and sees it) only
// once it accepts; an operator's assignment is recorded as a link accepted
// at once.
type PartnerLink struct {
	ID          string     `json:"id"`
	MerchantID  string     `json:"merchant_id"`
	PartnerID   string     `json:"partner_id"`
	WarehouseID string     `json:"warehouse_id"`
	Status      LinkStatus `json:"status" enum:"requested,accepted,declined"`
	RequestedBy string     `json:"requested_by,omitempty"`
	DecidedBy   string     `json:"decided_by,omitempty"`
	RequestedAt time.Time  `json:"requested_at"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
}

// Store persists warehouses and partner links.
type Store interface {
	// CreateWarehouse inserts w, and link when it is not nil (an accepted
	// link sets w's operator), with the events. Conflict on a taken code;
	// Invalid on an unknown owner or partner.
	CreateWarehouse(ctx context.Context, w Warehouse, link *PartnerLink, evs []events.Event) error
	// ListWarehouses lists warehouses, all of them or only those of one
	// merchant (owner) or one partner (operator) when set.
	ListWarehouses(ctx context.Context, merchantID, partnerID string) ([]Warehouse, error)
	// LinkPartner opens a link on warehouse warehouseID: under a lock on the
	// warehouse it reads the warehouse and whether partner partnerID exists,
	// calls link (the domain rule) and inserts the link it returns; an
	// accepted link sets the warehouse's operator. NotFound if there is no
	// such warehouse; Conflict if an open request for that partner exists;
	// link's errors are returned as they are.
	LinkPartner(ctx context.Context, warehouseID, partnerID string, link func(w Warehouse, partnerExists bool) (PartnerLink, []events.Event, error)) (PartnerLink, error)
	// DecidePartnerLink decides link id: under a lock on it, it reads the
	// link, calls decide (the domain rule) and writes what decide returns;
	// an accepted link sets the warehouse's operator. NotFound if there is
	// no such link; decide's errors are returned as they are.
	DecidePartnerLink(ctx context.Context, id string, decide func(l PartnerLink) (PartnerLink, []events.Event, error)) (PartnerLink, error)
	// ListPartnerLinks lists links, all of them or those of one merchant or
	// one partner when set, with one status when set, newest first.
	ListPartnerLinks(ctx context.Context, merchantID, partnerID string, status LinkStatus) ([]PartnerLink, error)
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
	Code              string   `json:"code" pattern:"^[a-z0-9-]{2,40}$"`
	Name              string   `json:"name" minLength:"1" maxLength:"200"`
	Country           string   `json:"country" pattern:"^[A-Z]{2}$"`
	City              string   `json:"city" minLength:"1" maxLength:"200"`
	Address           string   `json:"address,omitempty" maxLength:"300"`
	Postcode          string   `json:"postcode,omitempty" maxLength:"20" example:"95190"`
	Latitude          *float64 `json:"latitude,omitempty" minimum:"-90" maximum:"90"`
	Longitude         *float64 `json:"longitude,omitempty" minimum:"-180" maximum:"180"`
	Region            string   `json:"region,omitempty" pattern:"^[A-Z]{2}-[A-Z0-9]{1,3}$" example:"FR-IDF" doc:"ISO 3166-2; by default a French postcode's (FR-IDF for Ile-de-France)"`
	TimeZone          string   `json:"time_zone,omitempty" maxLength:"64" example:"Europe/Paris" doc:"IANA time zone; by default the country's main one"`
	CutOff            string   `json:"cut_off,omitempty" pattern:"^([01][0-9]|2[0-3]):[0-5][0-9]$" example:"14:00" doc:"HH:MM local, default 14:00"`
	Serves            []string `json:"serves,omitempty" maxItems:"60" doc:"ISO 3166-1 alpha-2 countries it sends to"`
	OwnerMerchantID   string   `json:"owner_merchant_id,omitempty" maxLength:"64"`
	OperatorPartnerID string   `json:"operator_partner_id,omitempty" maxLength:"64"`
}

// Create registers a warehouse. Operators may register any, and naming both
// an owner and an operating partner assigns the partner at once. A merchant's
// owner registers its own (the owner is forced to the caller's merchant);
// naming a partner then only requests it: the warehouse has no operator until
// the partner accepts the returned link. The link is nil when none was made.
// Errors: Forbidden, Invalid (also an unknown owner or partner), Conflict.
func (s *Service) Create(ctx context.Context, actor identity.Actor, in WarehouseInput) (Warehouse, *PartnerLink, error) {
	const op = "inventory.Create"
	if err := identity.RefuseUnapproved(op, actor); err != nil {
		return Warehouse{}, nil, err
	}
	switch {
	case actor.IsOperator():
	case actor.Role == identity.Staff && actor.StaffRole == identity.StaffOwner && actor.APIKeyID == "":
		in.OwnerMerchantID = actor.MerchantID
	default:
		return Warehouse{}, nil, errs.E(op, errs.Forbidden, "only operators and merchant owners register warehouses")
	}
	if in.OwnerMerchantID == "" && in.OperatorPartnerID == "" {
		return Warehouse{}, nil, errs.Field(op, "owner_merchant_id", "a warehouse has an owning merchant or an operating partner")
	}
	if !identity.ValidCountry(in.Country) {
		return Warehouse{}, nil, errs.Field(op, "country", "must be an ISO 3166-1 alpha-2 code")
	}
	var err error
	if in.Name, err = text.Line(op, "name", in.Name, 200, true); err != nil {
		return Warehouse{}, nil, err
	}
	if in.City, err = text.Line(op, "city", in.City, 200, true); err != nil {
		return Warehouse{}, nil, err
	}
	if in.Code == "" {
		return Warehouse{}, nil, errs.Field(op, "code", "is required")
	}
	w := Warehouse{ID: ids.New(ids.Warehouse), Code: in.Code, Name: in.Name, Country: in.Country, City: in.City,
		OwnerMerchantID: in.OwnerMerchantID, OperatorPartnerID: in.OperatorPartnerID, CreatedAt: s.Now()}
	if err := placeWarehouse(op, &w, in); err != nil {
		return Warehouse{}, nil, err
	}
	tenant := w.OwnerMerchantID
	if tenant == "" {
		tenant = w.OperatorPartnerID
	}
	var link *PartnerLink
	var linkEvs []events.Event
	if w.OwnerMerchantID != "" && w.OperatorPartnerID != "" {
		l, ev := newLink(actor, w, w.OperatorPartnerID, w.CreatedAt)
		link, linkEvs = &l, []events.Event{ev}
		if l.Status != LinkAccepted {
			w.OperatorPartnerID = "" // until the partner accepts
		}
	}
	evs := append([]events.Event{events.New(events.WarehouseCreated, w.ID, tenant, w.CreatedAt, w)}, linkEvs...)
	if err := s.Store.CreateWarehouse(ctx, w, link, evs); err != nil {
		return Warehouse{}, nil, errs.E(op, errs.Other, err)
	}
	return w, link, nil
}

// countryZones are the time zones of warehouses whose own is not given: the
// main one of the countries Sesame's lanes start from.
var countryZones = map[string]string{"FR": "Europe/Paris", "DE": "Europe/Berlin", "GB": "Europe/London", "CN": "Asia/Shanghai",
	"HK": "Asia/Hong_Kong", "BE": "Europe/Brussels", "NL": "Europe/Amsterdam", "ES": "Europe/Madrid", "IT": "Europe/Rome", "PL": "Europe/Warsaw"}

// placeWarehouse checks and completes where w is, from in: its address,
// coordinates, region, time zone, cut-off and the countries it serves.
func placeWarehouse(op string, w *Warehouse, in WarehouseInput) error {
	var err error
	if w.Address, err = text.Line(op, "address", in.Address, 300, false); err != nil {
		return err
	}
	if w.Postcode, err = text.Line(op, "postcode", in.Postcode, 20, false); err != nil {
		return err
	}
	if (in.Latitude == nil) != (in.Longitude == nil) {
		return errs.Field(op, "latitude", "give both latitude and longitude, or neither")
	}
	if in.Latitude != nil && (*in.Latitude < -90 || *in.Latitude > 90 || *in.Longitude < -180 || *in.Longitude > 180) {
		return errs.Field(op, "latitude", "latitude is within ±90 and longitude within ±180")
	}
	w.Latitude, w.Longitude = in.Latitude, in.Longitude
	w.Region = in.Region
	if w.Region == "" && w.Country == "FR" {
		w.Region = promise.FrenchRegion(w.Postcode)
	}
	if w.Region != "" && !strings.HasPrefix(w.Region, w.Country+"-") {
		return errs.Field(op, "region", "must be a region of the warehouse's country ("+w.Country+"-…)")
	}
	w.TimeZone = cmp.Or(in.TimeZone, countryZones[w.Country], "UTC")
	if _, err := time.LoadLocation(w.TimeZone); err != nil || w.TimeZone == "Local" {
		return errs.Field(op, "time_zone", "must be an IANA time zone such as Europe/Paris")
	}
	w.CutOff = cmp.Or(in.CutOff, "14:00")
	if _, err := parseCutOff(w.CutOff); err != nil {
		return errs.Field(op, "cut_off", "must be HH:MM, 00:00 to 23:59")
	}
	w.Serves = []string{}
	for _, c := range in.Serves {
		if !identity.ValidCountry(c) {
			return errs.Field(op, "serves", "each must be an ISO 3166-1 alpha-2 code")
		}
		if !slices.Contains(w.Serves, c) {
			w.Serves = append(w.Serves, c)
		}
	}
	return nil
}

// parseCutOff reads an HH:MM cut-off.
func parseCutOff(s string) (promise.TimeOfDay, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return promise.TimeOfDay{}, fmt.Errorf("inventory: cut-off %q is not HH:MM", s)
	}
	return promise.TimeOfDay{Hour: t.Hour(), Minute: t.Minute()}, nil
}

// newLink makes the link by which actor names partnerID for warehouse w: an
// operator's is an assignment, accepted at once; a merchant's is a request.
func newLink(actor identity.Actor, w Warehouse, partnerID string, now time.Time) (PartnerLink, events.Event) {
	l := PartnerLink{ID: ids.New(ids.PartnerLink), MerchantID: w.OwnerMerchantID, PartnerID: partnerID, WarehouseID: w.ID, Status: LinkRequested,
		RequestedBy: who(actor), RequestedAt: now}
	typ := events.PartnerLinkRequested
	if actor.IsOperator() {
		l.Status, l.DecidedBy, l.DecidedAt = LinkAccepted, who(actor), &now
		typ = events.PartnerLinkAccepted
	}
	return l, events.New(typ, l.ID, l.MerchantID, now, l)
}

// RequestPartner names partnerID as the operator of warehouse warehouseID:
// its owner's staff (not API keys) request it, and the partner must accept;
// an operator assigns it at once. Errors: Forbidden, NotFound (also a
// warehouse the actor may not see), Invalid (an unknown partner, a warehouse
// without an owning merchant), Conflict (the partner already operates it, or
// a request to it is open).
func (s *Service) RequestPartner(ctx context.Context, actor identity.Actor, warehouseID, partnerID string) (PartnerLink, error) {
	const op = "inventory.RequestPartner"
	if err := identity.RefuseUnapproved(op, actor); err != nil {
		return PartnerLink{}, err
	}
	if !actor.IsOperator() && (actor.Role != identity.Staff || actor.APIKeyID != "") {
		return PartnerLink{}, errs.E(op, errs.Forbidden, "only operators and merchant staff name a warehouse's partner")
	}
	now := s.Now()
	l, err := s.Store.LinkPartner(ctx, warehouseID, partnerID, func(w Warehouse, partnerExists bool) (PartnerLink, []events.Event, error) {
		if !actor.IsOperator() && !actor.ActsFor(w.OwnerMerchantID) {
			return PartnerLink{}, nil, errs.E(op, errs.NotFound, "warehouse not found")
		}
		if !partnerExists {
			return PartnerLink{}, nil, errs.Field(op, "partner_id", "no such logistics partner")
		}
		if w.OwnerMerchantID == "" {
			return PartnerLink{}, nil, errs.E(op, errs.Invalid, "this warehouse has no owning merchant: its partner runs it")
		}
		if w.OperatorPartnerID == partnerID {
			return PartnerLink{}, nil, errs.E(op, errs.Conflict, "this partner already operates the warehouse")
		}
		l, ev := newLink(actor, w, partnerID, now)
		return l, []events.Event{ev}, nil
	})
	if err != nil {
		return PartnerLink{}, errs.E(op, errs.Other, err)
	}
	return l, nil
}

// Accept accepts a link request: the partner starts operating the
// warehouse. Errors: see Decide.
func (s *Service) Accept(ctx context.Context, actor identity.Actor, linkID string) (PartnerLink, error) {
	return s.decide(ctx, actor, "inventory.Accept", linkID, LinkAccepted, events.PartnerLinkAccepted)
}

// Decline declines a link request: the warehouse stays without this
// partner. Errors: see Decide.
func (s *Service) Decline(ctx context.Context, actor identity.Actor, linkID string) (PartnerLink, error) {
	return s.decide(ctx, actor, "inventory.Decline", linkID, LinkDeclined, events.PartnerLinkDeclined)
}

// Decide is the rule for Accept and Decline: only the partner the request is
// addressed to decides it (its users or API keys), and only while it is
// requested. It returns Forbidden to the link's merchant and to operators
// (who assign instead), NotFound to anyone else (they may not know of it) and
// Conflict for a link already accepted or declined.
func Decide(op string, actor identity.Actor, l PartnerLink, to LinkStatus, at time.Time) (PartnerLink, error) {
	switch {
	case actor.OperatesFor(l.PartnerID):
	case actor.IsOperator() || actor.ActsFor(l.MerchantID):
		return PartnerLink{}, errs.E(op, errs.Forbidden, "only the logistics partner the request is addressed to may accept or decline it")
	default:
		return PartnerLink{}, errs.E(op, errs.NotFound, "partner link not found")
	}
	if l.Status != LinkRequested {
		return PartnerLink{}, errs.E(op, errs.Conflict, "this link is already "+string(l.Status))
	}
	l.Status, l.DecidedBy, l.DecidedAt = to, who(actor), &at
	return l, nil
}

// who names the actor in a link's record: its user, or its API key.
func who(a identity.Actor) string {
	if a.UserID != "" {
		return a.UserID
	}
	return a.APIKeyID
}

func (s *Service) decide(ctx context.Context, actor identity.Actor, op, linkID string, to LinkStatus, evType string) (PartnerLink, error) {
	now := s.Now()
	l, err := s.Store.DecidePartnerLink(ctx, linkID, func(cur PartnerLink) (PartnerLink, []events.Event, error) {
		next, err := Decide(op, actor, cur, to, now)
		if err != nil {
			return PartnerLink{}, nil, err
		}
		return next, []events.Event{events.New(evType, next.ID, next.MerchantID, now, next)}, nil
	})
	if err != nil {
		return PartnerLink{}, errs.E(op, errs.Other, err)
	}
	return l, nil
}

// Links lists the partner links the actor may see: those addressed to it for
// a partner, its own for a merchant's staff, all for operators; status
// ("" for all) filters them. Errors: Forbidden, Invalid.
func (s *Service) Links(ctx context.Context, actor identity.Actor, status LinkStatus) ([]PartnerLink, error) {
	const op = "inventory.Links"
	switch status {
	case "", LinkRequested, LinkAccepted, LinkDeclined:
	default:
		return nil, errs.Field(op, "status", "must be requested, accepted or declined")
	}
	switch {
	case actor.IsOperator():
		return s.Store.ListPartnerLinks(ctx, "", "", status)
	case actor.Role == identity.Staff && actor.MerchantID != "":
		return s.Store.ListPartnerLinks(ctx, actor.MerchantID, "", status)
	case actor.Role == identity.Partner && actor.PartnerID != "":
		return s.Store.ListPartnerLinks(ctx, "", actor.PartnerID, status)
	}
	return nil, errs.E(op, errs.Forbidden, "sign in as an operator, merchant or logistics partner")
}

// List lists the warehouses the actor may see: all for operators, its own
// for a merchant's staff, the ones it operates for a partner (an operator's
// assignment or an accepted link; a request it has not accepted shows
// nothing). Errors: Forbidden.
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
