package shop

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/promise"
	"github.com/sesame-market/sesame/internal/web/api"
)

// The buyer's dispute forms post to patternDispute (open) and
// patternDisputeAct (write, accept, escalate, withdraw) without
// JavaScript, photos as multipart files; the server answers with the
// order's page.
const (
	patternDispute    = "POST /{channel}/{lang}/orders/{id}/dispute"
	patternDisputeAct = "POST /{channel}/{lang}/orders/{id}/dispute/{action}"
)

// maxDisputeForm bounds a dispute form: three photos of 4 MiB and the text.
const maxDisputeForm = order.MaxPhotos*order.MaxPhotoBytes + 64<<10

// disputeView is an order's dispute as its buyer's page shows it.
type disputeView struct {
	ID, Status, StatusClass, Reason, Requested, Offer, Refund, Due, Outcome string
	Contested, Open                                                         bool
	CanAccept, CanEscalate, CanWithdraw                                     bool
	Messages                                                                []messageView
}

// messageView is a message of the thread, with its photos.
type messageView struct {
	Author, Date, Body string
	Mine               bool
	Photos             []photoView
}

// photoView is a photo's address and its text alternative.
type photoView struct{ Href, Alt string }

// reasonOption is a reason of the dispute form.
type reasonOption struct{ Value, Label string }

func reasonText(W *Words, r order.DisputeReason) string {
	switch r {
	case order.ReasonNotReceived:
		return W.T("dispute_reason_not_received")
	case order.ReasonNotAsDescribed:
		return W.T("dispute_reason_not_as_described")
	case order.ReasonDamaged:
		return W.T("dispute_reason_damaged")
	case order.ReasonWrongItem:
		return W.T("dispute_reason_wrong_item")
	case order.ReasonCounterfeit:
		return W.T("dispute_reason_counterfeit")
	}
	return string(r)
}

func reasonOptions(b *base) []reasonOption {
	var out []reasonOption
	for _, r := range order.DisputeReasons() {
		out = append(out, reasonOption{Value: string(r), Label: reasonText(b.W, r)})
	}
	return out
}

func authorText(W *Words, p order.Party) string {
	switch p {
	case order.PartyBuyer:
		return W.T("dispute_author_buyer")
	case order.PartyMerchant:
		return W.T("dispute_author_merchant")
	}
	return W.T("dispute_author_operator")
}

// disputeStatusText says where a dispute stands, to its buyer.
func disputeStatusText(W *Words, d order.Dispute) string {
	switch d.Status {
	case order.DisputeAwaitingMerchant:
		return W.T("dispute_awaiting_merchant")
	case order.DisputeAwaitingBuyer:
		return W.T("dispute_awaiting_buyer")
	case order.DisputeEscalated:
		return W.T("dispute_escalated")
	case order.DisputeRefunding:
		return W.T("dispute_refunding")
	}
	switch d.Outcome {
	case order.OutcomeRefunded:
		return W.T("dispute_outcome_refunded")
	case order.OutcomePartiallyRefunded:
		return W.T("dispute_outcome_partially_refunded")
	case order.OutcomeRejected:
		return W.T("dispute_outcome_rejected")
	}
	return W.T("dispute_outcome_withdrawn")
}

// orderDispute adds the order's dispute to its buyer's page, or the form
// that opens one while the order may be disputed.
func (s *Shop) orderDispute(r *http.Request, b *base, o order.Order, row *orderRow) error {
	actor := api.ActorFrom(r.Context())
	if o.BuyerID != actor.UserID {
		return nil
	}
	d, err := s.svc.Orders.OrderDispute(r.Context(), actor, o.ID)
	if errs.Is(err, errs.NotFound) {
		if (o.Status == order.Shipped || o.Status == order.Delivered) && o.ProtectionEndsAt != nil && s.now().Before(*o.ProtectionEndsAt) {
			row.CanDispute, row.Reasons = true, reasonOptions(b)
			row.RefundMax = o.Total.Decimal()
			if b.Lang == "fr" { // a decimal comma
				row.RefundMax = strings.Replace(row.RefundMax, ".", ",", 1)
			}
		}
		return nil
	}
	if err != nil {
		return err
	}
	row.Dispute = s.disputeViewOf(b, o, d)
	if d.Status == order.DisputeClosed && d.Outcome != order.OutcomeWithdrawn {
		// The dispute, not the buyer, completed the order: its section says how.
		row.Confirmed = ""
	}
	return nil
}

func (s *Shop) disputeViewOf(b *base, o order.Order, d order.Dispute) *disputeView {
	today := promise.DateOf(s.now(), nil)
	open := d.Status != order.DisputeClosed && d.Status != order.DisputeRefunding
	v := &disputeView{ID: d.ID, Status: disputeStatusText(b.W, d), StatusClass: string(d.Status), Reason: reasonText(b.W, d.Reason),
		Requested: s.money(b, d.Requested), Contested: d.Contested, Open: open,
		CanAccept: d.Status == order.DisputeAwaitingBuyer, CanEscalate: d.Status == order.DisputeAwaitingBuyer, CanWithdraw: open}
	if d.Offer != nil {
		v.Offer = s.money(b, *d.Offer)
	}
	if d.Refund != nil {
		v.Refund = s.money(b, *d.Refund)
	}
	if d.ReplyDueAt != nil {
		v.Due = dayText(b.W, d.ReplyDueAt, today)
	}
	for _, m := range d.Messages {
		mv := messageView{Author: authorText(b.W, m.Author), Date: dayText(b.W, &m.CreatedAt, today), Body: m.Body, Mine: m.Author == order.PartyBuyer}
		for i, p := range m.Photos {
			mv.Photos = append(mv.Photos, photoView{Href: b.Home + "orders/" + o.ID + "/dispute/photos/" + p,
				Alt: b.W.T("dispute_photo_alt", "Author", mv.Author, "N", i+1)})
		}
		v.Messages = append(v.Messages, mv)
	}
	return v
}

// formPhotos reads the photos of a dispute form (field photos, up to
// order.MaxPhotos files; an empty file input sends none).
func formPhotos(r *http.Request) ([]order.PhotoUpload, error) {
	const op = "shop.formPhotos"
	if r.MultipartForm == nil {
		return nil, nil
	}
	var out []order.PhotoUpload
	for _, fh := range r.MultipartForm.File["photos"] {
		if fh.Size == 0 && fh.Filename == "" {
			continue
		}
		if len(out) == order.MaxPhotos {
			return nil, errs.Field(op, "photos", "at most 3 photos")
		}
		data, err := readPart(fh)
		if err != nil {
			return nil, err
		}
		out = append(out, order.PhotoUpload{Data: data})
	}
	return out, nil
}

func readPart(fh *multipart.FileHeader) ([]byte, error) {
	if fh.Size > order.MaxPhotoBytes {
		return nil, errs.Field("shop.readPart", "photos[0].data", "a photo is at most 4 MiB")
	}
	f, err := fh.Open()
	if err != nil {
		return nil, errs.E("shop.readPart", errs.Invalid, err)
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, order.MaxPhotoBytes+1))
}

// parseDisputeForm reads a multipart (or plain) form; a body too large
// is Invalid.
func parseDisputeForm(r *http.Request) error {
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(8 << 20)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errs.Field("shop.parseDisputeForm", "photos", "the photos are too large")
		}
		return errs.E("shop.parseDisputeForm", errs.Invalid, err)
	}
	return nil
}

// disputeRefused answers a dispute form the service refused: a field
// the buyer can fix goes back to the order's page with a notice saying
// which; anything else as backToOrder does.
func (s *Shop) disputeRefused(w http.ResponseWriter, r *http.Request, b *base, id, msg string, err error) {
	if errs.Is(err, errs.Invalid) {
		field := errs.FieldOf(err)
		switch {
		case strings.HasPrefix(field, "photos"):
			msg = "dispute_bad_photo"
		case field == "refund":
			msg = "dispute_bad_refund"
		case field == "message":
			msg = "dispute_bad_message"
		default:
			msg = "dispute_bad_form"
		}
		s.redirectWith(w, r, b.Home+"orders/"+id, msg)
		return
	}
	s.backToOrder(w, r, b, id, msg, err)
}

// openDispute is the buyer's dispute of an order, posted by its page.
func (s *Shop) openDispute(w http.ResponseWriter, r *http.Request) {
	b, ok := s.posted(w, r, maxDisputeForm)
	if !ok {
		return
	}
	id, actor := r.PathValue("id"), api.ActorFrom(r.Context())
	if err := parseDisputeForm(r); err != nil {
		s.disputeRefused(w, r, b, id, "", err)
		return
	}
	o, err := s.svc.Orders.Order(r.Context(), actor, id)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	in := order.DisputeInput{Reason: order.DisputeReason(r.PostFormValue("reason")), Message: r.PostFormValue("message")}
	if v := strings.TrimSpace(r.PostFormValue("refund")); v != "" {
		a, err := money.ParseMajor(v, o.Total.Currency)
		if err != nil {
			s.disputeRefused(w, r, b, id, "", errs.Field("shop.openDispute", "refund", "not an amount"))
			return
		}
		in.Refund = a.Minor
	}
	if in.Photos, err = formPhotos(r); err != nil {
		s.disputeRefused(w, r, b, id, "", err)
		return
	}
	_, err = s.svc.Orders.OpenDispute(r.Context(), actor, id, in)
	s.disputeRefused(w, r, b, id, "dispute_opened", err)
}

// disputeAction is the buyer's message in a dispute (action message), or
// answer to the merchant (accept, escalate), or withdrawal.
func (s *Shop) disputeAction(w http.ResponseWriter, r *http.Request) {
	b, ok := s.posted(w, r, maxDisputeForm)
	if !ok {
		return
	}
	id, actor := r.PathValue("id"), api.ActorFrom(r.Context())
	if err := parseDisputeForm(r); err != nil {
		s.disputeRefused(w, r, b, id, "", err)
		return
	}
	d, err := s.svc.Orders.OrderDispute(r.Context(), actor, id)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	var msg string
	switch r.PathValue("action") {
	case "message":
		var ph []order.PhotoUpload
		if ph, err = formPhotos(r); err == nil {
			_, err = s.svc.Orders.PostMessage(r.Context(), actor, d.ID, order.MessageInput{Message: r.PostFormValue("message"), Photos: ph})
		}
		msg = "dispute_messaged"
	case "accept":
		_, err = s.svc.Orders.Accept(r.Context(), actor, d.ID)
		msg = "dispute_accepted"
	case "escalate":
		_, err = s.svc.Orders.Escalate(r.Context(), actor, d.ID)
		msg = "dispute_escalated_msg"
	case "withdraw":
		_, err = s.svc.Orders.Withdraw(r.Context(), actor, d.ID)
		msg = "dispute_withdrawn"
	default:
		err = errs.E("shop.disputeAction", errs.NotFound, "no such action")
	}
	if errs.Is(err, errs.Forbidden) {
		err = errs.E("shop.disputeAction", errs.NotFound, "order not found")
	}
	s.disputeRefused(w, r, b, id, msg, err)
}

// disputePhoto serves a photo of an order's dispute to whoever may read
// the dispute (its buyer, here); like every page of a signed-in buyer, no
// cache stores it.
func (s *Shop) disputePhoto(w http.ResponseWriter, r *http.Request, orderID, photoID string) {
	b, ok := s.storefront(w, r)
	if !ok {
		return
	}
	if !b.SignedIn {
		http.Redirect(w, r, signInPath(b, r.URL.Path), http.StatusSeeOther)
		return
	}
	actor := api.ActorFrom(r.Context())
	d, err := s.svc.Orders.OrderDispute(r.Context(), actor, orderID)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	p, err := s.svc.Orders.DisputePhoto(r.Context(), actor, d.ID, photoID)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", p.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", p.CreatedAt.Truncate(time.Second), bytes.NewReader(p.Data))
}

// disputePhotoPath reads "orders/{id}/dispute/photos/{photo}".
func disputePhotoPath(page string) (orderID, photoID string, ok bool) {
	parts := strings.Split(page, "/")
	if len(parts) != 5 || parts[0] != "orders" || parts[2] != "dispute" || parts[3] != "photos" || parts[1] == "" || parts[4] == "" {
		return "", "", false
	}
	return parts[1], parts[4], true
}
