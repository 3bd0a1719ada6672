package shop

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

//go:embed locales/*.json
var localeFS embed.FS

// uiLanguages are the languages the storefront's own words are written in.
var uiLanguages = []string{"en", "fr", "zh"}

// uiMatcher picks among uiLanguages, in their order.
var uiMatcher = language.NewMatcher([]language.Tag{language.English, language.French, language.Chinese})

// loadBundle reads every message file, so that a broken one fails at start.
func loadBundle() (*i18n.Bundle, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	files, err := fs.Glob(localeFS, "locales/*.json")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		data, err := localeFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if _, err := b.ParseMessageFileBytes(data, f); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
	}
	return b, nil
}

// Words are the storefront's words in one language, for templates.
type Words struct {
	lang    string
	loc     *i18n.Localizer
	log     *slog.Logger
	regions display.Namer // country names in lang; nil when lang has none
}

func newWords(b *i18n.Bundle, lang string, log *slog.Logger) *Words {
	w := &Words{lang: lang, loc: i18n.NewLocalizer(b, lang, "en"), log: log}
	if tag, err := language.Parse(lang); err == nil {
		w.regions = display.Regions(tag)
	}
	return w
}

// T is the message id in the page's language; args are pairs of a name and
// a value for the message's template.
func (w *Words) T(id string, args ...any) string {
	return w.localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: pairs(args)})
}

// N is the message id for count things, in the plural form the language
// gives count.
func (w *Words) N(id string, count int, args ...any) string {
	data := pairs(args)
	data["Count"] = count
	return w.localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
}

func (w *Words) localize(c *i18n.LocalizeConfig) string {
	s, err := w.loc.Localize(c)
	if err != nil {
		w.log.Error("storefront message", "id", c.MessageID, "lang", w.lang, "err", err)
		return c.MessageID
	}
	return s
}

func pairs(args []any) map[string]any {
	m := make(map[string]any, len(args)/2+1)
	for i := 0; i+1 < len(args); i += 2 {
		k, _ := args[i].(string)
		m[k] = args[i+1]
	}
	return m
}

// List joins items as the page's language writes a list: 中国、香港 in
// Chinese, "France, Belgique" elsewhere.
func (w *Words) List(items []string) string {
	if w.lang == "zh" || strings.HasPrefix(w.lang, "zh-") {
		return strings.Join(items, "、")
	}
	return strings.Join(items, ", ")
}

// Country is a country's name in the page's language ("France", "法国").
func (w *Words) Country(code string) string {
	r, err := language.ParseRegion(code)
	if err != nil || w.regions == nil {
		return code
	}
	if n := w.regions.Name(r); n != "" {
		return n
	}
	return code
}

// LanguageName is a language's name in itself ("français", "中文").
func LanguageName(code string) string {
	tag, err := language.Parse(code)
	if err != nil {
		return code
	}
	n := display.Self.Name(tag)
	if n == "" {
		return code
	}
	r := []rune(n)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}
