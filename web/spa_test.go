package web

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func testFS() fstest.MapFS {
	return fstest.MapFS{
		"index.html":            {Data: []byte("<html>app</html>")},
		"favicon.svg":           {Data: []byte("<svg/>")},
		"assets/index-abc1.js":  {Data: []byte("console.log(1)")},
		"assets/index-abc1.css": {Data: []byte("body{}")},
	}
}

func TestSPAHandler(t *testing.T) {
	t.Parallel()
	h := newSPAHandler(testFS())
	tests := []struct {
		name, method, path string
		status             int
		body, cache        string
	}{
		{"root is index", "GET", "/", 200, "<html>app</html>", cacheNoCache},
		{"index by name", "GET", "/index.html", 200, "<html>app</html>", cacheNoCache},
		{"client route falls back to index", "GET", "/constitutions/default", 200, "<html>app</html>", cacheNoCache},
		{"hashed asset is immutable", "GET", "/assets/index-abc1.js", 200, "console.log(1)", cacheImmutable},
		{"css asset", "GET", "/assets/index-abc1.css", 200, "body{}", cacheImmutable},
		{"root file revalidates", "GET", "/favicon.svg", 200, "<svg/>", cacheNoCache},
		{"missing asset is 404, not html", "GET", "/assets/missing.js", 404, "404 page not found", ""},
		{"traversal refused", "GET", "/assets/../../etc/passwd", 400, "invalid path", ""},
		{"encoded backslash refused", "GET", "/assets\\..\\index.html", 400, "invalid path", ""},
		{"head of index", "HEAD", "/chat", 200, "", cacheNoCache},
		{"post not allowed", "POST", "/", 405, "method not allowed", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tc.method, "/", nil)
			req.URL.Path = tc.path // bypass NewRequest's own cleaning
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d (body %q)", rec.Code, tc.status, rec.Body.String())
			}
			if got := strings.TrimSpace(rec.Body.String()); got != tc.body {
				t.Errorf("body = %q, want %q", got, tc.body)
			}
			if tc.cache != "" {
				if got := rec.Header().Get("Cache-Control"); got != tc.cache {
					t.Errorf("Cache-Control = %q, want %q", got, tc.cache)
				}
			}
		})
	}
}

func TestSPAHandlerWithoutIndex(t *testing.T) {
	// A ui build whose dist was never built explains itself instead of 404ing.
	t.Parallel()
	h := newSPAHandler(fstest.MapFS{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "make build") {
		t.Fatalf("status = %d, body %q; want the not-built page", rec.Code, rec.Body.String())
	}
}

func TestHandlerServesSomething(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	if !strings.Contains(rec.Body.String(), "<html") {
		t.Errorf("body is not a page: %q", rec.Body.String())
	}
	if !Embedded && !strings.Contains(rec.Body.String(), "make build") {
		t.Errorf("not-built page does not mention make build: %q", rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestCleanName(t *testing.T) {
	t.Parallel()
	for p, want := range map[string]string{"/": "", "/a/b.js": "a/b.js", "/a//b": "a/b", "/./x": "x"} {
		got, ok := cleanName(p)
		if !ok || got != want {
			t.Errorf("cleanName(%q) = %q, %v; want %q", p, got, ok, want)
		}
	}
	for _, p := range []string{"/../x", "/a/../../b", "/a\\b", "/a\x00"} {
		if _, ok := cleanName(p); ok {
			t.Errorf("cleanName(%q) accepted", p)
		}
	}
}

// Hashed assets go out gzipped to a browser that accepts it, and plain to
// one that does not; either way the bytes are the file's.
func TestSPAHandlerGzipsAssets(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("console.log('superego');\n", 200)
	fsys := testFS()
	fsys["assets/big-1.js"] = &fstest.MapFile{Data: []byte(big)}
	h := newSPAHandler(fsys)
	get := func(enc string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/assets/big-1.js", nil)
		if enc != "" {
			r.Header.Set("Accept-Encoding", enc)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for range 2 { // the second answer comes from the cache
		w := get("gzip, deflate, br")
		if w.Code != 200 || w.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(w.Header().Get("Vary"), "Accept-Encoding") ||
			!strings.HasPrefix(w.Header().Get("Content-Type"), "text/javascript") || w.Header().Get("Cache-Control") != cacheImmutable {
			t.Fatalf("gzip answer: %d %v", w.Code, w.Header())
		}
		if w.Body.Len() >= len(big)/4 {
			t.Errorf("compressed %d bytes of %d", w.Body.Len(), len(big))
		}
		zr, err := gzip.NewReader(w.Body)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil || string(plain) != big {
			t.Fatalf("decompressed %d bytes, %v", len(plain), err)
		}
	}
	for _, enc := range []string{"", "identity", "gzip;q=0"} {
		if w := get(enc); w.Header().Get("Content-Encoding") != "" || w.Body.String() != big {
			t.Errorf("Accept-Encoding %q: encoding %q, %d bytes", enc, w.Header().Get("Content-Encoding"), w.Body.Len())
		}
	}
	// index.html is not an asset: never compressed here (it is small and revalidated).
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Header().Get("Content-Encoding") != "" {
		t.Errorf("index.html compressed")
	}
}
