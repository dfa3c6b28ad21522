// Package web serves Superego's single-page UI. The built app (web/dist) is
// embedded into the binary only when built with the `ui` build tag, so the Go
// code compiles and tests without Node; without the tag Handler serves a short
// page explaining how to build the UI.
package web

import (
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// Cache policies. Vite names files under /assets/ by content hash, so they
// never change and may be cached forever; index.html names the current hashes
// and must be revalidated on every load.
const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheNoCache   = "no-cache"
)

// spaHandler serves files from fsys and falls back to index.html for any
// other GET, so client-side routes like /constitutions/default survive a
// reload.
type spaHandler struct {
	fsys  fs.FS
	files http.Handler
}

func newSPAHandler(fsys fs.FS) http.Handler {
	return &spaHandler{fsys: fsys, files: http.FileServerFS(fsys)}
}

func (h *spaHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name, ok := cleanName(r.URL.Path)
	if !ok {
		http.Error(w, "invalid path", http.StatusBadRequest)
		return
	}
	if name == "" || name == "index.html" {
		h.serveIndex(w, r)
		return
	}
	st, err := fs.Stat(h.fsys, name)
	if err != nil || st.IsDir() {
		// A missing hashed asset is a real 404: answering with index.html
		// would hand the browser HTML where it expects a script.
		if strings.HasPrefix(name, "assets/") {
			http.NotFound(w, r)
			return
		}
		h.serveIndex(w, r)
		return
	}
	if strings.HasPrefix(name, "assets/") {
		w.Header().Set("Cache-Control", cacheImmutable)
	} else {
		w.Header().Set("Cache-Control", cacheNoCache)
	}
	if h.servePrecompressed(w, r, name) {
		return
	}
	h.files.ServeHTTP(w, r)
}

// precompressed are the encodings the build writes beside each text asset
// (name.br, name.gz), best first.
var precompressed = []struct{ coding, ext string }{{"br", ".br"}, {"gzip", ".gz"}}

// servePrecompressed serves name's precompressed variant when the client
// accepts its encoding and the build wrote one; it reports whether it did.
func (h *spaHandler) servePrecompressed(w http.ResponseWriter, r *http.Request, name string) bool {
	w.Header().Add("Vary", "Accept-Encoding")
	accepted := acceptedEncodings(r.Header.Get("Accept-Encoding"))
	for _, p := range precompressed {
		if !accepted[p.coding] {
			continue
		}
		if st, err := fs.Stat(h.fsys, name+p.ext); err != nil || st.IsDir() {
			continue
		}
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			return false
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Encoding", p.coding)
		http.ServeFileFS(w, r, h.fsys, name+p.ext)
		return true
	}
	return false
}

// acceptedEncodings reads Accept-Encoding into the codings it accepts
// (q above zero).
func acceptedEncodings(header string) map[string]bool {
	out := map[string]bool{}
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		if v, ok := strings.CutPrefix(q, "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err != nil || f <= 0 {
				continue
			}
		}
		out[strings.ToLower(strings.TrimSpace(coding))] = true
	}
	return out
}

func (h *spaHandler) serveIndex(w http.ResponseWriter, r *http.Request) {
	b, err := fs.ReadFile(h.fsys, "index.html")
	if err != nil {
		// Built with the ui tag but without running the front-end build.
		b = []byte(notBuiltPage)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", cacheNoCache)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}

// cleanName turns a URL path into an fs.FS name. It refuses paths that try
// to climb out of the root ("..") or carry backslashes or NUL bytes, instead
// of silently cleaning them into something else.
func cleanName(p string) (string, bool) {
	if strings.ContainsAny(p, "\\\x00") {
		return "", false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return "", false
		}
	}
	name := strings.TrimPrefix(path.Clean("/"+p), "/")
	if name != "" && !fs.ValidPath(name) {
		return "", false
	}
	return name, true
}

// notBuiltPage stands in for the UI when the binary carries none.
const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Superego</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2933}
code{background:#eef1f4;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>Superego</h1>
<p>The web UI was not built into this binary. The API is available under <code>/api/</code>.</p>
<p>Run <code>make build</code> (or <code>make run</code>) to build the UI and embed it.</p>
</body></html>
`
