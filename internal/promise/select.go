package promise

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Item is a quantity of a SKU an order asks for.
type Item struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// Stock is the units of a SKU available at an origin.
type Stock struct {
	OriginID  string `json:"origin_id"`
	SKU       string `json:"sku"`
	Available int    `json:"available"`
}

// Line is a quantity of a SKU in a shipment.
type Line struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// Shipment is the part of an order one origin sends, with its promise.
type Shipment struct {
	OriginID string `json:"origin_id"`
	Lines    []Line `json:"lines"`
	Result   Result `json:"result"`
}

// ErrUnavailable is the error an UnavailableError is.
var ErrUnavailable = errors.New("promise: not enough stock")

// UnavailableError says which SKUs the origins that can deliver do not
// hold enough of.
type UnavailableError struct {
	SKUs []string
}

func (e *UnavailableError) Error() string {
	return "promise: not enough stock of " + strings.Join(e.SKUs, ", ") + " at origins that deliver there"
}

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// Select chooses the origins that send items, ordered at now, to d. One
// origin that holds every item is preferred to splitting the order: among
// those, the best promise by Best's order. When none holds everything, the
// origin that covers the most units goes first (the better promise among
// equals), then the same again for what is left, the shipments in that
// order. A line is split across
// origins only when no origin left holds its whole quantity. Origins
// without a lane to d are not considered, whatever stock they hold; stock
// at an origin not in origins is ignored. A SKU named twice is summed.
//
// Errors: an *UnavailableError (errors.Is ErrUnavailable) naming the SKUs
// the considered origins do not hold enough of; an error for an item
// without a SKU or with a quantity below 1.
func Select(now time.Time, items []Item, stock []Stock, origins []Origin, lanes []Lane, d Destination) ([]Shipment, error) {
	want, err := merge(items)
	if err != nil || len(want) == 0 {
		return nil, err
	}
	type key struct{ origin, sku string }
	held := make(map[key]int, len(stock))
	for _, s := range stock {
		if s.Available > 0 {
			held[key{s.OriginID, s.SKU}] += s.Available
		}
	}
	// The candidates: the origins that can deliver, with the units of each
	// item they hold.
	type candidate struct {
		r     Result
		avail []int
		used  bool
	}
	rs := reaching(nil, lanes, &d)
	var cands []candidate
	seen := make(map[string]bool, len(origins))
	for i := range origins {
		o := &origins[i]
		if seen[o.ID] {
			continue
		}
		seen[o.ID] = true
		r, ok := promise(now, o, lanes, rs, &d)
		if !ok {
			continue
		}
		c := candidate{r: r, avail: make([]int, len(want))}
		for j, it := range want {
			c.avail[j] = held[key{o.ID, it.SKU}]
		}
		cands = append(cands, c)
	}
	var short []string
	for j, it := range want {
		total := 0
		for _, c := range cands {
			total += c.avail[j]
		}
		if total < it.Quantity {
			short = append(short, it.SKU)
		}
	}
	if short != nil {
		return nil, &UnavailableError{SKUs: short}
	}

	var one *candidate
	for i := range cands {
		c := &cands[i]
		all := true
		for j, it := range want {
			if c.avail[j] < it.Quantity {
				all = false
				break
			}
		}
		if all && (one == nil || better(&c.r, &one.r)) {
			one = c
		}
	}
	if one != nil {
		lines := make([]Line, len(want))
		for j, it := range want {
			lines[j] = Line(it)
		}
		return []Shipment{{OriginID: one.r.OriginID, Lines: lines, Result: one.r}}, nil
	}

	need := make([]int, len(want))
	for j, it := range want {
		need[j] = it.Quantity
	}
	whole := make([]bool, len(want))
	var out []Shipment
	for {
		// whole[j]: an origin left holds all that item j still needs, so
		// no other may send part of it.
		left := false
		for j := range want {
			whole[j] = false
			if need[j] == 0 {
				continue
			}
			left = true
			for _, c := range cands {
				if !c.used && c.avail[j] >= need[j] {
					whole[j] = true
					break
				}
			}
		}
		if !left {
			return out, nil
		}
		covers := func(c *candidate, j int) int {
			switch {
			case need[j] == 0:
				return 0
			case c.avail[j] >= need[j]:
				return need[j]
			case !whole[j]:
				return c.avail[j]
			}
			return 0
		}
		var pick *candidate
		pickUnits := 0
		for i := range cands {
			c := &cands[i]
			if c.used {
				continue
			}
			units := 0
			for j := range want {
				units += covers(c, j)
			}
			if units > pickUnits || units == pickUnits && units > 0 && better(&c.r, &pick.r) {
				pick, pickUnits = c, units
			}
		}
		if pick == nil {
			// Unreachable while the totals cover every item: kept so that a
			// mistake here is an error, not a loop.
			return nil, &UnavailableError{SKUs: unmet(want, need)}
		}
		s := Shipment{OriginID: pick.r.OriginID, Result: pick.r}
		for j, it := range want {
			if q := covers(pick, j); q > 0 {
				s.Lines = append(s.Lines, Line{SKU: it.SKU, Quantity: q})
				need[j] -= q
			}
		}
		pick.used = true
		out = append(out, s)
	}
}

// merge returns items with each SKU once, in the order first named.
func merge(items []Item) ([]Item, error) {
	out := make([]Item, 0, len(items))
	at := make(map[string]int, len(items))
	for _, it := range items {
		if it.SKU == "" || it.Quantity < 1 {
			return nil, fmt.Errorf("promise: item %q: want a SKU and a quantity of at least 1, have %d", it.SKU, it.Quantity)
		}
		if i, ok := at[it.SKU]; ok {
			out[i].Quantity += it.Quantity
			continue
		}
		at[it.SKU] = len(out)
		out = append(out, it)
	}
	return out, nil
}

func unmet(want []Item, need []int) []string {
	var skus []string
	for j, it := range want {
		if need[j] > 0 {
			skus = append(skus, it.SKU)
		}
	}
	return skus
}
