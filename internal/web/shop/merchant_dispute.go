package shop

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/order"
)

// The merchants' console's disputes: those awaiting the merchant's answer,
// nearest deadline first, and the others; a dispute's page with its order,
// its thread and photos, the answer the order service allows (refund what
// the buyer asks, offer part of it, or contest) and a message with photos.

// patternSellerDispute is where a dispute's forms post: the merchant's
// answer (action answer) or a message (action message).
const patternSellerDispute = "POST /merchant/{lang}/disputes/{id}/{action}"

// sellerDisputeStatuses are the statuses the list filters by, "" for all;
// those waiting for the merchant first.
var sellerDisputeStatuses = []order.DisputeStatus{order.DisputeAwaitingMerchant, order.DisputeAwaitingBuyer, order.DisputeEscalated, order.DisputeRefunding, order.DisputeClosed, ""}

// sellerDisputeRow is a dispute in the merchants' console's list.
type sellerDisputeRow struct {
	dueRow
	Order, Status, StatusClass, Opened string
}

type sellerDisputesPage struct {
	*base
	Statuses []option
	Rows     []sellerDisputeRow
	Next     string
}

func (s *Shop) sellerDisputes(w http.ResponseWriter, r *http.Request, b *base, actor identity.Actor) {
	q := r.URL.Query()
	st := order.DisputeStatus(q.Get("status"))
	if !q.Has("status") {
		st = order.DisputeAwaitingMerchant
	}
	if !slices.Contains(sellerDisputeStatuses, st) {
		s.fail(w, r, b, errs.E("shop.sellerDisputes", errs.Invalid, "unknown status"))
		return
	}
	ds, next, err := s.svc.Orders.Disputes(r.Context(), actor, st, q.Get("after"), consolePageSize)
	if errs.Is(err, errs.Invalid) {
		ds, next, err = s.svc.Orders.Disputes(r.Context(), actor, st, "", consolePageSize)
	}
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	p := sellerDisputesPage{base: b}
	for _, v := range sellerDisputeStatuses {
		p.Statuses = append(p.Statuses, option{Value: string(v), Label: consoleDisputeStatus(b.W, v), Selected: v == st})
	}
	if next != "" {
		p.Next = b.Home + "disputes?status=" + url.QueryEscape(string(st)) + "&after=" + url.QueryEscape(next)
	}
	byID := map[string]order.Dispute{}
	for _, d := range ds {
		byID[d.ID] = d
	}
	for _, row := range s.dueRows(b, ds) {
		d := byID[row.ID]
		if d.Status != order.DisputeAwaitingMerchant && d.Status != order.DisputeAwaitingBuyer {
			row.Due, row.Late = "", false
		}
		p.Rows = append(p.Rows, sellerDisputeRow{dueRow: row, Order: d.OrderID, Status: consoleDisputeStatus(b.W, d.Status), StatusClass: string(d.Status),
			Opened: day(d.CreatedAt)})
	}
	s.sellerPage(w, r, b, http.StatusOK, "merchant_disputes", b.W.T("console_disputes"), p)
}

// answerForm is what a refused answer or message sends back to the page.
type answerForm struct {
	Action, Amount, Message, Error, Field string
}

type sellerDisputePage struct {
	*base
	D                   order.Dispute
	O                   order.Order
	Status, Reason      string
	Requested, Offer    string
	Refund, Total, Due  string
	Late                bool
	Opened, Outcome     string
	Lines               string
	Messages            []consoleMessage
	CanAnswer, CanWrite bool
	Form                answerForm
	Notice              string
}

func (s *Shop) sellerDispute(w http.ResponseWriter, r *http.Request, b *base, actor identity.Actor, id string, status int, f answerForm) {
	d, err := s.svc.Orders.Dispute(r.Context(), actor, id)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	o, err := s.svc.Orders.Order(r.Context(), actor, d.OrderID)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	p := sellerDisputePage{base: b, D: d, O: o, Status: disputeStatusText(b.W, d), Reason: reasonText(b.W, d.Reason),
		Requested: s.money(b, d.Requested), Total: s.money(b, o.Total), Opened: day(d.CreatedAt), Lines: s.sellerOrderOf(b, o).Lines,
		CanAnswer: d.Status == order.DisputeAwaitingMerchant, CanWrite: d.Status != order.DisputeClosed, Form: f}
	if d.Status == order.DisputeAwaitingMerchant {
		p.Status = b.W.T("console_dispute_awaiting_merchant")
	}
	if d.Offer != nil {
		p.Offer = s.money(b, *d.Offer)
	}
	if d.Refund != nil {
		p.Refund = s.money(b, *d.Refund)
	}
	if d.ReplyDueAt != nil && (d.Status == order.DisputeAwaitingMerchant || d.Status == order.DisputeAwaitingBuyer) {
		p.Due = d.ReplyDueAt.UTC().Format("2006-01-02 15:04") + " UTC"
		p.Late = d.Status == order.DisputeAwaitingMerchant && d.ReplyDueAt.Sub(s.now()) < 24*time.Hour
	}
	if d.Status == order.DisputeClosed {
		p.Outcome = disputeStatusText(b.W, d)
	}
	if p.Form.Action == "" {
		p.Form.Action = "refund"
	}
	for _, m := range d.Messages {
		author := b.W.T("console_author_buyer")
		switch m.Author {
		case order.PartyMerchant:
			author = b.W.T("mc_author_you")
		case order.PartyOperator:
			author = b.W.T("dispute_author_operator")
		}
		cm := consoleMessage{Author: author, Date: m.CreatedAt.UTC().Format("2006-01-02 15:04"), Body: m.Body}
		for i, ph := range m.Photos {
			cm.Photos = append(cm.Photos, photoView{Href: b.Home + "disputes/" + url.PathEscape(d.ID) + "/photos/" + url.PathEscape(ph),
				Alt: b.W.T("dispute_photo_alt", "Author", author, "N", i+1)})
		}
		p.Messages = append(p.Messages, cm)
	}
	if f.Error == "" {
		switch r.URL.Query().Get("done") {
		case "answer":
			p.Notice = b.W.T("mc_done_answered")
		case "message":
			p.Notice = b.W.T("msg_dispute_messaged")
		}
	}
	s.sellerPage(w, r, b, status, "merchant_dispute", b.W.T("console_dispute_title", "ID", d.ID), p)
}

// sellerDisputePhoto serves a photo of one of the merchant's disputes.
func (s *Shop) sellerDisputePhoto(w http.ResponseWriter, r *http.Request, b *base, actor identity.Actor, id, photoID string) {
	p, err := s.svc.Orders.DisputePhoto(r.Context(), actor, id, photoID)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", p.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", p.CreatedAt.Truncate(time.Second), bytes.NewReader(p.Data))
}

// sellerDisputeAction answers a dispute or writes in it.
func (s *Shop) sellerDisputeAction(w http.ResponseWriter, r *http.Request) {
	b, actor, ok := s.staff(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxDisputeForm)
	id, action := r.PathValue("id"), r.PathValue("action")
	if action != "answer" && action != "message" {
		s.notFound(w, r, b)
		return
	}
	err := parseDisputeForm(r)
	f := answerForm{Action: r.PostFormValue("answer"), Amount: r.PostFormValue("amount"), Message: r.PostFormValue("message")}
	if action == "message" {
		f.Action = "message"
	}
	if err == nil {
		switch action {
		case "answer":
			var d order.Dispute
			if d, err = s.svc.Orders.Dispute(r.Context(), actor, id); err != nil {
				break
			}
			in := order.AnswerInput{Action: f.Action, Message: f.Message}
			if f.Action == "offer" {
				a, perr := money.ParseMajor(strings.TrimSpace(f.Amount), d.Requested.Currency)
				if perr != nil {
					err = errs.Field("shop.sellerDisputeAction", "amount", "not an amount")
					break
				}
				in.Amount = a.Minor
			}
			_, err = s.svc.Orders.Answer(r.Context(), actor, id, in)
		case "message":
			var ph []order.PhotoUpload
			if ph, err = formPhotos(r); err == nil {
				_, err = s.svc.Orders.PostMessage(r.Context(), actor, id, order.MessageInput{Message: f.Message, Photos: ph})
			}
		}
	}
	if errs.Is(err, errs.Forbidden) {
		err = errs.E("shop.sellerDisputeAction", errs.NotFound, "dispute not found")
	}
	switch k := errs.KindOf(err); {
	case err == nil:
		http.Redirect(w, r, b.Home+"disputes/"+url.PathEscape(id)+"?done="+action, http.StatusSeeOther)
	case k == errs.Invalid:
		f.Field = errs.FieldOf(err)
		switch {
		case f.Field == "message":
			f.Error = b.W.T("mc_err_dispute_message")
		case strings.HasPrefix(f.Field, "photos"):
			f.Error = b.W.T("mc_err_dispute_photos")
		case f.Field == "action":
			f.Error = b.W.T("mc_err_answer_action")
		case f.Field == "amount" || action == "answer":
			f.Field, f.Error = "amount", b.W.T("mc_err_offer")
		default:
			f.Error = b.W.T("mc_err_dispute_message")
		}
		s.sellerDispute(w, r, b, actor, id, http.StatusBadRequest, f)
	case k == errs.Conflict:
		f.Error = b.W.T("mc_err_dispute_conflict")
		s.sellerDispute(w, r, b, actor, id, http.StatusConflict, f)
	default:
		s.fail(w, r, b, err)
	}
}

// sellerDisputePhotoPath reads "disputes/{id}/photos/{photo}".
func sellerDisputePhotoPath(page string) (id, photoID string, ok bool) {
	parts := strings.Split(page, "/")
	if len(parts) != 4 || parts[0] != "disputes" || parts[2] != "photos" || parts[1] == "" || parts[3] == "" {
		return "", "", false
	}
	return parts[1], parts[3], true
}
