package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/superego-lab/superego/internal/model"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	const token = "s3cret-token"
	s := newTestServer(t, openTestStore(t), Config{APIToken: token})
	s.token = "" // every scenario sets its own header
	s.api.HandlePublic("GET /api/public-probe", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	s.api.Handle("GET /api/private-probe", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	bearer := func(v string) []string { return []string{"Authorization", v} }
	challenged := func(t *testing.T, r resp) {
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
		}
		if strings.Contains(string(r.body), token) {
			t.Errorf("401 echoes the token")
		}
	}
	newC := map[string]any{"id": "sneaky", "name": "x", "content": "x"}

	s.run(t, []scenario{
		{name: "missing token", method: "GET", path: "/api/constitutions", status: 401, check: challenged},
		{name: "wrong token", method: "GET", path: "/api/constitutions", hdr: bearer("Bearer nope"), status: 401, check: challenged},
		{name: "token prefix", method: "GET", path: "/api/constitutions", hdr: bearer("Bearer " + token[:5]), status: 401},
		{name: "token with suffix", method: "GET", path: "/api/constitutions", hdr: bearer("Bearer " + token + "x"), status: 401},
		{name: "basic scheme", method: "GET", path: "/api/constitutions", hdr: bearer("Basic " + token), status: 401},
		{name: "empty bearer", method: "GET", path: "/api/constitutions", hdr: bearer("Bearer "), status: 401},
		{name: "right token", method: "GET", path: "/api/constitutions", hdr: bearer("Bearer " + token), status: 200},
		{name: "scheme case-insensitive", method: "GET", path: "/api/constitutions/default", hdr: bearer("bearer " + token), status: 200},
		{name: "write without token", method: "POST", path: "/api/constitutions", body: newC, status: 401},
		{name: "write did nothing", method: "GET", path: "/api/constitutions/sneaky", hdr: bearer("Bearer " + token), status: 404},
		{name: "health is open", method: "GET", path: "/api/health", status: 200},
		{name: "openapi needs token", method: "GET", path: "/api/openapi.json", status: 401},
		{name: "docs need token", method: "GET", path: "/api/docs", status: 401},
		{name: "models need token", method: "GET", path: "/api/models", status: 401},
		{name: "unknown api path needs token", method: "GET", path: "/api/nope", status: 401},
		{name: "raw handler needs token", method: "GET", path: "/api/private-probe", status: 401},
		{name: "raw handler with token", method: "GET", path: "/api/private-probe", hdr: bearer("Bearer " + token), status: 204},
		{name: "public handler", method: "GET", path: "/api/public-probe", status: 204},
		{name: "metrics need token", method: "GET", path: "/metrics", status: 401},
		{name: "metrics with token", method: "GET", path: "/metrics", hdr: bearer("Bearer " + token), status: 200},
	})
}

func TestRequestIDAndLogLine(t *testing.T) {
	t.Parallel()
	s := seeded(t)

	r := s.do(t, "GET", "/api/constitutions/default", nil)
	if id := r.header.Get("X-Request-Id"); !model.ValidID(id) {
		t.Errorf("generated request id %q", id)
	}
	if r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("no nosniff header")
	}
	r = s.do(t, "GET", "/api/constitutions/default", nil, "X-Request-Id", "client-id.42")
	if got := r.header.Get("X-Request-Id"); got != "client-id.42" {
		t.Errorf("sane id not echoed: %q", got)
	}
	for _, bad := range []string{strings.Repeat("a", 65), "has space", "new\tline", "ünï"} {
		r = s.do(t, "GET", "/api/constitutions/default", nil, "X-Request-Id", bad)
		if got := r.header.Get("X-Request-Id"); got == bad || !model.ValidID(got) {
			t.Errorf("insane id %q answered with %q", bad, got)
		}
	}
	if lines := s.logs.linesWith("request failed"); len(lines) != 0 {
		t.Errorf("successful requests logged as failures: %q", lines)
	}

	// A failed request: exactly one log line, with id, method, path, status.
	r = s.do(t, "GET", "/api/constitutions/nope", nil, "X-Request-Id", "trace-404")
	r.problem(t, 404)
	lines := s.logs.linesWith("request_id=trace-404")
	if len(lines) != 1 {
		t.Fatalf("%d log lines for one failed request: %q", len(lines), lines)
	}
	for _, want := range []string{"method=GET", "path=/api/constitutions/nope", "status=404", "level=INFO"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("log line lacks %s: %s", want, lines[0])
		}
	}

	r = s.do(t, "POST", "/api/constitutions", `{"name":`, "X-Request-Id", "trace-400")
	r.problem(t, 400)
	if lines := s.logs.linesWith("request_id=trace-400"); len(lines) != 1 || !strings.Contains(lines[0], "status=400") {
		t.Errorf("log lines for a 400: %q", lines)
	}
	if lines := s.logs.linesWith("client-id.42"); len(lines) != 0 {
		t.Errorf("a success logged at info: %q", lines)
	}
}

// At debug level every request has its line, successes included, so a
// request id quoted from a response can be found in the log.
func TestDebugAccessLog(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	api := New(Config{}, Deps{
		Store: openTestStore(t),
		Log:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	s := &testServer{api: api, srv: srv, logs: logs}

	s.do(t, "GET", "/api/constitutions/default", nil, "X-Request-Id", "trace-ok")
	lines := logs.linesWith("request_id=trace-ok")
	if len(lines) != 1 {
		t.Fatalf("%d log lines for one request: %q", len(lines), lines)
	}
	for _, want := range []string{"level=DEBUG", `msg=request `, "method=GET", "path=/api/constitutions/default", "status=200", "duration="} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("log line lacks %s: %s", want, lines[0])
		}
	}
}

func TestPanicRecovery(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	s.api.Handle("GET /api/boom", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("kaboom at /secret/path")
	}))
	r := s.do(t, "GET", "/api/boom", nil, "X-Request-Id", "trace-panic")
	p := r.problem(t, 500)
	if strings.Contains(string(r.body), "kaboom") || strings.Contains(string(r.body), "secret") || !strings.Contains(p.Detail, "trace-panic") {
		t.Errorf("panic answer: %s", r.body)
	}
	lines := s.logs.linesWith("request_id=trace-panic")
	if len(lines) != 1 || !strings.Contains(lines[0], "kaboom") || !strings.Contains(lines[0], "level=ERROR") {
		t.Errorf("log lines %q", lines)
	}
	if !strings.Contains(lines[0], "stack=") {
		t.Errorf("panic log line has no stack: %s", lines[0])
	}
	if r := s.do(t, "GET", "/api/constitutions/default", nil); r.status != 200 {
		t.Errorf("server unwell after a panic: %s", r)
	}

	// A panic after the response has begun cannot change the status, but
	// it is still logged as an error.
	s.api.Handle("GET /api/late-boom", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "partial")
		panic("late kaboom")
	}))
	_, _ = s.try("GET", "/api/late-boom", nil, "X-Request-Id", "trace-late-panic")
	lines = s.logs.linesWith("request_id=trace-late-panic")
	if len(lines) != 1 || !strings.Contains(lines[0], "late kaboom") || !strings.Contains(lines[0], "level=ERROR") {
		t.Errorf("late panic log lines %q", lines)
	}
}

// bigBody is a constitution whose JSON encoding is exactly n bytes.
func bigBody(n int) string {
	const head, tail = `{"name":"big","content":"`, `"}`
	return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
}

// chunked hides the length so the client sends Transfer-Encoding: chunked
// and only reading the body can find it too large.
type chunked struct{ io.Reader }

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	t.Run("default 1 MiB", func(t *testing.T) {
		t.Parallel()
		s := seeded(t)
		s.do(t, "POST", "/api/constitutions", bigBody(1<<20+1)).problem(t, 413)
		s.do(t, "PUT", "/api/constitutions/strict", bigBody(3<<20)).problem(t, 413)
		req, _ := http.NewRequest("POST", s.srv.URL+"/api/constitutions", chunked{strings.NewReader(bigBody(1<<20 + 1))})
		req.Header.Set("Content-Type", "application/json")
		s.send(t, req).problem(t, 413)
		if r := s.do(t, "POST", "/api/constitutions", bigBody(1<<20)); r.status != 201 {
			t.Errorf("body of exactly 1 MiB: %d", r.status)
		}
	})
	t.Run("configured", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, openTestStore(t), Config{BodyLimit: 1000})
		if r := s.do(t, "POST", "/api/constitutions", bigBody(1000)); r.status != 201 {
			t.Fatalf("body at the limit: %s", r)
		}
		p := s.do(t, "POST", "/api/constitutions", bigBody(1001)).problem(t, 413)
		if !strings.Contains(p.Detail, "1000") {
			t.Errorf("413 does not state the limit: %q", p.Detail)
		}
		for _, n := range []int{1001, 5000} {
			req, _ := http.NewRequest("PUT", s.srv.URL+"/api/constitutions/big", chunked{strings.NewReader(bigBody(n))})
			req.Header.Set("Content-Type", "application/json")
			// Found while reading, the same limit is stated as when
			// Content-Length declared the size up front.
			if cp := s.send(t, req).problem(t, 413); cp.Detail != p.Detail {
				t.Errorf("chunked %d bytes: detail %q, want %q", n, cp.Detail, p.Detail)
			}
		}
		var c model.Constitution
		s.do(t, "GET", "/api/constitutions/big", nil).decode(t, &c)
		if c.Version != 1 {
			t.Errorf("oversized PUT changed the object: %+v", c.Meta)
		}
	})
}

// TestCancelledRequestNotAnError sends a request whose client has already
// gone: the store call fails with context.Canceled, which must not be
// logged as an error or counted as a database error.
func TestCancelledRequestNotAnError(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest("GET", "/api/constitutions", nil).WithContext(ctx)
	req.Host = "localhost"
	req.Header.Set("X-Request-Id", "trace-cancel")
	rec := httptest.NewRecorder()
	s.api.Handler().ServeHTTP(rec, req)
	if rec.Code == 200 || rec.Code == 500 {
		t.Fatalf("cancelled request answered %d", rec.Code)
	}
	if lines := s.logs.linesWith("trace-cancel"); len(lines) != 0 {
		t.Errorf("cancelled request logged: %q", lines)
	}
	m := s.do(t, "GET", "/metrics", nil)
	for _, l := range strings.Split(string(m.body), "\n") {
		if strings.HasPrefix(l, "superego_db_errors_total{") && !strings.HasSuffix(l, " 0") {
			t.Errorf("cancellation counted as a database error: %s", l)
		}
	}
}

// TestTraversal sends ids that try to escape their path segment to every
// resource. Whatever the spelling, the answer is a 404 (a path that names
// no resource) or a 422 naming path.id (a segment that is not a slug), as
// problem+json, and nothing is touched.
func TestTraversal(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	before := s.do(t, "GET", "/api/constitutions/default", nil)
	for _, res := range []string{"constitutions", "sysprompts", "flow-configs", "flow-templates", "flow-instances"} {
		for _, tc := range []struct {
			seg    string
			status int
		}{
			{"..", http.StatusNotFound},
			{"%2e%2e", http.StatusNotFound},
			{"..%2Fconstitutions%2Fdefault", http.StatusNotFound},
			{"..%2F..%2Fetc%2Fpasswd", http.StatusNotFound},
			{"%2e%2e%2fdefault", http.StatusNotFound},
			{"/default", http.StatusNotFound},
			{"default/", http.StatusNotFound},
			{"a%2Fb", http.StatusUnprocessableEntity},
			{"default%00", http.StatusUnprocessableEntity},
			{".default", http.StatusUnprocessableEntity},
			{"%5C..%5Cx", http.StatusUnprocessableEntity},
			{"C:%5Cx", http.StatusUnprocessableEntity},
		} {
			for _, method := range []string{"GET", "PUT", "DELETE"} {
				path := "/api/" + res + "/" + tc.seg
				t.Run(method+" "+path, func(t *testing.T) {
					var body any
					if method == "PUT" {
						body = map[string]any{"name": "x", "content": "x"}
					}
					// Go's client sends the path as written, without cleaning.
					p := s.do(t, method, path, body).problem(t, tc.status)
					if tc.status == http.StatusUnprocessableEntity && !hasFieldError(p, "path.id") {
						t.Errorf("422 does not name path.id: %+v", p)
					}
				})
			}
		}
	}
	after := s.do(t, "GET", "/api/constitutions/default", nil)
	if string(before.body) != string(after.body) {
		t.Fatalf("default changed:\n%s\n%s", before.body, after.body)
	}
}

// TestStreamingPassThrough checks raw handlers behind the middleware can
// flush (SSE) and hijack (WebSocket) the connection.
func TestStreamingPassThrough(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	s.api.Handle("GET /api/flush-probe", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: one\n\n")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush: %v", err)
		}
	}))
	s.api.Handle("GET /api/hijack-probe", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer func() { _ = conn.Close() }()
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
		_ = buf.Flush()
	}))
	if r := s.do(t, "GET", "/api/flush-probe", nil); r.status != 200 || string(r.body) != "data: one\n\n" {
		t.Errorf("flush probe: %s", r)
	}
	if r := s.do(t, "GET", "/api/hijack-probe", nil); r.status != 200 || string(r.body) != "hijacked" {
		t.Errorf("hijack probe: %s", r)
	}
}

// TestSharedHeaderValuesStayPerResponse: the middleware gives every
// response the same header value slices; a handler adding to one of those
// headers changes its own response only. And the buffers answers are held
// in are reused: a long answer leaves nothing in the next, shorter one.
func TestSharedHeaderValuesStayPerResponse(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	long := strings.Repeat("x", 5000)
	s.api.Handle("GET /api/header-probe", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("X-Frame-Options", "SAMEORIGIN")
		h.Add("X-Content-Type-Options", "other")
		h.Set("Content-Type", "application/json")
		if r.URL.Query().Get("long") != "" {
			_, _ = w.Write([]byte(`"` + long + `"`))
			return
		}
		_, _ = w.Write([]byte(`"short"`))
	}))
	for _, q := range []string{"?long=1", "", "?long=1", ""} {
		r := s.do(t, "GET", "/api/header-probe"+q, nil)
		if got := r.header.Values("X-Frame-Options"); len(got) != 2 || got[0] != "DENY" || got[1] != "SAMEORIGIN" {
			t.Errorf("X-Frame-Options of the probe%s: %q", q, got)
		}
		want := `"short"`
		if q != "" {
			want = `"` + long + `"`
		}
		if string(r.body) != want {
			t.Errorf("body of the probe%s: %d bytes, want %d", q, len(r.body), len(want))
		}
		c := s.do(t, "GET", "/api/constitutions/default", nil)
		if got := c.header.Values("X-Frame-Options"); len(got) != 1 || got[0] != "DENY" {
			t.Errorf("X-Frame-Options after the probe: %q", got)
		}
		if got := c.header.Values("X-Content-Type-Options"); len(got) != 1 || got[0] != "nosniff" {
			t.Errorf("X-Content-Type-Options after the probe: %q", got)
		}
	}
}

// TestNewRequestID: request ids are lowercase ULIDs, valid slugs like
// model.NewID's, and distinct even when made in the same millisecond from
// several goroutines.
func TestNewRequestID(t *testing.T) {
	t.Parallel()
	const goroutines, each = 4, 2000
	ids := make(chan string, goroutines*each)
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				ids <- newRequestID()
			}
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		if len(id) != 26 || strings.ToLower(id) != id || !model.ValidID(id) || !saneRequestID(id) {
			t.Fatalf("request id %q is not a lowercase ULID", id)
		}
		if seen[id] {
			t.Fatalf("request id %q made twice", id)
		}
		seen[id] = true
	}
}
