package shop

import (
	"bufio"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
)

// Crawlers find the storefront's pages from /robots.txt, which names the
// sitemap index /sitemap.xml; the index names, for each channel, a sitemap
// of its fixed pages (/sitemaps/{channel}-pages.xml) and, for each of its
// languages, the sitemaps of its listed products, a block of at most
// 50,000 (the protocol's limit) each in product id order:
// /sitemaps/{channel}-{lang}-{n}.xml, n from 1. A product sitemap is
// written as it is read, a page of products at a time, so a block is never
// held in memory.
//
// The entries carry no xhtml:link hreflang alternates: the sitemaps.org
// schema admits other namespaces' elements only with processContents
// "strict", so a sitemap with them validates only against a schema that
// imports XHTML's; the product pages already name their alternates.

// sitemapURLs is how many URLs a product sitemap holds unless
// Config.SitemapURLs says otherwise. The protocol's other bound, 50 MB, is
// not reached: a slug is at most 80 letters (maxSlugRunes), so an entry is
// at most about 870 bytes even when every letter is a percent-encoded
// Chinese one (9 bytes), 44 MB a block.
const sitemapURLs = 50000

const (
	sitemapNS   = "http://www.sitemaps.org/schemas/sitemap/0.9"
	xmlMIME     = "application/xml; charset=utf-8"
	sitemapsDir = "/sitemaps/"
	pagesSuffix = "-pages"
)

// robots names what crawlers may read: the storefront and the docs, not
// the API.
func (s *Shop) robots(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	io.WriteString(w, "User-agent: *\nAllow: /\nDisallow: /api/\n\nSitemap: "+s.absolute(r, "/sitemap.xml")+"\n")
}

func (s *Shop) sitemapSize() int {
	if s.cfg.SitemapURLs > 0 {
		return s.cfg.SitemapURLs
	}
	return sitemapURLs
}

// sitemapIndex lists every sitemap of every channel.
func (s *Shop) sitemapIndex(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	chans, err := s.svc.Channels.Channels(ctx)
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	// The few counts come first, so that an error is still a clean answer.
	blocks := make([]int, len(chans))
	for i, ch := range chans {
		if blocks[i], err = s.svc.Catalog.SitemapBlocks(ctx, ch, s.sitemapSize()); err != nil {
			s.fail(w, r, nil, err)
			return
		}
	}
	base := s.absolute(r, sitemapsDir)
	bw := s.startXML(w, `<sitemapindex xmlns="`+sitemapNS+`">`)
	for i, ch := range chans {
		writeLoc(bw, "sitemap", base, ch.Code+pagesSuffix+".xml", time.Time{})
		for _, lang := range ch.Languages {
			for n := 1; n <= blocks[i]; n++ {
				writeLoc(bw, "sitemap", base, ch.Code+"-"+lang+"-"+strconv.Itoa(n)+".xml", time.Time{})
			}
		}
	}
	bw.WriteString("</sitemapindex>\n")
	bw.Flush()
}

// sitemap serves one of the sitemaps the index names.
func (s *Shop) sitemap(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".xml")
	if !ok {
		s.notFound(w, r, nil)
		return
	}
	if code, ok := strings.CutSuffix(name, pagesSuffix); ok {
		s.pagesSitemap(w, r, code)
		return
	}
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		s.notFound(w, r, nil)
		return
	}
	n, ok := blockNumber(name[i+1:])
	if !ok {
		s.notFound(w, r, nil)
		return
	}
	ch, lang, ok := s.channelLang(r.Context(), name[:i])
	if !ok {
		s.notFound(w, r, nil)
		return
	}
	s.productsSitemap(w, r, ch, lang, n)
}

// blockNumber reads a product sitemap's number as the index writes it: no
// sign, no leading zero, small enough that no block position overflows.
func blockNumber(s string) (int, bool) {
	if len(s) == 0 || len(s) > 9 || s[0] < '1' || s[0] > '9' {
		return 0, false
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// channelLang finds the channel and language a sitemap's name holds as
// "{channel}-{lang}": both may hold dashes (a code like "mall-hk", a tag
// like "zh-Hant"), so each split is tried, and only a channel's own code,
// with one of its languages, matches.
func (s *Shop) channelLang(ctx context.Context, name string) (channel.Channel, string, bool) {
	for i := strings.IndexByte(name, '-'); i > 0; {
		code, lang := name[:i], name[i+1:]
		if ch, err := s.svc.Channels.Public(ctx, code); err == nil && ch.Code == code && slices.Contains(ch.Languages, lang) {
			return ch, lang, true
		}
		j := strings.IndexByte(name[i+1:], '-')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return channel.Channel{}, "", false
}

// pagesSitemap lists a channel's fixed pages: its home page and its list of
// products in each of its languages.
func (s *Shop) pagesSitemap(w http.ResponseWriter, r *http.Request, code string) {
	ch, err := s.svc.Channels.Public(r.Context(), code)
	if err != nil || ch.Code != code {
		if err == nil || errs.KindOf(err) == errs.NotFound {
			err = errs.E("shop.sitemap", errs.NotFound, "no such sitemap")
		}
		s.fail(w, r, nil, err)
		return
	}
	base := s.absolute(r, "/")
	bw := s.startXML(w, `<urlset xmlns="`+sitemapNS+`">`)
	for _, lang := range ch.Languages {
		writeLoc(bw, "url", base, ch.Code+"/"+lang+"/", time.Time{})
		writeLoc(bw, "url", base, ch.Code+"/"+lang+"/new", time.Time{})
	}
	bw.WriteString("</urlset>\n")
	bw.Flush()
}

// productsSitemap streams the n-th block of a channel's listed products in
// lang. The answer starts with the first product, so a block that holds
// none is still a clean 404; an error after it cuts the connection, so
// that a crawler never takes a truncated sitemap for a whole one.
func (s *Shop) productsSitemap(w http.ResponseWriter, r *http.Request, ch channel.Channel, lang string, n int) {
	base := s.absolute(r, "")
	var bw *bufio.Writer
	err := s.svc.Catalog.SitemapBlock(r.Context(), ch, lang, n, s.sitemapSize(), func(e catalog.SitemapEntry) error {
		if bw == nil {
			bw = s.startXML(w, `<urlset xmlns="`+sitemapNS+`">`)
		}
		return writeLoc(bw, "url", base, productPath(ch.Code, lang, e.Title, e.ID), e.UpdatedAt)
	})
	switch {
	case err != nil && bw == nil:
		s.fail(w, r, nil, err)
	case err != nil:
		if r.Context().Err() == nil && !errors.Is(err, errClientWrite) {
			s.log.ErrorContext(r.Context(), "sitemap cut short", "request_id", s.cfg.RequestID(r.Context()), "path", r.URL.Path, "err", err)
		}
		panic(http.ErrAbortHandler)
	default:
		bw.WriteString("</urlset>\n")
		bw.Flush()
	}
}

// startXML answers 200 with an XML document whose root element opens with
// open, and returns the writer of the rest.
func (s *Shop) startXML(w http.ResponseWriter, open string) *bufio.Writer {
	h := w.Header()
	h.Set("Content-Type", xmlMIME)
	h.Set("Cache-Control", "public, max-age=3600")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	bw.WriteString(xml.Header)
	bw.WriteString(open)
	bw.WriteByte('\n')
	return bw
}

// errClientWrite is a write to the client that failed: the client's doing.
var errClientWrite = errors.New("writing to the client failed")

// writeLoc writes an element (url or sitemap) holding the address of path
// under base (escaped as a URL, then as XML text) and, unless zero, when it
// last changed, in W3C datetime in UTC.
func writeLoc(bw *bufio.Writer, elem, base, path string, mod time.Time) error {
	bw.WriteString("<" + elem + "><loc>")
	xml.EscapeText(bw, []byte(base))
	xml.EscapeText(bw, []byte((&url.URL{Path: path}).EscapedPath()))
	bw.WriteString("</loc>")
	if !mod.IsZero() {
		bw.WriteString("<lastmod>")
		bw.Write(mod.UTC().AppendFormat(make([]byte, 0, 20), time.RFC3339))
		bw.WriteString("</lastmod>")
	}
	if _, err := bw.WriteString("</" + elem + ">\n"); err != nil {
		return errClientWrite
	}
	return nil
}
