package sqlstore

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

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
		V: productDocV, ID: p.ID, MerchantID: p.MerchantID, MerchantName: p.MerchantName,
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
		ID: d.ID, MerchantID: d.MerchantID, MerchantName: d.MerchantName,
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

// products.doc holds the document compressed with zstd and a dictionary of
// the document's structure (dicts/doc-1.zstd; about 3 times smaller: ids and
// field names repeat); a document written before it was
// compressed is its JSON text, which starts with "{" and is read as it is.
// The document is read only to edit a product, for its owner and for events,
// never on buyers' reads, so the cost of compression falls on writes.

// docCodec compresses documents. A zstd encoder and decoder are safe for
// concurrent use and hold only their fixed settings and reusable buffers,
// so one pair serves the process.
var docCodec = newDocCodec()

type zstdCodec struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

// docDictID names dicts/doc-1.zstd in the frames compressed with it (zstd
// records it), so the decoder finds it; a frame without one (written before
// the dictionary) decodes without.
const docDictID = 1

func newDocCodec() zstdCodec {
	dict := mustDict("dicts/doc-1.zstd")
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true),
		zstd.WithEncoderDictRaw(docDictID, dict))
	if err != nil {
		panic("sqlstore: zstd encoder: " + err.Error())
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(64<<20), zstd.WithDecoderDictRaw(docDictID, dict))
	if err != nil {
		panic("sqlstore: zstd decoder: " + err.Error())
	}
	return zstdCodec{enc, dec}
}

// storeDoc is the value stored in products.doc for p.
func storeDoc(p catalog.Product) []byte {
	return docCodec.enc.EncodeAll([]byte(encodeProduct(p)), nil)
}

// loadProduct reads a products.doc value: compressed or, written before
// compression, plain JSON.
func loadProduct(op string, stored []byte) (catalog.Product, error) {
	if len(stored) > 0 && stored[0] != '{' {
		doc, err := docCodec.dec.DecodeAll(stored, nil)
		if err != nil {
			return catalog.Product{}, errs.E(op, errs.Internal, fmt.Errorf("product document: %w", err))
		}
		stored = doc
	}
	return decodeProduct(op, stored)
}
