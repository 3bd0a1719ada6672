package inventory

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/promise"
	"github.com/sesame-market/sesame/internal/timers"
)

// StockLevel is the stock of a merchant's SKU in one warehouse. OnHand is
// what the warehouse holds; Reserved the part of it held for checkouts and
// paid orders; Available the rest; Inbound what consignments announce and
// the warehouse has yet to receive; Shipped what has left for buyers.
type StockLevel struct {
	WarehouseID string    `json:"warehouse_id"`
	MerchantID  string    `json:"merchant_id"`
	SKU         string    `json:"sku"`
	OnHand      int64     `json:"on_hand"`
	Reserved    int64     `json:"reserved"`
	Available   int64     `json:"available"`
	Inbound     int64     `json:"inbound"`
	Shipped     int64     `json:"shipped"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// StockInput is a count of a SKU in a warehouse: the units it holds now.
type StockInput struct {
	MerchantID string `json:"merchant_id,omitempty" maxLength:"64" doc:"The SKU's merchant; by default the warehouse's owner"`
	SKU        string `json:"sku" minLength:"1" maxLength:"64"`
	OnHand     int64  `json:"on_hand" minimum:"0" maximum:"1000000000" doc:"Units the warehouse holds, reserved ones included"`
}

// MaxOnHand bounds a count: no warehouse holds a billion units of one SKU.
const MaxOnHand = 1_000_000_000

// Availability is what a buyer sees of stock: never the quantities.
type Availability string

// The availabilities.
const (
	InStock    Availability = "in_stock"
	LowStock   Availability = "low_stock"
	OutOfStock Availability = "out_of_stock"
)

// LowStockAt is the number of available units at or below which a SKU shows
// as low in stock.
const LowStockAt = 5

// AvailabilityOf is the availability of available units.
func AvailabilityOf(available int64) Availability {
	switch {
	case available <= 0:
		return OutOfStock
	case available <= LowStockAt:
		return LowStock
	}
	return InStock
}

// ReservationStatus is where a reservation stands: held → confirmed →
// shipped, or held → released | expired, or confirmed → released.
type ReservationStatus string

// The reservation statuses.
const (
	Held      ReservationStatus = "held"
	Confirmed ReservationStatus = "confirmed"
	Released  ReservationStatus = "released"
	Expired   ReservationStatus = "expired"
	Shipped   ReservationStatus = "shipped"
)

// Item is a quantity of a merchant's SKU a checkout asks for.
type Item struct {
	MerchantID string `json:"merchant_id"`
	SKU        string `json:"sku"`
	Quantity   int64  `json:"quantity"`
}

// Line is a quantity of a SKU reserved in one warehouse.
type Line struct {
	MerchantID  string `json:"merchant_id"`
	SKU         string `json:"sku"`
	WarehouseID string `json:"warehouse_id"`
	Quantity    int64  `json:"quantity"`
}

// Reservation holds stock for a checkout (Ref) until it is paid, released
// or expires.
type Reservation struct {
	ID        string            `json:"id"`
	Ref       string            `json:"ref"`
	Status    ReservationStatus `json:"status"`
	Lines     []Line            `json:"lines"`
	ExpiresAt time.Time         `json:"expires_at"`
	CreatedAt time.Time         `json:"created_at"`
	EndedAt   *time.Time        `json:"ended_at,omitempty"`
}

// Picker chooses the warehouses that reserve items, given the stock levels
// of their SKUs in every warehouse. It returns Conflict when the stock does
// not cover an item.
type Picker func(items []Item, levels []StockLevel) ([]Line, error)

// StockStore persists stock and reservations.
type StockStore interface {
	// Warehouse returns warehouse id. NotFound if there is none.
	Warehouse(ctx context.Context, id string) (Warehouse, error)
	// PartnerServes reports whether partner partnerID has an accepted link
	// with merchant merchantID.
	PartnerServes(ctx context.Context, partnerID, merchantID string) (bool, error)
	// SetStock writes the on-hand counts of ls (inserting rows if needed)
	// in one transaction, each with an event ev makes from the level
	// written, and returns those levels. Invalid (field sku) if a merchant
	// has no such SKU; Conflict if more units are reserved than a count.
	SetStock(ctx context.Context, ls []StockLevel, ev func(StockLevel) events.Event) ([]StockLevel, error)
	// ListStock lists the stock of warehouse warehouseID by merchant and
	// SKU, only merchantID's when set, after the key (merchant, SKU) when
	// set, at most limit rows.
	ListStock(ctx context.Context, warehouseID, merchantID, afterMerchant, afterSKU string, limit int) ([]StockLevel, error)
	// StockOf returns the levels of merchantID's skus in every warehouse.
	StockOf(ctx context.Context, merchantID string, skus []string) ([]StockLevel, error)
	// AvailableOf returns the available units of merchantID's skus in the
	// warehouses that have some: what a buyer's page reads, lean.
	AvailableOf(ctx context.Context, merchantID string, skus []string) ([]Units, error)
	// Reserve writes r (its lines chosen by pick from the levels of the
	// items' SKUs, read under a lock), its units added to the warehouses'
	// reserved counts, and the expiry timer. If a live reservation of r.Ref
	// exists, it is returned instead and nothing is written (created
	// false). pick's errors are returned as they are.
	Reserve(ctx context.Context, r Reservation, items []Item, pick Picker, expiry timers.Timer) (out Reservation, created bool, err error)
	// ReserveAll is Reserve of every request in one transaction: all are
	// written (or found live), or none is and the first error is returned.
	ReserveAll(ctx context.Context, reqs []ReserveRequest) (out []Reservation, created []bool, err error)
	// EndReservation moves reservation id from one of the statuses from to
	// to at time at, with the stock it holds: released and expired units
	// return to the available ones, shipped ones leave on-hand. With
	// dueOnly, only a reservation whose expiry has passed at at moves.
	// NotFound if there is no such reservation; Conflict (with the
	// reservation) if it is in none of from, or not due.
	EndReservation(ctx context.Context, id string, from []ReservationStatus, to ReservationStatus, at time.Time, dueOnly bool) (Reservation, error)
	// Reservation returns reservation id. NotFound if there is none.
	Reservation(ctx context.Context, id string) (Reservation, error)
	ConsignmentStore
}

// TimerReservationExpiry is the timer kind that expires a held reservation.
const TimerReservationExpiry = "inventory.reservation_expiry"

// DefaultHold is how long a reservation holds stock unpaid.
const DefaultHold = 15 * time.Minute

// MaxItems bounds the items of one reservation.
const MaxItems = 200

var skuPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Stock is the stock service: counts by the warehouses' people, and the
// reservations checkout takes.
type Stock struct {
	Store StockStore
	Now   func() time.Time
	// Pick chooses the warehouses of a reservation (default PickSources).
	Pick Picker
	// Lanes are the carriers' lanes that promise delivery dates (default
	// promise.DefaultLanes).
	Lanes []promise.Lane
	// origins caches the warehouses as promises see them, by id: what a
	// promise reads of a warehouse does not change once it is registered;
	// reach caches whether one reaches a country ("id/country").
	origins, reach sync.Map
	// avail caches the available units buyers' pages read (see availCache).
	availOnce sync.Once
	avail     *availCache
}

func (s *Stock) availCache() *availCache {
	s.availOnce.Do(func() { s.avail = newAvailCache() })
	return s.avail
}

// changed drops the cached availability of the SKUs of lines.
func (s *Stock) changed(lines []Line) {
	keys := make([]skuKey, len(lines))
	for i, l := range lines {
		keys[i] = skuKey{l.MerchantID, l.SKU}
	}
	s.availCache().drop(keys...)
}

// NewStock returns the stock service with the real clock and the default
// lanes.
func NewStock(st StockStore) *Stock {
	return &Stock{Store: st, Now: func() time.Time { return time.Now().UTC() }, Pick: PickSources, Lanes: promise.DefaultLanes()}
}

// origin is a warehouse as a promise sees it, with the countries it serves.
type origin struct {
	promise.Origin
	sendsTo []string
}

// originOf returns warehouse id as a promise sees it.
func (s *Stock) originOf(ctx context.Context, id string) (origin, error) {
	if o, ok := s.origins.Load(id); ok {
		return o.(origin), nil
	}
	w, err := s.Store.Warehouse(ctx, id)
	if err != nil {
		return origin{}, err
	}
	loc, err := time.LoadLocation(w.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	cut, _ := parseCutOff(w.CutOff)
	o := origin{Origin: promise.Origin{ID: w.ID, Country: w.Country, Region: w.Region, Location: loc, CutOff: cut}, sendsTo: w.Serves}
	s.origins.Store(id, o)
	return o, nil
}

// Units are the available units of a SKU in a warehouse.
type Units struct {
	SKU         string
	WarehouseID string
	Available   int64
}

// Offer is what a buyer may know of a SKU's stock: whether it is available
// and, for a destination, when it would arrive.
type Offer struct {
	Availability Availability
	// Promise is the best delivery promise from the warehouses that have
	// the SKU available and a lane to the destination; nil when none has.
	Promise *promise.Result
}

// Offers returns the offers of merchantID's skus to a buyer: with dest,
// what the warehouses that can send there hold (those that serve its
// country and have a lane to it) and the best promise among them; else,
// with markets, what the warehouses that reach one of the markets hold;
// with neither, what every warehouse holds.
func (s *Stock) Offers(ctx context.Context, merchantID string, skus []string, markets []string, dest *promise.Destination) (map[string]Offer, error) {
	const op = "inventory.Offers"
	now := s.Now()
	levels, err := s.availCache().availableOf(ctx, now, merchantID, skus, s.Store.AvailableOf)
	if err != nil {
		return nil, errs.E(op, errs.Other, err)
	}
	return s.offers(ctx, op, now, levels, skus, markets, dest)
}

// OffersFrom is Offers over levels the caller read with the product (the
// available units of its skus per warehouse, current in the caller's
// read), rather than over the stock read again.
func (s *Stock) OffersFrom(ctx context.Context, levels []Units, skus []string, markets []string, dest *promise.Destination) (map[string]Offer, error) {
	return s.offers(ctx, "inventory.OffersFrom", s.Now(), levels, skus, markets, dest)
}

func (s *Stock) offers(ctx context.Context, op string, now time.Time, levels []Units, skus []string, markets []string, dest *promise.Destination) (map[string]Offer, error) {
	sum := make(map[string]int64, len(skus))
	best := map[string]*promise.Result{}
	for _, l := range levels {
		if l.Available <= 0 {
			continue
		}
		if dest == nil && len(markets) == 0 {
			sum[l.SKU] += l.Available
			continue
		}
		o, err := s.originOf(ctx, l.WarehouseID)
		if err != nil {
			return nil, errs.E(op, errs.Other, err)
		}
		if dest == nil {
			if slices.ContainsFunc(markets, func(c string) bool { return s.reaches(o, c) }) {
				sum[l.SKU] += l.Available
			}
			continue
		}
		if !o.serves(dest.Country) {
			continue
		}
		r, ok := promise.Promise(now, o.Origin, s.Lanes, *dest)
		if !ok {
			continue
		}
		sum[l.SKU] += l.Available
		if b := best[l.SKU]; b == nil || promise.Better(r, *b) {
			best[l.SKU] = &r
		}
	}
	out := make(map[string]Offer, len(skus))
	for _, sku := range skus {
		out[sku] = Offer{Availability: AvailabilityOf(sum[sku]), Promise: best[sku]}
	}
	return out, nil
}

// BestPromise is the best of offers' promises, by promise.Better: what a
// product promises when any of its variants will do. Nil when none has one.
func BestPromise(offers map[string]Offer) *promise.Result {
	var best *promise.Result
	for _, o := range offers {
		if o.Promise != nil && (best == nil || promise.Better(*o.Promise, *best)) {
			best = o.Promise
		}
	}
	return best
}

// serves reports whether o sends to country.
func (o origin) serves(country string) bool {
	return len(o.sendsTo) == 0 || slices.Contains(o.sendsTo, country)
}

// reaches reports whether o can send to country: it serves the country
// and a lane leads there. The answer does not change for a warehouse and
// is cached.
func (s *Stock) reaches(o origin, country string) bool {
	key := o.ID + "/" + country
	if v, ok := s.reach.Load(key); ok {
		return v.(bool)
	}
	_, ok := promise.Promise(s.Now(), o.Origin, s.Lanes, promise.Destination{Country: country})
	ok = ok && o.serves(country)
	s.reach.Store(key, ok)
	return ok
}

// mayActOn reports whether actor may count and read the stock of w: an
// operator, the owning merchant's staff and keys, or the partner operating it.
func mayActOn(actor identity.Actor, w Warehouse) bool {
	return actor.IsOperator() || actor.ActsFor(w.OwnerMerchantID) || actor.OperatesFor(w.OperatorPartnerID)
}

// warehouseFor returns warehouse id if actor may act on it, else NotFound
// (a warehouse one may not see is not known to exist).
func (s *Stock) warehouseFor(ctx context.Context, op string, actor identity.Actor, id string) (Warehouse, error) {
	if err := identity.RefuseUnapproved(op, actor); err != nil {
		return Warehouse{}, err
	}
	if actor.IsAnonymous() {
		return Warehouse{}, errs.E(op, errs.Unauthenticated, "sign in")
	}
	w, err := s.Store.Warehouse(ctx, id)
	if err != nil {
		return Warehouse{}, errs.E(op, errs.Other, err)
	}
	if !mayActOn(actor, w) {
		return Warehouse{}, errs.E(op, errs.NotFound, "warehouse not found")
	}
	return w, nil
}

// SetStock records a count of a SKU in a warehouse. The warehouse's owner
// (staff or API keys), its operating partner, or an operator counts; the SKU
// is the owner's, or in a partner's hub a merchant the partner serves (an
// accepted link). A count below the units reserved is refused: those units
// are promised. Errors: Unauthenticated, Forbidden, NotFound (also a
// warehouse the actor may not see), Invalid, Conflict.
func (s *Stock) SetStock(ctx context.Context, actor identity.Actor, warehouseID string, in StockInput) (StockLevel, error) {
	ls, err := s.count(ctx, "inventory.SetStock", actor, warehouseID, []StockInput{in})
	if err != nil {
		return StockLevel{}, err
	}
	return ls[0], nil
}

// MaxCounts bounds the counts of one CountStock call.
const MaxCounts = 5000

// CountStock records counts of many SKUs in a warehouse at once, all or
// none, as SetStock does one: a stock-take, or an import. Errors: as
// SetStock's.
func (s *Stock) CountStock(ctx context.Context, actor identity.Actor, warehouseID string, in []StockInput) ([]StockLevel, error) {
	const op = "inventory.CountStock"
	if len(in) == 0 || len(in) > MaxCounts {
		return nil, errs.Field(op, "counts", fmt.Sprintf("must be 1 to %d counts", MaxCounts))
	}
	return s.count(ctx, op, actor, warehouseID, in)
}

func (s *Stock) count(ctx context.Context, op string, actor identity.Actor, warehouseID string, in []StockInput) ([]StockLevel, error) {
	w, err := s.warehouseFor(ctx, op, actor, warehouseID)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	served := map[string]bool{}
	ls := make([]StockLevel, 0, len(in))
	for _, c := range in {
		if !skuPattern.MatchString(c.SKU) {
			return nil, errs.Field(op, "sku", "must be 1 to 64 letters, digits, dots, dashes or underscores")
		}
		if c.OnHand < 0 || c.OnHand > MaxOnHand {
			return nil, errs.Field(op, "on_hand", fmt.Sprintf("must be between 0 and %d", MaxOnHand))
		}
		merchant := cmp.Or(c.MerchantID, w.OwnerMerchantID)
		switch {
		case merchant == "":
			return nil, errs.Field(op, "merchant_id", "a partner's hub holds several merchants' stock: name the merchant")
		case w.OwnerMerchantID != "":
			if merchant != w.OwnerMerchantID {
				return nil, errs.Field(op, "merchant_id", "this warehouse holds only its owner's stock")
			}
		default:
			ok, seen := served[merchant]
			if !seen {
				if ok, err = s.Store.PartnerServes(ctx, w.OperatorPartnerID, merchant); err != nil {
					return nil, errs.E(op, errs.Other, err)
				}
				served[merchant] = ok
			}
			if !ok {
				return nil, errs.Field(op, "merchant_id", "this partner does not serve that merchant: it must accept the merchant's link first")
			}
		}
		ls = append(ls, StockLevel{WarehouseID: w.ID, MerchantID: merchant, SKU: c.SKU, OnHand: c.OnHand, UpdatedAt: now})
	}
	by := who(actor)
	out, err := s.Store.SetStock(ctx, ls, func(l StockLevel) events.Event {
		return events.New(events.StockCounted, l.WarehouseID+"/"+l.MerchantID+"/"+l.SKU, l.MerchantID, now, events.StockCount{
			V: events.StockCountV1, WarehouseID: l.WarehouseID, MerchantID: l.MerchantID, SKU: l.SKU,
			OnHand: l.OnHand, Reserved: l.Reserved, By: by, At: now})
	})
	if err != nil {
		return nil, errs.E(op, errs.Other, err)
	}
	keys := make([]skuKey, len(out))
	for i, l := range out {
		keys[i] = skuKey{l.MerchantID, l.SKU}
	}
	s.availCache().drop(keys...)
	return out, nil
}

// MaxStockPage is the most rows of a stock listing.
const MaxStockPage = 500

// ListStock lists a warehouse's stock to those who may count it: a partner
// sees every merchant's stock in its hub. after is the previous page's
// next, "merchant/sku" of its last row; next is empty on the last page.
// Errors: Unauthenticated, NotFound, Invalid.
func (s *Stock) ListStock(ctx context.Context, actor identity.Actor, warehouseID, after string, limit int) (levels []StockLevel, next string, err error) {
	const op = "inventory.ListStock"
	w, err := s.warehouseFor(ctx, op, actor, warehouseID)
	if err != nil {
		return nil, "", err
	}
	if limit < 1 || limit > MaxStockPage {
		return nil, "", errs.Field(op, "limit", fmt.Sprintf("must be between 1 and %d", MaxStockPage))
	}
	var am, as string
	if after != "" {
		var ok bool
		if am, as, ok = cut(after); !ok {
			return nil, "", errs.Field(op, "after", "must be the merchant/sku of a listed row")
		}
	}
	levels, err = s.Store.ListStock(ctx, w.ID, "", am, as, limit+1)
	if err != nil {
		return nil, "", errs.E(op, errs.Other, err)
	}
	if len(levels) > limit {
		levels = levels[:limit]
		last := levels[limit-1]
		next = last.MerchantID + "/" + last.SKU
	}
	return levels, next, nil
}

func cut(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return s[:i], s[i+1:], i > 0 && i < len(s)-1
		}
	}
	return "", "", false
}

// Availability returns the availability of merchantID's skus over all the
// warehouses that hold them: what a buyer may see.
func (s *Stock) Availability(ctx context.Context, merchantID string, skus []string) (map[string]Availability, error) {
	offers, err := s.Offers(ctx, merchantID, skus, nil, nil)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Availability, len(offers))
	for sku, o := range offers {
		out[sku] = o.Availability
	}
	return out, nil
}

// ReserveInput asks for items for checkout ref.
type ReserveInput struct {
	// Ref names the checkout: reserving again for a ref with a live
	// reservation returns that one.
	Ref   string
	Items []Item
	// Hold is how long the units are held unpaid (default DefaultHold).
	Hold time.Duration
	// Prefer names, by SKU, the warehouse a buyer was promised delivery
	// from: it sends the item when it has all of it available.
	Prefer map[string]string
}

type expiryPayload struct {
	Reservation string `json:"reservation"`
}

// ReserveRequest is one reservation for the store to write (see
// StockStore.Reserve).
type ReserveRequest struct {
	Reservation Reservation
	Items       []Item
	Pick        Picker
	Expiry      timers.Timer
}

// Reserve holds the items for a checkout: each unit in one warehouse, chosen
// by Pick, until the reservation is confirmed (paid), released, or its hold
// ends; a timer then returns the units, also after a restart. A retried
// call for the same ref returns the live reservation. It is Sesame's own
// call (checkout's), not a route. Errors: Invalid, Conflict (the stock does
// not cover an item).
func (s *Stock) Reserve(ctx context.Context, in ReserveInput) (Reservation, bool, error) {
	const op = "inventory.Reserve"
	req, err := s.request(op, in)
	if err != nil {
		return Reservation{}, false, err
	}
	out, created, err := s.Store.Reserve(ctx, req.Reservation, req.Items, req.Pick, req.Expiry)
	if err != nil {
		return Reservation{}, false, errs.E(op, errs.Other, err)
	}
	if created {
		s.changed(out.Lines)
	}
	return out, created, nil
}

// ReserveAll is Reserve of each of ins (a checkout's, one per merchant) in
// one transaction: all are held, or none is. Errors: those of Reserve, of
// the first input refused.
func (s *Stock) ReserveAll(ctx context.Context, ins []ReserveInput) ([]Reservation, error) {
	const op = "inventory.ReserveAll"
	reqs := make([]ReserveRequest, len(ins))
	for i, in := range ins {
		var err error
		if reqs[i], err = s.request(op, in); err != nil {
			return nil, err
		}
	}
	out, created, err := s.Store.ReserveAll(ctx, reqs)
	if err != nil {
		return nil, errs.E(op, errs.Other, err)
	}
	for i, r := range out {
		if created[i] {
			s.changed(r.Lines)
		}
	}
	return out, nil
}

// request checks in and makes the reservation the store is to write.
func (s *Stock) request(op string, in ReserveInput) (ReserveRequest, error) {
	if in.Ref == "" || len(in.Ref) > 100 {
		return ReserveRequest{}, errs.Field(op, "ref", "must be 1 to 100 bytes")
	}
	if len(in.Items) == 0 || len(in.Items) > MaxItems {
		return ReserveRequest{}, errs.Field(op, "items", fmt.Sprintf("must be 1 to %d items", MaxItems))
	}
	// One item per SKU: a SKU named twice is summed.
	merged := make([]Item, 0, len(in.Items))
	for _, it := range in.Items {
		if it.MerchantID == "" || !skuPattern.MatchString(it.SKU) || it.Quantity < 1 || it.Quantity > MaxOnHand {
			return ReserveRequest{}, errs.Field(op, "items", "each item names a merchant, a SKU and a quantity of at least 1")
		}
		if i := slices.IndexFunc(merged, func(m Item) bool { return m.MerchantID == it.MerchantID && m.SKU == it.SKU }); i >= 0 {
			merged[i].Quantity += it.Quantity
			continue
		}
		merged = append(merged, it)
	}
	hold := in.Hold
	if hold <= 0 {
		hold = DefaultHold
	}
	now := s.Now()
	r := Reservation{ID: ids.New(ids.Reservation), Ref: in.Ref, Status: Held, ExpiresAt: now.Add(hold), CreatedAt: now}
	t, err := timers.New(TimerReservationExpiry, r.ExpiresAt, expiryPayload{Reservation: r.ID})
	if err != nil {
		return ReserveRequest{}, errs.E(op, errs.Internal, err)
	}
	t.Dedupe, t.CreatedAt = TimerReservationExpiry+":"+r.ID, now
	pick := s.Pick
	if pick == nil {
		pick = PickSources
	}
	if len(in.Prefer) > 0 {
		pick = preferring(in.Prefer, pick)
	}
	return ReserveRequest{Reservation: r, Items: merged, Pick: pick, Expiry: t}, nil
}

// Confirm keeps a held reservation's units for its paid order, past its
// hold. Errors: NotFound, Conflict (released, expired or shipped already).
func (s *Stock) Confirm(ctx context.Context, id string) (Reservation, error) {
	return s.end(ctx, "inventory.Confirm", id, []ReservationStatus{Held}, Confirmed, false)
}

// Release returns a reservation's units to the available stock: the
// payment failed or the order was cancelled. Errors: NotFound, Conflict.
func (s *Stock) Release(ctx context.Context, id string) (Reservation, error) {
	return s.end(ctx, "inventory.Release", id, []ReservationStatus{Held, Confirmed}, Released, false)
}

// Ship records that a confirmed reservation's units left their warehouses.
// Errors: NotFound, Conflict.
func (s *Stock) Ship(ctx context.Context, id string) (Reservation, error) {
	return s.end(ctx, "inventory.Ship", id, []ReservationStatus{Confirmed}, Shipped, false)
}

// Expire ends a held reservation whose hold has passed: the expiry timer's
// work. A reservation confirmed, released or not yet due is left as it is
// (the timer was late, or early, or retried), so the call is idempotent.
func (s *Stock) Expire(ctx context.Context, id string) error {
	_, err := s.end(ctx, "inventory.Expire", id, []ReservationStatus{Held}, Expired, true)
	if errs.Is(err, errs.Conflict) || errs.Is(err, errs.NotFound) {
		return nil
	}
	return err
}

// ExpiryTimer is the handler of TimerReservationExpiry; its store writes
// join ctx's transaction.
func (s *Stock) ExpiryTimer(ctx context.Context, t timers.Timer) error {
	var p expiryPayload
	if err := json.Unmarshal(t.Payload, &p); err != nil || p.Reservation == "" {
		return nil // nothing to do for a payload no Sesame wrote
	}
	return s.Expire(ctx, p.Reservation)
}

func (s *Stock) end(ctx context.Context, op, id string, from []ReservationStatus, to ReservationStatus, dueOnly bool) (Reservation, error) {
	if !ids.Valid(ids.Reservation, id) {
		return Reservation{}, errs.E(op, errs.NotFound, "reservation not found")
	}
	r, err := s.Store.EndReservation(ctx, id, from, to, s.Now(), dueOnly)
	if err != nil {
		return r, errs.E(op, errs.Other, err)
	}
	s.changed(r.Lines)
	return r, nil
}

// Reservation returns reservation id. Errors: NotFound.
func (s *Stock) Reservation(ctx context.Context, id string) (Reservation, error) {
	if !ids.Valid(ids.Reservation, id) {
		return Reservation{}, errs.E("inventory.Reservation", errs.NotFound, "reservation not found")
	}
	return s.Store.Reservation(ctx, id)
}

// preferring wraps pick: an item whose preferred warehouse has all of it
// available is taken there; pick chooses for the others.
func preferring(prefer map[string]string, pick Picker) Picker {
	return func(items []Item, levels []StockLevel) ([]Line, error) {
		var lines []Line
		var rest []Item
		for _, it := range items {
			wh := prefer[it.SKU]
			i := slices.IndexFunc(levels, func(l StockLevel) bool {
				return l.WarehouseID == wh && l.MerchantID == it.MerchantID && l.SKU == it.SKU && l.Available >= it.Quantity
			})
			if wh == "" || i < 0 {
				rest = append(rest, it)
				continue
			}
			lines = append(lines, Line{MerchantID: it.MerchantID, SKU: it.SKU, WarehouseID: wh, Quantity: it.Quantity})
		}
		if len(rest) == 0 {
			return lines, nil
		}
		more, err := pick(rest, levels)
		if err != nil {
			return nil, err
		}
		return append(lines, more...), nil
	}
}

// PromiseFrom is the promise of warehouse id to dest: what a buyer is
// told once the warehouse that sends the goods is chosen. Nil when it has
// no lane there or does not serve the country. Errors: NotFound.
func (s *Stock) PromiseFrom(ctx context.Context, id string, dest promise.Destination) (*promise.Result, error) {
	o, err := s.originOf(ctx, id)
	if err != nil {
		return nil, errs.E("inventory.PromiseFrom", errs.Other, err)
	}
	if !o.serves(dest.Country) {
		return nil, nil
	}
	r, ok := promise.Promise(s.Now(), o.Origin, s.Lanes, dest)
	if !ok {
		return nil, nil
	}
	return &r, nil
}

// PickSources is the default Picker: one warehouse that holds every item
// when there is one (the one with the most units of them available, then
// by id), else for each item the warehouses with the most available first,
// splitting an item only when no single warehouse has all of it.
func PickSources(items []Item, levels []StockLevel) ([]Line, error) {
	const op = "inventory.PickSources"
	type key struct{ merchant, sku string }
	byWH := map[string]map[key]int64{}
	var whs []string
	for _, l := range levels {
		if l.Available <= 0 {
			continue
		}
		m := byWH[l.WarehouseID]
		if m == nil {
			m = map[key]int64{}
			byWH[l.WarehouseID] = m
			whs = append(whs, l.WarehouseID)
		}
		m[key{l.MerchantID, l.SKU}] += l.Available
	}
	slices.Sort(whs)
	best, bestUnits := "", int64(-1)
	for _, w := range whs {
		units, all := int64(0), true
		for _, it := range items {
			a := byWH[w][key{it.MerchantID, it.SKU}]
			if a < it.Quantity {
				all = false
				break
			}
			units += a
		}
		if all && units > bestUnits {
			best, bestUnits = w, units
		}
	}
	lines := make([]Line, 0, len(items))
	if best != "" {
		for _, it := range items {
			lines = append(lines, Line{MerchantID: it.MerchantID, SKU: it.SKU, WarehouseID: best, Quantity: it.Quantity})
		}
		return lines, nil
	}
	for _, it := range items {
		k := key{it.MerchantID, it.SKU}
		cands := slices.Clone(whs)
		slices.SortStableFunc(cands, func(a, b string) int { return cmp.Compare(byWH[b][k], byWH[a][k]) })
		need := it.Quantity
		for _, w := range cands {
			if need == 0 {
				break
			}
			take := min(need, byWH[w][k])
			if take <= 0 {
				continue
			}
			lines = append(lines, Line{MerchantID: it.MerchantID, SKU: it.SKU, WarehouseID: w, Quantity: take})
			need -= take
		}
		if need > 0 {
			return nil, errs.E(op, errs.Conflict, fmt.Sprintf("not enough stock of %s: %d more units are needed", it.SKU, need))
		}
	}
	return lines, nil
}
