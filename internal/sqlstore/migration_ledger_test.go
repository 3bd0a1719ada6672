package sqlstore_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestMigrationsKeepTheLedgerAndListTheSKUs: a ledger written before its
// tables were rebuilt (migration 28) holds the same postings, entries and
// balances after it; and every product written before its SKUs were kept
// in its row (migration 27) has them, in variant order.
func TestMigrationsKeepTheLedgerAndListTheSKUs(t *testing.T) {
	for _, e := range testkit.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			dsn := testkit.DSN(t, e)
			db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{MigrateTo: 27})
			if err != nil {
				t.Fatal(err)
			}
			m := testkit.NewMarket(t, db)
			for _, st := range []struct{ wh, merchant, sku string }{{"szx", m.Shenzhen.ID, "CASE-S25"}, {"fos", m.Provence.ID, "SOAP"}} {
				m.SetStock(t, st.wh, st.merchant, st.sku, 10)
			}
			buyer := m.Buyer(t)
			c, _, err := m.Orders.CreateCart(ctx, buyer, order.CartInput{Channel: "bazaar", Currency: "EUR"})
			if err != nil {
				t.Fatal(err)
			}
			for _, sku := range []string{"CASE-S25", "SOAP"} {
				if _, err := m.Orders.AddLine(ctx, order.Access{Actor: buyer}, c.ID, order.LineInput{VariantID: m.Variants[sku], Quantity: 1}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := m.Orders.SetAddress(ctx, order.Access{Actor: buyer}, c.ID, testkit.Paris()); err != nil {
				t.Fatal(err)
			}
			co, _, err := m.Orders.Checkout(ctx, order.Access{Actor: buyer}, c.ID, order.CheckoutInput{Payment: order.PaymentInput{Provider: "sandbox", Token: payment.TokenSuccess}})
			if err != nil || len(co.Orders) != 2 {
				t.Fatalf("checkout: %+v %v", co, err)
			}
			type ledger struct {
				balances map[string][]order.Balance
				postings map[string][]order.Posting
			}
			read := func(db *sqlstore.DB) ledger {
				t.Helper()
				l := ledger{balances: map[string][]order.Balance{}, postings: map[string][]order.Posting{}}
				for _, id := range []string{m.Shenzhen.ID, m.Provence.ID, ""} {
					b, err := db.Orders().LedgerBalances(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					l.balances[id] = b
					if id != "" {
						if l.postings[id], err = db.Orders().LedgerPostings(ctx, id, "", 100); err != nil {
							t.Fatal(err)
						}
					}
				}
				return l
			}
			before := read(db)
			if err := db.Undo27(ctx); err != nil {
				t.Fatal(err)
			}
			if len(before.postings[m.Shenzhen.ID]) != 1 || len(before.postings[m.Provence.ID]) != 1 || len(before.balances[""]) != 1 {
				t.Fatalf("the ledger before: %+v", before)
			}
			db.Close()

			db, err = sqlstore.Open(ctx, dsn, sqlstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if after := read(db); !reflect.DeepEqual(before, after) {
				t.Errorf("the ledger changed:\nbefore %+v\nafter  %+v", before, after)
			}
			if e == sqlstore.SQLite {
				for _, table := range []string{"ledger_postings", "ledger_entries"} {
					var schema string
					if err := db.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE name = $1`, table).Scan(&schema); err != nil || !strings.Contains(schema, "WITHOUT ROWID") {
						t.Errorf("%s: %q %v", table, schema, err)
					}
				}
			}
			// The SKUs of every product, as their documents list them.
			rows, err := db.QueryContext(ctx, `SELECT doc, skus FROM products`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				var doc []byte
				var skus string
				if err := rows.Scan(&doc, &skus); err != nil {
					t.Fatal(err)
				}
				p, err := sqlstore.DecodeDoc(doc)
				if err != nil {
					t.Fatal(err)
				}
				want := make([]string, len(p.Variants))
				for i, v := range p.Variants {
					want[i] = v.SKU
				}
				var got []string
				if err := json.Unmarshal([]byte(skus), &got); err != nil || !reflect.DeepEqual(got, want) {
					t.Errorf("product %s: skus %s, want %v", p.ID, skus, want)
				}
				n++
			}
			if n == 0 {
				t.Fatal("no products")
			}
		})
	}
}
