package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/danielgtaylor/huma/v2"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/promise"
)

// pageCacheEntries bounds the rendered page cache (a page of 20 products is
// about 25 KB, so at most about 100 MB).
const pageCacheEntries = 4096

// ProductDetail is a product for a buyer of one channel: its view, the
// availability of its variants and, for a destination, when it arrives.
type ProductDetail struct {
	catalog.View
	Availability    map[string]inventory.Availability `json:"availability,omitempty" doc:"By SKU: in_stock, low_stock or out_of_stock"`
	DeliveryPromise *DeliveryPromise                  `json:"delivery_promise,omitempty" doc:"With country: the earliest delivery of any available variant; absent when none can be sent there"`
}

// Promise is when an order would arrive, and from which country it leaves.
type Promise struct {
	Earliest  string `json:"earliest" format:"date"`
	Latest    string `json:"latest" format:"date"`
	ShipsFrom string `json:"ships_from" pattern:"^[A-Z]{2}$"`
}

// DeliveryPromise is a product's promise, with its variants' where they
// differ.
type DeliveryPromise struct {
	Promise
	Variants map[string]Promise `json:"variants,omitempty" doc:"By SKU, the variants whose promise differs from the product's"`
}

func promiseOf(r *promise.Result) Promise {
	return Promise{Earliest: r.Earliest.String(), Latest: r.Latest.String(), ShipsFrom: r.ShipsFrom}
}

// offersOf adds to product views what their stock offers.
type offersOf struct {
	stock *inventory.Stock
}

func newOffersOf(st *inventory.Stock) *offersOf {
	return &offersOf{stock: st}
}

// add returns vs's view (a catalog.View's JSON, which it leaves untouched)
// with the availability of its variants, from the stock read with it, in
// the warehouses that reach the channel's markets and, when dest is set,
// the delivery promise (the availability is then dest's).
func (o *offersOf) add(ctx context.Context, vs catalog.ViewStock, markets []string, dest *promise.Destination) ([]byte, error) {
	view, skus := vs.View, vs.SKUs
	if len(skus) == 0 {
		return view, nil
	}
	if len(view) < 2 || view[len(view)-1] != '}' {
		return nil, errors.New("api.offersOf: a product view that is not a JSON object")
	}
	levels := make([]inventory.Units, len(vs.Stock))
	for i, st := range vs.Stock {
		levels[i] = inventory.Units{SKU: st.SKU, WarehouseID: st.WarehouseID, Available: st.Available}
	}
	offers, err := o.stock.OffersFrom(ctx, levels, skus, markets, dest)
	if err != nil {
		return nil, err
	}
	best := inventory.BestPromise(offers)
	out := make([]byte, 0, len(view)+32*len(skus)+200)
	out = append(out, view[:len(view)-1]...)
	out = append(out, `,"availability":{`...)
	// In key order, as encoding/json writes a map.
	sorted := slices.Sorted(slices.Values(skus))
	for i, sku := range slices.Compact(sorted) {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendJSONString(out, sku)
		out = append(out, ':')
		out = appendJSONString(out, string(offers[sku].Availability))
	}
	out = append(out, '}')
	if best != nil {
		dp := DeliveryPromise{Promise: promiseOf(best)}
		for _, sku := range skus {
			if p := offers[sku].Promise; p != nil && promiseOf(p) != dp.Promise {
				if dp.Variants == nil {
					dp.Variants = map[string]Promise{}
				}
				dp.Variants[sku] = promiseOf(p)
			}
		}
		p, err := json.Marshal(dp)
		if err != nil {
			return nil, err
		}
		out = append(out, `,"delivery_promise":`...)
		out = append(out, p...)
	}
	return append(out, '}'), nil
}

// appendJSONString appends s to b as encoding/json encodes it: as it is
// between quotes when it holds nothing to escape (a SKU, a status), else
// through the encoder.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return append(b, jsonString(s)...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// rawJSON is a response whose body is already encoded.
type rawJSON struct {
	ContentType string `header:"Content-Type"`
	// ContentLength is set so that the body goes out in one piece rather
	// than in chunks.
	ContentLength int    `header:"Content-Length"`
	Vary          string `header:"Vary" doc:"Accept-Language: the language follows it when lang is absent"`
	Body          []byte
}

// jsonBody is the response carrying b.
func jsonBody(b []byte) *rawJSON {
	return &rawJSON{ContentType: "application/json", ContentLength: len(b), Vary: "Accept-Language", Body: b}
}

type productOut struct {
	Body Product
}

// cachedPage is a rendered page of products and what it was read from.
type cachedPage struct {
	body []byte
	page catalog.ViewPage
}

// jsonString is s encoded as a JSON string.
func jsonString(s string) []byte {
	b, _ := json.Marshal(s) // a string always encodes
	return b
}

// ProductPage is a page of a channel's products.
type ProductPage struct {
	Channel    string         `json:"channel"`
	Lang       string         `json:"lang"`
	Items      []catalog.View `json:"items"`
	NextCursor string         `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page"`
}

func registerCatalog(a huma.API, s Services) {
	tags := []string{"Catalogue"}
	// Rendered pages are cached per channel, language, cursor and size, with
	// the stamp of the product id buckets they span (catalog.ViewPage): a
	// change to what the channel shows in that range bumps a bucket in the
	// same transaction, so a node never serves a page older than the
	// database, and a change elsewhere leaves the page cached.
	pages, _ := lru.New[string, *cachedPage](pageCacheEntries)
	var offers *offersOf
	if s.Stock != nil {
		offers = newOffersOf(s.Stock)
	}
	// Pages rendered from the database take turns, first come first
	// served, as many at a time as there are cores: under load a request
	// then waits its turn instead of sharing the cores with every other one
	// in flight, which keeps the slowest near the typical one (measured at
	// 1M products: p99 42 ms rather than 111 ms, for about the same
	// throughput). Product pages take turns of their own, for the same
	// reason: at 1M products over random ids, p99 24 to 30 ms rather than
	// 48 to 65 ms, at the same throughput. Two kinds of turns, so that a
	// product page never waits behind a list.
	pageTurns := newTurns(runtime.GOMAXPROCS(0))
	viewTurns := newTurns(runtime.GOMAXPROCS(0))
	listOp := huma.Operation{OperationID: "list-products", Method: http.MethodGet, Path: "/api/v1/products",
		Summary: "A channel's products, for buyers", Description: "Public. Pages by cursor in a stable order, so deep pages cost what the first does.",
		Tags: tags, Errors: []int{404, 422},
		Responses: map[string]*huma.Response{"200": {Description: "A page of products", Content: map[string]*huma.MediaType{
			"application/json": {Schema: a.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[ProductPage](), true, "ProductPage")}}}}}
	huma.Register(a, listOp, func(ctx context.Context, in *struct {
		Channel        string `query:"channel" required:"true" maxLength:"64" doc:"Channel id or code"`
		Lang           string `query:"lang" maxLength:"100" doc:"Preferred language (BCP 47 or an Accept-Language list); falls back to the channel default, then en, fr, zh"`
		Limit          int    `query:"limit" minimum:"0" maximum:"100" doc:"Page size, 1-100 (default 20)"`
		Cursor         string `query:"cursor" maxLength:"200"`
		AcceptLanguage string `header:"Accept-Language" doc:"Used when lang is absent"`
	}) (*rawJSON, error) {
		ch, err := s.Channels.Public(ctx, in.Channel)
		if err != nil {
			return nil, fail(ctx, err)
		}
		lang := ch.Language(cmp.Or(in.Lang, acceptLanguage(in.AcceptLanguage)))
		key := ch.ID + "|" + lang + "|" + in.Cursor + "|" + strconv.Itoa(catalog.ClampLimit(in.Limit))
		if c, ok := pages.Get(key); ok {
			current, err := s.Catalog.PageCurrent(ctx, ch.ID, c.page)
			if err != nil {
				return nil, fail(ctx, err)
			}
			if current {
				return jsonBody(c.body), nil
			}
		}
		if err := pageTurns.take(ctx); err != nil {
			return nil, fail(ctx, err)
		}
		defer pageTurns.give()
		// The page's envelope around the items the store appends, in
		// ProductPage's shape: {"channel":…,"lang":…,"items":[…],"next_cursor":…}.
		limit := catalog.ClampLimit(in.Limit)
		b := make([]byte, 0, 64+1200*limit) // a view is about 1 KB
		b = append(append(b, `{"channel":`...), jsonString(ch.Code)...)
		b = append(append(b, `,"lang":`...), jsonString(lang)...)
		b = append(b, `,"items":[`...)
		pg, err := s.Catalog.ChannelViews(ctx, ch, lang, in.Cursor, in.Limit, b)
		if err != nil {
			return nil, fail(ctx, err)
		}
		b = append(pg.JSON, ']')
		if pg.NextCursor != "" {
			b = append(append(b, `,"next_cursor":`...), jsonString(pg.NextCursor)...)
		}
		b = append(b, '}')
		pg.JSON = nil
		pages.Add(key, &cachedPage{body: b, page: pg})
		return jsonBody(b), nil
	})
	huma.Register(a, huma.Operation{OperationID: "get-product", Method: http.MethodGet, Path: "/api/v1/products/{id}",
		Summary: "A product, for buyers", Description: "Public. Without a channel, shows every channel's prices. " +
			"With a channel, also what stock is available for each variant: in stock, low or out, never the quantities.", Tags: tags, Errors: []int{404},
		Responses: map[string]*huma.Response{"200": {Description: "The product", Content: map[string]*huma.MediaType{
			"application/json": {Schema: a.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[ProductDetail](), true, "ProductDetail")}}}}},
		func(ctx context.Context, in *struct {
			ID             string `path:"id" maxLength:"64"`
			Channel        string `query:"channel" maxLength:"64"`
			Lang           string `query:"lang" maxLength:"100" doc:"Preferred language (BCP 47 or an Accept-Language list)"`
			AcceptLanguage string `header:"Accept-Language" doc:"Used when lang is absent"`
			Country        string `query:"country" pattern:"^[A-Z]{2}$" doc:"Where the buyer wants it delivered, one of the channel's markets: adds delivery_promise"`
			Postcode       string `query:"postcode" maxLength:"20" doc:"The buyer's postcode in country, for a closer promise"`
		}) (*rawJSON, error) {
			var ch *channel.Channel
			if in.Channel != "" {
				c, err := s.Channels.Public(ctx, in.Channel)
				if err != nil {
					return nil, fail(ctx, err)
				}
				ch = &c
			}
			var dest *promise.Destination
			if in.Country != "" {
				if ch == nil || !slices.Contains(ch.Markets, in.Country) {
					return nil, fail(ctx, errs.Field("api.get-product", "country", "must be one of the channel's markets (and a channel given)"))
				}
				dest = &promise.Destination{Country: in.Country, Postcode: in.Postcode}
			}
			if err := viewTurns.take(ctx); err != nil {
				return nil, fail(ctx, err)
			}
			defer viewTurns.give()
			lang := cmp.Or(in.Lang, acceptLanguage(in.AcceptLanguage))
			if ch == nil || offers == nil {
				b, err := s.Catalog.PublicProductJSON(ctx, in.ID, ch, lang)
				if err != nil {
					return nil, fail(ctx, err)
				}
				return jsonBody(b), nil
			}
			vs, err := s.Catalog.PublicProductStock(ctx, in.ID, *ch, lang)
			if err != nil {
				return nil, fail(ctx, err)
			}
			b, err := offers.add(ctx, vs, ch.Markets, dest)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return jsonBody(b), nil
		})
	type reductionsOut struct {
		Body struct {
			Items []catalog.VariantReduction `json:"items"`
		}
	}
	huma.Register(a, huma.Operation{OperationID: "get-product-reductions", Method: http.MethodGet, Path: "/api/v1/products/{id}/reductions",
		Summary: "A product's reduced prices on a channel",
		Description: "Public. Each variant price on the channel that is a reduction, with the lowest price of the 30 days before it " +
			"and the percentage off that price: what a storefront must show beside a reduced price (the EU's Omnibus rule). " +
			"A price is not listed when it is no lower than that reference.", Tags: tags, Errors: []int{404, 422}},
		func(ctx context.Context, in *struct {
			ID      string `path:"id" maxLength:"64"`
			Channel string `query:"channel" required:"true" minLength:"1" maxLength:"64"`
		}) (*reductionsOut, error) {
			rs, err := s.Catalog.ChannelReductions(ctx, in.ID, in.Channel, time.Now().UTC())
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &reductionsOut{}
			out.Body.Items = rs
			return out, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "create-product", Method: http.MethodPost, Path: "/api/v1/products",
		Summary: "Create a product with its variants and prices", Description: "Merchant staff and merchant API keys. The product belongs to the caller's merchant.",
		Tags: tags, DefaultStatus: http.StatusCreated}),
		func(ctx context.Context, in *struct{ Body ProductInput }) (*productOut, error) {
			p, err := s.Catalog.CreateProduct(ctx, ActorFrom(ctx), in.Body.domain())
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &productOut{productOf(p)}, nil
		})
	huma.Register(a, authed(huma.Operation{OperationID: "get-own-product", Method: http.MethodGet, Path: "/api/v1/merchants/{id}/products/{product}",
		Summary: "One of the merchant's products, all languages and channels", Tags: tags, Errors: []int{404}}),
		func(ctx context.Context, in *struct {
			ID      string `path:"id" maxLength:"64"`
			Product string `path:"product" maxLength:"64"`
		}) (*productOut, error) {
			p, err := s.Catalog.Product(ctx, ActorFrom(ctx), in.Product)
			if err == nil && p.MerchantID != in.ID {
				err = errNotFound
			}
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &productOut{productOf(p)}, nil
		})
	huma.Register(a, authed(huma.Operation{OperationID: "list-own-products", Method: http.MethodGet, Path: "/api/v1/merchants/{id}/products",
		Summary: "The merchant's products", Tags: tags, Errors: []int{403}}),
		func(ctx context.Context, in *struct {
			ID     string `path:"id" maxLength:"64"`
			Cursor string `query:"cursor" maxLength:"200"`
			Limit  int    `query:"limit" minimum:"0" maximum:"100"`
		}) (*struct {
			Body struct {
				Items      []Product `json:"items"`
				NextCursor string    `json:"next_cursor,omitempty"`
			}
		}, error) {
			after, err := catalog.DecodeCursor(in.Cursor)
			if err != nil {
				return nil, fail(ctx, err)
			}
			ps, err := s.Catalog.MerchantProducts(ctx, ActorFrom(ctx), in.ID, after, in.Limit)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &struct {
				Body struct {
					Items      []Product `json:"items"`
					NextCursor string    `json:"next_cursor,omitempty"`
				}
			}{}
			out.Body.Items = mapSlice(ps, productOf)
			if n := len(ps); n > 0 && n == catalog.ClampLimit(in.Limit) {
				out.Body.NextCursor = catalog.EncodeCursor(ps[n-1].ID)
			}
			return out, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "update-product", Method: http.MethodPatch, Path: "/api/v1/products/{id}",
		Summary: "Change a product", Description: "The owning merchant's staff. Absent fields are left alone; a translation with an empty title is removed.", Tags: tags}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body Patch
		}) (*productOut, error) {
			p, err := s.Catalog.UpdateProduct(ctx, ActorFrom(ctx), in.ID, in.Body.domain())
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &productOut{productOf(p)}, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "add-variant", Method: http.MethodPost, Path: "/api/v1/products/{id}/variants",
		Summary: "Add a variant (SKU)", Tags: tags, DefaultStatus: http.StatusCreated}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body VariantInput
		}) (*productOut, error) {
			p, err := s.Catalog.AddVariant(ctx, ActorFrom(ctx), in.ID, in.Body.domain())
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &productOut{productOf(p)}, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "set-prices", Method: http.MethodPut, Path: "/api/v1/products/{id}/prices",
		Summary: "Set prices of variants per channel and currency", Description: "Amounts are minor units; the currency must be one of the channel's.", Tags: tags}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body struct {
				Prices []SKUPriceInput `json:"prices" minItems:"1" maxItems:"1000"`
			}
		}) (*productOut, error) {
			p, err := s.Catalog.SetPrices(ctx, ActorFrom(ctx), in.ID, mapSlice(in.Body.Prices, SKUPriceInput.domain))
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &productOut{productOf(p)}, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "list-product", Method: http.MethodPut, Path: "/api/v1/products/{id}/listings/{channel}",
		Summary: "List a product on a channel", Description: "Checked against the channel's rules: the merchant must be approved, have a shop there and a price there, be allowed to use the product's brand (its own, or one an operator authorised), and on curated channels be admitted with the product's brand.",
		Tags: tags, DefaultStatus: http.StatusNoContent}),
		func(ctx context.Context, in *struct {
			ID      string `path:"id" maxLength:"64"`
			Channel string `path:"channel" maxLength:"64"`
		}) (*emptyOut, error) {
			if err := s.Catalog.List(ctx, ActorFrom(ctx), in.ID, in.Channel); err != nil {
				return nil, fail(ctx, err)
			}
			return &emptyOut{}, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "unlist-product", Method: http.MethodDelete, Path: "/api/v1/products/{id}/listings/{channel}",
		Summary: "Remove a product from a channel", Description: "The owning merchant's staff, or an operator.", Tags: tags, DefaultStatus: http.StatusNoContent}),
		func(ctx context.Context, in *struct {
			ID      string `path:"id" maxLength:"64"`
			Channel string `path:"channel" maxLength:"64"`
		}) (*emptyOut, error) {
			if err := s.Catalog.Unlist(ctx, ActorFrom(ctx), in.ID, in.Channel); err != nil {
				return nil, fail(ctx, err)
			}
			return &emptyOut{}, nil
		})

	ttags := []string{"Categories and brands"}
	huma.Register(a, huma.Operation{OperationID: "list-categories", Method: http.MethodGet, Path: "/api/v1/categories", Summary: "The category tree", Tags: ttags},
		func(ctx context.Context, _ *struct{}) (*struct {
			Body struct {
				Items []catalog.Category `json:"items"`
			}
		}, error) {
			cs, err := s.Catalog.Categories(ctx)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &struct {
				Body struct {
					Items []catalog.Category `json:"items"`
				}
			}{}
			out.Body.Items = cs
			return out, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "create-category", Method: http.MethodPost, Path: "/api/v1/categories",
		Summary: "Create a category", Description: "Operators only.", Tags: ttags, DefaultStatus: http.StatusCreated}),
		func(ctx context.Context, in *struct{ Body catalog.CategoryInput }) (*struct{ Body catalog.Category }, error) {
			c, err := s.Catalog.CreateCategory(ctx, ActorFrom(ctx), in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body catalog.Category }{c}, nil
		})
	huma.Register(a, huma.Operation{OperationID: "list-brands", Method: http.MethodGet, Path: "/api/v1/brands", Summary: "Brands", Tags: ttags},
		func(ctx context.Context, _ *struct{}) (*struct {
			Body struct {
				Items []catalog.Brand `json:"items"`
			}
		}, error) {
			bs, err := s.Catalog.Brands(ctx)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &struct {
				Body struct {
					Items []catalog.Brand `json:"items"`
				}
			}{}
			out.Body.Items = bs
			return out, nil
		})
	type brandMerchantIn struct {
		ID       string `path:"id" maxLength:"64" doc:"Brand id"`
		Merchant string `path:"merchant" maxLength:"64" doc:"Merchant id"`
	}
	huma.Register(a, write(a, huma.Operation{OperationID: "authorise-brand", Method: http.MethodPut, Path: "/api/v1/brands/{id}/authorisations/{merchant}",
		Summary: "Authorise a merchant to use a brand", Description: "Operators only. A merchant may put a brand on its products when it registered the brand or an operator authorised it; marketplace brands (registered by operators) need an authorisation for every merchant. Idempotent: authorising again returns the first authorisation.",
		Tags: ttags}),
		func(ctx context.Context, in *brandMerchantIn) (*struct{ Body catalog.BrandAuthorisation }, error) {
			au, err := s.Catalog.AuthoriseBrand(ctx, ActorFrom(ctx), in.ID, in.Merchant)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body catalog.BrandAuthorisation }{au}, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "revoke-brand-authorisation", Method: http.MethodDelete, Path: "/api/v1/brands/{id}/authorisations/{merchant}",
		Summary: "Withdraw a merchant's authorisation for a brand", Description: "Operators only. In the same transaction the merchant's products of that brand lose every listing that no longer passes the channel's rules.",
		Tags: ttags, DefaultStatus: http.StatusNoContent}),
		func(ctx context.Context, in *brandMerchantIn) (*emptyOut, error) {
			if err := s.Catalog.RevokeBrandAuthorisation(ctx, ActorFrom(ctx), in.ID, in.Merchant); err != nil {
				return nil, fail(ctx, err)
			}
			return &emptyOut{}, nil
		})
	huma.Register(a, authed(huma.Operation{OperationID: "list-brand-authorisations", Method: http.MethodGet, Path: "/api/v1/brands/{id}/authorisations",
		Summary: "The merchants authorised to use a brand", Description: "Operators, and the staff of the merchant that owns the brand.", Tags: ttags, Errors: []int{401, 403, 404}}),
		func(ctx context.Context, in *struct {
			ID string `path:"id" maxLength:"64" doc:"Brand id"`
		}) (*struct {
			Body struct {
				Items []catalog.BrandAuthorisation `json:"items"`
			}
		}, error) {
			as, err := s.Catalog.BrandAuthorisations(ctx, ActorFrom(ctx), in.ID)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &struct {
				Body struct {
					Items []catalog.BrandAuthorisation `json:"items"`
				}
			}{}
			out.Body.Items = as
			return out, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "create-brand", Method: http.MethodPost, Path: "/api/v1/brands",
		Summary: "Register a brand", Description: "Operators register marketplace brands, which merchants use only when authorised; staff of an approved merchant register brands that belong to their merchant.", Tags: ttags, DefaultStatus: http.StatusCreated}),
		func(ctx context.Context, in *struct{ Body catalog.BrandInput }) (*struct{ Body catalog.Brand }, error) {
			b, err := s.Catalog.CreateBrand(ctx, ActorFrom(ctx), in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body catalog.Brand }{b}, nil
		})
}

// acceptLanguage returns the Accept-Language header to match, or nothing
// for an implausibly long one: a header is a hint, so a bad one is ignored
// rather than refused.
func acceptLanguage(h string) string {
	if len(h) > 500 {
		return ""
	}
	return h
}

// turns lets a few callers at a time through, in the order they came: a
// channel's waiting senders are served in order.
type turns chan struct{}

func newTurns(n int) turns { return make(turns, n) }

// take waits for a turn; an error if ctx ends first.
func (t turns) take(ctx context.Context) error {
	select {
	case t <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// give ends a turn taken.
func (t turns) give() { <-t }
