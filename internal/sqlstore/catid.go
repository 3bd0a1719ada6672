package sqlstore

import (
	"database/sql/driver"
	"encoding/hex"
	"fmt"

	"github.com/sesame-market/sesame/internal/ids"
)

// The catalogue's own ids (products and variants) are stored as the 16 bytes
// of their UUID rather than as their 36-character text: at a million products
// they appear in every catalogue table and index. prodID and varID convert at
// the store's edge: bind one as a query argument, scan into one.

// prodID is a product id ("prd_" and 32 hex digits) bound or scanned as its
// 16 bytes.
type prodID string

// varID is a variant id, stored like prodID.
type varID string

func (id prodID) Value() (driver.Value, error) { return idBytes(ids.Product, string(id)), nil }
func (id varID) Value() (driver.Value, error)  { return idBytes(ids.Variant, string(id)), nil }

func (id *prodID) Scan(src any) error {
	s, err := idText(ids.Product, src)
	*id = prodID(s)
	return err
}

func (id *varID) Scan(src any) error {
	s, err := idText(ids.Variant, src)
	*id = varID(s)
	return err
}

// idBytes is the stored form of id. A string that is not an id of the type
// binds as its own bytes, which are never 16 long, so it matches no row: a
// malformed id in a path is simply not found.
func idBytes(prefix, id string) []byte {
	if !ids.Valid(prefix, id) {
		return []byte(id)
	}
	b := make([]byte, 16)
	if _, err := hex.Decode(b, []byte(id[len(prefix)+1:])); err != nil {
		return []byte(id)
	}
	return b
}

// idText is the id a stored value src holds.
func idText(prefix string, src any) (string, error) {
	b, ok := src.([]byte)
	if !ok || len(b) != 16 {
		return "", fmt.Errorf("stored %s id: %T of %d bytes", prefix, src, len(b))
	}
	out := make([]byte, len(prefix)+1+32)
	copy(out, prefix)
	out[len(prefix)] = '_'
	hex.Encode(out[len(prefix)+1:], b)
	return string(out), nil
}
