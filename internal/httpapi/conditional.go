package httpapi

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
)

// conditionalGET gives every successful GET under /api a validator and
// honours If-None-Match with 304 Not Modified. Handlers of single objects
// set their own ETag (the version, see etag and instanceETag); any other
// answer (lists, models, the OpenAPI document) gets a digest of its body.
// Streams (SSE) and WebSocket upgrades pass straight through.
func conditionalGET(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method != http.MethodGet && r.Method != http.MethodHead) || !isAPIPath(r.URL.Path) || r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		bw := &bufferedWriter{ResponseWriter: w, body: getBuffer()}
		next.ServeHTTP(bw, r)
		bw.finish(r)
		putBuffer(bw.body)
	})
}

// buffers hold answers while middleware decides on them (conditionalGET,
// compress); reused, a request's buffer is not grown anew from empty.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer: a buffer grown beyond this by a large answer is left
// to the garbage collector rather than kept.
const maxPooledBuffer = 64 << 10

func getBuffer() *bytes.Buffer { return buffers.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledBuffer {
		return
	}
	b.Reset()
	buffers.Put(b)
}

// bufferedWriter holds a 200 answer's body until the handler is done, so
// its ETag can be computed and compared; anything else (errors, streams,
// a flush) goes through as written.
type bufferedWriter struct {
	http.ResponseWriter
	status  int  // 0 until WriteHeader or the first Write
	through bool // not buffering: writes go straight to the client
	body    *bytes.Buffer
}

func (w *bufferedWriter) WriteHeader(code int) {
	if w.status != 0 {
		return
	}
	w.status = code
	if code != http.StatusOK || isEventStream(w.Header().Get("Content-Type")) {
		w.through = true
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *bufferedWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.through {
		return w.ResponseWriter.Write(b)
	}
	return w.body.Write(b)
}

// Flush switches to pass-through: whoever flushes wants the bytes sent now.
func (w *bufferedWriter) Flush() {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.through {
		w.through = true
		w.ResponseWriter.WriteHeader(w.status)
		_, _ = w.ResponseWriter.Write(w.body.Bytes())
		w.body.Reset()
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack hands the connection over (a raw handler taking it for its own
// protocol); nothing is buffered or written after that.
func (w *bufferedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.through = true
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *bufferedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *bufferedWriter) finish(r *http.Request) {
	if w.through {
		return
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	h := w.Header()
	tag := h.Get("ETag")
	if tag == "" {
		sum := sha256.Sum256(w.body.Bytes())
		tag = `"h-` + hex.EncodeToString(sum[:12]) + `"`
		h.Set("ETag", tag)
	}
	if noneMatch(r.Header.Get("If-None-Match"), tag) {
		h.Del("Content-Type")
		h.Del("Content-Length")
		w.ResponseWriter.WriteHeader(http.StatusNotModified)
		return
	}
	w.ResponseWriter.WriteHeader(w.status)
	if r.Method == http.MethodHead {
		return
	}
	if cw, ok := w.ResponseWriter.(*compressWriter); ok {
		_, _ = cw.writeWhole(w.body.Bytes())
		return
	}
	_, _ = w.ResponseWriter.Write(w.body.Bytes())
}

// noneMatch reports whether an If-None-Match header matches tag, by weak
// comparison (RFC 9110 13.1.2): W/ prefixes and the content-coding suffix
// compression adds do not count.
func noneMatch(header, tag string) bool {
	if header == "" {
		return false
	}
	want := opaqueTag(tag)
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || (t != "" && opaqueTag(t) == want) {
			return true
		}
	}
	return false
}

// opaqueTag strips W/ and a "-gzip" or "-br" coding suffix from a tag.
func opaqueTag(t string) string {
	t = strings.TrimPrefix(t, "W/")
	for _, suffix := range []string{`-gzip"`, `-br"`} {
		if strings.HasSuffix(t, suffix) {
			return strings.TrimSuffix(t, suffix) + `"`
		}
	}
	return t
}

func isEventStream(ct string) bool {
	// Parsing allocates; only a value that starts like the type is parsed.
	const es = "text/event-stream"
	t := strings.TrimLeft(ct, " \t")
	if len(t) < len(es) || !strings.EqualFold(t[:len(es)], es) {
		return false
	}
	mt, _, _ := mime.ParseMediaType(ct)
	return mt == es
}
