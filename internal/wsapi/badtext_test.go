package wsapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestRunsBadIDs: a run id holding a NUL character or invalid UTF-8 is not
// found, on every store (PostgreSQL cannot even compare such text).
func TestRunsBadIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{mux: withRuns})
	for _, id := range []string{"a%00b", "a%FFb"} {
		for _, path := range []string{"/api/runs/" + id, "/api/runs/" + id + "/events"} {
			if resp := get(t, e.srv.URL+path, nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
			}
		}
	}
}

// TestTextWithNULRefused: text fields with a NUL character are refused at
// the edge, naming the field, before anything is stored.
func TestTextWithNULRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	c := e.dial()
	c.send(map[string]any{"type": "run_parallel", "request_id": "p", "content": "hi",
		"flow_config_ids": []string{e.standard, e.noSuperego}, "comparison_name": "a\u0000b"})
	if f := c.expectError("invalid_field", "p"); !strings.Contains(f.Msg, "comparison_name") {
		t.Errorf("message %q does not name comparison_name", f.Msg)
	}
	c.send(sendMessage("s", e.instance, "a\u0000b"))
	if f := c.expectError("invalid_field", "s"); !strings.Contains(f.Msg, "content") {
		t.Errorf("message %q does not name content", f.Msg)
	}
}
