package sqlstore

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/catalog"
)

// TestBucketKeys: a product's bucket key is at most its id, ids within one
// 2^10 ms step share it, the next step's ids have a greater one, and what
// is not a product id falls in the first bucket.
func TestBucketKeys(t *testing.T) {
	id := func(ms int64, rest string) string { return fmt.Sprintf("prd_%012x%s", ms, rest) }
	base := time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC).UnixMilli() &^ (1<<bucketShift - 1)
	first := id(base, "70000000000000000000")
	for _, tc := range []struct {
		id   string
		same bool
	}{
		{id(base, "7fffffffffffffffffff"), true},
		{id(base+1<<bucketShift-1, "7abcdef0123456789abc"), true},
		{id(base+1<<bucketShift, "70000000000000000000"), false},
	} {
		k := bucketKey(tc.id)
		if bytes.Compare(k, idBytes("prd", tc.id)) > 0 {
			t.Fatalf("key of %s is above the id", tc.id)
		}
		if got := bytes.Equal(k, bucketKey(first)); got != tc.same {
			t.Fatalf("%s shares %s's bucket: %v, want %v", tc.id, first, got, tc.same)
		}
		if !tc.same && bytes.Compare(k, bucketKey(first)) <= 0 {
			t.Fatalf("a later bucket's key is not greater")
		}
	}
	if !bytes.Equal(bucketKey(""), make([]byte, 16)) || !bytes.Equal(bucketKey("nonsense"), make([]byte, 16)) {
		t.Fatal("what is not a product id is not in the first bucket")
	}
	if bytes.Compare(pageEnd(""), idBytes("prd", id(1<<47, "ffffffffffffffffffff"))) <= 0 {
		t.Fatal("an open page's end is not above every id")
	}
}

// TestParseStocked: a product page's stock lines give every variant's SKU
// once, in the order read, and only the warehouses holding units; a line
// that is not sku, warehouse and units is refused rather than misread.
func TestParseStocked(t *testing.T) {
	got, err := parseStocked([]byte("A-1\twh1\t3\nA-2\t\t0\nA-1\twh2\t40"))
	if err != nil {
		t.Fatal(err)
	}
	want := catalog.ViewStock{SKUs: []string{"A-1", "A-2"}, Stock: []catalog.Stocked{{SKU: "A-1", WarehouseID: "wh1", Available: 3}, {SKU: "A-1", WarehouseID: "wh2", Available: 40}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got, err := parseStocked(nil); err != nil || got.SKUs != nil || got.Stock != nil {
		t.Errorf("no variants: %+v %v", got, err)
	}
	for _, bad := range []string{"A-1\twh1", "A-1\twh1\tx", "\twh1\t3", "A-1\twh1\t3\n"} {
		if _, err := parseStocked([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
