// Package identity knows who is calling: buyers, merchant staff, logistics
// partners and operators; their passwords, sessions and API keys; and the Actor
// that every service call takes and checks.
package identity

// Role is what kind of party an actor is.
type Role string

// The roles. Anonymous is the zero value.
const (
	Anonymous Role = ""
	Buyer     Role = "buyer"
	Staff     Role = "merchant_staff"
	Partner   Role = "partner"
	Operator  Role = "operator"
)

// ValidRole reports whether r is one of the roles a user account can have.
func ValidRole(r Role) bool {
	switch r {
	case Buyer, Staff, Partner, Operator:
		return true
	}
	return false
}

// Merchant staff roles.
const (
	StaffOwner  = "owner"
	StaffMember = "staff"
)

// Actor is the authenticated party behind a call. Services take it as an
// argument and check it; the web layer only builds it.
type Actor struct {
	Role       Role
	UserID     string // empty for API-key actors
	APIKeyID   string // set when the actor authenticated with an API key
	SessionID  string // set when the actor authenticated with a session cookie
	MerchantID string // for Staff
	StaffRole  string // owner or staff, for Staff
	PartnerID  string // for Partner
	// MerchantStatus is the status of the actor's merchant (pending,
	// approved, rejected, suspended) when the actor is Staff, read at
	// authentication so that services can refuse a merchant that may not sell.
	MerchantStatus string
}

// MerchantApproved is the merchant status that may sell.
const MerchantApproved = "approved"

// Sells reports whether the actor acts for an approved merchant: staff or an
// API key of a merchant whose status is approved. A pending or rejected
// merchant may only read and edit its application.
func (a Actor) Sells() bool {
	return a.Role == Staff && a.MerchantID != "" && a.MerchantStatus == MerchantApproved
}

// IsAnonymous reports whether no one is authenticated.
func (a Actor) IsAnonymous() bool { return a.Role == Anonymous }

// IsOperator reports whether the actor operates the marketplace.
func (a Actor) IsOperator() bool { return a.Role == Operator }

// ActsFor reports whether the actor is staff (or an API key) of merchant id.
func (a Actor) ActsFor(merchantID string) bool {
	return a.Role == Staff && merchantID != "" && a.MerchantID == merchantID
}

// OwnerOf reports whether the actor is an owner of merchant id. API keys are
// never owners: they cannot create keys or add staff.
func (a Actor) OwnerOf(merchantID string) bool {
	return a.ActsFor(merchantID) && a.StaffRole == StaffOwner && a.APIKeyID == ""
}

// OperatesFor reports whether the actor is the logistics partner id.
func (a Actor) OperatesFor(partnerID string) bool {
	return a.Role == Partner && partnerID != "" && a.PartnerID == partnerID
}

// System is the actor for work Sesame does on its own behalf (seeding, timers).
// It has operator rights and no user.
var System = Actor{Role: Operator}
