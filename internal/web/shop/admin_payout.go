package shop

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/errs"

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
	Recon  reconView
}

// reconView is the reconciliation form and, once asked, its report.
type reconView struct {
	From, To, Error string
	Asked           bool
	Matched         int
	Totals          []reconTotalRow
	Differences     []reconDiffRow
}

type reconTotalRow struct{ Type, Sesame, Provider string }

type reconDiffRow struct{ Kind, KindClass, Type, Ref, Sesame, Provider, Of, At string }

// reconWord names a movement's type or a difference's kind.
func reconWord(b *base, what string) string {
	switch what {
	case "charge":
		return b.W.T("console_recon_charge")
	case "refund":
		return b.W.T("console_recon_refund")
	case "transfer":
		return b.W.T("console_recon_transfer")
	case order.DiffMissingAtProvider:
		return b.W.T("console_recon_missing_at_provider")
	case order.DiffMissingInSesame:
		return b.W.T("console_recon_missing_in_sesame")
	case order.DiffAmount:
		return b.W.T("console_recon_amount_differs")
	}
	return what
}

// reconcile fills the page's reconciliation from the query (from, to:
// dates; by default the last seven days).
func (s *Shop) reconcile(r *http.Request, b *base, actor identity.Actor) reconView {
	q := r.URL.Query()
	today := time.Now().UTC().Truncate(24 * time.Hour)
	v := reconView{From: q.Get("from"), To: q.Get("to")}
	if v.From == "" && v.To == "" {
		v.From, v.To = today.AddDate(0, 0, -6).Format(time.DateOnly), today.AddDate(0, 0, 1).Format(time.DateOnly)
		return v
	}
	v.Asked = true
	from, err1 := time.Parse(time.DateOnly, v.From)
	to, err2 := time.Parse(time.DateOnly, v.To)
	if err1 != nil || err2 != nil {
		v.Error = b.W.T("console_recon_bad_dates")
		return v
	}
	rep, err := s.svc.Orders.Reconcile(r.Context(), actor, "sandbox", from, to)
	if err != nil {
		v.Error = b.W.T("console_recon_bad_dates")
		if !errs.Is(err, errs.Invalid) {
			v.Error = b.W.T("console_recon_unavailable")
		}
		return v
	}
	v.Matched = rep.Matched
	for _, t := range rep.Totals {
		v.Totals = append(v.Totals, reconTotalRow{Type: reconWord(b, t.Type), Sesame: s.money(b, t.Sesame), Provider: s.money(b, t.Provider)})
	}
	for _, d := range rep.Differences {
		row := reconDiffRow{Kind: reconWord(b, d.Kind), KindClass: d.Kind, Type: reconWord(b, d.Type), Ref: d.Ref, Of: d.Of,
			At: d.At.Format("2006-01-02 15:04")}
		if d.Sesame != nil {
			row.Sesame = s.money(b, *d.Sesame)
		}
		if d.Provider != nil {
			row.Provider = s.money(b, *d.Provider)
		}
		v.Differences = append(v.Differences, row)
	}
	return v
}

func (s *Shop) consolePayouts(w http.ResponseWriter, r *http.Request, b *base, actor identity.Actor, notice string) {
	ps, _, err := s.svc.Orders.Payouts(r.Context(), actor, "", "", order.MaxLedgerPage)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	p := payoutsPage{base: b, Notice: notice, Recon: s.reconcile(r, b, actor)}
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
