package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/feed"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/sqlstore"
)

const importUsage = `Usage: sesame import --merchant ID [--data DIR | --db postgres://...] [--format csv|jsonl] [--errors FILE] FILE

Imports a catalogue feed (CSV or JSON Lines, see docs/import.md) into the
merchant's catalogue, in the store serve uses. FILE - reads standard input.
A line whose ref the merchant already uses updates that product; a refused
line is written to the error report (line, field, reason) and the others are
imported. Run it again after an interruption to finish: the lines already
imported are left as they are. The exit status is 1 when a line was refused.

Whoever runs this command on the store acts as one of the marketplace's
operators: it imports for any merchant, with the rules a merchant's own
import meets (brand and listing rules included).

Flags:
`

// importFeed is the import command: it reads FILE into the merchant's
// catalogue, with a progress bar on stderr when it is a terminal and plain
// lines of progress otherwise, and the summary on stderr.
func importFeed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	env := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() { fmt.Fprint(stdout, importUsage); fs.PrintDefaults() }
	merchantID := fs.String("merchant", "", "the merchant whose catalogue the feed is (required)")
	data := fs.String("data", env("SESAME_DATA", "./sesame-data"), "data folder, with the SQLite database (SESAME_DATA)")
	dsn := fs.String("db", env("SESAME_DB", ""), "database: a postgres:// URL, or empty for SQLite in the data folder (SESAME_DB)")
	syncFull := fs.Bool("sync-full", env("SESAME_SYNC_FULL", "") == "1" || env("SESAME_SYNC_FULL", "") == "true", "SQLite: fsync every commit (SESAME_SYNC_FULL)")
	format := fs.String("format", "", "csv or jsonl (ndjson); by default FILE's extension")
	report := fs.String("errors", "", "the error report (CSV: line, field, reason); by default FILE.errors.csv")
	batchSize := fs.Int("batch", feed.DefaultBatch, "lines stored in one transaction")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *merchantID == "" {
		fs.Usage()
		return errors.New("import needs --merchant and one FILE")
	}
	name := fs.Arg(0)
	f, err := feed.FormatOf(name, *format)
	if err != nil {
		return err
	}
	if *report == "" {
		*report = name + ".errors.csv"
		if name == "-" {
			*report = "import.errors.csv"
		}
	}
	in, size := io.Reader(os.Stdin), int64(-1)
	if name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return err
		}
		defer file.Close()
		if st, err := file.Stat(); err == nil {
			size = st.Size()
		}
		in = file
	}
	if *dsn == "" {
		if err := os.MkdirAll(*data, 0o755); err != nil {
			return fmt.Errorf("data folder: %w", err)
		}
		*dsn = filepath.Join(*data, "sesame.db")
	}
	db, err := sqlstore.Open(ctx, *dsn, sqlstore.Options{SyncFull: *syncFull, Formatters: money.NewFormatters(money.DefaultFormattersSize)})
	if err != nil {
		return err
	}
	defer db.Close()

	operator := identity.System
	m, err := merchant.NewService(db.Merchants()).Merchant(ctx, operator, *merchantID)
	if err != nil {
		return fmt.Errorf("merchant %s: %w", *merchantID, err)
	}
	cat := catalog.NewService(db.Catalog(), channel.NewService(db.Channels()))
	cat.Formatters = db.Formatters

	rep, err := os.Create(*report)
	if err != nil {
		return err
	}
	defer rep.Close()

	show := newImportProgress(stderr, size)
	start := time.Now()
	p, err := feed.Run(ctx, cat, in, feed.Options{Actor: operator, MerchantID: m.ID, Format: f, Batch: *batchSize, Report: rep, OnProgress: show.update})
	show.done(p)
	if cerr := rep.Close(); err == nil && cerr != nil {
		err = cerr
	}
	took := time.Since(start).Round(time.Millisecond)
	fmt.Fprintf(stderr, "%s: %d lines in %s: %d created, %d updated, %d unchanged, %d refused (report: %s)\n",
		m.Name, p.Lines, took, p.Created, p.Updated, p.Unchanged, p.Refused, *report)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("import interrupted after %d lines: run it again to finish", p.Lines)
		}
		return err
	}
	if p.Refused > 0 {
		return fmt.Errorf("%d lines refused: see %s", p.Refused, *report)
	}
	return nil
}

// importProgress shows an import's progress on a terminal as a bar (of the
// feed's bytes), elsewhere as a line every few seconds.
type importProgress struct {
	w    io.Writer
	bar  *progressbar.ProgressBar
	last time.Time
}

func newImportProgress(w io.Writer, size int64) *importProgress {
	ip := &importProgress{w: w, last: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		ip.bar = progressbar.NewOptions64(size, progressbar.OptionSetWriter(w), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription("importing"), progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionSetWidth(30), progressbar.OptionShowElapsedTimeOnFinish(), progressbar.OptionClearOnFinish())
	}
	return ip
}

func (ip *importProgress) update(p feed.Progress) {
	if ip.bar != nil {
		ip.bar.Describe(fmt.Sprintf("%d imported, %d refused", p.Imported(), p.Refused))
		ip.bar.Set64(p.Bytes)
		return
	}
	if time.Since(ip.last) >= 5*time.Second {
		ip.last = time.Now()
		fmt.Fprintf(ip.w, "import: %d lines, %d imported, %d refused, %.1f MB read\n", p.Lines, p.Imported(), p.Refused, float64(p.Bytes)/1e6)
	}
}

func (ip *importProgress) done(feed.Progress) {
	if ip.bar != nil {
		ip.bar.Finish()
	}
}
