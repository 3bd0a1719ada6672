package sqlstore

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/money"
)

// productDocV is the version of the product document this code writes.
// Documents written before the document had a version carry no "v" and are
// version 1: the same shape.
const productDocV = 1

// productDoc is the stored form of a product (products.doc). It is its own
// type, with its own JSON names, so that renaming a field of the API's
// catalog.Product cannot silently change what is in the database; a change to
// this shape is a new version, decoded here beside the old ones.
type productDoc struct {
	V             int                `json:"v"`
	ID            string             `json:"id"`
	MerchantID    string             `json:"merchant_id"`
	MerchantName  string             `json:"merchant_name"`
	Ref           string             `json:"ref,omitempty"`
	BrandID       string             `json:"brand_id,omitempty"`
	BrandName     string             `json:"brand_name,omitempty"`
	CategoryID    string             `json:"category_id"`
	OriginCountry string             `json:"origin_country"`
	Translations  map[string]textDoc `json:"translations"`
	Media         []string           `json:"media"`
	Attributes    map[string]string  `json:"attributes"`
	Variants      []variantDoc       `json:"variants"`
	// Channels is kept as it has always been written (empty); the listings
	// table, not the document, says where a product is listed.
	Channels  []string  `json:"channel_ids"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// textDoc is the stored form of a catalog.Text.
type textDoc struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// variantDoc is the stored form of a catalog.Variant.
type variantDoc struct {
	ID      string            `json:"id"`
	SKU     string            `json:"sku"`
	Options map[string]string `json:"options,omitempty"`
	Prices  []priceDoc        `json:"prices"`
}

// priceDoc is the stored form of a catalog.Price.
type priceDoc struct {
	ChannelID string `json:"channel_id"`
	Minor     int64  `json:"amount"`
	Currency  string `json:"currency"`
}

// docOf is the stored document of p, at the current version. Nil and empty
// collections stay as they are, so documents keep the shape they always had.
func docOf(p catalog.Product) productDoc {
	d := productDoc{
		V: productDocV, ID: p.ID, MerchantID: p.MerchantID, MerchantName: p.MerchantName, Ref: p.Ref,
		BrandID: p.BrandID, BrandName: p.BrandName, CategoryID: p.CategoryID, OriginCountry: p.OriginCountry,
		Media: slices.Clone(p.Media), Attributes: maps.Clone(p.Attributes), Channels: slices.Clone(p.Channels),
		Version: p.Version, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
	if p.Translations != nil {
		d.Translations = make(map[string]textDoc, len(p.Translations))
		for l, t := range p.Translations {
			d.Translations[l] = textDoc{Title: t.Title, Description: t.Description}
		}
	}
	if p.Variants != nil {
		d.Variants = make([]variantDoc, len(p.Variants))
		for i, v := range p.Variants {
			vd := variantDoc{ID: v.ID, SKU: v.SKU, Options: maps.Clone(v.Options)}
			if v.Prices != nil {
				vd.Prices = make([]priceDoc, len(v.Prices))
				for j, pr := range v.Prices {
					vd.Prices[j] = priceDoc{ChannelID: pr.ChannelID, Minor: pr.Minor, Currency: pr.Currency}
				}
			}
			d.Variants[i] = vd
		}
	}
	return d
}

// product is the catalogue's product that d stores.
func (d productDoc) product() catalog.Product {
	p := catalog.Product{
		ID: d.ID, MerchantID: d.MerchantID, MerchantName: d.MerchantName, Ref: d.Ref,
		BrandID: d.BrandID, BrandName: d.BrandName, CategoryID: d.CategoryID, OriginCountry: d.OriginCountry,
		Media: slices.Clone(d.Media), Attributes: maps.Clone(d.Attributes), Channels: slices.Clone(d.Channels),
		Version: d.Version, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
	if d.Translations != nil {
		p.Translations = make(map[string]catalog.Text, len(d.Translations))
		for l, t := range d.Translations {
			p.Translations[l] = catalog.Text{Title: t.Title, Description: t.Description}
		}
	}
	if d.Variants != nil {
		p.Variants = make([]catalog.Variant, len(d.Variants))
		for i, vd := range d.Variants {
			v := catalog.Variant{ID: vd.ID, SKU: vd.SKU, Options: maps.Clone(vd.Options)}
			if vd.Prices != nil {
				v.Prices = make([]catalog.Price, len(vd.Prices))
				for j, pr := range vd.Prices {
					v.Prices[j] = catalog.Price{ChannelID: pr.ChannelID, Amount: money.Amount{Minor: pr.Minor, Currency: pr.Currency}}
				}
			}
			p.Variants[i] = v
		}
	}
	return p
}

// encodeProduct is the text stored in products.doc for p.
func encodeProduct(p catalog.Product) string { return jsonText(docOf(p)) }

// decodeProduct reads a products.doc text of any version this code knows.
// A document of an unknown version (written by a newer Sesame) is an
// Internal error rather than a product read with fields missing.
func decodeProduct(op string, doc []byte) (catalog.Product, error) {
	var d productDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		return catalog.Product{}, errs.E(op, errs.Internal, fmt.Errorf("product document: %w", err))
	}
	switch d.V {
	case 0, 1: // no "v": written before the document was versioned, same shape
		return d.product(), nil
	}
	return catalog.Product{}, errs.E(op, errs.Internal,
		fmt.Errorf("product document %s has version %d; this Sesame reads versions up to %d", d.ID, d.V, productDocV))
}

// products.doc holds the document compressed, with a dictionary of the
// document's structure (dicts/doc-1.zstd, raw content; ids and field names
// repeat). It is written with S2: a 1.6 KB document becomes about 650
// bytes in under 10 µs. Documents written earlier are read as they were
// stored: zstd frames with the same dictionary (about 540 bytes, but four
// times the CPU to write, which a bulk import of a million products
// pays on its single writer's critical path), or, before compression,
// their JSON text, which starts with "{". The document is read only to
// edit a product, for its owner and for events, never on buyers' reads.

// docS2Dict marks a document compressed with S2 and docDict.
const docS2Dict = 0x01

// docDict is the S2 form of the documents' dictionary; read-only once made.
var docDict = s2.MakeDict(mustDict("dicts/doc-1.zstd"), nil)

// docCodec decompresses documents written with zstd. A zstd decoder is safe
// for concurrent use and holds only its fixed settings and reusable
// buffers, so one serves the process.
var docCodec = newDocCodec()

type zstdCodec struct {
	dec *zstd.Decoder
}

// docDictID names dicts/doc-1.zstd in the zstd frames compressed with it
// (zstd records it), so the decoder finds it; a frame without one (written
// before the dictionary) decodes without.
const docDictID = 1

func newDocCodec() zstdCodec {
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(64<<20),
		zstd.WithDecoderDictRaw(docDictID, mustDict("dicts/doc-1.zstd")))
	if err != nil {
		panic("sqlstore: zstd decoder: " + err.Error())
	}
	return zstdCodec{dec}
}

// storeDoc is the value stored in products.doc for p.
func storeDoc(p catalog.Product) []byte {
	return append([]byte{docS2Dict}, docDict.Encode(nil, []byte(encodeProduct(p)))...)
}

// loadProduct reads a products.doc value, in any of the forms it has been
// stored in.
func loadProduct(op string, stored []byte) (catalog.Product, error) {
	doc, err := docJSON(stored)
	if err != nil {
		return catalog.Product{}, errs.E(op, errs.Internal, fmt.Errorf("product document: %w", err))
	}
	return decodeProduct(op, doc)
}

// docJSON is the JSON of a stored products.doc value.
func docJSON(stored []byte) ([]byte, error) {
	switch {
	case len(stored) == 0 || stored[0] == '{':
		return stored, nil
	case stored[0] == docS2Dict:
		return docDict.Decode(nil, stored[1:])
	default:
		return docCodec.dec.DecodeAll(stored, nil)
	}
}
