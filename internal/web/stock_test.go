package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

type stockRow struct {
	WarehouseID string `json:"warehouse_id"`
	MerchantID  string `json:"merchant_id"`
	SKU         string
	OnHand      int64 `json:"on_hand"`
	Reserved    int64
	Available   int64
}

// TestStockOverHTTP: a merchant counts its own warehouse's stock and pages
// through it; a logistics partner counts the stock of a merchant it serves
// in the hub it operates, and sees every merchant's stock there; no one
// else reads or moves a warehouse's stock, and a warehouse one may not see
// answers 404, as an unknown one does.
func TestStockOverHTTP(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		put := func(actor, wh, body string) (int, stockRow) {
			t.Helper()
			status, out := f.do(actor, "PUT", "/api/v1/warehouses/"+wh+"/stock", f.expand(body))
			var r stockRow
			if status == 200 {
				if err := json.Unmarshal(out, &r); err != nil {
					t.Fatal(err)
				}
			}
			return status, r
		}
		// The owner's count, then a recount: the level is replaced, not added to.
		for _, n := range []int{7, 3} {
			status, r := put("ownerA", "{whA}", fmt.Sprintf(`{"sku":"A-1","on_hand":%d}`, n))
			if status != 200 || r.OnHand != int64(n) || r.Available != int64(n) || r.MerchantID != f.ids["A"] {
				t.Fatalf("count %d: %d %+v", n, status, r)
			}
		}
		// Buyers see how available it is, never how many.
		availability := func() string {
			t.Helper()
			status, out := f.do("", "GET", "/api/v1/products/{productA}?channel=bazaar", nil)
			var v struct{ Availability map[string]string }
			if err := json.Unmarshal(out, &v); status != 200 || err != nil || strings.Contains(string(out), "on_hand") {
				t.Fatalf("product: %d %s", status, out)
			}
			return v.Availability["A-1"]
		}
		if got := availability(); got != "low_stock" {
			t.Errorf("3 units: %q, want low_stock", got)
		}
		// Another node's counts (a Stock of its own over the same database,
		// whose writes this node's caches never hear of) show on the next
		// read, not a second later: a product page reads its stock with it.
		other := inventory.NewStock(db.Stock())
		ownerA, err := f.svc.Identity.Authenticate(context.Background(), f.cookies["ownerA"])
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			n    int64
			want string
		}{{0, "out_of_stock"}, {9, "in_stock"}, {3, "low_stock"}} {
			if _, err := other.SetStock(context.Background(), ownerA, f.ids["whA"], inventory.StockInput{SKU: "A-1", OnHand: c.n}); err != nil {
				t.Fatal(err)
			}
			if got := availability(); got != c.want {
				t.Errorf("after another node counted %d: %q, want %s", c.n, got, c.want)
			}
		}
		// Bad counts change nothing.
		before := f.fingerprint()
		for _, body := range []string{`{"sku":"A-1","on_hand":-1}`, `{"sku":"NO-SUCH","on_hand":1}`, `{"sku":"A 1","on_hand":1}`,
			`{"sku":"A-1","on_hand":1,"merchant_id":"{B}"}`} {
			if status, _ := put("ownerA", "{whA}", body); status != 422 {
				t.Errorf("%s: status %d, want 422", body, status)
			}
		}
		if f.fingerprint() != before {
			t.Error("a refused count changed the database")
		}

		// The partner accepts A's request to operate another of A's
		// warehouses, and counts there: the owner's stock only.
		if status, out := f.do("partner", "POST", "/api/v1/partner-links/{linkAccept}/accept", nil); status != 200 {
			t.Fatalf("accept: %d %s", status, out)
		}
		var ws struct{ Items []struct{ ID, Code string } }
		_, out := f.do("partner", "GET", "/api/v1/warehouses", nil)
		json.Unmarshal(out, &ws)
		if len(ws.Items) != 1 {
			t.Fatalf("partner's warehouses: %s", out)
		}
		hub := ws.Items[0].ID
		if status, r := put("partner", hub, `{"sku":"A-1","on_hand":40}`); status != 200 || r.OnHand != 40 || r.MerchantID != f.ids["A"] {
			t.Fatalf("partner's count: %d %+v", status, r)
		}
		if got := availability(); got != "in_stock" {
			t.Errorf("43 units over two warehouses: %q, want in_stock", got)
		}
		if status, _ := put("partner", hub, `{"sku":"B-1","on_hand":1,"merchant_id":"{B}"}`); status != 422 {
			t.Errorf("another merchant's stock in A's warehouse: %d, want 422", status)
		}

		// A consignment to the partner-run warehouse: the partner receives
		// it, one short; the owner may not receive there.
		status, out := f.do("ownerA", "POST", "/api/v1/warehouses/"+hub+"/consignments", `{"reference":"CONT-9","lines":[{"sku":"A-1","quantity":10}]}`)
		var cons struct {
			ID, Status    string
			Discrepancies int
		}
		if json.Unmarshal(out, &cons); status != 201 || cons.Status != "announced" {
			t.Fatalf("announce: %d %s", status, out)
		}
		receipt := `{"lines":[{"sku":"A-1","received":9}]}`
		if status, _ := f.do("ownerA", "POST", "/api/v1/consignments/"+cons.ID+"/receive", receipt); status != 404 {
			t.Errorf("the owner receives at a partner-run warehouse: %d, want 404", status)
		}
		status, out = f.do("partner", "POST", "/api/v1/consignments/"+cons.ID+"/receive", receipt)
		if json.Unmarshal(out, &cons); status != 200 || cons.Status != "received" || cons.Discrepancies != 1 {
			t.Fatalf("receive: %d %s", status, out)
		}
		if status, _ := f.do("partner", "POST", "/api/v1/consignments/"+cons.ID+"/receive", receipt); status != 409 {
			t.Errorf("a second receipt: %d, want 409", status)
		}
		if status, out := f.do("partner", "GET", "/api/v1/warehouses/"+hub+"/consignments?status=received", nil); status != 200 || !strings.Contains(string(out), cons.ID) {
			t.Errorf("the partner's consignments: %d %s", status, out)
		}
		if status, _ := f.do("ownerB", "GET", "/api/v1/warehouses/"+hub+"/consignments", nil); status != 404 {
			t.Errorf("another merchant lists the consignments: %d", status)
		}

		list := func(actor, wh, query string) (int, []stockRow, string) {
			t.Helper()
			status, out := f.do(actor, "GET", "/api/v1/warehouses/"+wh+"/stock"+query, nil)
			var page struct {
				Items []stockRow
				Next  string
			}
			json.Unmarshal(out, &page)
			return status, page.Items, page.Next
		}
		if status, rows, _ := list("partner", hub, ""); status != 200 || len(rows) != 1 || rows[0].OnHand != 49 {
			t.Errorf("partner lists its hub: %d %+v", status, rows)
		}
		if status, rows, _ := list("ownerA", hub, ""); status != 200 || len(rows) != 1 {
			t.Errorf("the owner lists its hub: %d %+v", status, rows)
		}
		// Neither the partner nor another merchant nor a buyer sees A's own
		// warehouse's stock: 404, as for an unknown warehouse.
		for _, actor := range []string{"partner", "ownerB", "buyer"} {
			if status, _, _ := list(actor, "{whA}", ""); status != 404 {
				t.Errorf("%s lists A's warehouse: %d, want 404", actor, status)
			}
			if status, _ := put(actor, "{whA}", `{"sku":"A-1","on_hand":99}`); status != 404 && status != 403 {
				t.Errorf("%s counts in A's warehouse: %d", actor, status)
			}
		}
		if status, _, _ := list("", "{whA}", ""); status != 401 {
			t.Errorf("anonymous lists stock: %d", status)
		}
		if status, _, _ := list("operator", "wh_0190a0b0c0d0e0f0a0b0c0d0e0f0a0b0", ""); status != 404 {
			t.Errorf("an unknown warehouse: %d", status)
		}

		// A warehouse near Paris promises a Paris buyer one or two days; a
		// country the channel does not sell to is refused.
		status, out = f.do("ownerA", "POST", "/api/v1/warehouses", `{"code":"a-idf","name":"A at Goussainville","country":"FR","city":"Goussainville","postcode":"95190"}`)
		var near struct{ ID, Region string }
		if json.Unmarshal(out, &near); status != 201 || near.Region != "FR-IDF" {
			t.Fatalf("a warehouse near Paris: %d %s", status, out)
		}
		put("ownerA", near.ID, `{"sku":"A-1","on_hand":9}`)
		status, out = f.do("", "GET", "/api/v1/products/{productA}?channel=bazaar&country=FR&postcode=75011", nil)
		var pv struct {
			DeliveryPromise *struct {
				Earliest, Latest string
				ShipsFrom        string `json:"ships_from"`
			} `json:"delivery_promise"`
		}
		if json.Unmarshal(out, &pv); status != 200 || pv.DeliveryPromise == nil || pv.DeliveryPromise.ShipsFrom != "FR" {
			t.Fatalf("the promise to Paris: %d %s", status, out)
		}
		early, err1 := time.Parse(time.DateOnly, pv.DeliveryPromise.Earliest)
		late, err2 := time.Parse(time.DateOnly, pv.DeliveryPromise.Latest)
		if err1 != nil || err2 != nil || late.Sub(early) > 0 || early.Sub(time.Now().UTC()) > 5*24*time.Hour {
			t.Errorf("a next-day lane promises %s to %s", pv.DeliveryPromise.Earliest, pv.DeliveryPromise.Latest)
		}
		if status, out := f.do("", "GET", "/api/v1/products/{productA}?channel=bazaar&country=JP", nil); status != 422 {
			t.Errorf("a country the channel does not sell to: %d %s", status, out)
		}

		// Paging: two SKUs, one per page.
		if status, out := f.do("ownerA", "POST", "/api/v1/products/{productA}/variants", `{"sku":"A-2"}`); status != 201 {
			t.Fatalf("variant: %d %s", status, out)
		}
		put("ownerA", "{whA}", `{"sku":"A-2","on_hand":1}`)
		status, p1, next := list("ownerA", "{whA}", "?limit=1")
		if status != 200 || len(p1) != 1 || p1[0].SKU != "A-1" || next == "" {
			t.Fatalf("page 1: %d %+v next %q", status, p1, next)
		}
		status, p2, next := list("ownerA", "{whA}", "?limit=1&after="+next)
		if status != 200 || len(p2) != 1 || p2[0].SKU != "A-2" || next != "" {
			t.Fatalf("page 2: %d %+v next %q", status, p2, next)
		}
		if status, _, _ := list("ownerA", "{whA}", "?after=garbage"); status != 422 {
			t.Errorf("a malformed cursor: %d", status)
		}
		// A variant added later shows its own stock.
		if status, out := f.do("ownerA", "POST", "/api/v1/products/{productA}/variants",
			`{"sku":"A-7","prices":[{"channel":"bazaar","currency":"EUR","amount":900}]}`); status != 201 {
			t.Fatalf("add variant: %d %s", status, out)
		}
		if status, out := f.do("ownerA", "PUT", "/api/v1/warehouses/{whA}/stock", f.expand(`{"sku":"A-7","on_hand":30}`)); status != 200 {
			t.Fatalf("count A-7: %d %s", status, out)
		}
		_, page := f.do("", "GET", "/api/v1/products/{productA}?channel=bazaar", nil)
		var both struct{ Availability map[string]string }
		if err := json.Unmarshal(page, &both); err != nil || both.Availability["A-7"] != "in_stock" {
			t.Errorf("after a variant was added: %s", page)
		}
	})
}
