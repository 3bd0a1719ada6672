package archtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryDependencyIsDocumented checks that each direct requirement of
// go.mod has its reason in docs/dependencies.md.
func TestEveryDependencyIsDocumented(t *testing.T) {
	root := filepath.Join("..", "..")
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "dependencies.md"))
	if err != nil {
		t.Fatal(err)
	}
	direct := 0
	inBlock := false
	for _, line := range strings.Split(string(mod), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "require (":
			inBlock = true
			continue
		case line == ")":
			inBlock = false
			continue
		case strings.HasPrefix(line, "require "):
			line = strings.TrimPrefix(line, "require ")
		case !inBlock:
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 || strings.Contains(line, "// indirect") {
			continue
		}
		direct++
		if !strings.Contains(string(doc), "`"+f[0]+"`") {
			t.Errorf("%s is required by go.mod but has no row in docs/dependencies.md", f[0])
		}
	}
	if direct < 5 {
		t.Fatalf("found %d direct requirements; the parse missed them", direct)
	}
}
