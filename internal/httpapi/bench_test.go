package httpapi

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// The benchmarks measure constitutions GET-by-id, list and create through
// the full Handler (every middleware, Huma validation, a real SQLite file)
// and, in the same run, a bare net/http handler that serves the very same
// response bytes from memory. The ratio ours/bare is the figure that
// matters; absolute numbers move with the machine. Requests go straight to
// ServeHTTP so both sides skip the same network stack and the ratio shows
// the cost of the API itself.

// latencies collects per-request durations to report a p99.
type latencies []time.Duration

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	slices.Sort(l)
	p99 := l[min(len(l)*99/100, len(l)-1)]
	b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
}

// serve runs one request through h and fails on an unexpected status.
func serve(b *testing.B, h http.Handler, req *http.Request, want int) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s %s: %d %s", req.Method, req.URL, rec.Code, rec.Body)
	}
}

// bare serves fixed bytes the way a minimal JSON endpoint would.
func bare(status int, body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			_, _ = io.Copy(io.Discard, r.Body)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	})
}

func BenchmarkConstitutions(b *testing.B) {
	st := openTestStore(b)
	h := New(Config{AllowedHosts: []string{"example.com"}}, Deps{Store: st}).Handler()
	// A list of 50 like a real page: the seeds plus ones of realistic size.
	for n := range 47 {
		body := fmt.Sprintf(`{"id":"bench-%02d","name":"Bench %d","content":"# Rules\n\n%s"}`, n, n, bytes.Repeat([]byte("Be careful. "), 80))
		serve(b, h, httptest.NewRequest("POST", "/api/constitutions", bytes.NewBufferString(body)), 201)
	}
	capture := func(path string) []byte {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Body.Bytes()
	}
	getBytes := capture("/api/constitutions/bench-07")
	listBytes := capture("/api/constitutions?limit=50")
	createBody := func(i int) string {
		return fmt.Sprintf(`{"id":"new-%d","name":"New %d","content":"# Rules\n\nBe careful."}`, i, i)
	}
	createBytes := capture("/api/constitutions/bench-00")

	run := func(name string, h http.Handler, req func(i int) *http.Request, want int) {
		b.Run(name, func(b *testing.B) {
			lat := make(latencies, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				r := req(i)
				start := time.Now()
				serve(b, h, r, want)
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			lat.report(b)
		})
	}
	get := func(int) *http.Request { return httptest.NewRequest("GET", "/api/constitutions/bench-07", nil) }
	list := func(int) *http.Request { return httptest.NewRequest("GET", "/api/constitutions?limit=50", nil) }
	// b.Run calls its function several times with growing N, so ids come
	// from one counter rather than the loop index.
	var seq int
	create := func(int) *http.Request {
		seq++
		r := httptest.NewRequest("POST", "/api/constitutions", bytes.NewBufferString(createBody(seq)))
		r.Header.Set("Content-Type", "application/json")
		return r
	}

	run("get/api", h, get, 200)
	run("get/bare", bare(200, getBytes), get, 200)
	run("list/api", h, list, 200)
	run("list/bare", bare(200, listBytes), list, 200)
	run("create/api", h, create, 201)
	run("create/bare", bare(201, createBytes), create, 201)
}

// BenchmarkListCompression serves a 200-item list (the largest page)
// through the full Handler with and without Accept-Encoding: gzip and
// reports the bytes on the wire of each and their ratio, beside the time
// per compressed request.
func BenchmarkListCompression(b *testing.B) {
	st := openTestStore(b)
	h := New(Config{AllowedHosts: []string{"example.com"}}, Deps{Store: st}).Handler()
	// Prose-like text: words drawn from a vocabulary in a fixed
	// pseudo-random order, so it compresses like writing, not like one
	// sentence repeated.
	words := strings.Fields("the assistant must never reveal private data about people and should " +
		"refuse requests for weapons harm or medical dosing while explaining why in plain terms " +
		"caution applies to legal financial and health questions where advice depends on context " +
		"allow ordinary questions about science history cooking code travel and writing")
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 197 {
		var text strings.Builder
		for range 160 {
			text.WriteString(words[rng.IntN(len(words))] + " ")
		}
		body := fmt.Sprintf(`{"id":"bench-%03d","name":"Bench %d","content":"# Rules\n\n%s"}`, n, n, text.String())
		serve(b, h, httptest.NewRequest("POST", "/api/constitutions", bytes.NewBufferString(body)), 201)
	}
	size := func(enc string) int {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/api/constitutions?limit=200", nil)
		if enc != "" {
			req.Header.Set("Accept-Encoding", enc)
		}
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Header().Get("Content-Encoding") != enc {
			b.Fatalf("%d, Content-Encoding %q", rec.Code, rec.Header().Get("Content-Encoding"))
		}
		return rec.Body.Len()
	}
	plain := size("")
	// One sub-benchmark per coding: the time is the whole answer (read,
	// encode to JSON, compress), the bytes those on the wire.
	for _, enc := range []string{"identity", "gzip", "br"} {
		b.Run(enc, func(b *testing.B) {
			wire := plain
			if enc != "identity" {
				wire = size(enc)
			}
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("GET", "/api/constitutions?limit=200", nil)
				req.Header.Set("Accept-Encoding", enc)
				serve(b, h, req, 200)
			}
			b.ReportMetric(float64(wire), "wire-B")
			b.ReportMetric(float64(wire)/float64(plain), "wire/plain")
		})
	}
}
