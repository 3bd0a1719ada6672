package shop

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/order"
)

// patternConsoleDispute is where the console's dispute forms post: an
// operator's decision (action decide) or message (action message).
const patternConsoleDispute = "POST /admin/{lang}/disputes/{id}/{action}"

// disputeStatuses are the statuses the console's list filters by, ""
// for all; escalated ones, waiting for an operator, first.
var disputeStatuses = []order.DisputeStatus{order.DisputeEscalated, order.DisputeAwaitingMerchant, order.DisputeAwaitingBuyer, order.DisputeRefunding, order.DisputeClosed, ""}

// consoleDisputeStatus is a dispute status in the operator's words.
func consoleDisputeStatus(W *Words, st order.DisputeStatus) string {
	switch st {
	case order.DisputeEscalated:
		return W.T("console_dispute_escalated")
	case order.DisputeAwaitingMerchant:
		return W.T("console_dispute_awaiting_merchant")
	case order.DisputeAwaitingBuyer:
		return W.T("console_dispute_awaiting_buyer")
	case order.DisputeRefunding:
		return W.T("dispute_refunding")
	case order.DisputeClosed:
		return W.T("console_dispute_closed")
	}
	return W.T("merchant_any")
}

// disputeRow is a dispute in the console's list.
type disputeRow struct {
	Href, ID, Merchant, Reason, Requested, Status, StatusClass, Opened string
}

type disputesPage struct {
	*base
	Statuses []option
	Rows     []disputeRow
	Next     string
}

func (s *Shop) consoleDisputes(w http.ResponseWriter, r *http.Request, b *base, actor identity.Actor) {
	q := r.URL.Query()
	st := order.DisputeStatus(q.Get("status"))
	if !q.Has("status") {
		st = order.DisputeEscalated
	}
	if !slices.Contains(disputeStatuses, st) {
		s.fail(w, r, b, errs.E("shop.consoleDisputes", errs.Invalid, "unknown status"))
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
	p := disputesPage{base: b}
	for _, v := range disputeStatuses {
		p.Statuses = append(p.Statuses, option{Value: string(v), Label: consoleDisputeStatus(b.W, v), Selected: v == st})
	}
	if next != "" {
		p.Next = b.Home + "disputes?status=" + url.QueryEscape(string(st)) + "&after=" + url.QueryEscape(next)
	}
	for _, d := range ds {
		o, err := s.svc.Orders.Order(r.Context(), actor, d.OrderID)
		if err != nil {
			s.fail(w, r, b, err)
			return
		}
		p.Rows = append(p.Rows, disputeRow{Href: b.Home + "disputes/" + url.PathEscape(d.ID), ID: d.ID, Merchant: o.MerchantName,
			Reason: reasonText(b.W, d.Reason), Requested: s.money(b, d.Requested), Status: consoleDisputeStatus(b.W, d.Status),
			StatusClass: string(d.Status), Opened: day(d.CreatedAt)})
	}
	s.consolePage(w, r, b, http.StatusOK, "admin_disputes", b.W.T("console_disputes"), p)
}

// consoleMessage is a message of the thread as an operator reads it.
type consoleMessage struct {
	Author, Date, Body string
	Photos             []photoView
}

// disputeForm is what a refused console form sends back to the page.
type disputeForm struct {
	Action, Refund, Message, Error string
}

type disputePage struct {
	*base
	D                     order.Dispute
	O                     order.Order
	Status, Reason        string
	Requested, Offer      string
	Refund, Total, Due    string
	Opened, Outcome       string
	Messages              []consoleMessage
	CanDecide, CanMessage bool
	Form                  disputeForm
	Notice                string
}

func (s *Shop) consoleDispute(w http.ResponseWriter, r *http.Request, b *base, actor identity.Actor, id string, status int, f disputeForm) {
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
	p := disputePage{base: b, D: d, O: o, Status: consoleDisputeStatus(b.W, d.Status), Reason: reasonText(b.W, d.Reason),
		Requested: s.money(b, d.Requested), Total: s.money(b, o.Total), Opened: day(d.CreatedAt),
		CanDecide: d.Status == order.DisputeEscalated, CanMessage: d.Status != order.DisputeClosed, Form: f}
	if d.Offer != nil {
		p.Offer = s.money(b, *d.Offer)
	}
	if d.Refund != nil {
		p.Refund = s.money(b, *d.Refund)
	}
	if d.ReplyDueAt != nil {
		p.Due = day(*d.ReplyDueAt)
	}
	if d.Status == order.DisputeClosed {
		p.Outcome = disputeStatusText(b.W, d)
	}
	if f.Refund == "" && p.CanDecide {
		p.Form.Refund = d.Requested.Decimal()
	}
	for _, m := range d.Messages {
		author := b.W.T("console_author_buyer")
		switch m.Author {
		case order.PartyMerchant:
			author = o.MerchantName
		case order.PartyOperator:
			author = b.W.T("dispute_author_operator")
		}
		cm := consoleMessage{Author: author, Date: day(m.CreatedAt), Body: m.Body}
		for i, ph := range m.Photos {
			cm.Photos = append(cm.Photos, photoView{Href: "/api/v1/disputes/" + url.PathEscape(d.ID) + "/photos/" + url.PathEscape(ph),
				Alt: b.W.T("dispute_photo_alt", "Author", author, "N", i+1)})
		}
		p.Messages = append(p.Messages, cm)
	}
	if f.Error == "" {
		switch r.URL.Query().Get("done") {
		case "decide":
			p.Notice = b.W.T("console_done_decided")
		case "message":
			p.Notice = b.W.T("msg_dispute_messaged")
		}
	}
	s.consolePage(w, r, b, status, "admin_dispute", b.W.T("console_dispute_title", "ID", d.ID), p)
}

// consoleDisputeAction decides an escalated dispute or writes in one.
func (s *Shop) consoleDisputeAction(w http.ResponseWriter, r *http.Request) {
	b, actor, ok := s.operator(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxConsoleForm)
	id, action := r.PathValue("id"), r.PathValue("action")
	f := disputeForm{Action: action, Refund: r.PostFormValue("refund"), Message: r.PostFormValue("message")}
	var err error
	switch action {
	case "decide":
		d, derr := s.svc.Orders.Dispute(r.Context(), actor, id)
		if derr != nil {
			s.fail(w, r, b, derr)
			return
		}
		a, perr := money.ParseMajor(strings.TrimSpace(f.Refund), d.Requested.Currency)
		if perr != nil {
			err = errs.Field("shop.consoleDisputeAction", "refund", "not an amount")
			break
		}
		_, err = s.svc.Orders.Decide(r.Context(), actor, id, order.DecisionInput{Refund: a.Minor, Message: f.Message})
	case "message":
		_, err = s.svc.Orders.PostMessage(r.Context(), actor, id, order.MessageInput{Message: f.Message})
	default:
		s.notFound(w, r, b)
		return
	}
	switch k := errs.KindOf(err); {
	case err == nil:
		http.Redirect(w, r, b.Home+"disputes/"+url.PathEscape(id)+"?done="+action, http.StatusSeeOther)
	case k == errs.Invalid:
		f.Error = b.W.T("console_decision_invalid")
		if errs.FieldOf(err) == "message" {
			f.Error = b.W.T("msg_dispute_bad_message")
		}
		s.consoleDispute(w, r, b, actor, id, http.StatusBadRequest, f)
	case k == errs.Conflict:
		f.Error = b.W.T("console_review_conflict")
		s.consoleDispute(w, r, b, actor, id, http.StatusConflict, f)
	default:
		s.fail(w, r, b, err)
	}
}
