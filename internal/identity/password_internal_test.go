package identity

import (
	"fmt"
	"strings"
	"testing"
)

// TestDummyHashUsesOurParameters keeps the unknown-email check as slow as a
// real one: the constant must carry the parameters hashPassword uses today,
// and must be a hash checkPassword accepts to run.
func TestDummyHashUsesOurParameters(t *testing.T) {
	real, err := hashPassword("x")
	if err != nil {
		t.Fatal(err)
	}
	params := func(h string) string { return strings.Join(strings.Split(h, "$")[:4], "$") }
	if got, want := params(dummyHash), params(real); got != want {
		t.Errorf("dummyHash parameters %s, want %s: regenerate it", got, want)
	}
	if !checkPassword(dummyHash, "sesame-timing-equaliser") {
		t.Error("dummyHash is not a valid hash of its password")
	}
	if want := fmt.Sprintf("m=%d,t=%d,p=%d", argonMemory, argonTime, argonThreads); !strings.Contains(dummyHash, want) {
		t.Errorf("dummyHash %s lacks %s", dummyHash, want)
	}
}

// TestServicesHashWithTheirOwnHasher checks that no hasher is shared behind
// the caller's back: each service counts only its own work.
func TestServicesHashWithTheirOwnHasher(t *testing.T) {
	a, b := NewService(nil), NewService(nil)
	if a.Hasher == nil || a.Hasher == b.Hasher {
		t.Fatalf("NewService hashers: %p and %p, want two distinct ones", a.Hasher, b.Hasher)
	}
	if _, err := NewUser(t.Context(), a.Hasher, "test", Registration{Email: "a@example.com", Name: "A", Password: "correct horse battery"}, Buyer, a.Now()); err != nil {
		t.Fatal(err)
	}
	if a.Hasher.Stats().Done != 1 || b.Hasher.Stats().Done != 0 {
		t.Errorf("done: %d and %d, want 1 and 0", a.Hasher.Stats().Done, b.Hasher.Stats().Done)
	}
}
