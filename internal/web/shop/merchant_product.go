package shop

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/media"
	"github.com/sesame-market/sesame/internal/money"
)

// The merchants' console's products: the list, the form that creates a
// product with its first variant and the one that edits it (texts in
// every language of the console side by side, an image, prices per
// channel and currency), a variant added, and listings on the channels the
// merchant has shops on. Each form calls the catalogue service as the API
// does, so its rules (the brand rule, the listing rule) hold the same.

// Patterns of the product forms: a new product, and a product's actions
// (save, variant, list, unlist).
const (
	patternSellerCreate  = "POST /merchant/{lang}/products"
	patternSellerProduct = "POST /merchant/{lang}/products/{id}/{action}"
)

// maxProductForm bounds a product form: an image and the texts.
const maxProductForm = media.MaxBytes + 256<<10

// mediaPrefix begins the address of an uploaded image.
const mediaPrefix = "/media/u/"

// originCountries are offered as a product's origin, after the merchant's
// own country.
var originCountries = []string{"CN", "FR", "DE", "IT", "ES", "PT", "NL", "BE", "GB", "US", "JP", "KR", "VN", "IN", "TR"}

// textField is one language's title and description on the product form.
type textField struct {
	Lang, Name, Title, Description string
}

// priceField is one price of a variant: its channel and currency.
type priceField struct {
	Name, Channel, Currency, Value string
}

// variantField is a variant on the product form; Fixed when its SKU is
// kept (an existing variant).
type variantField struct {
	Index  string
	SKU    string
	Fixed  bool
	Prices []priceField
}

// productForm is what the product form shows, or sends back refused.
type productForm struct {
	Category, Brand, Origin string
	Texts                   []textField
	Variants                []variantField
	Image                   string
	Field, Error            string
}

// listingRow is one of the merchant's channels with the product's listing.
type listingRow struct {
	Code, Name, View string
	Listed           bool
}

// sellerProductPage is the product form, new or existing.
type sellerProductPage struct {
	*base
	New        bool
	ID, Action string
	Heading    string
	Form       productForm
	Categories []option
	Brands     []option
	Countries  []option
	Uploads    bool
	Listings   []listingRow
	// Variant is the form that adds a variant, and its refusal.
	Variant      variantField
	VariantError string
	ListError    string
	Notice       string
}

// productRow is a product in the console's list.
type productRow struct {
	Href, Title, Image, SKUs, Price, Channels, Updated string
}

type sellerProductsPage struct {
	*base
	Rows   []productRow
	Next   string
	Notice string
}

func (s *Shop) sellerProducts(w http.ResponseWriter, r *http.Request, b *base, actor identity.Actor) {
	ps, err := s.svc.Catalog.MerchantProducts(r.Context(), actor, actor.MerchantID, r.URL.Query().Get("after"), consolePageSize+1)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	chans, err := s.sellerChannels(r, actor)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	names := map[string]string{}
	for _, ch := range chans {
		names[ch.ID] = ch.Name
	}
	p := sellerProductsPage{base: b}
	if len(ps) > consolePageSize {
		ps = ps[:consolePageSize]
		p.Next = b.Home + "products?after=" + url.QueryEscape(ps[len(ps)-1].ID)
	}
	for _, pr := range ps {
		// The list's documents carry no listings: the product's own read
		// does (a page is 20 products).
		if pr, err = s.svc.Catalog.Product(r.Context(), actor, pr.ID); err != nil {
			s.fail(w, r, b, err)
			return
		}
		t, _ := pr.Text(b.Lang, "")
		row := productRow{Href: b.Home + "products/" + url.PathEscape(pr.ID), Title: t.Title, Updated: day(pr.UpdatedAt)}
		if len(pr.Media) > 0 {
			row.Image = pr.Media[0]
		}
		var skus, listed []string
		for _, v := range pr.Variants {
			skus = append(skus, v.SKU)
		}
		if len(pr.Variants) > 0 && len(pr.Variants[0].Prices) > 0 {
			row.Price = s.money(b, pr.Variants[0].Prices[0].Amount)
		}
		for _, id := range pr.Channels {
			if n, ok := names[id]; ok {
				listed = append(listed, n)
			}
		}
		row.SKUs, row.Channels = strings.Join(skus, ", "), b.W.List(listed)
		p.Rows = append(p.Rows, row)
	}
	if r.URL.Query().Get("done") == "created" {
		p.Notice = b.W.T("mc_done_created")
	}
	s.sellerPage(w, r, b, http.StatusOK, "merchant_products", b.W.T("mc_products"), p)
}

// sellerChannels are the channels the merchant has shops on.
func (s *Shop) sellerChannels(r *http.Request, actor identity.Actor) ([]channel.Channel, error) {
	shops, err := s.svc.Merchants.Shops(r.Context(), actor, actor.MerchantID)
	if err != nil {
		return nil, err
	}
	chans := make([]channel.Channel, 0, len(shops))
	for _, sh := range shops {
		ch, err := s.svc.Channels.Channel(r.Context(), sh.ChannelID)
		if err != nil {
			return nil, err
		}
		chans = append(chans, ch)
	}
	return chans, nil
}

// priceFields are a variant's price inputs: one per channel and currency,
// filled from prices.
func priceFields(index string, chans []channel.Channel, prices []catalog.Price) []priceField {
	var out []priceField
	for _, ch := range chans {
		for _, cur := range ch.Currencies {
			f := priceField{Name: "price-" + index + "-" + ch.ID + "-" + cur, Channel: ch.Name, Currency: cur}
			for _, p := range prices {
				if p.ChannelID == ch.ID && p.Currency == cur {
					f.Value = p.Decimal()
				}
			}
			out = append(out, f)
		}
	}
	return out
}

// productPage fills the choices of the product form around f.
func (s *Shop) productPage(r *http.Request, b *base, actor identity.Actor, f productForm) (sellerProductPage, error) {
	p := sellerProductPage{base: b, Form: f, Uploads: s.cfg.Media != nil}
	cats, err := s.categories(r)
	if err != nil {
		return p, err
	}
	for id, c := range cats {
		p.Categories = append(p.Categories, option{Value: id, Label: c.name(b.Lang), Selected: id == f.Category})
	}
	slices.SortFunc(p.Categories, func(x, y option) int { return strings.Compare(x.Label, y.Label) })
	brands, err := s.svc.Catalog.Brands(r.Context())
	if err != nil {
		return p, err
	}
	p.Brands = []option{{Value: "", Label: b.W.T("mc_no_brand"), Selected: f.Brand == ""}}
	for _, br := range brands {
		if br.MerchantID == actor.MerchantID {
			p.Brands = append(p.Brands, option{Value: br.ID, Label: br.Name, Selected: br.ID == f.Brand})
		}
	}
	for _, c := range originCountries {
		p.Countries = append(p.Countries, option{Value: c, Label: b.W.Country(c), Selected: c == f.Origin})
	}
	if f.Origin != "" && !slices.Contains(originCountries, f.Origin) {
		p.Countries = append([]option{{Value: f.Origin, Label: b.W.Country(f.Origin), Selected: true}}, p.Countries...)
	}
	return p, nil
}

// newProductForm is the empty form of a new product: made in the
// merchant's country, one variant.
func (s *Shop) newProductForm(r *http.Request, b *base, actor identity.Actor, chans []channel.Channel) (productForm, error) {
	m, err := s.svc.Merchants.Merchant(r.Context(), actor, actor.MerchantID)
	if err != nil {
		return productForm{}, err
	}
	f := productForm{Origin: m.Country, Variants: []variantField{{Index: "0", Prices: priceFields("0", chans, nil)}}}
	for _, l := range uiLanguages {
		f.Texts = append(f.Texts, textField{Lang: l, Name: LanguageName(l)})
	}
	return f, nil
}

// sellerNewProduct shows the form of a new product; f is a refused one.
func (s *Shop) sellerNewProduct(w http.ResponseWriter, r *http.Request, b *base, actor identity.Actor, status int, f *productForm) {
	if f == nil {
		chans, err := s.sellerChannels(r, actor)
		if err != nil {
			s.fail(w, r, b, err)
			return
		}
		nf, err := s.newProductForm(r, b, actor, chans)
		if err != nil {
			s.fail(w, r, b, err)
			return
		}
		f = &nf
	}
	p, err := s.productPage(r, b, actor, *f)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	p.New, p.Action, p.Heading = true, b.Home+"products", b.W.T("mc_new_product")
	s.sellerPage(w, r, b, status, "merchant_product", p.Heading, p)
}

// editForm is the form of an existing product.
func editForm(pr catalog.Product, chans []channel.Channel) productForm {
	f := productForm{Category: pr.CategoryID, Brand: pr.BrandID, Origin: pr.OriginCountry}
	for _, l := range uiLanguages {
		t := pr.Translations[l]
		f.Texts = append(f.Texts, textField{Lang: l, Name: LanguageName(l), Title: t.Title, Description: t.Description})
	}
	for i, v := range pr.Variants {
		idx := strconv.Itoa(i)
		f.Variants = append(f.Variants, variantField{Index: idx, SKU: v.SKU, Fixed: true, Prices: priceFields(idx, chans, v.Prices)})
	}
	if len(pr.Media) > 0 {
		f.Image = pr.Media[0]
	}
	return f
}

// refusal is how a refused product form shows again: the form sent, or
// the variant or listing form's message.
type refusal struct {
	form         *productForm
	variant      *variantField
	variantError string
	listError    string
}

// sellerProduct shows one of the merchant's products with its forms.
func (s *Shop) sellerProduct(w http.ResponseWriter, r *http.Request, b *base, actor identity.Actor, id string, status int, ref *refusal) {
	pr, err := s.svc.Catalog.Product(r.Context(), actor, id)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	chans, err := s.sellerChannels(r, actor)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	f := editForm(pr, chans)
	if ref != nil && ref.form != nil {
		f = *ref.form
	}
	p, err := s.productPage(r, b, actor, f)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	t, _ := pr.Text(b.Lang, "")
	p.ID, p.Action, p.Heading = pr.ID, b.Home+"products/"+url.PathEscape(pr.ID)+"/save", t.Title
	p.Variant = variantField{Index: "new", Prices: priceFields("new", chans, nil)}
	if ref != nil {
		if ref.variant != nil {
			p.Variant = *ref.variant
		}
		p.VariantError, p.ListError = ref.variantError, ref.listError
	}
	for _, ch := range chans {
		row := listingRow{Code: ch.Code, Name: ch.Name, Listed: slices.Contains(pr.Channels, ch.ID)}
		if row.Listed {
			lang := ch.Language(b.Lang)
			v, _ := pr.Text(lang, ch.Language(""))
			row.View = productPath(ch.Code, lang, v.Title, pr.ID)
		}
		p.Listings = append(p.Listings, row)
	}
	if ref == nil {
		switch r.URL.Query().Get("done") {
		case "created":
			p.Notice = b.W.T("mc_done_created")
		case "save":
			p.Notice = b.W.T("mc_done_saved")
		case "variant":
			p.Notice = b.W.T("mc_done_variant")
		case "list":
			p.Notice = b.W.T("mc_done_listed")
		case "unlist":
			p.Notice = b.W.T("mc_done_unlisted")
		}
	}
	s.sellerPage(w, r, b, status, "merchant_product", p.Heading, p)
}

// readProductForm reads the product form's fields into f, the variants'
// as given by f.Variants (their index and SKU, unless new).
func readProductForm(r *http.Request, f *productForm) {
	f.Category, f.Brand, f.Origin = r.PostFormValue("category"), r.PostFormValue("brand"), r.PostFormValue("origin")
	f.Texts = f.Texts[:0]
	for _, l := range uiLanguages {
		f.Texts = append(f.Texts, textField{Lang: l, Name: LanguageName(l), Title: r.PostFormValue("title-" + l), Description: r.PostFormValue("description-" + l)})
	}
	for i := range f.Variants {
		readVariant(r, &f.Variants[i])
	}
	if img := r.PostFormValue("image-url"); validUpload(img) {
		f.Image = img
	}
}

// readVariant reads a variant's SKU (unless kept) and prices.
func readVariant(r *http.Request, v *variantField) {
	if !v.Fixed {
		v.SKU = strings.TrimSpace(r.PostFormValue("sku-" + v.Index))
	}
	for i := range v.Prices {
		v.Prices[i].Value = strings.TrimSpace(r.PostFormValue(v.Prices[i].Name))
	}
}

// validUpload reports whether u is the address of an uploaded image.
func validUpload(u string) bool {
	name, ok := strings.CutPrefix(u, mediaPrefix)
	return ok && media.ValidName(name)
}

// variantPrices are a variant's prices as the catalogue takes them; an
// empty price is none. Errors: Invalid (field prices).
func variantPrices(v variantField, chans []channel.Channel) ([]catalog.PriceInput, error) {
	var out []catalog.PriceInput
	for _, f := range v.Prices {
		if f.Value == "" {
			continue
		}
		a, err := money.ParseMajor(f.Value, f.Currency)
		if err != nil || a.Minor <= 0 {
			return nil, errs.Field("shop.variantPrices", "prices", "not an amount")
		}
		for _, ch := range chans {
			if strings.HasPrefix(f.Name, "price-"+v.Index+"-"+ch.ID+"-") {
				out = append(out, catalog.PriceInput{Channel: ch.ID, Currency: f.Currency, Amount: a.Minor})
			}
		}
	}
	return out, nil
}

// translations are the form's texts; with keep, a language with no title
// that the product has is given empty, which removes it.
func translations(f productForm, had map[string]catalog.Text) map[string]catalog.Text {
	out := map[string]catalog.Text{}
	for _, t := range f.Texts {
		_, ok := had[t.Lang]
		if strings.TrimSpace(t.Title) != "" || strings.TrimSpace(t.Description) != "" || ok {
			out[t.Lang] = catalog.Text{Title: t.Title, Description: t.Description}
		}
	}
	return out
}

// upload stores the form's image, if one is sent, and returns its
// address ("" for none). Errors: Invalid (field image).
func (s *Shop) upload(r *http.Request) (string, error) {
	file, fh, err := r.FormFile("image")
	if errors.Is(err, http.ErrMissingFile) || (err == nil && fh.Size == 0) {
		return "", nil
	}
	if err != nil || s.cfg.Media == nil {
		return "", errs.Field("shop.upload", "image", "the image cannot be read")
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, media.MaxBytes+1))
	if err != nil {
		return "", errs.Field("shop.upload", "image", "the image cannot be read")
	}
	name, out, err := media.Prepare(data)
	if err != nil {
		return "", err
	}
	if err := s.cfg.Media.Put(r.Context(), name, out); err != nil {
		return "", err
	}
	return mediaPrefix + name, nil
}

// parseProductForm reads a multipart product form; a body over the limit
// reads as a refused image.
func parseProductForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxProductForm)
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return errs.Field("shop.parseProductForm", "image", "an image is at most 8 MiB")
	}
	return nil
}

// productProblem words a refusal of the product form.
func productProblem(W *Words, err error) (field, message string) {
	field = errs.FieldOf(err)
	switch k := errs.KindOf(err); {
	case k == errs.Conflict:
		return "sku", W.T("mc_err_sku_taken")
	case k == errs.Forbidden:
		return "brand", W.T("mc_err_brand")
	case strings.HasPrefix(field, "translations"):
		return "title", W.T("mc_err_title")
	case strings.Contains(field, "sku"):
		return "sku", W.T("mc_err_sku")
	case strings.HasPrefix(field, "prices"):
		return "prices", W.T("mc_err_price")
	case field == "category_id":
		return "category", W.T("mc_err_category")
	case field == "origin_country":
		return "origin", W.T("mc_err_origin")
	case field == "image" || field == "media":
		return "image", W.T("mc_err_image")
	}
	return "", W.T("mc_err_product")
}

// refusable reports whether err is a refusal the form shows, not a
// failure.
func refusable(err error) bool {
	switch errs.KindOf(err) {
	case errs.Invalid, errs.Conflict, errs.Forbidden:
		return true
	}
	return false
}

// refusalStatus is the status of a page showing a refused form.
func refusalStatus(err error) int {
	switch errs.KindOf(err) {
	case errs.Conflict:
		return http.StatusConflict
	case errs.Forbidden:
		return http.StatusForbidden
	}
	return http.StatusBadRequest
}

// sellerCreateProduct creates a product with its first variant and image.
func (s *Shop) sellerCreateProduct(w http.ResponseWriter, r *http.Request) {
	b, actor, ok := s.staff(w, r)
	if !ok {
		return
	}
	chans, err := s.sellerChannels(r, actor)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	f, err := s.newProductForm(r, b, actor, chans)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	var pr catalog.Product
	err = parseProductForm(w, r)
	if err == nil {
		readProductForm(r, &f)
		var img string
		if img, err = s.upload(r); img != "" {
			f.Image = img
		}
		var prices []catalog.PriceInput
		if err == nil {
			prices, err = variantPrices(f.Variants[0], chans)
		}
		if err == nil {
			in := catalog.ProductInput{BrandID: f.Brand, CategoryID: f.Category, OriginCountry: f.Origin, Translations: translations(f, nil),
				Variants: []catalog.VariantInput{{SKU: f.Variants[0].SKU, Prices: prices}}}
			if f.Image != "" {
				in.Media = []string{f.Image}
			}
			pr, err = s.svc.Catalog.CreateProduct(r.Context(), actor, in)
		}
	}
	switch {
	case err == nil:
		http.Redirect(w, r, b.Home+"products/"+url.PathEscape(pr.ID)+"?done=created", http.StatusSeeOther)
	case refusable(err):
		f.Field, f.Error = productProblem(b.W, err)
		s.sellerNewProduct(w, r, b, actor, refusalStatus(err), &f)
	default:
		s.fail(w, r, b, err)
	}
}

// sellerProductAction saves a product, adds a variant, or lists or
// unlists it on a channel.
func (s *Shop) sellerProductAction(w http.ResponseWriter, r *http.Request) {
	b, actor, ok := s.staff(w, r)
	if !ok {
		return
	}
	id, action := r.PathValue("id"), r.PathValue("action")
	if !slices.Contains([]string{"save", "variant", "list", "unlist"}, action) {
		s.notFound(w, r, b)
		return
	}
	pr, err := s.svc.Catalog.Product(r.Context(), actor, id)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	chans, err := s.sellerChannels(r, actor)
	if err != nil {
		s.fail(w, r, b, err)
		return
	}
	var ref refusal
	switch action {
	case "save":
		f := editForm(pr, chans)
		if err = parseProductForm(w, r); err == nil {
			err = s.saveProduct(r, actor, pr, &f, chans)
		}
		ref.form = &f
		if err != nil {
			f.Field, f.Error = productProblem(b.W, err)
		}
	case "variant":
		r.Body = http.MaxBytesReader(w, r.Body, maxConsoleForm)
		v := variantField{Index: "new", Prices: priceFields("new", chans, nil)}
		readVariant(r, &v)
		var prices []catalog.PriceInput
		if prices, err = variantPrices(v, chans); err == nil {
			_, err = s.svc.Catalog.AddVariant(r.Context(), actor, pr.ID, catalog.VariantInput{SKU: v.SKU, Prices: prices})
		}
		ref.variant = &v
		if err != nil {
			_, ref.variantError = productProblem(b.W, err)
		}
	case "list", "unlist":
		r.Body = http.MaxBytesReader(w, r.Body, maxConsoleForm)
		code := r.PostFormValue("channel")
		if !slices.ContainsFunc(chans, func(ch channel.Channel) bool { return ch.Code == code }) {
			err = errs.E("shop.sellerProductAction", errs.Forbidden, "no shop on this channel")
		} else if action == "list" {
			err = s.svc.Catalog.List(r.Context(), actor, pr.ID, code)
		} else {
			err = s.svc.Catalog.Unlist(r.Context(), actor, pr.ID, code)
		}
		if err != nil {
			ref.listError = b.W.T("mc_err_list")
			if errs.KindOf(err) == errs.Invalid {
				ref.listError = b.W.T("mc_err_list_price")
			}
		}
	}
	switch {
	case err == nil:
		http.Redirect(w, r, b.Home+"products/"+url.PathEscape(pr.ID)+"?done="+action, http.StatusSeeOther)
	case refusable(err):
		s.sellerProduct(w, r, b, actor, pr.ID, refusalStatus(err), &ref)
	default:
		s.fail(w, r, b, err)
	}
}

// saveProduct applies the edit form to pr: its texts, category, brand,
// origin and image (a new one replaces the first), then the prices that
// changed.
func (s *Shop) saveProduct(r *http.Request, actor identity.Actor, pr catalog.Product, f *productForm, chans []channel.Channel) error {
	readProductForm(r, f)
	img, err := s.upload(r)
	if err != nil {
		return err
	}
	patch := catalog.Patch{CategoryID: &f.Category, BrandID: &f.Brand, OriginCountry: &f.Origin, Translations: translations(*f, pr.Translations)}
	if img != "" {
		f.Image = img
		patch.Media = append([]string{img}, pr.Media[min(1, len(pr.Media)):]...)
	}
	var changed []catalog.SKUPriceInput
	for i, v := range f.Variants {
		prices, err := variantPrices(v, chans)
		if err != nil {
			return err
		}
		old := map[string]int64{}
		for _, p := range pr.Variants[i].Prices {
			old[p.ChannelID+" "+p.Currency] = p.Minor
		}
		for _, p := range prices {
			if a, ok := old[p.Channel+" "+p.Currency]; !ok || a != p.Amount {
				changed = append(changed, catalog.SKUPriceInput{SKU: v.SKU, PriceInput: p})
			}
		}
	}
	if _, err := s.svc.Catalog.UpdateProduct(r.Context(), actor, pr.ID, patch); err != nil {
		return err
	}
	if len(changed) > 0 {
		if _, err := s.svc.Catalog.SetPrices(r.Context(), actor, pr.ID, changed); err != nil {
			return err
		}
	}
	return nil
}

// uploadedMedia serves an uploaded image: its name is its content's hash,
// so it never changes and is cached for good.
func (s *Shop) uploadedMedia(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if s.cfg.Media == nil || !media.ValidName(name) {
		s.notFound(w, r, nil)
		return
	}
	data, err := s.cfg.Media.Get(r.Context(), name)
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", media.ContentType(name))
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(data)
}
