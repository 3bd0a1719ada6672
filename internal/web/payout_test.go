package web_test

import (
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestPayoutsOverHTTP: merchant A pays its available balance out; its
// payouts and its statement (JSON and CSV) are its own and operators'
// (another merchant, its key, buyers and partners find no such merchant);
// the statement's payout lines add up to what was paid out, and its CSV's
// rows take the opening balances to the closing ones. Every answer
// matches the document.
func TestPayoutsOverHTTP(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		f.buyingFixture()
		status, out := f.do("ownerA", "POST", "/api/v1/merchants/{A}/payouts", nil)
		var ps struct {
			Items []struct {
				ID     string    `json:"id"`
				Status string    `json:"status"`
				Amount apiAmount `json:"amount"`
			} `json:"items"`
		}
		if err := json.Unmarshal(out, &ps); status != 201 || err != nil || len(ps.Items) != 1 || ps.Items[0].Status != "paid" || ps.Items[0].Amount.Amount <= 0 {
			t.Fatalf("pay out now: %d %s", status, out)
		}
		if status, out := f.do("ownerA", "POST", "/api/v1/merchants/{A}/payouts", nil); status != 409 {
			t.Errorf("paid out twice: %d %s", status, out)
		}
		today := time.Now().UTC().Add(-24 * time.Hour).Format(time.DateOnly)
		tomorrow := time.Now().UTC().Add(24 * time.Hour).Format(time.DateOnly)
		statement := "/api/v1/merchants/{A}/statement?currency=EUR&from=" + today + "&to=" + tomorrow
		for _, path := range []string{"/api/v1/merchants/{A}/payouts", statement, statement + "&format=csv"} {
			for _, actor := range []string{"ownerB", "keyB", "buyer", "payer", "partner"} {
				if status, out := f.do(actor, "GET", path, nil); status != 404 {
					t.Errorf("GET %s as %s: %d %s", path, actor, status, out)
				}
			}
			if status, _ := f.do("", "GET", path, nil); status != 401 {
				t.Errorf("GET %s anonymously: %d", path, status)
			}
			if status, out := f.do("operator", "GET", path, nil); status != 200 {
				t.Errorf("GET %s as the operator: %d %s", path, status, out)
			}
		}
		var st struct {
			PaidOut apiAmount `json:"paid_out"`
			Lines   []struct {
				Kind string    `json:"kind"`
				Paid apiAmount `json:"paid"`
			} `json:"lines"`
		}
		status, out = f.do("ownerA", "GET", statement, nil)
		if err := json.Unmarshal(out, &st); status != 200 || err != nil || st.PaidOut.Amount != ps.Items[0].Amount.Amount {
			t.Fatalf("the statement: %d %s", status, out)
		}
		var sum int64
		for _, l := range st.Lines {
			if l.Kind == "payout" {
				sum += l.Paid.Amount
			}
		}
		if sum != st.PaidOut.Amount {
			t.Errorf("the payout lines add up to %d, paid out %d", sum, st.PaidOut.Amount)
		}
		status, hdr, body := f.sendWith("ownerA", "GET", statement+"&format=csv", nil, nil)
		if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") {
			t.Fatalf("the CSV: %d %v", status, hdr)
		}
		rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		if err != nil || len(rows) != len(st.Lines)+3 || rows[1][2] != "opening" || rows[len(rows)-1][2] != "closing" {
			t.Fatalf("the CSV's rows: %v %v", rows, err)
		}
		for col := 6; col <= 9; col++ {
			total, _ := strconv.ParseInt(rows[1][col], 10, 64)
			for _, r := range rows[2 : len(rows)-1] {
				n, _ := strconv.ParseInt(r[col], 10, 64)
				total += n
			}
			if closing, _ := strconv.ParseInt(rows[len(rows)-1][col], 10, 64); closing != total {
				t.Errorf("column %s: opening + lines = %d, closing %d", rows[0][col], total, closing)
			}
		}
		if status, out := f.do("ownerA", "GET", "/api/v1/merchants/{A}/statement?currency=EUR&from="+tomorrow+"&to="+today, nil); status != 422 {
			t.Errorf("a period backwards: %d %s", status, out)
		}
	})
}

// TestReconciliationOverHTTP: operators reconcile the ledger with the
// sandbox's books over a period; merchants, their keys, buyers and
// partners are refused, visitors asked to sign in, a bad period refused
// with the field named. Every answer matches the document.
func TestReconciliationOverHTTP(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		f.buyingFixture()
		from := time.Now().UTC().Add(-48 * time.Hour).Format(time.DateOnly)
		to := time.Now().UTC().Add(24 * time.Hour).Format(time.DateOnly)
		path := "/api/v1/reconciliation?provider=sandbox&from=" + from + "&to=" + to
		status, out := f.do("operator", "GET", path, nil)
		var r struct {
			Matched     int               `json:"matched"`
			Differences []json.RawMessage `json:"differences"`
			Totals      []struct {
				Type     string    `json:"type"`
				Sesame   apiAmount `json:"sesame"`
				Provider apiAmount `json:"provider"`
			} `json:"totals"`
		}
		if err := json.Unmarshal(out, &r); status != 200 || err != nil || r.Matched == 0 || r.Differences == nil {
			t.Fatalf("the operator reconciles: %d %s", status, out)
		}
		for _, tot := range r.Totals {
			if tot.Type == "charge" && tot.Sesame.Amount == 0 {
				t.Errorf("no charges reconciled: %s", out)
			}
		}
		for _, actor := range []string{"ownerA", "keyB", "buyer", "partner"} {
			if status, out := f.do(actor, "GET", path, nil); status != 403 {
				t.Errorf("%s reconciles: %d %s", actor, status, out)
			}
		}
		if status, _ := f.do("", "GET", path, nil); status != 401 {
			t.Errorf("a visitor reconciles: %d", status)
		}
		for _, bad := range []string{"/api/v1/reconciliation?from=" + to + "&to=" + from, "/api/v1/reconciliation?provider=paypal&from=" + from + "&to=" + to,
			"/api/v1/reconciliation?from=2026-01-01&to=2026-03-01"} {
			if status, out := f.do("operator", "GET", bad, nil); status != 422 {
				t.Errorf("GET %s: %d %s", bad, status, out)
			}
		}
	})
}
