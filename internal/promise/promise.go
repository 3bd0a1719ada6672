package promise

import (
	"cmp"
	"time"
)

// Origin is a warehouse as a promise sees it. Its working days are its
// country's.
type Origin struct {
	ID string `json:"id"`
	// Country is ISO 3166 alpha-2, Region the lanes' name for where it is
	// ("FR-IDF", "CN-GD").
	Country string `json:"country"`
	Region  string `json:"region"`
	// Location is the warehouse's time zone, in which CutOff is read; nil
	// is UTC.
	Location *time.Location `json:"-"`
	// CutOff is the local time before which an order paid on a working
	// day leaves that day; the zero cut-off sends every order the next
	// working day.
	CutOff TimeOfDay `json:"cut_off"`
}

// TimeOfDay is a wall-clock time, hour 0 to 23 and minute 0 to 59.
type TimeOfDay struct {
	Hour   int `json:"hour"`
	Minute int `json:"minute"`
}

// Destination is where an order goes: a country (ISO 3166 alpha-2) and a
// postcode in it, which may be empty when only the country is known.
type Destination struct {
	Country  string `json:"country"`
	Postcode string `json:"postcode,omitempty"`
}

// Result is a promise: an order from OriginID leaves on ShipDate by lane
// Lane and arrives between Earliest and Latest.
type Result struct {
	OriginID string `json:"origin_id"`
	// ShipsFrom is the origin's country, which the buyer is told.
	ShipsFrom string `json:"ships_from"`
	ShipDate  Date   `json:"ship_date"`
	Earliest  Date   `json:"earliest"`
	Latest    Date   `json:"latest"`
	// Lane is the index of the lane in the lanes given, Carrier its
	// carrier and Cost its cost in Currency's minor units.
	Lane     int    `json:"lane"`
	Carrier  string `json:"carrier"`
	Cost     int64  `json:"cost"`
	Currency string `json:"currency"`
}

// Promise returns the promise of an order paid at now, sent from o to d by
// the most specific of lanes that serves them; false if none does. The
// order leaves today, at o, if today is a working day there and now is
// before the cut-off, else on the next working day there. It arrives after
// the lane's transit, counted in d's country's working days, or in
// calendar days and then moved to a working day there.
func Promise(now time.Time, o Origin, lanes []Lane, d Destination) (Result, bool) {
	var buf [16]reach
	rs := reaching(buf[:0], lanes, &d)
	return promise(now, &o, lanes, rs, &d)
}

// promise is Promise with the lanes that reach d found already.
func promise(now time.Time, o *Origin, lanes []Lane, rs []reach, d *Destination) (Result, bool) {
	i := pickLane(lanes, rs, o.Country, o.Region)
	if i < 0 {
		return Result{}, false
	}
	l := &lanes[i]
	ship := shipDate(now, o)
	to := CalendarFor(d.Country)
	earliest := transit(to, ship, l.MinDays, l.CalendarDays)
	latest := transit(to, ship, l.MaxDays+l.ExtraDays, l.CalendarDays)
	// A lane whose data puts MinDays above MaxDays still promises a
	// range, not one that ends before it starts.
	if latest.Before(earliest) {
		latest = earliest
	}
	return Result{
		OriginID: o.ID, ShipsFrom: o.Country, ShipDate: ship,
		Earliest: earliest, Latest: latest,
		Lane: i, Carrier: l.Carrier, Cost: l.Cost, Currency: l.Currency,
	}, true
}

// shipDate returns the day an order paid at now leaves o.
func shipDate(now time.Time, o *Origin) Date {
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	today, secs := localDay(now, loc)
	c := CalendarFor(o.Country)
	if secs < o.CutOff.Hour*3600+o.CutOff.Minute*60 && c.IsWorkingDay(today) {
		return today
	}
	return c.NextWorkingDay(today)
}

// transit returns the day a parcel that left on ship arrives after days of
// transit, in to's working days or in calendar days: a working day of to
// either way.
func transit(to *Calendar, ship Date, days int, calendarDays bool) Date {
	if calendarDays {
		return to.onOrAfter(ship.AddDays(days))
	}
	return to.onOrAfter(to.AddWorkingDays(ship, days))
}

// Best returns the best promise of an order paid at now from any of
// origins to d: the earliest Earliest, then the earliest Latest, then the
// cheapest, then the smallest origin ID, so the choice does not depend on
// the order of origins. Costs compare as numbers: lanes are expected to
// share a currency. False if no origin has a lane to d.
func Best(now time.Time, origins []Origin, lanes []Lane, d Destination) (Result, bool) {
	// buf holds the lanes to d on the stack unless there are many.
	var buf [16]reach
	rs := reaching(buf[:0], lanes, &d)
	var best Result
	found := false
	for i := range origins {
		r, ok := promise(now, &origins[i], lanes, rs, &d)
		if ok && (!found || better(&r, &best)) {
			best, found = r, true
		}
	}
	return best, found
}

// Better reports whether a is a better promise than b, by Best's order:
// earliest first, then latest, then cheapest, then the origin's id.
func Better(a, b Result) bool { return better(&a, &b) }

// better reports whether a is a better promise than b, by Best's order.
func better(a, b *Result) bool {
	if c := a.Earliest.Compare(b.Earliest); c != 0 {
		return c < 0
	}
	if c := a.Latest.Compare(b.Latest); c != 0 {
		return c < 0
	}
	if c := cmp.Compare(a.Cost, b.Cost); c != 0 {
		return c < 0
	}
	return a.OriginID < b.OriginID
}
