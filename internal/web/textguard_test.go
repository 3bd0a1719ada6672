package web_test

import (
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestInvalidUTF8IsRefused: invalid UTF-8 in a JSON body or a query value,
// and a NUL in a query value, are refused with 422 and change nothing; the
// JSON decoder alone would have replaced the bytes with U+FFFD and stored
// them.
func TestInvalidUTF8IsRefused(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		product := `{"category_id":"` + f.ids["category"] + "\",\"origin_country\":\"CN\",\"translations\":{\"en\":{\"title\":\"Coque \xff\xfe\"}},\"variants\":[{\"sku\":\"UTF-1\"}]}"
		for _, c := range []struct {
			name, actor, method, path string
			body                      any
		}{
			{"product title", "ownerA", "POST", "/api/v1/products", []byte(product)},
			{"login e-mail", "", "POST", "/api/v1/auth/login", []byte("{\"email\":\"buyer\xc3@example.com\",\"password\":\"" + pw + "\"}")},
			{"registration name", "", "POST", "/api/v1/auth/register", []byte("{\"email\":\"utf@example.com\",\"name\":\"Bad \xe9\",\"password\":\"" + pw + "\"}")},
			{"query value", "", "GET", "/api/v1/products?channel=bazaar&lang=%ff", nil},
			{"NUL in a query value", "", "GET", "/api/v1/products?channel=bazaar%00", nil},
		} {
			t.Run(c.name, func(t *testing.T) {
				before := f.fingerprint()
				status, out := f.do(c.actor, c.method, c.path, c.body)
				if status != 422 || !strings.Contains(string(out), "/problems/invalid") {
					t.Errorf("%s %s: %d %s, want a 422 problem", c.method, c.path, status, out)
				}
				if f.fingerprint() != before {
					t.Errorf("%s %s changed the database", c.method, c.path)
				}
			})
		}
		// The same product in valid UTF-8 is accepted: the refusal was about the bytes.
		if status, out := f.do("ownerA", "POST", "/api/v1/products", []byte(strings.ReplaceAll(product, "\xff\xfe", "é"))); status != 201 {
			t.Errorf("valid product: %d %s", status, out)
		}
	})
}
