package shop

import (
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/order"
)

// The merchants' console's orders: the paid ones to ship, with the form
// that records the carrier and tracking number, the shipped ones to mark
// delivered, and all of them; each move is the order service's (Ship,
// Deliver), which only the order's merchant may make.

// Patterns of an order's forms. Each names its action: a pattern ending
// in {action} would overlap the storefront's order forms
// (/{channel}/{lang}/orders/{id}/cancel) with neither more specific.
const (
	patternSellerShip    = "POST /merchant/{lang}/orders/{id}/ship"
	patternSellerDeliver = "POST /merchant/{lang}/orders/{id}/deliver"
)

// orderViews are the lists of the orders page: to ship (paid), shipped,
// and all.
var orderViews = []string{"to_ship", "shipped", "all"}

// orderView reports whether o belongs in the list view.
func orderView(view string, o order.Order) bool {
	switch view {
	case "to_ship":
		return o.Status == order.Paid
	case "shipped":
		return o.Status == order.Shipped
	}
	return true
}

// sellerOrderRow is an order in the merchants' console's list.
type sellerOrderRow struct {
	ID, Placed, Buyer, Ship, Lines, Total, Status, StatusClass string
	Carrier, Tracking                                          string
	CanShip, CanDeliver                                        bool
}

// orderForm is what a refused order form sends back to the page.
type orderForm struct {
	Order, Carrier, Tracking, Error string
}

type sellerOrdersPage struct {
	*base
	View   string
	Views  []link
	Rows   []sellerOrderRow
	Next   string
	Form   orderForm
	Notice string
}

// orderViewWord names a list view.
func orderViewWord(W *Words, view string) string {
	switch view {
	case "to_ship":
		return W.T("mc_orders_to_ship")
	case "shipped":
		return W.T("mc_orders_shipped")
	}
	return W.T("mc_orders_all")
}

// sellerOrders lists the merchant's orders of one view, newest first, a
// page of up to consolePageSize at a time; a filtered view reads up to
// countCap orders for its page.
func (s *Shop) sellerOrders(w http.ResponseWriter, r *http.Request, b *base, actor identity.Actor, status int, notice string, f orderForm) {
	q := r.URL.Query()
	view := q.Get("view")
	if view == "" {
		view = "to_ship"
	}
	if !slices.Contains(orderViews, view) {
		s.fail(w, r, b, errs.E("shop.sellerOrders", errs.Invalid, "unknown view"))
		return
	}
	p := sellerOrdersPage{base: b, View: view, Form: f, Notice: notice}
	for _, v := range orderViews {
		p.Views = append(p.Views, link{Name: orderViewWord(b.W, v), Href: b.Home + "orders?view=" + v, Current: v == view})
	}
	cursor, read := q.Get("after"), 0
	for len(p.Rows) < consolePageSize && read < countCap {
		os, next, err := s.svc.Orders.Orders(r.Context(), actor, cursor, order.MaxPage)
		if errs.Is(err, errs.Invalid) && cursor != "" {
			os, next, err = s.svc.Orders.Orders(r.Context(), actor, "", order.MaxPage)
		}
		if err != nil {
			s.fail(w, r, b, err)
			return
		}
		read += len(os)
		for i, o := range os {
			if !orderView(view, o) {
				continue
			}
			p.Rows = append(p.Rows, s.sellerOrderOf(b, o))
			if len(p.Rows) == consolePageSize {
				if i < len(os)-1 || next != "" {
					p.Next = b.Home + "orders?view=" + view + "&after=" + url.QueryEscape(o.ID)
				}
				break
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if notice == "" {
		switch q.Get("done") {
		case "ship":
			p.Notice = b.W.T("mc_done_shipped")
		case "deliver":
			p.Notice = b.W.T("mc_done_delivered")
		}
	}
	s.sellerPage(w, r, b, status, "merchant_orders", b.W.T("mc_orders"), p)
}

// sellerOrderOf is o as the list shows it.
func (s *Shop) sellerOrderOf(b *base, o order.Order) sellerOrderRow {
	row := sellerOrderRow{ID: o.ID, Placed: day(o.CreatedAt), Buyer: o.Address.Name, Ship: o.Address.City + ", " + b.W.Country(o.Address.Country),
		Total: s.money(b, o.Total), Status: statusText(b.W, o.Status), StatusClass: string(o.Status), Carrier: o.Carrier, Tracking: o.TrackingNumber,
		CanShip: o.Status == order.Paid, CanDeliver: o.Status == order.Shipped}
	var lines []string
	for _, l := range o.Lines {
		lines = append(lines, strconv.FormatInt(l.Quantity, 10)+" × "+l.Title+" ("+l.SKU+")")
	}
	row.Lines = b.W.List(lines)
	return row
}

// sellerOrderAction ships an order or marks it delivered, and sends the
// staff member back to the list.
func (s *Shop) sellerOrderAction(w http.ResponseWriter, r *http.Request) {
	b, actor, ok := s.staff(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxConsoleForm)
	id, action := r.PathValue("id"), path.Base(r.URL.Path)
	f := orderForm{Order: id, Carrier: r.PostFormValue("carrier"), Tracking: r.PostFormValue("tracking")}
	var err error
	switch action {
	case "ship":
		_, err = s.svc.Orders.Ship(r.Context(), actor, id, order.ShipInput{Carrier: f.Carrier, TrackingNumber: f.Tracking})
	case "deliver":
		_, err = s.svc.Orders.Deliver(r.Context(), actor, id)
	}
	view := "to_ship"
	if action == "deliver" {
		view = "shipped"
	}
	r.URL.RawQuery = "view=" + view
	switch k := errs.KindOf(err); {
	case err == nil:
		http.Redirect(w, r, b.Home+"orders?view="+view+"&done="+action, http.StatusSeeOther)
	case k == errs.Invalid:
		f.Error = b.W.T("mc_err_shipment")
		s.sellerOrders(w, r, b, actor, http.StatusBadRequest, "", f)
	case k == errs.Conflict:
		f.Error = b.W.T("mc_err_order_conflict")
		s.sellerOrders(w, r, b, actor, http.StatusConflict, "", f)
	default:
		s.fail(w, r, b, err)
	}
}
