package shop

import (
	"errors"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/pricing"
)

// lineProblem words a cart line's problem in the buyer's language (the
// service's English when the code is one this page does not know).
func lineProblem(W *Words, l order.QuotedLine, country string) string {
	switch l.ProblemCode {
	case order.LineNotSold:
		return W.T("problem_not_sold")
	case order.LineNotOnChannel:
		return W.T("problem_not_on_channel")
	case order.LineNoPrice:
		return W.T("problem_no_price")
	case order.LineNotDeliverable:
		return W.T("problem_not_deliverable", "Country", W.Country(country))
	}
	return l.Problem
}

// groupProblem words a parcel's problem.
func groupProblem(W *Words, g order.Group, format func(money.Amount) string) string {
	limit := money.Amount{}
	if g.ProblemLimit != nil {
		limit = *g.ProblemLimit
	}
	return lawProblem(W, g.ProblemCode, g.Problem, limit, format)
}

// lawProblem words a parcel the law refuses; limit is formatted by format.
func lawProblem(W *Words, code, fallback string, limit money.Amount, format func(money.Amount) string) string {
	switch code {
	case pricing.RefusedNotListed:
		return W.T("problem_cbec_not_listed")
	case pricing.RefusedYearlyLimit:
		return W.T("problem_cbec_yearly_limit", "Limit", format(limit))
	case pricing.RefusedSplit:
		return W.T("problem_cbec_split", "Limit", format(limit))
	case "tax":
		return W.T("problem_tax")
	}
	return fallback
}

// couponProblem words why a coupon does not apply.
func couponProblem(W *Words, code, fallback string, minSpend *money.Amount, format func(money.Amount) string) string {
	switch code {
	case order.CouponNotYetValid:
		return W.T("coupon_not_yet_valid")
	case order.CouponExpired:
		return W.T("coupon_expired")
	case order.CouponWrongChannel:
		return W.T("coupon_wrong_channel")
	case order.CouponWrongCurrency:
		return W.T("coupon_wrong_currency")
	case order.CouponNoItems:
		return W.T("coupon_no_items")
	case order.CouponMinSpend:
		if minSpend != nil {
			return W.T("coupon_min_spend", "Amount", format(*minSpend))
		}
	case order.CouponUnknown:
		return W.T("coupon_unknown")
	case order.CouponStacking:
		return W.T("coupon_stacking")
	}
	return fallback
}

// refusalText words an error of the order service for the buyer: a
// refusal it knows in the page's language, else the service's message.
func refusalText(W *Words, err error, format func(money.Amount) string) string {
	var r *pricing.Refusal
	if !errors.As(err, &r) {
		return errs.Message(err)
	}
	var limit *money.Amount
	if r.Limit.Currency != "" {
		limit = &r.Limit
	}
	if t := couponProblem(W, r.Code, "", limit, format); t != "" {
		return t
	}
	return lawProblem(W, r.Code, errs.Message(err), r.Limit, format)
}

// cartProblems are why q cannot be checked out, in the buyer's language.
func cartProblems(W *Words, q order.Quote, format func(money.Amount) string) []string {
	var out []string
	country := cartCountry(q)
	for _, g := range q.Groups {
		if g.Problem != "" {
			out = append(out, W.T("problem_of", "Subject", g.MerchantName, "Problem", groupProblem(W, g, format)))
		}
	}
	for _, l := range q.Lines {
		if l.Problem != "" {
			out = append(out, W.T("problem_of", "Subject", l.Title, "Problem", lineProblem(W, l, country)))
		}
	}
	if len(q.Lines) == 0 {
		out = append(out, W.T("cart_empty"))
	}
	if q.NeedsAddress {
		out = append(out, W.T("address_needed"))
	}
	return out
}

// cartCountry is the country q is priced for: its address's, else the
// country it was opened for.
func cartCountry(q order.Quote) string {
	if q.Address != nil {
		return q.Address.Country
	}
	return q.Country
}
