// Package archtest checks the import rules of docs/architecture.md.
package archtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/sesame-market/sesame/"

// TestImportRules: domain packages never import storage, transport or the
// bus (only cmd/sesame and tests wire those), and no package has a
// grab-bag name.
func TestImportRules(t *testing.T) {
	edges := []string{module + "internal/web", module + "internal/sqlstore", module + "internal/natsbus"}
	banned := map[string]bool{"util": true, "utils": true, "common": true, "helpers": true, "http": true, "context": true, "misc": true}
	root := filepath.Join("..", "..")
	checked := 0
	err := filepath.WalkDir(filepath.Join(root, "internal"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		pkgDir := filepath.ToSlash(filepath.Dir(rel))
		if banned[filepath.Base(pkgDir)] {
			t.Errorf("%s: package name %q is not allowed", pkgDir, filepath.Base(pkgDir))
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		self := module + pkgDir
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			for _, e := range edges {
				if (p == e || strings.HasPrefix(p, e+"/")) && !strings.HasPrefix(self, e) && pkgDir != "internal/testkit" {
					t.Errorf("%s imports %s: only cmd/sesame and tests may", rel, p)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked only %d files", checked)
	}
}
