package httpapi

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// minCompressSize is the smallest body worth compressing: below it gzip's
// header and trailer cost more than they save.
const minCompressSize = 1024

// gzipWriters are reused across responses; a gzip.Writer holds ~800 KB of
// state. Answers are compressed at BestSpeed: on JSON it gives most of the
// default level's saving at a fraction of its CPU, and this work is done
// per request (the UI's assets are precompressed at build, at the best
// level). See BENCHMARKS.md, "REST compression".
var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return w
}}

// compress gzips text answers (JSON, problem+json, HTML, JavaScript, CSS,
// SVG) of at least minCompressSize bytes for clients that accept it. An
// answer already encoded (the UI's precompressed assets), a stream (SSE),
// a WebSocket upgrade and a 304 pass unchanged. A compressed answer's
// ETag gets a "-gzip" suffix: a strong validator names one exact byte
// sequence, and the version in it still works for If-Match.
func compress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		if !acceptsGzip(r.Header.Get("Accept-Encoding")) || r.Header.Get("Upgrade") != "" || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		cw := &compressWriter{ResponseWriter: w}
		defer cw.close()
		next.ServeHTTP(cw, r)
	})
}

// acceptsGzip reads Accept-Encoding: gzip (or *) with a non-zero q.
func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		name, value, ok := strings.Cut(strings.ReplaceAll(params, " ", ""), "=")
		if !ok || !strings.EqualFold(name, "q") {
			return true
		}
		q, err := strconv.ParseFloat(value, 64)
		return err == nil && q > 0
	}
	return false
}

// compressWriter decides on the first bytes: it holds up to
// minCompressSize of a compressible answer, then either gzips from there
// on or, when the answer ended smaller, writes it plain.
type compressWriter struct {
	http.ResponseWriter
	status   int
	decided  bool // headers sent, plain or gzip
	eligible bool
	held     bytes.Buffer
	gz       *gzip.Writer
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
		if w.gz != nil {
			return w.gz.Write(b)
		}
		return w.ResponseWriter.Write(b)
	}
	w.held.Write(b)
	if w.held.Len() >= minCompressSize {
		w.sendHeader(true)
		_, err := w.gz.Write(w.held.Bytes())
		w.held.Reset()
		if err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// sendHeader commits to plain or gzip and writes the status line.
func (w *compressWriter) sendHeader(gz bool) {
	w.decided = true
	if gz {
		h := w.Header()
		h.Set("Content-Encoding", "gzip")
		h.Del("Content-Length")
		if tag := h.Get("ETag"); strings.HasSuffix(tag, `"`) {
			h.Set("ETag", strings.TrimSuffix(tag, `"`)+`-gzip"`)
		}
		w.gz = gzipWriters.Get().(*gzip.Writer)
		w.gz.Reset(w.ResponseWriter)
	}
	w.ResponseWriter.WriteHeader(w.status)
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
	if w.gz != nil {
		_ = w.gz.Flush()
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
	switch {
	case w.hijacked || w.status == 0:
	case !w.decided:
		w.sendHeader(false)
		_, _ = w.ResponseWriter.Write(w.held.Bytes())
	case w.gz != nil:
		_ = w.gz.Close()
		w.gz.Reset(nil)
		gzipWriters.Put(w.gz)
		w.gz = nil
	}
}

// compressible reports text media types worth compressing; streams are not
// (each event must reach the client when it is written).
func compressible(ct string) bool {
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
