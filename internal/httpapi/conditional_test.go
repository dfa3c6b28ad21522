package httpapi

import (
	"context"
	"net/http"
	"testing"

	"github.com/superego-lab/superego/internal/model"
)

// TestETagFollowsRepresentation: a flow instance's ETag changes when a
// message is added (message_count and last_message_at change, its version
// does not), If-Match still checks the version alone, and GETs answer
// If-None-Match with 304 while the representation is the same.
func TestETagFollowsRepresentation(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	var inst model.FlowInstance
	r := s.do(t, http.MethodPost, "/api/flow-instances", map[string]any{"flow_config_id": "standard", "name": "Cached"})
	r.decode(t, &inst)
	path := "/api/flow-instances/" + inst.ID
	first := s.do(t, http.MethodGet, path, nil)
	tag1 := first.header.Get("ETag")
	if tag1 == "" || tag1 != r.header.Get("ETag") {
		t.Fatalf("ETag of GET %q, of POST %q", tag1, r.header.Get("ETag"))
	}
	if nm := s.do(t, http.MethodGet, path, nil, "If-None-Match", tag1); nm.status != http.StatusNotModified || len(nm.body) != 0 || nm.header.Get("ETag") != tag1 {
		t.Fatalf("If-None-Match with the current tag: %d %q ETag %q", nm.status, nm.body, nm.header.Get("ETag"))
	}
	if nm := s.do(t, http.MethodGet, path, nil, "If-None-Match", `W/`+tag1+`, "other"`); nm.status != http.StatusNotModified {
		t.Fatalf("weak comparison in a list: %d", nm.status)
	}

	if _, err := s.store.AppendMessage(context.Background(), model.Message{
		FlowInstanceID: inst.ID, Role: model.RoleUser, Content: "hello", Status: model.MessageComplete,
	}); err != nil {
		t.Fatal(err)
	}
	second := s.do(t, http.MethodGet, path, nil, "If-None-Match", tag1)
	var grown model.FlowInstance
	second.decode(t, &grown)
	tag2 := second.header.Get("ETag")
	if second.status != http.StatusOK || grown.MessageCount != 1 || grown.Version != inst.Version || tag2 == tag1 {
		t.Fatalf("after a message: %d count %d version %d, ETag %q (was %q)", second.status, grown.MessageCount, grown.Version, tag2, tag1)
	}
	// A rename with either tag: the version is what If-Match checks.
	if w := s.do(t, http.MethodPut, path, map[string]any{"flow_config_id": "standard", "name": "Renamed"}, "If-Match", tag1); w.status != http.StatusOK {
		t.Fatalf("PUT with the earlier tag of the same version: %s", w)
	}
	s.do(t, http.MethodPut, path, map[string]any{"flow_config_id": "standard", "name": "Again"}, "If-Match", tag2).problem(t, http.StatusPreconditionFailed)
}

// TestListsAnswerIfNoneMatch: lists and other bodies without a version
// get a digest ETag, and 304 while unchanged.
func TestListsAnswerIfNoneMatch(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	for _, p := range []string{"/api/constitutions", "/api/openapi.json", "/api/models"} {
		r := s.do(t, http.MethodGet, p, nil)
		tag := r.header.Get("ETag")
		if r.status != http.StatusOK || tag == "" {
			t.Fatalf("GET %s: %d ETag %q", p, r.status, tag)
		}
		if nm := s.do(t, http.MethodGet, p, nil, "If-None-Match", tag); nm.status != http.StatusNotModified || len(nm.body) != 0 {
			t.Fatalf("GET %s If-None-Match: %d", p, nm.status)
		}
	}
	r := s.do(t, http.MethodGet, "/api/constitutions", nil)
	s.do(t, http.MethodPost, "/api/constitutions", map[string]any{"id": "fresh", "name": "Fresh", "content": ""})
	if nm := s.do(t, http.MethodGet, "/api/constitutions", nil, "If-None-Match", r.header.Get("ETag")); nm.status != http.StatusOK {
		t.Fatalf("list after a create: %d", nm.status)
	}
	// Errors are never 304.
	if nm := s.do(t, http.MethodGet, "/api/constitutions/nope", nil, "If-None-Match", "*"); nm.status != http.StatusNotFound {
		t.Fatalf("404 with If-None-Match *: %d", nm.status)
	}
}

// TestMediaTypeChecks: the quick paths of isEventStream and compressible
// answer as parsing the media type does.
func TestMediaTypeChecks(t *testing.T) {
	t.Parallel()
	for ct, want := range map[string]bool{
		"text/event-stream":                 true,
		" Text/Event-Stream; charset=utf-8": true,
		"text/event-stream;":                true,
		"text/event-streamx":                false,
		"text/event-stre":                   false,
		"application/json":                  false,
		"":                                  false,
	} {
		if got := isEventStream(ct); got != want {
			t.Errorf("isEventStream(%q) = %v", ct, got)
		}
	}
	for ct, want := range map[string]bool{
		"application/json":                true,
		"application/json; charset=utf-8": true,
		"Application/JSON":                true,
		"application/problem+json":        true,
		"text/event-stream":               false,
		"image/png":                       false,
		"":                                false,
	} {
		if got := compressible(ct); got != want {
			t.Errorf("compressible(%q) = %v", ct, got)
		}
	}
}
