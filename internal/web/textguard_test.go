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

// TestNULAnywhereIsRefused: a NUL (sent as the JSON escape \u0000, which the
// decoder turns into a real NUL) or another control character in any typed
// field of the operators' and merchants' inputs is a 422 on both engines
// (PostgreSQL cannot store NUL: it was a 500) and changes nothing.
func TestNULAnywhereIsRefused(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		for _, c := range []struct {
			name, actor, method, path, body string
		}{
			{"channel name", "operator", "POST", "/api/v1/channels", `{"code":"eu","name":"EU\u0000","markets":["DE"],"languages":["de"],"currencies":["EUR"],"admission":"open"}`},
			{"channel description", "operator", "POST", "/api/v1/channels", `{"code":"eu","name":"EU","description":"a\u0007b","markets":["DE"],"languages":["de"],"currencies":["EUR"],"admission":"open"}`},
			{"pavilion name", "operator", "POST", "/api/v1/pavilions", `{"channel":"mall","slug":"fb","name":"French\u0000Boutique"}`},
			{"pavilion of invisible characters", "operator", "POST", "/api/v1/pavilions", `{"channel":"mall","slug":"fb","name":"\u200b\u200d"}`},
			{"partner name", "operator", "POST", "/api/v1/partners", `{"name":"Fos\u0000","country":"FR","login":{"email":"fos@example.com","name":"F","password":"` + pw + `"}}`},
			{"warehouse city", "operator", "POST", "/api/v1/warehouses", `{"code":"idf-9","name":"IDF 9","country":"FR","city":"Roissy\u0000","operator_partner_id":"{partner}"}`},
			{"rejection reason", "operator", "POST", "/api/v1/merchants/{C2}/reject", `{"reason":"no\u0000"}`},
			{"plan name", "operator", "POST", "/api/v1/plans", `{"code":"gold","name":"Gold\u0000","currency":"EUR","deposit":1,"yearly_fee":2,"commission_bps":700}`},
			{"programme description", "operator", "POST", "/api/v1/programmes", `{"code":"fr","name":"FR","description":"x\u0000","deposit_discount_bps":0,"yearly_fee_discount_bps":5000,"commission_discount_bps":0}`},
			{"shop name", "ownerA", "POST", "/api/v1/merchants/{A}/shops", `{"channel":"outlet","name":"A\u0000"}`},
			{"login e-mail", "", "POST", "/api/v1/auth/login", `{"email":"buyer@example.com\u0000","password":"` + pw + `"}`},
		} {
			t.Run(c.name, func(t *testing.T) {
				before := f.fingerprint()
				status, out := f.do(c.actor, c.method, c.path, f.expand(c.body))
				if status != 422 {
					t.Errorf("%s %s: %d %s, want 422", c.method, c.path, status, out)
				}
				if f.fingerprint() != before {
					t.Errorf("%s %s changed the database", c.method, c.path)
				}
			})
		}
	})
}
