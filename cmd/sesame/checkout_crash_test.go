package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/promise"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// plentiful returns n variants listed on bazaar and gives each 1,000 units
// in every warehouse that holds it, so that checkouts never run out.
func plentiful(t *testing.T, db *sqlstore.DB, n int) []string {
	t.Helper()
	ctx := context.Background()
	cat := catalog.NewService(db.Catalog(), channel.NewService(db.Channels()))
	stock := inventory.NewStock(db.Stock())
	pg, err := cat.ChannelPage(ctx, "bazaar", "en", "", n)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range pg.Items {
		vr := v.Variants[0]
		ls, err := db.Stock().StockOf(ctx, v.Merchant.ID, []string{vr.SKU})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			if _, err := stock.SetStock(ctx, identity.System, l.WarehouseID, inventory.StockInput{MerchantID: l.MerchantID, SKU: l.SKU, OnHand: 1000}); err != nil {
				t.Fatal(err)
			}
		}
		if len(ls) == 0 {
			continue
		}
		offers, err := stock.Offers(ctx, v.Merchant.ID, []string{vr.SKU}, []string{"FR"}, &promise.Destination{Country: "FR", Postcode: "75011"})
		if err != nil {
			t.Fatal(err)
		}
		if offers[vr.SKU].Availability != "out_of_stock" {
			out = append(out, vr.ID)
		}
	}
	if len(out) < n/2 {
		t.Fatalf("only %d variants with stock", len(out))
	}
	// The running server caches what buyers' pages read of stock for a
	// second (the demo's own orders may have emptied one of these SKUs).
	time.Sleep(1100 * time.Millisecond)
	return out
}

// TestCheckoutsSurviveKill9 has buyers fill carts and check them out, each
// checkout with its own Idempotency-Key, against a real Sesame process
// killed with SIGKILL mid-stream (from outside, and from inside right after
// a checkout's commit, before its answer); restarted on the same data, every
// checkout is retried with its key. Each cart ends with exactly one checkout,
// one captured payment and its orders; an answered checkout's retry gets
// the same checkout; no payment is taken twice.
func TestCheckoutsSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Sesame several times")
	}
	for _, e := range testkit.Engines() {
		t.Run(string(e), func(t *testing.T) {
			t.Run("kill from outside", func(t *testing.T) { checkoutCrash(t, e, 0) })
			t.Run("kill right after a commit", func(t *testing.T) { checkoutCrash(t, e, 25) })
		})
	}
}

func checkoutCrash(t *testing.T, engine sqlstore.Engine, dieAfter int) {
	ctx := context.Background()
	dir := t.TempDir()
	dsn, driver := filepath.Join(dir, "sesame.db"), "sqlite"
	if engine == sqlstore.Postgres {
		dsn, driver = testkit.DSN(t, engine), "pgx"
	}
	stderr := &syncBuffer{}
	cmd, base := startChild(t, dir, dsn, stderr, dieAfter)
	client := &http.Client{Timeout: 20 * time.Second}
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	variants := plentiful(t, db, 30)
	db.Close()

	call := func(base, cookie, method, path, key string, body any) (int, []byte, bool, error) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		res, err := client.Do(req)
		if err != nil {
			return 0, nil, false, err
		}
		defer res.Body.Close()
		out, err := io.ReadAll(res.Body)
		return res.StatusCode, out, res.Header.Get("Idempotent-Replayed") == "true", err
	}
	const workers, perWorker = 4, 40
	cookies := make([]string, workers)
	for w := range workers {
		email := fmt.Sprintf("crash-buyer-%d@example.com", w)
		if st, out, _, err := call(base, "", "POST", "/api/v1/auth/register", "", map[string]any{"email": email, "name": "Crash Buyer", "password": "correct horse battery"}); err != nil || st != 201 {
			t.Fatalf("register: %d %s %v", st, out, err)
		}
		req, _ := http.NewRequest("POST", base+"/api/v1/auth/login", strings.NewReader(fmt.Sprintf(`{"email":%q,"password":"correct horse battery"}`, email)))
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("login: %v %v", res, err)
		}
		res.Body.Close()
		for _, c := range res.Cookies() {
			if c.Name == "sesame_session" {
				cookies[w] = c.Name + "=" + c.Value
			}
		}
	}
	paris := map[string]any{"name": "Camille Martin", "line1": "12 rue de la Roquette", "postcode": "75011", "city": "Paris", "country": "FR"}
	pay := map[string]any{"payment": map[string]any{"provider": "sandbox", "token": "tok_success"}}
	type sentCheckout struct{ key, cart, cookie string }
	type checkoutAnswer struct {
		CheckoutID string `json:"checkout_id"`
		Payment    struct {
			Status string `json:"status"`
		} `json:"payment"`
	}
	var (
		mu      sync.Mutex
		sent    []sentCheckout
		first   = map[string][]byte{}
		acked   atomic.Int32
		killed  atomic.Bool
		wg      sync.WaitGroup
		pending atomic.Int32
	)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				var c struct {
					ID string `json:"id"`
				}
				st, out, _, err := call(base, cookies[w], "POST", "/api/v1/carts", "", map[string]any{"channel": "bazaar", "currency": "EUR"})
				if err == nil && st == 201 {
					err = json.Unmarshal(out, &c)
				}
				for _, step := range []struct {
					method, path string
					body         any
				}{{"POST", "/api/v1/carts/" + c.ID + "/lines", map[string]any{"variant_id": variants[(w*perWorker+i)%len(variants)], "quantity": 1}},
					{"PUT", "/api/v1/carts/" + c.ID + "/shipping-address", paris}} {
					if err != nil {
						break
					}
					if st, out, _, err = call(base, cookies[w], step.method, step.path, "", step.body); err == nil && st >= 300 {
						t.Errorf("%s %s: %d %s", step.method, step.path, st, out)
						return
					}
				}
				if err != nil {
					if !killed.Load() {
						t.Errorf("worker %d before the kill: %v", w, err)
					}
					return
				}
				key := fmt.Sprintf("checkout-%d-%03d", w, i)
				mu.Lock()
				sent = append(sent, sentCheckout{key, c.ID, cookies[w]})
				mu.Unlock()
				st, out, _, err = call(base, cookies[w], "POST", "/api/v1/carts/"+c.ID+"/checkout", key, pay)
				if err != nil {
					if !killed.Load() {
						t.Errorf("%s before the kill: %v", key, err)
					}
					pending.Add(1)
					return
				}
				if st != 201 {
					t.Errorf("%s: %d %s", key, st, out)
					return
				}
				mu.Lock()
				first[key] = out
				mu.Unlock()
				acked.Add(1)
			}
		})
	}
	if dieAfter != 0 {
		killed.Store(true)
		cmd.Wait()
	} else {
		for acked.Load() < 30 && !t.Failed() {
			time.Sleep(5 * time.Millisecond)
		}
		killed.Store(true)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
	}
	wg.Wait()
	if t.Failed() {
		t.Fatalf("server output:\n%s", stderr)
	}
	t.Logf("killed after %d answered checkouts; %d were in flight", len(first), pending.Load())

	releaseKilledRuns(t, driver, dsn)

	cmd, base = startChild(t, dir, dsn, stderr, 0)
	replayed := 0
	for _, s := range sent {
		st, out, rep, err := call(base, s.cookie, "POST", "/api/v1/carts/"+s.cart+"/checkout", s.key, pay)
		// A checkout in flight at the kill may have committed before its
		// answer was stored (a checkout's writes commit as they go, being
		// idempotent by its cart): its retry finds it, 200 rather than 201.
		_, answered := first[s.key]
		if err != nil || (st != 201 && (answered || st != 200)) {
			t.Errorf("%s after the restart: %d %s %v", s.key, st, out, err)
			continue
		}
		var a checkoutAnswer
		if err := json.Unmarshal(out, &a); err != nil || a.Payment.Status != "captured" {
			t.Errorf("%s: %s", s.key, out)
		}
		if f, ok := first[s.key]; ok && (!rep || !bytes.Equal(f, out)) {
			t.Errorf("%s: the retry of an answered checkout got %s (replayed %v), want %s", s.key, out, rep, f)
		}
		if rep {
			replayed++
		}
	}
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()

	db, err = sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var carts, checkouts, payments, refs, captured int
	q := func(query string, into *int) {
		t.Helper()
		if err := db.QueryRowContext(ctx, query).Scan(into); err != nil {
			t.Fatal(err)
		}
	}
	// The test's buyers' checkouts, not the demo buyer's own orders.
	ours := `buyer_id NOT IN (SELECT id FROM users WHERE email IN ('buyer@sesame.example', 'chloe@sesame.example'))`
	paid := `checkout_id IN (SELECT id FROM checkouts WHERE ` + ours + `)`
	q(`SELECT COUNT(DISTINCT cart_id) FROM checkouts WHERE `+ours, &carts)
	q(`SELECT COUNT(*) FROM checkouts WHERE `+ours, &checkouts)
	q(`SELECT COUNT(*) FROM payments WHERE `+paid, &payments)
	q(`SELECT COUNT(DISTINCT provider_ref) FROM payments WHERE `+paid, &refs)
	q(`SELECT COUNT(*) FROM payments WHERE status = 'captured' AND `+paid, &captured)
	if carts != len(sent) || checkouts != len(sent) || payments != len(sent) || refs != len(sent) || captured != len(sent) {
		t.Errorf("%d checkouts sent: %d carts checked out, %d checkouts, %d payments (%d distinct charges, %d captured)",
			len(sent), carts, checkouts, payments, refs, captured)
	}
	var orphans int
	q(`SELECT COUNT(*) FROM checkouts c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.checkout_id = c.id)`, &orphans)
	if orphans != 0 {
		t.Errorf("%d checkouts without orders", orphans)
	}
	t.Logf("%d checkouts; %d answered before the kill; %d replayed after it", len(sent), len(first), replayed)
}
