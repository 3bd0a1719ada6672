package api

import (
	"cmp"
	"context"
	"net/http"
	"runtime"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/search"
)

// The API's own types for search results, converted from the search
// package's (see products.go for why they are separate).

// NamedRef names an object by id and name.
type NamedRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// SearchItem is one product found.
type SearchItem struct {
	ID            string    `json:"id"`
	Title         string    `json:"title" doc:"In the result's language"`
	Brand         *NamedRef `json:"brand,omitempty"`
	Merchant      NamedRef  `json:"merchant"`
	CategoryID    string    `json:"category_id,omitempty"`
	OriginCountry string    `json:"origin_country,omitempty" doc:"ISO 3166-1 alpha-2"`
	ShipsFrom     string    `json:"ships_from,omitempty" doc:"ISO 3166-1 alpha-2"`
	Image         string    `json:"image,omitempty"`
	Price         int64     `json:"price" doc:"The lowest of its variants' prices, minor units of the result's currency"`
	PriceFrom     bool      `json:"price_from,omitempty" doc:"Its variants' prices differ: Price is where they start"`
}

// FacetValue is one value of a facet and how many products have it.
type FacetValue struct {
	Value string `json:"value" doc:"The value to filter on"`
	Name  string `json:"name,omitempty"`
	Count int    `json:"count"`
}

// CategoryFacet is a category of the tree with its count (its whole subtree).
type CategoryFacet struct {
	ID       string          `json:"id"`
	Slug     string          `json:"slug"`
	Name     string          `json:"name"`
	Count    int             `json:"count"`
	Children []CategoryFacet `json:"children,omitempty"`
}

// PriceRange is a range of prices (minor units, both ends included; no max:
// no upper bound) and how many products are priced in it.
type PriceRange struct {
	Min   int64 `json:"min"`
	Max   int64 `json:"max,omitempty"`
	Count int   `json:"count"`
}

// SearchFacets count the matching products per value. A facet filtered on
// counts its values as if it were not (the other filters still apply), so
// that a buyer sees what another choice would give.
type SearchFacets struct {
	Categories []CategoryFacet `json:"categories"`
	Brands     []FacetValue    `json:"brands"`
	ShipsFrom  []FacetValue    `json:"ships_from"`
	Origins    []FacetValue    `json:"origins"`
	Prices     []PriceRange    `json:"prices"`
	Ratings    []StarsFacet    `json:"ratings" doc:"How many products have buyers' average of at least 4, 3, 2 and 1 stars (none without)"`
}

// StarsFacet is how many products have an average of at least Stars.
type StarsFacet struct {
	Stars int `json:"stars" minimum:"1" maximum:"5"`
	Count int `json:"count"`
}

// SearchResult is one page of a search.
type SearchResult struct {
	Channel    string       `json:"channel"`
	Lang       string       `json:"lang"`
	Currency   string       `json:"currency"`
	Items      []SearchItem `json:"items"`
	Total      int          `json:"total" doc:"How many products match in all"`
	Facets     SearchFacets `json:"facets"`
	NextCursor string       `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last"`
}

func toCategoryFacets(cs []search.CategoryCount) []CategoryFacet {
	return mapSlice(cs, func(c search.CategoryCount) CategoryFacet {
		return CategoryFacet{ID: c.ID, Slug: c.Slug, Name: c.Name, Count: c.Count, Children: toCategoryFacets(c.Children)}
	})
}

func toFacetValues(vs []search.ValueCount) []FacetValue {
	return mapSlice(vs, func(v search.ValueCount) FacetValue { return FacetValue(v) })
}

func toSearchResult(channel string, r search.Result) SearchResult {
	out := SearchResult{Channel: channel, Lang: r.Lang, Currency: r.Currency, Total: r.Total, NextCursor: r.NextCursor,
		Items: make([]SearchItem, len(r.Items)),
		Facets: SearchFacets{Categories: toCategoryFacets(r.Facets.Categories), Brands: toFacetValues(r.Facets.Brands),
			ShipsFrom: toFacetValues(r.Facets.ShipsFrom), Origins: toFacetValues(r.Facets.Origins),
			Prices:  mapSlice(r.Facets.Prices, func(p search.RangeCount) PriceRange { return PriceRange(p) }),
			Ratings: mapSlice(r.Facets.Ratings, func(c search.StarsCount) StarsFacet { return StarsFacet(c) })}}
	for i, it := range r.Items {
		out.Items[i] = SearchItem{ID: it.ID, Title: it.Title, Merchant: NamedRef(it.Merchant), CategoryID: it.CategoryID,
			OriginCountry: it.OriginCountry, ShipsFrom: it.ShipsFrom, Image: it.Image, Price: it.Price, PriceFrom: it.PriceFrom}
		if it.Brand != nil {
			out.Items[i].Brand = &NamedRef{ID: it.Brand.ID, Name: it.Brand.Name}
		}
	}
	if out.Facets.Categories == nil {
		out.Facets.Categories = []CategoryFacet{}
	}
	return out
}

func registerSearch(a huma.API, s Services) {
	// Searches take turns, as many at a time as there are cores (see the
	// product list's): under load one waits for a core rather than share it
	// with every other in flight.
	searchTurns := newTurns(runtime.GOMAXPROCS(0))
	huma.Register(a, huma.Operation{OperationID: "search-products", Method: http.MethodGet, Path: "/api/v1/search",
		Summary: "Search a channel's products", Tags: []string{"Catalogue"}, Errors: []int{404, 422, 503},
		Description: "Public. Words are matched in the language asked for, accents, case and plurals aside, with one typo " +
			"forgiven in words of 4 to 7 letters and two from 8; Chinese is matched by pairs of characters. " +
			"Filters take comma-separated values (any of them matches); the facets count what each other value would give. " +
			"Only products the channel shows are found: a curated channel's search returns only its admitted merchants and brands. " +
			"Answers 503 with Retry-After while the index loads after a start."},
		func(ctx context.Context, in *struct {
			Channel        string   `query:"channel" required:"true" maxLength:"64" doc:"Channel code"`
			Q              string   `query:"q" maxLength:"200" doc:"Words to find; empty: every product"`
			Lang           string   `query:"lang" maxLength:"100" doc:"Language of the words and results (BCP 47 or an Accept-Language list); default the channel's"`
			Currency       string   `query:"currency" pattern:"^[A-Z]{3}$" doc:"One of the channel's currencies (default its first): prices, price filter and sort"`
			Category       []string `query:"category" maxItems:"50" doc:"Category ids, each with its subcategories"`
			Brand          []string `query:"brand" maxItems:"50" doc:"Brand ids"`
			ShipsFrom      []string `query:"ships_from" maxItems:"50" doc:"Countries the products ship from (ISO 3166-1 alpha-2)"`
			Origin         []string `query:"origin" maxItems:"50" doc:"Countries of origin (\"Made in\", ISO 3166-1 alpha-2)"`
			PriceMin       int64    `query:"price_min" minimum:"0" doc:"Lowest price, minor units of the currency"`
			PriceMax       int64    `query:"price_max" minimum:"0" doc:"Highest price, minor units of the currency (0: none)"`
			MinStars       int      `query:"min_stars" minimum:"0" maximum:"5" doc:"Products whose buyers' average is at least this many stars (4: \"4 stars & up\"); 0: any"`
			Sort           string   `query:"sort" enum:"relevance,price_asc,price_desc,newest,rating" doc:"Default relevance: titles holding more of the words first, then the better rated (whole stars of the average), then newest. rating: the better rated first, unrated last, then newest"`
			Cursor         string   `query:"cursor" maxLength:"100"`
			Limit          int      `query:"limit" minimum:"0" maximum:"100" doc:"Page size, 1-100 (default 24)"`
			AcceptLanguage string   `header:"Accept-Language" doc:"Used when lang is absent"`
		}) (*struct{ Body SearchResult }, error) {
			if s.Search == nil {
				return nil, fail(ctx, errs.Retry("api.search", errs.Unavailable, 5*time.Second, "search is not running on this server"))
			}
			ch, err := s.Channels.Public(ctx, in.Channel)
			if err != nil {
				return nil, fail(ctx, err)
			}
			if err := searchTurns.take(ctx); err != nil {
				return nil, fail(ctx, err)
			}
			r, err := s.Search.Search(ctx, search.Query{Channel: ch.Code, Lang: ch.Language(cmp.Or(in.Lang, acceptLanguage(in.AcceptLanguage))),
				Text: in.Q, Currency: in.Currency, Categories: in.Category, Brands: in.Brand, ShipsFrom: in.ShipsFrom, Origins: in.Origin,
				MinPrice: in.PriceMin, MaxPrice: in.PriceMax, MinStars: in.MinStars, Sort: in.Sort, Cursor: in.Cursor, Limit: in.Limit})
			searchTurns.give()
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body SearchResult }{toSearchResult(ch.Code, r)}, nil
		})
}
