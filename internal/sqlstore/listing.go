package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/events"
)

// This file loads the facts of the listing rule (channel.MayList) for the
// store paths that create or re-check listings: single listing, bulk import,
// revocation, brand change, brand authorisation and merchant status. The rule
// itself lives in package channel; here is only the SQL that gathers its facts.

// lockForListing starts a listing transaction by writing the merchant row and
// then the channel row (bumping its catalog version). Revocations, status
// changes and brand authorisations write the same rows, in the same order
// (merchant before channel), so on PostgreSQL (read committed) they and a
// listing run one after the other without deadlocking: a listing can never
// slip in beside a concurrent revocation, suspension or withdrawn brand
// authorisation. On SQLite writes are serialised anyway.
func lockForListing(ctx context.Context, tx *sql.Tx, merchantID, channelID string) error {
	if err := lockMerchant(ctx, tx, merchantID); err != nil {
		return err
	}
	return bumpChannel(ctx, tx, channelID)
}

// lockMerchant writes merchant id's row, which serialises listing work of
// that merchant on PostgreSQL.
func lockMerchant(ctx context.Context, tx *sql.Tx, merchantID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE merchants SET status = status WHERE id = $1`, merchantID)
	return err
}

// lockEdit starts a product edit (patch, variant, prices) by writing the
// merchant row, as every listing path does first: an edit then runs one
// after the other with the merchant's listings, unlistings by status and
// brand withdrawals, so the document a listing event carries is the one
// committed, and the edit's events see the listings committed before it.
func lockEdit(ctx context.Context, tx *sql.Tx, merchantID string) error {
	return lockMerchant(ctx, tx, merchantID)
}

// listingFactsCols are the facts of one (product p, channel c) pair, with the
// product's merchant m and brand b joined. Every subquery is an indexed probe.
const listingFactsCols = `p.id, c.id, p.merchant_id, c.code, c.admission, m.status,
	EXISTS (SELECT 1 FROM shops s WHERE s.merchant_id = p.merchant_id AND s.channel_id = c.id),
	EXISTS (SELECT 1 FROM channel_merchants cm WHERE cm.channel_id = c.id AND cm.merchant_id = p.merchant_id),
	COALESCE(p.brand_id, ''), COALESCE(b.merchant_id, ''),
	EXISTS (SELECT 1 FROM channel_brands cb WHERE cb.channel_id = c.id AND cb.brand_id = p.brand_id),
	EXISTS (SELECT 1 FROM brand_authorisations ba WHERE ba.brand_id = p.brand_id AND ba.merchant_id = p.merchant_id)`

// listingFacts is one loaded (product, channel) pair.
type listingFacts struct {
	productID, channelID, merchantID string
	brandOwner                       string
	authorised                       bool
	active                           bool // for existing listings
	facts                            channel.ListingFacts
}

func scanListingFacts(row interface{ Scan(...any) error }, extra ...any) (listingFacts, error) {
	var l listingFacts
	var adm string
	f := &l.facts
	err := row.Scan(append([]any{(*prodID)(&l.productID), &l.channelID, &l.merchantID, &f.ChannelCode, &adm, &f.MerchantStatus, &f.HasShop,
		&f.MerchantAdmitted, &f.BrandID, &l.brandOwner, &f.BrandAdmitted, &l.authorised}, extra...)...)
	// Whether the product is priced on the channel is its document's
	// business (ListProduct asks it). A listing that exists was priced when
	// it was made, and a price is only ever set, never removed, so a
	// re-check of existing listings finds it priced.
	f.Priced = true
	f.Admission = channel.Admission(adm)
	f.BrandUsable = brandUsable(f.BrandID, l.brandOwner, l.merchantID, l.authorised)
	return l, err
}

// brandUsable asks the catalogue's brand rule whether merchantID may use the
// brand (owned by owner, "" for a marketplace brand); no brand is usable.
func brandUsable(brandID, owner, merchantID string, authorised bool) bool {
	return brandID == "" || catalog.MayUseBrand(catalog.Brand{ID: brandID, MerchantID: owner}, merchantID, authorised) == nil
}

// productListingFacts loads the facts of listing product productID on
// channelID. sql.ErrNoRows if either does not exist.
func productListingFacts(ctx context.Context, tx *sql.Tx, productID, channelID string) (listingFacts, error) {
	return scanListingFacts(tx.QueryRowContext(ctx, `SELECT `+listingFactsCols+`
		FROM products p JOIN merchants m ON m.id = p.merchant_id LEFT JOIN brands b ON b.id = p.brand_id CROSS JOIN channels c
		WHERE p.id = $1 AND c.id = $2`, prodID(productID), channelID))
}

// How recheckListings treats a listing that fails the rule.
const (
	// removeFailing deletes listings that fail the rule for any reason but
	// the merchant's status: a suspended merchant's listings are hidden,
	// not lost, and come back on reinstatement if they still qualify.
	removeFailing = iota
	// followStatus shows the listings that pass the rule and hides those
	// that fail (merchant status changes).
	followStatus
)

// recheckListings runs the listing rule over every listing that scope (a
// predicate over the listings table's own columns, with args as $1...)
// selects, and removes or hides those that fail, bumping the catalog version
// of each channel whose listings changed. The caller holds the listing lock.
//
// It is the one place where listings leave a channel (or come back) because
// something other than the listing itself changed, so it writes their
// events: a ListingRemoved with reason for each listing removed or hidden,
// a ListingUpserted for each shown again (followStatus).
func recheckListings(ctx context.Context, tx *sql.Tx, mode int, reason string, at time.Time, scope string, args ...any) error {
	rows, err := tx.QueryContext(ctx, `SELECT `+listingFactsCols+`, l.active
		FROM (SELECT channel_id, product_id, active FROM listings WHERE `+scope+`) l
		JOIN products p ON p.id = l.product_id JOIN merchants m ON m.id = p.merchant_id
		LEFT JOIN brands b ON b.id = p.brand_id JOIN channels c ON c.id = l.channel_id
		ORDER BY l.product_id, l.channel_id`, args...)
	if err != nil {
		return err
	}
	var all, changed []listingFacts
	want := map[bool]int{} // desired active flag -> listings wanting it
	for rows.Next() {
		var active bool
		l, err := scanListingFacts(rows, &active)
		if err != nil {
			rows.Close()
			return err
		}
		l.active = active
		all = append(all, l)
		f := l.facts
		if mode == removeFailing {
			f.MerchantStatus = "approved" // the status is the active flag's business
		}
		ok := channel.MayList(f) == nil
		want[ok]++
		if mode == removeFailing && !ok || mode == followStatus && ok != l.active {
			l.active = ok
			changed = append(changed, l)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(changed) == 0 {
		return nil
	}
	// When every listing in scope gets the same outcome (a suspension, a
	// revoked merchant) one statement does it; otherwise one per listing.
	uniform := len(want) == 1
	switch {
	case mode == removeFailing && uniform:
		_, err = tx.ExecContext(ctx, `DELETE FROM listings WHERE `+scope, args...)
	case mode == followStatus && uniform:
		_, err = tx.ExecContext(ctx, `UPDATE listings SET active = $`+strconv.Itoa(len(args)+1)+` WHERE `+scope, append(args, changed[0].active)...)
	default:
		q := `DELETE FROM listings WHERE channel_id = $1 AND product_id = $2`
		if mode == followStatus {
			q = `UPDATE listings SET active = $3 WHERE channel_id = $1 AND product_id = $2`
		}
		st, perr := tx.PrepareContext(ctx, q)
		if perr != nil {
			return perr
		}
		defer st.Close()
		for _, l := range changed {
			a := []any{l.channelID, prodID(l.productID)}
			if mode == followStatus {
				a = append(a, l.active)
			}
			if _, err = st.ExecContext(ctx, a...); err != nil {
				break
			}
		}
	}
	if err != nil {
		return err
	}
	if err := emitRechecked(ctx, tx, changed, reason, at); err != nil {
		return err
	}
	byChannel := map[string][]string{}
	for _, l := range changed {
		byChannel[l.channelID] = append(byChannel[l.channelID], l.productID)
	}
	for _, c := range slices.Sorted(maps.Keys(byChannel)) {
		if err := bumpBuckets(ctx, tx, c, byChannel[c]...); err != nil {
			return err
		}
	}
	return nil
}

// emitRechecked writes the events of listings recheckListings changed: shown
// ones as upserted (from the product's stored document), removed or hidden
// ones as removed with reason.
func emitRechecked(ctx context.Context, tx *sql.Tx, changed []listingFacts, reason string, at time.Time) error {
	b := newListingBuilder(tx)
	var evs []events.Event
	for _, l := range changed {
		if l.active {
			p, err := loadDoc(ctx, tx, l.productID)
			if err != nil {
				return err
			}
			ev, err := b.upserted(ctx, p, l.channelID, at)
			if err != nil {
				return err
			}
			evs = append(evs, ev)
			continue
		}
		evs = append(evs, removedEvent(l.productID, l.channelID, l.merchantID, reason, at))
	}
	return insertEvents(ctx, tx, evs)
}

// removedEvent is the event of product productID leaving channelID.
func removedEvent(productID, channelID, merchantID, reason string, at time.Time) events.Event {
	return events.New(events.ListingRemoved, productID, merchantID, at,
		events.ListingRemoval{V: events.ListingV1, ProductID: productID, ChannelID: channelID, MerchantID: merchantID, Reason: reason})
}

// loadDoc reads product id's stored document inside tx.
func loadDoc(ctx context.Context, tx *sql.Tx, id string) (catalog.Product, error) {
	var doc []byte
	var p catalog.Product
	if err := tx.QueryRowContext(ctx, `SELECT doc FROM products WHERE id = $1`, prodID(id)).Scan(&doc); err != nil {
		return p, fmt.Errorf("product document %s: %w", id, err)
	}
	return loadProduct("sqlstore.loadDoc", doc)
}

// listingBuilder builds listing events inside one transaction from a
// product's document (catalog.ListingOf), loading the channel codes and
// category paths they carry once per transaction.
type listingBuilder struct {
	tx        rowQuerier
	codes     map[string]string
	paths     map[string][]catalog.Category
	countries map[string]string
}

func newListingBuilder(tx rowQuerier) *listingBuilder {
	return &listingBuilder{tx: tx, codes: map[string]string{}, paths: map[string][]catalog.Category{}, countries: map[string]string{}}
}

// listing returns what channelID shows of p.
func (b *listingBuilder) listing(ctx context.Context, p catalog.Product, channelID string) (events.Listing, error) {
	code, err := b.code(ctx, channelID)
	if err != nil {
		return events.Listing{}, err
	}
	path, err := b.path(ctx, p.CategoryID)
	if err != nil {
		return events.Listing{}, err
	}
	from, err := b.country(ctx, p.MerchantID)
	if err != nil {
		return events.Listing{}, err
	}
	l := catalog.ListingOf(p, channelID, code, path)
	l.ShipsFrom = from
	return l, nil
}

// country returns merchant id's country of establishment.
func (b *listingBuilder) country(ctx context.Context, id string) (string, error) {
	if c, ok := b.countries[id]; ok {
		return c, nil
	}
	var c string
	if err := b.tx.QueryRowContext(ctx, `SELECT country FROM merchants WHERE id = $1`, id).Scan(&c); err != nil {
		return "", fmt.Errorf("merchant %s: %w", id, err)
	}
	b.countries[id] = c
	return c, nil
}

// code returns channel channelID's code.
func (b *listingBuilder) code(ctx context.Context, channelID string) (string, error) {
	if code, ok := b.codes[channelID]; ok {
		return code, nil
	}
	var code string
	if err := b.tx.QueryRowContext(ctx, `SELECT code FROM channels WHERE id = $1`, channelID).Scan(&code); err != nil {
		return "", fmt.Errorf("channel %s: %w", channelID, err)
	}
	b.codes[channelID] = code
	return code, nil
}

// upserted returns the ListingUpserted event of p on channelID.
func (b *listingBuilder) upserted(ctx context.Context, p catalog.Product, channelID string, at time.Time) (events.Event, error) {
	l, err := b.listing(ctx, p, channelID)
	if err != nil {
		return events.Event{}, err
	}
	return events.New(events.ListingUpserted, p.ID, p.MerchantID, at, l), nil
}

// path returns the categories from the root down to category id.
func (b *listingBuilder) path(ctx context.Context, id string) ([]catalog.Category, error) {
	if p, ok := b.paths[id]; ok {
		return p, nil
	}
	var path []catalog.Category
	// The tree is shallow; the bound only stops a cycle an older bug might
	// have left from looping for ever.
	for next := id; next != "" && len(path) < 64; {
		var c catalog.Category
		var names string
		if err := b.tx.QueryRowContext(ctx, `SELECT id, COALESCE(parent_id, ''), slug, names FROM categories WHERE id = $1`, next).
			Scan(&c.ID, &c.ParentID, &c.Slug, &names); err != nil {
			return nil, fmt.Errorf("category %s: %w", next, err)
		}
		if err := json.Unmarshal([]byte(names), &c.Names); err != nil {
			return nil, err
		}
		path = append(path, c)
		next = c.ParentID
	}
	slices.Reverse(path)
	b.paths[id] = path
	return path, nil
}

// emitShown writes a ListingUpserted for every channel of chans (those on
// which product p, its document as just stored, is actively listed): after
// an edit, a new variant or new prices, each channel showing it learns the
// new fields.
func emitShown(ctx context.Context, tx *sql.Tx, p catalog.Product, chans []string, at time.Time) error {
	b := newListingBuilder(tx)
	evs := make([]events.Event, 0, len(chans))
	for _, c := range chans {
		ev, err := b.upserted(ctx, p, c, at)
		if err != nil {
			return err
		}
		evs = append(evs, ev)
	}
	return insertEvents(ctx, tx, evs)
}
