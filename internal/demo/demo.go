// Package demo seeds an empty Sesame with a believable cross-border
// marketplace: channels, pavilions, French and Chinese merchants, logistics
// partners, warehouses, plans and a generated catalogue of any size. It goes
// through the domain services (the catalogue's bulk import checks every
// product as a single create would, and the same brand and listing rules),
// never around them.
package demo

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"maps"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/share"
)

// Password is every demo account's password.
const Password = "sesame-demo"

// Login is a demo account.
type Login struct {
	Role, Email, Note string
}

// Services are what seeding uses.
type Services struct {
	Identity  *identity.Service
	Merchants *merchant.Service
	Channels  *channel.Service
	Catalog   *catalog.Service
	Inventory *inventory.Service
	// Stock, when set, receives every product's stock.
	Stock *inventory.Stock
	// Orders, when set, receives the categories' tariffs.
	Orders *order.Service
	// BuyerOrders, with Orders and Stock, leaves the demo buyer an order
	// in each of OrderStates.
	BuyerOrders bool
	// Shares, with BuyerOrders, has the demo buyer share a product that a
	// friend buys through the link: a commission in the buyer's account.
	Shares *share.Service
	// Batch is how many products one catalogue import holds (default 5,000).
	Batch int
}

type seller struct {
	name, country, email, category, brand string
	luxury                                bool
	pavilion                              string // "provence" or "french-boutique" or ""
	m                                     merchant.Merchant
	actor                                 identity.Actor
	brandID                               string
	channels                              []channel.Channel
	// home is the seller's own warehouse; near, for sellers far from their
	// buyers, its space in the Ile-de-France partner's hub.
	home, near string
}

// sellerSpecs describe the demo's sellers. Seed works on a copy (see
// newSellers), so a seeding run leaves the package's state untouched.
var sellerSpecs = []seller{
	{name: "Shenzhen Case Factory", country: "CN", email: "cases@shenzhen-case.example", category: "phone-cases", brand: "ArmorLite"},
	{name: "Yiwu Fashion Co.", country: "CN", email: "sales@yiwu-fashion.example", category: "clothing", brand: "Yiwu Style"},
	{name: "Guangzhou Jewel House", country: "CN", email: "shop@gz-jewel.example", category: "jewellery", brand: "Pearl River"},
	{name: "Foshan Home Furniture", country: "CN", email: "export@foshan-home.example", category: "furniture", brand: "Foshan Oak"},
	{name: "Ningbo Travel Gear", country: "CN", email: "hello@ningbo-travel.example", category: "travel", brand: "Roamwell"},
	{name: "Savonnerie de Provence", country: "FR", email: "contact@savonnerie-provence.example", category: "beauty", brand: "Savonnerie de Provence", pavilion: "provence"},
	{name: "Lavandes du Luberon", country: "FR", email: "bonjour@lavandes-luberon.example", category: "beauty", brand: "Lavandes du Luberon", pavilion: "provence"},
	{name: "Huilerie des Alpilles", country: "FR", email: "huile@alpilles.example", category: "food", brand: "Huilerie des Alpilles", pavilion: "provence"},
	{name: "Calissons d'Aix", country: "FR", email: "calissons@aix.example", category: "food", brand: "Calissons d'Aix", pavilion: "provence"},
	{name: "Faïencerie de Moustiers", country: "FR", email: "atelier@moustiers.example", category: "furniture", brand: "Moustiers", pavilion: "provence"},
	{name: "Parfums de Grasse", country: "FR", email: "maison@grasse-parfums.example", category: "beauty", brand: "Parfums de Grasse", pavilion: "provence", luxury: true},
	{name: "Maison Lumière", country: "FR", email: "paris@maison-lumiere.example", category: "bags", brand: "Maison Lumière", pavilion: "french-boutique", luxury: true},
	{name: "Atelier Saint-Honoré", country: "FR", email: "atelier@saint-honore.example", category: "jewellery", brand: "Saint-Honoré", pavilion: "french-boutique", luxury: true},
	{name: "Marinières de Bretagne", country: "FR", email: "mer@marinieres.example", category: "clothing", brand: "Marinières de Bretagne", pavilion: "french-boutique"},
	{name: "Biscuiterie de Quimper", country: "FR", email: "biscuits@quimper.example", category: "food", brand: "Quimper", pavilion: "french-boutique"},
	{name: "Cristallerie de Lorraine", country: "FR", email: "cristal@lorraine.example", category: "furniture", brand: "Cristal de Lorraine", pavilion: "french-boutique"},
	{name: "Maroquinerie du Marais", country: "FR", email: "cuir@marais.example", category: "bags", brand: "Marais Cuir", pavilion: "french-boutique"},
	{name: "Vins de Bordeaux Export", country: "FR", email: "export@bordeaux-vins.example", category: "food", brand: "Château Lacoste", pavilion: "french-boutique"},
}

// newSellers returns a fresh copy of sellerSpecs for one seeding run to fill
// in (the merchant, its actor, brand and channels).
func newSellers() []*seller {
	out := make([]*seller, len(sellerSpecs))
	for i := range sellerSpecs {
		sl := sellerSpecs[i]
		out[i] = &sl
	}
	return out
}

type catInfo struct {
	slug  string
	names map[string]string
	words [][3]string // en, fr, zh nouns
	opts  []map[string]string
	price [2]int64 // EUR cents range
	// hs and taxClass are the category's tariff subheading and tax class.
	hs, taxClass string
}

var categories = []catInfo{
	{"phone-cases", map[string]string{"en": "Phone cases", "fr": "Coques de téléphone", "zh": "手机壳"}, [][3]string{{"Clear case", "Coque transparente", "透明手机壳"}, {"Rugged case", "Coque renforcée", "防摔手机壳"}, {"Wallet case", "Étui portefeuille", "钱包手机壳"}, {"MagSafe case", "Coque MagSafe", "磁吸手机壳"}},
		[]map[string]string{{"model": "iPhone 16"}, {"model": "iPhone 16 Pro"}, {"model": "Galaxy S25"}, {"model": "Pixel 9"}}, [2]int64{299, 1999}, "392690", "standard"},
	{"clothing", map[string]string{"en": "Clothing", "fr": "Vêtements", "zh": "服装"}, [][3]string{{"Linen shirt", "Chemise en lin", "亚麻衬衫"}, {"Striped top", "Marinière", "条纹上衣"}, {"Summer dress", "Robe d'été", "夏季连衣裙"}, {"Hoodie", "Sweat à capuche", "连帽衫"}},
		[]map[string]string{{"size": "S"}, {"size": "M"}, {"size": "L"}, {"size": "XL"}}, [2]int64{999, 8999}, "620520", "standard"},
	{"jewellery", map[string]string{"en": "Jewellery", "fr": "Bijoux", "zh": "珠宝"}, [][3]string{{"Pearl necklace", "Collier de perles", "珍珠项链"}, {"Silver ring", "Bague en argent", "银戒指"}, {"Gold earrings", "Boucles d'oreilles en or", "金耳环"}, {"Charm bracelet", "Bracelet à breloques", "手链"}},
		[]map[string]string{{"metal": "silver"}, {"metal": "gold"}}, [2]int64{1500, 49000}, "711319", "jewellery"},
	{"furniture", map[string]string{"en": "Home and furniture", "fr": "Maison et mobilier", "zh": "家居"}, [][3]string{{"Oak side table", "Table d'appoint en chêne", "橡木边桌"}, {"Faience plate", "Assiette en faïence", "彩陶盘"}, {"Crystal vase", "Vase en cristal", "水晶花瓶"}, {"Rattan chair", "Chaise en rotin", "藤椅"}},
		[]map[string]string{{"colour": "natural"}, {"colour": "white"}, {"colour": "blue"}}, [2]int64{2500, 59000}, "940360", "standard"},
	{"travel", map[string]string{"en": "Travel", "fr": "Voyage", "zh": "旅行"}, [][3]string{{"Carry-on suitcase", "Valise cabine", "登机箱"}, {"Packing cubes", "Cubes de rangement", "收纳袋"}, {"Neck pillow", "Coussin de voyage", "颈枕"}, {"Travel adapter", "Adaptateur de voyage", "旅行转换插头"}},
		[]map[string]string{{"colour": "black"}, {"colour": "navy"}, {"colour": "sand"}}, [2]int64{899, 19900}, "420212", "standard"},
	{"beauty", map[string]string{"en": "Beauty", "fr": "Beauté", "zh": "美妆"}, [][3]string{{"Lavender soap", "Savon à la lavande", "薰衣草香皂"}, {"Eau de parfum", "Eau de parfum", "香水"}, {"Hand cream", "Crème pour les mains", "护手霜"}, {"Essential oil", "Huile essentielle", "精油"}},
		[]map[string]string{{"size": "50 ml"}, {"size": "100 ml"}}, [2]int64{450, 15900}, "330300", "cosmetics"},
	{"food", map[string]string{"en": "Food and wine", "fr": "Épicerie fine et vins", "zh": "美食美酒"}, [][3]string{{"Olive oil", "Huile d'olive", "橄榄油"}, {"Calissons box", "Boîte de calissons", "杏仁糖礼盒"}, {"Butter biscuits", "Galettes au beurre", "黄油饼干"}, {"Bordeaux red", "Bordeaux rouge", "波尔多红酒"}},
		[]map[string]string{{"pack": "single"}, {"pack": "gift box"}}, [2]int64{590, 8900}, "150910", "reduced"},
	{"bags", map[string]string{"en": "Bags and leather", "fr": "Sacs et maroquinerie", "zh": "箱包皮具"}, [][3]string{{"Leather tote", "Cabas en cuir", "皮革托特包"}, {"Crossbody bag", "Sac bandoulière", "斜挎包"}, {"Card holder", "Porte-cartes", "卡包"}, {"Weekender", "Sac de voyage", "旅行包"}},
		[]map[string]string{{"colour": "black"}, {"colour": "cognac"}, {"colour": "ivory"}}, [2]int64{4900, 290000}, "420221", "standard"},
}

var adjectives = [][3]string{{"Classic", "classique", "经典"}, {"Premium", "premium", "高级"}, {"Slim", "fin", "轻薄"}, {"Handmade", "artisanal", "手工"}, {"Limited", "édition limitée", "限量"},
	{"Organic", "bio", "有机"}, {"Vintage", "vintage", "复古"}, {"Everyday", "du quotidien", "日常"}, {"Deluxe", "de luxe", "豪华"}, {"Essential", "essentiel", "必备"}}

// IOSSNumber is the demo marketplace's (fictitious) IOSS number.
const IOSSNumber = "IM2509999999"

// Logins returns the demo accounts worth trying, one per role.
func Logins() []Login {
	return []Login{
		{"operator", "operator@sesame.example", "reviews merchants and brands in the console at /admin/; runs channels, pavilions and plans"},
		{"buyer", "buyer@sesame.example", "browses the storefronts"},
		{"merchant (China)", sellerSpecs[0].email, "Shenzhen Case Factory: phone cases on bazaar and mall; its console at /merchant/"},
		{"merchant (France, luxury)", sellerSpecs[11].email, "Maison Lumière: admitted to the luxe channel"},
		{"merchant (Provence)", sellerSpecs[5].email, "Savonnerie de Provence, in the Provence pavilion"},
		{"logistics partner", "partner@francilienne-logistique.example", "sees only its Ile-de-France warehouse"},
	}
}

// Result is what Seed made.
type Result struct {
	Logins   []Login
	Products int
	Duration time.Duration
	// StartRate and EndRate are the catalogue's products per second over
	// its first and its last tenth (whole batches), so that a rate falling
	// as the database grows shows; both are 0 when no product was made.
	StartRate, EndRate float64
}

// Seed fills an empty marketplace. products is the catalogue size; progress
// (if not nil) receives a progress bar.
func Seed(ctx context.Context, s Services, products int, progress io.Writer) (Result, error) {
	start := time.Now()
	sys := identity.System
	res := Result{}
	sellers := newSellers()
	mustUser := func(u identity.User, err error) error { return err }
	if err := mustUser(s.Identity.CreateOperator(ctx, sys, identity.Registration{Email: "operator@sesame.example", Name: "Olivia Operator", Password: Password})); err != nil {
		return res, fmt.Errorf("operator: %w", err)
	}
	buyer, err := s.Identity.RegisterBuyer(ctx, identity.Registration{Email: "buyer@sesame.example", Name: "Bastien Buyer", Password: Password})
	if err != nil {
		return res, fmt.Errorf("buyer: %w", err)
	}

	// Channels.
	bazaar, err := s.Channels.CreateChannel(ctx, sys, channel.ChannelInput{Code: "bazaar", Name: "Sesame Bazaar", Description: "Everything, shipped to Europe: from Shenzhen in 7-15 days or from our Ile-de-France warehouse tomorrow.",
		Markets: []string{"FR", "BE", "DE", "ES", "IT", "NL", "GB"}, Languages: []string{"fr", "en"}, Currencies: []string{"EUR", "GBP"}, Admission: channel.Open})
	if err != nil {
		return res, err
	}
	mall, err := s.Channels.CreateChannel(ctx, sys, channel.ChannelInput{Code: "mall", Name: "Sesame Mall 芝麻商城", Description: "面向中国买家的跨境商城：法国精品与全球好物。",
		Markets: []string{"CN"}, Languages: []string{"zh", "en"}, Currencies: []string{"CNY"}, Admission: channel.Open})
	if err != nil {
		return res, err
	}
	luxe, err := s.Channels.CreateChannel(ctx, sys, channel.ChannelInput{Code: "luxe", Name: "Sesame Luxe 芝麻奢品", Description: "A curated luxury house for Chinese buyers: approved French maisons only, never bazaar goods.",
		Markets: []string{"CN", "HK"}, Languages: []string{"zh", "en", "fr"}, Currencies: []string{"CNY"}, Admission: channel.Curated})
	if err != nil {
		return res, err
	}

	// Categories.
	catIDs := map[string]string{}
	for _, c := range categories {
		cat, err := s.Catalog.CreateCategory(ctx, sys, catalog.CategoryInput{Slug: c.slug, Names: c.names})
		if err != nil {
			return res, err
		}
		catIDs[c.slug] = cat.ID
		if s.Orders != nil {
			if _, err := s.Orders.PutTariff(ctx, sys, order.Tariff{CategoryID: cat.ID, HSCode: c.hs, TaxClass: c.taxClass}); err != nil {
				return res, err
			}
		}
	}

	// Plans and programmes.
	std, err := s.Merchants.CreatePlan(ctx, sys, merchant.PlanInput{Code: "standard-eur", Name: "Standard shop", Currency: "EUR", Deposit: 200_000, YearlyFee: 1_000_000, CommissionBps: 800,
		CommissionMin: 30, // at least 0.30 EUR a line
		Categories:    []merchant.CategoryCommission{{CategoryID: catIDs["jewellery"], CommissionBps: 500, Max: 5_000}, {CategoryID: catIDs["phone-cases"], CommissionBps: 1000, Min: 50}}})
	if err != nil {
		return res, err
	}
	frExport, err := s.Merchants.CreateProgramme(ctx, sys, merchant.ProgrammeInput{Code: "french-export", Name: "French exporters", Description: "Reduced access for French firms: the yearly fee is halved.",
		Countries: []string{"FR"}, YearlyFeeDiscountBps: 5000})
	if err != nil {
		return res, err
	}

	// Logistics partners and their warehouses.
	idf, _, err := s.Identity.CreatePartner(ctx, sys, identity.PartnerInput{Name: "Francilienne Logistique", Country: "FR",
		Login: identity.Registration{Email: "partner@francilienne-logistique.example", Name: "Paul Partner", Password: Password}})
	if err != nil {
		return res, err
	}
	fos, _, err := s.Identity.CreatePartner(ctx, sys, identity.PartnerInput{Name: "Fos Port Services", Country: "FR",
		Login: identity.Registration{Email: "ops@fos-port.example", Name: "Fanny Fos", Password: Password}})
	if err != nil {
		return res, err
	}
	rhein, _, err := s.Identity.CreatePartner(ctx, sys, identity.PartnerInput{Name: "Rhein Fulfilment GmbH", Country: "DE",
		Login: identity.Registration{Email: "ops@rhein-fulfilment.example", Name: "Rolf Rhein", Password: Password}})
	if err != nil {
		return res, err
	}
	mid, _, err := s.Identity.CreatePartner(ctx, sys, identity.PartnerInput{Name: "Midlands 3PL Ltd", Country: "GB",
		Login: identity.Registration{Email: "ops@midlands-3pl.example", Name: "Maggie Midlands", Password: Password}})
	if err != nil {
		return res, err
	}

	// Merchants: apply, approve, plan, brand, shops.
	for i, sl := range sellers {
		m, owner, err := s.Merchants.Apply(ctx, identity.Actor{}, merchant.Application{Name: sl.name, Country: sl.country,
			Trader: merchant.Trader{LegalName: sl.name + legalSuffix(sl.country), RegistrationNumber: fmt.Sprintf("%s-%06d", sl.country, 100000+i*7919),
				VATNumber: fmt.Sprintf("%s%011d", sl.country, 40000000000+int64(i)*1234567), Address: address(sl.country, i), Email: sl.email, Phone: phone(sl.country, i), SelfCertified: true},
			Owner: identity.Registration{Email: sl.email, Name: "Owner, " + sl.name, Password: Password}})
		if err != nil {
			return res, fmt.Errorf("merchant %s: %w", sl.name, err)
		}
		if m, err = s.Merchants.Approve(ctx, sys, m.ID); err != nil {
			return res, err
		}
		prog := ""
		if sl.country == "FR" {
			prog = frExport.ID
		}
		if _, err := s.Merchants.AssignPlan(ctx, sys, m.ID, std.ID, prog); err != nil {
			return res, err
		}
		owner.MerchantStatus = string(m.Status) // approved: the owner may now sell
		sl.m, sl.actor = m, owner.Actor()
		sl.actor.MerchantStatus = string(m.Status) // approved, as its next sign-in reads it
		// Each brand is registered by the merchant it is named after, so it
		// belongs to that merchant and no other may use it.
		b, err := s.Catalog.CreateBrand(ctx, sl.actor, catalog.BrandInput{Slug: slug(sl.brand), Name: sl.brand})
		if err != nil {
			return res, err
		}
		sl.brandID = b.ID
		sl.channels = []channel.Channel{bazaar}
		if sl.country == "FR" || sl.category == "phone-cases" || sl.category == "travel" {
			sl.channels = append(sl.channels, mall)
		}
		if sl.luxury {
			if _, err := s.Channels.Admit(ctx, sys, luxe.ID, channel.Rules{Merchants: []string{m.ID}, Brands: []string{b.ID}}); err != nil {
				return res, err
			}
			sl.channels = append(sl.channels, luxe)
		}
		for _, ch := range sl.channels {
			if _, err := s.Merchants.OpenShop(ctx, sl.actor, m.ID, ch.ID, sl.name); err != nil {
				return res, fmt.Errorf("shop of %s on %s: %w", sl.name, ch.Code, err)
			}
		}
	}
	// One application is left waiting, so that the operator's console has
	// one to review.
	waiting := "atelier@ceramiques-vallauris.example"
	if _, _, err := s.Merchants.Apply(ctx, identity.Actor{}, merchant.Application{Name: "Céramiques de Vallauris", Country: "FR",
		Trader: merchant.Trader{LegalName: "Céramiques de Vallauris SAS", RegistrationNumber: "FR-998877", VATNumber: "FR12998877665",
			Address: address("FR", len(sellers)), Email: waiting, Phone: phone("FR", len(sellers)), SelfCertified: true},
		Owner: identity.Registration{Email: waiting, Name: "Owner, Céramiques de Vallauris", Password: Password}}); err != nil {
		return res, fmt.Errorf("waiting application: %w", err)
	}
	res.Logins = Logins()

	// Pavilions.
	var provence, boutique []string
	for _, sl := range sellers {
		switch sl.pavilion {
		case "provence":
			provence = append(provence, sl.m.ID)
		case "french-boutique":
			boutique = append(boutique, sl.m.ID)
		}
	}
	if _, err := s.Channels.CreatePavilion(ctx, sys, channel.PavilionInput{Channel: "bazaar", Slug: "provence", Name: "Provence",
		Description: "Soaps, lavender, olive oil and faience from Provence's own workshops.", MerchantIDs: provence}); err != nil {
		return res, err
	}
	if _, err := s.Channels.CreatePavilion(ctx, sys, channel.PavilionInput{Channel: "mall", Slug: "french-boutique", Name: "French Boutique 法国馆",
		Description: "法国品牌精品馆：一打法国品牌，直邮中国。", MerchantIDs: boutique}); err != nil {
		return res, err
	}
	if _, err := s.Channels.CreatePavilion(ctx, sys, channel.PavilionInput{Channel: "mall", Slug: "provence", Name: "Provence 普罗旺斯",
		Description: "来自普罗旺斯的香皂、薰衣草与橄榄油。", MerchantIDs: provence}); err != nil {
		return res, err
	}

	// Warehouses: merchants' own in China, partners' near the buyers.
	whs := []inventory.WarehouseInput{
		{Code: "szx-1", Name: "Shenzhen Longhua warehouse", Country: "CN", City: "Shenzhen", Region: "CN-GD", Postcode: "518109", OwnerMerchantID: sellers[0].m.ID},
		{Code: "ywu-1", Name: "Yiwu International Trade City depot", Country: "CN", City: "Yiwu", Region: "CN-ZJ", Postcode: "322000", OwnerMerchantID: sellers[1].m.ID},
		{Code: "idf-1", Name: "Ile-de-France 24h hub", Country: "FR", City: "Goussainville", Postcode: "95190", OperatorPartnerID: idf.ID},
		{Code: "fos-1", Name: "Marseille-Fos port warehouse", Country: "FR", City: "Fos-sur-Mer", Postcode: "13270", OperatorPartnerID: fos.ID},
		{Code: "lej-1", Name: "Leipzig logistics base", Country: "DE", City: "Leipzig", Region: "DE-SN", OperatorPartnerID: rhein.ID},
		{Code: "dav-1", Name: "Daventry logistics base", Country: "GB", City: "Daventry", Region: "GB-ENG", OperatorPartnerID: mid.ID},
	}
	for i, w := range whs {
		made, _, err := s.Inventory.Create(ctx, sys, w)
		if err != nil {
			return res, fmt.Errorf("warehouse %s: %w", w.Code, err)
		}
		if i < 2 { // the first two sellers' depots
			sellers[i].home = made.ID
		}
	}
	// Every seller stocks its own warehouse: the Chinese ones in China
	// (two of them the depots above), the French ones in France, run for
	// them by the partner of their region. Each Chinese seller also rents
	// space in the Ile-de-France hub for its best products, so that
	// "delivered tomorrow" shows beside "7-15 days from China".
	chinaCity := []struct{ city, region string }{{"Shenzhen", "CN-GD"}, {"Yiwu", "CN-ZJ"}, {"Guangzhou", "CN-GD"}, {"Foshan", "CN-GD"}, {"Ningbo", "CN-ZJ"}}
	for i, sl := range sellers {
		var home, near inventory.WarehouseInput
		code := fmt.Sprintf("m%02d", i)
		switch {
		case sl.home != "": // a depot above
		case sl.country == "CN":
			home = inventory.WarehouseInput{Code: code + "-cn", Name: sl.name + " warehouse", Country: "CN", City: chinaCity[i%len(chinaCity)].city, Region: chinaCity[i%len(chinaCity)].region, OwnerMerchantID: sl.m.ID}
		case sl.pavilion == "provence":
			home = inventory.WarehouseInput{Code: code + "-fos", Name: sl.name + " at Fos", Country: "FR", City: "Fos-sur-Mer", Postcode: "13270", OwnerMerchantID: sl.m.ID, OperatorPartnerID: fos.ID}
		default:
			home = inventory.WarehouseInput{Code: code + "-idf", Name: sl.name + " at Goussainville", Country: "FR", City: "Goussainville", Postcode: "95190", OwnerMerchantID: sl.m.ID, OperatorPartnerID: idf.ID}
		}
		if sl.country == "CN" {
			near = inventory.WarehouseInput{Code: code + "-idf", Name: sl.name + " at Goussainville", Country: "FR", City: "Goussainville", Postcode: "95190", OwnerMerchantID: sl.m.ID, OperatorPartnerID: idf.ID}
		}
		for _, w := range []*inventory.WarehouseInput{&home, &near} {
			if w.Code == "" {
				continue
			}
			made, _, err := s.Inventory.Create(ctx, sys, *w)
			if err != nil {
				return res, fmt.Errorf("warehouse %s: %w", w.Code, err)
			}
			if w == &home {
				sl.home = made.ID
			} else {
				sl.near = made.ID
			}
		}
	}
	n, marks, err := seedCatalogue(ctx, s, sellers, products, catIDs, progress)
	res.Products = n
	res.StartRate, res.EndRate = tenthRates(marks)
	if err == nil && s.BuyerOrders && s.Orders != nil && s.Stock != nil && n > 0 {
		err = seedOrders(ctx, s, buyer.Actor(), bazaar, sellers)
	}
	res.Duration = time.Since(start)
	return res, err
}

// mark is how many products were stored how long after the catalogue began.
type mark struct {
	done int
	at   time.Duration
}

// tenthRates returns the rates over the first and the last tenth of the
// products of marks (one per batch, in order): from the start to the first
// batch that completes a tenth, and from the last batch that leaves a tenth
// or more to do to the end. A catalogue of one batch has one rate.
func tenthRates(marks []mark) (start, end float64) {
	if len(marks) == 0 || marks[len(marks)-1].done == 0 {
		return 0, 0
	}
	last := marks[len(marks)-1]
	rate := func(from, to mark) float64 {
		return float64(to.done-from.done) / max((to.at-from.at).Seconds(), 1e-9)
	}
	first := marks[len(marks)-1]
	for _, m := range marks {
		if m.done*10 >= last.done {
			first = m
			break
		}
	}
	from := mark{}
	for _, m := range marks[:len(marks)-1] {
		if (last.done-m.done)*10 >= last.done {
			from = m
		}
	}
	return rate(mark{}, first), rate(from, last)
}

// seedCatalogue generates products in batches, each batch one transaction,
// and returns how many it stored with a mark after each batch.
func seedCatalogue(ctx context.Context, s Services, sellers []*seller, total int, catIDs map[string]string, progress io.Writer) (int, []mark, error) {
	rng := rand.New(rand.NewPCG(11, 11))
	bySeller := make(map[string]*seller, len(sellers))
	for _, sl := range sellers {
		bySeller[sl.m.ID] = sl
	}
	catBySlug := map[string]catInfo{}
	for _, c := range categories {
		catBySlug[c.slug] = c
	}
	bar := newBar(progress, "catalogue", total)
	batch := cmp.Or(s.Batch, 5000)
	// The seed allocates fast and keeps little: collecting less often while
	// it runs spends the CPU on products instead.
	old := debug.SetGCPercent(400)
	defer func() {
		debug.SetGCPercent(old)
		debug.FreeOSMemory() // the seed's garbage goes back to the system
	}()
	// Generation runs beside the inserts: SQLite has one writer, the other
	// core builds the next batch.
	batches := make(chan []catalog.Product, 2)
	genCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		defer close(batches)
		for made := 0; made < total; {
			n := min(batch, total-made)
			now := time.Now().UTC()
			ps := make([]catalog.Product, 0, n)
			for i := 0; i < n; i++ {
				sl := sellers[rng.IntN(len(sellers))]
				ps = append(ps, genProduct(rng, sl, catBySlug[sl.category], catIDs[sl.category], made+i, now))
			}
			made += n
			select {
			case batches <- ps:
			case <-genCtx.Done():
				return
			}
		}
	}()
	// Three imports run at once: the store makes their documents, views
	// and events on both cores while SQLite's single writer writes another's
	// rows (two left the writer idle a third of the time).
	var (
		mu       sync.Mutex // guards done, marks, firstErr and the bar
		done     int
		marks    = make([]mark, 0, total/batch+1)
		firstErr error
		wg       sync.WaitGroup
	)
	for range 3 {
		wg.Go(func() {
			for ps := range batches {
				err := s.Catalog.Import(genCtx, identity.System, ps)
				if err == nil && s.Stock != nil {
					err = seedStock(genCtx, s.Stock, bySeller, ps)
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("catalogue batch of %d: %w", len(ps), err)
				} else if err == nil {
					done += len(ps)
					marks = append(marks, mark{done, time.Since(bar.start)})
					bar.set(done)
				}
				mu.Unlock()
				if err != nil {
					stop()
					return
				}
			}
		})
	}
	wg.Wait()
	err := firstErr
	for range batches { // let the generator end
	}
	if err != nil {
		return done, marks, err
	}
	bar.finish()
	return done, marks, ctx.Err()
}

// seedStock counts the stock of a batch of products: every variant in its
// seller's own warehouse, and one product in four of the sellers far from
// their buyers also near them. The quantities come from the SKUs, so that a
// seed is the same every time: most are well stocked, some low, a few out.
func seedStock(ctx context.Context, st *inventory.Stock, bySeller map[string]*seller, ps []catalog.Product) error {
	counts := map[string][]inventory.StockInput{}
	for _, p := range ps {
		sl := bySeller[p.MerchantID]
		h := fnv.New32a()
		h.Write([]byte(p.Variants[0].SKU))
		seed := h.Sum32()
		for i, v := range p.Variants {
			n := int64((seed>>uint(i*3))%180) + 20
			switch (seed >> 20) % 20 {
			case 0:
				n = 0
			case 1, 2:
				n = int64(1 + (seed>>uint(i))%5)
			}
			counts[sl.home] = append(counts[sl.home], inventory.StockInput{SKU: v.SKU, OnHand: n})
			if sl.near != "" && seed%4 == 0 {
				counts[sl.near] = append(counts[sl.near], inventory.StockInput{SKU: v.SKU, OnHand: n/4 + 3})
			}
		}
	}
	for _, wh := range slices.Sorted(maps.Keys(counts)) {
		for c := range slices.Chunk(counts[wh], inventory.MaxCounts) {
			if _, err := st.CountStock(ctx, identity.System, wh, c); err != nil {
				return fmt.Errorf("stock of warehouse %s: %w", wh, err)
			}
		}
	}
	return nil
}

func genProduct(rng *rand.Rand, sl *seller, c catInfo, catID string, n int, now time.Time) catalog.Product {
	noun := c.words[rng.IntN(len(c.words))]
	adj := adjectives[rng.IntN(len(adjectives))]
	p := catalog.Product{ID: ids.New(ids.Product), MerchantID: sl.m.ID, BrandID: sl.brandID, CategoryID: catID, OriginCountry: sl.country,
		Translations: map[string]catalog.Text{
			"en": {Title: fmt.Sprintf("%s %s %s", sl.brand, adj[0], strings.ToLower(noun[0])), Description: fmt.Sprintf("%s %s by %s, shipped from %s. Ref. %d.", adj[0], strings.ToLower(noun[0]), sl.brand, countryName(sl.country), n)},
			"fr": {Title: fmt.Sprintf("%s %s — %s", noun[1], adj[1], sl.brand), Description: fmt.Sprintf("%s %s signé %s, expédié depuis %s. Réf. %d.", noun[1], adj[1], sl.brand, countryNameFR(sl.country), n)},
			"zh": {Title: fmt.Sprintf("%s %s%s", sl.brand, adj[2], noun[2]), Description: fmt.Sprintf("%s出品的%s%s。编号 %d。", sl.brand, adj[2], noun[2], n)},
		},
		Media:      []string{""}, // set below, from the id
		Attributes: map[string]string{"origin": sl.country},
		Channels:   make([]string, 0, len(sl.channels)),
		Version:    1, CreatedAt: now, UpdatedAt: now}
	// Sesame draws the demo's images itself (the storefront's /media/demo).
	p.Media[0] = "/media/demo/" + p.ID + ".svg"
	base := c.price[0] + rng.Int64N(c.price[1]-c.price[0])
	base = base/100*100 + 90 // prices end in .90
	nv := 1 + rng.IntN(min(3, len(c.opts)))
	first := rng.IntN(len(c.opts))
	for v := 0; v < nv; v++ {
		opt := c.opts[(first+v)%len(c.opts)]
		vr := catalog.Variant{ID: ids.New(ids.Variant), SKU: fmt.Sprintf("%s-%07d-%d", strings.ToUpper(c.slug[:3]), n, v), Options: opt}
		for _, ch := range sl.channels {
			for _, cur := range ch.Currencies {
				amt := base
				switch cur {
				case "GBP":
					amt = base * 86 / 100
				case "CNY":
					amt = base * 78 / 10 / 100 * 100
				}
				if ch.Code == "luxe" {
					amt = amt * 12 / 10
				}
				vr.Prices = append(vr.Prices, catalog.Price{ChannelID: ch.ID, Amount: moneyOf(amt, cur)})
			}
		}
		p.Variants = append(p.Variants, vr)
	}
	for _, ch := range sl.channels {
		p.Channels = append(p.Channels, ch.ID)
	}
	return p
}
