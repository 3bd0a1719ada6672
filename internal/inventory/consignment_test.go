package inventory_test

import (
	"context"
	"sync"
	"testing"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

func consignment(ref string, lines ...any) inventory.ConsignmentInput {
	in := inventory.ConsignmentInput{Reference: ref}
	for i := 0; i+1 < len(lines); i += 2 {
		in.Lines = append(in.Lines, inventory.ConsignmentItem{SKU: lines[i].(string), Quantity: int64(lines[i+1].(int))})
	}
	return in
}

// TestConsignmentsArriveAsStock: a merchant announces a consignment to the
// hub of a partner that serves it; its units show as inbound, not as
// available; the partner receives it with one line short, which is kept as
// a discrepancy, and what arrived becomes stock. A second receipt, a racing
// one, a merchant the partner does not serve, another partner and bad
// counts are all refused and change nothing.
func TestConsignmentsArriveAsStock(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		level := func(sku string) inventory.StockLevel {
			t.Helper()
			ls, _, err := e.stock.ListStock(ctx, e.p, e.hub, "", 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range ls {
				if l.SKU == sku {
					return l
				}
			}
			return inventory.StockLevel{}
		}
		c, err := e.stock.Announce(ctx, e.mKey, e.hub, consignment("CONT-7", "CASE", 100, "CABLE", 40))
		if err != nil {
			t.Fatal(err)
		}
		if l := level("CASE"); l.Inbound != 100 || l.OnHand != 0 || l.Available != 0 {
			t.Fatalf("announced: %+v", l)
		}
		if a, _ := e.stock.Availability(ctx, e.mID, []string{"CASE"}); a["CASE"] != inventory.OutOfStock {
			t.Errorf("inbound units are not for sale yet: %v", a)
		}
		// Refusals.
		for name, err := range map[string]error{
			"N, whom the partner does not serve": second(e.stock.Announce(ctx, e.n, e.hub, consignment("", "N-1", 1))),
			"an unknown SKU":                     second(e.stock.Announce(ctx, e.m, e.hub, consignment("", "NOPE", 1))),
			"a SKU twice":                        second(e.stock.Announce(ctx, e.m, e.hub, consignment("", "CASE", 1, "CASE", 2))),
			"no lines":                           second(e.stock.Announce(ctx, e.m, e.hub, consignment(""))),
			"a partner announcing":               second(e.stock.Announce(ctx, e.p, e.hub, consignment("", "CASE", 1))),
			"a buyer announcing":                 second(e.stock.Announce(ctx, e.buyer, e.w1, consignment("", "CASE", 1))),
			"N to M's warehouse":                 second(e.stock.Announce(ctx, e.n, e.w1, consignment("", "N-1", 1))),
			"another partner receiving":          second(e.stock.Receive(ctx, e.q, c.ID, []inventory.ReceiptLine{{"CASE", 100}, {"CABLE", 40}})),
			"the merchant receiving at the hub":  second(e.stock.Receive(ctx, e.m, c.ID, []inventory.ReceiptLine{{"CASE", 100}, {"CABLE", 40}})),
			"a missing line":                     second(e.stock.Receive(ctx, e.p, c.ID, []inventory.ReceiptLine{{"CASE", 100}})),
			"a line not announced":               second(e.stock.Receive(ctx, e.p, c.ID, []inventory.ReceiptLine{{"CASE", 100}, {"CABLE", 40}, {"N-1", 1}})),
			"a negative count":                   second(e.stock.Receive(ctx, e.p, c.ID, []inventory.ReceiptLine{{"CASE", -1}, {"CABLE", 40}})),
		} {
			if err == nil || errs.Is(err, errs.Internal) {
				t.Errorf("%s: %v, want a refusal", name, err)
			}
		}
		if l := level("CASE"); l.Inbound != 100 || l.OnHand != 0 {
			t.Fatalf("after the refusals: %+v", l)
		}
		// Two receipts race: one counts, the other is refused.
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			oks   int
			after inventory.Consignment
		)
		for range 4 {
			wg.Go(func() {
				got, err := e.stock.Receive(ctx, e.p, c.ID, []inventory.ReceiptLine{{"CASE", 100}, {"CABLE", 37}})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					oks++
					after = got
				case !errs.Is(err, errs.Conflict):
					t.Errorf("a racing receipt: %v", err)
				}
			})
		}
		wg.Wait()
		if oks != 1 || after.Status != inventory.Received || after.Discrepancies != 1 || after.ReceivedBy == "" {
			t.Fatalf("%d receipts counted; %+v", oks, after)
		}
		if l := level("CASE"); l.Inbound != 0 || l.OnHand != 100 || l.Available != 100 {
			t.Errorf("CASE received: %+v", l)
		}
		if l := level("CABLE"); l.Inbound != 0 || l.OnHand != 37 {
			t.Errorf("CABLE, 3 short: %+v", l)
		}
		// The partner sees the hub's consignments; M sees its own at the hub;
		// N sees nothing there.
		list, err := e.stock.Consignments(ctx, e.p, e.hub, inventory.Received, 10)
		if err != nil || len(list) != 1 || list[0].Lines[0].SKU != "CABLE" || *list[0].Lines[0].Received != 37 {
			t.Errorf("the partner's list: %+v %v", list, err)
		}
		if list, err := e.stock.Consignments(ctx, e.m, e.hub, "", 10); err != nil || len(list) != 1 {
			t.Errorf("M's list at the hub: %+v %v", list, err)
		}
		if _, err := e.stock.Consignments(ctx, e.n, e.hub, "", 10); !errs.Is(err, errs.NotFound) {
			t.Errorf("N's list at the hub: %v", err)
		}
		// The owner of a warehouse no partner runs receives its own.
		c2, err := e.stock.Announce(ctx, e.m, e.w1, consignment("", "CASE", 5))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.stock.Receive(ctx, e.m, c2.ID, []inventory.ReceiptLine{{"CASE", 5}}); err != nil {
			t.Errorf("the owner receives at its own warehouse: %v", err)
		}
		if _, err := e.stock.Receive(ctx, identity.System, "cns_nonsense", nil); !errs.Is(err, errs.NotFound) {
			t.Errorf("an unknown consignment: %v", err)
		}
	})
}

func second[T any](_ T, err error) error { return err }
