package order

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/gif" // evidence photos may be GIF, JPEG or PNG
	_ "image/jpeg"
	_ "image/png"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/timers"
)

// DisputeReason is why a buyer disputes an order.
type DisputeReason string

// The reasons.
const (
	ReasonNotReceived    DisputeReason = "not_received"
	ReasonNotAsDescribed DisputeReason = "not_as_described"
	ReasonDamaged        DisputeReason = "damaged"
	ReasonWrongItem      DisputeReason = "wrong_item"
	ReasonCounterfeit    DisputeReason = "counterfeit"
)

// DisputeReasons returns the reasons a dispute may give.
func DisputeReasons() []DisputeReason {
	return []DisputeReason{ReasonNotReceived, ReasonNotAsDescribed, ReasonDamaged, ReasonWrongItem, ReasonCounterfeit}
}

// DisputeStatus is whose turn it is in a dispute.
type DisputeStatus string

// The dispute statuses: AwaitingMerchant, the merchant answers by the
// deadline (silence refunds the buyer what they asked for); AwaitingBuyer,
// the merchant offered a partial refund or contested the claim and the buyer
// answers by the deadline (silence accepts the offer, or drops a contested
// claim); Escalated, an operator decides; Refunding, a refund was decided
// and is under way at the payment provider; Closed, with its outcome.
const (
	DisputeAwaitingMerchant DisputeStatus = "awaiting_merchant"
	DisputeAwaitingBuyer    DisputeStatus = "awaiting_buyer"
	DisputeEscalated        DisputeStatus = "escalated"
	DisputeRefunding        DisputeStatus = "refunding"
	DisputeClosed           DisputeStatus = "closed"
)

// DisputeOutcome is how a dispute ended.
type DisputeOutcome string

// The outcomes: Refunded, the order was refunded in full (status
// refunded); PartiallyRefunded, in part, and the rest of its settlement is
// the merchant's (completed); Rejected, no refund (completed); Withdrawn,
// the buyer withdrew the dispute and the order's protection runs again.
const (
	OutcomeRefunded          DisputeOutcome = "refunded"
	OutcomePartiallyRefunded DisputeOutcome = "partially_refunded"
	OutcomeRejected          DisputeOutcome = "rejected"
	OutcomeWithdrawn         DisputeOutcome = "withdrawn"
)

// Party is who acts in a dispute.
type Party string

// The parties; Deadline is a deadline that passed in silence.
const (
	PartyBuyer    Party = "buyer"
	PartyMerchant Party = "merchant"
	PartyOperator Party = "operator"
	PartyDeadline Party = "deadline"
)

// The deadlines of a dispute, and its bounds.
const (
	// MerchantReplyDays is how long a merchant has to answer a dispute.
	MerchantReplyDays = 5
	// BuyerReplyDays is how long a buyer has to answer the merchant's
	// offer or contest.
	BuyerReplyDays = 7
	// MaxDisputeText bounds a message, in characters.
	MaxDisputeText = 2000
	// MaxPhotos bounds the photos of one message; MaxPhotoBytes one photo.
	MaxPhotos      = 3
	MaxPhotoBytes  = 4 << 20
	maxPhotoPixels = 24_000_000
	// MaxDisputeMessages bounds a dispute's thread.
	MaxDisputeMessages = 100
	// MaxDisputePage bounds a page of disputes.
	MaxDisputePage = 100
)

// The timer kinds of disputes: a deadline that passes, and a refund to
// complete at the provider.
const (
	TimerDisputeDeadline = "order.dispute_deadline"
	TimerDisputeRefund   = "order.dispute_refund"
	// TimerHoldLimit decides a dispute still open when its order reaches
	// ProtectionLimit: no buyer's money is held longer.
	TimerHoldLimit = "order.hold_limit"
)

// The ids of disputes, their messages and their photos.
const (
	DisputeIDPrefix = "dsp"
	MessageIDPrefix = "dsm"
	PhotoIDPrefix   = "dph"
)

// Dispute is a buyer's claim on one order, and its thread.
type Dispute struct {
	ID         string        `json:"id"`
	OrderID    string        `json:"order_id"`
	MerchantID string        `json:"merchant_id"`
	BuyerID    string        `json:"buyer_id"`
	ChannelID  string        `json:"channel_id"`
	Reason     DisputeReason `json:"reason" enum:"not_received,not_as_described,damaged,wrong_item,counterfeit"`
	Status     DisputeStatus `json:"status" enum:"awaiting_merchant,awaiting_buyer,escalated,refunding,closed"`
	// Requested is the refund the buyer asks for, in the order's currency.
	Requested money.Amount `json:"requested" doc:"The refund the buyer asks for, in the order's currency, at most its total"`
	// Offer is the merchant's counter-offer of a partial refund; Contested
	// says the merchant refused any refund.
	Offer     *money.Amount `json:"offer,omitempty" doc:"The merchant's offer of a partial refund, while the buyer answers it"`
	Contested bool          `json:"contested" doc:"The merchant refused any refund; the buyer may escalate to an operator"`
	// Refund is the refund decided, once one is; Outcome how it ended.
	Refund  *money.Amount  `json:"refund,omitempty" doc:"The refund decided, under way (status refunding) or made (closed)"`
	Outcome DisputeOutcome `json:"outcome,omitempty" enum:"refunded,partially_refunded,rejected,withdrawn"`
	// DecidedBy is who decided the outcome.
	DecidedBy Party `json:"decided_by,omitempty" enum:"buyer,merchant,operator,deadline"`
	// ReplyDueAt is when the party whose turn it is must answer.
	ReplyDueAt *time.Time `json:"reply_due_at,omitempty" doc:"When the merchant (awaiting_merchant) or the buyer (awaiting_buyer) must answer; silence then decides"`
	// OrderWas is the order's status when it was disputed, and
	// ProtectionLeft what remained of its protection: a withdrawn dispute
	// gives both back.
	OrderWas       Status           `json:"-"`
	ProtectionLeft time.Duration    `json:"-"`
	Messages       []DisputeMessage `json:"messages"`
	CreatedAt      time.Time        `json:"created_at"`
	UpdatedAt      time.Time        `json:"updated_at"`
	ClosedAt       *time.Time       `json:"closed_at,omitempty"`
}

// DisputeMessage is one message of a dispute's thread.
type DisputeMessage struct {
	ID        string    `json:"id"`
	Author    Party     `json:"author" enum:"buyer,merchant,operator"`
	Body      string    `json:"body"`
	Photos    []string  `json:"photo_ids" doc:"The ids of the message's photos: GET /api/v1/disputes/{id}/photos/{photo_id}"`
	CreatedAt time.Time `json:"created_at"`
}

// Photo is a photo of a dispute's evidence or of a review: OwnerID is
// the dispute's or the review's id.
type Photo struct {
	ID          string
	OwnerID     string
	ContentType string
	Data        []byte
	CreatedAt   time.Time
}

// PhotoUpload is a photo given with a message.
type PhotoUpload struct {
	Data []byte `json:"data" doc:"The image's bytes (JPEG, PNG or GIF, at most 4 MiB), base64 in JSON"`
}

// A review's photos are photos like a dispute's (photos), ids of
// ReviewPhotoPrefix.
const ReviewPhotoPrefix = "rph"

// DisputeInput opens a dispute.
type DisputeInput struct {
	Reason DisputeReason `json:"reason" enum:"not_received,not_as_described,damaged,wrong_item,counterfeit"`
	// Refund is what the buyer asks for, in the order's currency (minor
	// units); 0 asks for the order's total.
	Refund  int64         `json:"refund,omitempty" minimum:"0" doc:"The refund asked for, in minor units of the order's currency; absent or 0: the order's total"`
	Message string        `json:"message" minLength:"1" maxLength:"2000" doc:"What went wrong"`
	Photos  []PhotoUpload `json:"photos,omitempty" maxItems:"3"`
}

// MessageInput is a message of a dispute's thread.
type MessageInput struct {
	Message string        `json:"message" minLength:"1" maxLength:"2000"`
	Photos  []PhotoUpload `json:"photos,omitempty" maxItems:"3"`
}

// AnswerInput is a merchant's answer to a dispute.
type AnswerInput struct {
	// Action: refund gives the buyer what they asked for; offer proposes
	// Amount (less than asked); contest refuses any refund.
	Action  string `json:"action" enum:"refund,offer,contest" doc:"refund: what the buyer asked for; offer: a partial refund of amount; contest: no refund (a message is required)"`
	Amount  int64  `json:"amount,omitempty" minimum:"0" doc:"The offer, in minor units of the order's currency (action offer)"`
	Message string `json:"message,omitempty" maxLength:"2000"`
}

// DecisionInput is an operator's decision of an escalated dispute.
type DecisionInput struct {
	Refund  int64  `json:"refund" minimum:"0" doc:"The refund decided, in minor units of the order's currency: 0 rejects the claim, the order's total refunds it in full"`
	Message string `json:"message" minLength:"1" maxLength:"2000" doc:"The decision's grounds, shown to both parties"`
}

// DisputeChange is what one step of a dispute writes in one transaction
// (Store.AdvanceDispute): the order (moved when its status changed, with
// its ledger posting), the dispute, a message with its photos, timers,
// events, and the refund record once the provider made it.
type DisputeChange struct {
	Order   Order
	Dispute Dispute
	Message *DisputeMessage
	Photos  []Photo
	Timers  []timers.Timer
	Events  []events.Event
	// Refunded is the refund the provider made (its ref), recorded with
	// the order's payment.
	Refunded *RefundRecord
}

// RefundRecord is a refund made at the payment provider.
type RefundRecord struct {
	OrderID     string
	Amount      money.Amount
	ProviderRef string
}

// DisputeFilter selects disputes, newest first, before the cursor.
type DisputeFilter struct {
	BuyerID    string
	MerchantID string
	Status     DisputeStatus
	Before     string
	Limit      int
}

// DisputeStore persists disputes.
type DisputeStore interface {
	// AdvanceDispute runs one step of order orderID's dispute in one
	// transaction: step is given the order and its dispute (nil if none),
	// both as stored and locked, and at; it returns what to write. step's
	// error is returned and nothing is written. NotFound if no such order.
	AdvanceDispute(ctx context.Context, orderID string, at time.Time, step func(o Order, d *Dispute, at time.Time) (DisputeChange, error)) (Dispute, error)
	// Dispute returns dispute id with its messages; DisputeOfOrder the
	// dispute of an order. NotFound if none.
	Dispute(ctx context.Context, id string) (Dispute, error)
	DisputeOfOrder(ctx context.Context, orderID string) (Dispute, error)
	// Disputes lists disputes by f, without their messages.
	Disputes(ctx context.Context, f DisputeFilter) ([]Dispute, error)
	// DisputePhoto returns photo id of dispute disputeID. NotFound if none.
	DisputePhoto(ctx context.Context, disputeID, id string) (Photo, error)
}

// RefundShare is the part of order o's escrow a refund of refund (in the
// order's currency, at most its total) takes back: the same share of its
// settlement and of its commission, in the merchant's settlement currency,
// so that a partial refund reverses the commission proportionally. The
// refund of the whole total takes back all of both. Errors: Invalid (a
// refund beyond the total), as Escrow.
func RefundShare(o Order, refund money.Amount) (settlement, commission money.Amount, err error) {
	const op = "order.RefundShare"
	settle, com, err := Escrow(o)
	if err != nil {
		return settlement, commission, err
	}
	if refund.Currency != o.Total.Currency || refund.Minor < 0 || refund.Minor > o.Total.Minor || o.Total.Minor <= 0 {
		return settlement, commission, errs.E(op, errs.Invalid, fmt.Sprintf("a refund of %d %s of an order of %d %s", refund.Minor, refund.Currency, o.Total.Minor, o.Total.Currency))
	}
	weights := []int64{refund.Minor, o.Total.Minor - refund.Minor}
	ss, err := settle.Allocate(weights)
	if err != nil {
		return settlement, commission, errs.E(op, errs.Internal, err)
	}
	cs, err := com.Allocate(weights)
	if err != nil {
		return settlement, commission, errs.E(op, errs.Internal, err)
	}
	return ss[0], cs[0], nil
}

// disputeOf returns the dispute id and its order for actor, and the party
// actor is in it: its buyer, its merchant's staff or keys, or an operator.
// Anyone else finds no such dispute.
func (s *Service) disputeOf(ctx context.Context, op string, actor identity.Actor, id string) (Dispute, Party, error) {
	if actor.IsAnonymous() {
		return Dispute{}, "", errs.E(op, errs.Unauthenticated, "sign in")
	}
	if !ids.Valid(DisputeIDPrefix, id) {
		return Dispute{}, "", errs.E(op, errs.NotFound, "dispute not found")
	}
	d, err := s.Store.Dispute(ctx, id)
	if err != nil {
		return Dispute{}, "", err
	}
	party := partyOf(actor, d)
	if party == "" {
		return Dispute{}, "", errs.E(op, errs.NotFound, "dispute not found")
	}
	return d, party, nil
}

// partyOf is the party actor is in dispute d ("" none).
func partyOf(actor identity.Actor, d Dispute) Party {
	switch {
	case actor.Role == identity.Buyer && actor.UserID == d.BuyerID:
		return PartyBuyer
	case actor.ActsFor(d.MerchantID):
		return PartyMerchant
	case actor.IsOperator():
		return PartyOperator
	}
	return ""
}

// photos checks a message's or a review's uploads and makes them photos of
// dispute or review id:
// JPEG, PNG or GIF images, decoded to be sure, at most MaxPhotos of at most
// MaxPhotoBytes. Errors: Invalid.
func photos(op, prefix, id string, ups []PhotoUpload, at time.Time) ([]Photo, []string, error) {
	if len(ups) > MaxPhotos {
		return nil, nil, errs.Field(op, "photos", fmt.Sprintf("at most %d photos", MaxPhotos))
	}
	var out []Photo
	var refs []string
	for i, u := range ups {
		field := fmt.Sprintf("photos[%d].data", i)
		if len(u.Data) == 0 {
			return nil, nil, errs.Field(op, field, "the photo is empty")
		}
		if len(u.Data) > MaxPhotoBytes {
			return nil, nil, errs.Field(op, field, "a photo is at most 4 MiB")
		}
		ct := http.DetectContentType(u.Data)
		if ct != "image/jpeg" && ct != "image/png" && ct != "image/gif" {
			return nil, nil, errs.Field(op, field, "a photo is a JPEG, PNG or GIF image")
		}
		// The header first, to bound what decoding takes; then the whole
		// image, so that evidence is a picture that opens.
		cfg, _, err := image.DecodeConfig(bytes.NewReader(u.Data))
		if err != nil || cfg.Width < 1 || cfg.Height < 1 || cfg.Width*cfg.Height > maxPhotoPixels {
			return nil, nil, errs.Field(op, field, "the image cannot be read, or has more than 24 million pixels")
		}
		photoDecodes <- struct{}{}
		_, _, err = image.Decode(bytes.NewReader(u.Data))
		<-photoDecodes
		if err != nil {
			return nil, nil, errs.Field(op, field, "the image cannot be read")
		}
		p := Photo{ID: ids.New(prefix), OwnerID: id, ContentType: ct, Data: u.Data, CreatedAt: at}
		out, refs = append(out, p), append(refs, p.ID)
	}
	return out, refs, nil
}

// photoDecodes bounds the photos decoded at once, and so the memory they
// take: a small file may hold a large image (24 million pixels decode to
// up to 96 MB), and many buyers may upload at once.
var photoDecodes = make(chan struct{}, 2)

// messageText checks a message's text.
func messageText(op, field, s string, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		return "", errs.Field(op, field, "a message is required")
	case !utf8.ValidString(s) || strings.ContainsRune(s, 0):
		return "", errs.Field(op, field, "not valid text")
	case utf8.RuneCountInString(s) > MaxDisputeText:
		return "", errs.Field(op, field, fmt.Sprintf("at most %d characters", MaxDisputeText))
	}
	return s, nil
}

func disputeEvent(typ string, d Dispute, by Party, at time.Time) events.Event {
	p := events.DisputeChange{V: events.DisputeChangeV1, DisputeID: d.ID, OrderID: d.OrderID, MerchantID: d.MerchantID, BuyerID: d.BuyerID,
		ChannelID: d.ChannelID, Status: string(d.Status), Reason: string(d.Reason), Requested: d.Requested.Minor, Currency: d.Requested.Currency,
		Outcome: string(d.Outcome), By: string(by), ReplyDueAt: d.ReplyDueAt, At: at}
	if d.Offer != nil {
		p.Offer = d.Offer.Minor
	}
	if d.Refund != nil {
		p.Refund = d.Refund.Minor
	}
	return events.New(typ, d.ID, d.MerchantID, at, p)
}

type disputeTimerPayload struct {
	Order   string `json:"order"`
	Dispute string `json:"dispute"`
	// Due is the deadline the timer enforces: a deadline moved since
	// leaves it without effect.
	Due time.Time `json:"due,omitzero"`
}

// deadline sets d's deadline to days from at and returns its timer.
func deadline(d *Dispute, days_ int, at time.Time) (timers.Timer, error) {
	due := at.Add(days(days_))
	d.ReplyDueAt = &due
	t, err := timers.New(TimerDisputeDeadline, due, disputeTimerPayload{Order: d.OrderID, Dispute: d.ID, Due: due})
	if err != nil {
		return t, errs.E("order.deadline", errs.Internal, err)
	}
	t.Dedupe, t.CreatedAt = fmt.Sprintf("%s:%s:%s:%d", TimerDisputeDeadline, d.ID, d.Status, due.UnixNano()), at
	return t, nil
}

// refunding decides a refund of amount in dispute d: the dispute waits for
// the provider (status refunding) and a timer makes sure the refund
// completes even if the process dies before it does (Service.finishRefund).
func refunding(d *Dispute, amount money.Amount, by Party, at time.Time) (timers.Timer, error) {
	d.Status, d.Refund, d.DecidedBy, d.ReplyDueAt, d.UpdatedAt = DisputeRefunding, &amount, by, nil, at
	t, err := timers.New(TimerDisputeRefund, at.Add(time.Minute), disputeTimerPayload{Order: d.OrderID, Dispute: d.ID})
	if err != nil {
		return t, errs.E("order.refunding", errs.Internal, err)
	}
	t.Dedupe, t.CreatedAt = TimerDisputeRefund+":"+d.ID, at
	return t, nil
}

// rejecting closes dispute d without a refund: its order is completed.
func rejecting(o *Order, d *Dispute, by Party, at time.Time) events.Event {
	d.Status, d.Outcome, d.DecidedBy, d.ReplyDueAt, d.ClosedAt, d.UpdatedAt, d.Offer = DisputeClosed, OutcomeRejected, by, nil, &at, at, nil
	o.Status, o.UpdatedAt, o.ConfirmedAt = Completed, at, &at
	return orderEvent(events.OrderConfirmed, *o, "dispute_rejected", at)
}

// message makes a message of the thread.
func message(author Party, body string, refs []string, at time.Time) *DisputeMessage {
	return &DisputeMessage{ID: ids.New(MessageIDPrefix), Author: author, Body: body, Photos: refs, CreatedAt: at}
}

// OpenDispute opens a dispute of a shipped or delivered order at its
// buyer's request, while its protection runs: the reason, what went wrong
// and up to three photos, and the refund asked for (the order's total
// unless less is asked). The order is disputed, its protection stops (it
// never confirms itself while the dispute is open), and its merchant has
// MerchantReplyDays to answer, silence refunding the buyer. One dispute per
// order. Errors: NotFound (not the buyer's order), Invalid (reason, refund,
// message, photos), Conflict (not shipped nor delivered, its protection
// ended, disputed already).
func (s *Service) OpenDispute(ctx context.Context, actor identity.Actor, orderID string, in DisputeInput) (Dispute, error) {
	const op = "order.OpenDispute"
	o, err := s.buyerOrder(ctx, op, actor, orderID)
	if err != nil {
		return Dispute{}, err
	}
	if !slices.Contains(DisputeReasons(), in.Reason) {
		return Dispute{}, errs.Field(op, "reason", "one of not_received, not_as_described, damaged, wrong_item, counterfeit")
	}
	body, err := messageText(op, "message", in.Message, true)
	if err != nil {
		return Dispute{}, err
	}
	if in.Refund < 0 || in.Refund > o.Total.Minor {
		return Dispute{}, errs.Field(op, "refund", fmt.Sprintf("at most the order's total, %d", o.Total.Minor))
	}
	id := ids.New(DisputeIDPrefix)
	now := s.Now().UTC()
	ph, refs, err := photos(op, PhotoIDPrefix, id, in.Photos, now)
	if err != nil {
		return Dispute{}, err
	}
	return s.Store.AdvanceDispute(ctx, o.ID, now, func(o Order, d *Dispute, at time.Time) (DisputeChange, error) {
		switch {
		case d != nil:
			return DisputeChange{}, errs.E(op, errs.Conflict, "this order was disputed already")
		case o.Status != Shipped && o.Status != Delivered:
			return DisputeChange{}, errs.E(op, errs.Conflict, "an order that is "+wording(o.Status)+" cannot be disputed")
		case o.ProtectionEndsAt == nil || !at.Before(*o.ProtectionEndsAt):
			return DisputeChange{}, errs.E(op, errs.Conflict, "the order's protection has ended")
		}
		nd := Dispute{ID: id, OrderID: o.ID, MerchantID: o.MerchantID, BuyerID: o.BuyerID, ChannelID: o.ChannelID, Reason: in.Reason,
			Status: DisputeAwaitingMerchant, Requested: money.Amount{Minor: cmp.Or(in.Refund, o.Total.Minor), Currency: o.Total.Currency},
			OrderWas: o.Status, ProtectionLeft: o.ProtectionEndsAt.Sub(at), CreatedAt: at, UpdatedAt: at}
		t, err := deadline(&nd, MerchantReplyDays, at)
		if err != nil {
			return DisputeChange{}, err
		}
		hold, err := timers.New(TimerHoldLimit, limit(o), disputeTimerPayload{Order: o.ID, Dispute: id})
		if err != nil {
			return DisputeChange{}, errs.E(op, errs.Internal, err)
		}
		hold.Dedupe, hold.CreatedAt = TimerHoldLimit+":"+id, at
		o.Status, o.UpdatedAt = Disputed, at
		return DisputeChange{Order: o, Dispute: nd, Message: message(PartyBuyer, body, refs, at), Photos: ph, Timers: []timers.Timer{t, hold},
			Events: []events.Event{orderEvent(events.OrderDisputed, o, string(in.Reason), at), disputeEvent(events.DisputeOpened, nd, PartyBuyer, at)}}, nil
	})
}

// Dispute returns dispute id to its buyer, its merchant or an operator.
// Errors: Unauthenticated, NotFound.
func (s *Service) Dispute(ctx context.Context, actor identity.Actor, id string) (Dispute, error) {
	d, _, err := s.disputeOf(ctx, "order.Dispute", actor, id)
	return d, err
}

// OrderDispute returns the dispute of order orderID, to whoever may read
// the order and the dispute. Errors: as Order; NotFound (no dispute).
func (s *Service) OrderDispute(ctx context.Context, actor identity.Actor, orderID string) (Dispute, error) {
	const op = "order.OrderDispute"
	o, err := s.Order(ctx, actor, orderID)
	if err != nil {
		return Dispute{}, err
	}
	d, err := s.Store.DisputeOfOrder(ctx, o.ID)
	if err != nil {
		return Dispute{}, err
	}
	if partyOf(actor, d) == "" {
		return Dispute{}, errs.E(op, errs.NotFound, "dispute not found")
	}
	return d, nil
}

// Disputes lists the disputes actor may see (a buyer's own, a merchant's,
// all for an operator), newest first, optionally of one status. Errors:
// Unauthenticated, Forbidden (no buyer, merchant nor operator), Invalid.
func (s *Service) Disputes(ctx context.Context, actor identity.Actor, status DisputeStatus, cursor string, limit int) ([]Dispute, string, error) {
	const op = "order.Disputes"
	f := DisputeFilter{Status: status, Before: cursor, Limit: cmp.Or(limit, 20)}
	switch {
	case actor.IsAnonymous():
		return nil, "", errs.E(op, errs.Unauthenticated, "sign in")
	case actor.IsOperator():
	case actor.Role == identity.Buyer:
		f.BuyerID = actor.UserID
	case actor.MerchantID != "":
		f.MerchantID = actor.MerchantID
	default:
		return nil, "", errs.E(op, errs.Forbidden, "only buyers, merchants and operators have disputes")
	}
	if f.Limit < 1 || f.Limit > MaxDisputePage {
		return nil, "", errs.Field(op, "limit", fmt.Sprintf("must be 1 to %d", MaxDisputePage))
	}
	if cursor != "" && !ids.Valid(DisputeIDPrefix, cursor) {
		return nil, "", errs.Field(op, "cursor", "not a cursor of this list")
	}
	f.Limit++
	ds, err := s.Store.Disputes(ctx, f)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(ds) == f.Limit {
		ds = ds[:f.Limit-1]
		next = ds[len(ds)-1].ID
	}
	return ds, next, nil
}

// DisputePhoto returns a photo of dispute id to its parties. Errors:
// Unauthenticated, NotFound.
func (s *Service) DisputePhoto(ctx context.Context, actor identity.Actor, id, photoID string) (Photo, error) {
	const op = "order.DisputePhoto"
	d, _, err := s.disputeOf(ctx, op, actor, id)
	if err != nil {
		return Photo{}, err
	}
	if !ids.Valid(PhotoIDPrefix, photoID) {
		return Photo{}, errs.E(op, errs.NotFound, "photo not found")
	}
	return s.Store.DisputePhoto(ctx, d.ID, photoID)
}

// step runs one step of dispute id for the party actor is in it, and then
// completes a refund the step decided.
func (s *Service) step(ctx context.Context, op string, actor identity.Actor, id string, do func(o *Order, d *Dispute, party Party, at time.Time) (DisputeChange, error)) (Dispute, error) {
	d, party, err := s.disputeOf(ctx, op, actor, id)
	if err != nil {
		return Dispute{}, err
	}
	out, err := s.Store.AdvanceDispute(ctx, d.OrderID, s.Now().UTC(), func(o Order, d *Dispute, at time.Time) (DisputeChange, error) {
		if d == nil || d.ID != id {
			return DisputeChange{}, errs.E(op, errs.NotFound, "dispute not found")
		}
		nd := *d
		c, err := do(&o, &nd, party, at)
		if err != nil {
			return DisputeChange{}, err
		}
		c.Order, c.Dispute = o, nd
		return c, nil
	})
	if err != nil || out.Status != DisputeRefunding {
		return out, err
	}
	// The decision holds: a refund the provider cannot make now is made
	// by the dispute's refund timer.
	done, err := s.finishRefund(ctx, out)
	if err != nil {
		slog.WarnContext(ctx, "dispute refund deferred to its timer", "dispute", out.ID, "err", err)
		return out, nil
	}
	return done, nil
}

// PostMessage adds a message, with up to three photos, to an open
// dispute's thread, by its buyer, its merchant or an operator. Errors: as
// Dispute; Invalid; Conflict (closed, or its thread full).
func (s *Service) PostMessage(ctx context.Context, actor identity.Actor, id string, in MessageInput) (Dispute, error) {
	const op = "order.PostMessage"
	body, err := messageText(op, "message", in.Message, true)
	if err != nil {
		return Dispute{}, err
	}
	now := s.Now().UTC()
	ph, refs, err := photos(op, PhotoIDPrefix, id, in.Photos, now)
	if err != nil {
		return Dispute{}, err
	}
	return s.step(ctx, op, actor, id, func(o *Order, d *Dispute, party Party, at time.Time) (DisputeChange, error) {
		switch {
		case d.Status == DisputeClosed:
			return DisputeChange{}, errs.E(op, errs.Conflict, "the dispute is closed")
		case len(d.Messages) >= MaxDisputeMessages:
			return DisputeChange{}, errs.E(op, errs.Conflict, fmt.Sprintf("a dispute holds at most %d messages", MaxDisputeMessages))
		}
		d.UpdatedAt = at
		return DisputeChange{Message: message(party, body, refs, at), Photos: ph, Events: []events.Event{disputeEvent(events.DisputeMessaged, *d, party, at)}}, nil
	})
}

// Answer is the merchant's answer to a dispute awaiting it: refund what
// the buyer asked for, offer a partial refund, or contest the claim (with
// a message saying why). An offer or a contest gives the buyer
// BuyerReplyDays to answer. Errors: as Dispute; Forbidden (not the
// dispute's merchant); Invalid; Conflict (not awaiting the merchant).
func (s *Service) Answer(ctx context.Context, actor identity.Actor, id string, in AnswerInput) (Dispute, error) {
	const op = "order.Answer"
	body, err := messageText(op, "message", in.Message, in.Action == "contest")
	if err != nil {
		return Dispute{}, err
	}
	if in.Action != "refund" && in.Action != "offer" && in.Action != "contest" {
		return Dispute{}, errs.Field(op, "action", "one of refund, offer, contest")
	}
	return s.step(ctx, op, actor, id, func(o *Order, d *Dispute, party Party, at time.Time) (DisputeChange, error) {
		if party != PartyMerchant {
			return DisputeChange{}, errs.E(op, errs.Forbidden, "only the order's merchant answers its dispute")
		}
		if d.Status != DisputeAwaitingMerchant {
			return DisputeChange{}, errs.E(op, errs.Conflict, "the dispute is not awaiting the merchant's answer")
		}
		var c DisputeChange
		if body != "" {
			c.Message = message(PartyMerchant, body, nil, at)
		}
		switch in.Action {
		case "refund":
			t, err := refunding(d, d.Requested, PartyMerchant, at)
			if err != nil {
				return c, err
			}
			c.Timers, c.Events = []timers.Timer{t}, []events.Event{disputeEvent(events.DisputeRefunding, *d, PartyMerchant, at)}
			return c, nil
		case "offer":
			if in.Amount < 1 || in.Amount >= d.Requested.Minor {
				return c, errs.Field(op, "amount", fmt.Sprintf("an offer is more than 0 and less than the %d asked for", d.Requested.Minor))
			}
			d.Offer = &money.Amount{Minor: in.Amount, Currency: d.Requested.Currency}
		default:
			d.Contested = true
		}
		d.Status, d.UpdatedAt = DisputeAwaitingBuyer, at
		t, err := deadline(d, BuyerReplyDays, at)
		if err != nil {
			return c, err
		}
		c.Timers, c.Events = []timers.Timer{t}, []events.Event{disputeEvent(events.DisputeAnswered, *d, PartyMerchant, at)}
		return c, nil
	})
}

// Accept is the buyer's acceptance of the merchant's answer: the offer is
// refunded, or a contested claim is dropped and the order completed.
// Errors: as Dispute; Forbidden (not its buyer); Conflict (not awaiting
// the buyer).
func (s *Service) Accept(ctx context.Context, actor identity.Actor, id string) (Dispute, error) {
	const op = "order.Accept"
	return s.step(ctx, op, actor, id, func(o *Order, d *Dispute, party Party, at time.Time) (DisputeChange, error) {
		if party != PartyBuyer {
			return DisputeChange{}, errs.E(op, errs.Forbidden, "only the order's buyer accepts the merchant's answer")
		}
		if d.Status != DisputeAwaitingBuyer {
			return DisputeChange{}, errs.E(op, errs.Conflict, "the dispute is not awaiting the buyer's answer")
		}
		return accepting(o, d, PartyBuyer, at)
	})
}

// accepting takes the merchant's answer in dispute d.
func accepting(o *Order, d *Dispute, by Party, at time.Time) (DisputeChange, error) {
	if d.Offer != nil {
		t, err := refunding(d, *d.Offer, by, at)
		if err != nil {
			return DisputeChange{}, err
		}
		return DisputeChange{Timers: []timers.Timer{t}, Events: []events.Event{disputeEvent(events.DisputeRefunding, *d, by, at)}}, nil
	}
	ev := rejecting(o, d, by, at)
	return DisputeChange{Events: []events.Event{ev, disputeEvent(events.DisputeClosed, *d, by, at)}}, nil
}

// Escalate is the buyer's request that an operator decide a dispute the
// merchant answered. Errors: as Accept.
func (s *Service) Escalate(ctx context.Context, actor identity.Actor, id string) (Dispute, error) {
	const op = "order.Escalate"
	return s.step(ctx, op, actor, id, func(o *Order, d *Dispute, party Party, at time.Time) (DisputeChange, error) {
		if party != PartyBuyer {
			return DisputeChange{}, errs.E(op, errs.Forbidden, "only the order's buyer escalates its dispute")
		}
		if d.Status != DisputeAwaitingBuyer {
			return DisputeChange{}, errs.E(op, errs.Conflict, "the dispute is not awaiting the buyer's answer")
		}
		d.Status, d.ReplyDueAt, d.UpdatedAt = DisputeEscalated, nil, at
		return DisputeChange{Events: []events.Event{disputeEvent(events.DisputeEscalated, *d, PartyBuyer, at)}}, nil
	})
}

// Withdraw is the buyer's withdrawal of an open dispute: the order goes
// back to shipped or delivered and its protection runs again for what was
// left of it when the dispute opened (never past the order's limit). A
// withdrawn dispute is not opened again. Errors: as Accept (open: not
// refunding nor closed).
func (s *Service) Withdraw(ctx context.Context, actor identity.Actor, id string) (Dispute, error) {
	const op = "order.Withdraw"
	return s.step(ctx, op, actor, id, func(o *Order, d *Dispute, party Party, at time.Time) (DisputeChange, error) {
		if party != PartyBuyer {
			return DisputeChange{}, errs.E(op, errs.Forbidden, "only the order's buyer withdraws its dispute")
		}
		if d.Status == DisputeRefunding || d.Status == DisputeClosed {
			return DisputeChange{}, errs.E(op, errs.Conflict, "the dispute is "+wording(Status(d.Status)))
		}
		d.Status, d.Outcome, d.DecidedBy, d.ReplyDueAt, d.ClosedAt, d.UpdatedAt, d.Offer = DisputeClosed, OutcomeWithdrawn, PartyBuyer, nil, &at, at, nil
		end := minTime(at.Add(d.ProtectionLeft), limit(*o))
		o.Status, o.ProtectionEndsAt, o.UpdatedAt = cmp.Or(d.OrderWas, Shipped), &end, at
		t, err := autoConfirm(*o, "resumed:"+d.ID, at)
		if err != nil {
			return DisputeChange{}, err
		}
		return DisputeChange{Timers: []timers.Timer{*t}, Events: []events.Event{orderEvent(events.OrderProtectionResumed, *o, "dispute_withdrawn", at),
			disputeEvent(events.DisputeClosed, *d, PartyBuyer, at)}}, nil
	})
}

// Decide is an operator's decision of an escalated dispute: a refund of
// in.Refund (0 rejects the claim and completes the order), with the
// grounds as a message to both parties. Errors: as Dispute; Forbidden (not
// an operator); Invalid; Conflict (not escalated).
func (s *Service) Decide(ctx context.Context, actor identity.Actor, id string, in DecisionInput) (Dispute, error) {
	const op = "order.Decide"
	body, err := messageText(op, "message", in.Message, true)
	if err != nil {
		return Dispute{}, err
	}
	return s.step(ctx, op, actor, id, func(o *Order, d *Dispute, party Party, at time.Time) (DisputeChange, error) {
		if party != PartyOperator {
			return DisputeChange{}, errs.E(op, errs.Forbidden, "only operators decide disputes")
		}
		if d.Status != DisputeEscalated {
			return DisputeChange{}, errs.E(op, errs.Conflict, "only an escalated dispute is decided by an operator")
		}
		if in.Refund < 0 || in.Refund > o.Total.Minor {
			return DisputeChange{}, errs.Field(op, "refund", fmt.Sprintf("0 to the order's total, %d", o.Total.Minor))
		}
		c := DisputeChange{Message: message(PartyOperator, body, nil, at)}
		if in.Refund == 0 {
			ev := rejecting(o, d, PartyOperator, at)
			c.Events = []events.Event{ev, disputeEvent(events.DisputeClosed, *d, PartyOperator, at)}
			return c, nil
		}
		t, err := refunding(d, money.Amount{Minor: in.Refund, Currency: o.Total.Currency}, PartyOperator, at)
		if err != nil {
			return c, err
		}
		c.Timers, c.Events = []timers.Timer{t}, []events.Event{disputeEvent(events.DisputeRefunding, *d, PartyOperator, at)}
		return c, nil
	})
}

// finishRefund makes the refund dispute d decided at the payment provider
// (idempotent there by the order's refund key) and then closes it: the
// order is refunded (in full) or completed (in part), its ledger posting
// reversing the refunded share of its settlement and commission. A
// dispute no longer refunding is returned as it is.
func (s *Service) finishRefund(ctx context.Context, d Dispute) (Dispute, error) {
	const op = "order.finishRefund"
	if d.Status != DisputeRefunding || d.Refund == nil {
		return d, nil
	}
	o, err := s.Store.Order(ctx, d.OrderID)
	if err != nil {
		return d, err
	}
	co, err := s.Store.Checkout(ctx, o.CheckoutID)
	if err != nil {
		return d, err
	}
	prov, ok := s.Providers[co.Payment.Provider]
	if !ok {
		return d, errs.E(op, errs.Unavailable, "the payment's provider is not configured")
	}
	refund := *d.Refund
	res, err := prov.Refund(ctx, co.Payment.ProviderRef, "refund/"+o.ID, refund)
	if err != nil {
		return d, errs.E(op, errs.Unavailable, err)
	}
	out, err := s.Store.AdvanceDispute(ctx, d.OrderID, s.Now().UTC(), func(o Order, cur *Dispute, at time.Time) (DisputeChange, error) {
		if cur == nil || cur.ID != d.ID || cur.Status != DisputeRefunding {
			return DisputeChange{}, errs.E(op, errs.Conflict, "the refund was completed already")
		}
		nd := *cur
		settle, com, err := RefundShare(o, refund)
		if err != nil {
			return DisputeChange{}, err
		}
		o.Refund = &OrderRefund{Amount: refund, Settlement: settle, Commission: com, At: at}
		nd.Status, nd.ClosedAt, nd.UpdatedAt, nd.Offer = DisputeClosed, &at, at, nil
		var ev events.Event
		if refund.Minor == o.Total.Minor {
			nd.Outcome = OutcomeRefunded
			o.Status, o.UpdatedAt = Refunded, at
			ev = orderEvent(events.OrderRefunded, o, string(nd.Reason), at)
		} else {
			nd.Outcome = OutcomePartiallyRefunded
			o.Status, o.UpdatedAt, o.ConfirmedAt = Completed, at, &at
			ev = orderEvent(events.OrderConfirmed, o, "dispute_partially_refunded", at)
		}
		return DisputeChange{Order: o, Dispute: nd, Refunded: &RefundRecord{OrderID: o.ID, Amount: refund, ProviderRef: res.Ref},
			Events: []events.Event{ev, disputeEvent(events.DisputeClosed, nd, nd.DecidedBy, at)}}, nil
	})
	if errs.Is(err, errs.Conflict) {
		return s.Store.Dispute(ctx, d.ID)
	}
	return out, err
}

// DisputeRefundTimer is the handler of TimerDisputeRefund: a refund
// decided but not completed (the process died, the provider was down) is
// completed. A failure is retried by the runner.
func (s *Service) DisputeRefundTimer(ctx context.Context, t timers.Timer) error {
	var p disputeTimerPayload
	if err := json.Unmarshal(t.Payload, &p); err != nil || p.Dispute == "" {
		return nil
	}
	d, err := s.Store.Dispute(ctx, p.Dispute)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = s.finishRefund(ctx, d)
	return err
}

// HoldLimitTimer is the handler of TimerHoldLimit: a dispute still open
// when its order reaches ProtectionLimit (an operator has not decided it,
// a deadline falls later) is decided then, as the deadline of the party
// whose turn it is would: awaiting the merchant or an operator, the buyer
// is refunded what they asked for; awaiting the buyer, the merchant's
// offer is accepted, or a contested claim dropped. A dispute decided
// meanwhile is left.
func (s *Service) HoldLimitTimer(ctx context.Context, t timers.Timer) error {
	var p disputeTimerPayload
	if err := json.Unmarshal(t.Payload, &p); err != nil || p.Order == "" || p.Dispute == "" {
		return nil
	}
	const op = "order.HoldLimitTimer"
	_, err := s.Store.AdvanceDispute(ctx, p.Order, s.Now().UTC(), func(o Order, d *Dispute, at time.Time) (DisputeChange, error) {
		if d == nil || d.ID != p.Dispute || at.Before(limit(o)) {
			return DisputeChange{}, errs.E(op, errs.Conflict, "not at the order's limit")
		}
		return decideBySilence(op, o, *d, at, true)
	})
	if errs.Is(err, errs.Conflict) || errs.Is(err, errs.NotFound) {
		return nil
	}
	return err
}

// DisputeDeadlineTimer is the handler of TimerDisputeDeadline: a deadline
// passed in silence decides. A merchant's silence refunds the buyer what
// they asked for; a buyer's accepts the merchant's offer, or drops a
// contested claim. A dispute that moved on meanwhile is left.
func (s *Service) DisputeDeadlineTimer(ctx context.Context, t timers.Timer) error {
	var p disputeTimerPayload
	if err := json.Unmarshal(t.Payload, &p); err != nil || p.Order == "" || p.Dispute == "" {
		return nil
	}
	const op = "order.DisputeDeadlineTimer"
	_, err := s.Store.AdvanceDispute(ctx, p.Order, s.Now().UTC(), func(o Order, d *Dispute, at time.Time) (DisputeChange, error) {
		if d == nil || d.ID != p.Dispute || d.ReplyDueAt == nil || !d.ReplyDueAt.Equal(p.Due) || at.Before(*d.ReplyDueAt) {
			return DisputeChange{}, errs.E(op, errs.Conflict, "the deadline moved")
		}
		return decideBySilence(op, o, *d, at, false)
	})
	if errs.Is(err, errs.Conflict) || errs.Is(err, errs.NotFound) {
		return nil
	}
	// A refund decided here is completed by its own timer, outside this
	// transaction: the provider is not called while it holds the store.
	return err
}

// decideBySilence decides dispute nd of order o at at, as the silence of
// the party whose turn it is: the merchant's (or, with escalated, an
// operator's on an escalated dispute) refunds the buyer what they asked
// for; the buyer's accepts the merchant's offer, or drops a contested
// claim. Conflict when it awaits no one.
func decideBySilence(op string, o Order, nd Dispute, at time.Time, escalated bool) (DisputeChange, error) {
	var c DisputeChange
	switch {
	case nd.Status == DisputeAwaitingMerchant, escalated && nd.Status == DisputeEscalated:
		t, err := refunding(&nd, nd.Requested, PartyDeadline, at)
		if err != nil {
			return c, err
		}
		c.Timers, c.Events = []timers.Timer{t}, []events.Event{disputeEvent(events.DisputeRefunding, nd, PartyDeadline, at)}
	case nd.Status == DisputeAwaitingBuyer:
		var err error
		if c, err = accepting(&o, &nd, PartyDeadline, at); err != nil {
			return c, err
		}
	default:
		return c, errs.E(op, errs.Conflict, "the dispute awaits no one")
	}
	c.Order, c.Dispute = o, nd
	return c, nil
}
