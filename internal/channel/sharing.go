package channel

import (
	"context"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
)

// Sharing is what a channel pays the people who share its products: an
// order placed through a share link credits its sharer CommissionBps of the
// order's goods (docs/sharing.md).
type Sharing struct {
	ChannelID     string `json:"channel_id" readOnly:"true"`
	CommissionBps int64  `json:"commission_bps" minimum:"0" maximum:"3000" doc:"The sharer's commission, in basis points of the goods of an order placed through a share link (300: 3%; 0: none)"`
}

// The bounds and default of a channel's share commission, in basis points.
const (
	DefaultShareCommissionBps = 300
	MaxShareCommissionBps     = 3000
)

// DefaultSharing is the sharing of a channel that has none of its own.
func DefaultSharing() Sharing { return Sharing{CommissionBps: DefaultShareCommissionBps} }

// Sharing returns a channel's share commission (DefaultSharing unless an
// operator set another). Errors: NotFound.
func (s *Service) Sharing(ctx context.Context, idOrCode string) (Sharing, error) {
	ch, err := s.Public(ctx, idOrCode)
	if err != nil {
		return Sharing{}, err
	}
	sh, err := s.Store.Sharing(ctx, ch.ID)
	if errs.Is(err, errs.NotFound) {
		sh, err = DefaultSharing(), nil
	}
	sh.ChannelID = ch.ID
	return sh, err
}

// SetSharing sets a channel's share commission; orders placed already keep
// the commission they credited. Operators only. Errors: Forbidden,
// NotFound, Invalid.
func (s *Service) SetSharing(ctx context.Context, actor identity.Actor, idOrCode string, sh Sharing) (Sharing, error) {
	const op = "channel.SetSharing"
	if !actor.IsOperator() {
		return Sharing{}, errs.E(op, errs.Forbidden, "only operators set a channel's share commission")
	}
	ch, err := s.Public(ctx, idOrCode)
	if err != nil {
		return Sharing{}, err
	}
	if sh.CommissionBps < 0 || sh.CommissionBps > MaxShareCommissionBps {
		return Sharing{}, errs.Field(op, "commission_bps", "must be 0 to 3000")
	}
	sh.ChannelID = ch.ID
	now := s.Now()
	if err := s.Store.PutSharing(ctx, sh, now, events.New(events.ChannelSharingChanged, ch.ID, "", now, sh)); err != nil {
		return Sharing{}, errs.E(op, errs.Other, err)
	}
	return sh, nil
}
