package events

// The events of accounts (payload: Account). UserRegistered: an account
// was opened (a buyer's gets a verification mail); VerificationRequested:
// the signed-in person asked for the verification mail again;
// PasswordResetRequested: someone asked for a reset link for the
// account's e-mail (only for e-mails that have an account).
const (
	VerificationRequested  = "identity.user.verification_requested"
	PasswordResetRequested = "identity.user.password_reset_requested"
)

// AccountV1 is the version of Account.
const AccountV1 = 1

// Account is the payload of the user events: whom they are about and the
// storefront the person was on, for the links of a mail. It never carries
// a secret: the mail consumer mints the token of a link itself.
type Account struct {
	V         int    `json:"v"`
	UserID    string `json:"user_id"`
	Role      string `json:"role"`
	StaffRole string `json:"staff_role,omitempty"`
	// Channel is the code of the storefront the person was on; empty when
	// they came through the API without naming one.
	Channel string `json:"channel,omitempty"`
}
