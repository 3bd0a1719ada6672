package api

import (
	"encoding/json"
	"testing"
)

// TestAppendJSONString: strings are written as encoding/json writes them,
// the plain ones without the encoder.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "A-1", "in_stock", "a.b_c-9", `say "hi"`, `back\slash`, "<b>&", "tab\there", "café", "\u2028", "\x7f"} {
		want, _ := json.Marshal(s)
		if got := appendJSONString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Errorf("%q: %s, want x%s", s, got, want)
		}
	}
}
