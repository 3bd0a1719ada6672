package promise

import (
	"sync"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/gb"
)

// HolidayFunc returns a country's public holidays in a year, and the
// weekend days it makes working days that year: China moves working days
// onto weekends around its long holidays.
type HolidayFunc func(year int) (holidays, workdays []Date)

// Calendar is the working days of one country: every day but its weekend
// days and public holidays. It is safe for concurrent use.
type Calendar struct {
	weekend  [7]bool
	holidays HolidayFunc
	// off has a bit set for every day from first on, over the years
	// precomputed, that is not a working day: the check on the hot path is
	// a shift and a mask, not a holiday calculation.
	first Date
	off   []uint64
	// years holds the days off of years outside the precomputed ones,
	// computed when first asked for (year → *[6]uint64, a bit per day of
	// the year).
	years sync.Map
}

// The years precomputed for every calendar; others are computed when first
// asked for and kept.
const (
	firstYear = 2024
	lastYear  = 2032
)

// NewCalendar returns the calendar whose days off are the weekend days and
// the holidays f returns, less the workdays it returns. f may be nil: only
// weekends are days off.
func NewCalendar(weekend []time.Weekday, f HolidayFunc) *Calendar {
	c := &Calendar{holidays: f, first: NewDate(firstYear, time.January, 1)}
	for _, w := range weekend {
		c.weekend[w] = true
	}
	end := NewDate(lastYear+1, time.January, 1)
	c.off = make([]uint64, (end.Sub(c.first)+63)/64)
	for y := firstYear; y <= lastYear; y++ {
		start := NewDate(y, time.January, 1)
		yb := c.computeYear(y)
		for i := range NewDate(y+1, time.January, 1).Sub(start) {
			if yb[i/64]>>(i%64)&1 != 0 {
				k := start.Sub(c.first) + i
				c.off[k/64] |= 1 << (k % 64)
			}
		}
	}
	return c
}

// computeYear returns a bit per day of year y, from 1 January, set for the
// days off.
func (c *Calendar) computeYear(y int) *[6]uint64 {
	var b [6]uint64
	start := NewDate(y, time.January, 1)
	n := NewDate(y+1, time.January, 1).Sub(start)
	set := func(d Date, off bool) {
		i := d.Sub(start)
		if i < 0 || i >= n {
			return
		}
		if off {
			b[i/64] |= 1 << (i % 64)
		} else {
			b[i/64] &^= 1 << (i % 64)
		}
	}
	for i := range n {
		d := start.AddDays(i)
		set(d, c.weekend[d.Weekday()])
	}
	if c.holidays != nil {
		// A holiday observed on another day can cross the new year (a
		// Saturday 1 January observed on Monday 3rd is still y's, but a
		// Boxing Day moved from 26 December need not be), so the years
		// around y are asked too and only y's days kept.
		var work []Date
		for yy := y - 1; yy <= y+1; yy++ {
			hs, ws := c.holidays(yy)
			for _, d := range hs {
				set(d, true)
			}
			work = append(work, ws...)
		}
		for _, d := range work {
			set(d, false)
		}
	}
	return &b
}

// IsWorkingDay reports whether d is a working day.
func (c *Calendar) IsWorkingDay(d Date) bool {
	if k := d.Sub(c.first); k >= 0 && k < len(c.off)*64 {
		return c.off[k/64]>>(k%64)&1 == 0
	}
	y := d.Year()
	v, ok := c.years.Load(y)
	if !ok {
		v, _ = c.years.LoadOrStore(y, c.computeYear(y))
	}
	i := d.Sub(NewDate(y, time.January, 1))
	return v.(*[6]uint64)[i/64]>>(i%64)&1 == 0
}

// NextWorkingDay returns the first working day after d.
func (c *Calendar) NextWorkingDay(d Date) Date {
	for {
		d = d.AddDays(1)
		if c.IsWorkingDay(d) {
			return d
		}
	}
}

// AddWorkingDays returns the day n working days after d: d itself when n is
// 0 or less, whatever day it is.
func (c *Calendar) AddWorkingDays(d Date, n int) Date {
	for ; n > 0; n-- {
		d = c.NextWorkingDay(d)
	}
	return d
}

// onOrAfter returns d if it is a working day, else the next one.
func (c *Calendar) onOrAfter(d Date) Date {
	if c.IsWorkingDay(d) {
		return d
	}
	return c.NextWorkingDay(d)
}

// calendars holds the calendar of each country with one, indexed by its
// two letters; built once at start-up and never written after, so read
// without a lock.
var calendars [26 * 26]*Calendar

// weekendOnly is the calendar of a country Sesame knows no holidays of.
var weekendOnly = NewCalendar([]time.Weekday{time.Saturday, time.Sunday}, nil)

func init() {
	sat := []time.Weekday{time.Saturday, time.Sunday}
	for country, f := range map[string]HolidayFunc{
		"FR": fromCal(fr.Holidays),
		"DE": fromCal(de.Holidays),
		// gb.Holidays are England's and Wales's bank holidays: the
		// warehouse is in England, and the few days Scotland and
		// Northern Ireland add are not modelled.
		"GB": fromCal(gb.Holidays),
		"CN": chinaHolidays,
	} {
		calendars[countryIndex(country)] = NewCalendar(sat, f)
	}
}

// countryIndex returns the index in calendars of an ISO 3166 alpha-2 code,
// or -1 if country is not two letters. Lower case is read as upper case.
func countryIndex(country string) int {
	if len(country) != 2 {
		return -1
	}
	a, b := country[0]&^0x20, country[1]&^0x20
	if a < 'A' || a > 'Z' || b < 'A' || b > 'Z' {
		return -1
	}
	return int(a-'A')*26 + int(b-'A')
}

// CalendarFor returns the calendar of country (ISO 3166 alpha-2): its
// public holidays for FR, DE, GB (England) and CN, only Saturdays and
// Sundays off for the others.
func CalendarFor(country string) *Calendar {
	if i := countryIndex(country); i >= 0 && calendars[i] != nil {
		return calendars[i]
	}
	return weekendOnly
}

// IsWorkingDay reports whether d is a working day in country.
func IsWorkingDay(country string, d Date) bool { return CalendarFor(country).IsWorkingDay(d) }

// NextWorkingDay returns the first working day after d in country.
func NextWorkingDay(country string, d Date) Date { return CalendarFor(country).NextWorkingDay(d) }

// AddWorkingDays returns the day n working days after d in country.
func AddWorkingDays(country string, d Date, n int) Date {
	return CalendarFor(country).AddWorkingDays(d, n)
}

// fromCal returns the holidays of a github.com/rickar/cal country list: the
// day each falls on and, where it differs, the day it is observed (a
// British bank holiday on a Saturday moves to the Monday).
func fromCal(hs []*cal.Holiday) HolidayFunc {
	return func(year int) ([]Date, []Date) {
		out := make([]Date, 0, 2*len(hs))
		for _, h := range hs {
			actual, observed := h.Calc(year)
			if actual.IsZero() {
				continue // not held that year
			}
			// Calc's times are midnights in cal.DefaultLoc; their own
			// year, month and day are the holiday's.
			out = append(out, NewDate(actual.Date()), NewDate(observed.Date()))
		}
		return out, nil
	}
}

// chinaDaysOff are the mainland's days off from the State Council's
// notices: 国办发明电〔2024〕12号 of 12 November 2024 for 2025, and the notice
// of 4 November 2025 for 2026. For 2027 to 2030, not announced yet, they
// are projections by the rule the 2025 notice sets out: the Spring Festival
// is eight days from New Year's Eve, National Day seven from 1 October (the
// notice merges it with the Mid-Autumn Festival into eight when they meet,
// which a projection cannot know). Replace a projected year when its notice
// is out, with the other holidays and the weekend working days it lists.
var chinaDaysOff = [][2]string{
	// 2025, announced.
	{"2025-01-01", "2025-01-01"}, // New Year's Day
	{"2025-01-28", "2025-02-04"}, // Spring Festival
	{"2025-04-04", "2025-04-06"}, // Qingming
	{"2025-05-01", "2025-05-05"}, // Labour Day
	{"2025-05-31", "2025-06-02"}, // Dragon Boat
	{"2025-10-01", "2025-10-08"}, // National Day and Mid-Autumn
	// 2026, announced.
	{"2026-01-01", "2026-01-03"},
	{"2026-02-15", "2026-02-23"},
	{"2026-04-04", "2026-04-06"},
	{"2026-05-01", "2026-05-05"},
	{"2026-06-19", "2026-06-21"},
	{"2026-09-25", "2026-09-27"}, // Mid-Autumn
	{"2026-10-01", "2026-10-07"},
	// 2027 to 2030, projected: Spring Festival (New Year's Eve first) and
	// National Day only.
	{"2027-02-05", "2027-02-12"}, // New Year 6 February
	{"2027-10-01", "2027-10-07"},
	{"2028-01-25", "2028-02-01"}, // 26 January
	{"2028-10-01", "2028-10-07"},
	{"2029-02-12", "2029-02-19"}, // 13 February
	{"2029-10-01", "2029-10-07"},
	{"2030-02-02", "2030-02-09"}, // 3 February
	{"2030-10-01", "2030-10-07"},
}

// chinaWorkdays are the weekend days the notices make working days.
var chinaWorkdays = []string{
	"2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
	"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
}

func chinaHolidays(year int) (holidays, workdays []Date) {
	for _, r := range chinaDaysOff {
		first, last := mustDate(r[0]), mustDate(r[1])
		if first.Year() != year {
			continue
		}
		for d := first; !d.After(last); d = d.AddDays(1) {
			holidays = append(holidays, d)
		}
	}
	for _, s := range chinaWorkdays {
		if d := mustDate(s); d.Year() == year {
			workdays = append(workdays, d)
		}
	}
	return holidays, workdays
}

func mustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}
