package httpapi

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestHostGuardAllows(t *testing.T) {
	t.Parallel()
	cases := []struct {
		listen  string
		allowed []string
		host    string
		want    bool
	}{
		{"127.0.0.1:8000", nil, "127.0.0.1:8000", true},
		{"127.0.0.1:8000", nil, "localhost:8000", true},
		{"127.0.0.1:8000", nil, "LOCALHOST.:8000", true},
		{"127.0.0.1:8000", nil, "app.localhost:8000", true},
		{"127.0.0.1:8000", nil, "[::1]:8000", true},
		{"127.0.0.1:8000", nil, "127.0.0.2", true},
		{"127.0.0.1:8000", nil, "evil.example:8000", false},
		{"127.0.0.1:8000", nil, "evil.example", false},
		{"127.0.0.1:8000", nil, "localhost.evil.example", false},
		{"127.0.0.1:8000", nil, "10.0.0.7:8000", false},
		{"10.0.0.7:8000", nil, "10.0.0.7:8000", true},
		{"10.0.0.7:8000", nil, "10.0.0.8:8000", false},
		{"0.0.0.0:8000", nil, "10.0.0.8:8000", true},
		{"[::]:8000", nil, "[fd00::1]:8000", true},
		{":8000", nil, "192.168.1.20:8000", true},
		{":8000", nil, "evil.example:8000", false},
		{"lab.internal:8000", nil, "lab.internal:8000", true},
		{"127.0.0.1:8000", []string{"superego.example.org"}, "Superego.Example.Org:443", true},
		{"127.0.0.1:8000", []string{"superego.example.org"}, "evil.example.org", false},
		{"127.0.0.1:8000", []string{"*.example.org"}, "a.example.org", true},
		{"127.0.0.1:8000", []string{"*.example.org"}, "example.org.evil.example", false},
		{"127.0.0.1:8000", []string{"*"}, "anything.example", true},
	}
	for _, c := range cases {
		if got := NewHostGuard(c.listen, c.allowed).Allows(c.host); got != c.want {
			t.Errorf("listen %q allowed %q: Allows(%q) = %v, want %v", c.listen, c.allowed, c.host, got, c.want)
		}
	}
}

// TestDNSRebindingRefused sends what a page on a rebound name would: its
// own name as Host (and Origin). Nothing reaches a handler: not the REST
// API, not the UI, not /metrics.
func TestDNSRebindingRefused(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	port := s.srv.Listener.Addr().(interface{ String() string }).String()
	port = port[strings.LastIndex(port, ":"):]
	evil := "evil.example" + port
	send := func(method, path, host, body string) resp {
		req, err := http.NewRequest(method, s.srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		req.Header.Set("Origin", "http://"+host)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		return s.send(t, req)
	}
	for _, p := range []string{"/api/constitutions", "/", "/api/health", "/metrics", "/api/docs"} {
		r := send(http.MethodGet, p, evil, "")
		prob := r.problem(t, http.StatusMisdirectedRequest)
		if !strings.Contains(prob.Detail, "--allowed-hosts evil.example") {
			t.Errorf("GET %s: detail %q does not say how to allow the name", p, prob.Detail)
		}
	}
	r := send(http.MethodPost, "/api/constitutions", evil, `{"id":"rebound","name":"x","content":""}`)
	r.problem(t, http.StatusMisdirectedRequest)
	if got := s.do(t, http.MethodGet, "/api/constitutions/rebound", nil); got.status != http.StatusNotFound {
		t.Fatalf("the refused POST created the constitution: %s", got)
	}
	// The same requests under loopback names are served.
	if r := send(http.MethodGet, "/api/constitutions", "localhost"+port, ""); r.status != http.StatusOK {
		t.Fatalf("localhost: %s", r)
	}
	if r := send(http.MethodPost, "/api/constitutions", "127.0.0.1"+port, `{"id":"local","name":"x","content":""}`); r.status != http.StatusCreated {
		t.Fatalf("127.0.0.1: %s", r)
	}
}

func TestAllowedHostsServed(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, openTestStore(t), Config{ListenAddr: "127.0.0.1:0", AllowedHosts: []string{"superego.lab.example"}})
	req, _ := http.NewRequest(http.MethodGet, s.srv.URL+"/api/constitutions", nil)
	req.Host = "superego.lab.example"
	if r := s.send(t, req); r.status != http.StatusOK {
		t.Fatalf("allowed host: %s", r)
	}
	req, _ = http.NewRequest(http.MethodGet, s.srv.URL+"/api/constitutions", nil)
	req.Host = "other.lab.example"
	s.send(t, req).problem(t, http.StatusMisdirectedRequest)
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	for _, p := range []string{"/", "/api/constitutions", "/api/nothing-here", "/api/docs"} {
		r := s.do(t, http.MethodGet, p, nil)
		csp := r.header.Get("Content-Security-Policy")
		for _, want := range []string{"frame-ancestors 'none'", "default-src 'none'"} {
			if want == "default-src 'none'" && p != "/api/docs" {
				want = "script-src 'self'"
			}
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: CSP %q lacks %q", p, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") && p != "/api/docs" {
			t.Errorf("GET %s: CSP allows inline code: %q", p, csp)
		}
		if got := r.header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("GET %s: Referrer-Policy %q", p, got)
		}
		if got := r.header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("GET %s: X-Frame-Options %q", p, got)
		}
	}
}

func TestMetricsNeedToken(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, openTestStore(t), Config{APIToken: "metrics-secret"})
	s.token = ""
	s.do(t, http.MethodGet, "/metrics", nil).problem(t, http.StatusUnauthorized)
	r := s.do(t, http.MethodGet, "/metrics", nil, "Authorization", "Bearer metrics-secret")
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "superego_http_requests_total") {
		t.Fatalf("with the token: %d", r.status)
	}
}

// TestJSONKeysExact: keys match the schema's names exactly, and a key
// given twice is refused, so what the server stores is never a guess
// between two spellings or two values.
func TestJSONKeysExact(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	p := s.do(t, http.MethodPost, "/api/constitutions", `{"id":"cased","name":"A","NAME":"x","content":""}`).problem(t, http.StatusUnprocessableEntity)
	if !hasFieldError(p, "body.NAME") {
		t.Fatalf("case-folded key not named: %+v", p)
	}
	p = s.do(t, http.MethodPost, "/api/constitutions", `{"id":"twice","name":"A","name":"B","content":""}`).problem(t, http.StatusUnprocessableEntity)
	if !hasFieldError(p, "body.name") {
		t.Fatalf("duplicate key not named: %+v", p)
	}
	// Nested objects too.
	p = s.do(t, http.MethodPost, "/api/flow-templates",
		`{"name":"n","config":{"constitution_id":"default","sysprompt_id":"default","constitution_id":"none"}}`).problem(t, http.StatusUnprocessableEntity)
	if !hasFieldError(p, "body.config.constitution_id") {
		t.Fatalf("nested duplicate key not named: %+v", p)
	}
	for _, id := range []string{"cased", "twice"} {
		if r := s.do(t, http.MethodGet, "/api/constitutions/"+url.PathEscape(id), nil); r.status != http.StatusNotFound {
			t.Fatalf("refused body was stored: %s", r)
		}
	}
	// Keys that only look alike at other levels are fine.
	if r := s.do(t, http.MethodPost, "/api/constitutions", `{"id":"ok","name":"A","content":"{\"name\":1,\"name\":2}"}`); r.status != http.StatusCreated {
		t.Fatalf("a duplicate inside a string value is not a duplicate key: %s", r)
	}
}

// TestCrossSiteWritesRefused: a page of another site can make the browser
// POST to the loopback server (Host is 127.0.0.1, so the host guard lets
// it through), e.g. an empty form POST to instantiate a template. It is
// refused with 403; reads and same-origin writes are not.
func TestCrossSiteWritesRefused(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	list := func() int {
		var l List[map[string]any]
		s.do(t, http.MethodGet, "/api/flow-instances?limit=200", nil).decode(t, &l)
		return len(l.Items)
	}
	before := list()
	for _, hdr := range [][]string{
		{"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site", "Content-Type", "application/x-www-form-urlencoded"},
		{"Origin", "http://evil.example", "Content-Type", "application/x-www-form-urlencoded"},
	} {
		s.do(t, http.MethodPost, "/api/flow-templates/standard/instantiate", nil, hdr...).problem(t, http.StatusForbidden)
	}
	if got := list(); got != before {
		t.Fatalf("a cross-site POST created flow instances: %d → %d", before, got)
	}
	if r := s.do(t, http.MethodGet, "/api/constitutions", nil, "Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"); r.status != http.StatusOK {
		t.Fatalf("cross-site read: %s", r)
	}
	if r := s.do(t, http.MethodPost, "/api/flow-templates/standard/instantiate", nil, "Origin", s.srv.URL, "Sec-Fetch-Site", "same-origin"); r.status != http.StatusCreated {
		t.Fatalf("same-origin write: %s", r)
	}
}

// TestMediaTypeCaseInsensitive: type and subtype are case-insensitive
// (RFC 9110), so APPLICATION/JSON is JSON.
func TestMediaTypeCaseInsensitive(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	for i, ct := range []string{"APPLICATION/JSON", "Application/Json; Charset=UTF-8", "application/JSON"} {
		id := "cased-" + string(rune('a'+i))
		r := s.do(t, http.MethodPost, "/api/constitutions", `{"id":"`+id+`","name":"x","content":""}`, "Content-Type", ct)
		if r.status != http.StatusCreated {
			t.Errorf("Content-Type %q: %s", ct, r)
		}
	}
	s.do(t, http.MethodPost, "/api/constitutions", `{"id":"plain","name":"x","content":""}`, "Content-Type", "TEXT/PLAIN").problem(t, http.StatusUnsupportedMediaType)
}
