package testkit

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/share"
	"github.com/sesame-market/sesame/internal/sqlstore"
)

// Market is a small marketplace to buy in: the channels bazaar (France,
// Germany, Britain; EUR and GBP) and mall (China; CNY); a Shenzhen seller
// of phone cases (stock in Shenzhen and in Ile-de-France) on an 8% plan;
// a Provence seller of soap, perfume and a leather bag (stock at
// Marseille-Fos). The clock stands at Tuesday 1 December 2026, 09:00 UTC.
type Market struct {
	DB         *sqlstore.DB
	Clock      *Clock
	Identity   *identity.Service
	Merchants  *merchant.Service
	Channels   *channel.Service
	Catalog    *catalog.Service
	Inventory  *inventory.Service
	Stock      *inventory.Stock
	Orders     *order.Service
	Shares     *share.Service
	Shenzhen   merchant.Merchant
	Provence   merchant.Merchant
	SZStaff    identity.Actor
	PVStaff    identity.Actor
	Warehouses map[string]string // by code: szx, idf, fos
	// Variants are the variant ids by SKU: CASE-16, CASE-S25, SOAP,
	// PERFUME, BAG.
	Variants map[string]string
	// Categories are the category ids by slug: phone-cases, beauty, bags.
	Categories map[string]string
	buyers     atomic.Int64
}

// NewMarket builds a Market on db.
func NewMarket(tb testing.TB, db *sqlstore.DB) *Market {
	tb.Helper()
	ctx := context.Background()
	check := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	sys := identity.System
	m := &Market{DB: db, Clock: NewClock(), Warehouses: map[string]string{}, Variants: map[string]string{}, Categories: map[string]string{}}
	m.Clock.Advance(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC).Sub(m.Clock.Now()))
	m.Identity = identity.NewService(db.Identity())
	m.Identity.Hasher = identity.NewHasher(2, 30*time.Second)
	m.Merchants = merchant.NewService(db.Merchants())
	m.Merchants.Hasher = m.Identity.Hasher
	m.Channels = channel.NewService(db.Channels())
	m.Catalog = catalog.NewService(db.Catalog(), m.Channels)
	m.Inventory = inventory.NewService(db.Inventory())
	m.Stock = inventory.NewStock(db.Stock())
	m.Inventory.Now, m.Stock.Now = m.Clock.Now, m.Clock.Now
	m.Orders = order.NewService(db.Orders(), m.Channels, m.Stock, func(ctx context.Context, id string) (merchant.Terms, error) {
		return m.Merchants.Terms(ctx, identity.System, id)
	})
	m.Orders.Now = m.Clock.Now
	m.Shares = share.NewService(db.Shares(), m.Catalog)
	m.Shares.Now = m.Clock.Now
	m.Orders.Shares = m.Shares
	m.Orders.Providers["sandbox"] = payment.Sandbox{Books: db.SandboxBooks(), Now: m.Clock.Now}
	m.Orders.IOSSNumber = "IM2500000001"
	bazaar, err := m.Channels.CreateChannel(ctx, sys, channel.ChannelInput{Code: "bazaar", Name: "Bazaar", Markets: []string{"FR", "DE", "GB"},
		Languages: []string{"fr", "en"}, Currencies: []string{"EUR", "GBP"}, Admission: channel.Open})
	check(err)
	mall, err := m.Channels.CreateChannel(ctx, sys, channel.ChannelInput{Code: "mall", Name: "Mall", Markets: []string{"CN"},
		Languages: []string{"zh", "en"}, Currencies: []string{"CNY"}, Admission: channel.Open})
	check(err)
	cases, err := m.Catalog.CreateCategory(ctx, sys, catalog.CategoryInput{Slug: "phone-cases", Names: map[string]string{"en": "Phone cases"}})
	check(err)
	beauty, err := m.Catalog.CreateCategory(ctx, sys, catalog.CategoryInput{Slug: "beauty", Names: map[string]string{"en": "Beauty"}})
	check(err)
	bags, err := m.Catalog.CreateCategory(ctx, sys, catalog.CategoryInput{Slug: "bags", Names: map[string]string{"en": "Bags"}})
	check(err)
	for _, c := range []catalog.Category{cases, beauty, bags} {
		m.Categories[c.Slug] = c.ID
	}
	for _, t := range []order.Tariff{{CategoryID: cases.ID, HSCode: "392690", TaxClass: "standard"}, {CategoryID: beauty.ID, HSCode: "330300", TaxClass: "cosmetics"},
		{CategoryID: bags.ID, HSCode: "420221", TaxClass: "standard"}} {
		_, err := m.Orders.PutTariff(ctx, sys, t)
		check(err)
	}
	plan, err := m.Merchants.CreatePlan(ctx, sys, merchant.PlanInput{Code: "standard", Name: "Standard", Currency: "EUR", CommissionBps: 800,
		Categories: []merchant.CategoryCommission{{CategoryID: beauty.ID, CommissionBps: 1000}}})
	check(err)
	m.Shenzhen, m.SZStaff = ApprovedMerchant(tb, m.Merchants, "Shenzhen Cases", "CN", "sz@example.com")
	m.Provence, m.PVStaff = ApprovedMerchant(tb, m.Merchants, "Savonnerie de Provence", "FR", "pv@example.com")
	for _, id := range []string{m.Shenzhen.ID, m.Provence.ID} {
		_, err := m.Merchants.AssignPlan(ctx, sys, id, plan.ID, "")
		check(err)
		for _, ch := range []string{bazaar.ID, mall.ID} {
			_, err := m.Merchants.OpenShop(ctx, sys, id, ch, "Shop")
			check(err)
		}
	}
	price := func(eur, gbp, cny int64) []catalog.PriceInput {
		return []catalog.PriceInput{{Channel: "bazaar", Currency: "EUR", Amount: eur}, {Channel: "bazaar", Currency: "GBP", Amount: gbp},
			{Channel: "mall", Currency: "CNY", Amount: cny}}
	}
	product := func(staff identity.Actor, cat, title, origin string, vs ...catalog.VariantInput) {
		p, err := m.Catalog.CreateProduct(ctx, staff, catalog.ProductInput{CategoryID: cat, OriginCountry: origin,
			Translations: map[string]catalog.Text{"en": {Title: title}, "fr": {Title: title}}, Variants: vs})
		check(err)
		for _, ch := range []string{"bazaar", "mall"} {
			check(m.Catalog.List(ctx, staff, p.ID, ch))
		}
		for _, v := range p.Variants {
			m.Variants[v.SKU] = v.ID
		}
	}
	product(m.SZStaff, cases.ID, "Clear case", "CN",
		catalog.VariantInput{SKU: "CASE-16", Options: map[string]string{"model": "iPhone 16"}, Prices: price(1200, 1050, 9800)},
		catalog.VariantInput{SKU: "CASE-S25", Options: map[string]string{"model": "Galaxy S25"}, Prices: price(1000, 870, 8200)})
	product(m.PVStaff, beauty.ID, "Lavender soap", "FR", catalog.VariantInput{SKU: "SOAP", Prices: price(650, 560, 5800)})
	product(m.PVStaff, beauty.ID, "Eau de parfum", "FR", catalog.VariantInput{SKU: "PERFUME", Prices: price(4500, 3900, 38000)})
	product(m.PVStaff, bags.ID, "Leather tote", "FR", catalog.VariantInput{SKU: "BAG", Prices: price(90000, 78000, 720000)})
	wh := func(code string, in inventory.WarehouseInput) {
		w, _, err := m.Inventory.Create(ctx, sys, in)
		check(err)
		m.Warehouses[code] = w.ID
	}
	wh("szx", inventory.WarehouseInput{Code: "sz-szx", Name: "Shenzhen", Country: "CN", City: "Shenzhen", Region: "CN-GD", OwnerMerchantID: m.Shenzhen.ID})
	wh("idf", inventory.WarehouseInput{Code: "sz-idf", Name: "Goussainville", Country: "FR", City: "Goussainville", Postcode: "95190", OwnerMerchantID: m.Shenzhen.ID})
	wh("fos", inventory.WarehouseInput{Code: "pv-fos", Name: "Fos", Country: "FR", City: "Fos-sur-Mer", Postcode: "13270", OwnerMerchantID: m.Provence.ID})
	m.SetStock(tb, "szx", m.Shenzhen.ID, "CASE-16", 100)
	m.SetStock(tb, "idf", m.Shenzhen.ID, "CASE-16", 20)
	m.SetStock(tb, "szx", m.Shenzhen.ID, "CASE-S25", 100)
	for _, sku := range []string{"SOAP", "PERFUME", "BAG"} {
		m.SetStock(tb, "fos", m.Provence.ID, sku, 100)
	}
	return m
}

// SetStock counts n units of a merchant's SKU in warehouse code.
func (m *Market) SetStock(tb testing.TB, code, merchantID, sku string, n int64) {
	tb.Helper()
	if _, err := m.Stock.SetStock(context.Background(), identity.System, m.Warehouses[code], inventory.StockInput{MerchantID: merchantID, SKU: sku, OnHand: n}); err != nil {
		tb.Fatal(err)
	}
}

// Buyer registers a new buyer and returns it as an actor.
func (m *Market) Buyer(tb testing.TB) identity.Actor {
	tb.Helper()
	n := m.buyers.Add(1)
	u, err := m.Identity.RegisterBuyer(context.Background(), identity.Registration{Email: fmt.Sprintf("buyer%d@example.com", n), Name: fmt.Sprintf("Buyer %d", n), Password: Password})
	if err != nil {
		tb.Fatal(err)
	}
	return u.Actor()
}

// Buyers makes n buyer accounts at once, straight in the store (no
// password hashing: they never sign in), for benchmarks that need a buyer
// per cart.
func (m *Market) Buyers(tb testing.TB, n int) []identity.Actor {
	tb.Helper()
	out := make([]identity.Actor, n)
	now := m.Clock.Now()
	for i := range out {
		k := m.buyers.Add(1)
		u := identity.User{ID: ids.New(ids.User), Email: fmt.Sprintf("buyer%d@example.com", k), Name: fmt.Sprintf("Buyer %d", k),
			Role: identity.Buyer, PasswordHash: "unusable", CreatedAt: now}
		if err := m.DB.Identity().CreateUser(context.Background(), u); err != nil {
			tb.Fatal(err)
		}
		out[i] = u.Actor()
	}
	return out
}

// Paris returns a shipping address in Paris.
func Paris() order.Address {
	return order.Address{Name: "Camille Martin", Line1: "12 rue de la Roquette", Postcode: "75011", City: "Paris", Country: "FR"}
}
