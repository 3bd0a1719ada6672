package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/share"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/web"
	"github.com/sesame-market/sesame/internal/web/api"
	"github.com/sesame-market/sesame/internal/web/webtest"
)

const pw = "correct horse battery"

// fixture is a small marketplace behind a real server on a real database.
type fixture struct {
	t       *testing.T
	db      *sqlstore.DB
	srv     *httptest.Server
	web     *web.Server
	svc     api.Services
	cookies map[string]string // actor name -> session cookie
	keys    map[string]string // actor name -> raw API key
	ids     map[string]string // object name -> id
	clock   *testkit.Clock    // the identity service's
	header  http.Header       // extra request headers (withHeader)
}

// withHeader runs fn with a header added to every request f sends.
func (f *fixture) withHeader(name, value string, fn func() []byte) []byte {
	f.header = http.Header{name: {value}}
	defer func() { f.header = nil }()
	return fn()
}

func newFixture(t *testing.T, db *sqlstore.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	chans := channel.NewService(db.Channels())
	svc := api.Services{Identity: identity.NewService(db.Identity()), Merchants: merchant.NewService(db.Merchants()), Channels: chans,
		Catalog: catalog.NewService(db.Catalog(), chans), Inventory: inventory.NewService(db.Inventory()), Stock: inventory.NewStock(db.Stock())}
	svc.Shares = share.NewService(db.Shares(), svc.Catalog)
	svc.Orders = order.NewService(db.Orders(), chans, svc.Stock, func(ctx context.Context, id string) (merchant.Terms, error) {
		return svc.Merchants.Terms(ctx, identity.System, id)
	})
	svc.Orders.Providers["sandbox"] = payment.Sandbox{Books: db.SandboxBooks()}
	svc.Orders.Shares = svc.Shares
	// A stopped clock for sessions and keys: a refused request must change
	// nothing, and a session used a minute after the last write is written.
	clock := testkit.NewClock()
	svc.Identity.Now = clock.Now
	ws, err := web.New(web.Config{Services: svc, Logger: slog.New(slog.DiscardHandler), Ping: db.Ping, Idempotency: db.Idempotency()})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: db, web: ws, svc: svc, srv: httptest.NewServer(ws), cookies: map[string]string{}, keys: map[string]string{}, ids: map[string]string{}, clock: clock}
	t.Cleanup(f.srv.Close)
	sys := identity.System
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = svc.Identity.CreateOperator(ctx, sys, identity.Registration{Email: "op@example.com", Name: "Op", Password: pw})
	check(err)
	_, err = svc.Identity.RegisterBuyer(ctx, identity.Registration{Email: "buyer@example.com", Name: "Buyer", Password: pw})
	check(err)
	// The tokens of the mailed links, as the mail consumer mints them, for
	// an account of their own (a reset ends its sessions).
	resetter, err := svc.Identity.RegisterBuyer(ctx, identity.Registration{Email: "resetter@example.com", Name: "R", Password: pw})
	check(err)
	for name, purpose := range map[string]identity.Purpose{"verifyToken": identity.VerifyEmail, "resetToken": identity.ResetPassword} {
		raw, _, err := svc.Identity.MintToken(ctx, resetter.ID, purpose)
		check(err)
		f.ids[name] = raw
	}
	p, _, err := svc.Identity.CreatePartner(ctx, sys, identity.PartnerInput{Name: "IDF Logistique", Country: "FR", Login: identity.Registration{Email: "partner@example.com", Name: "P", Password: pw}})
	check(err)
	f.ids["partner"] = p.ID
	for _, c := range []channel.ChannelInput{
		{Code: "bazaar", Name: "Bazaar", Markets: []string{"FR"}, Languages: []string{"fr", "en"}, Currencies: []string{"EUR", "GBP"}, Admission: channel.Open},
		{Code: "mall", Name: "Mall", Markets: []string{"CN"}, Languages: []string{"zh"}, Currencies: []string{"CNY"}, Admission: channel.Open},
		{Code: "outlet", Name: "Outlet", Markets: []string{"DE"}, Languages: []string{"en"}, Currencies: []string{"EUR"}, Admission: channel.Open},
		{Code: "luxe", Name: "Luxe", Markets: []string{"CN"}, Languages: []string{"zh"}, Currencies: []string{"CNY"}, Admission: channel.Curated},
	} {
		ch, err := chans.CreateChannel(ctx, sys, c)
		check(err)
		f.ids[c.Code] = ch.ID
	}
	cat, err := svc.Catalog.CreateCategory(ctx, sys, catalog.CategoryInput{Slug: "cases", Names: map[string]string{"en": "Cases"}})
	check(err)
	f.ids["category"] = cat.ID
	apply := func(name, email string, approve bool) string {
		m, _, err := svc.Merchants.Apply(ctx, identity.Actor{}, merchant.Application{Name: name, Country: "CN",
			Trader: merchant.Trader{LegalName: name, RegistrationNumber: "1", Address: "Shenzhen", Email: email, Phone: "+86 1", SelfCertified: true},
			Owner:  identity.Registration{Email: email, Name: name, Password: pw}})
		check(err)
		if approve {
			_, err = svc.Merchants.Approve(ctx, sys, m.ID)
			check(err)
		}
		return m.ID
	}
	f.ids["A"] = apply("Merchant A", "a@example.com", true)
	f.ids["B"] = apply("Merchant B", "b@example.com", true)
	f.ids["C1"] = apply("Pending One", "c1@example.com", false)
	f.ids["C2"] = apply("Pending Two", "c2@example.com", false)
	f.ids["D"] = apply("Merchant D", "d@example.com", true)
	// Merchants that may not sell, with their owners signed in after the
	// review (rejection and suspension end the sessions they had).
	f.ids["P"] = apply("Pending Owner", "p@example.com", false)
	f.ids["R"] = apply("Rejected Owner", "r@example.com", false)
	_, err = svc.Merchants.Reject(ctx, sys, f.ids["R"], "registration number unknown")
	check(err)
	f.ids["S"] = apply("Suspended Owner", "s@example.com", true)
	for name, email := range map[string]string{"operator": "op@example.com", "buyer": "buyer@example.com", "partner": "partner@example.com",
		"ownerA": "a@example.com", "ownerB": "b@example.com", "pendingC1": "c1@example.com", "ownerP": "p@example.com", "ownerR": "r@example.com", "ownerS": "s@example.com"} {
		token, _, err := svc.Identity.Login(ctx, email, pw)
		check(err)
		f.cookies[name] = token
	}
	// A second session of the buyer's, for the sign-out route.
	token, _, err := svc.Identity.Login(ctx, "buyer@example.com", pw)
	check(err)
	f.cookies["leaver"] = token
	// A third, ended by id; and another buyer who signs out everywhere.
	_, _, spare, err := svc.Identity.SignIn(ctx, identity.Credentials{Email: "buyer@example.com", Password: pw})
	check(err)
	f.ids["spareSession"] = spare.ID
	_, err = svc.Identity.RegisterBuyer(ctx, identity.Registration{Email: "buyer2@example.com", Name: "Buyer 2", Password: pw})
	check(err)
	token, _, err = svc.Identity.Login(ctx, "buyer2@example.com", pw)
	check(err)
	f.cookies["everywhere"] = token
	ownerA, err := svc.Identity.Authenticate(ctx, f.cookies["ownerA"])
	check(err)
	for _, ch := range []string{"bazaar", "mall"} {
		_, err = svc.Merchants.OpenShop(ctx, ownerA, f.ids["A"], f.ids[ch], "A")
		check(err)
	}
	b, err := svc.Catalog.CreateBrand(ctx, ownerA, catalog.BrandInput{Slug: "brand-a", Name: "Brand A"})
	check(err)
	f.ids["brandA"] = b.ID
	// A marketplace brand, which merchant B is authorised to use.
	mb, err := svc.Catalog.CreateBrand(ctx, sys, catalog.BrandInput{Slug: "market-brand", Name: "Market Brand"})
	check(err)
	f.ids["marketBrand"] = mb.ID
	_, err = svc.Catalog.AuthoriseBrand(ctx, sys, mb.ID, f.ids["B"])
	check(err)
	_, keyA, err := svc.Identity.CreateAPIKey(ctx, ownerA, f.ids["A"], "", identity.APIKeyInput{Name: "erp"})
	check(err)
	f.ids["keyA"] = keyA.ID
	// A live key of merchant B, used once so that its next uses (within a
	// minute of the stopped clock) write nothing.
	ownerB, err := svc.Identity.Authenticate(ctx, f.cookies["ownerB"])
	check(err)
	rawB, _, err := svc.Identity.CreateAPIKey(ctx, ownerB, f.ids["B"], "", identity.APIKeyInput{Name: "pim"})
	check(err)
	_, err = svc.Identity.AuthenticateKey(ctx, rawB)
	check(err)
	f.keys["keyB"] = rawB
	partner, err := svc.Identity.Authenticate(ctx, f.cookies["partner"])
	check(err)
	_, keyP, err := svc.Identity.CreateAPIKey(ctx, partner, "", f.ids["partner"], identity.APIKeyInput{Name: "wms"})
	check(err)
	f.ids["keyP"] = keyP.ID
	// A key of merchant A that its owner revoked: refused like no key at all.
	rawRevoked, revoked, err := svc.Identity.CreateAPIKey(ctx, ownerA, f.ids["A"], "", identity.APIKeyInput{Name: "old erp"})
	check(err)
	check(svc.Identity.RevokeAPIKey(ctx, ownerA, f.ids["A"], "", revoked.ID))
	f.keys["revokedKey"] = rawRevoked
	prod, err := svc.Catalog.CreateProduct(ctx, ownerA, catalog.ProductInput{BrandID: b.ID, CategoryID: cat.ID, OriginCountry: "CN",
		Translations: map[string]catalog.Text{"en": {Title: "Case"}},
		Variants: []catalog.VariantInput{{SKU: "A-1", Prices: []catalog.PriceInput{{Channel: "bazaar", Currency: "EUR", Amount: 999},
			{Channel: "mall", Currency: "CNY", Amount: 7900}}}}})
	check(err)
	f.ids["productA"] = prod.ID
	check(svc.Catalog.List(ctx, ownerA, prod.ID, "bazaar"))
	// listed creates owner's product with one SKU, priced on and listed on
	// the price's channel.
	listed := func(owner identity.Actor, sku, title string, price catalog.PriceInput) string {
		p, err := svc.Catalog.CreateProduct(ctx, owner, catalog.ProductInput{CategoryID: cat.ID, OriginCountry: "CN",
			Translations: map[string]catalog.Text{"en": {Title: title}},
			Variants:     []catalog.VariantInput{{SKU: sku, Prices: []catalog.PriceInput{price}}}})
		check(err)
		check(svc.Catalog.List(ctx, owner, p.ID, price.Channel))
		return p.ID
	}
	// A product listed on mall that no route of the access table unlists.
	f.ids["productShared"] = listed(ownerA, "A-S", "Shared case", catalog.PriceInput{Channel: "mall", Currency: "CNY", Amount: 9900})
	// S sells on bazaar, then is suspended.
	ownerS, err := svc.Identity.Authenticate(ctx, f.cookies["ownerS"])
	check(err)
	_, err = svc.Merchants.OpenShop(ctx, ownerS, f.ids["S"], f.ids["bazaar"], "S")
	check(err)
	f.ids["productS"] = listed(ownerS, "S-1", "Suspended case", catalog.PriceInput{Channel: "bazaar", Currency: "EUR", Amount: 500})
	whS, _, err := svc.Inventory.Create(ctx, ownerS, inventory.WarehouseInput{Code: "s-1", Name: "S", Country: "CN", City: "Yiwu"})
	check(err)
	f.ids["whS"] = whS.ID
	_, err = svc.Merchants.Suspend(ctx, sys, f.ids["S"], "counterfeit reports")
	check(err)
	token, _, err = svc.Identity.Login(ctx, "s@example.com", pw)
	check(err)
	f.cookies["ownerS"] = token
	// A's warehouses: two name the partner (requests it has yet to decide),
	// one has no operator.
	for _, name := range []string{"linkAccept", "linkDecline", "whA"} {
		in := inventory.WarehouseInput{Code: strings.ToLower(name), Name: name, Country: "CN", City: "Shenzhen", Region: "CN-GD", OperatorPartnerID: p.ID}
		if name == "whA" {
			in.OperatorPartnerID = ""
		}
		w, l, err := svc.Inventory.Create(ctx, ownerA, in)
		check(err)
		f.ids[name] = w.ID
		if l != nil {
			f.ids[name] = l.ID
		}
	}
	// A consignment on its way to whA, which A receives itself (no partner runs it).
	cons, err := svc.Stock.Announce(ctx, ownerA, f.ids["whA"], inventory.ConsignmentInput{Reference: "CONT-1",
		Lines: []inventory.ConsignmentItem{{SKU: "A-1", Quantity: 30}}})
	check(err)
	f.ids["consignment"] = cons.ID
	pav, err := chans.CreatePavilion(ctx, sys, channel.PavilionInput{Channel: "bazaar", Slug: "provence", Name: "Provence"})
	check(err)
	f.ids["pavilion"] = pav.ID
	pl, err := svc.Merchants.CreatePlan(ctx, sys, merchant.PlanInput{Code: "std", Name: "Std", Currency: "EUR", CommissionBps: 800})
	check(err)
	f.ids["plan"] = pl.ID
	return f
}

// buyingFixture gives A stock of A-1 in whA and makes carts and orders:
// the buyer's cart with a line; shopper's cart ready to check out; payer's
// paid order and a payment awaiting payer's action.
func (f *fixture) buyingFixture() {
	ctx := context.Background()
	t, svc := f.t, f.svc
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ownerA, err := svc.Identity.Authenticate(ctx, f.cookies["ownerA"])
	check(err)
	// A product of A's that no route of the access table unlists.
	prod, err := svc.Catalog.CreateProduct(ctx, ownerA, catalog.ProductInput{CategoryID: f.ids["category"], OriginCountry: "CN",
		Translations: map[string]catalog.Text{"en": {Title: "Cart case"}},
		Variants:     []catalog.VariantInput{{SKU: "A-C", Prices: []catalog.PriceInput{{Channel: "bazaar", Currency: "EUR", Amount: 1500}}}}})
	check(err)
	check(svc.Catalog.List(ctx, ownerA, prod.ID, "bazaar"))
	_, err = svc.Stock.SetStock(ctx, ownerA, f.ids["whA"], inventory.StockInput{SKU: "A-C", OnHand: 30})
	check(err)
	f.ids["variantA"] = prod.Variants[0].ID
	paris := order.Address{Name: "C. Martin", Line1: "12 rue de la Roquette", Postcode: "75011", City: "Paris", Country: "FR"}
	cart := func(email string, addr bool) (identity.Actor, order.Cart, order.Line) {
		var a identity.Actor
		if name := strings.TrimSuffix(email, "@example.com"); f.cookies[name] != "" {
			var err error
			a, err = svc.Identity.Authenticate(ctx, f.cookies[name])
			check(err)
		} else {
			u, err := svc.Identity.RegisterBuyer(ctx, identity.Registration{Email: email, Name: email, Password: pw})
			check(err)
			a = u.Actor()
			token, _, err := svc.Identity.Login(ctx, email, pw)
			check(err)
			f.cookies[name] = token
		}
		c, _, err := svc.Orders.CreateCart(ctx, a, order.CartInput{Channel: "bazaar"})
		check(err)
		l, err := svc.Orders.AddLine(ctx, order.Access{Actor: a}, c.ID, order.LineInput{VariantID: prod.Variants[0].ID, Quantity: 1})
		check(err)
		if addr {
			_, err = svc.Orders.SetAddress(ctx, order.Access{Actor: a}, c.ID, paris)
			check(err)
		}
		return a, c, l
	}
	_, c, l := cart("buyer@example.com", false)
	f.ids["cart"], f.ids["cartLine"] = c.ID, l.ID
	// A's coupon (applied by the route) and the marketplace's, on the cart.
	_, err = svc.Orders.CreateCoupon(ctx, ownerA, order.CouponInput{Code: "ACASE", Kind: order.Fixed, Amount: 100, Currency: "EUR"})
	check(err)
	_, err = svc.Orders.CreateCoupon(ctx, identity.System, order.CouponInput{Code: "HALF", Kind: order.Percent, PercentBps: 5000})
	check(err)
	buyer, err := svc.Identity.Authenticate(ctx, f.cookies["buyer"])
	check(err)
	_, err = svc.Orders.ApplyCoupon(ctx, order.Access{Actor: buyer}, c.ID, "HALF")
	check(err)
	_, c, _ = cart("shopper@example.com", true)
	f.ids["shopperCart"] = c.ID
	payer, c, _ := cart("payer@example.com", true)
	co, _, err := svc.Orders.Checkout(ctx, order.Access{Actor: payer}, c.ID, order.CheckoutInput{Payment: order.PaymentInput{Provider: "sandbox", Token: payment.TokenSuccess}})
	check(err)
	f.ids["order"] = co.Orders[0].ID
	// Paid orders of the payer's for the routes after payment: one to
	// ship, and two shipped, one to confirm and one to deliver and extend.
	for _, name := range []string{"orderToShip", "shippedOrder", "shippedOrder2"} {
		_, c, _ = cart("payer@example.com", true)
		co, _, err = svc.Orders.Checkout(ctx, order.Access{Actor: payer}, c.ID, order.CheckoutInput{Payment: order.PaymentInput{Provider: "sandbox", Token: payment.TokenSuccess}})
		check(err)
		f.ids[name], f.ids[name+"Line"] = co.Orders[0].ID, co.Orders[0].Lines[0].ID
		if name != "orderToShip" {
			_, err = svc.Orders.Ship(ctx, ownerA, co.Orders[0].ID, order.ShipInput{Carrier: "Colissimo", TrackingNumber: "6A0000000001"})
			check(err)
		}
	}
	// Confirmed orders of the payer's: one to review, one reviewed already
	// (its review to moderate).
	for _, name := range []string{"confirmedOrder", "reviewedOrder"} {
		_, c, _ = cart("payer@example.com", true)
		co, _, err = svc.Orders.Checkout(ctx, order.Access{Actor: payer}, c.ID, order.CheckoutInput{Payment: order.PaymentInput{Provider: "sandbox", Token: payment.TokenSuccess}})
		check(err)
		o := co.Orders[0]
		f.ids[name], f.ids[name+"Line"] = o.ID, o.Lines[0].ID
		_, err = svc.Orders.Ship(ctx, ownerA, o.ID, order.ShipInput{Carrier: "Colissimo", TrackingNumber: "6A0000000003"})
		check(err)
		_, err = svc.Orders.ConfirmDelivery(ctx, payer, o.ID)
		check(err)
	}
	r, err := svc.Orders.WriteReview(ctx, payer, f.ids["reviewedOrder"], order.ReviewInput{LineID: f.ids["reviewedOrderLine"], Stars: 2, Text: "Scratched."})
	check(err)
	f.ids["review"] = r.ID
	// Shipped orders of the payer's, disputed or to dispute: one per
	// dispute route, each dispute where its route needs it.
	for _, name := range []string{"disputableOrder", "disputeOpen", "disputeToAnswer", "disputeOffered", "disputeContested", "disputeEscalated"} {
		_, c, _ = cart("payer@example.com", true)
		co, _, err = svc.Orders.Checkout(ctx, order.Access{Actor: payer}, c.ID, order.CheckoutInput{Payment: order.PaymentInput{Provider: "sandbox", Token: payment.TokenSuccess}})
		check(err)
		o := co.Orders[0]
		_, err = svc.Orders.Ship(ctx, ownerA, o.ID, order.ShipInput{Carrier: "Colissimo", TrackingNumber: "6A0000000004"})
		check(err)
		f.ids[name] = o.ID
		if name == "disputableOrder" {
			continue
		}
		d, err := svc.Orders.OpenDispute(ctx, payer, o.ID, order.DisputeInput{Reason: order.ReasonNotReceived, Message: "Nothing came."})
		check(err)
		f.ids[name] = d.ID
		switch name {
		case "disputeOffered":
			_, err = svc.Orders.Answer(ctx, ownerA, d.ID, order.AnswerInput{Action: "offer", Amount: 1, Message: "A token of apology."})
		case "disputeContested", "disputeEscalated":
			_, err = svc.Orders.Answer(ctx, ownerA, d.ID, order.AnswerInput{Action: "contest", Message: "It was delivered."})
			if err == nil && name == "disputeEscalated" {
				_, err = svc.Orders.Escalate(ctx, payer, d.ID)
			}
		}
		check(err)
	}
	_, c, _ = cart("payer@example.com", true)
	co, _, err = svc.Orders.Checkout(ctx, order.Access{Actor: payer}, c.ID, order.CheckoutInput{Payment: order.PaymentInput{Provider: "sandbox", Token: payment.TokenRequiresAction}})
	check(err)
	f.ids["payment"] = co.Payment.ID
}

// do sends a request as actor ("" for anonymous) and returns status and body.
func (f *fixture) do(actor, method, path string, body any) (int, []byte) {
	f.t.Helper()
	status, _, out := f.sendWith(actor, method, path, body, nil)
	return status, out
}

// sendWith sends a request as actor with headers (besides the fixture's
// extra ones) and returns status, headers and body. A body that is not a
// string or bytes is sent as JSON with its {placeholders} expanded. Every
// response must be one the document declares.
func (f *fixture) sendWith(actor, method, path string, body any, headers map[string]string) (int, http.Header, []byte) {
	f.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		raw, _ = json.Marshal(b)
		raw = []byte(f.expand(string(raw)))
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, f.srv.URL+f.expand(path), rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range f.header {
		req.Header[k] = vs
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if c := f.cookies[actor]; c != "" {
		req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: c})
	}
	if k := f.keys[actor]; k != "" {
		req.Header.Set("Authorization", "Bearer "+k)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if err := f.contract().Check(req, raw, res, out); err != nil {
		f.t.Error(err)
	}
	return res.StatusCode, res.Header, out
}

// login signs email in and keeps the session as actor's.
func (f *fixture) login(actor, email string) {
	f.t.Helper()
	token, _, err := f.svc.Identity.Login(context.Background(), email, pw)
	if err != nil {
		f.t.Fatal(err)
	}
	f.cookies[actor] = token
}

var (
	contractOnce sync.Once
	contractV    *webtest.Contract
	contractErr  error
)

// contract returns the validator of the API's own OpenAPI document (the
// same for every fixture), built once per test binary.
func (f *fixture) contract() *webtest.Contract {
	f.t.Helper()
	contractOnce.Do(func() {
		var doc []byte
		if doc, contractErr = json.Marshal(f.web.API().OpenAPI()); contractErr == nil {
			contractV, contractErr = webtest.NewContract(doc)
		}
	})
	if contractErr != nil {
		f.t.Fatal(contractErr)
	}
	return contractV
}

// expand replaces {name} placeholders with fixture ids.
func (f *fixture) expand(s string) string {
	for k, v := range f.ids {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

func (f *fixture) fingerprint() string {
	f.t.Helper()
	fp, err := f.db.Fingerprint(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return fp
}

type route struct {
	method, path string // path with {fixture} placeholders
	body         any
	public       bool     // open to anonymous callers by design
	anonymous    int      // the status anonymous callers get when not 401 (a cart reached by its token)
	allowed      string   // an actor for whom the request succeeds
	denied       []string // actors who must be refused (anonymous always is, unless public)
}

// everyone is every actor of the fixture; ownerP, ownerR and ownerS own a
// pending, a rejected and a suspended merchant, which may not sell.
var everyone = []string{"buyer", "partner", "ownerB", "operator", "ownerA", "ownerP", "ownerR", "ownerS"}

// unapproved are the owners of merchants that may not sell.
var unapproved = []string{"ownerP", "ownerR", "ownerS"}

func except(allowed ...string) []string {
	var out []string
	for _, a := range everyone {
		if !slices.Contains(allowed, a) {
			out = append(out, a)
		}
	}
	return out
}

func app(email string) map[string]any {
	return map[string]any{"name": "New Shop", "country": "FR", "trader": map[string]any{"legal_name": "New SAS", "registration_number": "RCS 1",
		"address": "Paris", "email": email, "phone": "+33 1", "self_certified": true}, "owner": map[string]any{"email": email, "name": "N", "password": pw}}
}

func routes() map[string]route {
	productIn := map[string]any{"category_id": "{category}", "origin_country": "CN", "translations": map[string]any{"en": map[string]any{"title": "New"}},
		"variants": []any{map[string]any{"sku": "NEW-1", "prices": []any{map[string]any{"channel": "bazaar", "currency": "EUR", "amount": 100}}}}}
	reason := map[string]any{"reason": "checks failed"}
	return map[string]route{
		"POST /api/v1/auth/register":                   {body: map[string]any{"email": "new@example.com", "name": "New", "password": pw}, public: true},
		"POST /api/v1/auth/login":                      {body: map[string]any{"email": "buyer@example.com", "password": pw}, public: true},
		"POST /api/v1/auth/logout":                     {allowed: "leaver"},
		"POST /api/v1/auth/verify-email":               {body: map[string]any{"token": "{verifyToken}"}, public: true},
		"POST /api/v1/auth/verify-email/resend":        {allowed: "buyer", denied: []string{"keyB"}},
		"POST /api/v1/auth/password-reset":             {body: map[string]any{"email": "buyer@example.com"}, public: true},
		"POST /api/v1/auth/password-reset/confirm":     {body: map[string]any{"token": "{resetToken}", "password": "a brand new password"}, public: true},
		"POST /api/v1/auth/logout-all":                 {allowed: "everywhere"},
		"DELETE /api/v1/me/sessions/{id}":              {path: "/api/v1/me/sessions/{spareSession}", allowed: "buyer", denied: except("buyer")},
		"DELETE /api/v1/merchants/{id}/api-keys/{key}": {path: "/api/v1/merchants/{A}/api-keys/{keyA}", allowed: "ownerA", denied: except("ownerA", "operator")},
		"DELETE /api/v1/partners/{id}/api-keys/{key}":  {path: "/api/v1/partners/{partner}/api-keys/{keyP}", allowed: "partner", denied: except("partner", "operator")},
		"POST /api/v1/merchant-applications":           {body: app("new-merchant@example.com"), public: true},
		"POST /api/v1/partners": {body: map[string]any{"name": "Fos", "country": "FR", "login": map[string]any{"email": "fos@example.com", "name": "F", "password": pw}},
			allowed: "operator", denied: except("operator")},
		"POST /api/v1/partners/{id}/api-keys":                  {path: "/api/v1/partners/{partner}/api-keys", body: map[string]any{"name": "wms"}, allowed: "partner", denied: except("partner")},
		"POST /api/v1/merchants/{id}/approve":                  {path: "/api/v1/merchants/{C1}/approve", allowed: "operator", denied: except("operator")},
		"POST /api/v1/merchants/{id}/reject":                   {path: "/api/v1/merchants/{C2}/reject", body: reason, allowed: "operator", denied: except("operator")},
		"POST /api/v1/merchants/{id}/suspend":                  {path: "/api/v1/merchants/{D}/suspend", body: reason, allowed: "operator", denied: except("operator")},
		"PATCH /api/v1/merchants/{id}/application":             {path: "/api/v1/merchants/{P}/application", body: map[string]any{"name": "Pending Owner Renamed"}, allowed: "ownerP", denied: except("ownerP")},
		"POST /api/v1/merchants/{id}/staff":                    {path: "/api/v1/merchants/{A}/staff", body: map[string]any{"email": "staff@example.com", "name": "S", "password": pw, "role": "staff"}, allowed: "ownerA", denied: except("ownerA", "operator")},
		"POST /api/v1/merchants/{id}/api-keys":                 {path: "/api/v1/merchants/{A}/api-keys", body: map[string]any{"name": "erp"}, allowed: "ownerA", denied: except("ownerA")},
		"POST /api/v1/merchants/{id}/shops":                    {path: "/api/v1/merchants/{A}/shops", body: map[string]any{"channel": "outlet", "name": "A outlet"}, allowed: "ownerA", denied: except("ownerA", "operator")},
		"PUT /api/v1/merchants/{id}/plan":                      {path: "/api/v1/merchants/{A}/plan", body: map[string]any{"plan_id": "{plan}"}, allowed: "operator", denied: except("operator")},
		"POST /api/v1/plans":                                   {body: map[string]any{"code": "gold", "name": "Gold", "currency": "EUR", "deposit": 1, "yearly_fee": 2, "commission_bps": 700}, allowed: "operator", denied: except("operator")},
		"POST /api/v1/programmes":                              {body: map[string]any{"code": "fr", "name": "FR", "deposit_discount_bps": 0, "yearly_fee_discount_bps": 5000, "commission_discount_bps": 0}, allowed: "operator", denied: except("operator")},
		"POST /api/v1/channels":                                {body: map[string]any{"code": "eu", "name": "EU", "markets": []string{"DE"}, "languages": []string{"de"}, "currencies": []string{"EUR"}, "admission": "open"}, allowed: "operator", denied: except("operator")},
		"POST /api/v1/channels/{channel}/admissions":           {path: "/api/v1/channels/luxe/admissions", body: map[string]any{"merchant_ids": []string{"{A}"}, "brand_ids": []string{}}, allowed: "operator", denied: except("operator")},
		"POST /api/v1/channels/{channel}/revocations":          {path: "/api/v1/channels/luxe/revocations", body: map[string]any{"merchant_ids": []string{"{B}"}, "brand_ids": []string{}}, allowed: "operator", denied: except("operator")},
		"POST /api/v1/pavilions":                               {body: map[string]any{"channel": "mall", "slug": "french-boutique", "name": "French Boutique"}, allowed: "operator", denied: except("operator")},
		"POST /api/v1/pavilions/{id}/merchants":                {path: "/api/v1/pavilions/{pavilion}/merchants", body: map[string]any{"merchant_ids": []string{"{A}"}}, allowed: "operator", denied: except("operator")},
		"POST /api/v1/categories":                              {body: map[string]any{"slug": "rings", "names": map[string]string{"en": "Rings"}}, allowed: "operator", denied: except("operator")},
		"POST /api/v1/brands":                                  {body: map[string]any{"slug": "new-brand", "name": "New Brand"}, allowed: "ownerA", denied: append([]string{"buyer", "partner"}, unapproved...)},
		"PUT /api/v1/brands/{id}/authorisations/{merchant}":    {path: "/api/v1/brands/{marketBrand}/authorisations/{A}", allowed: "operator", denied: except("operator")},
		"DELETE /api/v1/brands/{id}/authorisations/{merchant}": {path: "/api/v1/brands/{marketBrand}/authorisations/{B}", allowed: "operator", denied: except("operator")},
		"POST /api/v1/products":                                {body: productIn, allowed: "ownerA", denied: append([]string{"buyer", "partner", "operator"}, unapproved...)},
		"PATCH /api/v1/products/{id}":                          {path: "/api/v1/products/{productA}", body: map[string]any{"translations": map[string]any{"fr": map[string]any{"title": "Coque"}}}, allowed: "ownerA", denied: except("ownerA")},
		"POST /api/v1/products/{id}/variants":                  {path: "/api/v1/products/{productA}/variants", body: map[string]any{"sku": "A-2"}, allowed: "ownerA", denied: except("ownerA")},
		"PUT /api/v1/products/{id}/prices":                     {path: "/api/v1/products/{productA}/prices", body: map[string]any{"prices": []any{map[string]any{"sku": "A-1", "channel": "bazaar", "currency": "GBP", "amount": 850}}}, allowed: "ownerA", denied: except("ownerA")},
		"PUT /api/v1/products/{id}/listings/{channel}":         {path: "/api/v1/products/{productA}/listings/mall", allowed: "ownerA", denied: except("ownerA")},
		"DELETE /api/v1/products/{id}/listings/{channel}":      {path: "/api/v1/products/{productA}/listings/bazaar", allowed: "ownerA", denied: except("ownerA", "operator")},
		"POST /api/v1/warehouses/{id}/consignments":            {path: "/api/v1/warehouses/{whA}/consignments", body: map[string]any{"lines": []any{map[string]any{"sku": "A-1", "quantity": 30}}}, allowed: "ownerA", denied: except("ownerA", "operator")},
		"POST /api/v1/consignments/{id}/receive":               {path: "/api/v1/consignments/{consignment}/receive", body: map[string]any{"lines": []any{map[string]any{"sku": "A-1", "received": 29}}}, allowed: "ownerA", denied: except("ownerA", "operator")},
		"PUT /api/v1/warehouses/{id}/stock":                    {path: "/api/v1/warehouses/{whA}/stock", body: map[string]any{"sku": "A-1", "on_hand": 12}, allowed: "ownerA", denied: except("ownerA", "operator")},
		"POST /api/v1/warehouses/{id}/partner-links":           {path: "/api/v1/warehouses/{whA}/partner-links", body: map[string]any{"partner_id": "{partner}"}, allowed: "ownerA", denied: except("ownerA", "operator")},
		"POST /api/v1/partner-links/{id}/accept":               {path: "/api/v1/partner-links/{linkAccept}/accept", allowed: "partner", denied: except("partner")},
		"POST /api/v1/partner-links/{id}/decline":              {path: "/api/v1/partner-links/{linkDecline}/decline", allowed: "partner", denied: except("partner")},
		"POST /api/v1/shares":                                  {body: map[string]any{"channel": "mall", "product_id": "{productShared}"}, allowed: "buyer", denied: []string{"keyB"}},
		"POST /api/v1/carts":                                   {body: map[string]any{"channel": "mall"}, public: true, allowed: "buyer"},
		"POST /api/v1/carts/{id}/lines":                        {path: "/api/v1/carts/{cart}/lines", body: map[string]any{"variant_id": "{variantA}", "quantity": 1, "unit_price": 1}, allowed: "buyer", denied: except("buyer"), anonymous: 404},
		"PATCH /api/v1/carts/{id}/lines/{line_id}":             {path: "/api/v1/carts/{cart}/lines/{cartLine}", body: map[string]any{"quantity": 3}, allowed: "buyer", denied: except("buyer"), anonymous: 404},
		"PUT /api/v1/carts/{id}/currency":                      {path: "/api/v1/carts/{cart}/currency", body: map[string]any{"currency": "GBP"}, allowed: "buyer", denied: except("buyer"), anonymous: 404},
		"PUT /api/v1/carts/{id}/shipping-address":              {path: "/api/v1/carts/{cart}/shipping-address", body: map[string]any{"name": "B", "line1": "1 rue de Rivoli", "postcode": "75001", "city": "Paris", "country": "FR"}, allowed: "buyer", denied: except("buyer"), anonymous: 404},
		"POST /api/v1/carts/{id}/coupons":                      {path: "/api/v1/carts/{cart}/coupons", body: map[string]any{"code": "ACASE"}, allowed: "buyer", denied: except("buyer"), anonymous: 404},
		"DELETE /api/v1/carts/{id}/coupons/{code}":             {path: "/api/v1/carts/{cart}/coupons/HALF", allowed: "buyer", denied: except("buyer"), anonymous: 404},
		"POST /api/v1/coupons":                                 {body: map[string]any{"code": "A-NEW", "kind": "percent", "percent_bps": 1000}, allowed: "ownerA", denied: append([]string{"buyer", "partner"}, unapproved...)},
		"POST /api/v1/carts/{id}/checkout":                     {path: "/api/v1/carts/{shopperCart}/checkout", body: map[string]any{"payment": map[string]any{"provider": "sandbox", "token": "tok_success"}}, allowed: "shopper", denied: everyone},
		"POST /api/v1/payments/{id}/confirm":                   {path: "/api/v1/payments/{payment}/confirm", allowed: "payer", denied: everyone},
		"POST /api/v1/orders/{id}/cancel":                      {path: "/api/v1/orders/{order}/cancel", body: map[string]any{"reason": "changed my mind"}, allowed: "payer", denied: except("ownerA", "operator")},
		"PUT /api/v1/channels/{channel}/protection":            {path: "/api/v1/channels/bazaar/protection", body: map[string]any{"protection_days": 7, "unconfirmed_days": 21, "extension_days": 10}, allowed: "operator", denied: except("operator")},
		"PUT /api/v1/channels/{channel}/sharing":               {path: "/api/v1/channels/bazaar/sharing", body: map[string]any{"commission_bps": 250}, allowed: "operator", denied: except("operator")},
		"POST /api/v1/orders/{id}/ship":                        {path: "/api/v1/orders/{orderToShip}/ship", body: map[string]any{"carrier": "Colissimo", "tracking_number": "6A0000000002"}, allowed: "ownerA", denied: except("ownerA")},
		"POST /api/v1/orders/{id}/deliver":                     {path: "/api/v1/orders/{shippedOrder2}/deliver", allowed: "ownerA", denied: except("ownerA", "operator")},
		"POST /api/v1/orders/{id}/confirm-delivery":            {path: "/api/v1/orders/{shippedOrder}/confirm-delivery", allowed: "payer", denied: everyone},
		"POST /api/v1/orders/{id}/extend-protection":           {path: "/api/v1/orders/{shippedOrder2}/extend-protection", allowed: "payer", denied: everyone},
		"POST /api/v1/orders/{id}/reviews": {path: "/api/v1/orders/{confirmedOrder}/reviews", body: map[string]any{"line_id": "{confirmedOrderLine}", "stars": 4, "text": "Fits well.",
			"seller": map[string]any{"described": 5, "communication": 4, "shipping": 4}}, allowed: "payer", denied: everyone},
		"POST /api/v1/orders/{id}/disputes": {path: "/api/v1/orders/{disputableOrder}/disputes", body: map[string]any{"reason": "damaged", "message": "Cracked.",
			"photos": []any{map[string]any{"data": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="}}}, allowed: "payer", denied: everyone},
		"POST /api/v1/disputes/{id}/messages": {path: "/api/v1/disputes/{disputeOpen}/messages", body: map[string]any{"message": "Any news?"}, allowed: "payer", denied: except("ownerA", "operator")},
		"POST /api/v1/disputes/{id}/withdraw": {path: "/api/v1/disputes/{disputeOpen}/withdraw", allowed: "payer", denied: everyone},
		"POST /api/v1/disputes/{id}/answer":   {path: "/api/v1/disputes/{disputeToAnswer}/answer", body: map[string]any{"action": "offer", "amount": 1, "message": "Half?"}, allowed: "ownerA", denied: except("ownerA")},
		"POST /api/v1/disputes/{id}/accept":   {path: "/api/v1/disputes/{disputeOffered}/accept", allowed: "payer", denied: everyone},
		"POST /api/v1/disputes/{id}/escalate": {path: "/api/v1/disputes/{disputeContested}/escalate", allowed: "payer", denied: everyone},
		"POST /api/v1/disputes/{id}/decide":   {path: "/api/v1/disputes/{disputeEscalated}/decide", body: map[string]any{"refund": 1, "message": "Partly right."}, allowed: "operator", denied: except("operator")},
		"PUT /api/v1/merchants/{id}/payout-account": {path: "/api/v1/merchants/{A}/payout-account", body: map[string]any{"provider": "sandbox", "account": "a-bank"},
			allowed: "ownerA", denied: except("ownerA", "operator")},
		"POST /api/v1/merchants/{id}/payouts": {path: "/api/v1/merchants/{A}/payouts", allowed: "ownerA", denied: except("ownerA", "operator")},
		"POST /api/v1/payouts/run":            {allowed: "operator", denied: except("operator")},
		"POST /api/v1/orders/{id}/refund": {path: "/api/v1/orders/{confirmedOrder}/refund", body: map[string]any{"amount": 1, "reason": "Goodwill."},
			allowed: "operator", denied: except("operator")},
		"PUT /api/v1/reviews/{id}":           {path: "/api/v1/reviews/{review}", body: map[string]any{"stars": 3, "text": "Scratched, but it works."}, allowed: "payer", denied: everyone},
		"POST /api/v1/reviews/{id}/moderate": {path: "/api/v1/reviews/{review}/moderate", body: map[string]any{"status": "hidden", "reason": "personal data"}, allowed: "operator", denied: except("operator")},
		"PUT /api/v1/tax-rules/{id}":         {path: "/api/v1/tax-rules/vat-fr-standard-2027", body: map[string]any{"kind": "vat", "country": "FR", "class": "standard", "rate_bps": 2100, "valid_from": "2027-01-01T00:00:00Z"}, allowed: "operator", denied: except("operator")},
		"POST /api/v1/fx-rates":              {body: map[string]any{"base": "EUR", "quote": "CNY", "rate": "8.3000"}, allowed: "operator", denied: except("operator")},
		"PUT /api/v1/categories/{id}/tariff": {path: "/api/v1/categories/{category}/tariff", body: map[string]any{"hs_code": "392690", "tax_class": "standard"}, allowed: "operator", denied: except("operator")},
		"POST /api/v1/warehouses":            {body: map[string]any{"code": "idf-2", "name": "IDF 2", "country": "FR", "city": "Roissy", "operator_partner_id": "{partner}"}, allowed: "operator", denied: append([]string{"buyer", "partner"}, unapproved...)},
	}
}

// expandBody replaces fixture placeholders inside a JSON body.
func (f *fixture) expandBody(b any) any {
	if b == nil {
		return nil
	}
	j, _ := json.Marshal(b)
	return []byte(f.expand(string(j)))
}

// TestEveryWriteRouteIsAuthorised sends every write operation of the API
// as anonymous, a buyer, another merchant's staff, a partner and an operator
// against objects that are not theirs: each is refused (401 for anonymous,
// 403 or 404 otherwise) and the database is unchanged. Then the rightful
// actor's request succeeds, proving the refusals were about rights. A write
// operation missing from the table fails the test.
func TestEveryWriteRouteIsAuthorised(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		f.buyingFixture()
		table := routes()
		var ops []string
		for path, item := range f.web.API().OpenAPI().Paths {
			for method, op := range map[string]any{"POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete} {
				if op != nil && fmt.Sprint(op) != "<nil>" {
					ops = append(ops, method+" "+path)
				}
			}
		}
		sort.Strings(ops)
		if len(ops) < 25 {
			t.Fatalf("only %d write operations found", len(ops))
		}
		for _, key := range ops {
			if _, ok := table[key]; !ok {
				t.Errorf("write route %s is missing from the access table", key)
			}
		}
		for _, key := range ops {
			r, ok := table[key]
			if !ok {
				continue
			}
			t.Run(key, func(t *testing.T) {
				method, path, _ := strings.Cut(key, " ")
				if r.path != "" {
					path = r.path
				}
				body := f.expandBody(r.body)
				if !r.public {
					for _, actor := range append([]string{"", "revokedKey"}, r.denied...) {
						before := f.fingerprint()
						status, out := f.do(actor, method, path, body)
						want := []int{403, 404}
						if actor == "" || actor == "revokedKey" {
							want = []int{401}
						}
						if actor == "" && r.anonymous != 0 {
							want = []int{r.anonymous}
						}
						if !slices.Contains(want, status) {
							t.Errorf("%s as %q: status %d, want %v: %s", key, actor, status, want, out)
						}
						if after := f.fingerprint(); after != before {
							t.Errorf("%s as %q changed the database", key, actor)
						}
					}
				}
				actor := r.allowed
				status, out := f.do(actor, method, path, body)
				if status < 200 || status > 299 {
					t.Errorf("%s as rightful %q: status %d: %s", key, actor, status, out)
				}
			})
		}
	})
}
