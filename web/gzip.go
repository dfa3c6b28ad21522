package web

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
)

// The hashed assets (the app's JavaScript and CSS, about a third of their
// size gzipped) are sent compressed to browsers that accept it: on a slow
// link that is most of the first load. Each is compressed once, on first
// request, and kept: they are embedded and never change.

// gzipCache holds the compressed bytes of each asset.
type gzipCache struct {
	m sync.Map // name → *gzipped
}

type gzipped struct {
	once sync.Once
	b    []byte // nil when the file could not be read
}

// compressible names the asset types worth compressing (images are not).
func compressible(name string) bool {
	switch path.Ext(name) {
	case ".js", ".css", ".svg", ".html", ".json", ".map":
		return true
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// serve writes the gzipped asset and reports true, or reports false when
// the plain file must be served instead.
func (c *gzipCache) serve(w http.ResponseWriter, r *http.Request, fsys fs.FS, name string) bool {
	if !compressible(name) || !acceptsGzip(r) || r.Header.Get("Range") != "" {
		return false
	}
	v, _ := c.m.LoadOrStore(name, &gzipped{})
	g := v.(*gzipped)
	g.once.Do(func() {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(raw)
		_ = zw.Close()
		g.b = buf.Bytes()
	})
	if g.b == nil {
		return false
	}
	h := w.Header()
	h.Set("Content-Encoding", "gzip")
	h.Add("Vary", "Accept-Encoding")
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		h.Set("Content-Type", ct)
	}
	h.Set("Content-Length", strconv.Itoa(len(g.b)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(g.b)
	}
	return true
}
