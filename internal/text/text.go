// Package text normalises and checks the text people type into Sesame: names,
// titles, descriptions, addresses. Every domain's normalise-and-validate step
// uses it, so create, patch and bulk import refuse the same things on both
// SQL engines: invalid UTF-8, NUL and other control characters (tab and
// newline only in multi-line fields), and required values made only of
// invisible characters.
package text

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/sesame-market/sesame/internal/errs"
)

// Line checks a one-line value: it must be valid UTF-8 without control
// characters. The result is trimmed and in Unicode normal form C. When
// required is set the value must hold at least one visible character. max
// counts characters (runes) after normalisation; 0 means no limit. Errors:
// Invalid, naming field.
func Line(op, field, s string, max int, required bool) (string, error) {
	return check(op, field, s, max, required, false)
}

// Block checks a multi-line value (a description): like Line, but tabs and
// newlines are allowed and CR LF becomes LF. Errors: Invalid.
func Block(op, field, s string, max int, required bool) (string, error) {
	return check(op, field, strings.ReplaceAll(s, "\r\n", "\n"), max, required, true)
}

// Raw checks a value that is kept exactly as given (a password): valid UTF-8
// and no NUL. Errors: Invalid.
func Raw(op, field, s string) error {
	if !utf8.ValidString(s) {
		return errs.Field(op, field, "is not valid UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return errs.Field(op, field, "must not contain NUL characters")
	}
	return nil
}

func check(op, field, s string, max int, required, multiline bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", errs.Field(op, field, "is not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) {
			if r == 0 {
				return "", errs.Field(op, field, "must not contain NUL characters")
			}
			if multiline {
				return "", errs.Field(op, field, "must not contain control characters other than tab and newline")
			}
			return "", errs.Field(op, field, "must not contain control characters (tabs, newlines)")
		}
	}
	s = strings.TrimSpace(norm.NFC.String(s))
	if required && !Visible(s) {
		return "", errs.Field(op, field, "must contain visible characters")
	}
	if max > 0 && utf8.RuneCountInString(s) > max {
		return "", errs.Field(op, field, "must be at most "+strconv.Itoa(max)+" characters")
	}
	return s, nil
}

// Visible reports whether s holds at least one character that shows: not a
// space, a format character (zero-width space, joiners, direction marks) or a
// variation selector.
func Visible(s string) bool {
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r) || unicode.IsControl(r) ||
			r == '\u3164' || r == '\u115f' || r == '\u1160' || r == '\uffa0' || r == '\u2800' { // Hangul fillers and the blank Braille pattern render empty
			continue
		}
		return true
	}
	return false
}
