package inventory

import (
	"context"
	"fmt"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/text"
)

// ConsignmentStatus is where a consignment stands: announced → received.
type ConsignmentStatus string

// The consignment statuses.
const (
	Announced ConsignmentStatus = "announced"
	Received  ConsignmentStatus = "received"
)

// ConsignmentLine is a SKU of a consignment: the units announced and, once
// the warehouse received it, the units it counted.
type ConsignmentLine struct {
	SKU       string `json:"sku"`
	Announced int64  `json:"announced"`
	Received  *int64 `json:"received,omitempty" doc:"Set once received; a count different from announced is a discrepancy"`
}

// Consignment is stock a merchant sends to a warehouse: inbound until the
// warehouse receives it, then on hand, as many units as arrived.
type Consignment struct {
	ID          string            `json:"id"`
	WarehouseID string            `json:"warehouse_id"`
	MerchantID  string            `json:"merchant_id"`
	Reference   string            `json:"reference,omitempty" doc:"The merchant's own reference (a waybill, a container)"`
	Status      ConsignmentStatus `json:"status" enum:"announced,received"`
	Lines       []ConsignmentLine `json:"lines"`
	AnnouncedBy string            `json:"announced_by"`
	AnnouncedAt time.Time         `json:"announced_at"`
	ReceivedBy  string            `json:"received_by,omitempty"`
	ReceivedAt  *time.Time        `json:"received_at,omitempty"`
	// Discrepancies is how many lines arrived with a count other than the
	// one announced.
	Discrepancies int `json:"discrepancies"`
}

// ConsignmentInput announces a consignment.
type ConsignmentInput struct {
	MerchantID string            `json:"merchant_id,omitempty" maxLength:"64" doc:"Operators only: the merchant whose stock it is"`
	Reference  string            `json:"reference,omitempty" maxLength:"100"`
	Lines      []ConsignmentItem `json:"lines" minItems:"1" maxItems:"500"`
}

// ConsignmentItem is a SKU a consignment brings, and how many units.
type ConsignmentItem struct {
	SKU      string `json:"sku" minLength:"1" maxLength:"64"`
	Quantity int64  `json:"quantity" minimum:"1" maximum:"1000000000"`
}

// ReceiptLine is what a warehouse counted of one SKU of a consignment.
type ReceiptLine struct {
	SKU      string `json:"sku" minLength:"1" maxLength:"64"`
	Received int64  `json:"received" minimum:"0" maximum:"1000000000"`
}

// MaxConsignmentLines bounds the SKUs of one consignment.
const MaxConsignmentLines = 500

// ConsignmentStore persists consignments.
type ConsignmentStore interface {
	// AnnounceConsignment writes c and adds its units to the inbound stock
	// of its warehouse (creating the stock rows), with ev. Invalid (field
	// lines) if the merchant has no such SKU.
	AnnounceConsignment(ctx context.Context, c Consignment, ev events.Event) error
	// ReceiveConsignment records the counts of consignment id, moves its
	// announced units out of inbound and the counted ones into on hand,
	// and writes ev made from the consignment received. NotFound if there
	// is none; Conflict if it was received already.
	ReceiveConsignment(ctx context.Context, id string, counts map[string]int64, by string, at time.Time, ev func(Consignment) events.Event) (Consignment, error)
	// Consignment returns consignment id. NotFound if there is none.
	Consignment(ctx context.Context, id string) (Consignment, error)
	// ListConsignments lists the consignments of warehouseID, newest
	// first, only merchantID's and only those with status when set, at
	// most limit.
	ListConsignments(ctx context.Context, warehouseID, merchantID string, status ConsignmentStatus, limit int) ([]Consignment, error)
}

// consigner returns the merchant whose stock actor may announce to warehouse
// w, or NotFound (a warehouse one may not use is not known to exist): the
// owner's staff and keys to its own warehouse; a merchant a partner serves
// to the partner's hub; operators for any merchant the warehouse may hold.
func (s *Stock) consigner(ctx context.Context, op string, actor identity.Actor, w Warehouse, merchantID string) (string, error) {
	notFound := errs.E(op, errs.NotFound, "warehouse not found")
	switch {
	case actor.IsOperator():
		if merchantID == "" {
			merchantID = w.OwnerMerchantID
		}
		if merchantID == "" {
			return "", errs.Field(op, "merchant_id", "a partner's hub holds several merchants' stock: name the merchant")
		}
	case actor.Role == identity.Staff && actor.MerchantID != "":
		if merchantID != "" && merchantID != actor.MerchantID {
			return "", errs.Field(op, "merchant_id", "a merchant announces only its own stock")
		}
		merchantID = actor.MerchantID
	default:
		return "", notFound
	}
	switch {
	case w.OwnerMerchantID != "":
		if w.OwnerMerchantID != merchantID {
			if actor.IsOperator() {
				return "", errs.Field(op, "merchant_id", "this warehouse holds only its owner's stock")
			}
			return "", notFound
		}
	default:
		served, err := s.Store.PartnerServes(ctx, w.OperatorPartnerID, merchantID)
		if err != nil {
			return "", errs.E(op, errs.Other, err)
		}
		if !served {
			if actor.IsOperator() {
				return "", errs.Field(op, "merchant_id", "this partner does not serve that merchant")
			}
			return "", notFound
		}
	}
	return merchantID, nil
}

// Announce records a consignment on its way to warehouse warehouseID: its
// units show as inbound there until the warehouse receives it. Merchant
// staff and keys announce their own stock to their warehouses and to the
// hubs of partners that serve them. Errors: Unauthenticated, Forbidden,
// NotFound, Invalid.
func (s *Stock) Announce(ctx context.Context, actor identity.Actor, warehouseID string, in ConsignmentInput) (Consignment, error) {
	const op = "inventory.Announce"
	if err := identity.RefuseUnapproved(op, actor); err != nil {
		return Consignment{}, err
	}
	if actor.IsAnonymous() {
		return Consignment{}, errs.E(op, errs.Unauthenticated, "sign in")
	}
	w, err := s.Store.Warehouse(ctx, warehouseID)
	if err != nil {
		return Consignment{}, errs.E(op, errs.Other, err)
	}
	merchant, err := s.consigner(ctx, op, actor, w, in.MerchantID)
	if err != nil {
		return Consignment{}, err
	}
	if len(in.Lines) == 0 || len(in.Lines) > MaxConsignmentLines {
		return Consignment{}, errs.Field(op, "lines", fmt.Sprintf("must be 1 to %d lines", MaxConsignmentLines))
	}
	ref, err := text.Line(op, "reference", in.Reference, 100, false)
	if err != nil {
		return Consignment{}, err
	}
	now := s.Now()
	c := Consignment{ID: ids.New(ids.Consignment), WarehouseID: w.ID, MerchantID: merchant, Reference: ref, Status: Announced,
		AnnouncedBy: who(actor), AnnouncedAt: now}
	seen := map[string]bool{}
	for _, l := range in.Lines {
		if !skuPattern.MatchString(l.SKU) {
			return Consignment{}, errs.Field(op, "lines", "each SKU is 1 to 64 letters, digits, dots, dashes or underscores")
		}
		if l.Quantity < 1 || l.Quantity > MaxOnHand {
			return Consignment{}, errs.Field(op, "lines", fmt.Sprintf("each quantity is between 1 and %d", MaxOnHand))
		}
		if seen[l.SKU] {
			return Consignment{}, errs.Field(op, "lines", "SKU "+l.SKU+" is named twice")
		}
		seen[l.SKU] = true
		c.Lines = append(c.Lines, ConsignmentLine{SKU: l.SKU, Announced: l.Quantity})
	}
	if err := s.Store.AnnounceConsignment(ctx, c, consignmentEvent(events.ConsignmentAnnounced, c, c.AnnouncedBy, now)); err != nil {
		return Consignment{}, errs.E(op, errs.Other, err)
	}
	return c, nil
}

// Receive records what warehouse staff counted of a consignment: every
// announced SKU with the units that arrived (a count that differs is kept
// as a discrepancy). The announced units leave inbound and the counted ones
// are on hand. The partner operating the warehouse receives, or the owner
// of a warehouse no partner runs, or an operator. Errors: Unauthenticated,
// NotFound (also a consignment the actor may not receive), Invalid,
// Conflict (received already).
func (s *Stock) Receive(ctx context.Context, actor identity.Actor, consignmentID string, counts []ReceiptLine) (Consignment, error) {
	const op = "inventory.Receive"
	if err := identity.RefuseUnapproved(op, actor); err != nil {
		return Consignment{}, err
	}
	if actor.IsAnonymous() {
		return Consignment{}, errs.E(op, errs.Unauthenticated, "sign in")
	}
	notFound := errs.E(op, errs.NotFound, "consignment not found")
	if !ids.Valid(ids.Consignment, consignmentID) {
		return Consignment{}, notFound
	}
	c, err := s.Store.Consignment(ctx, consignmentID)
	if err != nil {
		return Consignment{}, errs.E(op, errs.Other, err)
	}
	w, err := s.Store.Warehouse(ctx, c.WarehouseID)
	if err != nil {
		return Consignment{}, errs.E(op, errs.Other, err)
	}
	receives := actor.IsOperator() || actor.OperatesFor(w.OperatorPartnerID) ||
		(w.OperatorPartnerID == "" && actor.ActsFor(w.OwnerMerchantID))
	if !receives {
		return Consignment{}, notFound
	}
	got := make(map[string]int64, len(counts))
	for _, r := range counts {
		if r.Received < 0 || r.Received > MaxOnHand {
			return Consignment{}, errs.Field(op, "lines", fmt.Sprintf("each count is between 0 and %d", MaxOnHand))
		}
		if _, dup := got[r.SKU]; dup {
			return Consignment{}, errs.Field(op, "lines", "SKU "+r.SKU+" is counted twice")
		}
		got[r.SKU] = r.Received
	}
	for _, l := range c.Lines {
		if _, ok := got[l.SKU]; !ok {
			return Consignment{}, errs.Field(op, "lines", "count every announced SKU, 0 for one that did not arrive: "+l.SKU+" is missing")
		}
	}
	if len(got) != len(c.Lines) {
		return Consignment{}, errs.Field(op, "lines", "count only the SKUs the consignment announced")
	}
	now, by := s.Now(), who(actor)
	out, err := s.Store.ReceiveConsignment(ctx, c.ID, got, by, now, func(c Consignment) events.Event {
		return consignmentEvent(events.ConsignmentReceived, c, by, now)
	})
	if err != nil {
		return Consignment{}, errs.E(op, errs.Other, err)
	}
	keys := make([]skuKey, len(out.Lines))
	for i, l := range out.Lines {
		keys[i] = skuKey{out.MerchantID, l.SKU}
	}
	s.availCache().drop(keys...)
	return out, nil
}

// Consignments lists a warehouse's consignments, newest first: all of them
// to those who may count its stock, their own to the merchants a partner's
// hub serves. Errors: Unauthenticated, NotFound, Invalid.
func (s *Stock) Consignments(ctx context.Context, actor identity.Actor, warehouseID string, status ConsignmentStatus, limit int) ([]Consignment, error) {
	const op = "inventory.Consignments"
	if err := identity.RefuseUnapproved(op, actor); err != nil {
		return nil, err
	}
	if actor.IsAnonymous() {
		return nil, errs.E(op, errs.Unauthenticated, "sign in")
	}
	if status != "" && status != Announced && status != Received {
		return nil, errs.Field(op, "status", "must be announced or received")
	}
	if limit < 1 || limit > MaxStockPage {
		return nil, errs.Field(op, "limit", fmt.Sprintf("must be between 1 and %d", MaxStockPage))
	}
	w, err := s.Store.Warehouse(ctx, warehouseID)
	if err != nil {
		return nil, errs.E(op, errs.Other, err)
	}
	merchant := ""
	if !mayActOn(actor, w) {
		if actor.Role != identity.Staff || actor.MerchantID == "" {
			return nil, errs.E(op, errs.NotFound, "warehouse not found")
		}
		if _, err := s.consigner(ctx, op, actor, w, ""); err != nil {
			return nil, err
		}
		merchant = actor.MerchantID
	}
	return s.Store.ListConsignments(ctx, w.ID, merchant, status, limit)
}

func consignmentEvent(typ string, c Consignment, by string, at time.Time) events.Event {
	p := events.Consignment{V: events.ConsignmentV1, ID: c.ID, WarehouseID: c.WarehouseID, MerchantID: c.MerchantID, Reference: c.Reference, By: by, At: at}
	for _, l := range c.Lines {
		p.Lines = append(p.Lines, events.ConsignmentLine{SKU: l.SKU, Announced: l.Announced, Received: l.Received})
	}
	return events.New(typ, c.ID, c.MerchantID, at, p)
}
