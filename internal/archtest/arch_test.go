// Package archtest checks the import rules of docs/architecture.md, as that
// document states them ("Import rules").
package archtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/sesame-market/sesame/"

// domain are the domain packages; foundation the small packages every
// domain may use. Both are paths under the module.
var (
	domain = []string{"internal/identity", "internal/merchant", "internal/channel", "internal/catalog", "internal/inventory", "internal/search", "internal/share", "internal/promise",
		"internal/order", "internal/pricing", "internal/payment", "internal/notify", "internal/media"}
	foundation = []string{"internal/money", "internal/errs", "internal/text", "internal/ids", "internal/events", "internal/timers"}
	// edges are the packages of storage, transport and the bus: only the
	// packages in edgeUsers (and tests) import them.
	edges     = []string{"internal/web", "internal/sqlstore", "internal/natsbus"}
	edgeUsers = []string{"cmd/sesame", "internal/testkit"}
	// libraries are the only packages outside the standard library and the
	// module that a domain or foundation package may import, each with the
	// packages allowed to and the reason.
	libraries = map[string]struct {
		users  []string
		reason string
	}{
		"golang.org/x/crypto/argon2":              {[]string{"internal/identity"}, "password hashing (argon2id)"},
		"golang.org/x/text/language":              {[]string{"internal/channel", "internal/catalog", "internal/money"}, "BCP 47 language tags and matching (money: the locale of a formatter)"},
		"golang.org/x/text/unicode/norm":          {[]string{"internal/text", "internal/search"}, "Unicode normalisation of typed text; accents folded for search"},
		"github.com/bojanz/currency":              {[]string{"internal/money", "internal/search"}, "ISO 4217 currencies, CLDR formatting and rounding (search: a currency's minor digits for price ranges)"},
		"github.com/google/uuid":                  {[]string{"internal/ids"}, "UUIDv7 ids"},
		"github.com/hashicorp/golang-lru/v2":      {[]string{"internal/money", "internal/search", "internal/inventory"}, "the bounded caches of currency formatters per locale, of typo corrections and of the availability buyers read"},
		"github.com/RoaringBitmap/roaring/v2":     {[]string{"internal/search"}, "compressed bitmaps: the search index's postings and facets"},
		"github.com/kljensen/snowball/french":     {[]string{"internal/search"}, "the Snowball stemmer of French"},
		"github.com/kljensen/snowball/english":    {[]string{"internal/search"}, "the Snowball stemmer of English"},
		"github.com/agnivade/levenshtein":         {[]string{"internal/search"}, "edit distance, for typo tolerance"},
		"github.com/rickar/cal/v2":                {[]string{"internal/promise"}, "public holidays of the warehouses' and buyers' countries"},
		"github.com/rickar/cal/v2/fr":             {[]string{"internal/promise"}, "French public holidays"},
		"github.com/rickar/cal/v2/de":             {[]string{"internal/promise"}, "German public holidays"},
		"github.com/rickar/cal/v2/gb":             {[]string{"internal/promise"}, "British public holidays"},
		"github.com/emersion/go-smtp":             {[]string{"internal/notify"}, "the SMTP client that hands Sesame's e-mails to the mail relay"},
		"github.com/emersion/go-sasl":             {[]string{"internal/notify"}, "PLAIN authentication to the mail relay"},
		"github.com/stripe/stripe-go/v82":         {[]string{"internal/payment"}, "Stripe's PaymentIntents and refunds"},
		"github.com/stripe/stripe-go/v82/webhook": {[]string{"internal/payment"}, "Stripe's webhook signatures, verified with their timestamp tolerance"},
		"github.com/Boostport/address":            {[]string{"internal/order"}, "shipping addresses checked by each country's format and postcode pattern (Google's address data)"},
	}
	// banned are package names that say nothing about what they hold.
	banned = []string{"util", "utils", "common", "helpers", "misc", "http", "context"}
)

// under reports whether package path p (relative to the module) is pkg or
// inside it.
func under(p, pkg string) bool { return p == pkg || strings.HasPrefix(p, pkg+"/") }

func underAny(p string, pkgs []string) bool {
	return slices.ContainsFunc(pkgs, func(pkg string) bool { return under(p, pkg) })
}

// importRule returns what is wrong with package pkg importing imp (an
// import path), or "" if the rules allow it. Both pkg and, for the module's
// own packages, imp are relative to the module.
func importRule(pkg, imp string) string {
	own, isOwn := strings.CutPrefix(imp, module)
	stdlib := !isOwn && !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".")
	if isOwn && underAny(own, edges) && !underAny(pkg, edgeUsers) {
		for _, e := range edges {
			if under(own, e) && under(pkg, e) {
				return "" // inside one edge (web/api importing web)
			}
		}
		return "only cmd/sesame, internal/testkit and tests import web, sqlstore and natsbus"
	}
	isDomain, isFoundation := underAny(pkg, domain), underAny(pkg, foundation)
	if !isDomain && !isFoundation || stdlib {
		return ""
	}
	if isOwn {
		switch {
		case underAny(own, foundation):
			return ""
		case isDomain && underAny(own, domain):
			return ""
		case isFoundation && underAny(own, domain):
			return "a foundation package imports no domain package"
		}
		return "a domain or foundation package imports only the standard library, money, errs, text, ids, events, timers and the domain packages"
	}
	if lib, ok := libraries[imp]; ok && slices.Contains(lib.users, pkg) {
		return ""
	}
	return "a library a domain or foundation package imports is listed in archtest's libraries with its reason"
}

// TestImportRules checks every non-test Go file of the module.
func TestImportRules(t *testing.T) {
	root := filepath.Join("..", "..")
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		pkg := filepath.ToSlash(filepath.Dir(rel))
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, name := range []string{filepath.Base(pkg), f.Name.Name} {
			if slices.Contains(banned, name) {
				t.Errorf("%s: package name %q is not allowed", rel, name)
			}
		}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if why := importRule(pkg, p); why != "" {
				t.Errorf("%s imports %s: %s", rel, p, why)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 40 {
		t.Fatalf("checked only %d files", checked)
	}
}

// TestImportRuleCases pins what importRule allows and refuses, so that the
// walk above cannot pass by checking nothing.
func TestImportRuleCases(t *testing.T) {
	for _, c := range []struct {
		pkg, imp string
		ok       bool
	}{
		{"internal/catalog", "strings", true},
		{"internal/catalog", module + "internal/channel", true},
		{"internal/catalog", module + "internal/money", true},
		{"internal/catalog", "golang.org/x/text/language", true},
		{"internal/catalog", module + "internal/sqlstore", false},
		{"internal/catalog", module + "internal/web/api", false},
		{"internal/catalog", module + "internal/demo", false},
		{"internal/catalog", "github.com/jackc/pgx/v5", false},
		{"internal/merchant", "golang.org/x/crypto/argon2", false},
		{"internal/identity", "golang.org/x/crypto/argon2", true},
		{"internal/events", module + "internal/ids", true},
		{"internal/events", module + "internal/catalog", false},
		{"internal/money", module + "internal/natsbus", false},
		{"internal/demo", module + "internal/sqlstore", false},
		{"internal/demo", module + "internal/catalog", true},
		{"internal/web/api", module + "internal/web", true},
		{"internal/web", module + "internal/sqlstore", false},
		{"internal/sqlstore", module + "internal/natsbus", false},
		{"internal/testkit", module + "internal/sqlstore", true},
		{"cmd/sesame", module + "internal/natsbus", true},
		{"scripts/loginflood", "github.com/anything/else", true},
	} {
		if why := importRule(c.pkg, c.imp); (why == "") != c.ok {
			t.Errorf("%s importing %s: allowed %v, want %v (%s)", c.pkg, c.imp, why == "", c.ok, why)
		}
	}
}
