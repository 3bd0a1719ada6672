// Package share runs deal sharing: a signed-in person shares a product listed
// on a channel as a short link, /s/{code}; the visits through it are counted,
// and the storefront credits the sharer on the visitor's cart and order.
package share

import (
	"context"
	"crypto/rand"
	"regexp"
	"time"

	"github.com/sesame-market/sesame/internal/catalog" // a link names a product as a channel shows it
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
)

// Link is a product shared by a person on a channel. Channel holds the
// channel's code, which never changes once the channel exists, so a link
// reads and builds its storefront address without a lookup.
type Link struct {
	Code      string    `json:"code" doc:"The short code: the link is /s/{code}"`
	SharerID  string    `json:"sharer_id"`
	Channel   string    `json:"channel" doc:"The channel's code"`
	ProductID string    `json:"product_id"`
	Visits    int64     `json:"visits" doc:"Visits through the link (link previews and the sharer's own visits are not counted)"`
	CreatedAt time.Time `json:"created_at"`
}

// Store persists links. Methods return NotFound and Conflict errors as
// documented on each; anything else is Internal.
type Store interface {
	// CreateLink inserts l and ev in one transaction, unless l's sharer
	// already shared l's product on l's channel: then it writes nothing and
	// returns that link. It reports whether it inserted l. Conflict if
	// another link has l's code (the caller tries another code).
	CreateLink(ctx context.Context, l Link, ev events.Event) (Link, bool, error)
	// Link returns the link of code; NotFound if there is none.
	Link(ctx context.Context, code string) (Link, error)
	// Visit adds one visit to the link of code, in one statement so that
	// concurrent visits all count, unless visitorID is its sharer; it
	// returns the link as it is after. NotFound if there is none.
	Visit(ctx context.Context, code, visitorID string) (Link, error)
	// LinksOf returns up to limit links of sharerID, newest first.
	LinksOf(ctx context.Context, sharerID string, limit int) ([]Link, error)
}

// Catalog is the part of the catalogue a share needs.
type Catalog interface {
	// PublicProduct returns a product as buyers of a channel see it;
	// NotFound unless it is listed there, and for an unknown channel.
	PublicProduct(ctx context.Context, id, channelRef, lang string) (catalog.View, error)
}

// Service is the sharing service.
type Service struct {
	Store   Store
	Catalog Catalog
	Now     func() time.Time
}

// NewService returns a service on st, checking products against cat, with
// the real clock.
func NewService(st Store, cat Catalog) *Service {
	return &Service{Store: st, Catalog: cat, Now: func() time.Time { return time.Now().UTC() }}
}

// MineLimit is the most links Mine returns.
const MineLimit = 200

// codeLen is the length of a code; codeAlphabet its characters (base62).
// 62^8 is about 2×10^14 codes: a collision is unlikely, and retried.
const (
	codeLen      = 8
	codeAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	codeAttempts = 4
)

// channelCode is the form of a channel's code (channel.CreateChannel's).
var channelCodeRE = regexp.MustCompile(`^[a-z0-9-]{2,60}$`)

// ValidCode reports whether c has the form of a link's code: 8 base62
// characters.
func ValidCode(c string) bool {
	if len(c) != codeLen {
		return false
	}
	for i := range len(c) {
		if !isBase62(c[i]) {
			return false
		}
	}
	return true
}

func isBase62(b byte) bool {
	return '0' <= b && b <= '9' || 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z'
}

// newCode returns a random code from crypto/rand. Bytes of 248 and more are
// drawn again, so that each character is equally likely (248 = 4 × 62).
func newCode() string {
	out := make([]byte, 0, codeLen)
	buf := make([]byte, 2*codeLen)
	for len(out) < codeLen {
		rand.Read(buf) // never fails on supported platforms
		for _, b := range buf {
			if b < 248 && len(out) < codeLen {
				out = append(out, codeAlphabet[b%62])
			}
		}
	}
	return string(out)
}

// sharer returns the person an actor shares as. Only people share: a
// session's user, whatever the role; an API key acts for a merchant or a
// partner, not for a person. Errors: Unauthenticated, Forbidden.
func sharer(op string, actor identity.Actor) (string, error) {
	switch {
	case actor.IsAnonymous():
		return "", errs.E(op, errs.Unauthenticated, "sign in to share products")
	case actor.APIKeyID != "" || actor.UserID == "":
		return "", errs.E(op, errs.Forbidden, "only signed-in people share products, not API keys")
	}
	return actor.UserID, nil
}

// Share returns actor's link to product productID on the channel of code
// channelCode, creating it (created=true) the first time; sharing the same
// product on the same channel again returns the same link. Only signed-in
// people (sessions: buyers, and other roles with a user id) may share. The
// product must be listed on that channel: a product that does not exist, is
// another channel's or is unlisted, and an unknown channel (or a channel id
// rather than its code) are all the same NotFound. The first share writes
// events.ShareLinkCreated with the link. Errors: Unauthenticated (anonymous),
// Forbidden (an API key), NotFound.
func (s *Service) Share(ctx context.Context, actor identity.Actor, channelCode, productID string) (Link, bool, error) {
	const op = "share.Share"
	who, err := sharer(op, actor)
	if err != nil {
		return Link{}, false, err
	}
	notFound := errs.E(op, errs.NotFound, "product not found on this channel")
	if !channelCodeRE.MatchString(channelCode) || !ids.Valid(ids.Product, productID) {
		return Link{}, false, notFound
	}
	v, err := s.Catalog.PublicProduct(ctx, productID, channelCode, "")
	if errs.Is(err, errs.NotFound) {
		return Link{}, false, notFound
	}
	if err != nil {
		return Link{}, false, errs.E(op, errs.Other, err)
	}
	// Both engines keep microseconds: the link returned is the link stored.
	now := s.Now().Truncate(time.Microsecond)
	for attempt := 1; ; attempt++ {
		l := Link{Code: newCode(), SharerID: who, Channel: channelCode, ProductID: productID, CreatedAt: now}
		ev := events.New(events.ShareLinkCreated, l.Code, v.Merchant.ID, now, events.ShareLink{V: events.ShareLinkV1,
			Code: l.Code, SharerID: who, ChannelCode: channelCode, ProductID: productID, MerchantID: v.Merchant.ID, CreatedAt: now})
		got, created, err := s.Store.CreateLink(ctx, l, ev)
		if errs.Is(err, errs.Conflict) && attempt < codeAttempts {
			continue // the code is taken: draw another
		}
		if err != nil {
			return Link{}, false, errs.E(op, errs.Other, err)
		}
		return got, created, nil
	}
}

// Visit resolves code and, when count is true and the visitor is not the
// sharer (visitorID is the visitor's user id, "" when anonymous), adds one
// visit, atomically: concurrent visits all count. The caller passes count
// false for what is not a person's visit (a link preview). It returns the
// link with its visits after this one. Errors: NotFound (an unknown code,
// and a malformed one, refused before the store is asked).
func (s *Service) Visit(ctx context.Context, code, visitorID string, count bool) (Link, error) {
	return s.resolve(ctx, "share.Visit", code, visitorID, count)
}

// Link returns the link of code without counting a visit. Errors: NotFound
// (as Visit).
func (s *Service) Link(ctx context.Context, code string) (Link, error) {
	return s.resolve(ctx, "share.Link", code, "", false)
}

func (s *Service) resolve(ctx context.Context, op, code, visitorID string, count bool) (Link, error) {
	if !ValidCode(code) {
		return Link{}, errs.E(op, errs.NotFound, "link not found")
	}
	var l Link
	var err error
	if count {
		l, err = s.Store.Visit(ctx, code, visitorID)
	} else {
		l, err = s.Store.Link(ctx, code)
	}
	if err != nil {
		return Link{}, errs.E(op, errs.Other, err)
	}
	return l, nil
}

// Mine lists the actor's links, newest first, at most MineLimit. Errors:
// Unauthenticated (anonymous), Forbidden (an API key).
func (s *Service) Mine(ctx context.Context, actor identity.Actor) ([]Link, error) {
	const op = "share.Mine"
	who, err := sharer(op, actor)
	if err != nil {
		return nil, err
	}
	ls, err := s.Store.LinksOf(ctx, who, MineLimit)
	if err != nil {
		return nil, errs.E(op, errs.Other, err)
	}
	return ls, nil
}
