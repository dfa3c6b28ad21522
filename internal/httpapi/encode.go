package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"sync"
	"sync/atomic"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/model"
)

// jsonFormat is Huma's JSON format, with the encodings of the single
// objects read most often (a constitution, a system prompt, a kept
// version) kept by value: the store answers those reads from memory, and
// encoding the same text again was the largest part of such a GET left.
// The bytes written are those Huma's own format writes.
func jsonFormat() huma.Format {
	kept := newEncodings()
	return huma.Format{
		Marshal: func(w io.Writer, v any) error {
			switch v.(type) {
			case model.Constitution, model.Sysprompt, model.ConstitutionVersion:
				return kept.write(w, v)
			}
			return huma.DefaultJSONFormat.Marshal(w, v)
		},
		Unmarshal: huma.DefaultJSONFormat.Unmarshal,
	}
}

// encodings maps a value to its JSON, for types whose encoding depends on
// the value alone: comparable structs of strings, numbers, booleans and
// times, with no pointer, slice or map whose contents == would not see.
// Equal values therefore encode to equal bytes, and a changed object is a
// different key: nothing needs invalidating.
type encodings struct {
	m     atomic.Pointer[sync.Map] // value → []byte
	bytes atomic.Int64             // encoded bytes kept in m (about)
}

// Bounds: a larger encoding is not kept, and once the kept ones exceed
// maxKeptEncodings bytes they are dropped together (old versions of
// edited objects are never read again and go with them).
const (
	maxKeptEncoding  = 64 << 10
	maxKeptEncodings = 4 << 20
)

func newEncodings() *encodings {
	e := &encodings{}
	e.m.Store(new(sync.Map))
	return e
}

func (e *encodings) write(w io.Writer, v any) error {
	m := e.m.Load()
	if b, ok := m.Load(v); ok {
		_, err := w.Write(b.([]byte))
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b := buf.Bytes()
	if len(b) <= maxKeptEncoding {
		if e.bytes.Add(int64(len(b))) > maxKeptEncodings {
			e.m.Store(new(sync.Map))
			e.bytes.Store(0)
		} else if _, loaded := m.LoadOrStore(v, b); loaded {
			e.bytes.Add(-int64(len(b)))
		}
	}
	_, err := w.Write(b)
	return err
}
