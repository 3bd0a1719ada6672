package promise_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-market/sesame/internal/promise"
)

func TestSelect(t *testing.T) {
	lanes := promise.DefaultLanes()
	now := at(t, "2026-07-07T10:00:00Z")
	origins := []promise.Origin{shenzhen, yiwu, leipzig, fos, idf}
	type sent struct {
		from  promise.Origin
		lines []promise.Line
	}
	items := func(kv ...any) []promise.Item {
		var out []promise.Item
		for i := 0; i < len(kv); i += 2 {
			out = append(out, promise.Item{SKU: kv[i].(string), Quantity: kv[i+1].(int)})
		}
		return out
	}
	lines := func(kv ...any) []promise.Line {
		var out []promise.Line
		for _, it := range items(kv...) {
			out = append(out, promise.Line(it))
		}
		return out
	}
	at := func(o promise.Origin, kv ...any) []promise.Stock {
		var out []promise.Stock
		for _, it := range items(kv...) {
			out = append(out, promise.Stock{OriginID: o.ID, SKU: it.SKU, Available: it.Quantity})
		}
		return out
	}
	join := func(ss ...[]promise.Stock) []promise.Stock {
		var out []promise.Stock
		for _, s := range ss {
			out = append(out, s...)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		to    promise.Destination
		items []promise.Item
		stock []promise.Stock
		want  []sent
		short []string // the SKUs of an UnavailableError
	}{
		{
			name:  "one origin with everything, not a split with a faster one",
			to:    paris11,
			items: items("CASE", 1, "CABLE", 1),
			stock: join(at(idf, "CASE", 5), at(fos, "CASE", 5, "CABLE", 5)),
			want:  []sent{{fos, lines("CASE", 1, "CABLE", 1)}},
		},
		{
			name:  "among origins with everything, the earliest delivery",
			to:    paris11,
			items: items("CASE", 1, "CABLE", 1),
			stock: join(at(shenzhen, "CASE", 9, "CABLE", 9), at(fos, "CASE", 5, "CABLE", 5), at(idf, "CASE", 1, "CABLE", 1)),
			want:  []sent{{idf, lines("CASE", 1, "CABLE", 1)}},
		},
		{
			name:  "alike in days, the cheaper",
			to:    berlin,
			items: items("CASE", 2),
			stock: join(at(shenzhen, "CASE", 9), at(yiwu, "CASE", 9)),
			want:  []sent{{yiwu, lines("CASE", 2)}},
		},
		{
			name:  "none has everything: the origin with the most units first",
			to:    paris11,
			items: items("CASE", 1, "CABLE", 3),
			stock: join(at(idf, "CASE", 1), at(fos, "CABLE", 3)),
			want:  []sent{{fos, lines("CABLE", 3)}, {idf, lines("CASE", 1)}},
		},
		{
			name:  "as many units: the better promise first",
			to:    paris11,
			items: items("CASE", 1, "CABLE", 1),
			stock: join(at(fos, "CABLE", 1), at(idf, "CASE", 1)),
			want:  []sent{{idf, lines("CASE", 1)}, {fos, lines("CABLE", 1)}},
		},
		{
			name:  "a line split when no origin has it whole",
			to:    paris11,
			items: items("CASE", 5),
			stock: join(at(fos, "CASE", 3), at(idf, "CASE", 3)),
			want:  []sent{{idf, lines("CASE", 3)}, {fos, lines("CASE", 2)}},
		},
		{
			name:  "a line not split while an origin has it whole",
			to:    paris11,
			items: items("CASE", 4, "CABLE", 1),
			stock: join(at(idf, "CASE", 3, "CABLE", 1), at(fos, "CASE", 4)),
			want:  []sent{{fos, lines("CASE", 4)}, {idf, lines("CABLE", 1)}},
		},
		{
			name:  "short stock names the SKU",
			to:    paris11,
			items: items("CASE", 5, "CABLE", 1),
			stock: join(at(idf, "CASE", 2, "CABLE", 1), at(fos, "CASE", 2)),
			short: []string{"CASE"},
		},
		{
			name:  "every short SKU, in the order asked",
			to:    paris11,
			items: items("CASE", 5, "CABLE", 1, "STRAP", 1),
			stock: at(idf, "CASE", 2, "STRAP", 1),
			short: []string{"CASE", "CABLE"},
		},
		{
			name:  "an origin with stock but no lane is skipped",
			to:    berlin,
			items: items("CASE", 2),
			stock: join(at(fos, "CASE", 10), at(leipzig, "CASE", 2)),
			want:  []sent{{leipzig, lines("CASE", 2)}},
		},
		{
			name:  "stock only where no lane reaches",
			to:    berlin,
			items: items("CASE", 2),
			stock: at(fos, "CASE", 10),
			short: []string{"CASE"},
		},
		{
			name:  "stock at an origin not given is ignored",
			to:    paris11,
			items: items("CASE", 2),
			stock: join(at(promise.Origin{ID: "elsewhere"}, "CASE", 10), at(idf, "CASE", 1)),
			short: []string{"CASE"},
		},
		{
			name:  "a SKU named twice is summed, and so are its stock rows",
			to:    paris11,
			items: items("CASE", 1, "CASE", 2),
			stock: join(at(idf, "CASE", 1, "CASE", 2), at(fos, "CASE", -4)),
			want:  []sent{{idf, lines("CASE", 3)}},
		},
		{
			name: "nothing asked, nothing sent",
			to:   paris11,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := promise.Select(now, tc.items, tc.stock, origins, lanes, tc.to)
			if tc.short != nil {
				var ue *promise.UnavailableError
				if !errors.As(err, &ue) || !errors.Is(err, promise.ErrUnavailable) {
					t.Fatalf("error %v, want an UnavailableError", err)
				}
				if diff := cmp.Diff(ue.SKUs, tc.short); diff != "" {
					t.Errorf("short SKUs (-got +want):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want []promise.Shipment
			for _, s := range tc.want {
				r, ok := promise.Promise(now, s.from, lanes, tc.to)
				if !ok {
					t.Fatalf("no promise from %s", s.from.ID)
				}
				want = append(want, promise.Shipment{OriginID: s.from.ID, Lines: s.lines, Result: r})
			}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("(-got +want):\n%s", diff)
			}
		})
	}
}

func TestSelectRefusesBadItems(t *testing.T) {
	now := at(t, "2026-07-07T10:00:00Z")
	for _, it := range []promise.Item{{SKU: "CASE", Quantity: 0}, {SKU: "CASE", Quantity: -1}, {SKU: "", Quantity: 1}} {
		_, err := promise.Select(now, []promise.Item{it}, nil, []promise.Origin{idf}, promise.DefaultLanes(), paris11)
		if err == nil || errors.Is(err, promise.ErrUnavailable) {
			t.Errorf("item %+v: error %v, want a refusal", it, err)
		}
	}
}
