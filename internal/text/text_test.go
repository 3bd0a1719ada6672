package text_test

import (
	"testing"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/text"
)

func TestLineAndBlock(t *testing.T) {
	for _, c := range []struct {
		name      string
		in        string
		multiline bool
		required  bool
		max       int
		want      string
		bad       bool
	}{
		{name: "plain", in: "  Coque iPhone  ", required: true, want: "Coque iPhone"},
		{name: "NUL", in: "a\x00b", bad: true},
		{name: "NUL in block", in: "a\x00b", multiline: true, bad: true},
		{name: "invalid UTF-8", in: "caf\xe9", bad: true},
		{name: "newline in line", in: "a\nb", bad: true},
		{name: "tab in line", in: "a\tb", bad: true},
		{name: "newline in block", in: "a\r\nb\tc", multiline: true, want: "a\nb\tc"},
		{name: "bell in block", in: "a\x07b", multiline: true, bad: true},
		{name: "DEL", in: "a\x7fb", bad: true},
		{name: "C1 control", in: "a\u0085b", bad: true},
		{name: "invisible only", in: "\u200b\u200d\ufe0f \u3164", required: true, bad: true},
		{name: "invisible allowed when optional", in: "\u200b", want: "\u200b"},
		{name: "Chinese", in: "手机壳", required: true, max: 3, want: "手机壳"},
		{name: "too long in runes", in: "手机壳", max: 2, bad: true},
		{name: "NFC", in: "cafe\u0301", want: "café", max: 4},
		{name: "empty required", in: "   ", required: true, bad: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := text.Line
			if c.multiline {
				f = text.Block
			}
			got, err := f("test", "title", c.in, c.max, c.required)
			if c.bad {
				if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "title" {
					t.Fatalf("got %q, %v; want an Invalid error on title", got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestRaw(t *testing.T) {
	if err := text.Raw("test", "password", "p\x00ss"); !errs.Is(err, errs.Invalid) {
		t.Fatalf("NUL: %v", err)
	}
	if err := text.Raw("test", "password", "\xff\xfe"); !errs.Is(err, errs.Invalid) {
		t.Fatalf("invalid UTF-8: %v", err)
	}
	if err := text.Raw("test", "password", " tabs\tand spaces kept "); err != nil {
		t.Fatal(err)
	}
}
