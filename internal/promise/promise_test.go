package promise_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the origins' zones, whatever the machine has installed

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-market/sesame/internal/promise"
)

func day(t testing.TB, s string) promise.Date {
	t.Helper()
	d, err := promise.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func zone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// The warehouses of the tests, with their cut-offs.
var (
	idf      = promise.Origin{ID: "idf-1", Country: "FR", Region: "FR-IDF", Location: zone("Europe/Paris"), CutOff: promise.TimeOfDay{Hour: 14}}
	fos      = promise.Origin{ID: "fos-1", Country: "FR", Region: "FR-13", Location: zone("Europe/Paris"), CutOff: promise.TimeOfDay{Hour: 15}}
	leipzig  = promise.Origin{ID: "leipzig-1", Country: "DE", Region: "DE-SN", Location: zone("Europe/Berlin"), CutOff: promise.TimeOfDay{Hour: 16}}
	daventry = promise.Origin{ID: "daventry-1", Country: "GB", Region: "GB-ENG", Location: zone("Europe/London"), CutOff: promise.TimeOfDay{Hour: 15}}
	shenzhen = promise.Origin{ID: "shenzhen-1", Country: "CN", Region: "CN-GD", Location: zone("Asia/Shanghai"), CutOff: promise.TimeOfDay{Hour: 16, Minute: 30}}
	yiwu     = promise.Origin{ID: "yiwu-1", Country: "CN", Region: "CN-ZJ", Location: zone("Asia/Shanghai"), CutOff: promise.TimeOfDay{Hour: 16, Minute: 30}}
)

// The destinations.
var (
	paris11   = promise.Destination{Country: "FR", Postcode: "75011"}
	boulogne  = promise.Destination{Country: "FR", Postcode: "92100"}
	lyon      = promise.Destination{Country: "FR", Postcode: "69001"}
	reunion   = promise.Destination{Country: "FR", Postcode: "97400"}
	berlin    = promise.Destination{Country: "DE", Postcode: "10115"}
	leeds     = promise.Destination{Country: "GB", Postcode: "LS1"}
	newYork   = promise.Destination{Country: "US", Postcode: "10001"}
	franceAny = promise.Destination{Country: "FR"}
)

// laneIndex returns the index in lanes of the lane from from to country,
// whose first postcode prefix is prefix ("" for a lane to the whole
// country).
func laneIndex(t testing.TB, lanes []promise.Lane, from, country, prefix string) int {
	t.Helper()
	for i, l := range lanes {
		first := ""
		if len(l.To.Postcodes) > 0 {
			first = l.To.Postcodes[0]
		}
		if l.From == from && l.To.Country == country && first == prefix {
			return i
		}
	}
	t.Fatalf("no lane from %s to %s %s", from, country, prefix)
	return -1
}

func TestDateAddDays(t *testing.T) {
	for _, tc := range []struct {
		from string
		n    int
		want string
	}{
		{"2026-07-14", 1, "2026-07-15"},
		{"2026-01-31", 1, "2026-02-01"},
		{"2026-12-31", 1, "2027-01-01"},
		{"2027-01-01", -1, "2026-12-31"},
		{"2028-02-28", 1, "2028-02-29"},
		{"2028-02-29", 1, "2028-03-01"},
		{"2026-02-28", 1, "2026-03-01"},
		{"2100-02-28", 1, "2100-03-01"}, // a century, not leap
		{"2000-02-28", 1, "2000-02-29"}, // a fourth century, leap
		{"2026-07-14", 365, "2027-07-14"},
		{"2028-01-01", 366, "2029-01-01"},
		{"1970-01-01", -1, "1969-12-31"},
	} {
		if got := day(t, tc.from).AddDays(tc.n).String(); got != tc.want {
			t.Errorf("%s + %d days = %s, want %s", tc.from, tc.n, got, tc.want)
		}
	}
}

// TestDateMatchesTime checks every day from 1900 to 2100 against the time
// package: its year, month, day and weekday, and NewDate back.
func TestDateMatchesTime(t *testing.T) {
	tm := time.Date(1900, time.January, 1, 12, 0, 0, 0, time.UTC)
	d := promise.NewDate(1900, time.January, 1)
	for tm.Year() <= 2100 {
		y, m, dd := tm.Date()
		if d.Year() != y || d.Month() != m || d.Day() != dd || d.Weekday() != tm.Weekday() {
			t.Fatalf("date %s (%s), want %s", d, d.Weekday(), tm.Format("2006-01-02 (Monday)"))
		}
		if n := promise.NewDate(y, m, dd); n != d {
			t.Fatalf("NewDate(%d, %d, %d) = %s, want %s", y, m, dd, n, d)
		}
		tm, d = tm.AddDate(0, 0, 1), d.AddDays(1)
	}
}

func TestNewDateNormalises(t *testing.T) {
	for _, tc := range []struct {
		y    int
		m    time.Month
		d    int
		want string
	}{
		{2026, time.June, 31, "2026-07-01"},
		{2026, 13, 1, "2027-01-01"},
		{2026, 0, 1, "2025-12-01"},
		{2026, time.March, 0, "2026-02-28"},
	} {
		if got := promise.NewDate(tc.y, tc.m, tc.d).String(); got != tc.want {
			t.Errorf("NewDate(%d, %d, %d) = %s, want %s", tc.y, tc.m, tc.d, got, tc.want)
		}
	}
}

func TestDateText(t *testing.T) {
	type doc struct {
		Earliest promise.Date `json:"earliest"`
	}
	in := doc{day(t, "2026-07-14")}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(b), `{"earliest":"2026-07-14"}`); diff != "" {
		t.Errorf("JSON (-got +want):\n%s", diff)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(out, in); diff != "" {
		t.Errorf("round trip (-got +want):\n%s", diff)
	}
	for _, s := range []string{"2026-02-29", "2026-13-01", "2026-00-10", "2026-07-00", "26-07-14", "2026-07-1x", "2026/07/14", ""} {
		if _, err := promise.ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) took it", s)
		}
	}
	if got := (promise.Date{}).String(); got != "0001-01-01" {
		t.Errorf("zero date %s, want 0001-01-01", got)
	}
}

func TestDateOrder(t *testing.T) {
	a, b := day(t, "2026-07-14"), day(t, "2026-07-15")
	got := []any{a.Before(b), a.After(b), b.After(a), a.Compare(b), b.Compare(a), a.Compare(a), b.Sub(a), a.Equal(a)}
	want := []any{true, false, true, -1, 1, 0, 1, true}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
}

func TestDateOf(t *testing.T) {
	now := at(t, "2026-07-13T17:30:00Z")
	for _, tc := range []struct {
		name string
		t    time.Time
		loc  *time.Location
		want string
	}{
		{"UTC", now, time.UTC, "2026-07-13"},
		{"Shanghai is a day ahead", now, zone("Asia/Shanghai"), "2026-07-14"},
		{"Paris", now, zone("Europe/Paris"), "2026-07-13"},
		{"nil keeps t's zone", now.In(zone("Asia/Shanghai")), nil, "2026-07-14"},
		{"New York behind", at(t, "2026-07-14T02:00:00Z"), zone("America/New_York"), "2026-07-13"},
		{"before 1970", at(t, "1969-12-31T23:00:00Z"), time.UTC, "1969-12-31"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := promise.DateOf(tc.t, tc.loc).String(); got != tc.want {
				t.Errorf("DateOf = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestIsWorkingDay(t *testing.T) {
	for _, tc := range []struct {
		country, day string
		want         bool
	}{
		{"FR", "2026-07-14", false}, // Fête nationale
		{"FR", "2026-07-15", true},
		{"FR", "2026-05-14", false}, // Ascension
		{"FR", "2026-05-25", false}, // Lundi de Pentecôte
		{"FR", "2026-07-18", false}, // a Saturday
		{"fr", "2026-07-14", false}, // lower case
		{"DE", "2025-10-03", false}, // Tag der Deutschen Einheit
		{"DE", "2026-07-14", true},
		{"GB", "2026-12-25", false},
		{"GB", "2026-12-28", false}, // Boxing Day, a Saturday, moved to Monday
		{"GB", "2026-08-31", false}, // summer bank holiday
		{"GB", "2026-07-14", true},
		{"CN", "2026-02-17", false}, // Spring Festival
		{"CN", "2026-02-28", true},  // a Saturday worked for it
		{"CN", "2026-10-07", false}, // National Day
		{"CN", "2026-10-10", true},  // a Saturday worked for it
		{"CN", "2027-02-12", false}, // projected Spring Festival
		{"CN", "2027-02-15", true},
		{"US", "2026-07-03", true}, // no holidays known: weekends only
		{"US", "2026-07-04", false},
		{"", "2026-07-14", true},
		{"FR", "2040-07-14", false}, // outside the precomputed years
		{"FR", "2040-07-16", true},
		{"FR", "2019-12-25", false},
	} {
		if got := promise.IsWorkingDay(tc.country, day(t, tc.day)); got != tc.want {
			t.Errorf("IsWorkingDay(%q, %s) = %v, want %v", tc.country, tc.day, got, tc.want)
		}
	}
}

func TestAddWorkingDays(t *testing.T) {
	for _, tc := range []struct {
		country, from string
		n             int
		want          string
	}{
		{"FR", "2026-07-13", 1, "2026-07-15"},
		{"FR", "2026-07-10", 1, "2026-07-13"},
		{"FR", "2026-07-10", 2, "2026-07-15"},
		{"FR", "2026-07-11", 0, "2026-07-11"},
		{"DE", "2026-12-23", 2, "2026-12-28"},
		{"CN", "2026-02-13", 1, "2026-02-14"}, // a Saturday worked
		{"CN", "2026-02-14", 1, "2026-02-24"},
	} {
		if got := promise.AddWorkingDays(tc.country, day(t, tc.from), tc.n).String(); got != tc.want {
			t.Errorf("AddWorkingDays(%s, %s, %d) = %s, want %s", tc.country, tc.from, tc.n, got, tc.want)
		}
	}
	if got := promise.NextWorkingDay("FR", day(t, "2026-12-24")).String(); got != "2026-12-28" {
		t.Errorf("NextWorkingDay(FR, 2026-12-24) = %s, want 2026-12-28", got)
	}
}

// TestCalendarYearsConcurrently asks years outside the precomputed ones
// from many goroutines: with -race, it checks their cache.
func TestCalendarYearsConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for y := 2040; y < 2060; y++ {
				d := promise.NewDate(y, time.July, 14)
				if promise.IsWorkingDay("FR", d) {
					t.Errorf("goroutine %d: %s a working day in France", g, d)
				}
			}
		})
	}
	wg.Wait()
}

func TestPromise(t *testing.T) {
	lanes := promise.DefaultLanes()
	for _, tc := range []struct {
		name                   string
		now                    string
		from                   promise.Origin
		to                     promise.Destination
		lane                   [3]string // from, country, first postcode prefix
		ship, earliest, latest string
	}{
		{"IDF to Paris before the cut-off on a Tuesday: the next day", "2026-07-07T10:00:00Z", idf, paris11,
			[3]string{"FR-IDF", "FR", "75"}, "2026-07-07", "2026-07-08", "2026-07-08"},
		{"after the cut-off on a Friday: leaves Monday, arrives Tuesday", "2026-07-03T13:00:00Z", idf, paris11,
			[3]string{"FR-IDF", "FR", "75"}, "2026-07-06", "2026-07-07", "2026-07-07"},
		{"a Saturday morning: leaves Monday", "2026-07-04T08:00:00Z", idf, paris11,
			[3]string{"FR-IDF", "FR", "75"}, "2026-07-06", "2026-07-07", "2026-07-07"},
		{"Monday 13 July after the cut-off: 14 July is Bastille Day", "2026-07-13T12:30:00Z", idf, paris11,
			[3]string{"FR-IDF", "FR", "75"}, "2026-07-15", "2026-07-16", "2026-07-16"},
		{"Christmas Eve after the cut-off: leaves after the weekend", "2026-12-24T14:00:00Z", idf, paris11,
			[3]string{"FR-IDF", "FR", "75"}, "2026-12-28", "2026-12-29", "2026-12-29"},
		{"New Year's Eve before the cut-off: arrives after New Year's Day and the weekend", "2026-12-31T09:00:00Z", idf, paris11,
			[3]string{"FR-IDF", "FR", "75"}, "2026-12-31", "2027-01-04", "2027-01-04"},
		{"New Year's Eve after the cut-off", "2026-12-31T15:00:00Z", idf, paris11,
			[3]string{"FR-IDF", "FR", "75"}, "2027-01-04", "2027-01-05", "2027-01-05"},
		{"the eve of Ascension after the cut-off", "2026-05-13T13:00:00Z", idf, paris11,
			[3]string{"FR-IDF", "FR", "75"}, "2026-05-15", "2026-05-18", "2026-05-18"},
		{"the Friday before Whit Monday after the cut-off", "2026-05-22T13:00:00Z", idf, paris11,
			[3]string{"FR-IDF", "FR", "75"}, "2026-05-26", "2026-05-27", "2026-05-27"},
		{"summer time: 12:30 UTC is 14:30 in Paris, after the cut-off", "2026-03-30T12:30:00Z", idf, paris11,
			[3]string{"FR-IDF", "FR", "75"}, "2026-03-31", "2026-04-01", "2026-04-01"},
		{"IDF to the rest of Ile-de-France", "2026-07-07T10:00:00Z", idf, boulogne,
			[3]string{"FR-IDF", "FR", "77"}, "2026-07-07", "2026-07-08", "2026-07-08"},
		{"IDF to the rest of France", "2026-07-07T10:00:00Z", idf, lyon,
			[3]string{"FR-IDF", "FR", ""}, "2026-07-07", "2026-07-08", "2026-07-09"},
		{"IDF to France, postcode unknown", "2026-07-07T10:00:00Z", idf, franceAny,
			[3]string{"FR-IDF", "FR", ""}, "2026-07-07", "2026-07-08", "2026-07-09"},
		{"Marseille-Fos to Lyon: 2 to 3 working days, over Bastille Day", "2026-07-13T10:00:00Z", fos, lyon,
			[3]string{"FR-13", "FR", ""}, "2026-07-13", "2026-07-16", "2026-07-17"},
		{"Leipzig to Paris: Ascension in both countries", "2026-05-13T15:00:00Z", leipzig, paris11,
			[3]string{"DE-SN", "FR", ""}, "2026-05-15", "2026-05-19", "2026-05-21"},
		{"Leipzig to Paris: German Unity Day closes Leipzig, not France", "2025-10-02T15:00:00Z", leipzig, paris11,
			[3]string{"DE-SN", "FR", ""}, "2025-10-06", "2025-10-08", "2025-10-10"},
		{"Leipzig to Berlin", "2026-07-07T10:00:00Z", leipzig, berlin,
			[3]string{"DE-SN", "DE", ""}, "2026-07-07", "2026-07-08", "2026-07-09"},
		{"Daventry to Leeds: Boxing Day on a Saturday is off on Monday", "2026-12-24T16:00:00Z", daventry, leeds,
			[3]string{"GB-ENG", "GB", ""}, "2026-12-29", "2026-12-30", "2026-12-31"},
		{"Shenzhen to Paris: already Tuesday in Shanghai, before its cut-off", "2026-07-13T17:30:00Z", shenzhen, paris11,
			[3]string{"CN-GD", "FR", ""}, "2026-07-14", "2026-07-21", "2026-07-29"},
		{"Shenzhen after its cut-off, still morning in Paris", "2026-07-14T09:00:00Z", shenzhen, paris11,
			[3]string{"CN-GD", "FR", ""}, "2026-07-15", "2026-07-22", "2026-07-30"},
		{"Shenzhen to Paris arriving on Armistice Day: the next day", "2026-11-04T02:00:00Z", shenzhen, paris11,
			[3]string{"CN-GD", "FR", ""}, "2026-11-04", "2026-11-12", "2026-11-19"},
		{"Shenzhen in the Spring Festival 2027: leaves after it", "2027-02-08T02:00:00Z", shenzhen, paris11,
			[3]string{"CN-GD", "FR", ""}, "2027-02-15", "2027-02-22", "2027-03-02"},
		{"Shenzhen on a Saturday worked after the Spring Festival 2026", "2026-02-28T02:00:00Z", shenzhen, paris11,
			[3]string{"CN-GD", "FR", ""}, "2026-02-28", "2026-03-09", "2026-03-16"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := promise.Promise(at(t, tc.now), tc.from, lanes, tc.to)
			if !ok {
				t.Fatal("no promise")
			}
			i := laneIndex(t, lanes, tc.lane[0], tc.lane[1], tc.lane[2])
			want := promise.Result{
				OriginID: tc.from.ID, ShipsFrom: tc.from.Country,
				ShipDate: day(t, tc.ship), Earliest: day(t, tc.earliest), Latest: day(t, tc.latest),
				Lane: i, Carrier: lanes[i].Carrier, Cost: lanes[i].Cost, Currency: lanes[i].Currency,
			}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("(-got +want):\n%s", diff)
			}
		})
	}
}

func TestPromiseNoLane(t *testing.T) {
	lanes := promise.DefaultLanes()
	now := at(t, "2026-07-07T10:00:00Z")
	for _, tc := range []struct {
		name string
		from promise.Origin
		to   promise.Destination
	}{
		{"Marseille-Fos to Germany", fos, berlin},
		{"IDF to Réunion", idf, reunion},
		{"Shenzhen to the United States", shenzhen, newYork},
		{"an origin in no lane's region or country", promise.Origin{ID: "x", Country: "ES", Region: "ES-M"}, paris11},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r, ok := promise.Promise(now, tc.from, lanes, tc.to); ok {
				t.Errorf("promise %+v, want none", r)
			}
		})
	}
}

// TestPromiseMostSpecific checks that the longer postcode prefix wins
// whatever the lanes' order, and a region beats a country.
func TestPromiseMostSpecific(t *testing.T) {
	lanes := []promise.Lane{
		{From: "CN", To: promise.Area{Country: "FR"}, MinDays: 10, MaxDays: 20, CalendarDays: true, Carrier: "country to country"},
		{From: "CN-GD", To: promise.Area{Country: "FR"}, MinDays: 7, MaxDays: 15, CalendarDays: true, Carrier: "region to country"},
		{From: "CN", To: promise.Area{Country: "FR", Postcodes: []string{"7", "75"}}, MinDays: 6, MaxDays: 9, CalendarDays: true, Carrier: "country to Paris"},
		{From: "CN", To: promise.Area{Country: "FR", Postcodes: []string{"750"}, Except: []string{"7501"}}, MinDays: 5, MaxDays: 8, CalendarDays: true, Carrier: "country to Paris but the 1st to 19th"},
	}
	now := at(t, "2026-07-07T02:00:00Z")
	for _, tc := range []struct {
		from promise.Origin
		to   string
		want string
	}{
		{shenzhen, "69001", "region to country"},
		{yiwu, "69001", "country to country"},
		{shenzhen, "76000", "country to Paris"},
		{shenzhen, "75100", "country to Paris"},
		{shenzhen, "75011", "country to Paris"},
		{shenzhen, "75020", "country to Paris but the 1st to 19th"},
	} {
		r, ok := promise.Promise(now, tc.from, lanes, promise.Destination{Country: "FR", Postcode: tc.to})
		if !ok || r.Carrier != tc.want {
			t.Errorf("%s to %s: lane %q (%v), want %q", tc.from.Region, tc.to, r.Carrier, ok, tc.want)
		}
	}
}

// TestPromiseManyLanes gives more lanes to one country than Best keeps on
// its stack.
func TestPromiseManyLanes(t *testing.T) {
	var lanes []promise.Lane
	for i := range 40 {
		lanes = append(lanes, promise.Lane{From: fmt.Sprintf("FR-%02d", i), To: promise.Area{Country: "FR"}, MinDays: 9, MaxDays: 9})
	}
	lanes = append(lanes, promise.Lane{From: "FR-IDF", To: promise.Area{Country: "FR"}, MinDays: 1, MaxDays: 2, Carrier: "the one"})
	r, ok := promise.Best(at(t, "2026-07-07T10:00:00Z"), []promise.Origin{idf}, lanes, lyon)
	if !ok || r.Carrier != "the one" || r.Lane != 40 {
		t.Errorf("promise %+v (%v), want lane 40", r, ok)
	}
}

func TestBest(t *testing.T) {
	lanes := promise.DefaultLanes()
	now := at(t, "2026-07-07T10:00:00Z")
	for _, tc := range []struct {
		name    string
		origins []promise.Origin
		to      promise.Destination
		want    string // origin ID, "" for none
	}{
		{"the IDF partner over Shenzhen, Marseille and Leipzig", []promise.Origin{shenzhen, leipzig, fos, idf}, paris11, "idf-1"},
		{"Leipzig to Berlin", []promise.Origin{shenzhen, leipzig, fos, idf}, berlin, "leipzig-1"},
		{"Shenzhen and Yiwu promise alike: the cheaper Yiwu", []promise.Origin{shenzhen, yiwu}, berlin, "yiwu-1"},
		{"the same both ways round", []promise.Origin{yiwu, shenzhen}, berlin, "yiwu-1"},
		{"two like warehouses: the smaller ID", []promise.Origin{{ID: "idf-2", Country: "FR", Region: "FR-IDF", Location: idf.Location, CutOff: idf.CutOff}, idf}, paris11, "idf-1"},
		{"none serves New York", []promise.Origin{shenzhen, leipzig, fos, idf}, newYork, ""},
		{"no origins", nil, paris11, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := promise.Best(now, tc.origins, lanes, tc.to)
			if diff := cmp.Diff(r.OriginID, tc.want); diff != "" || ok != (tc.want != "") {
				t.Errorf("origin (-got +want):\n%s (ok %v)", diff, ok)
			}
		})
	}
}

// TestBestLatestThenCost checks the order after Earliest: the earlier
// Latest, then the lower cost.
func TestBestLatestThenCost(t *testing.T) {
	a := promise.Origin{ID: "a", Country: "FR", Region: "FR-A", Location: idf.Location, CutOff: idf.CutOff}
	b := promise.Origin{ID: "b", Country: "FR", Region: "FR-B", Location: idf.Location, CutOff: idf.CutOff}
	now := at(t, "2026-07-07T10:00:00Z")
	for _, tc := range []struct {
		name  string
		lanes []promise.Lane
		want  string
	}{
		{"the earlier latest day, though dearer", []promise.Lane{
			{From: "FR-A", To: promise.Area{Country: "FR"}, MinDays: 1, MaxDays: 3, Cost: 100},
			{From: "FR-B", To: promise.Area{Country: "FR"}, MinDays: 1, MaxDays: 2, Cost: 900},
		}, "b"},
		{"the cheaper, alike in days", []promise.Lane{
			{From: "FR-A", To: promise.Area{Country: "FR"}, MinDays: 1, MaxDays: 2, Cost: 500},
			{From: "FR-B", To: promise.Area{Country: "FR"}, MinDays: 1, MaxDays: 2, Cost: 400},
		}, "b"},
		{"extra days count", []promise.Lane{
			{From: "FR-A", To: promise.Area{Country: "FR"}, MinDays: 1, MaxDays: 2, Cost: 500},
			{From: "FR-B", To: promise.Area{Country: "FR"}, MinDays: 1, MaxDays: 2, ExtraDays: 1, Cost: 400},
		}, "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := promise.Best(now, []promise.Origin{a, b}, tc.lanes, lyon)
			if r.OriginID != tc.want {
				t.Errorf("origin %q, want %q", r.OriginID, tc.want)
			}
		})
	}
}

func TestWiden(t *testing.T) {
	lane := promise.Lane{From: "CN-GD", To: promise.Area{Country: "FR"}, MinDays: 7, MaxDays: 15, CalendarDays: true}
	short := promise.Lane{From: "FR-13", To: promise.Area{Country: "FR"}, MinDays: 2, MaxDays: 3}
	set := func(l promise.Lane, extra int) promise.Lane { l.ExtraDays = extra; return l }
	for _, tc := range []struct {
		name         string
		lane         promise.Lane
		kept, missed int
		want         promise.Lane
	}{
		{"all on time: unchanged", lane, 100, 0, lane},
		{"at the target: unchanged", lane, 97, 3, lane},
		{"96%: a day", lane, 96, 4, set(lane, 1)},
		{"94%: a day", lane, 94, 6, set(lane, 1)},
		{"93.9%: two days", lane, 939, 61, set(lane, 2)},
		{"90%: three days", lane, 90, 10, set(lane, 3)},
		{"90% again: three more", set(lane, 3), 90, 10, set(lane, 6)},
		{"capped at MaxDays", short, 50, 50, set(short, 3)},
		{"5 deliveries are too few", lane, 0, 5, lane},
		{"19 are too few", lane, 10, 9, lane},
		{"never narrows an operator's wider lane", set(short, 5), 50, 50, set(short, 5)},
		{"nonsense counts: unchanged", lane, -1, 30, lane},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(promise.Widen(tc.lane, tc.kept, tc.missed), tc.want); diff != "" {
				t.Errorf("(-got +want):\n%s", diff)
			}
		})
	}
}

func TestFrenchRegion(t *testing.T) {
	for pc, want := range map[string]string{
		"75011": "FR-IDF", "92100": "FR-IDF", "77000": "FR-IDF", "95000": "FR-IDF",
		"13001": "FR-13", "69001": "FR-69", "76000": "FR-76",
		"20000": "FR-2A", "20200": "FR-2B", "97400": "FR-974",
		"7501": "", "ABCDE": "", "": "",
	} {
		if got := promise.FrenchRegion(pc); got != want {
			t.Errorf("FrenchRegion(%q) = %q, want %q", pc, got, want)
		}
	}
}

// TestDefaultLanes checks the data: sound days and costs, and no lane that
// another with the same origin and area hides.
func TestDefaultLanes(t *testing.T) {
	seen := map[string]bool{}
	for i, l := range promise.DefaultLanes() {
		if l.MinDays < 1 || l.MaxDays < l.MinDays || l.Cost <= 0 || l.Currency != "EUR" || l.Carrier == "" {
			t.Errorf("lane %d: %+v", i, l)
		}
		k := l.From + ">" + l.To.Country + ":" + fmtPrefixes(l.To.Postcodes)
		if seen[k] {
			t.Errorf("lane %d: a second lane %s", i, k)
		}
		seen[k] = true
	}
}

func fmtPrefixes(ps []string) string {
	s := ""
	for _, p := range ps {
		s += p + ","
	}
	return s
}
