package httpapi

import (
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/model"
)

func TestSysprompts(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	ev := s.events(t)
	var cfgID string

	s.run(t, []scenario{
		{name: "list seeded", method: "GET", path: "/api/sysprompts", status: 200, check: func(t *testing.T, r resp) {
			var l List[model.Sysprompt]
			r.decode(t, &l)
			found := false
			for _, sp := range l.Items {
				found = found || sp.ID == "assistant_default"
			}
			if !found {
				t.Errorf("assistant_default missing: %s", r.body)
			}
		}},
		{name: "get", method: "GET", path: "/api/sysprompts/assistant_default", status: 200, check: func(t *testing.T, r resp) {
			var sp model.Sysprompt
			r.decode(t, &sp)
			if sp.ID != "assistant_default" || r.header.Get("ETag") != etag(sp.Version) || sp.Content == "" {
				t.Errorf("%+v ETag %q", sp, r.header.Get("ETag"))
			}
			checkTimes(t, r.body)
		}},
		{name: "get missing", method: "GET", path: "/api/sysprompts/nope", status: 404},
		{name: "get bad slug", method: "GET", path: "/api/sysprompts/UPPER", status: 422, field: "path.id"},
		{name: "create with id", method: "POST", path: "/api/sysprompts",
			body: map[string]any{"id": "terse", "name": "Terse", "content": "Answer briefly."}, status: 201,
			check: func(t *testing.T, r resp) {
				if r.header.Get("Location") != "/api/sysprompts/terse" || r.header.Get("ETag") != `"1"` {
					t.Errorf("Location %q ETag %q", r.header.Get("Location"), r.header.Get("ETag"))
				}
				wantEvent(t, ev, "sysprompt", "created", "terse", 1)
			}},
		{name: "create derives id", method: "POST", path: "/api/sysprompts",
			body: map[string]any{"name": "Pirate Voice", "content": "Arr."}, status: 201,
			check: func(t *testing.T, r resp) {
				if r.header.Get("Location") != "/api/sysprompts/pirate-voice" {
					t.Errorf("Location %q", r.header.Get("Location"))
				}
				wantEvent(t, ev, "sysprompt", "created", "pirate-voice", 1)
			}},
		{name: "create underivable id", method: "POST", path: "/api/sysprompts",
			body: map[string]any{"name": "¿¿", "content": "x"}, status: 422, field: "body.id"},
		{name: "create duplicate", method: "POST", path: "/api/sysprompts",
			body: map[string]any{"id": "terse", "name": "Again", "content": "x"}, status: 409},
		{name: "create bad slug", method: "POST", path: "/api/sysprompts",
			body: map[string]any{"id": "-leading-dash", "name": "x", "content": "x"}, status: 422, field: "body.id"},
		{name: "create traversal id", method: "POST", path: "/api/sysprompts",
			body: map[string]any{"id": "..%2Fx", "name": "x", "content": "x"}, status: 422, field: "body.id"},
		{name: "create malformed JSON", method: "POST", path: "/api/sysprompts", body: `{"name":}`, status: 400},
		{name: "create unknown field", method: "POST", path: "/api/sysprompts",
			body: map[string]any{"name": "x", "content": "x", "description": "sysprompts have none"}, status: 422, field: "body.description"},
		{name: "create read-only protected", method: "POST", path: "/api/sysprompts",
			body: map[string]any{"name": "x", "content": "x", "protected": false}, status: 422, field: "body.protected"},
		{name: "create missing content", method: "POST", path: "/api/sysprompts",
			body: map[string]any{"name": "x"}, status: 422, field: "body.content"},
		{name: "replace", method: "PUT", path: "/api/sysprompts/terse", hdr: []string{"If-Match", `"1"`},
			body: map[string]any{"name": "Terse", "content": "Answer in one line."}, status: 200,
			check: func(t *testing.T, r resp) {
				var sp model.Sysprompt
				r.decode(t, &sp)
				if sp.Version != 2 || sp.Content != "Answer in one line." || r.header.Get("ETag") != `"2"` {
					t.Errorf("%+v", sp)
				}
				wantEvent(t, ev, "sysprompt", "updated", "terse", 2)
			}},
		{name: "replace stale", method: "PUT", path: "/api/sysprompts/terse", hdr: []string{"If-Match", `"1"`},
			body: map[string]any{"name": "Lost", "content": "lost"}, status: 412},
		{name: "replace missing name", method: "PUT", path: "/api/sysprompts/terse",
			body: map[string]any{"content": "lost"}, status: 422, field: "body.name"},
		{name: "replace missing", method: "PUT", path: "/api/sysprompts/nope",
			body: map[string]any{"name": "x", "content": "x"}, status: 404},
		{name: "nothing lost", method: "GET", path: "/api/sysprompts/terse", status: 200, check: func(t *testing.T, r resp) {
			var sp model.Sysprompt
			r.decode(t, &sp)
			if sp.Version != 2 || sp.Name != "Terse" {
				t.Errorf("%+v", sp)
			}
			noEvent(t, ev)
		}},
		{name: "delete protected", method: "DELETE", path: "/api/sysprompts/assistant_default", status: 409},
		{name: "config using terse", method: "POST", path: "/api/flow-configs",
			body: map[string]any{"name": "T", "constitution_id": "default", "sysprompt_id": "terse"}, status: 201,
			check: func(t *testing.T, r resp) {
				var c model.FlowConfig
				r.decode(t, &c)
				cfgID = c.ID
				wantEvent(t, ev, "flow_config", "created", c.ID, 1)
			}},
		{name: "delete referenced", method: "DELETE", path: "/api/sysprompts/terse", status: 409,
			check: func(t *testing.T, r resp) {
				if !strings.Contains(string(r.body), "flow-config:"+cfgID) {
					t.Errorf("409 does not name %s: %s", cfgID, r.body)
				}
			}},
		{name: "delete stale", method: "DELETE", path: "/api/sysprompts/pirate-voice", hdr: []string{"If-Match", `"9"`}, status: 412},
		{name: "delete", method: "DELETE", path: "/api/sysprompts/pirate-voice", hdr: []string{"If-Match", `"1"`}, status: 204,
			check: func(t *testing.T, _ resp) { wantEvent(t, ev, "sysprompt", "deleted", "pirate-voice", 1) }},
		{name: "gone", method: "GET", path: "/api/sysprompts/pirate-voice", status: 404},
	})
}
