package feed_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/feed"
	"github.com/sesame-market/sesame/internal/feed/feedtest"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

var formats = []feed.Format{feed.CSV, feed.JSONLines}

// firstLine is the feed's line number of product 0 (a CSV has its header).
func firstLine(f feed.Format) int {
	if f == feed.CSV {
		return 2
	}
	return 1
}

// importFeed runs a feed of n generated lines for the Shenzhen merchant,
// and returns the progress and the error report's records.
func importFeed(t *testing.T, ctx context.Context, m *testkit.Market, f feed.Format, n, batch int, product func(int) feedtest.Product,
	onProgress func(feed.Progress)) (feed.Progress, [][]string, error) {
	t.Helper()
	var in, rep bytes.Buffer
	if err := feedtest.Write(&in, f, n, product); err != nil {
		t.Fatal(err)
	}
	p, err := feed.Run(ctx, m.Catalog, &in, feed.Options{Actor: identity.System, MerchantID: m.Shenzhen.ID, Format: f, Batch: batch,
		Report: &rep, OnProgress: onProgress})
	recs, rerr := csv.NewReader(&rep).ReadAll()
	if rerr != nil {
		t.Fatal(rerr)
	}
	if len(recs) == 0 || !slices.Equal(recs[0], []string{"line", "field", "reason"}) {
		t.Fatalf("report header: %v", recs)
	}
	return p, recs[1:], err
}

// catalogue is the Shenzhen merchant's imported products by ref, as a feed
// describes them (no ids, versions or times; categories by slug, channels
// by code).
func catalogue(t *testing.T, m *testkit.Market) map[string]string {
	t.Helper()
	out := map[string]string{}
	names := map[string]string{}
	for slug, id := range m.Categories {
		names[id] = slug
	}
	name := func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		ch, err := m.Channels.Channel(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		names[id] = ch.Code
		return ch.Code
	}
	after := ""
	for {
		ps, err := m.DB.Catalog().MerchantProducts(context.Background(), m.Shenzhen.ID, after, 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) == 0 {
			return out
		}
		for _, p := range ps {
			after = p.ID
			if p.Ref == "" {
				continue
			}
			var b strings.Builder
			fmt.Fprintf(&b, "%s %s %s %v %v", p.BrandID, name(p.CategoryID), p.OriginCountry, p.Translations, p.Attributes)
			for _, v := range p.Variants {
				prices := make([]string, len(v.Prices))
				for i, pr := range v.Prices {
					prices[i] = fmt.Sprintf("%s:%s:%d", name(pr.ChannelID), pr.Currency, pr.Minor)
				}
				slices.Sort(prices)
				fmt.Fprintf(&b, " | %s %v %v", v.SKU, v.Options, prices)
			}
			out[p.Ref] = b.String()
		}
	}
}

// marketWithTheirBrand is a Market on db whose Provence merchant has
// registered a brand of its own: the Shenzhen merchant's feeds may not use it.
func marketWithTheirBrand(t *testing.T, db *sqlstore.DB) (*testkit.Market, catalog.Brand) {
	t.Helper()
	m := testkit.NewMarket(t, db)
	b, err := m.Catalog.CreateBrand(context.Background(), m.PVStaff, catalog.BrandInput{Slug: "provence", Name: "Provence"})
	if err != nil {
		t.Fatal(err)
	}
	return m, b
}

// TestImportRefusesBadLinesOneByOne: a 10,000-line feed with 50 bad lines
// imports the 9,950 others and reports exactly the 50, each with its line
// and field, in both formats.
func TestImportRefusesBadLinesOneByOne(t *testing.T) {
	for _, f := range formats {
		t.Run(string(f), func(t *testing.T) {
			testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
				ctx := context.Background()
				m, theirs := marketWithTheirBrand(t, db)
				cat := m.Categories["phone-cases"]
				type bad struct {
					field  string
					change func(*feedtest.Product)
				}
				priceField := map[feed.Format]string{feed.CSV: "price:bazaar:EUR", feed.JSONLines: "prices.currency"}[f]
				kinds := []bad{
					{"origin_country", func(p *feedtest.Product) { p.Origin = "ZZZ" }},
					{"category_id", func(p *feedtest.Product) { p.CategoryID = "cat_0190000000007000800000000000dead" }},
					{"brand_id", func(p *feedtest.Product) { p.BrandID = theirs.ID }},
					{"translations.title", func(p *feedtest.Product) { p.TitleEN = "" }},
					{priceField, func(p *feedtest.Product) { p.EURText, p.Currency = "12.90", "USD" }},
					{"ref", func(p *feedtest.Product) { p.Ref = "no spaces allowed" }},
				}
				const n = 10_000
				want := map[int]string{} // line -> field
				product := func(i int) feedtest.Product {
					p := feedtest.Default(i, cat)
					if i%200 == 7 {
						k := kinds[(i/200)%len(kinds)]
						k.change(&p)
					}
					return p
				}
				for i := 7; i < n; i += 200 {
					want[i+firstLine(f)] = kinds[(i/200)%len(kinds)].field
				}
				var seen []feed.Progress
				p, recs, err := importFeed(t, ctx, m, f, n, 1000, product, func(p feed.Progress) { seen = append(seen, p) })
				if err != nil {
					t.Fatal(err)
				}
				if p.Created != n-50 || p.Refused != 50 || p.Updated+p.Unchanged != 0 {
					t.Errorf("progress %+v, want %d created and 50 refused", p, n-50)
				}
				if len(seen) < 10 || seen[len(seen)-1] != p {
					t.Errorf("%d progress reports, the last %+v", len(seen), seen[len(seen)-1])
				}
				got := map[int]string{}
				lastLine := 0
				for _, r := range recs {
					line, _ := strconv.Atoi(r[0])
					if line <= lastLine {
						t.Errorf("report out of line order at %v", r)
					}
					lastLine = line
					got[line] = r[1]
					if r[2] == "" {
						t.Errorf("line %d: no reason", line)
					}
				}
				if diff := cmp.Diff(got, want); diff != "" {
					t.Errorf("refused lines (-got +want):\n%s\nreport: %v", diff, recs[:min(len(recs), 5)])
				}
				if c := catalogue(t, m); len(c) != n-50 {
					t.Errorf("%d products imported, want %d", len(c), n-50)
				}
			})
		})
	}
}

// TestImportResumedIsOneRun: an import cancelled midway and run again gives
// the catalogue one run gives; the second run leaves the lines already
// imported unchanged. Importing again with a new price updates the
// product in place.
func TestImportResumedIsOneRun(t *testing.T) {
	for _, f := range formats {
		t.Run(string(f), func(t *testing.T) {
			testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
				const n, batch = 3000, 250
				once := testkit.NewMarket(t, testkit.Open(t, db.Engine))
				product := func(cat string) func(int) feedtest.Product {
					return func(i int) feedtest.Product { return feedtest.Default(i, cat) }
				}
				if _, _, err := importFeed(t, context.Background(), once, f, n, batch, product(once.Categories["phone-cases"]), nil); err != nil {
					t.Fatal(err)
				}

				m := testkit.NewMarket(t, db)
				cat := m.Categories["phone-cases"]
				want := catalogue(t, once)
				ctx, cancel := context.WithCancel(context.Background())
				first, _, err := importFeed(t, ctx, m, f, n, batch, product(cat), func(p feed.Progress) {
					if p.Created >= 1000 {
						cancel()
					}
				})
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("cancelled import: %v", err)
				}
				if first.Created < 1000 || first.Created >= n {
					t.Fatalf("cancelled import created %d", first.Created)
				}
				second, recs, err := importFeed(t, context.Background(), m, f, n, batch, product(cat), nil)
				if err != nil || len(recs) > 0 {
					t.Fatalf("resumed import: %v %v", err, recs)
				}
				if second.Unchanged != first.Created || second.Created != n-first.Created {
					t.Errorf("resumed import %+v after %+v", second, first)
				}
				got := catalogue(t, m)
				if diff := cmp.Diff(got, want); diff != "" {
					t.Errorf("resumed catalogue (-got +want):\n%s", diff)
				}

				// A new price for line 5 updates its product, not a new one.
				before, err := m.DB.Catalog().ProductsByRef(context.Background(), m.Shenzhen.ID, []string{"REF-0000005"})
				if err != nil {
					t.Fatal(err)
				}
				third, _, err := importFeed(t, context.Background(), m, f, 10, batch, func(i int) feedtest.Product {
					p := feedtest.Default(i, cat)
					if i == 5 {
						p.EUR, p.TitleEN = 4321, "Phone case, new"
					}
					return p
				}, nil)
				if err != nil || third.Updated != 1 || third.Unchanged != 9 {
					t.Fatalf("re-import: %+v %v", third, err)
				}
				after, err := m.DB.Catalog().ProductsByRef(context.Background(), m.Shenzhen.ID, []string{"REF-0000005"})
				if err != nil {
					t.Fatal(err)
				}
				b, a := before["REF-0000005"], after["REF-0000005"]
				if a.ID != b.ID || a.Version != b.Version+1 || a.Translations["en"].Title != "Phone case, new" || a.Variants[0].ID != b.Variants[0].ID {
					t.Errorf("updated product %+v, was %+v", a, b)
				}
				if !slices.ContainsFunc(a.Variants[0].Prices, func(p catalog.Price) bool { return p.Currency == "EUR" && p.Minor == 4321 }) {
					t.Errorf("updated prices %+v", a.Variants[0].Prices)
				}
				if c := catalogue(t, m); len(c) != n {
					t.Errorf("%d products after the re-import, want %d", len(c), n)
				}
			})
		})
	}
}

// TestImportRefusesAnotherMerchantsBrand: the lines naming another
// merchant's brand, or a marketplace brand the merchant is not authorised
// for, are refused one by one on brand_id; the lines of the merchant's own
// brand, and of the marketplace brand once authorised, are imported.
func TestImportRefusesAnotherMerchantsBrand(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m, theirs := marketWithTheirBrand(t, db)
		own, err := m.Catalog.CreateBrand(ctx, m.SZStaff, catalog.BrandInput{Slug: "clearcase", Name: "ClearCase"})
		if err != nil {
			t.Fatal(err)
		}
		market, err := m.Catalog.CreateBrand(ctx, identity.System, catalog.BrandInput{Slug: "market", Name: "Market"})
		if err != nil {
			t.Fatal(err)
		}
		brands := []string{own.ID, theirs.ID, market.ID, ""}
		product := func(i int) feedtest.Product {
			p := feedtest.Default(i, m.Categories["phone-cases"])
			p.BrandID = brands[i%len(brands)]
			return p
		}
		for _, f := range formats {
			p, recs, err := importFeed(t, ctx, m, f, 40, 16, product, nil)
			if err != nil {
				t.Fatal(err)
			}
			var want [][]string
			for i := range 40 {
				if b := brands[i%len(brands)]; b == theirs.ID || b == market.ID {
					want = append(want, []string{strconv.Itoa(i + firstLine(f)), "brand_id"})
				}
			}
			var got [][]string
			for _, r := range recs {
				got = append(got, r[:2])
				if !strings.Contains(r[2], "brand") {
					t.Errorf("reason %q", r[2])
				}
			}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("%s: refused (-got +want):\n%s", f, diff)
			}
			if p.Refused != 20 || p.Imported() != 20 {
				t.Errorf("%s: %+v", f, p)
			}
		}
		if _, err := m.Catalog.AuthoriseBrand(ctx, identity.System, market.ID, m.Shenzhen.ID); err != nil {
			t.Fatal(err)
		}
		p, recs, err := importFeed(t, ctx, m, feed.CSV, 40, 16, product, nil)
		if err != nil || p.Refused != 10 || p.Created != 10 || p.Unchanged != 20 {
			t.Errorf("after the authorisation: %+v %v %v", p, recs, err)
		}
	})
}

// TestImportMerchantsOwnOnly: merchant staff import only into their own
// merchant's catalogue; the refusal stops the import.
func TestImportMerchantsOwnOnly(t *testing.T) {
	m := testkit.NewMarket(t, testkit.Open(t, sqlstore.SQLite))
	var in bytes.Buffer
	if err := feedtest.Write(&in, feed.JSONLines, 3, func(i int) feedtest.Product { return feedtest.Default(i, m.Categories["phone-cases"]) }); err != nil {
		t.Fatal(err)
	}
	_, err := feed.Run(context.Background(), m.Catalog, &in, feed.Options{Actor: m.PVStaff, MerchantID: m.Shenzhen.ID, Format: feed.JSONLines})
	if err == nil || !strings.Contains(err.Error(), "own") {
		t.Fatalf("staff of another merchant: %v", err)
	}
}

// TestFeedLinesThatAreNotProducts: lines that cannot be read as a product
// (bad JSON, a wrong type, a CSV record of the wrong length, a line too
// long) are reported with their line, and the lines around them imported.
func TestFeedLinesThatAreNotProducts(t *testing.T) {
	m := testkit.NewMarket(t, testkit.Open(t, sqlstore.SQLite))
	cat := m.Categories["phone-cases"]
	good := func(i int) string {
		var b bytes.Buffer
		feedtest.Write(&b, feed.JSONLines, i+1, func(j int) feedtest.Product { return feedtest.Default(j, cat) })
		lines := strings.Split(strings.TrimSpace(b.String()), "\n")
		return lines[i]
	}
	jsonl := strings.Join([]string{good(0), `{"ref": "X"`, good(1), "", `{"ref": 12}`, good(2), `{"ref":"R","colour":"red"}`,
		`{"ref":"L","x":"` + strings.Repeat("a", 1<<20+10) + `"}`, good(3)}, "\n")
	header := feedtest.CSVHeader
	csvFeed := header + "\n" + "REF-1,SKU-1,," + cat + ",CN,Case,Coque,Nice,1290,9900,black\n" + "REF-2,only,three\n" +
		"REF-3,SKU-3,," + cat + ",CN,\"Case \"\"3\"\"\",Coque,Nice,1290,9900,black\n"
	for _, c := range []struct {
		f       feed.Format
		in      string
		want    [][]string
		created int64
	}{
		{feed.JSONLines, jsonl, [][]string{{"2", ""}, {"5", "ref"}, {"7", ""}, {"8", ""}}, 4},
		{feed.CSV, csvFeed, [][]string{{"3", ""}}, 2},
	} {
		var rep bytes.Buffer
		p, err := feed.Run(context.Background(), m.Catalog, strings.NewReader(c.in), feed.Options{Actor: identity.System, MerchantID: m.Shenzhen.ID,
			Format: c.f, Report: &rep})
		if err != nil {
			t.Fatal(err)
		}
		recs, _ := csv.NewReader(&rep).ReadAll()
		var got [][]string
		for _, r := range recs[1:] {
			got = append(got, r[:2])
		}
		if diff := cmp.Diff(got, c.want); diff != "" {
			t.Errorf("%s: refused (-got +want):\n%s\n%v", c.f, diff, recs)
		}
		if p.Created != c.created {
			t.Errorf("%s: %+v", c.f, p)
		}
	}
	// A CSV header with a column Sesame does not know stops the import.
	_, err := feed.Run(context.Background(), m.Catalog, strings.NewReader("ref,category_id,origin_country,colour\n"),
		feed.Options{Actor: identity.System, MerchantID: m.Shenzhen.ID, Format: feed.CSV, Report: io.Discard})
	if err == nil || !strings.Contains(err.Error(), `"colour"`) {
		t.Errorf("unknown column: %v", err)
	}
}

// TestImportFindsTheLineTheStoreRefuses: a line that passes the checks but
// that the store refuses (its SKU is one of the merchant's products made
// through the API) is refused alone, on variants.sku, and the rest of its
// batch is created.
func TestImportFindsTheLineTheStoreRefuses(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := testkit.NewMarket(t, db)
		cat := m.Categories["phone-cases"]
		taken := []int{50, 51, 170}
		for _, i := range taken {
			_, err := m.Catalog.CreateProduct(ctx, m.SZStaff, catalog.ProductInput{CategoryID: cat, OriginCountry: "CN",
				Translations: map[string]catalog.Text{"en": {Title: "Made by hand"}},
				Variants:     []catalog.VariantInput{{SKU: feedtest.Default(i, cat).SKU}}})
			if err != nil {
				t.Fatal(err)
			}
		}
		p, recs, err := importFeed(t, ctx, m, feed.JSONLines, 200, 200, func(i int) feedtest.Product { return feedtest.Default(i, cat) }, nil)
		if err != nil {
			t.Fatal(err)
		}
		var want, got [][]string
		for _, i := range taken {
			want = append(want, []string{strconv.Itoa(i + 1), "variants.sku"})
		}
		for _, r := range recs {
			got = append(got, r[:2])
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("refused (-got +want):\n%s\n%v", diff, recs)
		}
		if p.Created != 197 || p.Refused != 3 {
			t.Errorf("%+v", p)
		}
	})
}
