package shop

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/order"
)

// patternConsolePayouts is where the console's "run the payouts now" form
// posts.
const patternConsolePayouts = "POST /admin/{lang}/payouts/run"

// payoutRow is a payout in the console's list.
type payoutRow struct {
	ID, Merchant, Amount, Status, StatusClass, Account, Created, Paid string
}

type payoutsPage struct {
	*base
	Rows   []payoutRow
	Notice string
}

func (s *Shop) consolePayouts(w http.ResponseWriter, r *http.Request, b *base, actor identity.Actor, notice string) {
	ps, _, err := s.svc.Orders.Payouts(r.Context(), actor, "", "", order.MaxLedgerPage)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	p := payoutsPage{base: b, Notice: notice}
	names := map[string]string{}
	for _, po := range ps {
		name, ok := names[po.MerchantID]
		if !ok {
			name = po.MerchantID
			if m, err := s.svc.Merchants.Merchant(r.Context(), actor, po.MerchantID); err == nil {
				name = m.Name
			}
			names[po.MerchantID] = name
		}
		row := payoutRow{ID: po.ID, Merchant: name, Amount: s.money(b, po.Amount), Status: b.W.T("console_payout_pending"), StatusClass: string(po.Status),
			Account: po.Provider + " · " + po.Account, Created: day(po.CreatedAt)}
		if po.Status == order.PayoutPaid {
			row.Status = b.W.T("console_payout_paid")
		}
		if po.PaidAt != nil {
			row.Paid = day(*po.PaidAt)
		}
		p.Rows = append(p.Rows, row)
	}
	s.consolePage(w, r, b, http.StatusOK, "admin_payouts", b.W.T("console_payouts"), p)
}

// consoleRunPayouts runs the payouts now and answers with the page,
// saying what the run paid (a reload asks the browser before posting
// again; a second run pays nothing twice).
func (s *Shop) consoleRunPayouts(w http.ResponseWriter, r *http.Request) {
	b, actor, ok := s.operator(w, r)
	if !ok {
		return
	}
	run, err := s.svc.Orders.RunPayoutsAs(r.Context(), actor)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	var amounts []string
	for _, a := range run.Amounts {
		amounts = append(amounts, s.money(b, a))
	}
	if len(amounts) == 0 {
		amounts = []string{"0"}
	}
	s.consolePayouts(w, r, b, actor, b.W.T("console_payouts_done", "Payouts", strconv.Itoa(run.Payouts), "Merchants", strconv.Itoa(run.Merchants),
		"Amounts", strings.Join(amounts, ", ")))
}
