package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/french"
	"golang.org/x/text/unicode/norm"
)

// Analysis turns a text into the terms the index holds and a query looks
// up, the same way on both sides:
//
//   - Latin words are lower-cased and their accents folded ("Été" and "ete"
//     are one word), French elisions are dropped ("d'olive" is "olive"), a
//     short list of articles and prepositions is skipped, and French and
//     English words are stemmed with the Snowball stemmers ("coques" and
//     "coque" are one term), after folding, so that a buyer who types no
//     accents finds what was written with them;
//   - Chinese (any run of Han characters) is cut into overlapping pairs of
//     characters (手机壳 is 手机 and 机壳), and each character on its own is
//     indexed too, so that a one-character query finds its products: words
//     in Chinese are not separated by spaces, and pairs find them with no
//     dictionary to keep up to date;
//   - digits are words of their own ("iPhone 16" is "iphone" and "16").

// A word is one token of a text before stemming: folded, lower-cased.
type word struct {
	text string
	han  bool // a run of Han characters
}

// stopWords are skipped in every language: articles, prepositions and
// conjunctions that say nothing of a product. The Snowball lists are longer
// and hold words that name products ("été" is summer in "robe d'été").
var stopWords = map[string]bool{
	// French
	"le": true, "la": true, "les": true, "l": true, "de": true, "du": true, "des": true, "d": true,
	"un": true, "une": true, "et": true, "en": true, "a": true, "au": true, "aux": true, "pour": true,
	"avec": true, "sans": true, "sur": true, "par": true, "ou": true, "qu": true,
	// English
	"the": true, "an": true, "and": true, "of": true, "for": true, "with": true, "in": true,
	"to": true, "by": true, "or": true,
}

// elisions are the French words written before an apostrophe and a vowel.
var elisions = map[string]bool{"l": true, "d": true, "j": true, "m": true, "n": true, "s": true, "t": true, "c": true, "qu": true, "jusqu": true, "lorsqu": true, "puisqu": true}

// ligatures are the letters that canonical decomposition leaves whole.
var ligatures = map[rune]string{'œ': "oe", 'æ': "ae", 'ß': "ss", 'ø': "o", 'ł': "l", 'đ': "d", 'ð': "d", 'þ': "th", 'ı': "i"}

// words splits s into folded words, appending to dst.
func words(s string, dst []word) []word {
	var b strings.Builder
	inHan := false
	flush := func() {
		if b.Len() > 0 {
			dst = append(dst, word{text: b.String(), han: inHan})
			b.Reset()
		}
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r < utf8.RuneSelf:
			switch {
			case 'a' <= r && r <= 'z' || '0' <= r && r <= '9':
			case 'A' <= r && r <= 'Z':
				r += 'a' - 'A'
			case r == '\'':
				// An elision ("d'olive") drops what came before; another
				// apostrophe ("rock'n'roll") splits the word.
				if !inHan && elisions[b.String()] {
					b.Reset()
				}
				flush()
				continue
			default:
				flush()
				continue
			}
			if inHan {
				flush()
				inHan = false
			}
			b.WriteRune(r)
		case r == '’' || r == 'ʼ':
			if !inHan && elisions[b.String()] {
				b.Reset()
			}
			flush()
		case unicode.Is(unicode.Han, r):
			if !inHan {
				flush()
				inHan = true
			}
			b.WriteRune(r)
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			if inHan {
				flush()
				inHan = false
			}
			fold(&b, r)
		default:
			flush()
		}
	}
	flush()
	return dst
}

// fold writes r lower-cased and without its accents.
func fold(b *strings.Builder, r rune) {
	r = unicode.ToLower(r)
	if l, ok := ligatures[r]; ok {
		b.WriteString(l)
		return
	}
	if unicode.Is(unicode.Mn, r) {
		return
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	for _, d := range norm.NFD.String(string(buf[:n])) {
		if !unicode.Is(unicode.Mn, d) {
			b.WriteRune(d)
		}
	}
}

// stem returns the term of a Latin word in lang.
func stem(lang, w string) string {
	if len(w) <= 3 || isDigits(w) {
		return w
	}
	switch lang {
	case "fr":
		return french.Stem(w, true)
	case "en":
		return english.Stem(w, true)
	}
	return w
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// maxHan is the longest run of Han characters cut into terms: a longer run
// is a pasted text, not a product's name.
const maxHan = 64

// indexTerms appends to dst the terms under which text is found in lang.
func indexTerms(lang, text string, dst []string) []string {
	var ws [16]word
	for _, w := range words(text, ws[:0]) {
		if w.han {
			dst = hanTerms(w.text, dst, true)
			continue
		}
		if stopWords[w.text] {
			continue
		}
		dst = append(dst, stem(lang, w.text))
	}
	return dst
}

// hanTerms appends the pairs of a Han run and, with singles, each character.
func hanTerms(run string, dst []string, singles bool) []string {
	rs := []rune(run)
	if len(rs) > maxHan {
		rs = rs[:maxHan]
	}
	for i := range rs {
		if singles || len(rs) == 1 {
			dst = append(dst, string(rs[i]))
		}
		if i+1 < len(rs) {
			dst = append(dst, string(rs[i:i+2]))
		}
	}
	return dst
}

// A queryTerm is one term a result must hold, with the word it came from
// (for typo tolerance: a typo is judged on the word, not its stem).
type queryTerm struct {
	term string
	word string // the folded word; empty for Han pairs and digits
}

// maxQueryTerms bounds the terms of one query; the rest are ignored.
const maxQueryTerms = 10

// queryTerms returns the terms a result of q in lang must all hold, each
// once, at most maxQueryTerms.
func queryTerms(lang, q string) []queryTerm {
	var out []queryTerm
	seen := map[string]bool{}
	add := func(t queryTerm) {
		if !seen[t.term] && len(out) < maxQueryTerms {
			seen[t.term] = true
			out = append(out, t)
		}
	}
	for _, w := range words(q, nil) {
		if w.han {
			// Pairs only: a run's characters are all in its pairs.
			for _, t := range hanTerms(w.text, nil, false) {
				add(queryTerm{term: t})
			}
			continue
		}
		if stopWords[w.text] {
			continue
		}
		t := queryTerm{term: stem(lang, w.text)}
		if !isDigits(w.text) {
			t.word = w.text
		}
		add(t)
	}
	return out
}
