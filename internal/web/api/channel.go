package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/sesame-market/sesame/internal/channel"
)

type channelRefIn struct {
	Channel string `path:"channel" maxLength:"64" doc:"Channel id or code"`
}

type rulesOut struct {
	Body channel.Rules
}

type pavilionOut struct {
	Body channel.Pavilion
}

func registerChannels(a huma.API, s Services) {
	tags := []string{"Channels"}
	huma.Register(a, huma.Operation{OperationID: "list-channels", Method: http.MethodGet, Path: "/api/v1/channels",
		Summary: "Storefront channels", Description: "Public.", Tags: tags},
		func(ctx context.Context, _ *struct{}) (*struct {
			Body struct {
				Items []channel.Channel `json:"items"`
			}
		}, error) {
			cs, err := s.Channels.Channels(ctx)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &struct {
				Body struct {
					Items []channel.Channel `json:"items"`
				}
			}{}
			out.Body.Items = cs
			return out, nil
		})
	huma.Register(a, huma.Operation{OperationID: "get-channel", Method: http.MethodGet, Path: "/api/v1/channels/{channel}",
		Summary: "A channel", Tags: tags, Errors: []int{404}},
		func(ctx context.Context, in *channelRefIn) (*struct{ Body channel.Channel }, error) {
			c, err := s.Channels.Channel(ctx, in.Channel)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body channel.Channel }{c}, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "create-channel", Method: http.MethodPost, Path: "/api/v1/channels",
		Summary: "Create a channel", Description: "Operators only.", Tags: tags, DefaultStatus: http.StatusCreated}),
		func(ctx context.Context, in *struct{ Body channel.ChannelInput }) (*struct{ Body channel.Channel }, error) {
			c, err := s.Channels.CreateChannel(ctx, ActorFrom(ctx), in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body channel.Channel }{c}, nil
		})
	huma.Register(a, huma.Operation{OperationID: "get-channel-rules", Method: http.MethodGet, Path: "/api/v1/channels/{channel}/admissions",
		Summary: "Merchants and brands a channel admits", Description: "Meaningful for curated channels.", Tags: tags, Errors: []int{404}},
		func(ctx context.Context, in *channelRefIn) (*rulesOut, error) {
			r, err := s.Channels.Rules(ctx, in.Channel)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &rulesOut{r}, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "admit", Method: http.MethodPost, Path: "/api/v1/channels/{channel}/admissions",
		Summary: "Admit merchants and brands to a channel", Description: "Operators only. Idempotent.", Tags: tags}),
		func(ctx context.Context, in *struct {
			Channel string `path:"channel" maxLength:"64"`
			Body    channel.Rules
		}) (*rulesOut, error) {
			r, err := s.Channels.Admit(ctx, ActorFrom(ctx), in.Channel, in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &rulesOut{r}, nil
		})
	huma.Register(a, huma.Operation{OperationID: "get-channel-protection", Method: http.MethodGet, Path: "/api/v1/channels/{channel}/protection",
		Summary: "A channel's buyer protection", Description: "Public. The days after which a shipped order confirms itself (from delivery, or from shipment while no delivery is recorded) " +
			"and the days the buyer's one extension adds; never more than 90 days after the order.", Tags: tags, Errors: []int{404}},
		func(ctx context.Context, in *channelRefIn) (*struct{ Body channel.Protection }, error) {
			p, err := s.Channels.Protection(ctx, in.Channel)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body channel.Protection }{p}, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "put-channel-protection", Method: http.MethodPut, Path: "/api/v1/channels/{channel}/protection",
		Summary: "Set a channel's buyer protection", Description: "Operators only. Orders shipped already keep the dates they were given.", Tags: tags}),
		func(ctx context.Context, in *struct {
			Channel string `path:"channel" maxLength:"64"`
			Body    channel.Protection
		}) (*struct{ Body channel.Protection }, error) {
			p, err := s.Channels.SetProtection(ctx, ActorFrom(ctx), in.Channel, in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body channel.Protection }{p}, nil
		})
	huma.Register(a, huma.Operation{OperationID: "get-channel-sharing", Method: http.MethodGet, Path: "/api/v1/channels/{channel}/sharing",
		Summary: "A channel's share commission", Description: "Public. What an order placed through a share link credits its sharer, " +
			"in basis points of the order's goods (docs/sharing.md).", Tags: tags, Errors: []int{404}},
		func(ctx context.Context, in *channelRefIn) (*struct{ Body channel.Sharing }, error) {
			sh, err := s.Channels.Sharing(ctx, in.Channel)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body channel.Sharing }{sh}, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "put-channel-sharing", Method: http.MethodPut, Path: "/api/v1/channels/{channel}/sharing",
		Summary: "Set a channel's share commission", Description: "Operators only. 0 to 3000 basis points; orders placed already keep the commission they credited.", Tags: tags}),
		func(ctx context.Context, in *struct {
			Channel string `path:"channel" maxLength:"64"`
			Body    channel.Sharing
		}) (*struct{ Body channel.Sharing }, error) {
			sh, err := s.Channels.SetSharing(ctx, ActorFrom(ctx), in.Channel, in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &struct{ Body channel.Sharing }{sh}, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "revoke", Method: http.MethodPost, Path: "/api/v1/channels/{channel}/revocations",
		Summary: "Withdraw admissions", Description: "Operators only. Listings that no longer qualify are removed at once.", Tags: tags}),
		func(ctx context.Context, in *struct {
			Channel string `path:"channel" maxLength:"64"`
			Body    channel.Rules
		}) (*rulesOut, error) {
			r, err := s.Channels.Revoke(ctx, ActorFrom(ctx), in.Channel, in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &rulesOut{r}, nil
		})

	ptags := []string{"Pavilions"}
	huma.Register(a, huma.Operation{OperationID: "list-pavilions", Method: http.MethodGet, Path: "/api/v1/channels/{channel}/pavilions",
		Summary: "A channel's pavilions", Tags: ptags, Errors: []int{404}},
		func(ctx context.Context, in *channelRefIn) (*struct {
			Body struct {
				Items []channel.Pavilion `json:"items"`
			}
		}, error) {
			ps, err := s.Channels.Pavilions(ctx, in.Channel)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &struct {
				Body struct {
					Items []channel.Pavilion `json:"items"`
				}
			}{}
			out.Body.Items = ps
			return out, nil
		})
	huma.Register(a, huma.Operation{OperationID: "get-pavilion", Method: http.MethodGet, Path: "/api/v1/pavilions/{id}",
		Summary: "A pavilion", Tags: ptags, Errors: []int{404}},
		func(ctx context.Context, in *idIn) (*pavilionOut, error) {
			p, err := s.Channels.Pavilion(ctx, in.ID)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &pavilionOut{p}, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "create-pavilion", Method: http.MethodPost, Path: "/api/v1/pavilions",
		Summary: "Create a pavilion", Description: "Operators only.", Tags: ptags, DefaultStatus: http.StatusCreated}),
		func(ctx context.Context, in *struct{ Body channel.PavilionInput }) (*pavilionOut, error) {
			p, err := s.Channels.CreatePavilion(ctx, ActorFrom(ctx), in.Body)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &pavilionOut{p}, nil
		})
	huma.Register(a, write(a, huma.Operation{OperationID: "add-pavilion-merchants", Method: http.MethodPost, Path: "/api/v1/pavilions/{id}/merchants",
		Summary: "Add merchants to a pavilion", Description: "Operators only. Idempotent.", Tags: ptags}),
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body struct {
				MerchantIDs []string `json:"merchant_ids" minItems:"1" maxItems:"500"`
			}
		}) (*pavilionOut, error) {
			p, err := s.Channels.AddPavilionMerchants(ctx, ActorFrom(ctx), in.ID, in.Body.MerchantIDs)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &pavilionOut{p}, nil
		})
}
