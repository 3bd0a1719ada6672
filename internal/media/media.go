// Package media keeps the images merchants upload for their products: each
// is checked (a JPEG, PNG or GIF that decodes), scaled down to the size the
// storefront shows, and stored under a name made of its content, behind a
// small storage interface (files under the data folder by default).
package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/draw"
	_ "image/gif" // uploads may be GIF images
	"image/jpeg"
	"image/png"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"

	"github.com/sesame-market/sesame/internal/errs"
)

// Limits of an upload.
const (
	// MaxBytes bounds an uploaded file.
	MaxBytes = 8 << 20
	// maxPixels bounds what decoding an upload may take.
	maxPixels = 50_000_000
	// MaxSide is the longest side of a stored image: the storefront shows
	// products at most this wide, so a camera's 6,000 pixels are scaled
	// down once, at upload, not in every buyer's browser.
	MaxSide = 1200
)

// Store keeps files by name.
type Store interface {
	// Put stores data as name; storing the same name twice keeps one.
	Put(ctx context.Context, name string, data []byte) error
	// Get returns the file name; NotFound if there is none.
	Get(ctx context.Context, name string) ([]byte, error)
}

// namePattern is what a stored name is: a hash and the format's extension.
var namePattern = regexp.MustCompile(`^[0-9a-f]{64}\.(jpg|png)$`)

// ValidName reports whether name can be a stored image's name.
func ValidName(name string) bool { return namePattern.MatchString(name) }

// ContentType is the type of a stored image by its name.
func ContentType(name string) string {
	if filepath.Ext(name) == ".png" {
		return "image/png"
	}
	return "image/jpeg"
}

// Prepare checks an upload and makes the image to store: a JPEG, PNG or GIF
// of at most MaxBytes that decodes, scaled down to MaxSide (PNG and GIF
// images become PNG, keeping their transparency; JPEG stays JPEG). The name
// is the stored bytes' SHA-256, so the same image uploaded twice is stored
// once. Errors: Invalid.
func Prepare(data []byte) (name string, out []byte, err error) {
	const op = "media.Prepare"
	if len(data) == 0 {
		return "", nil, errs.Field(op, "image", "the file is empty")
	}
	if len(data) > MaxBytes {
		return "", nil, errs.Field(op, "image", "an image is at most 8 MiB")
	}
	ct := http.DetectContentType(data)
	if ct != "image/jpeg" && ct != "image/png" && ct != "image/gif" {
		return "", nil, errs.Field(op, "image", "an image is a JPEG, PNG or GIF file")
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width < 1 || cfg.Height < 1 || cfg.Width*cfg.Height > maxPixels {
		return "", nil, errs.Field(op, "image", "the image cannot be read, or has more than 50 million pixels")
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return "", nil, errs.Field(op, "image", "the image cannot be read")
	}
	img = scale(img, MaxSide)
	var buf bytes.Buffer
	ext := ".png"
	if ct == "image/jpeg" {
		ext = ".jpg"
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	} else {
		err = png.Encode(&buf, img)
	}
	if err != nil {
		return "", nil, errs.E(op, errs.Other, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:]) + ext, buf.Bytes(), nil
}

// scale returns img with its longest side at most side, by averaging the
// source pixels each target pixel covers (a box filter: sharp enough for a
// product photo scaled down, and with no dependency).
func scale(img image.Image, side int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= side && h <= side {
		return img
	}
	nw, nh := side, h*side/w
	if h > w {
		nw, nh = w*side/h, side
	}
	nw, nh = max(nw, 1), max(nh, 1)
	src := image.NewNRGBA(b)
	draw.Draw(src, b, img, b.Min, draw.Src)
	dst := image.NewNRGBA(image.Rect(0, 0, nw, nh))
	for y := range nh {
		y0, y1 := y*h/nh, max((y+1)*h/nh, y*h/nh+1)
		for x := range nw {
			x0, x1 := x*w/nw, max((x+1)*w/nw, x*w/nw+1)
			var r, g, bl, a, n uint64
			for sy := y0; sy < y1; sy++ {
				row := src.Pix[sy*src.Stride:]
				for sx := x0; sx < x1; sx++ {
					p := row[sx*4 : sx*4+4]
					r, g, bl, a, n = r+uint64(p[0]), g+uint64(p[1]), bl+uint64(p[2]), a+uint64(p[3]), n+1
				}
			}
			o := dst.Pix[y*dst.Stride+x*4:]
			o[0], o[1], o[2], o[3] = uint8(r/n), uint8(g/n), uint8(bl/n), uint8(a/n)
		}
	}
	return dst
}

// Dir is a Store of files in a folder (created at the first Put).
type Dir string

var _ Store = Dir("")

// Put writes the file through a temporary one, so that no reader sees half
// an image.
func (d Dir) Put(ctx context.Context, name string, data []byte) error {
	const op = "media.Put"
	if !ValidName(name) {
		return errs.E(op, errs.Invalid, "not a media name")
	}
	if err := os.MkdirAll(string(d), 0o755); err != nil {
		return errs.E(op, errs.Other, err)
	}
	f, err := os.CreateTemp(string(d), ".upload-*")
	if err != nil {
		return errs.E(op, errs.Other, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(string(d), name))
	}
	if err != nil {
		os.Remove(f.Name())
		return errs.E(op, errs.Other, err)
	}
	return nil
}

// Get reads the file.
func (d Dir) Get(ctx context.Context, name string) ([]byte, error) {
	const op = "media.Get"
	if !ValidName(name) {
		return nil, errs.E(op, errs.NotFound, "no such media")
	}
	b, err := os.ReadFile(filepath.Join(string(d), name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errs.E(op, errs.NotFound, "no such media")
	}
	if err != nil {
		return nil, errs.E(op, errs.Other, err)
	}
	return b, nil
}
