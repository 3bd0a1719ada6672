package catalog

import (
	"context"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/ids"
)

func TestMayUseBrand(t *testing.T) {
	const me, other = "mer_me", "mer_other"
	tests := []struct {
		name       string
		brand      Brand
		authorised bool
		allowed    bool
		mention    string
	}{
		{"own brand", Brand{ID: "b", MerchantID: me}, false, true, ""},
		{"another merchant's brand", Brand{ID: "b", MerchantID: other}, false, false, "another merchant"},
		{"another merchant's brand, authorised", Brand{ID: "b", MerchantID: other}, true, true, ""},
		{"marketplace brand", Brand{ID: "b"}, false, false, "marketplace"},
		{"marketplace brand, authorised", Brand{ID: "b"}, true, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := MayUseBrand(tt.brand, me, tt.authorised)
			if tt.allowed != (err == nil) {
				t.Fatalf("MayUseBrand = %v, want allowed %v", err, tt.allowed)
			}
			if err != nil && (errs.KindOf(err) != errs.Forbidden || !strings.Contains(errs.Message(err), tt.mention)) {
				t.Fatalf("MayUseBrand = %v (%v), want Forbidden mentioning %q", err, errs.KindOf(err), tt.mention)
			}
		})
	}
	// No merchant (an empty id) never owns an unowned brand.
	if MayUseBrand(Brand{ID: "b"}, "", false) == nil {
		t.Fatal("an empty merchant id may use a marketplace brand")
	}
}

// TestOneStepForCreatePatchAndImport: the same text is refused by the
// product input, the patch and the import step alike.
func TestOneStepForCreatePatchAndImport(t *testing.T) {
	bad := []struct {
		name string
		txt  Text
	}{
		{"NUL", Text{Title: "a\x00"}},
		{"invalid UTF-8", Text{Title: "caf\xe9"}},
		{"control character", Text{Title: "a\x07"}},
		{"invisible", Text{Title: "\u200b\ufe0f"}},
		{"long description", Text{Title: "ok", Description: strings.Repeat("x", 20001)}},
		{"NUL in description", Text{Title: "ok", Description: "\x00"}},
	}
	cat := ids.New(ids.Category)
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			in := ProductInput{CategoryID: cat, OriginCountry: "FR", Translations: map[string]Text{"fr": b.txt}, Variants: []VariantInput{{SKU: "S"}}}
			_, err := in.normalise("test")
			wantInvalid(t, "create", err)
			_, err = Patch{Translations: map[string]Text{"fr": b.txt}}.normalise("test")
			wantInvalid(t, "patch", err)
			p := Product{ID: ids.New(ids.Product), MerchantID: ids.New(ids.Merchant), CategoryID: cat, OriginCountry: "FR",
				Translations: map[string]Text{"fr": b.txt}, Variants: []Variant{{ID: ids.New(ids.Variant), SKU: "S"}}}
			wantInvalid(t, "import", newFakeService().Import(context.Background(), identity.System, []Product{p}))
		})
	}
	// The two spellings of one language.
	_, err := Patch{Translations: map[string]Text{"en": {Title: "a"}, "EN": {Title: "b"}}}.normalise("test")
	wantInvalid(t, "patch EN/en", err)
	_, err = CategoryInput{Slug: "ab", Names: map[string]string{"zh-hans": "a", "zh-Hans": "b"}}.normalise("test")
	wantInvalid(t, "category zh-Hans/zh-hans", err)
	// An empty title in a patch removes the language; the tags come out canonical.
	p, err := Patch{Translations: map[string]Text{"FR": {}, "en-gb": {Title: " Hi "}}}.normalise("test")
	if err != nil || len(p.Translations) != 2 || p.Translations["fr"] != (Text{}) || p.Translations["en-GB"].Title != "Hi" {
		t.Fatalf("patch = %+v, %v", p.Translations, err)
	}
}

func wantInvalid(t *testing.T, what string, err error) {
	t.Helper()
	if errs.KindOf(err) != errs.Invalid {
		t.Errorf("%s: %v (%v), want Invalid", what, err, errs.KindOf(err))
	}
}
