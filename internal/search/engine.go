// Package search is Sesame's product search: an index per channel held in
// each node's memory, built from the database at start and kept current by
// the catalogue's listing events, answering a query with its facet counts
// in well under a millisecond at a million products.
//
// Terms and facet values are roaring bitmaps of documents; relevance counts
// how many of the words a product's title holds (then newest first). See
// docs/decisions.md for the engines measured against it.
package search

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
)

// Subjects returns the bus subjects an engine follows.
func Subjects() []string {
	return []string{events.SubjectPrefix + "catalog.listing.>", events.SubjectPrefix + "catalog.listings.>", events.SubjectPrefix + "review.>"}
}

// Source is where an engine loads what each channel shows.
type Source interface {
	// ChannelListings returns up to limit of channelID's listed products
	// after product id after, in id order.
	ChannelListings(ctx context.Context, channelID, after string, limit int) ([]events.Listing, error)
	// ProductRatings returns the average stars, in tenths, of every
	// product with published reviews, by product id.
	ProductRatings(ctx context.Context) (map[string]int64, error)
}

// Channels lists the channels (the engine keeps an index for each).
type Channels func(ctx context.Context) ([]channel.Channel, error)

// An Engine holds the index of every channel.
type Engine struct {
	channels Channels
	log      *slog.Logger

	mu     sync.RWMutex // guards byID and byCode
	byID   map[string]*Index
	byCode map[string]*Index

	ready  atomic.Bool
	loaded atomic.Int64 // products loaded by Load so far
}

// New returns an engine with no index; Load fills it.
func New(channels Channels, log *slog.Logger) *Engine {
	if log == nil {
		log = slog.Default()
	}
	return &Engine{channels: channels, log: log, byID: map[string]*Index{}, byCode: map[string]*Index{}}
}

// loadPage is how many listings Load reads at a time.
const loadPage = 1000

// Load builds every channel's index from src, then marks the engine ready.
// Events applied while it runs are kept (an event carries a product's
// version, and a later version is never replaced by an older one), but a
// follower should start from the bus sequence taken before Load, so that
// nothing changed during it is missed.
func (e *Engine) Load(ctx context.Context, src Source) error {
	chans, err := e.channels(ctx)
	if err != nil {
		return fmt.Errorf("search.Load: channels: %w", err)
	}
	ratings, err := src.ProductRatings(ctx)
	if err != nil {
		return fmt.Errorf("search.Load: ratings: %w", err)
	}
	start := time.Now()
	for _, ch := range chans {
		x := e.indexOf(ch)
		x.mu.Lock()
		for id, tenths := range ratings {
			x.rate(id, tenths)
		}
		x.mu.Unlock()
		after := ""
		for {
			ls, err := src.ChannelListings(ctx, ch.ID, after, loadPage)
			if err != nil {
				return fmt.Errorf("search.Load %s: %w", ch.Code, err)
			}
			x.mu.Lock()
			for i := range ls {
				if !x.upsert(&ls[i]) {
					e.log.Error("search: listing of a malformed product id skipped", "product_id", ls[i].ProductID)
				}
			}
			x.mu.Unlock()
			e.loaded.Add(int64(len(ls)))
			if len(ls) < loadPage {
				break
			}
			after = ls[len(ls)-1].ProductID
		}
	}
	e.ready.Store(true)
	// Loading decoded every listing: give what it no longer holds back to
	// the system now rather than over the next minutes.
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	e.log.Info("search index loaded", "products", e.loaded.Load(), "took", time.Since(start).Round(time.Millisecond),
		"heap_mib", ms.HeapAlloc>>20)
	return nil
}

// Status says whether the engine answers and how far loading has gone.
type Status struct {
	Ready  bool
	Loaded int64
}

// Status returns the engine's state.
func (e *Engine) Status() Status {
	if e == nil {
		return Status{}
	}
	return Status{Ready: e.ready.Load(), Loaded: e.loaded.Load()}
}

// indexOf returns channel ch's index, creating it.
func (e *Engine) indexOf(ch channel.Channel) *Index {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.byID[ch.ID]; ok {
		return x
	}
	x := newIndex(ch)
	e.byID[ch.ID], e.byCode[ch.Code] = x, x
	return x
}

// index returns the index of channel id, reading the channels again when
// it is new (created after the engine started).
func (e *Engine) index(ctx context.Context, id string) (*Index, error) {
	e.mu.RLock()
	x := e.byID[id]
	e.mu.RUnlock()
	if x != nil {
		return x, nil
	}
	chans, err := e.channels(ctx)
	if err != nil {
		return nil, err
	}
	for _, ch := range chans {
		if ch.ID == id {
			return e.indexOf(ch), nil
		}
	}
	return nil, fmt.Errorf("search: channel %s is unknown", id)
}

// Handle applies one event (an events.Handler); events other than the
// listing and review events are ignored, and so is a listing version it
// does not know. A review event sets its product's rating in every index.
func (e *Engine) Handle(ctx context.Context, ev events.Event) error {
	switch ev.Type {
	case events.ReviewCreated, events.ReviewEdited, events.ReviewModerated:
		var c events.ReviewChange
		if err := json.Unmarshal(ev.Payload, &c); err != nil {
			return e.skip(ev, err)
		}
		if c.V != events.ReviewChangeV1 {
			return e.skip(ev, fmt.Errorf("version %d", c.V))
		}
		e.mu.RLock()
		xs := slices.Collect(maps.Values(e.byID))
		e.mu.RUnlock()
		for _, x := range xs {
			x.mu.Lock()
			x.rate(c.ProductID, c.ProductAverageTenths)
			x.mu.Unlock()
		}
	case events.ListingUpserted:
		var l events.Listing
		if err := json.Unmarshal(ev.Payload, &l); err != nil {
			return e.skip(ev, err)
		}
		return e.upsert(ctx, []events.Listing{l})
	case events.ListingsUpserted:
		var b events.ListingBatch
		if err := json.Unmarshal(ev.Payload, &b); err != nil {
			return e.skip(ev, err)
		}
		if b.V != events.ListingV1 {
			return e.skip(ev, fmt.Errorf("version %d", b.V))
		}
		return e.upsert(ctx, b.Listings)
	case events.ListingRemoved:
		var r events.ListingRemoval
		if err := json.Unmarshal(ev.Payload, &r); err != nil {
			return e.skip(ev, err)
		}
		x, err := e.index(ctx, r.ChannelID)
		if err != nil {
			return err
		}
		x.mu.Lock()
		x.remove(r.ProductID)
		x.mu.Unlock()
	}
	return nil
}

// skip logs an event that cannot be applied: retrying would not change it.
func (e *Engine) skip(ev events.Event, err error) error {
	e.log.Error("search: event skipped", "event_id", ev.ID, "event_type", ev.Type, "err", err)
	return nil
}

func (e *Engine) upsert(ctx context.Context, ls []events.Listing) error {
	var x *Index
	for i := range ls {
		l := &ls[i]
		if l.V != events.ListingV1 {
			e.log.Error("search: listing of an unknown version skipped", "product_id", l.ProductID, "v", l.V)
			continue
		}
		if x == nil || x.ch.ID != l.ChannelID {
			if x != nil {
				x.mu.Unlock()
			}
			var err error
			if x, err = e.index(ctx, l.ChannelID); err != nil {
				return err
			}
			x.mu.Lock()
		}
		if !x.upsert(l) {
			e.log.Error("search: listing of a malformed product id skipped", "product_id", l.ProductID)
		}
	}
	if x != nil {
		x.mu.Unlock()
	}
	return nil
}

// Search runs q. Errors: NotFound (the channel), Invalid (a parameter),
// Unavailable while the engine loads (and on a nil engine: no search runs).
func (e *Engine) Search(ctx context.Context, q Query) (Result, error) {
	const op = "search.Search"
	if e == nil {
		return Result{}, errs.Retry(op, errs.Unavailable, 5*time.Second, "search is not running on this server")
	}
	e.mu.RLock()
	x := e.byCode[q.Channel]
	e.mu.RUnlock()
	if !e.ready.Load() {
		return Result{}, errs.Retry(op, errs.Unavailable, 5*time.Second,
			fmt.Sprintf("the search index is loading (%d products so far): try again in a few seconds", e.loaded.Load()))
	}
	if x == nil {
		// A channel created since the engine loaded, with nothing listed yet.
		chans, err := e.channels(ctx)
		if err != nil {
			return Result{}, err
		}
		for _, ch := range chans {
			if ch.Code == q.Channel {
				x = e.indexOf(ch)
			}
		}
		if x == nil {
			return Result{}, errs.E(op, errs.NotFound, "no channel "+q.Channel)
		}
	}
	return x.Search(q)
}

// Categories returns channel code's category tree with the number of
// products each shows (a node counts its subtree), names in lang; nil for
// a channel the engine does not know or while it loads.
func (e *Engine) Categories(code, lang string) []CategoryCount {
	if e == nil || !e.ready.Load() {
		return nil
	}
	e.mu.RLock()
	x := e.byCode[code]
	e.mu.RUnlock()
	if x == nil {
		return nil
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	li := max(0, slices.Index(x.langs, lang))
	counts := make([]int, len(x.cats.nodes))
	for i, n := range x.cats.nodes {
		counts[i] = int(n.set.GetCardinality())
	}
	var fs [nFacets][]int
	fs[facetCategory] = counts
	return x.facets(li, fs, nil).Categories
}

// Merchant returns merchant id as channel code shows it: its name and how
// many of its products the channel shows (0: none, or unknown).
func (e *Engine) Merchant(code, id string) (name string, products int) {
	if e == nil || !e.ready.Load() {
		return "", 0
	}
	e.mu.RLock()
	x := e.byCode[code]
	e.mu.RUnlock()
	if x == nil {
		return "", 0
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	i, ok := x.merchants.byKey[id]
	if !ok {
		return "", 0
	}
	return x.merchants.names[i], int(x.merchants.sets[i].GetCardinality())
}
