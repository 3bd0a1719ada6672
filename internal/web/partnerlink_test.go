package web_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// warehouseCodes lists the codes of the warehouses actor sees.
func (f *fixture) warehouseCodes(actor string) string {
	f.t.Helper()
	status, out := f.do(actor, "GET", "/api/v1/warehouses", nil)
	if status != 200 {
		return strconv.Itoa(status)
	}
	var res struct{ Items []struct{ Code string } }
	json.Unmarshal(out, &res)
	var cs []string
	for _, it := range res.Items {
		cs = append(cs, it.Code)
	}
	return strings.Join(cs, ",")
}

type linkOut struct {
	ID, Status, PartnerID string
	PartnerLink           *struct{ ID, Status string } `json:"partner_link"`
	OperatorPartnerID     string                       `json:"operator_partner_id"`
}

func decodeLink(t *testing.T, out []byte) linkOut {
	t.Helper()
	var l linkOut
	if err := json.Unmarshal(out, &l); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return l
}

// TestPartnerLinksAreAccepted: a merchant naming a logistics partner for
// its warehouse only asks; the partner sees and operates the warehouse only
// once it accepts; declining leaves it unseen; no one else can decide for
// it; an operator assigns directly; every id in a body must exist.
func TestPartnerLinksAreAccepted(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		p2, _, err := f.svc.Identity.CreatePartner(ctx, identity.System, identity.PartnerInput{Name: "Rhein", Country: "DE",
			Login: identity.Registration{Email: "partner2@example.com", Name: "P2", Password: pw}})
		if err != nil {
			t.Fatal(err)
		}
		f.ids["partner2"] = p2.ID
		f.login("partner2", "partner2@example.com")

		// The attack: a merchant names another tenant's partner.
		status, out := f.do("ownerA", "POST", "/api/v1/warehouses", f.expand(`{"code":"att-1","name":"Att","country":"FR","city":"Roissy","operator_partner_id":"{partner}"}`))
		if status != 201 {
			t.Fatalf("create: %d %s", status, out)
		}
		w := decodeLink(t, out)
		if w.OperatorPartnerID != "" || w.PartnerLink == nil || w.PartnerLink.Status != "requested" {
			t.Fatalf("a merchant's warehouse naming a partner has an operator or no pending link: %s", out)
		}
		link := w.PartnerLink.ID
		if got := f.warehouseCodes("partner"); strings.Contains(got, "att-1") {
			t.Errorf("the partner sees a warehouse it has not accepted: %s", got)
		}
		if status, out := f.do("partner", "GET", "/api/v1/partner-links?status=requested", nil); status != 200 || !strings.Contains(string(out), link) {
			t.Errorf("the partner's requests: %d %s", status, out)
		}
		if status, out := f.do("partner2", "GET", "/api/v1/partner-links", nil); status != 200 || strings.Contains(string(out), link) {
			t.Errorf("another partner sees the request: %d %s", status, out)
		}
		if status, out := f.do("ownerB", "GET", "/api/v1/partner-links", nil); status != 200 || strings.Contains(string(out), link) {
			t.Errorf("another merchant sees the request: %d %s", status, out)
		}
		if status, out := f.do("ownerA", "GET", "/api/v1/partner-links", nil); status != 200 || !strings.Contains(string(out), link) {
			t.Errorf("the merchant's own requests: %d %s", status, out)
		}
		if status, _ := f.do("buyer", "GET", "/api/v1/partner-links", nil); status != 403 {
			t.Errorf("a buyer lists partner links: %d", status)
		}

		// No one but the addressed partner decides.
		for actor, want := range map[string]int{"partner2": 404, "ownerA": 403, "operator": 403, "ownerB": 404, "buyer": 404} {
			for _, verb := range []string{"accept", "decline"} {
				before := f.fingerprint()
				if status, out := f.do(actor, "POST", "/api/v1/partner-links/"+link+"/"+verb, nil); status != want {
					t.Errorf("%s %ss: %d, want %d: %s", actor, verb, status, want, out)
				}
				if f.fingerprint() != before {
					t.Errorf("%s %s changed the database", actor, verb)
				}
			}
		}
		if got := f.warehouseCodes("partner"); strings.Contains(got, "att-1") {
			t.Errorf("the partner sees the warehouse before accepting: %s", got)
		}
		status, out = f.do("partner", "POST", "/api/v1/partner-links/"+link+"/accept", nil)
		if status != 200 || decodeLink(t, out).Status != "accepted" {
			t.Fatalf("accept: %d %s", status, out)
		}
		if got := f.warehouseCodes("partner"); !strings.Contains(got, "att-1") {
			t.Errorf("the partner does not see the warehouse it accepted: %s", got)
		}
		for _, verb := range []string{"accept", "decline"} {
			if status, _ := f.do("partner", "POST", "/api/v1/partner-links/"+link+"/"+verb, nil); status != 409 {
				t.Errorf("%s an accepted link: %d, want 409", verb, status)
			}
		}

		// Declining leaves the warehouse unseen, and cannot be undone by accepting.
		status, out = f.do("ownerA", "POST", "/api/v1/warehouses", f.expand(`{"code":"att-2","name":"Att 2","country":"FR","city":"Roissy","operator_partner_id":"{partner}"}`))
		if status != 201 {
			t.Fatalf("create: %d %s", status, out)
		}
		w2 := decodeLink(t, out)
		if status, out := f.do("partner", "POST", "/api/v1/partner-links/"+w2.PartnerLink.ID+"/decline", nil); status != 200 || decodeLink(t, out).Status != "declined" {
			t.Fatalf("decline: %d %s", status, out)
		}
		if status, _ := f.do("partner", "POST", "/api/v1/partner-links/"+w2.PartnerLink.ID+"/accept", nil); status != 409 {
			t.Errorf("accept a declined link: %d, want 409", status)
		}
		if got := f.warehouseCodes("partner"); strings.Contains(got, "att-2") {
			t.Errorf("the partner sees a warehouse it declined: %s", got)
		}

		// Every id in a body must exist; a warehouse is named only by its owner.
		for _, c := range []struct {
			actor, path, body string
			want              int
		}{
			{"ownerA", "/api/v1/warehouses", `{"code":"att-3","name":"A3","country":"FR","city":"Roissy","operator_partner_id":"ptn_0000000000000000000000000000dead"}`, 422},
			{"operator", "/api/v1/warehouses", `{"code":"att-3","name":"A3","country":"FR","city":"Roissy","operator_partner_id":"ptn_0000000000000000000000000000dead"}`, 422},
			{"operator", "/api/v1/warehouses", `{"code":"att-3","name":"A3","country":"FR","city":"Roissy","owner_merchant_id":"mer_0000000000000000000000000000dead"}`, 422},
			{"ownerA", "/api/v1/warehouses/" + w2.ID + "/partner-links", `{"partner_id":"ptn_0000000000000000000000000000dead"}`, 422},
			{"ownerB", "/api/v1/warehouses/" + w2.ID + "/partner-links", `{"partner_id":"{partner2}"}`, 404},
			{"partner2", "/api/v1/warehouses/" + w2.ID + "/partner-links", `{"partner_id":"{partner2}"}`, 403},
			{"ownerA", "/api/v1/warehouses/wh_0000000000000000000000000000dead/partner-links", `{"partner_id":"{partner2}"}`, 404},
			{"ownerA", "/api/v1/warehouses/" + w.ID + "/partner-links", `{"partner_id":"{partner}"}`, 409}, // already operates it
		} {
			before := f.fingerprint()
			if status, out := f.do(c.actor, "POST", c.path, f.expand(c.body)); status != c.want {
				t.Errorf("%s POST %s %s: %d, want %d: %s", c.actor, c.path, c.body, status, c.want, out)
			}
			if f.fingerprint() != before {
				t.Errorf("%s POST %s %s changed the database", c.actor, c.path, c.body)
			}
		}
		// A new request on an existing warehouse; one open request per partner.
		status, out = f.do("ownerA", "POST", "/api/v1/warehouses/"+w2.ID+"/partner-links", f.expand(`{"partner_id":"{partner2}"}`))
		if status != 201 || decodeLink(t, out).Status != "requested" {
			t.Fatalf("request on an existing warehouse: %d %s", status, out)
		}
		if status, _ := f.do("ownerA", "POST", "/api/v1/warehouses/"+w2.ID+"/partner-links", f.expand(`{"partner_id":"{partner2}"}`)); status != 409 {
			t.Errorf("a second open request to the same partner: %d, want 409", status)
		}
		if got := f.warehouseCodes("partner2"); strings.Contains(got, "att-2") {
			t.Errorf("partner2 sees a warehouse it has not accepted: %s", got)
		}

		// An operator assigns directly, on creation or on an existing warehouse.
		status, out = f.do("operator", "POST", "/api/v1/warehouses", f.expand(`{"code":"asg-1","name":"Asg","country":"DE","city":"Leipzig","owner_merchant_id":"{B}","operator_partner_id":"{partner2}"}`))
		if status != 201 {
			t.Fatalf("operator assigns: %d %s", status, out)
		}
		if a := decodeLink(t, out); a.OperatorPartnerID != p2.ID || a.PartnerLink == nil || a.PartnerLink.Status != "accepted" {
			t.Errorf("operator's assignment: %s", out)
		}
		if status, out := f.do("operator", "POST", "/api/v1/warehouses/"+w2.ID+"/partner-links", f.expand(`{"partner_id":"{partner}"}`)); status != 201 || decodeLink(t, out).Status != "accepted" {
			t.Errorf("operator assigns an existing warehouse: %d %s", status, out)
		}
		if got := f.warehouseCodes("partner2"); got != "asg-1" {
			t.Errorf("partner2 sees %q, want asg-1", got)
		}
		if got := f.warehouseCodes("partner"); !strings.Contains(got, "att-1") || !strings.Contains(got, "att-2") {
			t.Errorf("partner sees %q after the assignment", got)
		}
	})
}

// TestPartnerLinkDecidedOnce: concurrent accepts and declines of one
// request: exactly one wins, the others get 409.
func TestPartnerLinkDecidedOnce(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		var wg sync.WaitGroup
		codes := make([]int, 16)
		for i := range codes {
			verb := "accept"
			if i%2 == 1 {
				verb = "decline"
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], _ = f.do("partner", "POST", "/api/v1/partner-links/{linkAccept}/"+verb, nil)
			}()
		}
		wg.Wait()
		won := 0
		for _, c := range codes {
			switch c {
			case 200:
				won++
			case 409:
			default:
				t.Errorf("status %d", c)
			}
		}
		if won != 1 {
			t.Errorf("%d decisions won, want 1: %v", won, codes)
		}
	})
}
