// Package feed imports catalogue feeds: CSV and JSON Lines files of a
// merchant's products, read as a stream (a few batches in memory whatever
// the file's size), each line checked and stored by catalog.Service's
// ImportLines, the refused lines written to an error report (line, field,
// reason). The formats are described in docs/import.md.
//
// Run drives one import and reports its progress to a callback, for a
// terminal's progress bar as for a web page's.
package feed

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
)

// Format is a feed's format.
type Format string

// The formats a feed may have.
const (
	CSV       Format = "csv"
	JSONLines Format = "jsonl"
	// DefaultBatch is how many lines an import stores in one transaction.
	DefaultBatch = 2000
)

// maxLineLen is the longest line of a JSON Lines feed, in bytes.
const maxLineLen = 1 << 20

// FormatOf is the format a file name's extension says (.csv, .jsonl,
// .ndjson), or given (csv, jsonl, ndjson) when given is not empty.
// Errors: Invalid.
func FormatOf(name, given string) (Format, error) {
	const op = "feed.FormatOf"
	f := strings.ToLower(given)
	if f == "" {
		f = strings.TrimPrefix(strings.ToLower(filepath.Ext(name)), ".")
	}
	switch f {
	case "csv":
		return CSV, nil
	case "jsonl", "ndjson":
		return JSONLines, nil
	}
	if given != "" {
		return "", errs.Field(op, "format", "unknown format "+strconv.Quote(given)+": csv or jsonl")
	}
	return "", errs.Field(op, "format", "cannot tell the format of "+strconv.Quote(name)+" from its extension: give csv or jsonl")
}

// Importer stores a batch of a feed's lines: catalog.Service.
type Importer interface {
	ImportLines(ctx context.Context, actor identity.Actor, merchantID string, lines []catalog.Line) (catalog.ImportResult, error)
}

// Progress is how far an import has gone. Every line read is counted once
// in Created, Updated, Unchanged or Refused once its batch is stored.
type Progress struct {
	Bytes     int64 // bytes of the feed read
	Lines     int64 // lines read (a CSV's header included)
	Created   int64
	Updated   int64
	Unchanged int64
	Refused   int64
}

// Imported is how many lines were stored: created, updated or unchanged.
func (p Progress) Imported() int64 { return p.Created + p.Updated + p.Unchanged }

// Options is one import's settings.
type Options struct {
	// Actor imports for MerchantID (see catalog.Service.ImportLines for who may).
	Actor      identity.Actor
	MerchantID string
	Format     Format
	// Batch is how many lines are stored in one transaction; 0 is DefaultBatch.
	Batch int
	// Report, if not nil, receives the error report: a CSV with the header
	// line,field,reason and one record per refused line, in line order.
	Report io.Writer
	// OnProgress, if not nil, is called after each batch is stored, from
	// Run's goroutine.
	OnProgress func(Progress)
}

// Run imports the feed r as o says, and returns how far it went: on ctx's
// end, what was stored before it (importing the feed again finishes the
// job). A line refused is reported and the import goes on; the error is for
// what stops it: a feed it cannot read (Invalid: a bad CSV header), the
// actor (Forbidden), the store.
func Run(ctx context.Context, imp Importer, r io.Reader, o Options) (Progress, error) {
	const op = "feed.Run"
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	var rep *csv.Writer
	if o.Report != nil {
		rep = csv.NewWriter(o.Report)
		if err := rep.Write([]string{"line", "field", "reason"}); err != nil {
			return Progress{}, errs.E(op, errs.Other, err)
		}
	}
	cr := &countingReader{r: r}
	var dec decoder
	var err error
	switch o.Format {
	case CSV:
		dec, err = newCSVDecoder(cr)
	case JSONLines:
		dec = newJSONDecoder(cr)
	default:
		err = errs.Field(op, "format", "unknown format "+strconv.Quote(string(o.Format)))
	}
	if err != nil {
		return Progress{}, err
	}

	// The feed is read and decoded on a goroutine of its own, a batch ahead
	// of the one being stored: two batches in memory at most, and a third
	// being filled.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan batch, 1)
	readErr := make(chan error, 1)
	go func() {
		defer close(batches)
		readErr <- readBatches(ctx, dec, cr, o.Batch, batches)
	}()

	var p Progress
	var runErr error
	for b := range batches {
		if runErr != nil {
			continue // drain, so that the reader ends
		}
		refused := b.refused
		if len(b.lines) > 0 {
			res, err := imp.ImportLines(ctx, o.Actor, o.MerchantID, b.lines)
			if err != nil {
				runErr = err
				cancel()
				continue
			}
			p.Created += int64(res.Created)
			p.Updated += int64(res.Updated)
			p.Unchanged += int64(res.Unchanged)
			refused = append(refused, res.Refused...)
		}
		slices.SortFunc(refused, func(a, b catalog.LineError) int { return a.Line - b.Line })
		p.Refused += int64(len(refused))
		p.Lines, p.Bytes = b.read, b.bytes
		if rep != nil {
			for _, e := range refused {
				if err := rep.Write([]string{strconv.Itoa(e.Line), e.Field, e.Reason}); err != nil {
					runErr = errs.E(op, errs.Other, err)
					cancel()
					break
				}
			}
			rep.Flush()
			if err := rep.Error(); err != nil && runErr == nil {
				runErr = errs.E(op, errs.Other, err)
				cancel()
			}
		}
		if o.OnProgress != nil {
			o.OnProgress(p)
		}
	}
	err = <-readErr
	if runErr != nil {
		return p, runErr
	}
	if err == nil {
		err = ctx.Err()
	}
	return p, err
}

// batch is lines to store, the lines refused as they were read, and how far
// the feed had been read at its end.
type batch struct {
	lines   []catalog.Line
	refused []catalog.LineError
	read    int64 // lines read up to the batch's end
	bytes   int64
}

// readBatches decodes lines from dec into batches of up to size lines, and
// cuts a batch short before a line whose ref it holds already, so that the
// later line updates what the earlier one wrote, as in a feed read twice.
func readBatches(ctx context.Context, dec decoder, cr *countingReader, size int, out chan<- batch) error {
	b := batch{}
	refs := map[string]bool{}
	send := func() error {
		b.read, b.bytes = int64(dec.lineNo()), cr.n
		select {
		case out <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
		b = batch{lines: make([]catalog.Line, 0, size)}
		clear(refs)
		return nil
	}
	for {
		l, err := dec.next()
		var le *lineError
		switch {
		case err == io.EOF:
			if len(b.lines) > 0 || len(b.refused) > 0 || dec.lineNo() > 0 {
				return send()
			}
			return nil
		case errors.As(err, &le):
			b.refused = append(b.refused, catalog.LineError{Line: le.line, Field: le.field, Reason: le.reason})
		case err != nil:
			return err
		default:
			if refs[l.Ref] {
				if err := send(); err != nil {
					return err
				}
			}
			refs[l.Ref] = true
			b.lines = append(b.lines, l)
		}
		if len(b.lines)+len(b.refused) >= size {
			if err := send(); err != nil {
				return err
			}
		}
	}
}

// decoder reads a feed's lines one at a time.
type decoder interface {
	// next is the next line's product; a *lineError for a line that cannot
	// be read as one (the feed goes on); io.EOF at the end; another error
	// when the feed cannot be read further.
	next() (catalog.Line, error)
	// lineNo is the number of the last line read.
	lineNo() int
}

// lineError is a line of the feed that is not a product.
type lineError struct {
	line          int
	field, reason string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s: %s", e.line, e.field, e.reason) }

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
