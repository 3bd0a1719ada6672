package sqlstore

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/money"
)

var writeDicts = flag.Bool("write-dicts", false, "write the compression dictionaries of a new stored format version (never rewrite an existing one)")

// frozenDicts are the digests of the dictionaries stored rows are
// compressed with. A dictionary can never change: rows written with it
// would no longer decode. A new dictionary is a new format version.
var frozenDicts = map[string]string{
	"view-1.s2":  "d9a3ab276a36b7db40a7ef00cb8cbcb509124d973c78e6557b97562a2559a35c",
	"doc-1.zstd": "deddce356bd39220639fa9a2ce4825770258bb964bb4b6cdf0c4af707db03cfb",
}

// TestDictionariesAreFrozen: the embedded dictionaries are the ones stored
// rows were written with.
func TestDictionariesAreFrozen(t *testing.T) {
	if *writeDicts {
		view, doc := skeletonDicts()
		for name, b := range map[string][]byte{"view-1.s2": view, "doc-1.zstd": doc} {
			path := filepath.Join(cmp.Or(os.Getenv("SESAME_DICTS_OUT"), "dicts"), name)
			if _, err := os.Stat(path); err == nil {
				t.Fatalf("%s exists: a dictionary is never rewritten; add a new version", path)
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(b)
			t.Logf("%s %s", name, hex.EncodeToString(sum[:]))
		}
		return
	}
	for name, want := range frozenDicts {
		b, err := dictFS.ReadFile("dicts/" + name)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("dictionary %s changed (%s): stored rows compressed with it would not decode", name, got)
		}
	}
}

// skeletonDicts makes the dictionaries from what every product's document
// and view share: their structure (names, punctuation, id prefixes), on a
// product of neutral content in three shapes. No tenant's data is in them.
func skeletonDicts() (view, doc []byte) {
	chans := []channel.Channel{
		{ID: "chn_00000000000000000000000000000000", Languages: []string{"en", "fr"}, DefaultLanguage: "en", Currencies: []string{"EUR", "GBP", "USD"}},
		{ID: "chn_00000000000000000000000000000001", Languages: []string{"zh", "en"}, DefaultLanguage: "zh", Currencies: []string{"CNY"}},
	}
	f := money.NewFormatters(0)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var vs, ds []byte
	for k := 0; k < 3; k++ {
		p := catalog.Product{ID: "prd_00000000000000000000000000000000", MerchantID: "mer_00000000000000000000000000000000", MerchantName: "Name",
			BrandID: "brd_00000000000000000000000000000000", BrandName: "Brand", CategoryID: "cat_00000000000000000000000000000000", OriginCountry: "FR",
			Translations: map[string]catalog.Text{"en": {Title: "Title", Description: "Description"}, "fr": {Title: "Titre", Description: "Description"},
				"zh": {Title: "标题", Description: "描述"}},
			Media: []string{"https://"}, Attributes: map[string]string{"origin": "FR"}, Version: 1, CreatedAt: at, UpdatedAt: at}
		for range k + 1 {
			v := catalog.Variant{ID: "var_00000000000000000000000000000000", SKU: "SKU-0", Options: map[string]string{"colour": "black"}}
			for _, ch := range chans {
				for _, c := range ch.Currencies {
					v.Prices = append(v.Prices, catalog.Price{ChannelID: ch.ID, Amount: money.Amount{Minor: 1990, Currency: c}})
				}
			}
			p.Variants = append(p.Variants, v)
		}
		vs = append(vs, encodeViewRaw(catalog.Render(f, p, chans))...)
		ds = append(ds, encodeProduct(p)...)
	}
	return s2.MakeDict(vs, nil).Bytes(), ds
}
