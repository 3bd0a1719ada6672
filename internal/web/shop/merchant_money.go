package shop

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/order"
)

// The merchants' console's money: the balances of the merchant's accounts
// (what is available, held, kept in reserve, owed back), its payouts, the
// form that pays the available balance out now, and the period statement
// as CSV (the API's, which takes the staff member's session as any API
// call does).

// patternSellerPayOut is where the "pay out now" form posts.
const patternSellerPayOut = "POST /merchant/{lang}/money/payout"

type sellerMoneyPage struct {
	*base
	Balances   []balanceRow
	Payouts    []payoutRow
	Currencies []option
	Statement  string
	From, To   string
	CanPayOut  bool
	Notice     string
	Error      string
}

func (s *Shop) sellerMoney(w http.ResponseWriter, r *http.Request, b *base, actor identity.Actor, notice string) {
	s.sellerMoneyPage(w, r, b, actor, http.StatusOK, notice, "")
}

func (s *Shop) sellerMoneyPage(w http.ResponseWriter, r *http.Request, b *base, actor identity.Actor, status int, notice, problem string) {
	bals, err := s.svc.Orders.Ledger(r.Context(), actor, actor.MerchantID)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	rows, err := s.balanceRows(r, b, actor)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	today := s.now().UTC().Truncate(24 * time.Hour)
	p := sellerMoneyPage{base: b, Balances: rows, Notice: notice, Error: problem,
		Statement: "/api/v1/merchants/" + url.PathEscape(actor.MerchantID) + "/statement",
		From:      today.AddDate(0, -1, 0).Format(time.DateOnly), To: today.AddDate(0, 0, 1).Format(time.DateOnly)}
	var curs []string
	for _, bal := range bals {
		if !slices.Contains(curs, bal.Amount.Currency) {
			curs = append(curs, bal.Amount.Currency)
		}
		if bal.Account == order.Available && bal.Amount.Minor > 0 {
			p.CanPayOut = true
		}
	}
	for i, c := range curs {
		p.Currencies = append(p.Currencies, option{Value: c, Label: c, Selected: i == 0})
	}
	ps, _, err := s.svc.Orders.Payouts(r.Context(), actor, actor.MerchantID, "", consolePageSize)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	for _, po := range ps {
		row := payoutRow{ID: po.ID, Amount: s.money(b, po.Amount), Status: b.W.T("console_payout_pending"), StatusClass: string(po.Status),
			Account: po.Provider + " · " + po.Account, Created: day(po.CreatedAt)}
		if po.Status == order.PayoutPaid {
			row.Status = b.W.T("console_payout_paid")
		}
		if po.PaidAt != nil {
			row.Paid = day(*po.PaidAt)
		}
		p.Payouts = append(p.Payouts, row)
	}
	s.sellerPage(w, r, b, status, "merchant_money", b.W.T("mc_money"), p)
}

// sellerPayOut pays the merchant's available balance out now and answers
// with the page, saying what was paid (a second post finds nothing
// available and pays nothing twice).
func (s *Shop) sellerPayOut(w http.ResponseWriter, r *http.Request) {
	b, actor, ok := s.staff(w, r)
	if !ok {
		return
	}
	ps, err := s.svc.Orders.PayOutNow(r.Context(), actor, actor.MerchantID)
	switch {
	case errs.Is(err, errs.Conflict):
		s.sellerMoneyPage(w, r, b, actor, http.StatusConflict, "", b.W.T("mc_err_payout"))
		return
	case err != nil:
		s.fail(w, r, b, err)
		return
	}
	var amounts []string
	for _, p := range ps {
		amounts = append(amounts, s.money(b, p.Amount))
	}
	s.sellerMoney(w, r, b, actor, b.W.T("mc_done_payout", "Amounts", strings.Join(amounts, ", ")))
}
