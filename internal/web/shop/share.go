package shop

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/share"
	"github.com/sesame-market/sesame/internal/web/api"
)

// Deal sharing: a signed-in person shares a product as /s/{code}; a visit
// through the link is counted and leaves the link's code with the visitor
// (the referral cookie), which checkout records on the cart and the order.

// ReferralCookie holds the code of the last share link a visitor came
// through.
const ReferralCookie = "sesame_ref"

// referralFor is how long a visitor's referral lasts.
const referralFor = 30 * 24 * time.Hour

// Referral returns the code of the share link the visitor of r last came
// through, or "" (checkout reads it to record the sharer).
func Referral(r *http.Request) string {
	if c, err := r.Cookie(ReferralCookie); err == nil && share.ValidCode(c.Value) {
		return c.Value
	}
	return ""
}

// previewAgents are the user agents of link previews (chat apps, social
// networks, search engines): their fetches are not visits.
var previewAgents = []string{"facebookexternalhit", "facebot", "twitterbot", "slackbot", "whatsapp", "telegrambot",
	"discordbot", "linkedinbot", "skypeuripreview", "pinterest", "googlebot", "bingbot", "applebot", "embedly", "redditbot"}

func isPreview(userAgent string) bool {
	ua := strings.ToLower(userAgent)
	for _, a := range previewAgents {
		if strings.Contains(ua, a) {
			return true
		}
	}
	return false
}

// visitShare follows a share link: it counts the visit, keeps the code with
// the visitor and sends them to the product, in the channel's language they
// prefer. A link whose product is no longer sold there leads to the
// channel's home page; a preview (whose fetch follows the redirect) reads
// the product page's Open Graph tags.
func (s *Shop) visitShare(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if s.svc.Shares == nil {
		s.fail(w, r, nil, errs.E("shop", errs.NotFound, "sharing is off"))
		return
	}
	code := r.PathValue("code")
	l, err := s.svc.Shares.Visit(ctx, code, api.ActorFrom(ctx).UserID, !isPreview(r.UserAgent()))
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	ch, err := s.svc.Channels.Public(ctx, l.Channel)
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	lang := ch.Language(r.Header.Get("Accept-Language"))
	to := "/" + ch.Code + "/" + lang + "/"
	v, err := s.svc.Catalog.PublicProduct(ctx, l.ProductID, ch.Code, lang)
	switch {
	case err == nil:
		to = productPath(ch.Code, lang, v.Title, v.ID)
	case !errs.Is(err, errs.NotFound):
		s.fail(w, r, nil, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: ReferralCookie, Value: l.Code, Path: "/", MaxAge: int(referralFor / time.Second),
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	w.Header().Set("Vary", "Accept-Language")
	w.Header().Set("Cache-Control", "no-store") // every visit must reach Sesame to be counted
	http.Redirect(w, r, to, http.StatusFound)
}

// shareProduct makes the signed-in person's link to a product and shows it
// on their account page.
func (s *Shop) shareProduct(w http.ResponseWriter, r *http.Request) {
	b, ok := s.posted(w, r, 4<<10)
	if !ok {
		return
	}
	if s.svc.Shares == nil {
		s.notFound(w, r, b)
		return
	}
	product := r.PostFormValue("product")
	actor := api.ActorFrom(r.Context())
	if actor.IsAnonymous() {
		http.Redirect(w, r, signInPath(b, within(b, r.PostFormValue("back"))), http.StatusSeeOther)
		return
	}
	l, _, err := s.svc.Shares.Share(r.Context(), actor, b.Channel.Code, product)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	http.Redirect(w, r, b.Home+"account?shared="+url.QueryEscape(l.Code)+"#shares", http.StatusSeeOther)
}

// shareRow is one of a person's links on the account page.
type shareRow struct {
	URL, Title, Href string
	Visits           int
	Created          string
	New              bool // the link just made
	// Orders are the orders placed through the link; Earned what they
	// earned (pending and payable), by currency, formatted.
	Orders int
	Earned string
}

// shareRows are the actor's links, newest first, with their products'
// titles in the page's language (a product no longer sold keeps its link,
// without a title), and the orders and earnings of each in e (nil: none).
func (s *Shop) shareRows(r *http.Request, b *base, ls []share.Link, e *order.ShareEarnings, shared string) []shareRow {
	rows := make([]shareRow, 0, len(ls))
	for _, l := range ls {
		row := shareRow{URL: s.absolute(r, "/s/"+l.Code), Visits: int(l.Visits), Created: l.CreatedAt.Format(time.DateOnly), New: l.Code == shared}
		if e != nil {
			for _, le := range e.Links {
				if le.Code == l.Code {
					row.Orders = int(le.Orders)
					amounts := make([]string, len(le.Earnings))
					for i, a := range le.Earnings {
						amounts[i] = s.money(b, a)
					}
					row.Earned = b.W.List(amounts)
				}
			}
		}
		if ch, err := s.svc.Channels.Public(r.Context(), l.Channel); err == nil {
			lang := ch.Language(b.Lang) // the page's language where that storefront has it
			if v, err := s.svc.Catalog.PublicProduct(r.Context(), l.ProductID, ch.Code, lang); err == nil {
				row.Title, row.Href = v.Title, productPath(ch.Code, lang, v.Title, v.ID)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// earningsView is what a person's links earned, as their account page
// shows it: the totals by currency and the orders credited, newest first.
type earningsView struct {
	Totals []earningsTotal
	Orders []earnedOrder
}

// earningsTotal is the commissions of one currency, formatted.
type earningsTotal struct {
	Currency, Pending, Payable, Reversed string
}

// earnedOrder is an order placed through one of the person's links: when,
// which product and the commission, never who bought it.
type earnedOrder struct {
	Date, Title, Amount, Reversed, Status, StatusClass string
}

// earningsOf formats e for the page b (nil for nil).
func (s *Shop) earningsOf(b *base, e *order.ShareEarnings) *earningsView {
	if e == nil {
		return nil
	}
	v := &earningsView{}
	for _, t := range e.Totals {
		v.Totals = append(v.Totals, earningsTotal{Currency: t.Currency, Pending: s.money(b, t.Pending), Payable: s.money(b, t.Payable), Reversed: s.money(b, t.Reversed)})
	}
	for _, o := range e.Orders {
		eo := earnedOrder{Date: o.Date.UTC().Format(time.DateOnly), Title: o.Title, Amount: s.money(b, o.Amount), StatusClass: string(o.Status)}
		if o.Reversed.Minor > 0 && o.Status != order.ShareReversed {
			eo.Reversed = s.money(b, o.Reversed)
		}
		switch o.Status {
		case order.SharePending:
			eo.Status = b.W.T("share_status_pending")
		case order.SharePayable:
			eo.Status = b.W.T("share_status_payable")
		case order.ShareReversed:
			eo.Status = b.W.T("share_status_reversed")
		}
		v.Orders = append(v.Orders, eo)
	}
	return v
}
