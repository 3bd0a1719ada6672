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

// TestMigrationsKeepTheLedgerAndListTheSKUs: a ledger written as postings
// and entries (before migration 28) holds the same balances and postings
// as rows of amounts after it, entries of 0 dropped; and every product
// written before its SKUs were kept in its row (migration 27) has them, in
// variant order.
func TestMigrationsKeepTheLedgerAndListTheSKUs(t *testing.T) {
	for _, e := range testkit.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			dsn := testkit.DSN(t, e)
			db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{MigrateTo: 27})
			if err != nil {
				t.Fatal(err)
			}
			// The columns of later migrations (32, 34) that the market's
			// plans, coupons and checkouts read and write, until the old
			// ledger is made.
			later := []struct{ table, column, kind string }{{"plans", "reserve_bps", "INTEGER NOT NULL DEFAULT 0"}, {"plans", "reserve_days", "INTEGER NOT NULL DEFAULT 0"},
				{"coupons", "buyer_id", "TEXT"}, {"channel_protection", "late_coupon_bps", "INTEGER NOT NULL DEFAULT 1000"}}
			for _, c := range later {
				if err := db.ExecForTest(ctx, `ALTER TABLE `+c.table+` ADD COLUMN `+c.column+` `+c.kind); err != nil {
					t.Fatal(err)
				}
			}
			m := testkit.NewMarket(t, db)
			// No sandbox_transactions before migration 32 either.
			m.Orders.Providers["sandbox"] = payment.Sandbox{}
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
			// A payment still to be confirmed: its orders are placed, and
			// post nothing yet.
			co, _, err := m.Orders.Checkout(ctx, order.Access{Actor: buyer}, c.ID, order.CheckoutInput{Payment: order.PaymentInput{Provider: "sandbox", Token: payment.TokenRequiresAction}})
			if err != nil || len(co.Orders) != 2 {
				t.Fatalf("checkout: %+v %v", co, err)
			}
			// The ledger as schema 27 held it: a posting table and an entry
			// table; a paid posting of each order and, for one of them, its
			// reversal.
			type entry struct {
				account  string
				merchant any
				amount   int64
			}
			post := func(id, kind string, o order.Order, es ...entry) {
				t.Helper()
				if err := db.ExecForTest(ctx, `INSERT INTO ledger_postings (id, kind, order_id, merchant_id, currency, created_at) VALUES ($1, $2, $3, $4, 'EUR', $5)`,
					id, kind, o.ID, o.MerchantID, m.Clock.Now()); err != nil {
					t.Fatal(err)
				}
				for i, e := range es {
					if err := db.ExecForTest(ctx, `INSERT INTO ledger_entries (posting_id, seq, account, merchant_id, currency, amount) VALUES ($1, $2, $3, $4, 'EUR', $5)`,
						id, i, e.account, e.merchant, e.amount); err != nil {
						t.Fatal(err)
					}
				}
			}
			a, b := co.Orders[0], co.Orders[1]
			post("lpo_01", "paid", a, entry{"clearing", nil, -1100}, entry{"held", a.MerchantID, 1000}, entry{"fees", a.MerchantID, 100})
			post("lpo_02", "paid", b, entry{"clearing", nil, -500}, entry{"held", b.MerchantID, 500}, entry{"fees", b.MerchantID, 0})
			post("lpo_03", "reversed", b, entry{"held", b.MerchantID, -500}, entry{"fees", b.MerchantID, 0}, entry{"clearing", nil, 500})
			for _, c := range later {
				if err := db.ExecForTest(ctx, `ALTER TABLE `+c.table+` DROP COLUMN `+c.column); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.Undo27(ctx); err != nil {
				t.Fatal(err)
			}
			db.Close()

			db, err = sqlstore.Open(ctx, dsn, sqlstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			bal := func(merchantID string) map[string]int64 {
				t.Helper()
				bs, err := db.Orders().LedgerBalances(ctx, merchantID)
				if err != nil {
					t.Fatal(err)
				}
				out := map[string]int64{}
				for _, b := range bs {
					out[string(b.Account)] = b.Amount.Minor
				}
				return out
			}
			if got, want := bal(a.MerchantID), map[string]int64{"held": 1000, "available": 0, "reserve": 0, "paid": 0, "fees": 100, "owed": 0}; !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %v, want %v", a.MerchantName, got, want)
			}
			if got, want := bal(b.MerchantID), map[string]int64{"held": 0, "available": 0, "reserve": 0, "paid": 0, "fees": 0, "owed": 0}; !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %v, want %v", b.MerchantName, got, want)
			}
			if got, want := bal(""), map[string]int64{"clearing": -1100}; !reflect.DeepEqual(got, want) {
				t.Errorf("the marketplace: %v, want %v", got, want)
			}
			ps, err := db.Orders().LedgerPostings(ctx, b.MerchantID, "", 10)
			if err != nil || len(ps) != 2 || ps[1].Kind != order.PostReversed || len(ps[1].Entries) != 2 || ps[1].Sum() != 0 {
				t.Errorf("%s's postings: %+v %v", b.MerchantName, ps, err)
			}
			if e == sqlstore.SQLite {
				for _, table := range []string{"ledger_postings"} {
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
