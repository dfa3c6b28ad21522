package httpapi

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"hash/maphash"
	"io"
	"mime"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/andybalholm/brotli"
)

// minCompressSize is the smallest body worth compressing: below it the
// coding's framing costs more than it saves.
const minCompressSize = 1024

// Answers are compressed with brotli when the client accepts it, else
// gzip. Both run at a fast level: this work is done per request (the UI's
// assets are precompressed at build, at the best levels), and on JSON the
// fast levels give most of the best levels' saving at a fraction of the
// CPU. See BENCHMARKS.md, "REST compression".
const brotliLevel = 1

// encoder is a pooled compressor of one Content-Encoding.
type encoder interface {
	io.WriteCloser
	Flush() error
	Reset(w io.Writer)
}

// encoders are reused across responses, by coding: a gzip.Writer holds
// ~800 KB of state, a brotli one more.
var encoders = map[string]*sync.Pool{
	"br": {New: func() any { return brotli.NewWriterLevel(nil, brotliLevel) }},
	"gzip": {New: func() any {
		w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
		return w
	}},
}

var varyAcceptEncoding = []string{"Accept-Encoding"}

// compress compresses text answers (JSON, problem+json, HTML, JavaScript,
// CSS, SVG) of at least minCompressSize bytes for clients that accept
// brotli or gzip. An answer already encoded (the UI's precompressed
// assets), a stream (SSE), a WebSocket upgrade and a 304 pass unchanged.
// A compressed answer's ETag gets a "-br" or "-gzip" suffix: a strong
// validator names one exact byte sequence, and the version in it still
// works for If-Match.
func compress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := w.Header(); h["Vary"] == nil {
			h["Vary"] = varyAcceptEncoding // shared, see nosniff
		} else {
			h.Add("Vary", "Accept-Encoding")
		}
		coding := negotiateEncoding(r.Header.Get("Accept-Encoding"))
		if coding == "" || r.Header.Get("Upgrade") != "" || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		cw := &compressWriter{ResponseWriter: w, coding: coding, held: getBuffer()}
		defer cw.close()
		next.ServeHTTP(cw, r)
	})
}

// negotiateEncoding picks the coding for an Accept-Encoding header: the
// one of br and gzip with the highest q (br on a tie, as it is smaller),
// "" for none. A coding not named takes the q of "*" when there is one
// (RFC 9110, 12.5.3); q=0 refuses it.
func negotiateEncoding(h string) string {
	// The q of br, gzip and "*" as sent (the last one named wins), read
	// without allocating: this runs on every request.
	var q [3]float64
	var named [3]bool
	for part := range strings.SplitSeq(h, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		i := slices.Index(codings[:], coding)
		if i < 0 {
			continue
		}
		weight := 1.0
		if name, value, ok := strings.Cut(strings.ReplaceAll(params, " ", ""), "="); ok && strings.EqualFold(name, "q") {
			v, err := strconv.ParseFloat(value, 64)
			if err != nil || v < 0 || v > 1 {
				continue // malformed: as if not sent
			}
			weight = v
		}
		q[i], named[i] = weight, true
	}
	best, bestQ := "", 0.0
	for i, coding := range codings[:2] {
		w, ok := q[i], named[i]
		if !ok {
			w, ok = q[2], named[2]
		}
		if ok && w > bestQ {
			best, bestQ = coding, w
		}
	}
	return best
}

// codings are what negotiateEncoding reads: the two it offers, in order
// of preference on a tie, then the wildcard.
var codings = [3]string{"br", "gzip", "*"}

// compressWriter decides on the first bytes: it holds up to
// minCompressSize of a compressible answer, then either compresses from
// there on or, when the answer ended smaller, writes it plain.
type compressWriter struct {
	http.ResponseWriter
	coding   string // the negotiated Content-Encoding
	status   int
	decided  bool // headers sent, plain or compressed
	eligible bool
	held     *bytes.Buffer // nil once closed
	enc      encoder       // nil while plain
	hijacked bool
}

func (w *compressWriter) WriteHeader(code int) {
	if w.status != 0 {
		return
	}
	w.status = code
	h := w.Header()
	w.eligible = code == http.StatusOK || code == http.StatusCreated || (code >= 400 && code != http.StatusRequestEntityTooLarge)
	w.eligible = w.eligible && h.Get("Content-Encoding") == "" && compressible(h.Get("Content-Type"))
	if !w.eligible {
		w.sendHeader(false)
	}
}

func (w *compressWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.decided {
		if w.enc != nil {
			return w.enc.Write(b)
		}
		return w.ResponseWriter.Write(b)
	}
	w.held.Write(b)
	if w.held.Len() >= minCompressSize {
		w.sendHeader(true)
		_, err := w.enc.Write(w.held.Bytes())
		w.held.Reset()
		if err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// sendHeader commits to plain or compressed and writes the status line.
func (w *compressWriter) sendHeader(compressed bool) {
	w.decided = true
	if compressed {
		w.compressedHeader()
		w.enc = encoders[w.coding].Get().(encoder)
		w.enc.Reset(w.ResponseWriter)
	}
	w.ResponseWriter.WriteHeader(w.status)
}

func (w *compressWriter) compressedHeader() {
	h := w.Header()
	h.Set("Content-Encoding", w.coding)
	h.Del("Content-Length")
	if tag := h.Get("ETag"); strings.HasSuffix(tag, `"`) {
		h.Set("ETag", strings.TrimSuffix(tag, `"`)+`-`+w.coding+`"`)
	}
}

// writeWhole writes b as the whole answer (conditionalGET hands over the
// answers it buffered this way). The compressed bytes of an answer are
// kept by content (compressedBodies), so an answer sent before — the same
// object read again — is not compressed again. They are the very bytes
// compressing b through Write and close would give.
func (w *compressWriter) writeWhole(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.decided || w.held.Len() > 0 || len(b) < minCompressSize || len(b) > maxKeptCompressed {
		return w.Write(b)
	}
	out, ok := compressedBodies.get(w.coding, b)
	if !ok {
		var buf bytes.Buffer
		enc := encoders[w.coding].Get().(encoder)
		enc.Reset(&buf)
		_, err := enc.Write(b)
		if cerr := enc.Close(); err == nil {
			err = cerr
		}
		enc.Reset(nil)
		encoders[w.coding].Put(enc)
		if err != nil {
			return 0, err
		}
		out = buf.Bytes()
		compressedBodies.put(w.coding, b, out)
	}
	w.decided = true
	w.compressedHeader()
	w.ResponseWriter.WriteHeader(w.status)
	if _, err := w.ResponseWriter.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

// compressedBodies are the compressed forms of recent whole answers, by
// coding and content.
var compressedBodies = newCompressedCache()

// Bounds of compressedBodies: larger answers are compressed each time;
// once the kept bytes (answers and their compressed forms) exceed
// maxKeptCompressedTotal, they are dropped together.
const (
	maxKeptCompressed      = 64 << 10
	maxKeptCompressedTotal = 8 << 20
)

// compressedCache maps an answer's bytes to their compressed form. It is
// keyed by a hash of the content and checks the content itself, so an
// answer is never given another's compressed bytes, and a changed answer
// is simply another entry: nothing needs invalidating.
type compressedCache struct {
	seed  maphash.Seed
	m     atomic.Pointer[sync.Map] // compressedKey → compressedEntry
	bytes atomic.Int64
}

type compressedKey struct {
	coding string
	sum    uint64
}

type compressedEntry struct{ plain, out []byte }

func newCompressedCache() *compressedCache {
	c := &compressedCache{seed: maphash.MakeSeed()}
	c.m.Store(new(sync.Map))
	return c
}

func (c *compressedCache) get(coding string, plain []byte) ([]byte, bool) {
	v, ok := c.m.Load().Load(compressedKey{coding, maphash.Bytes(c.seed, plain)})
	if !ok {
		return nil, false
	}
	e := v.(compressedEntry)
	if !bytes.Equal(e.plain, plain) {
		return nil, false // another answer with the same hash
	}
	return e.out, true
}

// put keeps out as the compressed form of plain (copied: the caller's
// buffer is reused).
func (c *compressedCache) put(coding string, plain, out []byte) {
	size := int64(len(plain) + len(out))
	if c.bytes.Add(size) > maxKeptCompressedTotal {
		c.m.Store(new(sync.Map))
		c.bytes.Store(0)
		return
	}
	e := compressedEntry{plain: bytes.Clone(plain), out: out}
	if _, loaded := c.m.Load().LoadOrStore(compressedKey{coding, maphash.Bytes(c.seed, plain)}, e); loaded {
		c.bytes.Add(-size)
	}
}

// Flush sends what is held (plain when under the threshold) and flushes.
func (w *compressWriter) Flush() {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.decided {
		w.sendHeader(false)
		_, _ = w.ResponseWriter.Write(w.held.Bytes())
		w.held.Reset()
	}
	if w.enc != nil {
		_ = w.enc.Flush()
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack hands the connection over untouched.
func (w *compressWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.hijacked = true
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *compressWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *compressWriter) close() {
	defer func() {
		putBuffer(w.held)
		w.held = nil
	}()
	switch {
	case w.hijacked || w.status == 0:
	case !w.decided:
		w.sendHeader(false)
		_, _ = w.ResponseWriter.Write(w.held.Bytes())
	case w.enc != nil:
		_ = w.enc.Close()
		w.enc.Reset(nil)
		encoders[w.coding].Put(w.enc)
		w.enc = nil
	}
}

// compressible reports text media types worth compressing; streams are not
// (each event must reach the client when it is written).
func compressible(ct string) bool {
	if ct == "application/json" {
		return true // what nearly every answer is; parsing allocates
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch {
	case mt == "text/event-stream":
		return false
	case strings.HasPrefix(mt, "text/"), mt == "application/json", strings.HasSuffix(mt, "+json"),
		mt == "application/javascript", mt == "image/svg+xml":
		return true
	}
	return false
}
