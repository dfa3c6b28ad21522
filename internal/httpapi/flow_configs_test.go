package httpapi

import (
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/model"
)

func TestFlowConfigs(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	ev := s.events(t)
	var id, instID string
	base := func(extra map[string]any) map[string]any {
		m := map[string]any{"name": "Mine", "constitution_id": "default", "sysprompt_id": "assistant_default"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	without := func(key string) map[string]any {
		m := base(nil)
		delete(m, key)
		return m
	}
	decode := func(t *testing.T, r resp) model.FlowConfig {
		var c model.FlowConfig
		r.decode(t, &c)
		return c
	}

	s.run(t, []scenario{
		{name: "list seeded", method: "GET", path: "/api/flow-configs", status: 200, check: func(t *testing.T, r resp) {
			var l List[model.FlowConfig]
			r.decode(t, &l)
			if len(l.Items) == 0 {
				t.Errorf("no seeded flow configs")
			}
		}},
		{name: "create with defaults", method: "POST", path: "/api/flow-configs", body: base(nil), status: 201,
			check: func(t *testing.T, r resp) {
				c := decode(t, r)
				id = c.ID
				if !model.ValidID(c.ID) || r.header.Get("Location") != "/api/flow-configs/"+c.ID || r.header.Get("ETag") != `"1"` {
					t.Errorf("id %q Location %q ETag %q", c.ID, r.header.Get("Location"), r.header.Get("ETag"))
				}
				if !c.SuperegoEnabled || c.OnSuperegoError != "block" || c.ConstitutionID != "default" || c.SyspromptID != "assistant_default" {
					t.Errorf("defaults not applied: %+v", c)
				}
				checkTimes(t, r.body)
				wantEvent(t, ev, "flow_config", "created", c.ID, 1)
			}},
		{name: "create superego off", method: "POST", path: "/api/flow-configs",
			body: base(map[string]any{"superego_enabled": false, "on_superego_error": "allow", "assistant_model": "m1", "superego_model": "m2"}), status: 201,
			check: func(t *testing.T, r resp) {
				c := decode(t, r)
				if c.SuperegoEnabled || c.OnSuperegoError != "allow" || c.AssistantModel != "m1" || c.SuperegoModel != "m2" {
					t.Errorf("explicit values lost: %+v", c)
				}
				wantEvent(t, ev, "flow_config", "created", c.ID, 1)
			}},
		{name: "missing constitution", method: "POST", path: "/api/flow-configs",
			body: base(map[string]any{"constitution_id": "ghost"}), status: 422, field: "body.constitution_id"},
		{name: "missing sysprompt", method: "POST", path: "/api/flow-configs",
			body: base(map[string]any{"sysprompt_id": "ghost"}), status: 422, field: "body.sysprompt_id"},
		{name: "bad slug reference", method: "POST", path: "/api/flow-configs",
			body: base(map[string]any{"constitution_id": "../default"}), status: 422, field: "body.constitution_id"},
		{name: "bad enum", method: "POST", path: "/api/flow-configs",
			body: base(map[string]any{"on_superego_error": "maybe"}), status: 422, field: "body.on_superego_error"},
		// Huma treats null in an optional field as absent: the default holds.
		{name: "null bool means default", method: "POST", path: "/api/flow-configs",
			body: base(map[string]any{"superego_enabled": nil}), status: 201,
			check: func(t *testing.T, r resp) {
				c := decode(t, r)
				if !c.SuperegoEnabled {
					t.Errorf("null superego_enabled gave false")
				}
				wantEvent(t, ev, "flow_config", "created", c.ID, 1)
			}},
		{name: "null required", method: "POST", path: "/api/flow-configs",
			body: base(map[string]any{"constitution_id": nil}), status: 422},
		{name: "string bool", method: "POST", path: "/api/flow-configs",
			body: base(map[string]any{"superego_enabled": "yes"}), status: 422, field: "body.superego_enabled"},
		{name: "client id", method: "POST", path: "/api/flow-configs",
			body: base(map[string]any{"id": "chosen"}), status: 422, field: "body.id"},
		{name: "unknown field", method: "POST", path: "/api/flow-configs",
			body: base(map[string]any{"temperature": 0.2}), status: 422, field: "body.temperature"},
		{name: "malformed", method: "POST", path: "/api/flow-configs", body: `{"name": "x" "constitution_id": "default"}`, status: 400},
		{name: "missing sysprompt_id", method: "POST", path: "/api/flow-configs", body: without("sysprompt_id"), status: 422, field: "body.sysprompt_id"},
		{name: "missing name", method: "POST", path: "/api/flow-configs", body: without("name"), status: 422, field: "body.name"},
		{name: "no event for failures", method: "GET", path: "/api/flow-configs", status: 200,
			check: func(t *testing.T, _ resp) { noEvent(t, ev) }},

		{name: "get", method: "GET", path: "/api/flow-configs/{id}", status: 200, check: func(t *testing.T, r resp) {
			if c := decode(t, r); c.ID != id || r.header.Get("ETag") != `"1"` {
				t.Errorf("%+v", c)
			}
		}},
		{name: "get missing", method: "GET", path: "/api/flow-configs/nope", status: 404},
		{name: "replace", method: "PUT", path: "/api/flow-configs/{id}", hdr: []string{"If-Match", `"1"`},
			body: base(map[string]any{"name": "Renamed", "constitution_id": "strict", "superego_enabled": false}), status: 200,
			check: func(t *testing.T, r resp) {
				c := decode(t, r)
				if c.Version != 2 || c.Name != "Renamed" || c.ConstitutionID != "strict" || c.SuperegoEnabled {
					t.Errorf("%+v", c)
				}
				wantEvent(t, ev, "flow_config", "updated", id, 2)
			}},
		{name: "replace missing required", method: "PUT", path: "/api/flow-configs/{id}", body: without("constitution_id"), status: 422, field: "body.constitution_id"},
		{name: "replace bad reference", method: "PUT", path: "/api/flow-configs/{id}",
			body: base(map[string]any{"sysprompt_id": "ghost"}), status: 422, field: "body.sysprompt_id"},
		{name: "replace stale", method: "PUT", path: "/api/flow-configs/{id}", hdr: []string{"If-Match", `"1"`}, body: base(nil), status: 412},
		{name: "replace missing id", method: "PUT", path: "/api/flow-configs/nope", body: base(nil), status: 404},
		{name: "nothing lost", method: "GET", path: "/api/flow-configs/{id}", status: 200, check: func(t *testing.T, r resp) {
			c := decode(t, r)
			if c.Version != 2 || c.Name != "Renamed" || c.ConstitutionID != "strict" || c.SyspromptID != "assistant_default" {
				t.Errorf("%+v", c)
			}
			noEvent(t, ev)
		}},
		{name: "instance on it", method: "POST", path: "/api/flow-instances",
			body: map[string]any{"flow_config_id": "{id}", "name": "Chat"}, status: 201,
			check: func(t *testing.T, r resp) {
				var i model.FlowInstance
				r.decode(t, &i)
				instID = i.ID
				wantEvent(t, ev, "flow_instance", "created", i.ID, 1)
			}},
		{name: "delete referenced", method: "DELETE", path: "/api/flow-configs/{id}", status: 409, check: func(t *testing.T, r resp) {
			if !strings.Contains(string(r.body), "flow-instance:"+instID) {
				t.Errorf("409 does not name %s: %s", instID, r.body)
			}
		}},
		{name: "delete the instance", method: "DELETE", path: "/api/flow-instances/{inst}", status: 204,
			check: func(t *testing.T, _ resp) { wantEvent(t, ev, "flow_instance", "deleted", instID, 1) }},
		{name: "delete stale", method: "DELETE", path: "/api/flow-configs/{id}", hdr: []string{"If-Match", `"1"`}, status: 412},
		{name: "delete", method: "DELETE", path: "/api/flow-configs/{id}", hdr: []string{"If-Match", `"2"`}, status: 204,
			check: func(t *testing.T, _ resp) { wantEvent(t, ev, "flow_config", "deleted", id, 2) }},
		{name: "gone", method: "GET", path: "/api/flow-configs/{id}", status: 404},
	}, func(p string) string {
		return strings.NewReplacer("{id}", id, "{inst}", instID).Replace(p)
	})
}

// TestFlowConfigScreening: the assistant-start and output-screening fields
// default, round-trip, and are refused (422 naming the field) when wrong.
func TestFlowConfigScreening(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	base := func(extra map[string]any) map[string]any {
		m := map[string]any{"name": "Screened", "constitution_id": "default", "sysprompt_id": "assistant_default"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	var id string
	s.run(t, []scenario{
		{name: "defaults", method: "POST", path: "/api/flow-configs", body: base(nil), status: 201,
			check: func(t *testing.T, r resp) {
				var c model.FlowConfig
				r.decode(t, &c)
				if c.AssistantStart != model.AssistantAfterVerdict || c.ScreenOutput != model.ScreenOutputOff || c.ScreenChunk != model.DefaultScreenChunk {
					t.Errorf("defaults not applied: %+v", c.FlowSpec)
				}
			}},
		{name: "explicit values", method: "POST", path: "/api/flow-configs",
			body: base(map[string]any{"assistant_start": "speculative", "screen_output": "streaming", "screen_chunk": 7}), status: 201,
			check: func(t *testing.T, r resp) {
				var c model.FlowConfig
				r.decode(t, &c)
				id = c.ID
				if c.AssistantStart != model.AssistantSpeculative || c.ScreenOutput != model.ScreenOutputStreaming || c.ScreenChunk != 7 {
					t.Errorf("explicit values lost: %+v", c.FlowSpec)
				}
			}},
		{name: "read back", method: "GET", path: "/api/flow-configs/{id}", status: 200,
			check: func(t *testing.T, r resp) {
				var c model.FlowConfig
				r.decode(t, &c)
				if c.AssistantStart != model.AssistantSpeculative || c.ScreenOutput != model.ScreenOutputStreaming || c.ScreenChunk != 7 {
					t.Errorf("stored values lost: %+v", c.FlowSpec)
				}
			}},
		{name: "bad assistant_start", method: "POST", path: "/api/flow-configs",
			body: base(map[string]any{"assistant_start": "eager"}), status: 422, field: "body.assistant_start"},
		{name: "bad screen_output", method: "POST", path: "/api/flow-configs",
			body: base(map[string]any{"screen_output": "sometimes"}), status: 422, field: "body.screen_output"},
		{name: "chunk of 0", method: "POST", path: "/api/flow-configs",
			body: base(map[string]any{"screen_chunk": 0}), status: 422, field: "body.screen_chunk"},
		{name: "chunk too large", method: "POST", path: "/api/flow-configs",
			body: base(map[string]any{"screen_chunk": 4001}), status: 422, field: "body.screen_chunk"},
	}, func(v string) string { return strings.ReplaceAll(v, "{id}", id) })
}
