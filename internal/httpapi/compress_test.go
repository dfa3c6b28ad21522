package httpapi

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"hash/maphash"
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
		"gzip;q=0.5, gzip;q=0":      "", // the last one named wins
		"br, br;q=0, gzip;q=0.1":    "gzip",
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

// TestCompressedAnswersKept: an answer's compressed form is kept by
// content, so the same object read again is not compressed again; the
// bytes sent are those compressing it anew gives, in both codings, and a
// changed object gets its own.
func TestCompressedAnswersKept(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	id := "kept-compressed"
	s.do(t, http.MethodPost, "/api/constitutions", map[string]any{"id": id, "name": "Rules", "content": strings.Repeat("Be kind to everyone. ", 120)})
	fresh := func(coding string, plain []byte) []byte {
		var buf bytes.Buffer
		var enc io.WriteCloser
		if coding == "br" {
			enc = brotli.NewWriterLevel(&buf, brotliLevel)
		} else {
			enc, _ = gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		}
		_, _ = enc.Write(plain)
		_ = enc.Close()
		return buf.Bytes()
	}
	for _, content := range []string{"", strings.Repeat("Be patient with everyone. ", 100)} {
		if content != "" {
			s.do(t, http.MethodPut, "/api/constitutions/"+id, map[string]any{"name": "Rules", "content": content})
		}
		plain := s.do(t, http.MethodGet, "/api/constitutions/"+id, nil)
		for _, coding := range []string{"gzip", "br"} {
			for i := range 2 {
				r := s.do(t, http.MethodGet, "/api/constitutions/"+id, nil, "Accept-Encoding", coding)
				if r.header.Get("Content-Encoding") != coding {
					t.Fatalf("%s read %d: Content-Encoding %q", coding, i, r.header.Get("Content-Encoding"))
				}
				if want := fresh(coding, plain.body); !bytes.Equal(r.body, want) {
					t.Errorf("%s read %d: %d bytes differ from compressing the plain answer anew (%d bytes)", coding, i, len(r.body), len(want))
				}
				if want := strings.TrimSuffix(plain.header.Get("ETag"), `"`) + "-" + coding + `"`; r.header.Get("ETag") != want {
					t.Errorf("%s read %d: ETag %q, want %q", coding, i, r.header.Get("ETag"), want)
				}
			}
			if _, ok := compressedBodies.get(coding, plain.body); !ok {
				t.Errorf("%s: the compressed answer was not kept", coding)
			}
		}
	}
}

// TestCompressedCacheChecksContent: an entry is found by its content
// alone; another content under the same key is not given its bytes, and
// the cache drops everything once over its budget.
func TestCompressedCacheChecksContent(t *testing.T) {
	t.Parallel()
	c := newCompressedCache()
	a, b := []byte(strings.Repeat("a", 2000)), []byte(strings.Repeat("b", 2000))
	c.put("gzip", a, []byte("A"))
	if out, ok := c.get("gzip", a); !ok || string(out) != "A" {
		t.Fatalf("get a: %q %v", out, ok)
	}
	if _, ok := c.get("br", a); ok {
		t.Error("another coding found a's entry")
	}
	// b stored under a's key, as a hash collision would.
	c.m.Load().Store(compressedKey{"gzip", maphash.Bytes(c.seed, b)}, compressedEntry{plain: a, out: []byte("A")})
	if _, ok := c.get("gzip", b); ok {
		t.Error("content b was given a's compressed bytes")
	}
	big := make([]byte, maxKeptCompressed)
	for i := range 2 * maxKeptCompressedTotal / maxKeptCompressed {
		big[0] = byte(i)
		c.put("gzip", big, big)
		if n := c.bytes.Load(); n > maxKeptCompressedTotal {
			t.Fatalf("%d bytes kept", n)
		}
	}
}
