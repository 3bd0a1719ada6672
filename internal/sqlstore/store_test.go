package sqlstore_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// world is a small marketplace on a real database, built through the services.
type world struct {
	db       *sqlstore.DB
	id       *identity.Service
	merchant *merchant.Service
	channel  *channel.Service
	catalog  *catalog.Service
	clock    *testkit.Clock
}

func newWorld(t *testing.T, db *sqlstore.DB) *world {
	clock := testkit.NewClock()
	w := &world{db: db, clock: clock,
		id:       identity.NewService(db.Identity()),
		merchant: merchant.NewService(db.Merchants()),
		channel:  channel.NewService(db.Channels()),
	}
	w.catalog = catalog.NewService(db.Catalog(), w.channel)
	w.id.Now, w.merchant.Now, w.channel.Now, w.catalog.Now = clock.Now, clock.Now, clock.Now, clock.Now
	return w
}

func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func wantKind(t *testing.T, err error, kind errs.Kind) {
	t.Helper()
	if got := errs.KindOf(err); got != kind {
		t.Fatalf("error kind = %v, want %v (err: %v)", got, kind, err)
	}
}

func application(name, country, email string) merchant.Application {
	return merchant.Application{Name: name, Country: country,
		Trader: merchant.Trader{LegalName: name + " SAS", RegistrationNumber: "RCS 123", Address: "1 rue de la Paix, Paris", Email: email, Phone: "+33100000000", SelfCertified: true},
		Owner:  identity.Registration{Email: email, Name: "Owner of " + name, Password: "correct horse battery"}}
}

// approvedMerchant applies, approves and returns a merchant with its owner actor.
func (w *world) approvedMerchant(t *testing.T, name, country, email string) (merchant.Merchant, identity.Actor) {
	t.Helper()
	ctx := context.Background()
	m, owner, err := w.merchant.Apply(ctx, identity.Actor{}, application(name, country, email))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.merchant.Approve(ctx, identity.System, m.ID); err != nil {
		t.Fatal(err)
	}
	a := owner.Actor()
	a.MerchantStatus = identity.MerchantApproved // as the next authentication reads it
	return m, a
}

func TestMerchantLifecycle(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		m, owner, err := w.merchant.Apply(ctx, identity.Actor{}, application("Maison Provence", "FR", "owner@provence.example"))
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != merchant.Pending {
			t.Fatalf("status = %s, want pending", m.Status)
		}
		// The same email cannot apply twice, and nothing is half-written.
		_, _, err = w.merchant.Apply(ctx, identity.Actor{}, application("Other", "FR", "owner@provence.example"))
		wantKind(t, err, errs.Conflict)
		all, err := w.merchant.List(ctx, identity.System, "", "", 10)
		if err != nil || len(all) != 1 {
			t.Fatalf("merchants after duplicate application = %d (%v), want 1", len(all), err)
		}
		// Only operators review.
		_, err = w.merchant.Approve(ctx, owner.Actor(), m.ID)
		wantKind(t, err, errs.Forbidden)
		_, err = w.merchant.Suspend(ctx, identity.System, m.ID, "test")
		wantKind(t, err, errs.Conflict) // a pending merchant cannot be suspended
		got := must[merchant.Merchant](t)(w.merchant.Approve(ctx, identity.System, m.ID))
		if got.Status != merchant.Approved || got.ReviewedAt == nil {
			t.Fatalf("after approve: %+v", got)
		}
		_, err = w.merchant.Reject(ctx, identity.System, m.ID, "too late")
		wantKind(t, err, errs.Conflict)
		got = must[merchant.Merchant](t)(w.merchant.Suspend(ctx, identity.System, m.ID, "counterfeits reported"))
		if got.Status != merchant.Suspended || got.StatusReason != "counterfeits reported" {
			t.Fatalf("after suspend: %+v", got)
		}
		// The owner signs in and sees its merchant, not others.
		token, _, err := w.id.Login(ctx, "OWNER@provence.example", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		actor := must[identity.Actor](t)(w.id.Authenticate(ctx, token))
		if !actor.OwnerOf(m.ID) {
			t.Fatalf("actor %+v is not owner of %s", actor, m.ID)
		}
		_, err = w.merchant.Merchant(ctx, actor, "mer_00000000000000000000000000000000")
		wantKind(t, err, errs.NotFound)
		_, _, err = w.id.Login(ctx, "owner@provence.example", "wrong password!")
		wantKind(t, err, errs.Unauthenticated)
	})
}

func TestPlansAndProgrammes(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		m, _ := w.approvedMerchant(t, "Savon de Marseille", "FR", "savon@example.fr")
		cn, _ := w.approvedMerchant(t, "Shenzhen Cases", "CN", "cases@example.cn")
		cat := must[catalog.Category](t)(w.catalog.CreateCategory(ctx, identity.System, catalog.CategoryInput{Slug: "beauty", Names: map[string]string{"en": "Beauty"}}))
		plan := must[merchant.Plan](t)(w.merchant.CreatePlan(ctx, identity.System, merchant.PlanInput{Code: "standard", Name: "Standard", Currency: "EUR",
			Deposit: 1_000_000, YearlyFee: 1_000_001, CommissionBps: 800, Categories: []merchant.CategoryCommission{{CategoryID: cat.ID, CommissionBps: 500}}}))
		prog := must[merchant.Programme](t)(w.merchant.CreateProgramme(ctx, identity.System, merchant.ProgrammeInput{Code: "french-export", Name: "French exporters",
			Countries: []string{"FR"}, YearlyFeeDiscountBps: 5000}))
		terms := must[merchant.Terms](t)(w.merchant.AssignPlan(ctx, identity.System, m.ID, plan.ID, prog.ID))
		want := merchant.Terms{PlanID: plan.ID, ProgrammeID: prog.ID, Deposit: plan.Deposit, YearlyFee: plan.YearlyFee, CommissionBps: 800, Currency: "EUR",
			Categories: []merchant.CategoryCommission{{CategoryID: cat.ID, CommissionBps: 500}}}
		want.YearlyFee.Minor = 500_000 // half of 10,000.01 EUR, rounded half up to the cent, is 5,000.01 off
		if diff := cmp.Diff(terms, want); diff != "" {
			t.Fatalf("terms (-got +want):\n%s", diff)
		}
		// A Chinese merchant is not eligible for the French programme.
		_, err := w.merchant.AssignPlan(ctx, identity.System, cn.ID, plan.ID, prog.ID)
		wantKind(t, err, errs.Invalid)
		_, err = w.merchant.CreatePlan(ctx, identity.System, merchant.PlanInput{Code: "bad", Name: "Bad", Currency: "XXY", CommissionBps: 1})
		wantKind(t, err, errs.Invalid)
		_, err = w.merchant.CreatePlan(ctx, identity.System, merchant.PlanInput{Code: "neg", Name: "Neg", Currency: "EUR", Deposit: -1})
		wantKind(t, err, errs.Invalid)
		plans := must[[]merchant.Plan](t)(w.merchant.Plans(ctx))
		if len(plans) != 1 || len(plans[0].Categories) != 1 {
			t.Fatalf("plans = %+v", plans)
		}
		got := must[merchant.Terms](t)(w.merchant.Terms(ctx, identity.System, m.ID))
		if diff := cmp.Diff(got, want); diff != "" {
			t.Fatalf("stored terms (-got +want):\n%s", diff)
		}
	})
}

func TestLuxuryChannelAdmitsOnlyCuratedBrands(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		luxe := must[channel.Channel](t)(w.channel.CreateChannel(ctx, identity.System, channel.ChannelInput{Code: "luxe", Name: "Luxe", Markets: []string{"CN"},
			Languages: []string{"zh", "en"}, Currencies: []string{"CNY"}, Admission: channel.Curated}))
		bazaar := must[channel.Channel](t)(w.channel.CreateChannel(ctx, identity.System, channel.ChannelInput{Code: "bazaar", Name: "Bazaar", Markets: []string{"FR", "DE"},
			Languages: []string{"fr", "en"}, Currencies: []string{"EUR", "GBP"}, Admission: channel.Open}))
		cat := must[catalog.Category](t)(w.catalog.CreateCategory(ctx, identity.System, catalog.CategoryInput{Slug: "bags", Names: map[string]string{"en": "Bags", "fr": "Sacs"}}))
		maison, maisonStaff := w.approvedMerchant(t, "Maison Luxe", "FR", "luxe@example.fr")
		_, bazaarStaff := w.approvedMerchant(t, "Yiwu Goods", "CN", "yiwu@example.cn")
		lux := must[catalog.Brand](t)(w.catalog.CreateBrand(ctx, maisonStaff, catalog.BrandInput{Slug: "maison-luxe", Name: "Maison Luxe"}))
		cheap := must[catalog.Brand](t)(w.catalog.CreateBrand(ctx, maisonStaff, catalog.BrandInput{Slug: "maison-basics", Name: "Maison Basics"}))

		// A curated channel refuses shops of merchants it has not admitted.
		_, err := w.merchant.OpenShop(ctx, maisonStaff, maison.ID, luxe.ID, "Maison Luxe")
		wantKind(t, err, errs.Forbidden)
		must[channel.Rules](t)(w.channel.Admit(ctx, identity.System, "luxe", channel.Rules{Merchants: []string{maison.ID}, Brands: []string{lux.ID}}))
		must[merchant.Shop](t)(w.merchant.OpenShop(ctx, maisonStaff, maison.ID, luxe.ID, "Maison Luxe"))
		must[merchant.Shop](t)(w.merchant.OpenShop(ctx, maisonStaff, maison.ID, bazaar.ID, "Maison Luxe"))

		product := func(actor identity.Actor, brand, sku string) catalog.Product {
			return must[catalog.Product](t)(w.catalog.CreateProduct(ctx, actor, catalog.ProductInput{BrandID: brand, CategoryID: cat.ID, OriginCountry: "FR",
				Translations: map[string]catalog.Text{"fr": {Title: "Sac " + sku}, "en": {Title: "Bag " + sku}},
				Variants: []catalog.VariantInput{{SKU: sku, Options: map[string]string{"colour": "black"}, Prices: []catalog.PriceInput{
					{Channel: "luxe", Currency: "CNY", Amount: 1_999_900}, {Channel: "bazaar", Currency: "EUR", Amount: 250_000}}}}}))
		}
		bag := product(maisonStaff, lux.ID, "BAG-1")
		basic := product(maisonStaff, cheap.ID, "BAG-2")
		if err := w.catalog.List(ctx, maisonStaff, bag.ID, "luxe"); err != nil {
			t.Fatalf("listing an admitted brand: %v", err)
		}
		wantKind(t, w.catalog.List(ctx, maisonStaff, basic.ID, "luxe"), errs.Forbidden)
		if err := w.catalog.List(ctx, maisonStaff, basic.ID, "bazaar"); err != nil {
			t.Fatalf("listing on an open channel: %v", err)
		}
		// Another merchant cannot list (or even see) Maison's product.
		wantKind(t, w.catalog.List(ctx, bazaarStaff, bag.ID, "bazaar"), errs.NotFound)
		// Changing the brand of a listed luxury product to a non-admitted one unlists it.
		other := cheap.ID
		must[catalog.Product](t)(w.catalog.UpdateProduct(ctx, maisonStaff, bag.ID, catalog.Patch{BrandID: &other}))
		page := must[[]catalog.Product](t)(db.Catalog().ChannelProducts(ctx, luxe.ID, "", 10))
		if len(page) != 0 {
			t.Fatalf("luxe lists %d products after the brand change, want 0", len(page))
		}
		// Revoking the merchant removes its listings; suspension hides them on open channels.
		page = must[[]catalog.Product](t)(db.Catalog().ChannelProducts(ctx, bazaar.ID, "", 10))
		if len(page) != 1 || page[0].ID != basic.ID || page[0].MerchantName != "Maison Luxe" || page[0].BrandName != "Maison Basics" {
			t.Fatalf("bazaar page = %+v", page)
		}
		must[merchant.Merchant](t)(w.merchant.Suspend(ctx, identity.System, maison.ID, "audit"))
		page = must[[]catalog.Product](t)(db.Catalog().ChannelProducts(ctx, bazaar.ID, "", 10))
		if len(page) != 0 {
			t.Fatalf("a suspended merchant's products are still listed: %d", len(page))
		}
		must[merchant.Merchant](t)(w.merchant.Approve(ctx, identity.System, maison.ID))
		page = must[[]catalog.Product](t)(db.Catalog().ChannelProducts(ctx, bazaar.ID, "", 10))
		if len(page) != 1 {
			t.Fatalf("reinstated merchant's products: %d, want 1", len(page))
		}
	})
}

func TestProductEditsAndTranslationFallback(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		must[channel.Channel](t)(w.channel.CreateChannel(ctx, identity.System, channel.ChannelInput{Code: "mall", Name: "Mall", Markets: []string{"CN"},
			Languages: []string{"zh"}, Currencies: []string{"CNY"}, Admission: channel.Open}))
		cat := must[catalog.Category](t)(w.catalog.CreateCategory(ctx, identity.System, catalog.CategoryInput{Slug: "phone-cases", Names: map[string]string{"en": "Phone cases"}}))
		_, staff := w.approvedMerchant(t, "Case King", "CN", "king@example.cn")
		_, rival := w.approvedMerchant(t, "Case Queen", "CN", "queen@example.cn")
		p := must[catalog.Product](t)(w.catalog.CreateProduct(ctx, staff, catalog.ProductInput{CategoryID: cat.ID, OriginCountry: "CN",
			Translations: map[string]catalog.Text{"en": {Title: "Clear case"}},
			Variants:     []catalog.VariantInput{{SKU: "CASE-16", Options: map[string]string{"model": "iPhone 16"}}}}))
		if txt, lang := p.Text("zh", "zh"); lang != "en" || txt.Title != "Clear case" {
			t.Fatalf("fallback = %q in %s, want English", txt.Title, lang)
		}
		p = must[catalog.Product](t)(w.catalog.UpdateProduct(ctx, staff, p.ID, catalog.Patch{Translations: map[string]catalog.Text{"zh": {Title: "透明手机壳"}}}))
		if txt, lang := p.Text("zh", "zh"); lang != "zh" || txt.Title != "透明手机壳" {
			t.Fatalf("zh = %q in %s", txt.Title, lang)
		}
		if txt, lang := p.Text("de", "fr"); lang != "en" || txt.Title != "Clear case" {
			t.Fatalf("de falls back to %q in %s, want en", txt.Title, lang)
		}
		if p.Version != 2 {
			t.Fatalf("version = %d, want 2", p.Version)
		}
		// The same SKU twice for one merchant is a conflict; another merchant may use it.
		_, err := w.catalog.AddVariant(ctx, staff, p.ID, catalog.VariantInput{SKU: "CASE-16"})
		wantKind(t, err, errs.Conflict)
		p = must[catalog.Product](t)(w.catalog.AddVariant(ctx, staff, p.ID, catalog.VariantInput{SKU: "CASE-17", Options: map[string]string{"model": "iPhone 17"}}))
		if len(p.Variants) != 2 {
			t.Fatalf("variants = %d", len(p.Variants))
		}
		// Prices: unknown currency on the channel, negative amounts, another merchant.
		_, err = w.catalog.SetPrices(ctx, staff, p.ID, []catalog.SKUPriceInput{{SKU: "CASE-16", PriceInput: catalog.PriceInput{Channel: "mall", Currency: "EUR", Amount: 100}}})
		wantKind(t, err, errs.Invalid)
		_, err = w.catalog.SetPrices(ctx, staff, p.ID, []catalog.SKUPriceInput{{SKU: "CASE-16", PriceInput: catalog.PriceInput{Channel: "mall", Currency: "CNY", Amount: -5}}})
		wantKind(t, err, errs.Invalid)
		_, err = w.catalog.SetPrices(ctx, rival, p.ID, []catalog.SKUPriceInput{{SKU: "CASE-16", PriceInput: catalog.PriceInput{Channel: "mall", Currency: "CNY", Amount: 100}}})
		wantKind(t, err, errs.NotFound)
		p = must[catalog.Product](t)(w.catalog.SetPrices(ctx, staff, p.ID, []catalog.SKUPriceInput{{SKU: "CASE-16", PriceInput: catalog.PriceInput{Channel: "mall", Currency: "CNY", Amount: 3900}}}))
		if got := p.Variants[0].Prices; len(got) != 1 || got[0].Minor != 3900 || got[0].Currency != "CNY" {
			t.Fatalf("prices = %+v", got)
		}
		// Removing the last translation is refused and changes nothing.
		_, err = w.catalog.UpdateProduct(ctx, staff, p.ID, catalog.Patch{Translations: map[string]catalog.Text{"en": {}, "zh": {}}})
		wantKind(t, err, errs.Invalid)
		again := must[catalog.Product](t)(db.Catalog().Product(ctx, p.ID))
		if diff := cmp.Diff(again.Translations, p.Translations); diff != "" {
			t.Fatalf("a refused edit changed translations:\n%s", diff)
		}
	})
}

// TestBulkImportEnforcesListingRules: a bulk import that would list a
// product on a channel that does not admit it fails whole, writing nothing.
func TestBulkImportEnforcesListingRules(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		luxe, cat, m, staff, lux := w.curatedLuxe(t)
		plain := must[catalog.Brand](t)(w.catalog.CreateBrand(ctx, staff, catalog.BrandInput{Slug: "plain", Name: "Plain"}))
		mk := func(brand, sku string) catalog.Product {
			p, err := w.catalog.NewProduct(ctx, "test", m.ID, "", catalog.ProductInput{BrandID: brand, CategoryID: cat.ID, OriginCountry: "FR",
				Translations: map[string]catalog.Text{"fr": {Title: sku}},
				Variants:     []catalog.VariantInput{{SKU: sku, Prices: []catalog.PriceInput{{Channel: "luxe", Currency: "CNY", Amount: 100}}}}})
			if err != nil {
				t.Fatal(err)
			}
			p.Channels = []string{luxe.ID}
			return p
		}
		before, _ := db.Fingerprint(ctx)
		err := db.Catalog().CreateProducts(ctx, []catalog.Product{mk(lux.ID, "OK-1"), mk(plain.ID, "BAD-1")}, nil)
		wantKind(t, err, errs.Forbidden)
		if after, _ := db.Fingerprint(ctx); after != before {
			t.Fatal("a refused import wrote something")
		}
		if err := db.Catalog().CreateProducts(ctx, []catalog.Product{mk(lux.ID, "OK-1")}, nil); err != nil {
			t.Fatal(err)
		}
		page := must[[]catalog.Product](t)(db.Catalog().ChannelProducts(ctx, luxe.ID, "", 10))
		if len(page) != 1 {
			t.Fatalf("luxe lists %d, want 1", len(page))
		}
	})
}

// TestRevocationRacingListingsLeavesNoListing lists products on a curated
// channel while an operator revokes the merchant: whatever the
// interleaving, the channel ends with no listing of the revoked merchant.
func TestRevocationRacingListingsLeavesNoListing(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		luxe, cat, m, staff, lux := w.curatedLuxe(t)
		var products []string
		for i := range 12 {
			p := must[catalog.Product](t)(w.catalog.CreateProduct(ctx, staff, catalog.ProductInput{BrandID: lux.ID, CategoryID: cat.ID, OriginCountry: "FR",
				Translations: map[string]catalog.Text{"fr": {Title: "Sac"}},
				Variants:     []catalog.VariantInput{{SKU: "S-" + string(rune('a'+i)), Prices: []catalog.PriceInput{{Channel: "luxe", Currency: "CNY", Amount: 100}}}}}))
			products = append(products, p.ID)
		}
		done := make(chan struct{})
		for _, id := range products {
			go func() {
				defer func() { done <- struct{}{} }()
				w.catalog.List(ctx, staff, id, "luxe") // refused or accepted; the end state is what matters
			}()
		}
		if _, err := w.channel.Revoke(ctx, identity.System, "luxe", channel.Rules{Merchants: []string{m.ID}}); err != nil {
			t.Fatal(err)
		}
		for range products {
			<-done
		}
		page := must[[]catalog.Product](t)(db.Catalog().ChannelProducts(ctx, luxe.ID, "", 100))
		if len(page) != 0 {
			t.Fatalf("luxe lists %d products of a revoked merchant", len(page))
		}
	})
}

// curatedLuxe makes a curated "luxe" channel, a category, and an approved
// merchant with a shop there, admitted with its own brand "lux".
func (w *world) curatedLuxe(t *testing.T) (channel.Channel, catalog.Category, merchant.Merchant, identity.Actor, catalog.Brand) {
	t.Helper()
	ctx := context.Background()
	luxe := must[channel.Channel](t)(w.channel.CreateChannel(ctx, identity.System, channel.ChannelInput{Code: "luxe", Name: "Luxe", Markets: []string{"CN"},
		Languages: []string{"zh"}, Currencies: []string{"CNY"}, Admission: channel.Curated}))
	cat := must[catalog.Category](t)(w.catalog.CreateCategory(ctx, identity.System, catalog.CategoryInput{Slug: "bags", Names: map[string]string{"en": "Bags"}}))
	m, staff := w.approvedMerchant(t, "Maison", "FR", "m@example.fr")
	lux := must[catalog.Brand](t)(w.catalog.CreateBrand(ctx, staff, catalog.BrandInput{Slug: "lux", Name: "Lux"}))
	must[channel.Rules](t)(w.channel.Admit(ctx, identity.System, "luxe", channel.Rules{Merchants: []string{m.ID}, Brands: []string{lux.ID}}))
	must[merchant.Shop](t)(w.merchant.OpenShop(ctx, staff, m.ID, luxe.ID, "Maison"))
	return luxe, cat, m, staff, lux
}
