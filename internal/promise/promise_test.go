package promise_test

import (
	"encoding/json"
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

