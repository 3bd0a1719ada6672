// Command sweep walks a running Sesame's public product list page by page
// and writes the request paths a cold-read benchmark replays: every page's
// cursor (so each request is a distinct page, which no page cache has seen
// twice in a row) and a random sample of product ids for the detail read.
//
//	go run ./scripts/sweep -base http://127.0.0.1:18080 -channel bazaar -pages 15000 -ids 50000 -out /tmp/sweep
//
// writes /tmp/sweep/pages.txt and /tmp/sweep/products.txt, one path a line.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	base := flag.String("base", "http://127.0.0.1:18080", "Sesame's address")
	ch := flag.String("channel", "bazaar", "channel code")
	pages := flag.Int("pages", 15000, "distinct pages to collect")
	limit := flag.Int("limit", 20, "page size")
	nids := flag.Int("ids", 50000, "product ids to sample")
	out := flag.String("out", "sweep", "output folder")
	flag.Parse()
	if err := run(*base, *ch, *pages, *limit, *nids, *out); err != nil {
		fmt.Fprintln(os.Stderr, "sweep:", err)
		os.Exit(1)
	}
}

func run(base, ch string, pages, limit, nids int, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	c := &http.Client{Timeout: 30 * time.Second}
	var paths, ids []string
	cursor := ""
	start := time.Now()
	for len(paths) < pages {
		p := fmt.Sprintf("/api/v1/products?channel=%s&limit=%d", url.QueryEscape(ch), limit)
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		var pg struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		resp, err := c.Get(base + p)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return fmt.Errorf("GET %s: %s", p, resp.Status)
		}
		err = json.NewDecoder(resp.Body).Decode(&pg)
		resp.Body.Close()
		if err != nil {
			return err
		}
		paths = append(paths, p)
		for _, it := range pg.Items {
			ids = append(ids, it.ID)
		}
		if pg.NextCursor == "" {
			break
		}
		cursor = pg.NextCursor
	}
	rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	ids = ids[:min(nids, len(ids))]
	det := make([]string, len(ids))
	for i, id := range ids {
		det[i] = "/api/v1/products/" + id + "?channel=" + url.QueryEscape(ch)
	}
	// Pages in random order too: a sweep in page order would let the
	// database's own page cache help more than a crowd of buyers does.
	rand.Shuffle(len(paths), func(i, j int) { paths[i], paths[j] = paths[j], paths[i] })
	if err := os.WriteFile(filepath.Join(out, "pages.txt"), []byte(strings.Join(paths, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "products.txt"), []byte(strings.Join(det, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Printf("%d pages and %d product ids collected in %s\n", len(paths), len(det), time.Since(start).Round(time.Millisecond))
	return nil
}
