package web

import (
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

// TestPrecompressedAssets: the build's .br and .gz files are served to
// clients that accept them, with the original file's type.
func TestPrecompressedAssets(t *testing.T) {
	t.Parallel()
	fsys := testFS()
	fsys["assets/index-abc1.js.br"] = &fstest.MapFile{Data: []byte("BROTLI")}
	fsys["assets/index-abc1.js.gz"] = &fstest.MapFile{Data: []byte("GZIP")}
	h := newSPAHandler(fsys)
	for _, tc := range []struct{ accept, encoding, body string }{
		{"gzip, deflate, br", "br", "BROTLI"},
		{"gzip", "gzip", "GZIP"},
		{"br;q=0, gzip", "gzip", "GZIP"},
		{"", "", "console.log(1)"},
	} {
		req := httptest.NewRequest("GET", "/assets/index-abc1.js", nil)
		if tc.accept != "" {
			req.Header.Set("Accept-Encoding", tc.accept)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Header().Get("Content-Encoding") != tc.encoding || rec.Body.String() != tc.body {
			t.Errorf("Accept-Encoding %q: %d %q %q", tc.accept, rec.Code, rec.Header().Get("Content-Encoding"), rec.Body.String())
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") || !strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding") {
			t.Errorf("Accept-Encoding %q: Content-Type %q Vary %q", tc.accept, ct, rec.Header().Get("Vary"))
		}
	}
}
