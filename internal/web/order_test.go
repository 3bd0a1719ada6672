package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

type apiCart struct {
	ID        string `json:"id"`
	CartToken string `json:"cart_token"`
	Lines     []struct {
		ID        string `json:"id"`
		SKU       string `json:"sku"`
		Quantity  int64  `json:"quantity"`
		UnitPrice struct {
			Amount int64 `json:"amount"`
		} `json:"unit_price"`
	} `json:"lines"`
	Groups []struct {
		MerchantID string `json:"merchant_id"`
		Regime     string `json:"tax_regime"`
	} `json:"groups"`
	Total struct {
		Amount   int64  `json:"amount"`
		Currency string `json:"currency"`
	} `json:"total"`
	Ready    bool     `json:"ready"`
	Problems []string `json:"problems"`
}

type apiCheckout struct {
	CheckoutID string `json:"checkout_id"`
	Orders     []struct {
		ID, MerchantID string
		Total          struct{ Amount int64 }
	} `json:"orders"`
	Payment struct {
		ID, Status string
		Amount     struct{ Amount int64 }
	} `json:"payment"`
}

// TestBuyingOverHTTP: an anonymous shopper fills a cart (a price sent
// along is ignored), signs in with its token and finds the lines in their
// cart, sets an address, and checks out with an Idempotency-Key: a retry
// answers the same checkout. The buyer and the merchant see the order;
// others do not. Every answer, errors included, matches the document.
func TestBuyingOverHTTP(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		f.buyingFixture()
		decode := func(status, want int, out []byte, v any) {
			t.Helper()
			if status != want {
				t.Fatalf("status %d, want %d: %s", status, want, out)
			}
			if err := json.Unmarshal(out, v); err != nil {
				t.Fatal(err)
			}
		}
		var c apiCart
		status, _, out := f.sendWith("", "POST", "/api/v1/carts", map[string]any{"channel": "bazaar", "currency": "EUR"}, nil)
		decode(status, 201, out, &c)
		if c.CartToken == "" || c.ID == "" {
			t.Fatalf("anonymous cart: %s", out)
		}
		tok := map[string]string{"X-Cart-Token": c.CartToken}
		status, _, out = f.sendWith("", "POST", "/api/v1/carts/"+c.ID+"/lines", map[string]any{"variant_id": "{variantA}", "quantity": 2, "unit_price": map[string]any{"amount": 1, "currency": "EUR"}}, tok)
		decode(status, 201, out, &c)
		if len(c.Lines) != 1 || c.Lines[0].UnitPrice.Amount != 1500 || c.Lines[0].Quantity != 2 {
			t.Fatalf("the server's price: %s", out)
		}
		for _, q := range []any{0, -1, 100, 1 << 62, "2"} {
			status, _, out = f.sendWith("", "POST", "/api/v1/carts/"+c.ID+"/lines", map[string]any{"variant_id": "{variantA}", "quantity": q}, tok)
			if status != 422 {
				t.Errorf("quantity %v: %d %s", q, status, out)
			}
		}
		if status, _, _ = f.sendWith("", "GET", "/api/v1/carts/"+c.ID, nil, nil); status != 404 {
			t.Fatalf("the cart without its token: %d", status)
		}
		// Signing in with the token merges it into the buyer's cart, which
		// already holds one A-C.
		status, h, out := f.sendWith("", "POST", "/api/v1/auth/login", map[string]any{"email": "buyer@example.com", "password": pw}, tok)
		if status != 200 || h.Get("X-Cart-Id") != f.ids["cart"] {
			t.Fatalf("sign in: %d %q %s", status, h.Get("X-Cart-Id"), out)
		}
		status, _, out = f.sendWith("buyer", "GET", "/api/v1/carts/{cart}", nil, nil)
		decode(status, 200, out, &c)
		if len(c.Lines) != 1 || c.Lines[0].Quantity != 3 || c.Ready {
			t.Fatalf("merged cart: %s", out)
		}
		status, _, out = f.sendWith("buyer", "PUT", "/api/v1/carts/{cart}/shipping-address", map[string]any{"name": "B", "line1": "1 rue", "postcode": "ABC", "city": "Paris", "country": "FR"}, nil)
		if status != 422 {
			t.Fatalf("bad postcode: %d %s", status, out)
		}
		status, _, out = f.sendWith("buyer", "PUT", "/api/v1/carts/{cart}/shipping-address", map[string]any{"name": "B", "line1": "1 rue de Rivoli", "postcode": "75001", "city": "Paris", "country": "FR"}, nil)
		decode(status, 200, out, &c)
		if !c.Ready || len(c.Groups) != 1 || c.Groups[0].Regime != "ioss" {
			t.Fatalf("ready cart: %s", out)
		}
		body := map[string]any{"payment": map[string]any{"provider": "sandbox", "token": "tok_success"}}
		key := map[string]string{"Idempotency-Key": "checkout-1"}
		var co, again apiCheckout
		status, _, out = f.sendWith("buyer", "POST", "/api/v1/carts/{cart}/checkout", body, key)
		decode(status, 201, out, &co)
		if co.Payment.Status != "captured" || len(co.Orders) != 1 || co.Orders[0].Total.Amount != co.Payment.Amount.Amount || co.Payment.Amount.Amount != c.Total.Amount {
			t.Fatalf("checkout: %s", out)
		}
		status, h, out = f.sendWith("buyer", "POST", "/api/v1/carts/{cart}/checkout", body, key)
		decode(status, 201, out, &again)
		if again.CheckoutID != co.CheckoutID || h.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry: %s", out)
		}
		status, _, out = f.sendWith("buyer", "POST", "/api/v1/carts/{cart}/checkout", body, map[string]string{"Idempotency-Key": "checkout-2"})
		decode(status, 200, out, &again)
		if again.CheckoutID != co.CheckoutID {
			t.Fatalf("a new key for a checked-out cart: %s", out)
		}
		f.ids["newOrder"] = co.Orders[0].ID
		for actor, want := range map[string]int{"buyer": 200, "ownerA": 200, "operator": 200, "ownerB": 404, "partner": 404, "shopper": 404, "": 401} {
			if status, _, out = f.sendWith(actor, "GET", "/api/v1/orders/{newOrder}", nil, nil); status != want {
				t.Errorf("order as %q: %d, want %d: %s", actor, status, want, out)
			}
		}
		var list struct {
			Items []struct{ ID string } `json:"items"`
		}
		status, _, out = f.sendWith("ownerB", "GET", "/api/v1/orders", nil, nil)
		decode(status, 200, out, &list)
		if len(list.Items) != 0 {
			t.Fatalf("merchant B sees A's orders: %s", out)
		}
		status, _, out = f.sendWith("buyer", "GET", "/api/v1/orders?limit=1", nil, nil)
		decode(status, 200, out, &list)
		if len(list.Items) != 1 || list.Items[0].ID != co.Orders[0].ID {
			t.Fatalf("the buyer's orders: %s", out)
		}
		if status, _, out = f.sendWith("partner", "GET", "/api/v1/orders", nil, nil); status != 403 {
			t.Fatalf("a partner lists orders: %d %s", status, out)
		}
		// A payment awaiting action, confirmed by its buyer only.
		var paid apiCheckout
		status, _, out = f.sendWith("payer", "POST", "/api/v1/payments/{payment}/confirm", nil, nil)
		decode(status, 200, out, &paid)
		if paid.Payment.Status != "captured" {
			t.Fatalf("confirm: %s", out)
		}
		if status, _, _ = f.sendWith("payer", "POST", "/api/v1/payments/{payment}/confirm", nil, nil); status != 409 {
			t.Fatalf("confirm twice: %d", status)
		}
	})
}

// gatedProvider is the sandbox, whose charges wait at a gate: a provider
// taking its time to answer.
type gatedProvider struct {
	payment.Sandbox
	entered, release chan struct{}
}

func (g gatedProvider) Charge(ctx context.Context, c payment.Charge) (payment.Result, error) {
	close(g.entered)
	<-g.release
	return g.Sandbox.Charge(ctx, c)
}

// TestCheckoutDoesNotHoldTheWriter: a checkout under an Idempotency-Key
// waits for its payment provider without holding a write transaction (on
// SQLite, the one writer): another buyer's cart changes meanwhile. The key
// still replays the checkout's answer.
func TestCheckoutDoesNotHoldTheWriter(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		f.buyingFixture()
		gate := gatedProvider{entered: make(chan struct{}), release: make(chan struct{})}
		f.svc.Orders.Providers["stripe"] = gate // a provider taking its time, as a real one may
		defer delete(f.svc.Orders.Providers, "stripe")
		key := map[string]string{"Idempotency-Key": "gated-checkout-1"}
		body := map[string]any{"payment": map[string]any{"provider": "stripe", "token": payment.TokenSuccess}}
		path := "/api/v1/carts/" + f.ids["shopperCart"] + "/checkout"
		type answer struct {
			status int
			h      http.Header
			out    []byte
		}
		first := make(chan answer, 1)
		go func() {
			status, h, out := f.sendWith("shopper", "POST", path, body, key)
			first <- answer{status, h, out}
		}()
		select {
		case <-gate.entered:
		case <-time.After(30 * time.Second):
			t.Fatal("the checkout never reached its provider")
		}
		other := make(chan int, 1)
		go func() {
			status, _ := f.do("buyer", "PATCH", "/api/v1/carts/"+f.ids["cart"]+"/lines/"+f.ids["cartLine"], map[string]any{"quantity": 2})
			other <- status
		}()
		select {
		case status := <-other:
			if status != 200 {
				t.Errorf("another cart's change: %d", status)
			}
		case <-time.After(10 * time.Second):
			close(gate.release)
			t.Fatal("another buyer's write waited for the checkout's provider")
		}
		close(gate.release)
		a := <-first
		var co, again apiCheckout
		if a.status != 201 || json.Unmarshal(a.out, &co) != nil || co.Payment.Status != "captured" {
			t.Fatalf("the checkout: %d %s", a.status, a.out)
		}
		status, h, out := f.sendWith("shopper", "POST", path, body, key)
		if status != 201 || h.Get("Idempotent-Replayed") != "true" || json.Unmarshal(out, &again) != nil || again.CheckoutID != co.CheckoutID {
			t.Fatalf("the retry: %d %v %s", status, h, out)
		}
	})
}

// TestProtectionOverHTTP: the merchant ships a paid order with its tracking
// number and records its delivery, and the buyer confirms receipt; another
// merchant finds no such order, a shipped order cannot be cancelled, and a
// second confirmation is a conflict. Every answer matches the document.
func TestProtectionOverHTTP(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		f.buyingFixture()
		type apiOrder struct {
			ID, Status         string
			Carrier            string  `json:"carrier"`
			TrackingNumber     string  `json:"tracking_number"`
			Shipped            *string `json:"shipped_at"`
			Delivered          *string `json:"delivered_at"`
			Confirmed          *string `json:"confirmed_at"`
			ProtectionEndsAt   *string `json:"protection_ends_at"`
			ProtectionExtended bool    `json:"protection_extended"`
		}
		call := func(actor, path string, body any, want int) apiOrder {
			t.Helper()
			status, out := f.do(actor, "POST", "/api/v1/orders/{orderToShip}/"+path, body)
			if status != want {
				t.Fatalf("%s as %s: %d, want %d: %s", path, actor, status, want, out)
			}
			var o apiOrder
			if want == 200 {
				if err := json.Unmarshal(out, &o); err != nil {
					t.Fatal(err)
				}
			}
			return o
		}
		track := map[string]any{"carrier": "Colissimo", "tracking_number": "6A0000000009"}
		call("ownerB", "ship", track, 404)
		call("payer", "ship", track, 404)
		call("ownerA", "ship", map[string]any{"carrier": "Colissimo"}, 422)
		o := call("ownerA", "ship", track, 200)
		if o.Status != "shipped" || o.Carrier != "Colissimo" || o.TrackingNumber != "6A0000000009" || o.Shipped == nil || o.ProtectionEndsAt == nil || o.ProtectionExtended {
			t.Fatalf("shipped: %+v", o)
		}
		call("ownerA", "ship", track, 409)
		call("payer", "cancel", map[string]any{}, 409)
		call("ownerB", "deliver", nil, 404)
		o = call("ownerA", "deliver", nil, 200)
		if o.Status != "delivered" || o.Delivered == nil || o.ProtectionEndsAt == nil {
			t.Fatalf("delivered: %+v", o)
		}
		call("ownerA", "confirm-delivery", nil, 404)
		o = call("payer", "extend-protection", nil, 200)
		if !o.ProtectionExtended {
			t.Fatalf("extended: %+v", o)
		}
		call("payer", "extend-protection", nil, 409)
		o = call("payer", "confirm-delivery", nil, 200)
		if o.Status != "completed" || o.Confirmed == nil {
			t.Fatalf("confirmed: %+v", o)
		}
		call("payer", "confirm-delivery", nil, 409)
	})
}
