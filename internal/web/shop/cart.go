package shop

import (
	"cmp"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/notify"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/pricing"
	"github.com/sesame-market/sesame/internal/promise"
	"github.com/sesame-market/sesame/internal/web/api"
)

// The buying pages: the cart, the checkout (address and payment), the
// payment confirmation, and the buyer's orders. Their forms post to the
// storefront; the server's cross-origin protection and rate limits hold
// for them as for the API.

// cartCookie holds an anonymous buyer's cart token on one channel.
func cartCookie(channelCode string) string { return "sesame_cart_" + channelCode }

// maxCartForm bounds a cart form's body: an address at most.
const maxCartForm = 8 << 10

// access is who the request's buyer is to the order service: the signed-in
// actor, or the anonymous cart token the channel's cookie holds.
func (s *Shop) access(r *http.Request, b *base) order.Access {
	acc := order.Access{Actor: api.ActorFrom(r.Context())}
	if c, err := r.Cookie(cartCookie(b.Channel.Code)); err == nil {
		acc.Token = c.Value
	}
	return acc
}

// money formats an amount in the page's language.
func (s *Shop) money(b *base, a money.Amount) string {
	if s.svc.Catalog != nil && s.svc.Catalog.Formatters != nil {
		return s.svc.Catalog.Formatters.Format(a, b.Lang)
	}
	return a.Decimal() + " " + a.Currency
}

// cartLine is a line of the cart page.
type cartLine struct {
	ID, Title, Options, Image, Href, Unit, Total, Problem, Stock string
	Quantity                                                     int64
}

// feeRow is a duty or fee of a parcel: its words and amount.
type feeRow struct{ Label, Amount string }

// cartGroup is a parcel of the cart page.
type cartGroup struct {
	Merchant, ShipsFrom, Arrives string
	Fast                         bool
	Lines                        []cartLine
	Subtotal, Shipping, Tax      string
	Duty, Total, DueOnDelivery   string
	HasDuty, HasDue, HasOff      bool
	Discount                     string
	TaxNote                      string
	Fees                         []feeRow
	Problem                      string
}

type cartPage struct {
	*base
	Empty         bool
	Groups        []cartGroup
	Unsendable    []cartLine // lines in no parcel: their problem says why
	Subtotal      string
	Shipping      string
	Tax           string
	Duty          string
	Total         string
	DueOnDelivery string
	HasDuty       bool
	HasDue        bool
	Problems      []string
	Ready         bool
	Address       *order.Address
	Countries     []option
	Message       string // what the last action did or why it failed
	MessageError  bool
	Field         string
	// Form is the address the form shows: the cart's, or the one the
	// buyer just sent when it was refused.
	Form order.Address
	// Checkout is true on the checkout page (address and payment).
	Checkout bool
	Cards    []option
	Coupons  []couponRow
	Discount string
	HasOff   bool
}

// couponRow is a coupon on the cart: its code and what it takes off, or
// why it takes nothing.
type couponRow struct{ Code, Off, Problem string }

// cartView makes the cart page of q.
func (s *Shop) cartView(b *base, q order.Quote) *cartPage {
	p := &cartPage{base: b, Empty: len(q.Lines) == 0, Subtotal: s.money(b, q.Subtotal), Shipping: s.money(b, q.Shipping), Tax: s.money(b, q.Tax),
		Duty: s.money(b, q.Duty), Total: s.money(b, q.Total), DueOnDelivery: s.money(b, q.DueOnDelivery), HasDuty: q.Duty.Minor > 0,
		HasDue: q.DueOnDelivery.Minor > 0, Ready: q.Ready, Address: q.Address}
	format := func(a money.Amount) string { return s.money(b, a) }
	p.Problems = cartProblems(b.W, q, format)
	today := promise.DateOf(s.now(), nil)
	lines := map[string]cartLine{}
	inGroup := map[string]bool{}
	for _, l := range q.Lines {
		cl := cartLine{ID: l.ID, Title: l.Title, Image: l.Image, Href: productPath(b.Channel.Code, b.Lang, l.Title, l.ProductID),
			Unit: s.money(b, l.UnitPrice), Total: s.money(b, l.Total), Quantity: l.Quantity, Stock: stockText(b.W, l.Availability)}
		if l.Problem != "" {
			cl.Problem = lineProblem(b.W, l, cartCountry(q))
		}
		var opts []string
		for _, v := range l.Options {
			opts = append(opts, v)
		}
		cl.Options = strings.Join(opts, ", ")
		lines[l.ID] = cl
	}
	for _, g := range q.Groups {
		cg := cartGroup{Merchant: g.MerchantName, ShipsFrom: b.W.T("ships_from", "Country", b.W.Country(g.ShipsFrom)), Subtotal: s.money(b, g.Subtotal),
			Shipping: s.money(b, g.Shipping), Tax: s.money(b, g.Tax), Duty: s.money(b, g.Duty), Total: s.money(b, g.Total),
			DueOnDelivery: s.money(b, g.DueOnDelivery), HasDuty: g.Duty.Minor > 0, HasDue: g.DueOnDelivery.Minor > 0,
			TaxNote: taxNote(b.W, g.Regime), HasOff: g.Discount.Minor > 0, Discount: s.money(b, money.Amount{Minor: -g.Discount.Minor, Currency: g.Discount.Currency})}
		if g.Problem != "" {
			cg.Problem = groupProblem(b.W, g, format)
		}
		if g.Earliest != nil {
			d := deliveryText(b.W, &promise.Result{ShipsFrom: g.ShipsFrom, Earliest: *g.Earliest, Latest: *g.Latest}, today)
			cg.Arrives, cg.Fast = d.Arrives, d.Fast
		}
		for _, f := range g.Fees {
			if f.Kind == pricing.VAT {
				continue
			}
			cg.Fees = append(cg.Fees, feeRow{Label: feeText(b.W, f), Amount: s.money(b, f.Amount)})
		}
		for _, id := range g.LineIDs {
			cg.Lines = append(cg.Lines, lines[id])
			inGroup[id] = true
		}
		p.Groups = append(p.Groups, cg)
	}
	for _, l := range q.Lines {
		if !inGroup[l.ID] {
			p.Unsendable = append(p.Unsendable, lines[l.ID])
		}
	}
	p.Discount, p.HasOff = s.money(b, money.Amount{Minor: -q.Discount.Minor, Currency: q.Discount.Currency}), q.Discount.Minor > 0
	for _, c := range q.Coupons {
		p.Coupons = append(p.Coupons, couponRow{Code: c.Code, Off: s.money(b, money.Amount{Minor: -c.Discount.Minor, Currency: c.Discount.Currency}),
			Problem: couponProblem(b.W, c.ProblemCode, c.Problem, c.MinSpend, format)})
	}
	for _, m := range b.Channel.Markets {
		sel := (q.Address != nil && q.Address.Country == m) || (q.Address == nil && q.Country == m)
		p.Countries = append(p.Countries, option{Value: m, Label: b.W.Country(m), Selected: sel})
	}
	return p
}

// taxNote says how a parcel is taxed, in the buyer's words.
func taxNote(W *Words, r pricing.Regime) string {
	switch r {
	case pricing.Domestic:
		return W.T("tax_domestic")
	case pricing.IOSS:
		return W.T("tax_ioss")
	case pricing.UKLowValue:
		return W.T("tax_uk")
	case pricing.ImportOnDelivery:
		return W.T("tax_on_delivery")
	case pricing.CBEC:
		return W.T("tax_cbec")
	case pricing.CBECFull:
		return W.T("tax_cbec_full")
	}
	return ""
}

func feeText(W *Words, f pricing.Fee) string {
	switch f.Kind {
	case pricing.FlatDuty:
		return W.T("fee_flat_duty")
	case pricing.HandlingFee:
		return W.T("fee_handling")
	}
	return string(f.Kind)
}

// showCart renders the cart (or, with checkout, the checkout page) of the
// request's buyer; an empty one when there is none.
func (s *Shop) showCart(w http.ResponseWriter, r *http.Request, b *base, checkout bool, status int, msg, field string) {
	acc := s.access(r, b)
	q, err := s.svc.Orders.Current(r.Context(), acc, b.Channel.ID)
	if err == nil && b.Currency != "" && q.Currency != b.Currency {
		// The buyer turned to another currency since the cart was opened:
		// the cart follows, as every price on the pages does (or, if it
		// cannot, stays as it is).
		if s.svc.Orders.SetCurrency(r.Context(), acc, q.ID, b.Currency) == nil {
			q, err = s.svc.Orders.Current(r.Context(), acc, b.Channel.ID)
		}
	}
	if err != nil && !errs.Is(err, errs.NotFound) {
		s.fail(w, r, b, err)
		return
	}
	if errs.Is(err, errs.NotFound) {
		q = order.Quote{Problems: []string{}}
		q.Country = b.Channel.Markets[0]
		zero := money.Amount{Currency: b.Currency}
		q.Subtotal, q.Shipping, q.Tax, q.Duty, q.Total, q.DueOnDelivery = zero, zero, zero, zero, zero, zero
	}
	p := s.cartView(b, q)
	p.Checkout, p.Message, p.Field = checkout, cmp.Or(b.notice, noticeText(b.W, msg)), field
	p.MessageError = field != "" || msg == "checkout_refused" || msg == "declined"
	if q.Address != nil {
		p.Form = *q.Address
	}
	if r.Method == http.MethodPost && r.PathValue("action") == "address" {
		f := r.PostFormValue
		p.Form = order.Address{Name: f("name"), Line1: f("line1"), Line2: f("line2"), Postcode: f("postcode"), City: f("city"), Region: f("region"),
			Country: f("country"), Phone: f("phone")}
	}
	if checkout {
		p.Cards = []option{{Value: payment.TokenSuccess, Label: b.W.T("card_success"), Selected: true},
			{Value: payment.TokenRequiresAction, Label: b.W.T("card_action")}, {Value: payment.TokenDecline, Label: b.W.T("card_decline")}}
	}
	b.NoIndex = true
	name := "cart_title"
	if checkout {
		name = "checkout_title"
	}
	b.Title = b.W.T(name) + " · " + b.Channel.Name
	s.page(w, r, status, "cart", p)
}

// showCartWith is showCart with a message already in words.
func (s *Shop) showCartWith(w http.ResponseWriter, r *http.Request, b *base, checkout bool, status int, text string) {
	b.notice = text
	s.showCart(w, r, b, checkout, status, "", "coupon")
}

// cart is the cart page.
func (s *Shop) cart(w http.ResponseWriter, r *http.Request) {
	b, ok := s.storefront(w, r)
	if !ok {
		return
	}
	s.showCart(w, r, b, false, http.StatusOK, notice(r), "")
}

// checkoutPage is the checkout page: signed-in buyers only.
func (s *Shop) checkoutPage(w http.ResponseWriter, r *http.Request) {
	b, ok := s.storefront(w, r)
	if !ok {
		return
	}
	if !b.SignedIn {
		http.Redirect(w, r, signInPath(b, r.URL.Path), http.StatusSeeOther)
		return
	}
	s.showCart(w, r, b, true, http.StatusOK, notice(r), "")
}

// invalidKey is the notice of a refused field of the cart's forms.
func invalidKey(field string) string {
	switch field {
	case "quantity", "variant_id", "name", "line1", "city", "postcode", "region", "country":
		return "invalid_" + field
	}
	return "invalid_form"
}

// notice is the notice a page's msg asks for, or "" for none (or for a
// key no redirect of Sesame's carries).
func notice(r *http.Request) string {
	switch m := r.URL.Query().Get("msg"); m {
	case "added", "updated", "address_saved", "placed", "cancelled", "declined", "receipt_confirmed", "protection_extended", "reviewed",
		"dispute_opened", "dispute_messaged", "dispute_accepted", "dispute_escalated_msg", "dispute_withdrawn",
		"dispute_bad_photo", "dispute_bad_refund", "dispute_bad_message", "dispute_bad_form", "review_bad_photo":
		return m
	}
	return ""
}

// noticeText is the words of notice key.
func noticeText(W *Words, key string) string {
	switch key {
	case "added":
		return W.T("msg_added")
	case "updated":
		return W.T("msg_updated")
	case "address_saved":
		return W.T("msg_address_saved")
	case "placed":
		return W.T("msg_placed")
	case "cancelled":
		return W.T("msg_cancelled")
	case "declined":
		return W.T("msg_declined")
	case "receipt_confirmed":
		return W.T("msg_receipt_confirmed")
	case "protection_extended":
		return W.T("msg_protection_extended")
	case "reviewed":
		return W.T("msg_reviewed")
	case "dispute_opened":
		return W.T("msg_dispute_opened")
	case "dispute_messaged":
		return W.T("msg_dispute_messaged")
	case "dispute_accepted":
		return W.T("msg_dispute_accepted")
	case "dispute_escalated_msg":
		return W.T("msg_dispute_escalated")
	case "dispute_withdrawn":
		return W.T("msg_dispute_withdrawn")
	case "dispute_bad_photo":
		return W.T("msg_dispute_bad_photo")
	case "dispute_bad_refund":
		return W.T("msg_dispute_bad_refund")
	case "dispute_bad_message":
		return W.T("msg_dispute_bad_message")
	case "dispute_bad_form":
		return W.T("msg_dispute_bad_form")
	case "review_bad_photo":
		return W.T("msg_dispute_bad_photo")
	case "checkout_refused":
		return W.T("msg_checkout_refused")
	case "invalid_quantity":
		return W.T("msg_invalid_quantity")
	case "invalid_variant_id":
		return W.T("msg_invalid_variant_id")
	case "invalid_name":
		return W.T("msg_invalid_name")
	case "invalid_line1":
		return W.T("msg_invalid_street")
	case "invalid_city":
		return W.T("msg_invalid_city")
	case "invalid_postcode":
		return W.T("msg_invalid_postcode")
	case "invalid_region":
		return W.T("msg_invalid_region")
	case "invalid_country":
		return W.T("msg_invalid_country")
	case "":
		return ""
	}
	return W.T("msg_invalid_form")
}

// statusText is an order status in the buyer's words.
func statusText(W *Words, st order.Status) string {
	switch st {
	case order.PendingPayment:
		return W.T("order_pending_payment")
	case order.Paid:
		return W.T("order_paid")
	case order.Cancelled:
		return W.T("order_cancelled")
	case order.Shipped:
		return W.T("order_shipped")
	case order.Delivered:
		return W.T("order_delivered")
	case order.Completed:
		return W.T("order_completed")
	case order.Disputed:
		return W.T("order_disputed")
	case order.Refunded:
		return W.T("order_refunded")
	}
	return string(st)
}

// redirectWith sends the buyer to path with notice msg.
func (s *Shop) redirectWith(w http.ResponseWriter, r *http.Request, path, msg string) {
	if msg != "" {
		path += "?msg=" + url.QueryEscape(msg)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// cartAction runs the cart's forms: add a variant, change a quantity, set
// the address, pay.
func (s *Shop) cartAction(w http.ResponseWriter, r *http.Request) {
	b, ok := s.posted(w, r, maxCartForm)
	if !ok {
		return
	}
	switch r.PathValue("action") {
	case "add":
		s.addToCart(w, r, b)
	case "line":
		s.setLine(w, r, b)
	case "address":
		s.setAddress(w, r, b)
	case "pay":
		s.pay(w, r, b)
	case "coupon", "uncoupon":
		s.coupon(w, r, b, r.PathValue("action") == "coupon")
	default:
		s.notFound(w, r, b)
	}
}

// ensureCart returns the buyer's open cart on the channel, opening one
// (and, for an anonymous buyer, keeping its token in a cookie) if needed.
func (s *Shop) ensureCart(w http.ResponseWriter, r *http.Request, b *base) (string, order.Access, error) {
	acc := s.access(r, b)
	if q, err := s.svc.Orders.Current(r.Context(), acc, b.Channel.ID); err == nil {
		return q.ID, acc, nil
	} else if !errs.Is(err, errs.NotFound) {
		return "", acc, err
	}
	c, token, err := s.svc.Orders.CreateCart(r.Context(), acc.Actor, order.CartInput{Channel: b.Channel.ID, Currency: b.Currency})
	if err != nil {
		return "", acc, err
	}
	if token != "" {
		acc.Token = token
		http.SetCookie(w, &http.Cookie{Name: cartCookie(b.Channel.Code), Value: token, Path: "/" + b.Channel.Code + "/", MaxAge: 30 * 24 * 3600,
			HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	}
	return c.ID, acc, nil
}

func (s *Shop) addToCart(w http.ResponseWriter, r *http.Request, b *base) {
	q, err := strconv.ParseInt(cmp.Or(r.PostFormValue("quantity"), "1"), 10, 64)
	if err != nil {
		q = 0 // refused below, with the service's words
	}
	id, acc, err := s.ensureCart(w, r, b)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	_, err = s.svc.Orders.AddLine(r.Context(), acc, id, order.LineInput{VariantID: r.PostFormValue("variant"), Quantity: q})
	switch {
	case err == nil:
		s.redirectWith(w, r, b.Home+"cart", "added")
	case errs.Is(err, errs.Conflict):
		s.redirectWith(w, r, within(b, r.PostFormValue("back")), "")
	case errs.Is(err, errs.Invalid):
		s.showCart(w, r, b, false, http.StatusBadRequest, invalidKey(errs.FieldOf(err)), errs.FieldOf(err))
	default:
		s.fail(w, r, b, err)
	}
}

func (s *Shop) setLine(w http.ResponseWriter, r *http.Request, b *base) {
	q, err := strconv.ParseInt(r.PostFormValue("quantity"), 10, 64)
	if err != nil || r.PostFormValue("remove") != "" {
		q = 0
		if err != nil && r.PostFormValue("remove") == "" {
			q = -1
		}
	}
	acc := s.access(r, b)
	cur, err := s.svc.Orders.Current(r.Context(), acc, b.Channel.ID)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	err = s.svc.Orders.SetQuantity(r.Context(), acc, cur.ID, r.PostFormValue("line"), q)
	switch {
	case err == nil:
		s.redirectWith(w, r, b.Home+"cart", "updated")
	case errs.Is(err, errs.Invalid):
		s.showCart(w, r, b, false, http.StatusBadRequest, "invalid_quantity", "quantity")
	default:
		s.fail(w, r, b, err)
	}
}

func (s *Shop) setAddress(w http.ResponseWriter, r *http.Request, b *base) {
	acc := s.access(r, b)
	cur, err := s.svc.Orders.Current(r.Context(), acc, b.Channel.ID)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	f := r.PostFormValue
	a := order.Address{Name: f("name"), Line1: f("line1"), Line2: f("line2"), Postcode: f("postcode"), City: f("city"), Region: f("region"),
		Country: f("country"), Phone: f("phone")}
	_, err = s.svc.Orders.SetAddress(r.Context(), acc, cur.ID, a)
	switch {
	case err == nil:
		s.redirectWith(w, r, b.Home+"checkout", "address_saved")
	case errs.Is(err, errs.Invalid):
		s.showCart(w, r, b, true, http.StatusBadRequest, invalidKey(errs.FieldOf(err)), errs.FieldOf(err))
	default:
		s.fail(w, r, b, err)
	}
}

// coupon applies (or removes) the coupon the form names.
func (s *Shop) coupon(w http.ResponseWriter, r *http.Request, b *base, apply bool) {
	acc := s.access(r, b)
	cur, err := s.svc.Orders.Current(r.Context(), acc, b.Channel.ID)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	code := r.PostFormValue("code")
	if apply {
		_, err = s.svc.Orders.ApplyCoupon(r.Context(), acc, cur.ID, code)
	} else {
		err = s.svc.Orders.RemoveCoupon(r.Context(), acc, cur.ID, code)
	}
	switch {
	case err == nil:
		s.redirectWith(w, r, within(b, r.PostFormValue("back")), "updated")
	case errs.Is(err, errs.Invalid) || errs.Is(err, errs.Conflict) || errs.Is(err, errs.NotFound):
		// The service's reason, in the page's language: the coupon is the buyer's to fix.
		p := b
		s.showCartWith(w, r, p, strings.HasSuffix(r.PostFormValue("back"), "/checkout"), http.StatusBadRequest,
			refusalText(b.W, err, func(a money.Amount) string { return s.money(b, a) }))
	default:
		s.fail(w, r, b, err)
	}
}

// pay checks the cart out with the test card chosen; the buyer lands on
// the orders, on the payment's confirmation, or back on the checkout with
// why it failed.
func (s *Shop) pay(w http.ResponseWriter, r *http.Request, b *base) {
	if !b.SignedIn {
		http.Redirect(w, r, signInPath(b, b.Home+"checkout"), http.StatusSeeOther)
		return
	}
	acc := s.access(r, b)
	cur, err := s.svc.Orders.Current(r.Context(), acc, b.Channel.ID)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	// The share link the buyer last came through credits its sharer when
	// it is one of this channel's (a stale or foreign code is ignored).
	co, _, err := s.svc.Orders.Checkout(r.Context(), acc, cur.ID, order.CheckoutInput{Payment: order.PaymentInput{Provider: "sandbox", Token: r.PostFormValue("card")},
		Referral: Referral(r)})
	switch {
	case errs.Is(err, errs.Invalid) || errs.Is(err, errs.Conflict):
		s.showCart(w, r, b, true, http.StatusConflict, "checkout_refused", "")
		return
	case err != nil:
		s.fail(w, r, b, err)
		return
	}
	switch co.Payment.Status {
	case payment.Captured:
		s.redirectWith(w, r, b.Home+"orders", "placed")
	case payment.RequiresAction:
		http.Redirect(w, r, b.Home+"pay/"+co.Payment.ID, http.StatusSeeOther)
	default:
		s.redirectWith(w, r, b.Home+"checkout", "declined")
	}
}

// confirmPage asks the buyer to confirm a payment (the sandbox's stand-in
// for a bank's 3-D Secure page).
type confirmPage struct {
	*base
	PaymentID, Amount string
}

func (s *Shop) payPage(w http.ResponseWriter, r *http.Request, id string) {
	b, ok := s.storefront(w, r)
	if !ok {
		return
	}
	if !b.SignedIn {
		http.Redirect(w, r, signInPath(b, r.URL.Path), http.StatusSeeOther)
		return
	}
	q, err := s.svc.Orders.PaymentOf(r.Context(), api.ActorFrom(r.Context()), id)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	if q.Payment.Status != payment.RequiresAction {
		http.Redirect(w, r, b.Home+"orders", http.StatusSeeOther)
		return
	}
	b.NoIndex = true
	b.Title = b.W.T("confirm_title") + " · " + b.Channel.Name
	s.page(w, r, http.StatusOK, "confirm", &confirmPage{base: b, PaymentID: id, Amount: s.money(b, q.Payment.Amount)})
}

func (s *Shop) confirmPayment(w http.ResponseWriter, r *http.Request) {
	b, ok := s.posted(w, r, maxCartForm)
	if !ok {
		return
	}
	_, err := s.svc.Orders.ConfirmPayment(r.Context(), api.ActorFrom(r.Context()), r.PathValue("id"))
	switch {
	case err == nil:
		s.redirectWith(w, r, b.Home+"orders", "placed")
	case errs.Is(err, errs.Conflict):
		s.redirectWith(w, r, b.Home+"orders", "")
	default:
		s.fail(w, r, b, err)
	}
}

// orderRow is an order as the buyer's pages show it.
type orderRow struct {
	ID, Href, Merchant, Date, Status, StatusClass, Total, Arrives, Due string
	Lines                                                              []cartLine
	Parcels                                                            []parcelRow
	Subtotal, Shipping, Tax, Duty                                      string
	HasDuty, HasDue, CanCancel                                         bool
	Address                                                            order.Address
	// Carrier and Tracking, once shipped; the dates of shipment, delivery
	// and confirmation, and the end of the buyer's protection while it
	// runs, "" otherwise.
	Carrier, Tracking, Shipped, Delivered, Confirmed, ProtectionEnds string
	CanConfirm, CanExtend                                            bool
	// Reviews are a confirmed order's lines with their reviews or forms,
	// for its buyer; Marks the choices of a mark.
	Reviews []lineReview
	Marks   []markOption
	// Dispute is the order's dispute, for its buyer; CanDispute says the
	// form that opens one shows, with its Reasons and at most RefundMax
	// (the total, in major units) to ask for.
	Dispute    *disputeView
	CanDispute bool
	Reasons    []reasonOption
	RefundMax  string
	Currency   string
}

type parcelRow struct {
	ShipsFrom, Arrives, Carrier, TaxNote string
}

type ordersPage struct {
	*base
	Orders  []orderRow
	Message string
	Next    string
	One     *orderRow
}

func (s *Shop) orderRowOf(b *base, o order.Order) orderRow {
	today := promise.DateOf(s.now(), nil)
	day := func(t *time.Time) string { return dayText(b.W, t, today) }
	row := orderRow{ID: o.ID, Href: b.Home + "orders/" + o.ID, Merchant: o.MerchantName, Date: day(&o.CreatedAt),
		Status: statusText(b.W, o.Status), StatusClass: string(o.Status), Total: s.money(b, o.Total),
		Subtotal: s.money(b, o.Subtotal), Shipping: s.money(b, o.Shipping), Tax: s.money(b, o.Tax), Duty: s.money(b, o.Duty),
		Due: s.money(b, o.DueOnDelivery), HasDuty: o.Duty.Minor > 0, HasDue: o.DueOnDelivery.Minor > 0,
		CanCancel: order.CanMove(o.Status, order.Cancelled), Address: o.Address,
		Carrier: o.Carrier, Tracking: o.TrackingNumber, Shipped: day(o.ShippedAt), Delivered: day(o.DeliveredAt), Confirmed: day(o.ConfirmedAt),
		Currency: o.Total.Currency}
	if o.Status == order.Shipped || o.Status == order.Delivered {
		row.ProtectionEnds, row.CanConfirm = day(o.ProtectionEndsAt), true
	}
	for _, p := range o.Parcels {
		d := deliveryText(b.W, &promise.Result{ShipsFrom: p.ShipsFrom, Earliest: p.Earliest, Latest: p.Latest}, today)
		// The promise until the parcel arrives: then the day it did; the
		// promise of an order confirmed without a delivery, or cancelled,
		// no longer holds.
		switch {
		case o.DeliveredAt != nil:
			d.Arrives = b.W.T("order_delivered_on", "Date", row.Delivered)
		case o.ConfirmedAt != nil, o.Status == order.Cancelled:
			d.Arrives = ""
		}
		row.Parcels = append(row.Parcels, parcelRow{ShipsFrom: d.ShipsFrom, Arrives: d.Arrives, Carrier: p.Carrier, TaxNote: taxNote(b.W, p.Regime)})
		if row.Arrives == "" {
			row.Arrives = d.Arrives
		}
	}
	for _, l := range o.Lines {
		row.Lines = append(row.Lines, cartLine{ID: l.ID, Title: l.Title, Image: l.Image, Href: productPath(b.Channel.Code, b.Lang, l.Title, l.ProductID),
			Unit: s.money(b, l.UnitPrice), Total: s.money(b, l.Total), Quantity: l.Quantity})
	}
	return row
}

// dayText is the date of t as the page's language writes it, with its
// year when that is not today's; "" for none.
func dayText(W *Words, t *time.Time, today promise.Date) string {
	if t == nil {
		return ""
	}
	d := promise.DateOf(*t, nil)
	if d.Year() == today.Year() {
		return shortDate(W, d)
	}
	return W.T("date_year", "Date", shortDate(W, d), "Year", d.Year())
}

// orders is the buyer's orders page, and one order's page.
func (s *Shop) orders(w http.ResponseWriter, r *http.Request, id string) {
	b, ok := s.storefront(w, r)
	if !ok {
		return
	}
	if !b.SignedIn {
		http.Redirect(w, r, signInPath(b, r.URL.Path), http.StatusSeeOther)
		return
	}
	actor := api.ActorFrom(r.Context())
	p := &ordersPage{base: b, Message: noticeText(b.W, notice(r))}
	b.NoIndex = true
	if id != "" {
		o, err := s.svc.Orders.Order(r.Context(), actor, id)
		if err != nil {
			s.fail(w, r, b, err)
			return
		}
		row := s.orderRowOf(b, o)
		if row.CanConfirm {
			prot, err := s.svc.Channels.Protection(r.Context(), o.ChannelID)
			if err != nil {
				s.fail(w, r, b, err)
				return
			}
			_, err = order.Extension(o, prot)
			row.CanExtend = err == nil
		}
		if err := s.orderReviews(r, b, o, &row); err != nil {
			s.fail(w, r, b, err)
			return
		}
		if err := s.orderDispute(r, b, o, &row); err != nil {
			s.fail(w, r, b, err)
			return
		}
		p.One = &row
		b.Title = b.W.T("order_title", "ID", o.ID) + " · " + b.Channel.Name
		s.page(w, r, http.StatusOK, "orders", p)
		return
	}
	os, next, err := s.svc.Orders.Orders(r.Context(), actor, r.URL.Query().Get("after"), 20)
	if errs.Is(err, errs.Invalid) {
		os, next, err = s.svc.Orders.Orders(r.Context(), actor, "", 20)
	}
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	for _, o := range os {
		if o.ChannelID == b.Channel.ID {
			p.Orders = append(p.Orders, s.orderRowOf(b, o))
		}
	}
	if next != "" {
		p.Next = b.Home + "orders?after=" + url.QueryEscape(next)
	}
	b.Title = b.W.T("orders_title") + " · " + b.Channel.Name
	s.page(w, r, http.StatusOK, "orders", p)
}

// cancelOrder cancels one of the buyer's orders before it ships.
func (s *Shop) cancelOrder(w http.ResponseWriter, r *http.Request) {
	b, ok := s.posted(w, r, maxCartForm)
	if !ok {
		return
	}
	id := r.PathValue("id")
	_, err := s.svc.Orders.Cancel(r.Context(), api.ActorFrom(r.Context()), id, "cancelled by the buyer")
	s.backToOrder(w, r, b, id, "cancelled", err)
}

// backToOrder answers a form of order id's page: back to the page with
// notice msg when err is nil, without one when the order had moved on
// (Conflict: the page then shows where it stands), else the error.
func (s *Shop) backToOrder(w http.ResponseWriter, r *http.Request, b *base, id, msg string, err error) {
	switch {
	case err == nil:
		s.redirectWith(w, r, b.Home+"orders/"+id, msg)
	case errs.Is(err, errs.Conflict):
		s.redirectWith(w, r, b.Home+"orders/"+id, "")
	default:
		s.fail(w, r, b, err)
	}
}

// protectOrder is the buyer's confirmation of receipt of an order
// (action confirm) or extension of its protection (action extend).
func (s *Shop) protectOrder(w http.ResponseWriter, r *http.Request) {
	b, ok := s.posted(w, r, maxCartForm)
	if !ok {
		return
	}
	id, actor := r.PathValue("id"), api.ActorFrom(r.Context())
	var (
		err error
		msg string
	)
	switch r.PathValue("action") {
	case "confirm":
		_, err = s.svc.Orders.ConfirmDelivery(r.Context(), actor, id)
		msg = "receipt_confirmed"
	case "extend":
		_, err = s.svc.Orders.ExtendProtection(r.Context(), actor, id)
		msg = "protection_extended"
	default:
		s.fail(w, r, b, errs.E("shop.protectOrder", errs.NotFound, "no such action"))
		return
	}
	s.backToOrder(w, r, b, id, msg, err)
}

// mailboxPage is the demo's mailbox: the e-mails Sesame sent, newest first.
type mailboxPage struct {
	*base
	Mails []mailView
}

// mailView is a mail of the mailbox, its body cut where links are so that
// they can be followed.
type mailView struct {
	notify.Mail
	Parts []mailPart
}

// mailPart is text, or a link when Href is set.
type mailPart struct{ Text, Href string }

// mailLinkRe finds the links of a mail's body.
var mailLinkRe = regexp.MustCompile(`https?://[^\s]+`)

// mailParts cuts body at its links.
func mailParts(body string) []mailPart {
	var out []mailPart
	at := 0
	for _, m := range mailLinkRe.FindAllStringIndex(body, -1) {
		out = append(out, mailPart{Text: body[at:m[0]]}, mailPart{Text: body[m[0]:m[1]], Href: body[m[0]:m[1]]})
		at = m[1]
	}
	return append(out, mailPart{Text: body[at:]})
}

func (s *Shop) mailbox(w http.ResponseWriter, r *http.Request) {
	b, ok := s.storefront(w, r)
	if !ok {
		return
	}
	ms, err := s.svc.Mailbox(r.Context(), 50)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	b.NoIndex = true
	b.Title = b.W.T("mailbox_title") + " · " + b.Channel.Name
	p := &mailboxPage{base: b}
	for _, m := range ms {
		p.Mails = append(p.Mails, mailView{Mail: m, Parts: mailParts(m.Body)})
	}
	s.page(w, r, http.StatusOK, "mailbox", p)
}
