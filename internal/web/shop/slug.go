package shop

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// maxSlugRunes bounds a product URL's readable part.
const maxSlugRunes = 80

// slugOf is the readable part of a product URL in one language: the title
// in lower case, accents dropped, letters and digits of every script kept
// (a Chinese title stays Chinese), everything else one hyphen.
func slugOf(title string) string {
	var b strings.Builder
	n, hyphen := 0, false
	for _, r := range norm.NFD.String(strings.ToLower(title)) {
		switch {
		case unicode.Is(unicode.Mn, r): // a combining accent: dropped
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
			n++
		default:
			hyphen = true
		}
		if n >= maxSlugRunes {
			break
		}
	}
	return norm.NFC.String(b.String())
}

// productPath is the canonical path of product id titled title on a
// channel's storefront in lang: the slug, then the id (which alone
// identifies the product; a changed title still reaches it).
func productPath(channel, lang, title, id string) string {
	s := slugOf(title)
	if s == "" {
		return "/" + channel + "/" + lang + "/p/" + id
	}
	return "/" + channel + "/" + lang + "/p/" + s + "-" + id
}

// idOfSlug returns the product id at the end of a product URL's last
// segment, or "" when there is none.
func idOfSlug(seg string) string {
	i := strings.LastIndex(seg, "prd_")
	if i < 0 {
		return ""
	}
	if i > 0 && seg[i-1] != '-' {
		return ""
	}
	return seg[i:]
}
