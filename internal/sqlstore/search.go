package sqlstore

import (
	"context"

	"github.com/sesame-market/sesame/internal/events"
)

// ChannelListings returns up to limit of the products listed on channel
// channelID after product id after, in id order, as the channel shows them:
// the payload its ListingUpserted events carry. A search index rebuilds
// itself from these pages and then follows the events.
func (s *Catalog) ChannelListings(ctx context.Context, channelID, after string, limit int) ([]events.Listing, error) {
	const op = "sqlstore.ChannelListings"
	ps, err := s.ChannelProducts(ctx, channelID, after, limit)
	if err != nil {
		return nil, err
	}
	b := newListingBuilder(s.db)
	out := make([]events.Listing, len(ps))
	for i, p := range ps {
		if out[i], err = b.listing(ctx, p, channelID); err != nil {
			return nil, wrap(op, err, "listing")
		}
	}
	return out, nil
}
