// Package events defines Sesame's domain events and the contracts around the
// transactional outbox: a store writes an event in the same transaction as the
// change it describes, a relay publishes it to the bus with its id as the
// deduplication key, and consumers apply it idempotently.
package events

import (
	"context"
	"encoding/json"
	"time"

	"github.com/sesame-market/sesame/internal/ids"
)

// Event is one fact that happened in Sesame. Its ID is unique and is the
// deduplication key end to end (outbox row, Nats-Msg-Id, consumer inbox).
type Event struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`         // e.g. "catalog.product.created"
	AggregateID string          `json:"aggregate_id"` // the object the event is about
	Tenant      string          `json:"tenant,omitempty"`
	At          time.Time       `json:"at"`
	Payload     json.RawMessage `json:"payload"`
}

// Wire is e as the bus carries it: the JSON of Event, with the payload
// (JSON already, from New) copied in as it is rather than re-encoded, which
// for a batch of listings is most of the cost of publishing it.
func (e Event) Wire() ([]byte, error) {
	head, err := json.Marshal(struct {
		ID          string    `json:"id"`
		Type        string    `json:"type"`
		AggregateID string    `json:"aggregate_id"`
		Tenant      string    `json:"tenant,omitempty"`
		At          time.Time `json:"at"`
	}{e.ID, e.Type, e.AggregateID, e.Tenant, e.At})
	if err != nil {
		return nil, err
	}
	payload := []byte(e.Payload)
	if len(payload) == 0 {
		payload = []byte("null")
	}
	out := make([]byte, 0, len(head)+len(`,"payload":`)+len(payload))
	out = append(out, head[:len(head)-1]...)
	out = append(out, `,"payload":`...)
	out = append(out, payload...)
	return append(out, '}'), nil
}

// Subject is the bus subject the event is published on: "sesame." + Type.
func (e Event) Subject() string { return SubjectPrefix + e.Type }

// SubjectPrefix starts every subject Sesame publishes.
const SubjectPrefix = "sesame."

// New returns an event of the given type about aggregateID, with payload
// marshalled to JSON. It panics only if payload cannot be marshalled, which is
// a programming error (payloads are plain structs).
func New(typ, aggregateID, tenant string, at time.Time, payload any) Event {
	b, err := json.Marshal(payload)
	if err != nil {
		panic("events.New: " + err.Error())
	}
	return Event{ID: ids.New(ids.Event), Type: typ, AggregateID: aggregateID, Tenant: tenant, At: at.UTC(), Payload: b}
}

// Handler applies one event. It must be idempotent: the bus delivers at least
// once. An error makes the bus redeliver the event later.
type Handler func(ctx context.Context, e Event) error

// Event types published by the core.
const (
	UserRegistered      = "identity.user.registered"
	MerchantApplied     = "merchant.applied"
	MerchantApproved    = "merchant.approved"
	MerchantRejected    = "merchant.rejected"
	MerchantSuspended   = "merchant.suspended"
	ShopOpened          = "merchant.shop.opened"
	PlanCreated         = "merchant.plan.created"
	ProgrammeCreated    = "merchant.programme.created"
	PlanAssigned        = "merchant.plan.assigned"
	ChannelCreated      = "channel.created"
	ChannelRulesChanged = "channel.rules.changed"
	PavilionCreated     = "channel.pavilion.created"
	PavilionChanged     = "channel.pavilion.changed"
	CategoryCreated     = "catalog.category.created"
	BrandCreated        = "catalog.brand.created"
	ProductCreated      = "catalog.product.created"
	ProductUpdated      = "catalog.product.updated"
	// ProductListed and ProductUnlisted are no longer written: the listing
	// events (ListingUpserted, ListingRemoved) replaced them. Rows of these
	// types written by an older Sesame may still be in an outbox.
	ProductListed    = "catalog.product.listed"
	ProductUnlisted  = "catalog.product.unlisted"
	PartnerCreated   = "identity.partner.created"
	WarehouseCreated = "inventory.warehouse.created"
)

// ChannelProtectionChanged: an operator set a channel's buyer protection
// (payload: the channel.Protection).
const ChannelProtectionChanged = "channel.protection.changed"

// ChannelSharingChanged: an operator set a channel's share commission
// (payload: the channel.Sharing).
const ChannelSharingChanged = "channel.sharing.changed"

// Brand registry events.
const (
	// BrandAuthorised and BrandAuthorisationRevoked: an operator let a
	// merchant use a brand, or withdrew that (tenant: the merchant).
	BrandAuthorised           = "catalog.brand.authorised"
	BrandAuthorisationRevoked = "catalog.brand.authorisation_revoked"
)

// Event types of merchant applications and partner links.
const (
	MerchantApplicationEdited = "merchant.application.edited"
	MerchantResubmitted       = "merchant.resubmitted"
	PartnerLinkRequested      = "inventory.partner_link.requested"
	PartnerLinkAccepted       = "inventory.partner_link.accepted"
	PartnerLinkDeclined       = "inventory.partner_link.declined"
)
