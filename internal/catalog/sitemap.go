package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
)

// SitemapEntry is what a sitemap says of a product listed on a channel: its
// id, its title in one language (after the fallback a View makes, so the
// title the product page shows and its address is made of), and when it
// last changed.
type SitemapEntry struct {
	ID        string
	Title     string
	UpdatedAt time.Time
}

// SitemapEntry reads product id's sitemap entry in language lang of channel
// ch from its pre-rendered pieces, without assembling the View: the title
// of the translation Append would show, and the View's updated_at. It
// reports false when the pieces cannot say (malformed): the caller then
// reads the product itself (EntryOf).
func (r *Rendered) SitemapEntry(id string, ch *channel.Channel, lang string) (SitemapEntry, bool) {
	e := SitemapEntry{ID: id}
	used := textLang(func(l string) bool {
		for _, t := range r.Texts {
			if string(t.Lang) == l {
				return true
			}
		}
		return false
	}, func() string {
		if len(r.Texts) == 0 {
			return ""
		}
		return string(r.Texts[0].Lang)
	}, lang, ch.DefaultLanguage)
	for _, t := range r.Texts {
		if string(t.Lang) == used {
			title, err := renderedTitle(t.JSON)
			if err != nil {
				return e, false
			}
			e.Title = title
		}
	}
	// Tail is `],"updated_at":"…"}` (see Render).
	at, ok := bytes.CutPrefix(r.Tail, []byte(`],"updated_at":`))
	if at, ok2 := bytes.CutSuffix(at, []byte("}")); ok && ok2 && json.Unmarshal(at, &e.UpdatedAt) == nil {
		return e, true
	}
	return e, false
}

var errRenderedText = errors.New("rendered text has no title")

// renderedTitle is the title in a translation's members as textMembers
// writes them: `"lang":…,"title":"…",…`. A language tag holds no quote, so
// the first `,"title":` is the member's.
func renderedTitle(members []byte) (string, error) {
	const key = `,"title":`
	i := bytes.Index(members, []byte(key))
	if i < 0 {
		return "", errRenderedText
	}
	s := members[i+len(key):]
	if len(s) == 0 || s[0] != '"' {
		return "", errRenderedText
	}
	end := 1
	for ; end < len(s) && s[end] != '"'; end++ {
		if s[end] == '\\' {
			end++
		}
	}
	if end >= len(s) {
		return "", errRenderedText
	}
	var title string
	err := json.Unmarshal(s[:end+1], &title)
	return title, err
}

// EntryOf is p's sitemap entry in language lang of channel ch, read from
// the product itself: what SitemapEntry reads from its rendered pieces.
func EntryOf(p Product, ch *channel.Channel, lang string) SitemapEntry {
	t, _ := p.Text(lang, ch.DefaultLanguage)
	return SitemapEntry{ID: p.ID, Title: t.Title, UpdatedAt: p.UpdatedAt}
}

// SitemapBlocks is how many blocks of size products (at least 1) channel
// ch's listed products make: the sitemaps of its products in each of its
// languages. Errors: those of the store.
func (s *Service) SitemapBlocks(ctx context.Context, ch channel.Channel, size int) (int, error) {
	n, err := s.Store.ListedCount(ctx, ch.ID)
	if err != nil {
		return 0, err
	}
	size = max(size, 1)
	return (n + size - 1) / size, nil
}

// SitemapBlock calls fn, in product id order, with the entry in language
// lang (one of ch's) of each product of the n-th block (from 1) of size
// products listed on ch; it stops at fn's first error and returns it. The
// block's start is found by its position among the channel's listings, so
// a product listed or unlisted meanwhile shifts the later blocks by one: a
// crawler reading them at different times may see a product twice or miss
// it until its next visit. The store reads the block in pages and calls
// fn between them, so neither the block nor a slow reader holds anything
// for long. Errors: NotFound when the block holds no product (n beyond the
// last block, or below 1); those of the store; fn's.
func (s *Service) SitemapBlock(ctx context.Context, ch channel.Channel, lang string, n, size int, fn func(SitemapEntry) error) error {
	const op = "catalog.SitemapBlock"
	notFound := errs.E(op, errs.NotFound, "no such sitemap")
	size = max(size, 1)
	if n < 1 || n > maxInt/size {
		return notFound
	}
	after := ""
	if n > 1 {
		id, err := s.Store.ListedAt(ctx, ch.ID, (n-1)*size-1)
		if errs.KindOf(err) == errs.NotFound {
			return notFound
		} else if err != nil {
			return err
		}
		after = id
	}
	seen := false
	err := s.Store.ListedEntries(ctx, ch, lang, after, size, func(e SitemapEntry) error {
		seen = true
		return fn(e)
	})
	if err == nil && !seen {
		return notFound
	}
	return err
}

const maxInt = int(^uint(0) >> 1)
