// Package promise computes delivery promises: the day an order leaves a
// warehouse, the earliest and latest days it reaches the buyer, and which
// warehouses send an order. It is pure: the caller loads warehouses, lanes
// and stock and passes them in, with the time.
package promise

import (
	"errors"
	"fmt"
	"time"
)

// Date is a civil date, a day in no time zone: a promise says "Tuesday 14
// July", not an instant. It counts days, so adding days is an addition;
// its zero value is 1 January of year 1, like time.Time's. Dates compare
// with ==.
type Date struct {
	n int32 // days since 0001-01-01
}

// unixEpoch is 1970-01-01 counted from 0001-01-01.
const unixEpoch = 719162

// NewDate returns the date of year, month and day, normalised as time.Date
// normalises: 31 June is 1 July.
func NewDate(year int, month time.Month, day int) Date {
	// Months outside 1..12 carry into the year; days outside the month are
	// added to its first day.
	m := int(month) - 1
	year += floorDiv(m, 12)
	m -= floorDiv(m, 12) * 12
	return Date{int32(daysFromCivil(year, m+1, 1) + unixEpoch + day - 1)}
}

// DateOf returns the date t falls on in loc, or in t's own location when
// loc is nil.
func DateOf(t time.Time, loc *time.Location) Date {
	d, _ := localDay(t, loc)
	return d
}

// localDay returns the date t falls on in loc and the seconds since that
// day's midnight on the wall clock. It reads the zone offset once instead
// of calling t.Date and t.Clock, which each redo the conversion.
func localDay(t time.Time, loc *time.Location) (Date, int) {
	if loc != nil {
		t = t.In(loc)
	}
	_, off := t.Zone()
	s := t.Unix() + int64(off)
	days := s / 86400
	if s%86400 < 0 {
		days--
	}
	return Date{int32(days + unixEpoch)}, int(s - days*86400)
}

// AddDays returns d plus n days (n may be negative).
func (d Date) AddDays(n int) Date { return Date{d.n + int32(n)} }

// Sub returns the number of days from u to d.
func (d Date) Sub(u Date) int { return int(d.n - u.n) }

// Weekday returns the day of the week d falls on.
func (d Date) Weekday() time.Weekday {
	// 0001-01-01 was a Monday.
	return time.Weekday((int(d.n)%7 + 8) % 7)
}

// Year returns d's year.
func (d Date) Year() int { y, _, _ := d.civil(); return y }

// Month returns d's month.
func (d Date) Month() time.Month { _, m, _ := d.civil(); return m }

// Day returns d's day of the month.
func (d Date) Day() int { _, _, day := d.civil(); return day }

// Compare returns -1 if d is before u, 0 if they are the same day, +1 if d
// is after u.
func (d Date) Compare(u Date) int {
	switch {
	case d.n < u.n:
		return -1
	case d.n > u.n:
		return 1
	}
	return 0
}

// Before reports whether d is before u.
func (d Date) Before(u Date) bool { return d.n < u.n }

// After reports whether d is after u.
func (d Date) After(u Date) bool { return d.n > u.n }

// Equal reports whether d and u are the same day. It is ==; go-cmp uses it,
// as it cannot read the unexported count.
func (d Date) Equal(u Date) bool { return d.n == u.n }

// IsZero reports whether d is the zero date, 0001-01-01.
func (d Date) IsZero() bool { return d.n == 0 }

// String returns d as "2026-07-14".
func (d Date) String() string {
	y, m, day := d.civil()
	if y < 0 || y > 9999 {
		return fmt.Sprintf("%d-%02d-%02d", y, m, day)
	}
	var b [10]byte
	return string(appendISO(b[:0], y, m, day))
}

func appendISO(b []byte, y int, m time.Month, day int) []byte {
	return append(b,
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-',
		byte('0'+day/10), byte('0'+day%10))
}

// MarshalText returns d as "2026-07-14", so JSON shows dates as strings.
// Years outside 0000 to 9999 have no such form and are an error.
func (d Date) MarshalText() ([]byte, error) {
	y, m, day := d.civil()
	if y < 0 || y > 9999 {
		return nil, fmt.Errorf("promise: date %s: year outside 0000 to 9999", d)
	}
	return appendISO(make([]byte, 0, 10), y, m, day), nil
}

// UnmarshalText reads a date written "2026-07-14".
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

var errDateForm = errors.New("want YYYY-MM-DD")

// ParseDate reads a date written "2026-07-14". It refuses days the month
// does not have, such as 2026-02-29.
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, fmt.Errorf("promise: date %q: %w", s, errDateForm)
	}
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	y, m, day := num(s[:4]), num(s[5:7]), num(s[8:])
	if y < 0 || m < 1 || m > 12 || day < 1 {
		return Date{}, fmt.Errorf("promise: date %q: %w", s, errDateForm)
	}
	d := NewDate(y, time.Month(m), day)
	if d.Day() != day {
		return Date{}, fmt.Errorf("promise: date %q: %s has no day %d", s, time.Month(m), day)
	}
	return d, nil
}

// civil returns d's year, month and day. It is Howard Hinnant's
// civil_from_days (https://howardhinnant.github.io/date_algorithms.html):
// integer arithmetic, 7 ns where time's AddDate and Date take 20. Promises
// seldom need it: AddDays and Weekday work on the count alone (2 ns).
func (d Date) civil() (int, time.Month, int) {
	z := int(d.n) - unixEpoch + 719468 // days since 0000-03-01
	era := floorDiv(z, 146097)
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365], from 1 March
	mp := (5*doy + 2) / 153                                // [0, 11], March is 0
	day := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	y := yoe + era*400
	if m <= 2 {
		y++
	}
	return y, time.Month(m), day
}

// daysFromCivil returns the days from 1970-01-01 to year-m-day, for m in
// 1..12: Hinnant's days_from_civil.
func daysFromCivil(year, m, day int) int {
	if m <= 2 {
		year--
	}
	era := floorDiv(year, 400)
	yoe := year - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + day - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
