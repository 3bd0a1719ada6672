package identity

import "github.com/sesame-market/sesame/internal/errs"

// RefuseUnapproved is the one check every selling or operating call of a
// merchant makes (creating keys, staff, products, brands, prices, listings,
// shops, warehouses): it refuses staff and API keys of a merchant that is not
// approved, with a reason they can act on, because a pending or rejected
// merchant may only read and edit its application and a suspended one may
// not sell. Other actors pass: the caller's own role checks decide for them
// (operators keep their rights). Errors: Forbidden.
func RefuseUnapproved(op string, a Actor) error {
	if a.Role != Staff || a.Sells() {
		return nil
	}
	var why string
	switch a.MerchantStatus {
	case "pending":
		why = "your merchant application is pending review; you can edit it until it is approved"
	case "rejected":
		why = "your merchant application was rejected; edit it to resubmit it for review"
	case "suspended":
		why = "your merchant is suspended; it cannot sell until an operator reinstates it"
	default:
		why = "your merchant is not approved to sell"
	}
	return errs.E(op, errs.Forbidden, why)
}
