package order

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/Boostport/address"

	"github.com/sesame-market/sesame/internal/channel" // a cart is priced on its channel
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/merchant" // commissions come from the merchant's plan
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/pricing"
)

// Channels looks channels up by id or code, and their buyer protection.
type Channels interface {
	Public(ctx context.Context, idOrCode string) (channel.Channel, error)
	Protection(ctx context.Context, idOrCode string) (channel.Protection, error)
	Sharing(ctx context.Context, idOrCode string) (channel.Sharing, error)
}

// Terms returns what a merchant pays under its plan.
type Terms func(ctx context.Context, merchantID string) (merchant.Terms, error)

// Service runs carts, checkouts and orders.
type Service struct {
	Store    Store
	Channels Channels
	Stock    Stock
	Terms    Terms
	// Shares are the share links a checkout credits (nil: sharing is off,
	// and checkouts credit no one).
	Shares ShareLinks
	// Providers are the payment providers by name.
	Providers map[string]payment.Provider
	// PayoutProvider names the provider of Providers that pays merchants
	// out ("": the sandbox).
	PayoutProvider string
	// IOSSNumber is the marketplace's EU import one-stop-shop number, put
	// on the customs data of the parcels whose VAT it collected.
	IOSSNumber string
	Now        func() time.Time
	// Hold is how long a checkout awaiting the buyer's payment action keeps
	// its stock (default inventory.DefaultHold).
	Hold time.Duration

	// law caches the tax rules, exchange rates and tariffs for a second:
	// every cart priced reads them.
	lawMu sync.Mutex
	law   *law
	// termsCache holds merchants' terms by id (cachedTerms).
	termsCache sync.Map
}

type law struct {
	rules   pricing.Rules
	fx      *pricing.Table
	tariffs map[string]Tariff
	parents map[string]string // category → parent
	at      time.Time
}

// lineage returns a category and its ancestors, nearest first.
func (l *law) lineage(categoryID string) []string {
	var out []string
	for id := categoryID; id != "" && len(out) < 32; id = l.parents[id] {
		out = append(out, id)
	}
	return out
}

// tariff is the tariff of a category or of its nearest ancestor with one.
func (l *law) tariff(categoryID string) Tariff {
	for _, id := range l.lineage(categoryID) {
		if t, ok := l.tariffs[id]; ok {
			return t
		}
	}
	return Tariff{}
}

// lawTTL is how long an operator's change to a rule, a rate or a tariff
// takes to reach the carts priced on other nodes.
const lawTTL = time.Second

func (s *Service) loadLaw(ctx context.Context) (*law, error) {
	now := time.Now()
	s.lawMu.Lock()
	l := s.law
	s.lawMu.Unlock()
	if l != nil && now.Sub(l.at) < lawTTL {
		return l, nil
	}
	rules, err := s.Store.TaxRules(ctx)
	if err != nil {
		return nil, err
	}
	rates, err := s.Store.FXRates(ctx)
	if err != nil {
		return nil, err
	}
	tariffs, err := s.Store.Tariffs(ctx)
	if err != nil {
		return nil, err
	}
	parents, err := s.Store.CategoryParents(ctx)
	if err != nil {
		return nil, err
	}
	l = &law{rules: rules, fx: pricing.NewTable(rates), tariffs: tariffs, parents: parents, at: now}
	s.lawMu.Lock()
	s.law = l
	s.lawMu.Unlock()
	return l, nil
}

// forget drops the cached law after this node changed it.
func (s *Service) forget() {
	s.lawMu.Lock()
	s.law = nil
	s.lawMu.Unlock()
}

// Access is who asks for a cart: the actor, and the cart token an
// anonymous client holds.
type Access struct {
	Actor identity.Actor
	Token string
}

// CartInput opens a cart.
type CartInput struct {
	Channel  string `json:"channel" minLength:"1" maxLength:"64" doc:"The channel's code or id"`
	Currency string `json:"currency,omitempty" maxLength:"3" doc:"One of the channel's currencies; by default its first"`
	Country  string `json:"country,omitempty" maxLength:"2" doc:"Where to price for until an address is set; by default the channel's first market"`
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// newToken returns a new token of anonymous cart id: the cart's id, a dot
// and 192 random bits, so that the token alone names its cart.
func newToken(id string) string {
	b := make([]byte, 24)
	rand.Read(b)
	return id + "." + hex.EncodeToString(b)
}

// TokenCart returns the cart id a cart token names ("" if none).
func TokenCart(token string) string {
	id, _, ok := strings.Cut(token, ".")
	if !ok || !ids.Valid(ids.Cart, id) {
		return ""
	}
	return id
}

// CreateCart opens a cart on a channel: a signed-in buyer's own, or an
// anonymous one whose token (returned once) is its key until the buyer
// signs in. A signed-in buyer with an open cart on the channel gets it
// back. Errors: Invalid (unknown channel, currency or country), Forbidden
// (staff, partners and operators do not buy).
func (s *Service) CreateCart(ctx context.Context, actor identity.Actor, in CartInput) (Cart, string, error) {
	const op = "order.CreateCart"
	if actor.Role != identity.Buyer && !actor.IsAnonymous() {
		return Cart{}, "", errs.E(op, errs.Forbidden, "only buyers have carts")
	}
	ch, err := s.Channels.Public(ctx, in.Channel)
	if errs.Is(err, errs.NotFound) {
		return Cart{}, "", errs.Field(op, "channel", "no such channel")
	}
	if err != nil {
		return Cart{}, "", err
	}
	cur := strings.ToUpper(in.Currency)
	if cur == "" {
		cur = ch.Currencies[0]
	}
	if !slices.Contains(ch.Currencies, cur) {
		return Cart{}, "", errs.Field(op, "currency", fmt.Sprintf("the channel sells in %s", strings.Join(ch.Currencies, ", ")))
	}
	country := strings.ToUpper(in.Country)
	if country == "" {
		country = ch.Markets[0]
	}
	if !slices.Contains(ch.Markets, country) {
		return Cart{}, "", errs.Field(op, "country", fmt.Sprintf("the channel delivers to %s", strings.Join(ch.Markets, ", ")))
	}
	if actor.Role == identity.Buyer {
		c, err := s.Store.OpenCart(ctx, actor.UserID, ch.ID)
		if err == nil {
			return c, "", nil
		}
		if !errs.Is(err, errs.NotFound) {
			return Cart{}, "", err
		}
	}
	now := s.Now().UTC()
	c := Cart{ID: ids.New(ids.Cart), ChannelID: ch.ID, Currency: cur, Country: country, Status: CartOpen, Version: 1, CreatedAt: now, UpdatedAt: now}
	token := ""
	if actor.Role == identity.Buyer {
		c.BuyerID = actor.UserID
	} else {
		token = newToken(c.ID)
		c.TokenHash = hashToken(token)
	}
	if err := s.Store.CreateCart(ctx, c); err != nil {
		return Cart{}, "", err
	}
	return c, token, nil
}

// cart returns cart id if acc may use it: its buyer's, or an anonymous
// cart whose token acc holds. Anyone else gets NotFound, as for a cart
// that does not exist.
func (s *Service) cart(ctx context.Context, op string, acc Access, id string) (Cart, error) {
	notFound := errs.E(op, errs.NotFound, "cart not found")
	if !ids.Valid(ids.Cart, id) {
		return Cart{}, notFound
	}
	c, err := s.Store.Cart(ctx, id)
	if errs.Is(err, errs.NotFound) {
		return Cart{}, notFound
	}
	if err != nil {
		return Cart{}, err
	}
	switch {
	case c.BuyerID != "" && acc.Actor.Role == identity.Buyer && c.BuyerID == acc.Actor.UserID:
	case c.BuyerID == "" && acc.Token != "" && subtle.ConstantTimeCompare([]byte(hashToken(acc.Token)), []byte(c.TokenHash)) == 1:
		// An anonymous cart used by its token: a signed-in buyer holding it
		// claims it, so that it is theirs from now on.
		if acc.Actor.Role == identity.Buyer {
			if err := s.Store.ClaimCart(ctx, c.ID, acc.Actor.UserID, s.Now().UTC()); err != nil {
				return Cart{}, err
			}
			c.BuyerID = acc.Actor.UserID
		}
	default:
		return Cart{}, notFound
	}
	return c, nil
}

func openOnly(op string, c Cart) error {
	if c.Status != CartOpen {
		return errs.E(op, errs.Conflict, "this cart is "+strings.ReplaceAll(string(c.Status), "_", " ")+"; open a new one")
	}
	return nil
}

// openCart is cart for a change: Conflict unless the cart is open.
func (s *Service) openCart(ctx context.Context, op string, acc Access, id string) (Cart, error) {
	c, err := s.cart(ctx, op, acc, id)
	if err != nil {
		return Cart{}, err
	}
	return c, openOnly(op, c)
}

// Cart returns a cart priced now. Errors: NotFound.
func (s *Service) Cart(ctx context.Context, acc Access, id string) (Quote, error) {
	c, err := s.cart(ctx, "order.Cart", acc, id)
	if err != nil {
		return Quote{}, err
	}
	return s.Price(ctx, c, nil)
}

// LineInput adds a variant to a cart. A price sent along is ignored: the
// server's is the price.
type LineInput struct {
	// A client's other properties (a price, say) are accepted and ignored.
	_         struct{} `additionalProperties:"true"`
	VariantID string   `json:"variant_id" minLength:"1" maxLength:"64"`
	Quantity  int64    `json:"quantity" minimum:"1" maximum:"99"`
}

// AddLine adds a variant to a cart (or more of it). The variant must be
// listed on the cart's channel, priced there and in stock for the cart's
// country. Errors: NotFound (cart), Invalid (variant, quantity), Conflict
// (out of stock, cart checked out).
func (s *Service) AddLine(ctx context.Context, acc Access, cartID string, in LineInput) (Line, error) {
	const op = "order.AddLine"
	c, err := s.openCart(ctx, op, acc, cartID)
	if err != nil {
		return Line{}, err
	}
	if in.Quantity < 1 || in.Quantity > MaxQuantity {
		return Line{}, errs.Field(op, "quantity", fmt.Sprintf("must be 1 to %d", MaxQuantity))
	}
	noVariant := errs.Field(op, "variant_id", "no such variant on this channel")
	if !ids.Valid(ids.Variant, in.VariantID) {
		return Line{}, noVariant
	}
	p, err := s.Store.VariantProduct(ctx, in.VariantID)
	if errs.Is(err, errs.NotFound) {
		return Line{}, noVariant
	}
	if err != nil {
		return Line{}, err
	}
	if !slices.Contains(p.Channels, c.ChannelID) {
		return Line{}, noVariant
	}
	i := slices.IndexFunc(p.Variants, func(v catalogVariant) bool { return v.ID == in.VariantID })
	if i < 0 {
		return Line{}, noVariant
	}
	v := p.Variants[i]
	if _, ok := priceOf(v, c.ChannelID, c.Currency); !ok && !slices.ContainsFunc(v.Prices, func(pr catalogPrice) bool { return pr.ChannelID == c.ChannelID }) {
		return Line{}, errs.Field(op, "variant_id", "this variant has no price on this channel")
	}
	ch, err := s.Channels.Public(ctx, c.ChannelID)
	if err != nil {
		return Line{}, err
	}
	offers, err := s.Stock.Offers(ctx, p.MerchantID, []string{v.SKU}, ch.Markets, destOf(c))
	if err != nil {
		return Line{}, err
	}
	if offers[v.SKU].Availability == "out_of_stock" {
		return Line{}, errs.E(op, errs.Conflict, "this item is out of stock for delivery to "+c.Country)
	}
	now := s.Now().UTC()
	l := Line{ID: ids.New(ids.CartLine), VariantID: v.ID, ProductID: p.ID, MerchantID: p.MerchantID, SKU: v.SKU, Quantity: in.Quantity, AddedAt: now}
	return s.Store.AddLine(ctx, c.ID, l, MaxQuantity, now)
}

// SetQuantity changes a line's quantity; 0 removes it. Errors: NotFound,
// Invalid, Conflict.
func (s *Service) SetQuantity(ctx context.Context, acc Access, cartID, lineID string, q int64) error {
	const op = "order.SetQuantity"
	c, err := s.openCart(ctx, op, acc, cartID)
	if err != nil {
		return err
	}
	if q < 0 || q > MaxQuantity {
		return errs.Field(op, "quantity", fmt.Sprintf("must be 0 to %d", MaxQuantity))
	}
	if !ids.Valid(ids.CartLine, lineID) || !slices.ContainsFunc(c.Lines, func(l Line) bool { return l.ID == lineID }) {
		return errs.E(op, errs.NotFound, "no such line in this cart")
	}
	return s.Store.SetQuantity(ctx, c.ID, lineID, q, s.Now().UTC())
}

// SetAddress sets where a cart ships to, checked by the destination
// country's address format (required fields, postcode pattern). The
// country must be one the channel delivers to. Errors: NotFound, Invalid,
// Conflict.
func (s *Service) SetAddress(ctx context.Context, acc Access, cartID string, a Address) (Address, error) {
	const op = "order.SetAddress"
	c, err := s.openCart(ctx, op, acc, cartID)
	if err != nil {
		return Address{}, err
	}
	ch, err := s.Channels.Public(ctx, c.ChannelID)
	if err != nil {
		return Address{}, err
	}
	a, err = CheckAddress(a)
	if err != nil {
		return Address{}, err
	}
	if !slices.Contains(ch.Markets, a.Country) {
		return Address{}, errs.Field(op, "country", fmt.Sprintf("this channel delivers to %s", strings.Join(ch.Markets, ", ")))
	}
	if err := s.Store.SetAddress(ctx, c.ID, a, s.Now().UTC()); err != nil {
		return Address{}, err
	}
	return a, nil
}

// SetCurrency prices an open cart in another of its channel's currencies
// from now on (a coupon of a fixed amount in the old one then says it no
// longer applies). Errors: NotFound, Invalid (a currency the channel does
// not sell in), Conflict (not open).
func (s *Service) SetCurrency(ctx context.Context, acc Access, cartID, currency string) error {
	const op = "order.SetCurrency"
	c, err := s.openCart(ctx, op, acc, cartID)
	if err != nil {
		return err
	}
	ch, err := s.Channels.Public(ctx, c.ChannelID)
	if err != nil {
		return err
	}
	cur := strings.ToUpper(strings.TrimSpace(currency))
	if !slices.Contains(ch.Currencies, cur) {
		return errs.Field(op, "currency", fmt.Sprintf("the channel sells in %s", strings.Join(ch.Currencies, ", ")))
	}
	if cur == c.Currency {
		return nil
	}
	return s.Store.SetCartCurrency(ctx, c.ID, cur, s.Now().UTC())
}

// CheckAddress normalises an address and checks it against its country's
// format: the fields the country requires and its postcode pattern.
// Errors: Invalid, naming the field.
func CheckAddress(a Address) (Address, error) {
	const op = "order.CheckAddress"
	trim := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	a.Name, a.Line1, a.Line2, a.City, a.Region, a.Phone = trim(a.Name), trim(a.Line1), trim(a.Line2), trim(a.City), trim(a.Region), trim(a.Phone)
	a.Country = strings.ToUpper(strings.TrimSpace(a.Country))
	a.Postcode = strings.ToUpper(trim(a.Postcode))
	if a.Name == "" {
		return Address{}, errs.Field(op, "name", "a parcel needs a recipient's name")
	}
	a.Region, a.City = areaKeys(a.Country, a.Region, a.City)
	lines := []string{a.Line1}
	if a.Line2 != "" {
		lines = append(lines, a.Line2)
	}
	_, err := address.NewValid(address.WithCountry(a.Country), address.WithName(a.Name), address.WithStreetAddress(lines),
		address.WithLocality(a.City), address.WithAdministrativeArea(a.Region), address.WithPostCode(a.Postcode))
	if err == nil {
		return a, nil
	}
	switch {
	case errors.Is(err, address.ErrInvalidCountryCode):
		return Address{}, errs.Field(op, "country", "not a country code (ISO 3166-1 alpha-2)")
	}
	var fieldErr address.ErrMissingRequiredFields
	if errors.As(err, &fieldErr) {
		names := make([]string, 0, len(fieldErr.Fields))
		for _, f := range fieldErr.Fields {
			names = append(names, apiField(f))
		}
		slices.Sort(names)
		return Address{}, errs.Field(op, names[0], "required in "+a.Country+": "+strings.Join(names, ", "))
	}
	var unsupported address.ErrUnsupportedFields
	if errors.As(err, &unsupported) {
		return Address{}, errs.Field(op, apiField(unsupported.Fields[0]), "not used in addresses of "+a.Country)
	}
	if errors.Is(err, address.ErrInvalidPostCode) {
		return Address{}, errs.Field(op, "postcode", "not a postcode of "+a.Country)
	}
	if errors.Is(err, address.ErrInvalidAdministrativeArea) {
		return Address{}, errs.Field(op, "region", "not a region of "+a.Country)
	}
	return Address{}, errs.E(op, errs.Invalid, "address: "+err.Error())
}

// areaKeys maps a region and a city written as their names (in any of the
// country's languages) to the keys the country's address data uses (for
// China, "上海市" or "Shanghai Shi" is 31, and its districts are its
// localities); anything else is returned as it is, for the check to judge.
func areaKeys(country, region, city string) (string, string) {
	if region == "" {
		return region, city
	}
	data := address.GetCountry(country)
	for _, areas := range data.AdministrativeAreas {
		for _, ar := range areas {
			if !strings.EqualFold(ar.ID, region) && !strings.EqualFold(ar.Name, region) {
				continue
			}
			region = ar.ID
			for _, l := range ar.Localities {
				if strings.EqualFold(l.ID, city) || strings.EqualFold(l.Name, city) {
					city = l.ID
				}
			}
			return region, city
		}
	}
	return region, city
}

func apiField(f address.Field) string {
	switch f {
	case address.StreetAddress:
		return "line1"
	case address.Locality:
		return "city"
	case address.AdministrativeArea:
		return "region"
	case address.PostCode:
		return "postcode"
	case address.Name:
		return "name"
	}
	return strings.ToLower(f.String())
}

// MergeAtSignIn puts the lines of the anonymous cart token opens into the
// buyer's open cart on the same channel (or gives the cart to the buyer
// when they have none there) and returns the buyer's cart id. A token that
// opens no open cart is ignored (""): signing in never fails for it.
func (s *Service) MergeAtSignIn(ctx context.Context, buyer identity.Actor, token string) (string, error) {
	cartID := TokenCart(token)
	if buyer.Role != identity.Buyer || cartID == "" {
		return "", nil
	}
	c, err := s.Store.Cart(ctx, cartID)
	if err != nil || c.BuyerID != "" || c.Status != CartOpen ||
		subtle.ConstantTimeCompare([]byte(hashToken(token)), []byte(c.TokenHash)) != 1 {
		return "", nil
	}
	now := s.Now().UTC()
	mine, err := s.Store.OpenCart(ctx, buyer.UserID, c.ChannelID)
	if errs.Is(err, errs.NotFound) {
		return c.ID, s.Store.ClaimCart(ctx, c.ID, buyer.UserID, now)
	}
	if err != nil {
		return "", err
	}
	return mine.ID, s.Store.MergeCart(ctx, c.ID, mine.ID, MaxQuantity, now)
}

// NewService returns the order service over st, with the sandbox provider.
func NewService(st Store, chans Channels, stock Stock, terms Terms) *Service {
	return &Service{Store: st, Channels: chans, Stock: stock, Terms: terms, Now: time.Now,
		Providers: map[string]payment.Provider{"sandbox": payment.Sandbox{}}}
}

// Current returns, priced, the open cart acc has on channelID: the signed-in
// buyer's, or the anonymous one acc's token opens. Errors: NotFound (none).
func (s *Service) Current(ctx context.Context, acc Access, channelID string) (Quote, error) {
	const op = "order.Current"
	var c Cart
	var err error
	switch {
	case acc.Actor.Role == identity.Buyer:
		c, err = s.Store.OpenCart(ctx, acc.Actor.UserID, channelID)
	case acc.Actor.IsAnonymous() && TokenCart(acc.Token) != "":
		c, err = s.cart(ctx, op, acc, TokenCart(acc.Token))
		if err == nil && (c.Status != CartOpen || c.ChannelID != channelID) {
			err = errs.E(op, errs.NotFound, "no open cart")
		}
	default:
		err = errs.E(op, errs.NotFound, "no open cart")
	}
	if err != nil {
		return Quote{}, err
	}
	return s.Price(ctx, c, nil)
}
