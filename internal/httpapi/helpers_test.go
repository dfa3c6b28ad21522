package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/teststore"
)

// openTestStore is the one place that picks the database the API suite
// runs on (teststore: SQLite by default, PostgreSQL when
// SUPEREGO_TEST_STORE=postgres), seeded.
func openTestStore(t testing.TB) store.Store {
	t.Helper()
	return teststore.Seeded(t)
}

// syncBuffer collects log output from concurrent requests.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// linesWith returns the log lines containing s.
func (b *syncBuffer) linesWith(s string) []string {
	var out []string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

// testServer is the full Handler (all middleware) on a real HTTP server.
type testServer struct {
	api   *API
	srv   *httptest.Server
	store store.Store
	bus   *events.LocalBus
	logs  *syncBuffer
	token string // sent as a bearer token by do when set
}

// newTestServer serves an API over st. cfg may set a token or body limit.
func newTestServer(t testing.TB, st store.Store, cfg Config) *testServer {
	t.Helper()
	logs := &syncBuffer{}
	bus := events.NewLocalBus()
	api := New(cfg, Deps{
		Store: st,
		Bus:   bus,
		Log:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return &testServer{api: api, srv: srv, store: st, bus: bus, logs: logs, token: cfg.APIToken}
}

// seeded is the common case: a seeded SQLite store, no token.
func seeded(t testing.TB) *testServer {
	t.Helper()
	return newTestServer(t, openTestStore(t), Config{Version: "test"})
}

// resp is a response read in full.
type resp struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request and fails the test on a transport error. body may be
// nil, a string or []byte (sent raw), or anything else (sent as JSON). hdr
// holds header name/value pairs.
func (s *testServer) do(t testing.TB, method, path string, body any, hdr ...string) resp {
	t.Helper()
	r, err := s.try(method, path, body, hdr...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// try is do for goroutines other than the test's: it returns the error.
func (s *testServer) try(method, path string, body any, hdr ...string) (resp, error) {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return resp{}, err
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.srv.URL+path, r)
	if err != nil {
		return resp{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return s.trySend(req)
}

// send sends a prepared request and fails the test on a transport error.
func (s *testServer) send(t testing.TB, req *http.Request) resp {
	t.Helper()
	r, err := s.trySend(req)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (s *testServer) trySend(req *http.Request) (resp, error) {
	// Redirects would hide what the server answered.
	// Nor does it ask for gzip on its own (compression is tested by asking
	// for it), so tests see the identity representation and its ETag.
	client := &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{DisableCompression: true},
	}
	res, err := client.Do(req)
	if err != nil {
		return resp{}, fmt.Errorf("%s %s: %w", req.Method, req.URL, err)
	}
	defer func() { _ = res.Body.Close() }()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return resp{}, fmt.Errorf("%s %s: read body: %w", req.Method, req.URL, err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}, nil
}

func (r resp) String() string {
	return fmt.Sprintf("%d %s", r.status, r.body)
}

// decode unmarshals the body into v.
func (r resp) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r, err)
	}
}

// problem checks the response is problem+json with the given status and
// returns it.
func (r resp) problem(t testing.TB, status int) huma.ErrorModel {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json; body %s", ct, r.body)
	}
	var p huma.ErrorModel
	r.decode(t, &p)
	if p.Status != status {
		t.Fatalf("problem status = %d, want %d", p.Status, status)
	}
	if p.Title == "" || p.Detail == "" {
		t.Fatalf("problem lacks title or detail: %s", r.body)
	}
	return p
}

// hasFieldError reports whether p names location loc in its errors.
func hasFieldError(p huma.ErrorModel, loc string) bool {
	for _, e := range p.Errors {
		if e != nil && e.Location == loc {
			return true
		}
	}
	return false
}

// scenario is one request and what must come back.
type scenario struct {
	name   string
	method string
	path   string
	body   any
	hdr    []string
	status int
	// field, when set, must appear as a location in the problem's errors.
	field string
	// check inspects the response further.
	check func(t *testing.T, r resp)
}

// run runs scenarios in order on s (they may build on each other). expand,
// if given, rewrites placeholders such as "{id}" in paths and in the string
// values of map bodies, at the time each scenario runs, so later scenarios
// can use ids earlier ones created.
func (s *testServer) run(t *testing.T, scenarios []scenario, expand ...func(string) string) {
	t.Helper()
	ex := func(v string) string {
		for _, f := range expand {
			v = f(v)
		}
		return v
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			body := sc.body
			switch b := body.(type) {
			case string:
				body = ex(b)
			case map[string]any:
				m := make(map[string]any, len(b))
				for k, v := range b {
					if vs, ok := v.(string); ok {
						v = ex(vs)
					}
					m[k] = v
				}
				body = m
			}
			r := s.do(t, sc.method, ex(sc.path), body, sc.hdr...)
			if sc.status >= 400 {
				p := r.problem(t, sc.status)
				if sc.field != "" && !hasFieldError(p, sc.field) {
					t.Fatalf("problem does not name %s: %s", sc.field, r.body)
				}
			} else if r.status != sc.status {
				t.Fatalf("status = %d, want %d; body %s", r.status, sc.status, r.body)
			}
			if sc.check != nil {
				sc.check(t, r)
			}
		})
	}
}

// events returns a subscription to the server's bus.
func (s *testServer) events(t testing.TB) <-chan events.Event {
	ch, cancel := s.bus.Subscribe(64)
	t.Cleanup(cancel)
	return ch
}

// nextEvent takes the next queued event. Writes publish before they
// respond, so after a response the event is already queued: no waiting.
func nextEvent(t testing.TB, ch <-chan events.Event) events.Event {
	t.Helper()
	select {
	case e := <-ch:
		return e
	default:
		t.Fatal("no event was published")
		return events.Event{}
	}
}

// noEvent fails if an event is queued.
func noEvent(t testing.TB, ch <-chan events.Event) {
	t.Helper()
	select {
	case e := <-ch:
		t.Fatalf("unexpected event %+v", e)
	default:
	}
}

// wantEvent checks the next event.
func wantEvent(t testing.TB, ch <-chan events.Event, resource, action, id string, version int) {
	t.Helper()
	e := nextEvent(t, ch)
	if e.Type != events.TypeResourceChanged || e.Resource != resource || e.Action != action || e.ID != id || e.Version != version {
		t.Fatalf("event = %+v, want resource_changed %s %s %s v%d", e, resource, action, id, version)
	}
}
