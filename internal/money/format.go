package money

import (
	"fmt"

	"github.com/bojanz/currency"
	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/text/language"
)

// Formatters formats amounts per locale with bojanz/currency's CLDR
// formatters, keeping one formatter per matched locale in a bounded LRU.
// The requested language is first reduced to a well-formed, known locale
// (MatchLocale), so a client sending a new ?lang= on every request neither
// adds an entry per string nor grows memory: garbage becomes "en", and the
// LRU caps what valid tags remain. It is safe for concurrent use.
//
// There is no package-level default: whoever renders prices receives a
// *Formatters (catalog.Service.Formatters, built once in cmd/sesame), so the
// cache's size and lifetime are the caller's.
type Formatters struct {
	cache *lru.Cache[string, *currency.Formatter]
	// texts holds recent results: catalogues repeat the same prices across
	// variants and products, and bojanz/currency builds a string replacer
	// on every call, which makes formatting the costliest step of writing a
	// product's pre-rendered view.
	texts *lru.Cache[formatted, string]
}

// formatted is the key of a formatting result.
type formatted struct {
	minor          int64
	currency, lang string
}

// formattedTexts bounds the results kept (each well under 100 bytes).
const formattedTexts = 1 << 16

// DefaultFormattersSize is the number of locales a Formatters built with
// size 0 keeps: a storefront serves a handful of languages.
const DefaultFormattersSize = 64

// NewFormatters returns a Formatters keeping at most size locales
// (DefaultFormattersSize when size <= 0).
func NewFormatters(size int) *Formatters {
	if size <= 0 {
		size = DefaultFormattersSize
	}
	c, err := lru.New[string, *currency.Formatter](size)
	if err != nil { // only for a size <= 0, excluded above
		panic(err)
	}
	t, err := lru.New[formatted, string](formattedTexts)
	if err != nil {
		panic(err)
	}
	return &Formatters{cache: c, texts: t}
}

// Len returns the number of locales held (0 for a nil *Formatters).
func (fs *Formatters) Len() int {
	if fs == nil {
		return 0
	}
	return fs.cache.Len()
}

// Format renders a for a reader of lang (a BCP 47 tag such as "fr", "zh-CN"),
// e.g. "12,50 €". An amount with an unknown currency is rendered plainly as
// its minor units and code rather than failing a page. A nil *Formatters
// formats the same text without a cache (slower: a formatter per call), so
// that a zero-value service still renders.
func (fs *Formatters) Format(a Amount, lang string) string {
	amt, err := currency.NewAmountFromInt64(a.Minor, a.Currency)
	if err != nil {
		return fmt.Sprintf("%d %s", a.Minor, a.Currency)
	}
	if fs == nil {
		return currency.NewFormatter(currency.NewLocale(MatchLocale(lang))).Format(amt)
	}
	key := formatted{a.Minor, a.Currency, lang}
	if s, ok := fs.texts.Get(key); ok {
		return s
	}
	s := fs.format(amt, lang)
	fs.texts.Add(key, s)
	return s
}

func (fs *Formatters) format(amt currency.Amount, lang string) string {
	// Keys are matched locales, which match to themselves: a lang already in
	// that form (a channel's language) is found without parsing it, and any
	// other is matched first, so only matched locales are ever added.
	f, ok := fs.cache.Get(lang)
	if ok {
		return f.Format(amt)
	}
	loc := MatchLocale(lang)
	f, ok = fs.cache.Get(loc)
	if !ok {
		// Two requests may build the same formatter at once; either is
		// right and building one is cheap, so no lock is held across it.
		f = currency.NewFormatter(currency.NewLocale(loc))
		fs.cache.Add(loc, f)
	}
	return f.Format(amt)
}

// MatchLocale reduces a requested language to the locale formatting uses:
// the canonical language, script and region of a well-formed BCP 47 tag with
// known subtags, without extensions, variants or private-use subtags
// ("fr-ch-u-nu-latn" -> "fr-CH", "iw" -> "he"); "en" for anything else
// (empty, malformed, unknown, undetermined or private-use language). bojanz/currency then falls back along CLDR's parents
// ("fr-CH" uses fr-CH data, "fr-SN" uses fr).
func MatchLocale(lang string) string {
	if len(lang) > 64 { // no real tag is this long; do not parse one
		return "en"
	}
	tag, err := language.Parse(lang)
	if err != nil {
		return "en"
	}
	base, script, region := tag.Raw()
	// Private-use subtags are valid BCP 47 but mean nothing to CLDR, and
	// there are thousands of them.
	if base.String() == "und" || base.IsPrivateUse() {
		return "en"
	}
	id := base.String()
	if s := script.String(); s != "Zzzz" && !script.IsPrivateUse() {
		id += "-" + s
	}
	if r := region.String(); r != "ZZ" && !region.IsPrivateUse() {
		id += "-" + r
	}
	return id
}
