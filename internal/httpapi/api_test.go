package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestInternalErrorIsGeneric breaks the database for real (closes it) and
// checks the client learns nothing but a request id while the log and the
// metrics get the cause.
func TestInternalErrorIsGeneric(t *testing.T) {
	t.Parallel()
	st := openTestStore(t)
	s := newTestServer(t, st, Config{})
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	r := s.do(t, "GET", "/api/constitutions/default", nil, "X-Request-Id", "trace-500")
	p := r.problem(t, 500)
	if !strings.Contains(p.Detail, "trace-500") || len(p.Errors) != 0 {
		t.Errorf("500 detail %q errors %v", p.Detail, p.Errors)
	}
	for _, leak := range []string{"sql", "closed", "sqlite", ".db", "/"} {
		if strings.Contains(strings.ToLower(p.Detail), leak) {
			t.Errorf("500 leaks %q: %s", leak, r.body)
		}
	}
	lines := s.logs.linesWith("request_id=trace-500")
	if len(lines) != 1 || !strings.Contains(lines[0], "level=ERROR") || !strings.Contains(lines[0], "closed") {
		t.Errorf("log lines %q", lines)
	}
	r = s.do(t, "POST", "/api/constitutions", map[string]any{"name": "x", "content": "x"})
	r.problem(t, 500)
	s.do(t, "GET", "/api/constitutions/default/versions", nil).problem(t, 500)
	if r := s.do(t, "GET", "/api/health", nil); r.status != 503 {
		t.Errorf("health with a closed database: %s", r)
	}

	m := s.do(t, "GET", "/metrics", nil)
	for _, want := range []string{
		`superego_db_errors_total{operation="constitution.get"} 1`,
		`superego_db_errors_total{operation="constitution.create"} 1`,
		`superego_db_errors_total{operation="constitution.list_versions"} 1`,
		`superego_db_errors_total{operation="database.ping"} 1`,
		`superego_http_requests_total{route="GET /api/constitutions/{id}",status="500"} 1`,
	} {
		if !strings.Contains(string(m.body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	t.Run("own registry", func(t *testing.T) {
		t.Parallel()
		s := seeded(t)
		// Before any error the database error series exist at zero, so
		// a rate() over them means "none" rather than "no data".
		m := s.do(t, "GET", "/metrics", nil)
		for _, want := range []string{
			`superego_db_errors_total{operation="constitution.get"} 0`,
			`superego_db_errors_total{operation="flow_instance.list"} 0`,
			`superego_db_errors_total{operation="database.ping"} 0`,
		} {
			if !strings.Contains(string(m.body), want) {
				t.Errorf("fresh metrics lack %s", want)
			}
		}
		s.do(t, "GET", "/api/constitutions/default", nil)
		s.do(t, "GET", "/api/constitutions/strict", nil)
		s.do(t, "GET", "/api/constitutions/nope", nil)
		s.do(t, "GET", "/api/no-such-route/x", nil)
		m = s.do(t, "GET", "/metrics", nil)
		if m.status != 200 {
			t.Fatal(m)
		}
		for _, want := range []string{
			`superego_http_requests_total{route="GET /api/constitutions/{id}",status="200"} 2`,
			`superego_http_requests_total{route="GET /api/constitutions/{id}",status="404"} 1`,
			`superego_http_requests_total{route="/api/",status="404"} 1`,
			`superego_http_request_duration_seconds_count{route="GET /api/constitutions/{id}"} 3`,
		} {
			if !strings.Contains(string(m.body), want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
	t.Run("given registry", func(t *testing.T) {
		t.Parallel()
		reg := prometheus.NewRegistry()
		api := New(Config{AllowedHosts: []string{"example.com"}}, Deps{Store: openTestStore(t), Registry: reg})
		h := api.Handler()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/constitutions/default", nil))
		if rec.Code != 200 {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		// The caller serves /metrics; the API must not claim the path.
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if rec.Code != 404 {
			t.Errorf("/metrics served with a caller's registry: %d", rec.Code)
		}
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, mf := range mfs {
			found = found || mf.GetName() == "superego_http_requests_total"
		}
		if !found {
			t.Error("metrics not registered in the given registry")
		}
		// A second API on the same registry shares the collectors.
		New(Config{}, Deps{Registry: reg})
	})
}

func TestUnmatchedAndUI(t *testing.T) {
	t.Parallel()
	st := openTestStore(t)
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<html>ui "+r.URL.Path+"</html>")
	})
	api := New(Config{}, Deps{Store: st, UI: ui})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	s := &testServer{api: api, srv: srv, store: st}

	r := s.do(t, "PATCH", "/api/constitutions/default", `{}`)
	r.problem(t, 405)
	if allow := r.header.Get("Allow"); allow != "GET, PUT, DELETE" {
		t.Errorf("Allow = %q", allow)
	}
	if r := s.do(t, "DELETE", "/api/constitutions", nil); r.header.Get("Allow") != "GET, POST" {
		t.Errorf("405 on the collection: %s %q", r, r.header.Get("Allow"))
	}
	s.do(t, "GET", "/api/nothing/here", nil).problem(t, 404)
	s.do(t, "GET", "/api", nil).problem(t, 404)
	for _, p := range []string{"/", "/flows/abc", "/apiary"} {
		r := s.do(t, "GET", p, nil)
		if r.status != 200 || !strings.Contains(string(r.body), "ui "+p) {
			t.Errorf("UI path %s: %s", p, r)
		}
	}
	// Without a UI, non-API paths are a problem+json 404 too.
	bare := httptest.NewServer(New(Config{}, Deps{Store: st}).Handler())
	t.Cleanup(bare.Close)
	(&testServer{srv: bare}).do(t, "GET", "/flows/abc", nil).problem(t, 404)
}

// TestProblemShape checks an error body is plain RFC 9457 with nothing
// extra a client would have to ignore.
func TestProblemShape(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	r := s.do(t, "POST", "/api/constitutions", map[string]any{"name": "x", "content": "x", "nope": 1})
	r.problem(t, 422)
	var raw map[string]any
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatal(err)
	}
	for k := range raw {
		switch k {
		case "type", "title", "status", "detail", "instance", "errors":
		default:
			t.Errorf("unexpected problem member %q", k)
		}
	}
}

func TestContentType(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	for ct, want := range map[string]int{
		"text/plain":                      415,
		"application/xml":                 415,
		"application/json; charset=utf-8": 201,
	} {
		req, _ := http.NewRequest("POST", s.srv.URL+"/api/constitutions", strings.NewReader(`{"name":"`+ct+`","content":"x"}`))
		req.Header.Set("Content-Type", ct)
		r := s.send(t, req)
		if want >= 400 {
			if p := r.problem(t, want); !strings.Contains(p.Detail, "application/json") {
				t.Errorf("%s: detail %q", ct, p.Detail)
			}
		} else if r.status != want {
			t.Errorf("%s: %s", ct, r)
		}
	}
}
