package httpapi

import (
	"testing"
)

func TestHealth(t *testing.T) {
	t.Parallel()
	st := openTestStore(t)
	s := newTestServer(t, st, Config{APIToken: "tok"})
	s.token = "" // health needs none

	var h Health
	r := s.do(t, "GET", "/api/health", nil)
	r.decode(t, &h)
	if r.status != 200 || h.Status != "ok" || h.Database != "ok" {
		t.Fatalf("healthy: %s", r)
	}

	// A database that is really gone makes the check fail, with the same
	// body shape so monitors can read it.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	r = s.do(t, "GET", "/api/health", nil, "X-Request-Id", "trace-health")
	r.decode(t, &h)
	if r.status != 503 || h.Status != "unavailable" || h.Database != "unreachable" {
		t.Fatalf("unhealthy: %s", r)
	}
	if lines := s.logs.linesWith("request_id=trace-health"); len(lines) != 1 {
		t.Errorf("log lines for a failed health check: %q", lines)
	}
}
