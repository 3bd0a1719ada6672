package sqlstore

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/money"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixedProduct has every field set, so that a field added to
// catalog.Product and forgotten by the stored document fails the round trip.
func fixedProduct() catalog.Product {
	at := time.Date(2026, 11, 11, 8, 30, 0, 123456000, time.UTC)
	return catalog.Product{
		ID: "prd_01", MerchantID: "mer_01", MerchantName: "Maison Dupont", Ref: "SCARF-90", BrandID: "brd_01", BrandName: "Dupont",
		CategoryID: "cat_01", OriginCountry: "FR",
		Translations: map[string]catalog.Text{
			"en": {Title: "Silk scarf", Description: "Hand-rolled edges."},
			"zh": {Title: "真丝围巾", Description: "手工卷边。"},
		},
		Media:      []string{"https://img.example/scarf-1.jpg", "https://img.example/scarf-2.jpg"},
		Attributes: map[string]string{"material": "silk", "size": "90x90"},
		Variants: []catalog.Variant{
			{ID: "var_01", SKU: "SCARF-RED", Options: map[string]string{"colour": "red"}, Prices: []catalog.Price{
				{ChannelID: "chn_luxe", Amount: money.Amount{Minor: 129900, Currency: "CNY"}},
				{ChannelID: "chn_bazaar", Amount: money.Amount{Minor: 15900, Currency: "EUR"}},
			}},
			{ID: "var_02", SKU: "SCARF-BLUE", Options: map[string]string{"colour": "blue"}, Prices: []catalog.Price{}},
		},
		Channels:  []string{},
		Version:   3,
		CreatedAt: at,
		UpdatedAt: at.Add(time.Hour),
	}
}

// requireAllSet fails when some field of v (a struct), or of the first
// element of one of its slices or maps of structs, holds its zero value.
func requireAllSet(t *testing.T, path string, v reflect.Value) {
	t.Helper()
	for i := range v.NumField() {
		f, name := v.Field(i), path+"."+v.Type().Field(i).Name
		if f.IsZero() {
			t.Errorf("%s is not set in the fixed product: set it, and carry it in productDoc", name)
			continue
		}
		switch f.Kind() {
		case reflect.Struct:
			if f.Type() != reflect.TypeFor[time.Time]() {
				requireAllSet(t, name, f)
			}
		case reflect.Slice:
			if f.Len() > 0 && f.Index(0).Kind() == reflect.Struct {
				requireAllSet(t, name+"[0]", f.Index(0))
			}
		case reflect.Map:
			if it := f.MapRange(); it.Next() && it.Value().Kind() == reflect.Struct {
				requireAllSet(t, name+"[k]", it.Value())
			}
		}
	}
}

func TestProductDocRoundTrip(t *testing.T) {
	p := fixedProduct()
	requireAllSet(t, "Product", reflect.ValueOf(p))
	if diff := cmp.Diff(docOf(p).product(), p); diff != "" {
		t.Errorf("docOf(p).product() differs from p (-got +want):\n%s", diff)
	}
	got, err := decodeProduct("test", []byte(encodeProduct(p)))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, p); diff != "" {
		t.Errorf("decode(encode(p)) differs from p (-got +want):\n%s", diff)
	}
	// Nil collections stay nil and empty ones empty, as documents always
	// had them ("variants": null for a product rebuilt without variants).
	bare := catalog.Product{ID: "prd_02", Variants: []catalog.Variant{{ID: "var_03"}}}
	if diff := cmp.Diff(docOf(bare).product(), bare); diff != "" {
		t.Errorf("bare product (-got +want):\n%s", diff)
	}
}

// TestStoredDocumentIsGolden pins the JSON products.doc holds: it changes
// only when productDoc does (a new version), never with the API's
// catalog.Product. Refresh with -update after a deliberate new version.
func TestStoredDocumentIsGolden(t *testing.T) {
	var got bytes.Buffer
	if err := json.Indent(&got, []byte(encodeProduct(fixedProduct())), "", "  "); err != nil {
		t.Fatal(err)
	}
	got.WriteByte('\n')
	golden := filepath.Join("testdata", "product-doc.golden.json")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got.String(), string(want)); diff != "" {
		t.Errorf("stored document changed (-got +want); a new shape needs a new version:\n%s", diff)
	}
}

// TestDocumentWithoutVersionDecodes reads a document as Sesame wrote it
// before the stored document had its own type (the API JSON of
// catalog.Product, no "v"): it is version 1 and decodes unchanged.
func TestDocumentWithoutVersionDecodes(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("testdata", "product-doc-unversioned.json"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(doc, []byte(`"v"`)) {
		t.Fatal("the unversioned golden document carries a version")
	}
	got, err := decodeProduct("test", doc)
	if err != nil {
		t.Fatal(err)
	}
	want := fixedProduct()
	want.Ref = "" // written before products had a ref
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("unversioned document (-got +want):\n%s", diff)
	}
}

func TestDocumentOfUnknownVersionIsInternal(t *testing.T) {
	for _, doc := range []string{`{"v":2,"id":"prd_01"}`, `{"v":-1,"id":"prd_01"}`, `not json`} {
		_, err := decodeProduct("test", []byte(doc))
		if errs.KindOf(err) != errs.Internal {
			t.Errorf("%s: kind %v (%v), want Internal", doc, errs.KindOf(err), err)
		}
	}
	_, err := decodeProduct("test", []byte(`{"v":2,"id":"prd_01"}`))
	if err == nil || !strings.Contains(err.Error(), "prd_01 has version 2") {
		t.Errorf("error %q does not name the document and its version", err)
	}
}

// TestEveryStoredFormReads: a document reads back the same whichever way it
// was stored: as written now (S2 and the dictionary), as zstd frames with
// the same dictionary (written until S2 replaced them), and as plain JSON
// (written before compression). The stored form is also much smaller.
func TestEveryStoredFormReads(t *testing.T) {
	p := fixedProduct()
	js := []byte(encodeProduct(p))
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderDictRaw(docDictID, mustDict("dicts/doc-1.zstd")))
	if err != nil {
		t.Fatal(err)
	}
	now := storeDoc(p)
	if now[0] != docS2Dict || len(now) > len(js)*2/3 {
		t.Fatalf("stored form: marker %#x, %d bytes for %d of JSON", now[0], len(now), len(js))
	}
	for name, stored := range map[string][]byte{"s2": now, "zstd": enc.EncodeAll(js, nil), "json": js} {
		got, err := loadProduct("test", stored)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(got, p); diff != "" {
			t.Errorf("%s form (-got +want):\n%s", name, diff)
		}
	}
	if _, err := loadProduct("test", []byte{docS2Dict, 0xff, 0xff}); !errs.Is(err, errs.Internal) {
		t.Fatalf("a corrupt document: %v, want Internal", err)
	}
}
