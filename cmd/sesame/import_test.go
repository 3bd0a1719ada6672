package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/feed"
	"github.com/sesame-market/sesame/internal/feed/feedtest"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestImportCommand runs `sesame import` on a data folder's SQLite store: a
// CSV feed with two bad lines imports the others, writes the two to the
// error report beside the feed and fails; the feed, corrected and imported
// again, adds the two and leaves the rest unchanged.
func TestImportCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlstore.Open(ctx, filepath.Join(dir, "sesame.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := testkit.NewMarket(t, db)
	merchantID, cat := m.Shenzhen.ID, m.Categories["phone-cases"]
	db.Close()

	name := filepath.Join(dir, "cases.csv")
	write := func(bad bool) {
		var b bytes.Buffer
		err := feedtest.Write(&b, feed.CSV, 100, func(i int) feedtest.Product {
			p := feedtest.Default(i, cat)
			if bad && (i == 10 || i == 60) {
				p.EURText = "twelve"
			}
			return p
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"SESAME_DATA": dir}
	getenv := func(k string) string { return env[k] }

	write(true)
	var stdout, stderr bytes.Buffer
	err = importFeed(ctx, []string{"--merchant", merchantID, name}, getenv, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "2 lines refused") {
		t.Fatalf("import with bad lines: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "98 created, 0 updated, 0 unchanged, 2 refused") {
		t.Errorf("summary:\n%s", stderr.String())
	}
	f, err := os.Open(name + ".errors.csv")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint([][]string{{"line", "field"}, {"12", "price:bazaar:EUR"}, {"62", "price:bazaar:EUR"}})
	var got [][]string
	for _, r := range recs {
		got = append(got, r[:2])
	}
	if fmt.Sprint(got) != want {
		t.Errorf("report %v, want %s", recs, want)
	}

	write(false)
	if err := run(ctx, []string{"import", "--merchant", merchantID, "--errors", filepath.Join(dir, "again.csv"), name}, getenv, &stdout); err != nil {
		t.Fatalf("import again: %v", err)
	}
	db, err = sqlstore.Open(ctx, filepath.Join(dir, "sesame.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	refs := make([]string, 100)
	for i := range refs {
		refs[i] = feedtest.Default(i, cat).Ref
	}
	ps, err := db.Catalog().ProductsByRef(ctx, merchantID, refs)
	if err != nil || len(ps) != 100 {
		t.Fatalf("%d products after both imports: %v", len(ps), err)
	}
	for _, p := range ps {
		if p.Version != 1 {
			t.Errorf("%s at version %d: an unchanged line rewrote it", p.Ref, p.Version)
		}
	}

	// A merchant that does not exist stops the import before it reads.
	err = importFeed(ctx, []string{"--merchant", "mer_0190000000007000800000000000dead", name}, getenv, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("unknown merchant: %v", err)
	}
}
