package httpapi

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
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
