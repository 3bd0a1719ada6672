package shop

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/order"
)

// patternConsoleOrderRefund is where the console's refund of a completed
// order posts.
const patternConsoleOrderRefund = "POST /admin/{lang}/orders/{id}/refund"

// orderLookupPage is the console's order lookup.
type orderLookupPage struct {
	*base
	ID, Error string
}

// consoleOrders finds an order by its number (?id=): found, the operator
// goes to its page; not found, the lookup says so.
func (s *Shop) consoleOrders(w http.ResponseWriter, r *http.Request, b *base, actor identity.Actor) {
	id := strings.TrimSpace(r.URL.Query().Get("id"))
	p := orderLookupPage{base: b, ID: id}
	status := http.StatusOK
	if id != "" {
		_, err := s.svc.Orders.Order(r.Context(), actor, id)
		switch {
		case err == nil:
			http.Redirect(w, r, b.Home+"orders/"+url.PathEscape(id), http.StatusSeeOther)
			return
		case errs.Is(err, errs.NotFound), errs.Is(err, errs.Invalid):
			p.Error, status = b.W.T("console_order_not_found"), http.StatusNotFound
		default:
			s.fail(w, r, b, err)
			return
		}
	}
	s.consolePage(w, r, b, status, "admin_orders", b.W.T("console_orders"), p)
}

// refundForm is what a refused refund sends back to the order's page.
type refundForm struct {
	Amount, Reason, Error string
}

type orderPage struct {
	*base
	O                                 order.Order
	Status, Total, Settlement, Placed string
	Shipped, Delivered, Confirmed     string
	Refund, RefundedOn                string
	CanRefund                         bool
	Form                              refundForm
	Notice                            string
}

// consoleOrder is an order as an operator reads it, with the refund of a
// completed order not refunded yet.
func (s *Shop) consoleOrder(w http.ResponseWriter, r *http.Request, b *base, actor identity.Actor, id string, status int, f refundForm) {
	o, err := s.svc.Orders.Order(r.Context(), actor, id)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	p := orderPage{base: b, O: o, Status: statusText(b.W, o.Status), Total: s.money(b, o.Total), Settlement: s.money(b, o.Settlement),
		Placed: day(o.CreatedAt), CanRefund: o.Status == order.Completed && o.Refund == nil, Form: f}
	if o.ShippedAt != nil {
		p.Shipped = day(*o.ShippedAt)
	}
	if o.DeliveredAt != nil {
		p.Delivered = day(*o.DeliveredAt)
	}
	if o.ConfirmedAt != nil {
		p.Confirmed = day(*o.ConfirmedAt)
	}
	if o.Refund != nil {
		p.Refund, p.RefundedOn = s.money(b, o.Refund.Amount), day(o.Refund.At)
	}
	if f.Amount == "" && p.CanRefund {
		p.Form.Amount = o.Total.Decimal()
	}
	if f.Error == "" && r.URL.Query().Get("done") == "refund" {
		p.Notice = b.W.T("console_done_refunded")
	}
	s.consolePage(w, r, b, status, "admin_order", b.W.T("console_order_title", "ID", o.ID), p)
}

// consoleRefundOrder refunds a completed order, in part or in full.
func (s *Shop) consoleRefundOrder(w http.ResponseWriter, r *http.Request) {
	b, actor, ok := s.operator(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxConsoleForm)
	id := r.PathValue("id")
	f := refundForm{Amount: r.PostFormValue("amount"), Reason: r.PostFormValue("reason")}
	o, err := s.svc.Orders.Order(r.Context(), actor, id)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	a, err := money.ParseMajor(strings.TrimSpace(f.Amount), o.Total.Currency)
	if err == nil {
		_, err = s.svc.Orders.RefundCompleted(r.Context(), actor, id, order.ClawbackInput{Amount: a.Minor, Reason: f.Reason})
	} else {
		err = errs.Field("shop.consoleRefundOrder", "amount", "not an amount")
	}
	switch k := errs.KindOf(err); {
	case err == nil:
		http.Redirect(w, r, b.Home+"orders/"+url.PathEscape(id)+"?done=refund", http.StatusSeeOther)
	case k == errs.Invalid:
		f.Error = b.W.T("console_refund_invalid", "Total", s.money(b, o.Total))
		s.consoleOrder(w, r, b, actor, id, http.StatusBadRequest, f)
	case k == errs.Conflict:
		f.Error = b.W.T("console_refund_conflict")
		s.consoleOrder(w, r, b, actor, id, http.StatusConflict, f)
	default:
		s.fail(w, r, b, err)
	}
}
