package promise

import "strings"

// Lane is a carrier's service from an origin to an area, with its transit
// time: the days between the day a parcel leaves and the day it arrives.
type Lane struct {
	// From is the origin's region ("FR-IDF") or country ("CN"); a lane
	// from the region is preferred to one from the country.
	From string `json:"from"`
	To   Area   `json:"to"`
	// MinDays and MaxDays bound the transit. They count the destination
	// country's working days, or calendar days when CalendarDays is set
	// (long haul, where parcels move on weekends and holidays too, though
	// only a working day delivers).
	MinDays      int  `json:"min_days"`
	MaxDays      int  `json:"max_days"`
	CalendarDays bool `json:"calendar_days,omitempty"`
	// ExtraDays is added to MaxDays: the widening Widen learns from missed
	// promises.
	ExtraDays int    `json:"extra_days,omitempty"`
	Carrier   string `json:"carrier"`
	// Cost is the price of a parcel in Currency's minor units.
	Cost     int64  `json:"cost"`
	Currency string `json:"currency"`
}

// Area is where a lane delivers: a country (ISO 3166 alpha-2), or only its
// postcodes that start with one of Postcodes, less those that start with
// one of Except. Postcodes compare as written: the caller normalises them
// (upper case, no spaces).
type Area struct {
	Country   string   `json:"country"`
	Postcodes []string `json:"postcodes,omitempty"`
	Except    []string `json:"except,omitempty"`
}

// reach is a lane that serves a destination, and how specifically: a
// longer postcode prefix is more specific than a shorter one, any prefix
// more than the whole country.
type reach struct {
	lane, score int
}

// reaching appends to rs the lanes that serve d, in their order. An order's
// destination is one and its origins many: this is the scan of every lane,
// done once; pickLane then looks at the few left for each origin.
func reaching(rs []reach, lanes []Lane, d *Destination) []reach {
	country, postcode := d.Country, d.Postcode
	if country == "" {
		return rs
	}
	first := country[0]
	for i := range lanes {
		to := &lanes[i].To
		// Most lanes go to another country, and are refused on the first
		// letter without a call to compare memory.
		if c := to.Country; len(c) != len(country) || c[0] != first || c != country {
			continue
		}
		if s := to.holds(postcode); s >= 0 {
			rs = append(rs, reach{i, s})
		}
	}
	return rs
}

// holds reports how specifically a holds postcode (of a's country), or -1
// if it does not hold it. The score leaves its lowest bit to pickLane.
func (a *Area) holds(postcode string) int {
	for _, p := range a.Except {
		if strings.HasPrefix(postcode, p) {
			return -1
		}
	}
	if len(a.Postcodes) == 0 {
		return 0
	}
	best := -1
	for _, p := range a.Postcodes {
		if len(p) > best && strings.HasPrefix(postcode, p) {
			best = len(p)
		}
	}
	if best < 0 {
		return -1
	}
	return (best + 1) * 2
}

// pickLane returns the index of the lane among rs that serves an origin in
// country and region, or -1 if none does: the most specific area, then a
// lane from the region over one from the country, then the first listed.
func pickLane(lanes []Lane, rs []reach, country, region string) int {
	best, score := -1, -1
	for _, r := range rs {
		s := r.score
		switch from := lanes[r.lane].From; from {
		case region:
			s++
		case country:
		default:
			continue
		}
		if s > score {
			best, score = r.lane, s
		}
	}
	return best
}

// Widen returns l widened by its measured deliveries: kept on time, missed
// late. Below MinMeasured deliveries nothing is learnt. Below OnTimeTarget
// percent on time, ExtraDays grows by a day for every 3 points (or part of
// 3) under it, to at most MaxDays extra: a lane may double its latest
// day, not more, before an operator looks at it. A lane never narrows: an
// on-time rate above the target leaves it as it is, and only its data
// narrows it.
func Widen(l Lane, kept, missed int) Lane {
	n := kept + missed
	if kept < 0 || missed < 0 || n < MinMeasured {
		return l
	}
	// Points under the target, times n: integers, so 96.99% is not rounded
	// up to the target.
	under := OnTimeTarget*n - 100*kept
	if under <= 0 {
		return l
	}
	steps := (under + 3*n - 1) / (3 * n)
	extra := min(l.ExtraDays+steps, max(l.MaxDays, l.ExtraDays))
	l.ExtraDays = extra
	return l
}

// The thresholds of Widen.
const (
	// MinMeasured is the fewest deliveries Widen learns from.
	MinMeasured = 20
	// OnTimeTarget is the percentage of deliveries on time a lane keeps
	// without widening.
	OnTimeTarget = 97
)

// ileDeFrance are the Ile-de-France départements' postcode prefixes.
var ileDeFrance = []string{"75", "77", "78", "91", "92", "93", "94", "95"}

// FrenchRegion returns the region of a French postcode as origins name
// theirs: "FR-IDF" in Ile-de-France (Paris, 75, and 77, 78, 91 to 95),
// else "FR-" and the département ("FR-13", "FR-2A", "FR-971"), or "" for
// what is not a French postcode.
func FrenchRegion(postcode string) string {
	if len(postcode) != 5 {
		return ""
	}
	for i := 0; i < 5; i++ {
		if postcode[i] < '0' || postcode[i] > '9' {
			return ""
		}
	}
	for _, p := range ileDeFrance {
		if postcode[:2] == p {
			return "FR-IDF"
		}
	}
	switch {
	case postcode[:2] == "20":
		// Corsica's two départements share 20: 200xx and 201xx are
		// Corse-du-Sud.
		if postcode[2] < '2' {
			return "FR-2A"
		}
		return "FR-2B"
	case postcode[:2] == "97" || postcode[:2] == "98":
		return "FR-" + postcode[:3]
	}
	return "FR-" + postcode[:2]
}

// DefaultLanes returns Sesame's lanes: data, not rules, that operators
// replace with their carriers' contracts. Costs are in euro cents. Transit
// days are what the carriers publish for their standard services. France
// is mainland France and Corsica: the overseas départements (97, 98) have
// no lane yet, so no promise, rather than a mainland one.
func DefaultLanes() []Lane {
	const eur = "EUR"
	france := Area{Country: "FR", Except: []string{"97", "98"}}
	area := func(country string) Area {
		if country == "FR" {
			return france
		}
		return Area{Country: country}
	}
	lanes := []Lane{
		// Ile-de-France: next day in Paris and around it.
		{From: "FR-IDF", To: Area{Country: "FR", Postcodes: []string{"75"}}, MinDays: 1, MaxDays: 1, Carrier: "Chronopost", Cost: 690, Currency: eur},
		{From: "FR-IDF", To: Area{Country: "FR", Postcodes: []string{"77", "78", "91", "92", "93", "94", "95"}}, MinDays: 1, MaxDays: 1, Carrier: "Chronopost", Cost: 690, Currency: eur},
		{From: "FR-IDF", To: france, MinDays: 1, MaxDays: 2, Carrier: "Colissimo", Cost: 590, Currency: eur},
		// Marseille-Fos.
		{From: "FR-13", To: france, MinDays: 2, MaxDays: 3, Carrier: "Colissimo", Cost: 590, Currency: eur},
		// Leipzig.
		{From: "DE-SN", To: Area{Country: "DE"}, MinDays: 1, MaxDays: 2, Carrier: "DHL Paket", Cost: 499, Currency: eur},
		// Daventry.
		{From: "GB-ENG", To: Area{Country: "GB"}, MinDays: 1, MaxDays: 2, Carrier: "Royal Mail", Cost: 450, Currency: eur},
	}
	for _, c := range []string{"FR", "AT", "NL", "BE", "PL", "CZ", "DK", "LU", "CH"} {
		lanes = append(lanes, Lane{From: "DE-SN", To: area(c), MinDays: 2, MaxDays: 4, Carrier: "DHL Parcel Europe", Cost: 1290, Currency: eur})
	}
	for _, c := range []string{"IE", "FR", "BE", "NL"} {
		// Customs since 2021: duties paid by the sender, a day longer.
		lanes = append(lanes, Lane{From: "GB-ENG", To: area(c), MinDays: 2, MaxDays: 4, Carrier: "Parcelforce", Cost: 1490, Currency: eur})
	}
	// Shenzhen and Yiwu: postal long haul to France, Germany, Britain and
	// the rest of the European Union, in calendar days.
	for _, from := range []struct {
		region string
		cost   int64
	}{{"CN-GD", 890}, {"CN-ZJ", 850}} {
		for _, c := range []string{"FR", "DE", "GB",
			"AT", "BE", "BG", "CY", "CZ", "DK", "EE", "ES", "FI", "GR", "HR", "HU",
			"IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"} {
			lanes = append(lanes, Lane{From: from.region, To: area(c), MinDays: 7, MaxDays: 15, CalendarDays: true, Carrier: "YunExpress", Cost: from.cost, Currency: eur})
		}
	}
	// France to Chinese buyers: express post in calendar days, customs
	// included; Chinese warehouses to their own country by road.
	for _, c := range []string{"CN", "HK"} {
		lanes = append(lanes, Lane{From: "FR", To: Area{Country: c}, MinDays: 6, MaxDays: 12, CalendarDays: true, Carrier: "Colissimo International", Cost: 2490, Currency: eur})
	}
	for _, from := range []string{"CN-GD", "CN-ZJ"} {
		lanes = append(lanes,
			Lane{From: from, To: Area{Country: "CN"}, MinDays: 2, MaxDays: 4, Carrier: "SF Express", Cost: 150, Currency: eur},
			Lane{From: from, To: Area{Country: "HK"}, MinDays: 3, MaxDays: 5, Carrier: "SF Express", Cost: 350, Currency: eur})
	}
	return lanes
}
