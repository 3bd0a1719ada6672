package media_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/media"
)

func encoded(t *testing.T, w, h int, asJPEG bool) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var b bytes.Buffer
	var err error
	if asJPEG {
		err = jpeg.Encode(&b, img, nil)
	} else {
		err = png.Encode(&b, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestPrepare: an upload is scaled down to MaxSide on its longest side,
// keeps its format family, is named by its content, and anything but a
// readable image is refused.
func TestPrepare(t *testing.T) {
	for _, c := range []struct {
		name         string
		data         []byte
		ext          string
		wantW, wantH int
	}{
		{"wide png", encoded(t, 3000, 1500, false), ".png", 1200, 600},
		{"tall jpeg", encoded(t, 900, 1800, true), ".jpg", 600, 1200},
		{"small png kept", encoded(t, 300, 200, false), ".png", 300, 200},
	} {
		name, out, err := media.Prepare(c.data)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(out))
		if err != nil || cfg.Width != c.wantW || cfg.Height != c.wantH || !media.ValidName(name) || name[len(name)-4:] != c.ext {
			t.Errorf("%s: %s %dx%d (%v)", c.name, name, cfg.Width, cfg.Height, err)
		}
		again, _, _ := media.Prepare(c.data)
		if again != name {
			t.Errorf("%s: the same image is named %s then %s", c.name, name, again)
		}
	}
	for _, bad := range [][]byte{nil, []byte("plain text"), []byte("\x89PNG\r\n\x1a\n broken"), make([]byte, media.MaxBytes+1)} {
		if _, _, err := media.Prepare(bad); !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "image" {
			t.Errorf("%.20q: %v", bad, err)
		}
	}
}

// TestDir: a folder keeps what is put, by name, and refuses names that
// are not an image's.
func TestDir(t *testing.T) {
	ctx := context.Background()
	d := media.Dir(t.TempDir() + "/media")
	name, out, err := media.Prepare(encoded(t, 20, 20, false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Get(ctx, name); !errs.Is(err, errs.NotFound) {
		t.Errorf("before Put: %v", err)
	}
	if err := d.Put(ctx, name, out); err != nil {
		t.Fatal(err)
	}
	got, err := d.Get(ctx, name)
	if err != nil || !bytes.Equal(got, out) {
		t.Errorf("Get: %v", err)
	}
	for _, n := range []string{"../etc/passwd", "x.png", name + "/..", ""} {
		if err := d.Put(ctx, n, out); err == nil {
			t.Errorf("Put %q accepted", n)
		}
		if _, err := d.Get(ctx, n); !errs.Is(err, errs.NotFound) {
			t.Errorf("Get %q: %v", n, err)
		}
	}
}
