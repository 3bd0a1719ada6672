package web_test

import (
	"bytes"
	"cmp"
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

// TestOpenAPIDeclaresItsContract checks what contract checkers and linters
// rely on: problem types are URI references (Sesame sends /problems/...),
// every public operation says it needs no credentials, the document names
// its server, and every operation declares the errors any request can meet.
func TestOpenAPIDeclaresItsContract(t *testing.T) {
	for _, cfg := range []web.Config{{}, {PublicURL: "https://shop.example"}} {
		var doc struct {
			Servers    []struct{ URL string }
			Paths      map[string]map[string]json.RawMessage
			Components struct {
				Schemas map[string]struct {
					Properties map[string]struct{ Format string }
				}
			}
		}
		if err := json.Unmarshal(openAPIDocument(t, cfg), &doc); err != nil {
			t.Fatal(err)
		}
		want := cmp.Or(cfg.PublicURL, "/")
		if len(doc.Servers) != 1 || doc.Servers[0].URL != want {
			t.Errorf("servers = %+v, want %s", doc.Servers, want)
		}
		if f := doc.Components.Schemas["Problem"].Properties["type"].Format; f != "uri-reference" {
			t.Errorf("problem type format = %q, want uri-reference", f)
		}
		public := 0
		for path, item := range doc.Paths {
			for method, raw := range item {
				var op struct {
					OperationID string                 `json:"operationId"`
					Security    *[]map[string][]string `json:"security"`
					Responses   map[string]json.RawMessage
				}
				if err := json.Unmarshal(raw, &op); err != nil {
					continue // not an operation (parameters, summary)
				}
				if op.Security == nil {
					t.Errorf("%s %s declares no security requirement (public ones declare [])", method, path)
				} else if len(*op.Security) == 0 {
					public++
				}
				for _, code := range []string{"401", "429", "500"} {
					if code == "429" && method == "get" {
						continue // reads are not rate limited
					}
					if op.Responses[code] == nil {
						t.Errorf("%s %s does not declare %s", method, path, code)
					}
				}
				if _, ok := op.Responses["default"]; ok {
					t.Errorf("%s %s has a catch-all default response", method, path)
				}
			}
		}
		if public < 5 {
			t.Errorf("only %d public operations", public)
		}
	}
}
