package web_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/sesame-market/sesame/internal/web"
)

var update = flag.Bool("update", false, "rewrite golden files")

// openAPIDocument returns the generated OpenAPI document, indented.
func openAPIDocument(t testing.TB, cfg web.Config) []byte {
	t.Helper()
	ws, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(ws.API().OpenAPI(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// TestOpenAPIGolden keeps the OpenAPI document in testdata/openapi.json, so
// that every change to the contract shows in review. Refresh it with
// go test ./internal/web -run TestOpenAPIGolden -update.
func TestOpenAPIGolden(t *testing.T) {
	got := openAPIDocument(t, web.Config{Version: "test"})
	path := filepath.Join("testdata", "openapi.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the OpenAPI document differs from %s; if the change is meant, run go test ./internal/web -run TestOpenAPIGolden -update", path)
	}
}
