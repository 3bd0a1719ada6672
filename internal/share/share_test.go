package share_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/share"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

const pw = "correct horse battery"

// env is a small marketplace: merchant M sells on bazaar and mall; its
// product "listed" is listed on bazaar only (and priced on mall too), its
// product "unlisted" is listed nowhere. Two buyers and a merchant's API key
// call the service.
type env struct {
	db       *sqlstore.DB
	svc      *share.Service
	clock    *testkit.Clock
	merchant string
	listed   string
	unlisted string
	mallID   string
	alice    identity.Actor
	bob      identity.Actor
	apiKey   identity.Actor
}

func newEnv(t *testing.T, db *sqlstore.DB) *env {
	t.Helper()
	ctx := context.Background()
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	sys := identity.System
	ids := identity.NewService(db.Identity())
	ids.Hasher = identity.NewHasher(2, 30*time.Second)
	merchants := merchant.NewService(db.Merchants())
	merchants.Hasher = ids.Hasher
	chans := channel.NewService(db.Channels())
	cat := catalog.NewService(db.Catalog(), chans)
	e := &env{db: db, clock: testkit.NewClock()}
	e.svc = share.NewService(db.Shares(), cat)
	e.svc.Now = e.clock.Now
	for _, c := range []channel.ChannelInput{
		{Code: "bazaar", Name: "Bazaar", Markets: []string{"FR"}, Languages: []string{"fr", "en"}, Currencies: []string{"EUR"}, Admission: channel.Open},
		{Code: "mall", Name: "Mall", Markets: []string{"CN"}, Languages: []string{"zh"}, Currencies: []string{"CNY"}, Admission: channel.Open},
	} {
		ch, err := chans.CreateChannel(ctx, sys, c)
		check(err)
		if c.Code == "mall" {
			e.mallID = ch.ID
		}
	}
	m, staff := testkit.ApprovedMerchant(t, merchants, "Maison", "FR", "m@example.com")
	e.merchant = m.ID
	for _, code := range []string{"bazaar", "mall"} {
		ch, err := chans.Channel(ctx, code)
		check(err)
		_, err = merchants.OpenShop(ctx, staff, m.ID, ch.ID, "Maison "+code)
		check(err)
	}
	c, err := cat.CreateCategory(ctx, sys, catalog.CategoryInput{Slug: "bags", Names: map[string]string{"en": "Bags"}})
	check(err)
	product := func(sku string) string {
		p, err := cat.CreateProduct(ctx, staff, catalog.ProductInput{CategoryID: c.ID, OriginCountry: "FR",
			Translations: map[string]catalog.Text{"en": {Title: "Bag " + sku}},
			Variants: []catalog.VariantInput{{SKU: sku, Prices: []catalog.PriceInput{{Channel: "bazaar", Currency: "EUR", Amount: 990},
				{Channel: "mall", Currency: "CNY", Amount: 7900}}}}})
		check(err)
		return p.ID
	}
	e.listed, e.unlisted = product("L-1"), product("U-1")
	check(cat.List(ctx, staff, e.listed, "bazaar"))
	for _, name := range []string{"alice", "bob"} {
		u, err := ids.RegisterBuyer(ctx, identity.Registration{Email: name + "@example.com", Name: name, Password: pw})
		check(err)
		a := u.Actor()
		a.SessionID = "ses_" + name
		if name == "alice" {
			e.alice = a
		} else {
			e.bob = a
		}
	}
	e.apiKey = identity.Actor{Role: identity.Staff, APIKeyID: "key_1", MerchantID: m.ID, StaffRole: identity.StaffOwner, MerchantStatus: identity.MerchantApproved}
	return e
}

// share shares product on ch as a, failing the test on an error.
func (e *env) share(t *testing.T, a identity.Actor, ch, product string) share.Link {
	t.Helper()
	l, _, err := e.svc.Share(context.Background(), a, ch, product)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func wantKind(t *testing.T, what string, err error, kind errs.Kind) {
	t.Helper()
	if got := errs.KindOf(err); got != kind {
		t.Fatalf("%s: error kind = %v, want %v (err: %v)", what, got, kind, err)
	}
}

// shareEvents returns the share.link.created events in the outbox.
func shareEvents(t *testing.T, db *sqlstore.DB) []events.Event {
	t.Helper()
	evs, err := db.PendingEvents(context.Background(), 10000)
	if err != nil {
		t.Fatal(err)
	}
	var out []events.Event
	for _, e := range evs {
		if e.Type == events.ShareLinkCreated {
			out = append(out, e)
		}
	}
	return out
}

// TestShareTwiceIsOneLink: the first share creates the link and writes its
// event; the second returns the same link and writes nothing.
func TestShareTwiceIsOneLink(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		l, created, err := e.svc.Share(ctx, e.alice, "bazaar", e.listed)
		if err != nil || !created {
			t.Fatalf("first share: %+v, created %v, %v", l, created, err)
		}
		if !share.ValidCode(l.Code) {
			t.Errorf("code %q is not a valid code", l.Code)
		}
		want := share.Link{Code: l.Code, SharerID: e.alice.UserID, Channel: "bazaar", ProductID: e.listed, CreatedAt: e.clock.Now()}
		if diff := cmp.Diff(l, want); diff != "" {
			t.Errorf("link (-got +want):\n%s", diff)
		}
		e.clock.Advance(time.Hour)
		again, created, err := e.svc.Share(ctx, e.alice, "bazaar", e.listed)
		if err != nil || created {
			t.Fatalf("second share: created %v, %v", created, err)
		}
		if diff := cmp.Diff(again, want); diff != "" {
			t.Errorf("second share (-got +want):\n%s", diff)
		}
		evs := shareEvents(t, db)
		if len(evs) != 1 {
			t.Fatalf("%d share events, want 1", len(evs))
		}
		var p events.ShareLink
		if err := json.Unmarshal(evs[0].Payload, &p); err != nil {
			t.Fatal(err)
		}
		wantP := events.ShareLink{V: events.ShareLinkV1, Code: l.Code, SharerID: e.alice.UserID, ChannelCode: "bazaar", ProductID: e.listed,
			MerchantID: e.merchant, CreatedAt: want.CreatedAt}
		if diff := cmp.Diff(p, wantP); diff != "" {
			t.Errorf("event payload (-got +want):\n%s", diff)
		}
		if evs[0].AggregateID != l.Code || evs[0].Tenant != e.merchant {
			t.Errorf("event about %q for %q, want %q for %q", evs[0].AggregateID, evs[0].Tenant, l.Code, e.merchant)
		}
		// Another person sharing the same product has a link of their own.
		b, created, err := e.svc.Share(ctx, e.bob, "bazaar", e.listed)
		if err != nil || !created || b.Code == l.Code {
			t.Fatalf("bob's share: %+v, created %v, %v", b, created, err)
		}
	})
}

// TestShareOnlyWhatIsListed: a product that is not listed on the channel,
// whatever the reason, and a channel that does not exist are the same
// NotFound, and nothing is stored.
func TestShareOnlyWhatIsListed(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		before, err := db.Fingerprint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ name, channel, product string }{
			{"unlisted product", "bazaar", e.unlisted},
			{"another channel's product", "mall", e.listed},
			{"unknown product", "bazaar", ids.New(ids.Product)},
			{"malformed product id", "bazaar", "prd_x"},
			{"a merchant id", "bazaar", e.merchant},
			{"unknown channel", "souk", e.listed},
			{"a channel id", e.mallID, e.listed},
			{"no channel", "", e.listed},
		} {
			_, _, err := e.svc.Share(ctx, e.alice, c.channel, c.product)
			wantKind(t, c.name, err, errs.NotFound)
			if msg := errs.Message(err); msg != "product not found on this channel" {
				t.Errorf("%s: message %q tells more than not found", c.name, msg)
			}
		}
		if after, _ := db.Fingerprint(ctx); after != before {
			t.Error("a refused share changed the database")
		}
	})
}

// TestSharersArePeople: anonymous callers must sign in; API keys act for a
// merchant, not a person, and may not share or list links.
func TestSharersArePeople(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		_, _, err := e.svc.Share(ctx, identity.Actor{}, "bazaar", e.listed)
		wantKind(t, "anonymous share", err, errs.Unauthenticated)
		_, _, err = e.svc.Share(ctx, e.apiKey, "bazaar", e.listed)
		wantKind(t, "API key share", err, errs.Forbidden)
		_, err = e.svc.Mine(ctx, identity.Actor{})
		wantKind(t, "anonymous mine", err, errs.Unauthenticated)
		_, err = e.svc.Mine(ctx, e.apiKey)
		wantKind(t, "API key mine", err, errs.Forbidden)
		// Staff and operators with a session are people too.
		op := identity.Actor{Role: identity.Operator, UserID: e.alice.UserID, SessionID: "ses_op"}
		if _, _, err := e.svc.Share(ctx, op, "bazaar", e.listed); err != nil {
			t.Errorf("a session with a user id: %v", err)
		}
	})
}

// TestVisitsCount: 50 concurrent visits all count; the sharer's own visits
// and uncounted ones (previews) do not.
func TestVisitsCount(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		l := e.share(t, e.alice, "bazaar", e.listed)
		var wg sync.WaitGroup
		errc := make(chan error, 50)
		for i := range 50 {
			wg.Go(func() {
				visitor := ""
				if i%2 == 0 {
					visitor = e.bob.UserID
				}
				if _, err := e.svc.Visit(ctx, l.Code, visitor, true); err != nil {
					errc <- err
				}
			})
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatal(err)
		}
		got, err := e.svc.Link(ctx, l.Code)
		if err != nil || got.Visits != 50 {
			t.Fatalf("visits = %d (%v), want 50", got.Visits, err)
		}
		own, err := e.svc.Visit(ctx, l.Code, e.alice.UserID, true)
		if err != nil || own.Visits != 50 {
			t.Errorf("after the sharer's own visit: %d (%v), want 50", own.Visits, err)
		}
		preview, err := e.svc.Visit(ctx, l.Code, "", false)
		if err != nil || preview.Visits != 50 {
			t.Errorf("after a preview: %d (%v), want 50", preview.Visits, err)
		}
		next, err := e.svc.Visit(ctx, l.Code, e.bob.UserID, true)
		if err != nil || next.Visits != 51 {
			t.Errorf("after one more visit: %d (%v), want 51", next.Visits, err)
		}
		for _, code := range []string{"zzzzzzzz", "ZZZZ0000"} {
			if code == l.Code {
				continue
			}
			_, err := e.svc.Visit(ctx, code, "", true)
			wantKind(t, "unknown code "+code, err, errs.NotFound)
		}
	})
}

// TestMineNewestFirst: a person's links, newest first, and only theirs.
func TestMineNewestFirst(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		first := e.share(t, e.alice, "bazaar", e.listed)
		e.share(t, e.bob, "bazaar", e.listed)
		// A second listed product, shared an hour later.
		e.clock.Advance(time.Hour)
		cat := e.svc.Catalog.(*catalog.Service)
		owner := identity.Actor{Role: identity.Staff, UserID: "x", MerchantID: e.merchant, StaffRole: identity.StaffOwner, MerchantStatus: identity.MerchantApproved}
		if err := cat.List(ctx, owner, e.unlisted, "mall"); err != nil {
			t.Fatal(err)
		}
		second := e.share(t, e.alice, "mall", e.unlisted)
		mine, err := e.svc.Mine(ctx, e.alice)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(mine, []share.Link{second, first}); diff != "" {
			t.Errorf("alice's links (-got +want):\n%s", diff)
		}
		theirs, err := e.svc.Mine(ctx, e.bob)
		if err != nil || len(theirs) != 1 || theirs[0].SharerID != e.bob.UserID {
			t.Errorf("bob's links: %+v, %v", theirs, err)
		}
		none, err := e.svc.Mine(ctx, identity.Actor{Role: identity.Buyer, UserID: ids.New(ids.User)})
		if err != nil || none == nil || len(none) != 0 {
			t.Errorf("a person with no links: %#v, %v", none, err)
		}
	})
}

// refusingStore fails the test at any call.
type refusingStore struct{ t *testing.T }

func (s refusingStore) CreateLink(context.Context, share.Link, events.Event) (share.Link, bool, error) {
	s.t.Error("CreateLink called")
	return share.Link{}, false, nil
}
func (s refusingStore) Link(context.Context, string) (share.Link, error) {
	s.t.Error("Link called")
	return share.Link{}, nil
}
func (s refusingStore) Visit(context.Context, string, string) (share.Link, error) {
	s.t.Error("Visit called")
	return share.Link{}, nil
}
func (s refusingStore) LinksOf(context.Context, string, int) ([]share.Link, error) {
	s.t.Error("LinksOf called")
	return nil, nil
}

// TestMalformedCodesStayOutOfTheStore: a code of the wrong form is NotFound
// before any store call.
func TestMalformedCodesStayOutOfTheStore(t *testing.T) {
	svc := share.NewService(refusingStore{t}, nil)
	for _, code := range []string{"", "abc", "abcdefghi", "abcd-fgh", "abcd_fgh", "abcdéfg", "abc defg", "../../..", "abcdefg\x00"} {
		if share.ValidCode(code) {
			t.Errorf("ValidCode(%q) = true", code)
		}
		for _, count := range []bool{true, false} {
			_, err := svc.Visit(context.Background(), code, "", count)
			wantKind(t, "visit "+code, err, errs.NotFound)
		}
		_, err := svc.Link(context.Background(), code)
		wantKind(t, "link "+code, err, errs.NotFound)
	}
}

// TestCodes: codes are 8 base62 characters and do not repeat.
func TestCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 10000 {
		c := share.NewCode()
		if !share.ValidCode(c) || seen[c] {
			t.Fatalf("code %q: valid %v, seen %v", c, share.ValidCode(c), seen[c])
		}
		seen[c] = true
	}
}

// collidingStore answers Conflict (a taken code) to the first CreateLink.
type collidingStore struct {
	share.Store
	codes []string
}

func (s *collidingStore) CreateLink(ctx context.Context, l share.Link, ev events.Event) (share.Link, bool, error) {
	s.codes = append(s.codes, l.Code)
	if len(s.codes) == 1 {
		return share.Link{}, false, errs.E("test", errs.Conflict, "a link with this code already exists")
	}
	return l, true, nil
}

type listedEverywhere struct{}

func (listedEverywhere) PublicProduct(_ context.Context, id, _, _ string) (catalog.View, error) {
	return catalog.View{ID: id}, nil
}

// TestTakenCodeIsDrawnAgain: a code another link holds makes Share try a
// new one.
func TestTakenCodeIsDrawnAgain(t *testing.T) {
	st := &collidingStore{}
	svc := share.NewService(st, listedEverywhere{})
	l, created, err := svc.Share(context.Background(), identity.Actor{Role: identity.Buyer, UserID: "usr_1"}, "bazaar", ids.New(ids.Product))
	if err != nil || !created {
		t.Fatalf("share: %v, created %v", err, created)
	}
	if len(st.codes) != 2 || st.codes[0] == st.codes[1] || l.Code != st.codes[1] {
		t.Fatalf("codes tried %v, link %q", st.codes, l.Code)
	}
}

// TestConcurrentSharesMakeOneLink: a person sharing one product many times
// at once gets one link, created once, announced once.
func TestConcurrentSharesMakeOneLink(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		var mu sync.Mutex
		codes, created := map[string]bool{}, 0
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				l, c, err := e.svc.Share(context.Background(), e.alice, "bazaar", e.listed)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Error(err)
					return
				}
				codes[l.Code] = true
				if c {
					created++
				}
			})
		}
		wg.Wait()
		if len(codes) != 1 || created != 1 || len(shareEvents(t, db)) != 1 {
			t.Fatalf("codes %v, created %d times, %d events; want one link created once", codes, created, len(shareEvents(t, db)))
		}
	})
}
