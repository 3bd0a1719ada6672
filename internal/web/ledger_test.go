package web_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

type apiAmount struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

type apiLedger struct {
	Balances []struct {
		Account string    `json:"account"`
		Amount  apiAmount `json:"amount"`
	} `json:"balances"`
}

// of returns the balance of account in currency.
func (l apiLedger) of(account, currency string) int64 {
	for _, b := range l.Balances {
		if b.Account == account && b.Amount.Currency == currency {
			return b.Amount.Amount
		}
	}
	return 0
}

// TestLedgerOverHTTP: merchant A reads the balances of its paid orders
// (held, and the fees Sesame kept: none on A's plan) and their postings page by page, each
// summing to zero; the buyer's confirmation makes an order's settlement
// available. Another merchant, its API key, a buyer and a partner find no
// such merchant; the marketplace's clearing account, operators only, is
// the other side. Every answer matches the document.
func TestLedgerOverHTTP(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		f.buyingFixture()
		ownerA, err := f.svc.Identity.Authenticate(context.Background(), f.cookies["ownerA"])
		if err != nil {
			t.Fatal(err)
		}
		raw, _, err := f.svc.Identity.CreateAPIKey(context.Background(), ownerA, f.ids["A"], "", identity.APIKeyInput{Name: "accounts"})
		if err != nil {
			t.Fatal(err)
		}
		f.keys["accountsKeyA"] = raw
		get := func(actor, path string, want int, v any) {
			t.Helper()
			status, out := f.do(actor, "GET", path, nil)
			if status != want {
				t.Fatalf("GET %s as %q: %d, want %d: %s", path, actor, status, want, out)
			}
			if v != nil {
				if err := json.Unmarshal(out, v); err != nil {
					t.Fatal(err)
				}
			}
		}
		var l apiLedger
		get("ownerA", "/api/v1/merchants/{A}/ledger", 200, &l)
		held, avail, fees := l.of("held", "EUR"), l.of("available", "EUR"), l.of("fees", "EUR")
		// A has no plan in this marketplace: Sesame keeps nothing of its
		// orders. The fixture's confirmed orders (reviewed) are available.
		// Its six accounts show, those no money moved on at 0.
		if held <= 0 || avail <= 0 || fees != 0 || len(l.Balances) != 6 || l.of("paid", "EUR") != 0 || l.of("reserve", "EUR") != 0 || l.of("owed", "EUR") != 0 {
			t.Fatalf("A's ledger: %+v", l)
		}
		for _, actor := range []string{"ownerB", "keyB", "buyer", "payer", "partner"} {
			get(actor, "/api/v1/merchants/{A}/ledger", 404, nil)
			get(actor, "/api/v1/merchants/{A}/ledger/entries", 404, nil)
		}
		get("", "/api/v1/merchants/{A}/ledger", 401, nil)
		get("ownerA", "/api/v1/merchants/{A}/ledger/entries?limit=0", 422, nil)
		get("ownerA", "/api/v1/merchants/{A}/ledger/entries?after=nonsense", 422, nil)
		var op apiLedger
		get("operator", "/api/v1/merchants/{A}/ledger", 200, &op)
		if op.of("held", "EUR") != held {
			t.Errorf("the operator reads %+v, A %+v", op, l)
		}

		type page struct {
			Items []struct {
				ID, Kind string
				OrderID  string `json:"order_id"`
				Entries  []struct {
					Account string    `json:"account"`
					Amount  apiAmount `json:"amount"`
				} `json:"entries"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		var posted, seen int64
		kinds := map[string]int{}
		after := ""
		for pages := 0; ; pages++ {
			var p page
			get("ownerA", "/api/v1/merchants/{A}/ledger/entries?limit=3&after="+after, 200, &p)
			for _, it := range p.Items {
				seen++
				kinds[it.Kind]++
				var sum int64
				for _, e := range it.Entries {
					sum += e.Amount.Amount
					if e.Account == "held" {
						posted += e.Amount.Amount
					}
				}
				// Without a commission, a paid posting moves the money
				// from clearing to held, a released one from held to
				// available: no entry of 0 on fees.
				if it.OrderID == "" || sum != 0 || len(it.Entries) != 2 {
					t.Errorf("posting %+v sums to %d", it, sum)
				}
			}
			if p.NextCursor == "" {
				if pages == 0 {
					t.Errorf("one page of %d postings", seen)
				}
				break
			}
			after = p.NextCursor
		}
		if kinds["paid"] != 12 || kinds["released"] != 2 || seen != 14 || posted != held {
			t.Errorf("postings %v holding %d, want the 12 paid orders (6 of them disputed) and the 2 confirmed ones holding %d", kinds, posted, held)
		}

		var m apiLedger
		get("operator", "/api/v1/ledger/marketplace", 200, &m)
		if m.of("clearing", "EUR") != -(held + avail + fees) {
			t.Errorf("the marketplace's clearing %+v, want %d", m, -(held + avail + fees))
		}
		for _, actor := range []string{"ownerA", "buyer", "partner"} {
			get(actor, "/api/v1/ledger/marketplace", 403, nil)
		}
		get("", "/api/v1/ledger/marketplace", 401, nil)

		if status, out := f.do("payer", "POST", "/api/v1/orders/{shippedOrder}/confirm-delivery", nil); status != 200 {
			t.Fatalf("confirm: %d %s", status, out)
		}
		get("accountsKeyA", "/api/v1/merchants/{A}/ledger", 200, &l)
		if l.of("available", "EUR") <= avail || l.of("held", "EUR")+l.of("available", "EUR") != held+avail || l.of("fees", "EUR") != fees {
			t.Errorf("A's ledger after a confirmation: %+v, held before %d", l, held)
		}
	})
}
