package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/share"
)

// ShareLink is a sharing link with its address.
type ShareLink struct {
	share.Link
	URL string `json:"url" doc:"The link's address: absolute when Sesame knows its public URL, else the path /s/{code}"`
}

// ShareInput names the product to share and the channel it is listed on.
type ShareInput struct {
	Channel   string `json:"channel" maxLength:"64" doc:"The channel's code, e.g. bazaar"`
	ProductID string `json:"product_id" maxLength:"64" doc:"A product listed on that channel"`
}

type shareOut struct {
	Status int
	Body   ShareLink
}

// shareLinkOf gives l its address under publicURL ("" for a path).
func shareLinkOf(l share.Link, publicURL string) ShareLink {
	return ShareLink{Link: l, URL: strings.TrimSuffix(publicURL, "/") + "/s/" + l.Code}
}

func registerShares(a huma.API, s Services, o Options) {
	tags := []string{"Sharing"}
	huma.Register(a, write(a, huma.Operation{OperationID: "share-product", Method: http.MethodPost, Path: "/api/v1/shares",
		Summary: "Share a product listed on a channel",
		Description: "Signed-in people (a session: buyers, and staff, partners and operators as themselves); API keys are refused (403). " +
			"The product must be listed on the channel, named by its code: otherwise 404, the same for a product that does not exist, " +
			"is another channel's or is unlisted, and for an unknown channel. 201 with the new link the first time; 200 with the same link " +
			"when the caller already shared the product on that channel. Visits through the link are counted, and the sharer is credited " +
			"on the visitor's cart and order.",
		Tags: tags, DefaultStatus: http.StatusCreated}),
		func(ctx context.Context, in *struct{ Body ShareInput }) (*shareOut, error) {
			l, created, err := s.Shares.Share(ctx, ActorFrom(ctx), in.Body.Channel, in.Body.ProductID)
			if err != nil {
				return nil, fail(ctx, err)
			}
			status := http.StatusOK
			if created {
				status = http.StatusCreated
			}
			return &shareOut{Status: status, Body: shareLinkOf(l, o.PublicURL)}, nil
		})
	documentExisting(a, "/api/v1/shares", "The caller had already shared the product on the channel: the same link")

	huma.Register(a, authed(huma.Operation{OperationID: "get-own-share-earnings", Method: http.MethodGet, Path: "/api/v1/me/share-earnings",
		Summary: "What your sharing links earned", Description: "Signed-in people (a session); API keys are refused (403). " +
			"Totals by currency (pending until the order completes, payable once it has, less refunds; reversed by cancellations and refunds), " +
			"each link's visits, orders and earnings, and the orders placed through your links, newest first (at most " +
			strconv.Itoa(order.EarningsLimit) + "): their date, product and commission, never their buyer.",
		Tags: tags, Errors: []int{401, 403}}),
		func(ctx context.Context, _ *struct{}) (*struct{ Body order.ShareEarnings }, error) {
			e, err := s.Orders.ShareEarnings(ctx, ActorFrom(ctx))
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body order.ShareEarnings }{e}, nil
		})

	huma.Register(a, authed(huma.Operation{OperationID: "list-own-shares", Method: http.MethodGet, Path: "/api/v1/me/shares",
		Summary: "Your sharing links, newest first", Description: "Signed-in people (a session); API keys are refused (403). At most " +
			strconv.Itoa(share.MineLimit) + " links.", Tags: tags, Errors: []int{401, 403}}),
		func(ctx context.Context, _ *struct{}) (*struct {
			Body struct {
				Items []ShareLink `json:"items"`
			}
		}, error) {
			ls, err := s.Shares.Mine(ctx, ActorFrom(ctx))
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &struct {
				Body struct {
					Items []ShareLink `json:"items"`
				}
			}{}
			out.Body.Items = make([]ShareLink, len(ls))
			for i, l := range ls {
				out.Body.Items[i] = shareLinkOf(l, o.PublicURL)
			}
			return out, nil
		})
}

// documentExisting declares the 200 of the POST at path, which answers 201
// when it creates and 200, with the same body and headers, when what it
// would create already exists.
func documentExisting(a huma.API, path, description string) {
	op := a.OpenAPI().Paths[path].Post
	created := *op.Responses[strconv.Itoa(http.StatusCreated)]
	created.Description = description
	op.Responses[strconv.Itoa(http.StatusOK)] = &created
}
