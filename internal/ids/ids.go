// Package ids makes Sesame's identifiers: sortable random ids (UUIDv7) with a
// short type prefix, so that no table depends on a sequence hot spot and an id
// read in a log says what it names.
package ids

import (
	"strings"

	"github.com/google/uuid"
)

// Prefixes of the id types.
const (
	User      = "usr"
	Session   = "ses"
	APIKey    = "key"
	Merchant  = "mer"
	Shop      = "shp"
	Plan      = "pln"
	Programme = "prg"
	Partner   = "ptn"
	Channel   = "chn"
	Pavilion  = "pav"
	Category  = "cat"
	Brand     = "brd"
	Product   = "prd"
	Variant   = "var"
	Warehouse = "wh"
	Event     = "evt"
)

// PartnerLink prefixes the ids of partner links (a merchant's request that a
// logistics partner operate its warehouse).
const PartnerLink = "plk"

// Reservation prefixes the ids of stock reservations.
const Reservation = "rsv"

// Consignment prefixes the ids of inbound consignments.
const Consignment = "cns"

// New returns a new id of the given type: prefix, underscore, 32 hex digits of
// a UUIDv7. Ids of one type sort by creation time.
func New(prefix string) string {
	u := uuid.Must(uuid.NewV7())
	var b strings.Builder
	b.Grow(len(prefix) + 33)
	b.WriteString(prefix)
	b.WriteByte('_')
	const hex = "0123456789abcdef"
	for _, c := range u {
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	return b.String()
}

// Valid reports whether s looks like an id of the given type.
func Valid(prefix, s string) bool {
	if len(s) != len(prefix)+33 || !strings.HasPrefix(s, prefix+"_") {
		return false
	}
	for _, c := range s[len(prefix)+1:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// The prefixes of carts, their lines, checkouts, orders and payments.
const (
	Cart     = "crt"
	CartLine = "cln"
	Checkout = "chk"
	Order    = "ord"
	Payment  = "pay"
	Coupon   = "cpn"
	Mail     = "mail"
	// Posting prefixes the ids of the merchant ledger's postings.
	Posting = "lpo"
	// Review prefixes the ids of buyers' reviews of order lines.
	Review = "rev"
)
