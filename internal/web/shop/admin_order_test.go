package shop_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestConsoleRefundsACompletedOrder: an operator finds a completed order
// by its number and refunds part of it; a bad amount or a blank reason is
// refused on the page and changes nothing, a second refund is refused, a
// cross-site post is refused, and no one else may open the page or post
// the form.
func TestConsoleRefundsACompletedOrder(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newStore(t, db, 300)
		soap := inStock(t, s, "bazaar", "Savonnerie", "FR")
		o := confirmedOrder(t, s, "bazaar", "EUR", testkit.Paris(), soap)
		shipped, _ := shippedOrder(t, s, "bazaar", "EUR", testkit.Paris(), soap)
		op := s.consoleVisitor()

		res, _ := op.get("/admin/fr/orders?id=" + url.QueryEscape(o.ID))
		wantRedirect(t, res, http.StatusSeeOther, "/admin/fr/orders/"+o.ID)
		if res, body := op.get("/admin/fr/orders?id=ord_nothing"); res.StatusCode != http.StatusNotFound || !strings.Contains(body, "Aucune commande ne porte ce numéro.") {
			t.Errorf("an unknown number: %d", res.StatusCode)
		}
		res, body := op.get("/admin/en/orders/" + o.ID)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "Refund after completion") || !strings.Contains(body, "Savonnerie de Provence") {
			t.Fatalf("the order's page: %d\n%s", res.StatusCode, body)
		}
		if _, body := op.get("/admin/en/orders/" + shipped.ID); strings.Contains(body, `action="/admin/en/orders/`+shipped.ID+`/refund"`) {
			t.Error("a shipped order offers the refund after completion")
		}

		path := "/admin/en/orders/" + o.ID + "/refund"
		others := map[string]*visitor{}
		for _, email := range []string{buyerEmail, "contact@savonnerie-provence.example", "partner@francilienne-logistique.example"} {
			others[email] = s.signedInAs(email)
		}
		before := s.fingerprint()
		for _, bad := range []url.Values{{"amount": {"abc"}, "reason": {"Recalled"}}, {"amount": {"0"}, "reason": {"Recalled"}},
			{"amount": {o.Total.Decimal() + "1"}, "reason": {"Recalled"}}, {"amount": {"1.00"}, "reason": {"   "}}} {
			res, body := op.post(path, "", bad)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="form-error"`) {
				t.Errorf("refund %v: %d", bad, res.StatusCode)
			}
		}
		for email, v := range others {
			if res, _ := v.get("/admin/en/orders/" + o.ID); res.StatusCode != http.StatusNotFound {
				t.Errorf("%s opens the order's console page: %d", email, res.StatusCode)
			}
			if res, _ := v.post(path, "", url.Values{"amount": {"1.00"}, "reason": {"Mine"}}); res.StatusCode != http.StatusNotFound {
				t.Errorf("%s refunds through the console: %d", email, res.StatusCode)
			}
		}
		if res, _ := op.post(path, "https://evil.example", url.Values{"amount": {"1.00"}, "reason": {"Recalled"}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("a cross-site refund: %d", res.StatusCode)
		}
		if s.fingerprint() != before {
			t.Fatal("a refused refund changed the database")
		}

		res, _ = op.post(path, "", url.Values{"amount": {"5.00"}, "reason": {"The maker recalled this batch."}})
		wantRedirect(t, res, http.StatusSeeOther, "/admin/en/orders/"+o.ID+"?done=refund")
		res, body = op.get("/admin/en/orders/" + o.ID + "?done=refund")
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "The order is refunded.") || !strings.Contains(body, "€5.00") ||
			strings.Contains(body, `action="`+path+`"`) {
			t.Errorf("after the refund: %d\n%s", res.StatusCode, body)
		}
		got, err := s.svc.Orders.Order(context.Background(), identity.System, o.ID)
		if err != nil || got.Refund == nil || got.Refund.Amount.Minor != 500 || !got.Refund.AfterCompletion || got.Status != order.Completed {
			t.Fatalf("the order after its refund: %+v %v", got.Refund, err)
		}
		if res, body := op.post(path, "", url.Values{"amount": {"1.00"}, "reason": {"Again"}}); res.StatusCode != http.StatusConflict || !strings.Contains(body, "refunded already") {
			t.Errorf("a second refund: %d", res.StatusCode)
		}
	})
}
