package search

import "encoding/binary"

// An arena holds the documents' records in chunks of chunkSize bytes, so
// that a million documents' texts are a few hundred objects for the
// garbage collector, not millions of strings. A replaced record's bytes
// stay until the index compacts the arena (when they are most of it).
type arena struct {
	chunks [][]byte
	used   int // bytes of live records
	total  int // bytes of all records written
}

const chunkSize = 1 << 20

// A ref locates a record in an arena.
type ref struct {
	chunk, off, n uint32
}

// put stores rec and returns where.
func (a *arena) put(rec []byte) ref {
	last := len(a.chunks) - 1
	if last < 0 || len(a.chunks[last])+len(rec) > cap(a.chunks[last]) {
		a.chunks = append(a.chunks, make([]byte, 0, max(chunkSize, len(rec))))
		last++
	}
	c := a.chunks[last]
	r := ref{chunk: uint32(last), off: uint32(len(c)), n: uint32(len(rec))}
	a.chunks[last] = append(c, rec...)
	a.used += len(rec)
	a.total += len(rec)
	return r
}

// bytes returns the record at r, in the arena's memory.
func (a *arena) bytes(r ref) []byte {
	if r.n == 0 {
		return nil
	}
	return a.chunks[r.chunk][r.off : r.off+r.n]
}

// free marks the record at r as replaced.
func (a *arena) free(r ref) { a.used -= int(r.n) }

// wasted reports whether replaced records are most of the arena.
func (a *arena) wasted() bool { return a.total > 4*chunkSize && a.used < a.total/2 }

// record decodes the record at r.
func (a *arena) record(r ref) record {
	var out record
	b := a.bytes(r)
	next := func() string {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			b = nil
			return ""
		}
		s := string(b[k : k+int(n)])
		b = b[k+int(n):]
		return s
	}
	count := func() int {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)) {
			b = nil
			return 0
		}
		b = b[k:]
		return int(n)
	}
	out.id = next()
	out.image = next()
	out.titles = make([]string, count())
	for i := range out.titles {
		out.titles[i] = next()
	}
	if n := count(); n > 0 {
		out.others = make([]string, n)
		for i := range out.others {
			out.others[i] = next()
		}
	}
	return out
}

// title decodes only the id, the image and title i of the record at r (a
// result shows no more).
func (a *arena) title(r ref, i int) (id, image, title string) {
	b := a.bytes(r)
	skip := func() []byte {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			b = nil
			return nil
		}
		s := b[k : k+int(n)]
		b = b[k+int(n):]
		return s
	}
	id, image = string(skip()), string(skip())
	if _, k := binary.Uvarint(b); k > 0 {
		b = b[k:]
	}
	for range i {
		skip()
	}
	return id, image, string(skip())
}

// encode returns r as stored in an arena.
func (r record) encode() []byte {
	n := len(r.id) + len(r.image) + 4*binary.MaxVarintLen32
	for _, t := range r.titles {
		n += len(t) + binary.MaxVarintLen32
	}
	for _, o := range r.others {
		n += len(o) + binary.MaxVarintLen32
	}
	b := make([]byte, 0, n)
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	str(r.id)
	str(r.image)
	b = binary.AppendUvarint(b, uint64(len(r.titles)))
	for _, t := range r.titles {
		str(t)
	}
	b = binary.AppendUvarint(b, uint64(len(r.others)))
	for _, o := range r.others {
		str(o)
	}
	return b
}
