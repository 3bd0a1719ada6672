package shop_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// productPhoto is a PNG photo of w by h pixels.
func productPhoto(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(40 + x*180/w), uint8(90 + y*120/h), 160, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// postForm sends a multipart form from origin ("" for the store's own)
// with fields and, under image, a file (none when nil).
func (b *visitor) postForm(path, origin string, fields url.Values, img []byte) (*http.Response, string) {
	b.s.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	if img != nil {
		f, _ := w.CreateFormFile("image", "photo.png")
		f.Write(img)
	}
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, b.s.srv.URL+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if origin == "" {
		origin = b.s.srv.URL
	}
	req.Header.Set("Origin", origin)
	return b.do(req)
}

// categoryID is the id of the category of slug.
func (s *store) categoryID(slug string) string {
	s.t.Helper()
	cs, err := s.svc.Catalog.Categories(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	for _, c := range cs {
		if c.Slug == slug {
			return c.ID
		}
	}
	s.t.Fatalf("no category %s", slug)
	return ""
}

var createdRe = regexp.MustCompile(`^/merchant/en/products/(prd_[0-9a-z]+)\?done=created$`)

// TestMerchantProducts: staff create a product with a variant, texts in
// French and Chinese and an image; edit it, add a variant and list it on
// bazaar, where buyers then see it; refused forms say why and change
// nothing; another merchant's staff cannot see or change it.
func TestMerchantProducts(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newStore(t, db, 20)
		ctx := context.Background()
		bazaar, err := s.svc.Channels.Channel(ctx, "bazaar")
		if err != nil {
			t.Fatal(err)
		}
		eur := "price-0-" + bazaar.ID + "-EUR"
		m := s.sellerVisitor(shenzhenEmail)
		staff := s.staffOf(shenzhenEmail)

		_, body := m.get("/merchant/en/products")
		if !strings.Contains(body, `href="/merchant/en/products/new"`) || !strings.Contains(body, `<th scope="row"><a href="/merchant/en/products/prd_`) {
			t.Errorf("the products page lacks the demo's products or the new product link:\n%s", body)
		}
		_, body = m.get("/merchant/fr/products/new")
		for _, want := range []string{`<label for="title-fr">`, `<label for="title-zh">`, `<textarea id="description-en"`, `name="` + eur + `"`, `type="file"`,
			`enctype="multipart/form-data"`, `<option value="CN" selected>`, `lang="zh"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the new product form lacks %q", want)
			}
		}

		form := func(edit func(url.Values)) url.Values {
			f := url.Values{"category": {s.categoryID("phone-cases")}, "origin": {"CN"}, "title-fr": {"Coque en silicone lavande"},
				"description-fr": {"Douce au toucher."}, "title-zh": {"薰衣草硅胶手机壳"}, "sku-0": {"LAV-CASE-01"}, eur: {"14,90"}}
			if edit != nil {
				edit(f)
			}
			return f
		}
		photo := productPhoto(t, 2400, 1600)
		refused := []struct {
			name   string
			form   url.Values
			img    []byte
			origin string
			status int
			says   string
		}{
			{"no title", form(func(f url.Values) { f.Del("title-fr"); f.Del("title-zh"); f.Del("description-fr") }), nil, "", http.StatusBadRequest, "Give a title"},
			{"bad price", form(func(f url.Values) { f.Set(eur, "cheap") }), nil, "", http.StatusBadRequest, "Enter each price"},
			{"bad sku", form(func(f url.Values) { f.Set("sku-0", "no spaces") }), nil, "", http.StatusBadRequest, "Enter a SKU"},
			{"no category", form(func(f url.Values) { f.Set("category", "") }), nil, "", http.StatusBadRequest, "Choose a category"},
			{"not an image", form(nil), []byte("not an image at all"), "", http.StatusBadRequest, "JPEG, PNG or GIF file"},
			{"cross-site", form(nil), photo, "https://evil.example", http.StatusForbidden, ""},
		}
		for _, c := range refused {
			before := s.fingerprint()
			res, body := m.postForm("/merchant/en/products", c.origin, c.form, c.img)
			if res.StatusCode != c.status || !strings.Contains(body, c.says) {
				t.Errorf("%s: %d, want %d saying %q\n%s", c.name, res.StatusCode, c.status, c.says, body)
			}
			if c.status == http.StatusBadRequest && (!strings.Contains(body, `value="LAV-CASE-01"`) && c.name != "bad sku" || !strings.Contains(body, "薰衣草硅胶手机壳") && c.name != "no title") {
				t.Errorf("%s: the refused form is not filled in again", c.name)
			}
			if s.fingerprint() != before {
				t.Errorf("%s changed the database", c.name)
			}
		}
		// Signed out, the form sends to the sign-in page and creates nothing.
		before := s.fingerprint()
		res, _ := s.visitor().postForm("/merchant/en/products", "", form(nil), photo)
		wantRedirect(t, res, http.StatusSeeOther, "/merchant/en/signin?next=%2Fmerchant%2Fen%2F")
		if s.fingerprint() != before {
			t.Error("an anonymous form changed the database")
		}

		res, _ = m.postForm("/merchant/en/products", "", form(nil), photo)
		mm := createdRe.FindStringSubmatch(res.Header.Get("Location"))
		if res.StatusCode != http.StatusSeeOther || mm == nil {
			t.Fatalf("creating a product: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		id := mm[1]
		pr, err := s.svc.Catalog.Product(ctx, staff, id)
		if err != nil {
			t.Fatal(err)
		}
		if pr.Translations["fr"].Title != "Coque en silicone lavande" || pr.Translations["zh"].Title != "薰衣草硅胶手机壳" || len(pr.Variants) != 1 ||
			pr.Variants[0].SKU != "LAV-CASE-01" || len(pr.Variants[0].Prices) != 1 || pr.Variants[0].Prices[0].Minor != 1490 || len(pr.Media) != 1 {
			t.Fatalf("the product made: %+v", pr)
		}
		// The image is stored scaled to 1,200 pixels wide and served.
		img := pr.Media[0]
		res, data := m.get(img)
		cfg, _, err := image.DecodeConfig(strings.NewReader(data))
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" || err != nil || cfg.Width != 1200 || cfg.Height != 800 {
			t.Errorf("the image: %d %s %v %dx%d", res.StatusCode, res.Header.Get("Content-Type"), err, cfg.Width, cfg.Height)
		}
		if res, _ := s.get("/media/u/" + strings.Repeat("0", 64) + ".png"); res.StatusCode != http.StatusNotFound {
			t.Errorf("an unknown image: %d", res.StatusCode)
		}
		_, body = m.get("/merchant/en/products/" + id + "?done=created")
		for _, want := range []string{"The product is created.", `<img class="preview" src="` + img + `"`, "LAV-CASE-01", `value="14.90"`, "List on Sesame Bazaar", `value="Coque en silicone lavande"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the product's page lacks %q", want)
			}
		}

		// Another merchant's staff: not found, for the page and the forms.
		other := s.sellerVisitor(savonEmail)
		before = s.fingerprint()
		if res, _ := other.get("/merchant/en/products/" + id); res.StatusCode != http.StatusNotFound {
			t.Errorf("another merchant opens the product: %d", res.StatusCode)
		}
		for _, a := range []string{"save", "list", "variant"} {
			if res, _ := other.postForm("/merchant/en/products/"+id+"/"+a, "", url.Values{"channel": {"bazaar"}, "title-en": {"Mine now"}, "sku-new": {"X"}}, nil); res.StatusCode != http.StatusNotFound {
				t.Errorf("another merchant posts %s: %d", a, res.StatusCode)
			}
		}
		if _, body := other.get("/merchant/en/products"); strings.Contains(body, id) {
			t.Error("another merchant's list shows the product")
		}
		if s.fingerprint() != before {
			t.Error("another merchant changed the product")
		}

		// Edited: an English title, a new price; a variant added.
		edit := url.Values{"category": {pr.CategoryID}, "origin": {"CN"}, "title-fr": {"Coque en silicone lavande"}, "title-zh": {"薰衣草硅胶手机壳"},
			"title-en": {"Lavender silicone case"}, eur: {"12.50"}, "image-url": {img}}
		res, _ = m.postForm("/merchant/en/products/"+id+"/save", "", edit, nil)
		wantRedirect(t, res, http.StatusSeeOther, "/merchant/en/products/"+id+"?done=save")
		res, _ = m.post("/merchant/en/products/"+id+"/variant", "", url.Values{"sku-new": {"LAV-CASE-02"}, "price-new-" + bazaar.ID + "-EUR": {"13"}})
		wantRedirect(t, res, http.StatusSeeOther, "/merchant/en/products/"+id+"?done=variant")
		if res, body := m.post("/merchant/en/products/"+id+"/variant", "", url.Values{"sku-new": {"LAV-CASE-02"}}); res.StatusCode != http.StatusConflict || !strings.Contains(body, "already uses this SKU") {
			t.Errorf("a variant's SKU twice: %d", res.StatusCode)
		}
		pr, _ = s.svc.Catalog.Product(ctx, staff, id)
		if pr.Translations["en"].Title != "Lavender silicone case" || pr.Variants[0].Prices[0].Minor != 1250 || len(pr.Variants) != 2 || pr.Media[0] != img {
			t.Fatalf("the product edited: %+v", pr)
		}

		// Listed on bazaar: buyers see it, in French, with its image.
		if res, body := m.post("/merchant/en/products/"+id+"/list", "", url.Values{"channel": {"luxe"}}); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "does not admit") {
			t.Errorf("listing on a channel without a shop: %d", res.StatusCode)
		}
		res, _ = m.post("/merchant/en/products/"+id+"/list", "", url.Values{"channel": {"bazaar"}})
		wantRedirect(t, res, http.StatusSeeOther, "/merchant/en/products/"+id+"?done=list")
		_, body = m.get("/merchant/en/products/" + id + "?done=list")
		view := regexp.MustCompile(`<a href="(/bazaar/en/p/[^"]+)">See it on the storefront</a>`).FindStringSubmatch(body)
		if view == nil {
			t.Fatalf("the listed product's page:\n%s", body)
		}
		if _, body := s.get(view[1]); !strings.Contains(body, "Lavender silicone case") || !strings.Contains(body, `src="`+img+`"`) {
			t.Errorf("the storefront's page of the product:\n%s", body)
		}
		res, _ = s.get("/bazaar/fr/p/" + id)
		if _, body := s.get(res.Header.Get("Location")); !strings.Contains(body, "Coque en silicone lavande") {
			t.Errorf("the product in French: %d", res.StatusCode)
		}
		_, body = m.get("/merchant/en/products")
		if !strings.Contains(body, "Lavender silicone case") || !strings.Contains(body, "LAV-CASE-01, LAV-CASE-02") || !strings.Contains(body, "<td>Sesame Bazaar</td>") {
			t.Errorf("the list after listing lacks the product")
		}
		res, _ = m.post("/merchant/en/products/"+id+"/unlist", "", url.Values{"channel": {"bazaar"}})
		wantRedirect(t, res, http.StatusSeeOther, "/merchant/en/products/"+id+"?done=unlist")
		if ok, _ := s.db.Catalog().Listed(ctx, id, bazaar.ID); ok {
			t.Error("still listed after unlisting")
		}
		if res, _ := m.post("/merchant/en/products/"+id+"/delete", "", nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("an unknown action: %d", res.StatusCode)
		}
	})
}
