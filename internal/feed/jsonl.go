package feed

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"

	"github.com/sesame-market/sesame/internal/catalog"
)

// jsonLine is one line of a JSON Lines feed: the body of the API's product
// create call, with the merchant's ref and the channels to list it on.
type jsonLine struct {
	Ref string `json:"ref"`
	catalog.ProductInput
	Channels []string `json:"channels,omitempty"`
}

// jsonDecoder reads a JSON Lines feed, one line at a time.
type jsonDecoder struct {
	r    *bufio.Reader
	n    int
	long []byte // a line longer than the reader's buffer, gathered
}

func newJSONDecoder(r io.Reader) *jsonDecoder {
	return &jsonDecoder{r: bufio.NewReaderSize(r, 64<<10)}
}

func (d *jsonDecoder) lineNo() int { return d.n }

func (d *jsonDecoder) next() (catalog.Line, error) {
	for {
		raw, tooLong, err := d.readLine()
		if err != nil {
			return catalog.Line{}, err
		}
		d.n++
		if tooLong {
			return catalog.Line{}, &lineError{line: d.n, reason: "the line is longer than " + strconv.Itoa(maxLineLen) + " bytes"}
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			continue
		}
		var jl jsonLine
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&jl); err != nil {
			return catalog.Line{}, jsonError(d.n, err)
		}
		if dec.More() {
			return catalog.Line{}, &lineError{line: d.n, reason: "more than one JSON value on the line"}
		}
		return catalog.Line{N: d.n, Ref: jl.Ref, Product: jl.ProductInput, Channels: jl.Channels}, nil
	}
}

// readLine is the next line without its end; tooLong when it passed
// maxLineLen (it is skipped to its end). io.EOF after the last line.
func (d *jsonDecoder) readLine() ([]byte, bool, error) {
	d.long = d.long[:0]
	tooLong := false
	for {
		frag, err := d.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if !tooLong && len(d.long)+len(frag) <= maxLineLen {
				d.long = append(d.long, frag...)
			} else {
				tooLong, d.long = true, d.long[:0]
			}
			continue
		}
		if err != nil && err != io.EOF {
			return nil, false, err
		}
		if err == io.EOF && len(frag) == 0 && len(d.long) == 0 && !tooLong {
			return nil, false, io.EOF
		}
		if tooLong || len(d.long)+len(frag) > maxLineLen {
			return nil, true, nil
		}
		if len(d.long) > 0 {
			return append(d.long, frag...), false, nil
		}
		return frag, false, nil
	}
}

// jsonError is the line error of a line that is not the JSON of a product,
// naming the field at fault when the decoder does.
func jsonError(n int, err error) *lineError {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &lineError{line: n, field: te.Field, reason: "must be a JSON " + te.Type.Kind().String() + ", not " + te.Value}
	}
	return &lineError{line: n, reason: "not a product in JSON: " + err.Error()}
}
