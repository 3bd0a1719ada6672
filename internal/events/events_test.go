package events_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/ids"
)

// shopOpened stands for a typed payload: what a consumer decodes.
type shopOpened struct {
	ID         string    `json:"id"`
	MerchantID string    `json:"merchant_id"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
}

func TestNew(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	at := time.Date(2026, 11, 11, 1, 0, 0, 0, paris)
	in := shopOpened{ID: "shp_1", MerchantID: "mer_1", Name: "Maison « Lumière » & fils", CreatedAt: at.UTC()}
	e := events.New(events.ShopOpened, "shp_1", "mer_1", at, in)
	if !ids.Valid(ids.Event, e.ID) {
		t.Errorf("id %q is not an event id", e.ID)
	}
	if e.Type != events.ShopOpened || e.AggregateID != "shp_1" || e.Tenant != "mer_1" {
		t.Errorf("event %+v", e)
	}
	if e.At.Location() != time.UTC || !e.At.Equal(at) {
		t.Errorf("at %v, want %v in UTC", e.At, at)
	}
	if got, want := e.Subject(), "sesame.merchant.shop.opened"; got != want {
		t.Errorf("subject %q, want %q", got, want)
	}
	// The payload decodes back into its type, field for field.
	var out shopOpened
	if err := json.Unmarshal(e.Payload, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(out, in); diff != "" {
		t.Errorf("payload round trip (-got +want):\n%s", diff)
	}
	// An event survives its own JSON form (the outbox row and the bus message).
	raw, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var back events.Event
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(back, e); diff != "" {
		t.Errorf("event round trip (-got +want):\n%s", diff)
	}
	if other := events.New(events.ShopOpened, "shp_1", "mer_1", at, in); other.ID == e.ID {
		t.Error("two events share an id: the bus would drop the second as a duplicate")
	}
}

func TestNewPayloads(t *testing.T) {
	for _, c := range []struct {
		name    string
		payload any
		want    string
	}{
		{"nil", nil, `null`},
		{"map", map[string]string{"status": "approved", "reason": ""}, `{"reason":"","status":"approved"}`},
		{"markup escaped as encoding/json does", map[string]string{"name": "<b>"}, `{"name":"\u003cb\u003e"}`},
		{"slice", []string{"prd_1", "prd_2"}, `["prd_1","prd_2"]`},
	} {
		e := events.New(events.PavilionChanged, "pav_1", "", time.Unix(0, 0), c.payload)
		if got := string(e.Payload); got != c.want {
			t.Errorf("%s: payload %s, want %s", c.name, got, c.want)
		}
	}
}

func TestNewPanicsOnAPayloadThatIsNotJSON(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "events.New: ") {
			t.Errorf("recovered %v, want an events.New panic", r)
		}
	}()
	events.New(events.ShopOpened, "shp_1", "", time.Now(), map[string]any{"ch": make(chan int)})
}

// TestEventTypesAreDistinct checks that no two declared event types share a
// name (a consumer filtering on one would get the other) and that each is a
// subject token sequence a NATS filter can name. String constants of the
// package that are not event types (SubjectPrefix) are skipped by name.
func TestEventTypesAreDistinct(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	var decls []ast.Decl
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		decls = append(decls, f.Decls...)
	}
	seen := map[string]string{}
	for _, d := range decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING || n.Name == "SubjectPrefix" {
					continue
				}
				v, _ := strconv.Unquote(lit.Value)
				if prev, dup := seen[v]; dup {
					t.Errorf("%s and %s are both %q", prev, n.Name, v)
				}
				seen[v] = n.Name
				if strings.ContainsAny(v, " *>") || strings.Contains(v, "..") || strings.HasPrefix(v, ".") || strings.HasSuffix(v, ".") {
					t.Errorf("%s = %q is not a plain subject", n.Name, v)
				}
			}
		}
	}
	if len(seen) < 10 {
		t.Fatalf("found %d event types; the parse missed them", len(seen))
	}
}
