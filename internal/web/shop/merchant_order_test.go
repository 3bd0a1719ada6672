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

// TestMerchantOrders: staff see their paid orders to ship, ship one with
// its carrier and tracking number and mark it delivered; refused forms
// say why and change nothing; another merchant's order is not found.
func TestMerchantOrders(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newStore(t, db, 150)
		ctx := context.Background()
		p := inStock(t, s, "bazaar", "Shenzhen", "CN")
		o := paidOrder(t, s, "bazaar", "EUR", p)
		m := s.sellerVisitor(shenzhenEmail)

		_, body := m.get("/merchant/en/orders")
		for _, want := range []string{o.ID, `<span class="status status-paid">Paid</span>`, "1 × " + o.Lines[0].Title, `action="/merchant/en/orders/` + o.ID + `/ship"`,
			`<label for="carrier-` + o.ID + `">Carrier</label>`, `aria-current="page">To ship</a>`} {
			if !strings.Contains(body, want) {
				t.Errorf("the orders to ship lack %q", want)
			}
		}
		if _, body := m.get("/merchant/fr/orders?view=shipped"); strings.Contains(body, o.ID) {
			t.Error("the paid order is among the shipped")
		}
		if res, _ := m.get("/merchant/en/orders?view=nonsense"); res.StatusCode != http.StatusBadRequest {
			t.Errorf("an unknown view: %d", res.StatusCode)
		}

		other := s.sellerVisitor(savonEmail)
		if _, body := other.get("/merchant/en/orders?view=all"); strings.Contains(body, o.ID) {
			t.Error("another merchant sees the order")
		}
		ship := url.Values{"carrier": {"SF Express"}, "tracking": {"SF1234567890"}}
		for _, c := range []struct {
			name   string
			v      *visitor
			path   string
			origin string
			form   url.Values
			status int
			says   string
		}{
			{"another merchant", other, "/merchant/en/orders/" + o.ID + "/ship", "", ship, http.StatusNotFound, ""},
			{"another merchant delivers", other, "/merchant/en/orders/" + o.ID + "/deliver", "", nil, http.StatusNotFound, ""},
			{"no tracking", m, "/merchant/en/orders/" + o.ID + "/ship", "", url.Values{"carrier": {"SF Express"}, "tracking": {"  "}}, http.StatusBadRequest, "Enter the carrier and the tracking number"},
			{"not shipped", m, "/merchant/en/orders/" + o.ID + "/deliver", "", nil, http.StatusConflict, "no longer allows this"},
			{"unknown order", m, "/merchant/en/orders/ord_00000000000000000000000000000000/ship", "", ship, http.StatusNotFound, ""},
			{"unknown action", m, "/merchant/en/orders/" + o.ID + "/cancel", "", nil, http.StatusNotFound, ""},
			{"cross-site", m, "/merchant/en/orders/" + o.ID + "/ship", "https://evil.example", ship, http.StatusForbidden, ""},
			{"signed out", s.visitor(), "/merchant/en/orders/" + o.ID + "/ship", "", ship, http.StatusSeeOther, ""},
		} {
			before := s.fingerprint()
			res, body := c.v.post(c.path, c.origin, c.form)
			if res.StatusCode != c.status || !strings.Contains(body, c.says) {
				t.Errorf("%s: %d, want %d saying %q\n%s", c.name, res.StatusCode, c.status, c.says, body)
			}
			if s.fingerprint() != before {
				t.Errorf("%s changed the database", c.name)
			}
		}
		// The refused shipment keeps what was typed, marked invalid.
		_, body = m.post("/merchant/en/orders/"+o.ID+"/ship", "", url.Values{"carrier": {"SF Express"}})
		if !strings.Contains(body, `value="SF Express" aria-invalid="true"`) {
			t.Error("the refused shipment is not filled in again")
		}

		res, _ := m.post("/merchant/en/orders/"+o.ID+"/ship", "", ship)
		wantRedirect(t, res, http.StatusSeeOther, "/merchant/en/orders?view=to_ship&done=ship")
		got, err := s.svc.Orders.Order(ctx, identity.System, o.ID)
		if err != nil || got.Status != order.Shipped || got.Carrier != "SF Express" || got.TrackingNumber != "SF1234567890" {
			t.Fatalf("after shipping: %s %q %q (%v)", got.Status, got.Carrier, got.TrackingNumber, err)
		}
		_, body = m.get("/merchant/en/orders?view=shipped")
		if !strings.Contains(body, "SF1234567890") || !strings.Contains(body, `action="/merchant/en/orders/`+o.ID+`/deliver"`) {
			t.Errorf("the shipped orders:\n%s", body)
		}
		res, _ = m.post("/merchant/en/orders/"+o.ID+"/deliver", "", nil)
		wantRedirect(t, res, http.StatusSeeOther, "/merchant/en/orders?view=shipped&done=deliver")
		if got, _ := s.svc.Orders.Order(ctx, identity.System, o.ID); got.Status != order.Delivered {
			t.Fatalf("after delivery: %s", got.Status)
		}
		_, body = m.get("/merchant/zh/orders?view=all")
		if !strings.Contains(body, o.ID) || !strings.Contains(body, "全部订单") {
			t.Error("the order is not among all orders in Chinese")
		}
	})
}
