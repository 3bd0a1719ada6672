package shop_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestMerchantMoney: the money page shows the merchant's balances, pays
// the available balance out now (once: a second post finds nothing), lists
// the payout, and links the statement as CSV; another merchant sees none
// of it.
func TestMerchantMoney(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newStore(t, db, 150)
		p := inStock(t, s, "bazaar", "Shenzhen", "CN")
		o := confirmedOrder(t, s, "bazaar", "EUR", testkit.Paris(), p)
		staff := s.staffOf(shenzhenEmail)
		if _, err := s.svc.Orders.SetPayoutAccount(s.t.Context(), staff, o.MerchantID, order.PayoutAccount{Provider: "sandbox", Account: "shenzhen-eur"}); err != nil {
			t.Fatal(err)
		}
		m := s.sellerVisitor(shenzhenEmail)
		_, body := m.get("/merchant/en/money")
		for _, want := range []string{"Available", "Reserve", "Owed", `action="/merchant/en/money/payout"`, `action="/api/v1/merchants/` + o.MerchantID + `/statement"`,
			`name="format" value="csv"`, "No payout yet."} {
			if !strings.Contains(body, want) {
				t.Errorf("the money page lacks %q", want)
			}
		}
		if strings.Contains(body, `type="submit" disabled>Pay out now`) {
			t.Fatalf("nothing to pay out after a confirmed order:\n%s", body)
		}

		other := s.sellerVisitor(savonEmail)
		before := s.fingerprint()
		if res, _ := other.post("/merchant/en/money/payout", "", nil); res.StatusCode != http.StatusConflict {
			t.Errorf("another merchant with nothing available pays out: %d", res.StatusCode)
		}
		if res, _ := m.post("/merchant/en/money/payout", "https://evil.example", nil); res.StatusCode != http.StatusForbidden {
			t.Errorf("a cross-site payout: %d", res.StatusCode)
		}
		res, _ := s.visitor().post("/merchant/en/money/payout", "", nil)
		wantRedirect(t, res, http.StatusSeeOther, "/merchant/en/signin?next=%2Fmerchant%2Fen%2F")
		if s.fingerprint() != before {
			t.Error("a refused payout changed the database")
		}

		res, body = m.post("/merchant/en/money/payout", "", nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "Paid out: €") || !regexp.MustCompile(`<th scope="row" class="mono">pyt_[0-9a-f]+</th>`).MatchString(body) {
			t.Fatalf("paying out: %d\n%s", res.StatusCode, body)
		}
		ps, _, err := s.svc.Orders.Payouts(s.t.Context(), identity.System, o.MerchantID, "", 10)
		if err != nil || len(ps) != 1 {
			t.Fatalf("payouts: %v %v", ps, err)
		}
		if res, body := m.post("/merchant/fr/money/payout", "", nil); res.StatusCode != http.StatusConflict || !strings.Contains(body, "Rien à verser") {
			t.Errorf("paying out twice: %d", res.StatusCode)
		}
		if _, body := other.get("/merchant/en/money"); strings.Contains(body, ps[0].ID) {
			t.Error("another merchant sees the payout")
		}
		// The statement's CSV, with the staff member's session.
		from, to := regexp.MustCompile(`id="st-from" name="from" type="date" required value="([0-9-]+)"`).FindStringSubmatch(body),
			regexp.MustCompile(`id="st-to" name="to" type="date" required value="([0-9-]+)"`).FindStringSubmatch(body)
		if from == nil || to == nil {
			t.Fatalf("the statement form has no dates:\n%s", body)
		}
		res, csv := m.get("/api/v1/merchants/" + o.MerchantID + "/statement?format=csv&currency=EUR&from=" + from[1] + "&to=" + to[1])
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !strings.Contains(csv, "opening") || !strings.Contains(csv, "payout") {
			t.Errorf("the statement: %d %s\n%s", res.StatusCode, res.Header.Get("Content-Type"), csv)
		}
	})
}
