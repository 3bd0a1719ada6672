package main

import (
	"io"
	"math"
	"runtime/debug"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/identity"
)

// TestHashingAndSweepSettings reads --hash-memory and --session-sweep from
// flags and variables, refuses nonsense, and sizes the hasher from memory:
// 128 MiB gives 6 hashes at once (given the CPUs), and a GOMEMLIMIT caps the budget at a
// quarter of it.
func TestHashingAndSweepSettings(t *testing.T) {
	none := func(string) string { return "" }
	c, err := parseConfig("serve", nil, none, io.Discard)
	if err != nil || c.HashMemoryMiB != 128 || c.SessionSweep != 10*time.Minute {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	env := map[string]string{"SESAME_HASH_MEMORY": "40", "SESAME_SESSION_SWEEP": "30s"}
	c, err = parseConfig("serve", nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil || c.HashMemoryMiB != 40 || c.SessionSweep != 30*time.Second {
		t.Fatalf("variables: %+v %v", c, err)
	}
	c, err = parseConfig("serve", []string{"--hash-memory", "19", "--session-sweep", "1m"}, none, io.Discard)
	if err != nil || c.HashMemoryMiB != 19 || c.SessionSweep != time.Minute {
		t.Fatalf("flags: %+v %v", c, err)
	}
	for _, args := range [][]string{{"--hash-memory", "0"}, {"--session-sweep", "1ms"}, {"--session-sweep", "soon"}} {
		if _, err := parseConfig("serve", args, none, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	if n := identity.HashSlots(hashBudget(128), 64); n != 6 {
		t.Errorf("128 MiB: %d hashes at once, want 6", n)
	}
	if n := identity.HashSlots(hashBudget(128), 2); n != 2 {
		t.Errorf("2 CPUs: %d hashes at once, want 2", n)
	}
	if n := identity.HashSlots(hashBudget(1), 64); n != 1 {
		t.Errorf("1 MiB: %d hashes at once, want at least 1", n)
	}
	old := debug.SetMemoryLimit(200 << 20)
	defer debug.SetMemoryLimit(old)
	if n := identity.HashSlots(hashBudget(128), 64); n != 2 {
		t.Errorf("with a 200 MiB memory limit: %d hashes at once, want 2 (50 MiB)", n)
	}
	debug.SetMemoryLimit(math.MaxInt64)
	if n := identity.HashSlots(hashBudget(128), 64); n != 6 {
		t.Errorf("without a memory limit: %d", n)
	}
}
