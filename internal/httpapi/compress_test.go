package httpapi

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCompression: JSON answers are gzipped for clients that ask, with
// the same content, a distinct ETag that still works for If-None-Match
// and If-Match; small answers, clients that do not ask, and q=0 get
// identity.
func TestCompression(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	for i := range 30 {
		s.do(t, http.MethodPost, "/api/constitutions", map[string]any{"id": fmt.Sprintf("c%02d", i), "name": "Rules", "content": strings.Repeat("Be kind. ", 150)})
	}
	plain := s.do(t, http.MethodGet, "/api/constitutions?limit=200", nil)
	gz := s.do(t, http.MethodGet, "/api/constitutions?limit=200", nil, "Accept-Encoding", "gzip")
	if gz.header.Get("Content-Encoding") != "gzip" || !strings.Contains(gz.header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("Content-Encoding %q Vary %q", gz.header.Get("Content-Encoding"), gz.header.Get("Vary"))
	}
	if got := gunzip(t, gz.body); !bytes.Equal(got, plain.body) {
		t.Fatal("gzipped body differs from the plain one")
	}
	if len(gz.body)*4 > len(plain.body) {
		t.Errorf("compressed %d of %d bytes", len(gz.body), len(plain.body))
	}
	if plain.header.Get("Content-Encoding") != "" || gz.header.Get("ETag") == plain.header.Get("ETag") {
		t.Fatalf("ETags plain %q gzip %q", plain.header.Get("ETag"), gz.header.Get("ETag"))
	}
	if r := s.do(t, http.MethodGet, "/api/constitutions?limit=200", nil, "Accept-Encoding", "gzip", "If-None-Match", gz.header.Get("ETag")); r.status != http.StatusNotModified {
		t.Fatalf("If-None-Match with the gzip ETag: %d", r.status)
	}
	if r := s.do(t, http.MethodGet, "/api/constitutions?limit=200", nil, "Accept-Encoding", "gzip;q=0"); r.header.Get("Content-Encoding") != "" {
		t.Fatal("gzip;q=0 got gzip")
	}
	// One object: below the threshold it stays plain; above, its gzip
	// ETag still names the version for If-Match.
	small := s.do(t, http.MethodGet, "/api/constitutions/none", nil, "Accept-Encoding", "gzip")
	if small.header.Get("Content-Encoding") != "" || small.header.Get("ETag") != `"1"` {
		t.Fatalf("small answer: encoding %q ETag %q", small.header.Get("Content-Encoding"), small.header.Get("ETag"))
	}
	big := s.do(t, http.MethodGet, "/api/constitutions/c01", nil, "Accept-Encoding", "gzip")
	if big.header.Get("Content-Encoding") != "gzip" || big.header.Get("ETag") != `"1-gzip"` {
		t.Fatalf("object: encoding %q ETag %q", big.header.Get("Content-Encoding"), big.header.Get("ETag"))
	}
	if r := s.do(t, http.MethodPut, "/api/constitutions/c01", map[string]any{"name": "Rules", "content": "new"}, "If-Match", big.header.Get("ETag")); r.status != http.StatusOK {
		t.Fatalf("If-Match with the gzip ETag: %s", r)
	}
}

// TestNegotiateEncoding: the coding chosen for each Accept-Encoding, by q
// (RFC 9110, 12.5.3), brotli on a tie, "*" for codings not named.
func TestNegotiateEncoding(t *testing.T) {
	t.Parallel()
	for h, want := range map[string]string{
		"":                          "",
		"identity":                  "",
		"gzip":                      "gzip",
		"br":                        "br",
		"gzip, deflate, br, zstd":   "br", // what browsers send
		"GZIP":                      "gzip",
		"br;q=0, gzip":              "gzip",
		"br;q=0.5, gzip;q=0.8":      "gzip",
		"br;q=0.8, gzip;q=0.5":      "br",
		"br ; q=1, gzip":            "br",
		"gzip;q=0":                  "",
		"br;q=0, gzip;q=0":          "",
		"*":                         "br",
		"*;q=0":                     "",
		"gzip, *;q=0":               "gzip",
		"br;q=0, *":                 "gzip",
		"br;q=nonsense, gzip;q=0.1": "gzip", // a malformed q is as if not sent
		"deflate, zstd":             "",
		"br;q=1.5":                  "",
	} {
		if got := negotiateEncoding(h); got != want {
			t.Errorf("Accept-Encoding %q: %q, want %q", h, got, want)
		}
	}
}

func unbrotli(t *testing.T, b []byte) []byte {
	t.Helper()
	out, err := io.ReadAll(brotli.NewReader(bytes.NewReader(b)))
	if err != nil {
		t.Fatalf("not brotli: %v", err)
	}
	return out
}

// TestBrotliCompression: a browser's Accept-Encoding gets brotli, with the
// same content, smaller than gzip, and an ETag of its own that works for
// If-None-Match and If-Match; a client refusing br gets gzip.
func TestBrotliCompression(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	for i := range 30 {
		s.do(t, http.MethodPost, "/api/constitutions", map[string]any{"id": fmt.Sprintf("c%02d", i), "name": "Rules",
			"content": fmt.Sprintf("Rule %d. ", i) + strings.Repeat("Be kind. Say why. ", 80)})
	}
	const list = "/api/constitutions?limit=200"
	plain := s.do(t, http.MethodGet, list, nil)
	br := s.do(t, http.MethodGet, list, nil, "Accept-Encoding", "gzip, deflate, br, zstd")
	gz := s.do(t, http.MethodGet, list, nil, "Accept-Encoding", "br;q=0, gzip")
	if br.header.Get("Content-Encoding") != "br" || gz.header.Get("Content-Encoding") != "gzip" ||
		!strings.Contains(br.header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("Content-Encoding br %q gzip %q, Vary %q", br.header.Get("Content-Encoding"), gz.header.Get("Content-Encoding"), br.header.Get("Vary"))
	}
	if got := unbrotli(t, br.body); !bytes.Equal(got, plain.body) {
		t.Fatal("brotli body differs from the plain one")
	}
	if len(br.body) >= len(gz.body) {
		t.Errorf("brotli %d bytes, gzip %d, plain %d: brotli is not smaller", len(br.body), len(gz.body), len(plain.body))
	}
	tag := br.header.Get("ETag")
	if !strings.HasSuffix(tag, `-br"`) || tag == gz.header.Get("ETag") || tag == plain.header.Get("ETag") {
		t.Fatalf("ETags br %q gzip %q plain %q", tag, gz.header.Get("ETag"), plain.header.Get("ETag"))
	}
	if r := s.do(t, http.MethodGet, list, nil, "Accept-Encoding", "br", "If-None-Match", tag); r.status != http.StatusNotModified {
		t.Fatalf("If-None-Match with the br ETag: %d", r.status)
	}
	one := s.do(t, http.MethodGet, "/api/constitutions/c01", nil, "Accept-Encoding", "br")
	if one.header.Get("Content-Encoding") != "br" || one.header.Get("ETag") != `"1-br"` {
		t.Fatalf("object: encoding %q ETag %q", one.header.Get("Content-Encoding"), one.header.Get("ETag"))
	}
	if r := s.do(t, http.MethodPut, "/api/constitutions/c01", map[string]any{"name": "Rules", "content": "new"}, "If-Match", one.header.Get("ETag")); r.status != http.StatusOK {
		t.Fatalf("If-Match with the br ETag: %s", r)
	}
}
