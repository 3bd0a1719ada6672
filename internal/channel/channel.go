// Package channel runs storefronts: each channel has its buyer markets,
// languages, currencies and admission rules, and groups merchants into
// pavilions with a curated landing page.
package channel

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/text"
)

// Admission says which merchants and brands a channel lists.
type Admission string

// The admission modes.
const (
	// Open admits every approved merchant and every brand.
	Open Admission = "open"
	// Curated admits only the merchants and brands an operator admitted: a
	// product is listed only if both its merchant and its brand are admitted.
	Curated Admission = "curated"
)

// Channel is a storefront.
type Channel struct {
	ID              string    `json:"id"`
	Code            string    `json:"code"`
	Name            string    `json:"name"`
	Description     string    `json:"description,omitempty"`
	Markets         []string  `json:"markets" doc:"Buyer countries, ISO 3166-1 alpha-2"`
	Languages       []string  `json:"languages" doc:"BCP 47 tags; the first is the default"`
	Currencies      []string  `json:"currencies"`
	DefaultLanguage string    `json:"default_language"`
	Admission       Admission `json:"admission"`
	CreatedAt       time.Time `json:"created_at"`
	// CatalogVersion grows with every listing, unlisting and revocation on
	// the channel (the row's write is their lock). Page caches do not key
	// on it: they follow the versions of product-id ranges.
	CatalogVersion int64 `json:"-"`
}

// Pavilion is a curated grouping of merchants on a channel.
type Pavilion struct {
	ID          string    `json:"id"`
	ChannelID   string    `json:"channel_id"`
	Slug        string    `json:"slug"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	MerchantIDs []string  `json:"merchant_ids"`
	CreatedAt   time.Time `json:"created_at"`
}

// Rules are a channel's admitted merchants and brands (for curated channels).
type Rules struct {
	Merchants []string `json:"merchant_ids"`
	Brands    []string `json:"brand_ids"`
}

// ListingFacts are what decides whether a product may be listed on a
// channel. The store loads them inside the listing transaction, after taking
// the listing lock, and asks MayList; no other copy of the rule exists.
type ListingFacts struct {
	ChannelCode string    // for the reason given back
	Admission   Admission // the channel's admission mode
	// MerchantStatus is the status of the product's merchant (pending,
	// approved, rejected, suspended).
	MerchantStatus string
	HasShop        bool // the merchant has a shop on the channel
	Priced         bool // some variant of the product has a price on the channel
	// MerchantAdmitted and BrandAdmitted say whether a curated channel
	// admitted the merchant and the product's brand; open channels ignore them.
	MerchantAdmitted bool
	BrandID          string // the product's brand, "" for none
	BrandAdmitted    bool
	// BrandUsable says whether the merchant may use the product's brand: it
	// owns it or an operator authorised it (catalog.MayUseBrand decides). A
	// product without a brand has a usable brand.
	BrandUsable bool
}

// MayList is the listing rule: a product may be listed on a channel when its
// merchant is approved and has a shop there, the merchant may use the
// product's brand, the product is priced there and, on a curated channel,
// the channel admitted both the merchant and the brand (a product without a
// brand is never admitted to a curated channel). Errors: Forbidden with the
// reason; Invalid when the only thing missing is a price on the channel (the
// merchant can fix its own input).
func MayList(f ListingFacts) error {
	const op = "channel.MayList"
	switch {
	case f.MerchantStatus != "approved":
		return errs.E(op, errs.Forbidden, "the merchant is "+f.MerchantStatus+"; only approved merchants list products")
	case f.Admission == Curated && !f.MerchantAdmitted:
		return errs.E(op, errs.Forbidden, "channel "+f.ChannelCode+" is curated and has not admitted this merchant")
	case f.Admission == Curated && (f.BrandID == "" || !f.BrandAdmitted):
		return errs.E(op, errs.Forbidden, "channel "+f.ChannelCode+" is curated and has not admitted this product's brand")
	case f.BrandID != "" && !f.BrandUsable:
		return errs.E(op, errs.Forbidden, "the merchant may not use this product's brand: it belongs to another merchant or needs an operator's authorisation")
	case f.Admission != Open && f.Admission != Curated:
		return errs.E(op, errs.Forbidden, "channel "+f.ChannelCode+" has an unknown admission mode")
	case !f.HasShop:
		return errs.E(op, errs.Forbidden, "open a shop on channel "+f.ChannelCode+" before listing products there")
	case !f.Priced:
		return errs.E(op, errs.Invalid, "price the product on channel "+f.ChannelCode+" before listing it there")
	}
	return nil
}

// ShopFacts are what decides whether a merchant may open a shop on a channel.
type ShopFacts struct {
	ChannelCode      string
	Admission        Admission
	MerchantStatus   string
	MerchantAdmitted bool // a curated channel admitted the merchant
}

// MayOpenShop is the shop rule: the merchant is approved and, on a curated
// channel, admitted. Errors: Forbidden with the reason.
func MayOpenShop(f ShopFacts) error {
	const op = "channel.MayOpenShop"
	switch {
	case f.MerchantStatus != "approved":
		return errs.E(op, errs.Forbidden, "the merchant is "+f.MerchantStatus+"; only approved merchants open shops")
	case f.Admission == Curated && !f.MerchantAdmitted:
		return errs.E(op, errs.Forbidden, "channel "+f.ChannelCode+" is curated and has not admitted the merchant")
	case f.Admission != Open && f.Admission != Curated:
		return errs.E(op, errs.Forbidden, "channel "+f.ChannelCode+" has an unknown admission mode")
	}
	return nil
}

// Store persists channels.
type Store interface {
	// Protection returns a channel's buyer protection; NotFound if it has
	// none of its own. PutProtection sets it, with ev.
	Protection(ctx context.Context, channelID string) (Protection, error)
	PutProtection(ctx context.Context, p Protection, at time.Time, ev events.Event) error
	// Sharing returns a channel's share commission; NotFound if it has
	// none of its own. PutSharing sets it, with ev.
	Sharing(ctx context.Context, channelID string) (Sharing, error)
	PutSharing(ctx context.Context, sh Sharing, at time.Time, ev events.Event) error
	// CreateChannel inserts ch; Conflict if the code is taken.
	CreateChannel(ctx context.Context, ch Channel, ev events.Event) error
	// Channel returns NotFound if no channel has this id or code.
	Channel(ctx context.Context, idOrCode string) (Channel, error)
	ListChannels(ctx context.Context) ([]Channel, error)
	// Admit admits merchants and brands to the channel; idempotent. Invalid if
	// one does not exist.
	Admit(ctx context.Context, channelID string, r Rules, at time.Time, ev events.Event) error
	// Revoke withdraws admissions and unlists what no longer qualifies.
	Revoke(ctx context.Context, channelID string, r Rules, ev events.Event) error
	Rules(ctx context.Context, channelID string) (Rules, error)
	// CreatePavilion inserts p with its merchants; Conflict on a taken slug.
	CreatePavilion(ctx context.Context, p Pavilion, ev events.Event) error
	// AddPavilionMerchants appends merchants to a pavilion; idempotent.
	AddPavilionMerchants(ctx context.Context, pavilionID string, merchantIDs []string, ev events.Event) error
	// Pavilion returns NotFound if there is none with this id.
	Pavilion(ctx context.Context, id string) (Pavilion, error)
	ListPavilions(ctx context.Context, channelID string) ([]Pavilion, error)
}

// Service is the channel service.
type Service struct {
	Store Store
	Now   func() time.Time
	// public holds channels read by Public, by id and by code.
	public sync.Map
}

// NewService returns a service on st with the real clock.
func NewService(st Store) *Service {
	return &Service{Store: st, Now: func() time.Time { return time.Now().UTC() }}
}

// ChannelInput describes a new channel.
type ChannelInput struct {
	Code        string    `json:"code" pattern:"^[a-z0-9-]{2,40}$"`
	Name        string    `json:"name" minLength:"1" maxLength:"200"`
	Description string    `json:"description,omitempty" maxLength:"2000"`
	Markets     []string  `json:"markets" minItems:"1"`
	Languages   []string  `json:"languages" minItems:"1" doc:"The first is the default language"`
	Currencies  []string  `json:"currencies" minItems:"1"`
	Admission   Admission `json:"admission" enum:"open,curated"`
}

var slugRE = regexp.MustCompile(`^[a-z0-9-]{2,60}$`)

// Reserved reports whether code begins one of Sesame's own addresses (the
// operator's and the merchants' consoles, the API, its documents, static
// files): a channel so named would be hidden behind them.
func Reserved(code string) bool {
	switch code {
	case "admin", "api", "docs", "healthz", "media", "merchant", "openapi", "problems", "sitemaps", "static":
		return true
	}
	return false
}

// CreateChannel creates a channel. Operators only. Errors: Forbidden,
// Invalid, Conflict.
func (s *Service) CreateChannel(ctx context.Context, actor identity.Actor, in ChannelInput) (Channel, error) {
	const op = "channel.CreateChannel"
	if !actor.IsOperator() {
		return Channel{}, errs.E(op, errs.Forbidden, "only operators create channels")
	}
	if !slugRE.MatchString(in.Code) {
		return Channel{}, errs.Field(op, "code", "must be 2 to 60 lower-case letters, digits or dashes")
	}
	if Reserved(in.Code) {
		return Channel{}, errs.Field(op, "code", "is the first segment of Sesame's own addresses; choose another")
	}
	var err error
	if in.Name, err = text.Line(op, "name", in.Name, 200, true); err != nil {
		return Channel{}, err
	}
	if in.Description, err = text.Block(op, "description", in.Description, 2000, false); err != nil {
		return Channel{}, err
	}
	if len(in.Markets) == 0 || len(in.Languages) == 0 || len(in.Currencies) == 0 {
		return Channel{}, errs.Field(op, "markets", "markets, languages and currencies each need at least one entry")
	}
	for _, m := range in.Markets {
		if !identity.ValidCountry(m) {
			return Channel{}, errs.Field(op, "markets", "must be ISO 3166-1 alpha-2 codes such as FR")
		}
	}
	langs := make([]string, len(in.Languages))
	for i, l := range in.Languages {
		tag, err := language.Parse(l)
		if err != nil {
			return Channel{}, errs.Field(op, "languages", "must be BCP 47 tags such as fr, en or zh")
		}
		langs[i] = tag.String()
	}
	for _, c := range in.Currencies {
		if err := money.CheckCurrency(op, "currencies", c); err != nil {
			return Channel{}, err
		}
	}
	if in.Admission != Open && in.Admission != Curated {
		return Channel{}, errs.Field(op, "admission", "must be open or curated")
	}
	ch := Channel{ID: ids.New(ids.Channel), Code: in.Code, Name: strings.TrimSpace(in.Name), Description: in.Description,
		Markets: slices.Clone(in.Markets), Languages: langs, Currencies: slices.Clone(in.Currencies), DefaultLanguage: langs[0],
		Admission: in.Admission, CreatedAt: s.Now()}
	if err := s.Store.CreateChannel(ctx, ch, events.New(events.ChannelCreated, ch.ID, "", ch.CreatedAt, ch)); err != nil {
		return Channel{}, errs.E(op, errs.Other, err)
	}
	return ch, nil
}

// Channel returns a channel by id or code; channels are public.
func (s *Service) Channel(ctx context.Context, idOrCode string) (Channel, error) {
	return s.Store.Channel(ctx, idOrCode)
}

// Public is Channel for buyers' reads, which ask for it on every request:
// after the first read a channel is served from memory. A channel's code,
// languages, currencies and description never change once it is created
// (no path edits them; one that does must clear this cache), so a copy is
// never stale. Errors: NotFound.
func (s *Service) Public(ctx context.Context, idOrCode string) (Channel, error) {
	if c, ok := s.public.Load(idOrCode); ok {
		return c.(Channel), nil
	}
	c, err := s.Store.Channel(ctx, idOrCode)
	if err != nil {
		return c, err
	}
	c.CatalogVersion = 0 // changes; not part of the public face
	s.public.Store(c.ID, c)
	s.public.Store(c.Code, c)
	return c, nil
}

// Channels lists every channel; channels are public.
func (s *Service) Channels(ctx context.Context) ([]Channel, error) { return s.Store.ListChannels(ctx) }

// Admit admits merchants and brands to a channel. Operators only. Errors:
// Forbidden, NotFound, Invalid.
func (s *Service) Admit(ctx context.Context, actor identity.Actor, channel string, r Rules) (Rules, error) {
	const op = "channel.Admit"
	if !actor.IsOperator() {
		return Rules{}, errs.E(op, errs.Forbidden, "only operators admit merchants and brands")
	}
	ch, err := s.Store.Channel(ctx, channel)
	if err != nil {
		return Rules{}, err
	}
	if len(r.Merchants)+len(r.Brands) == 0 {
		return Rules{}, errs.Field(op, "merchant_ids", "name at least one merchant or brand")
	}
	now := s.Now()
	if err := s.Store.Admit(ctx, ch.ID, r, now, events.New(events.ChannelRulesChanged, ch.ID, "", now, map[string]any{"admitted": r})); err != nil {
		return Rules{}, errs.E(op, errs.Other, err)
	}
	return s.Store.Rules(ctx, ch.ID)
}

// Revoke withdraws admissions; listings that no longer qualify are removed
// in the same transaction. Operators only. Errors: Forbidden, NotFound.
func (s *Service) Revoke(ctx context.Context, actor identity.Actor, channel string, r Rules) (Rules, error) {
	const op = "channel.Revoke"
	if !actor.IsOperator() {
		return Rules{}, errs.E(op, errs.Forbidden, "only operators revoke admissions")
	}
	ch, err := s.Store.Channel(ctx, channel)
	if err != nil {
		return Rules{}, err
	}
	if err := s.Store.Revoke(ctx, ch.ID, r, events.New(events.ChannelRulesChanged, ch.ID, "", s.Now(), map[string]any{"revoked": r})); err != nil {
		return Rules{}, errs.E(op, errs.Other, err)
	}
	return s.Store.Rules(ctx, ch.ID)
}

// Rules returns a channel's admissions; they are public (buyers may know
// which brands a luxury channel carries).
func (s *Service) Rules(ctx context.Context, channel string) (Rules, error) {
	ch, err := s.Store.Channel(ctx, channel)
	if err != nil {
		return Rules{}, err
	}
	return s.Store.Rules(ctx, ch.ID)
}

// PavilionInput describes a new pavilion.
type PavilionInput struct {
	Channel     string   `json:"channel" doc:"Channel id or code"`
	Slug        string   `json:"slug" pattern:"^[a-z0-9-]{2,60}$"`
	Name        string   `json:"name" minLength:"1" maxLength:"200"`
	Description string   `json:"description,omitempty" maxLength:"4000"`
	MerchantIDs []string `json:"merchant_ids,omitempty"`
}

// CreatePavilion creates a pavilion on a channel. Operators only. Errors:
// Forbidden, NotFound, Invalid, Conflict.
func (s *Service) CreatePavilion(ctx context.Context, actor identity.Actor, in PavilionInput) (Pavilion, error) {
	const op = "channel.CreatePavilion"
	if !actor.IsOperator() {
		return Pavilion{}, errs.E(op, errs.Forbidden, "only operators create pavilions")
	}
	ch, err := s.Store.Channel(ctx, in.Channel)
	if errs.Is(err, errs.NotFound) {
		return Pavilion{}, errs.Field(op, "channel", "no such channel")
	} else if err != nil {
		return Pavilion{}, err
	}
	if !slugRE.MatchString(in.Slug) {
		return Pavilion{}, errs.Field(op, "slug", "must be 2 to 60 lower-case letters, digits or dashes")
	}
	if in.Name, err = text.Line(op, "name", in.Name, 200, true); err != nil {
		return Pavilion{}, err
	}
	if in.Description, err = text.Block(op, "description", in.Description, 4000, false); err != nil {
		return Pavilion{}, err
	}
	p := Pavilion{ID: ids.New(ids.Pavilion), ChannelID: ch.ID, Slug: in.Slug, Name: strings.TrimSpace(in.Name),
		Description: in.Description, MerchantIDs: dedupe(in.MerchantIDs), CreatedAt: s.Now()}
	if err := s.Store.CreatePavilion(ctx, p, events.New(events.PavilionCreated, p.ID, "", p.CreatedAt, p)); err != nil {
		return Pavilion{}, errs.E(op, errs.Other, err)
	}
	return p, nil
}

// AddPavilionMerchants adds merchants to a pavilion. Operators only. Errors:
// Forbidden, NotFound, Invalid.
func (s *Service) AddPavilionMerchants(ctx context.Context, actor identity.Actor, pavilionID string, merchantIDs []string) (Pavilion, error) {
	const op = "channel.AddPavilionMerchants"
	if !actor.IsOperator() {
		return Pavilion{}, errs.E(op, errs.Forbidden, "only operators curate pavilions")
	}
	if len(merchantIDs) == 0 {
		return Pavilion{}, errs.Field(op, "merchant_ids", "name at least one merchant")
	}
	if _, err := s.Store.Pavilion(ctx, pavilionID); err != nil {
		return Pavilion{}, err
	}
	ev := events.New(events.PavilionChanged, pavilionID, "", s.Now(), map[string]any{"added": merchantIDs})
	if err := s.Store.AddPavilionMerchants(ctx, pavilionID, dedupe(merchantIDs), ev); err != nil {
		return Pavilion{}, errs.E(op, errs.Other, err)
	}
	return s.Store.Pavilion(ctx, pavilionID)
}

// Pavilions lists a channel's pavilions; they are public.
func (s *Service) Pavilions(ctx context.Context, channel string) ([]Pavilion, error) {
	ch, err := s.Store.Channel(ctx, channel)
	if err != nil {
		return nil, err
	}
	return s.Store.ListPavilions(ctx, ch.ID)
}

// Pavilion returns one pavilion; pavilions are public.
func (s *Service) Pavilion(ctx context.Context, id string) (Pavilion, error) {
	return s.Store.Pavilion(ctx, id)
}

func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	for _, v := range in {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Language picks the language to show on ch for a request asking for want
// (a BCP 47 tag or an Accept-Language header): the best match among the
// channel's languages, else its default.
func (ch Channel) Language(want string) string {
	if want == "" {
		return ch.DefaultLanguage
	}
	if slices.Contains(ch.Languages, want) {
		return want // one of the channel's own tags: no matching needed
	}
	tags := make([]language.Tag, len(ch.Languages))
	for i, l := range ch.Languages {
		tags[i] = language.Make(l)
	}
	m := language.NewMatcher(tags)
	prefs, _, err := language.ParseAcceptLanguage(want)
	if err != nil || len(prefs) == 0 {
		return ch.DefaultLanguage
	}
	_, idx, conf := m.Match(prefs...)
	if conf == language.No {
		return ch.DefaultLanguage
	}
	return ch.Languages[idx]
}
