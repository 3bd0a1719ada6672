package shop

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var staticFS embed.FS

// An asset is a static file served under a name that carries a hash of its
// content, so that browsers may keep it for a year: a changed file gets a
// new name, and every page names the new one.
type asset struct {
	name, ctype string
	body        []byte
}

// assets are the storefront's static files by their plain name, and the
// hashed names they are served at.
type assets struct {
	byName   map[string]string // plain name -> /static/shop/hashed
	byHashed map[string]asset  // hashed -> file
}

func loadAssets() (*assets, error) {
	a := &assets{byName: map[string]string{}, byHashed: map[string]asset{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(body)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		a.byName[name] = "/static/shop/" + hashed
		a.byHashed[hashed] = asset{name: name, ctype: mime.TypeByExtension(ext), body: body}
		return nil
	})
	return a, err
}

// url is the address of the asset called name; a name that is no asset
// is a template's mistake, caught by the tests that render every page.
func (a *assets) url(name string) string {
	if u, ok := a.byName[name]; ok {
		return u
	}
	return "/static/shop/missing-" + name
}

func (a *assets) serve(w http.ResponseWriter, r *http.Request) {
	f, ok := a.byHashed[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.body))
}
