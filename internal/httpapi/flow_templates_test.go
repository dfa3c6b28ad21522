package httpapi

import (
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
)

func TestFlowTemplates(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	ev := s.events(t)
	var id string
	cfg := map[string]any{"constitution_id": "strict", "sysprompt_id": "assistant_default"}
	tmpl := func(extra map[string]any) map[string]any {
		m := map[string]any{"name": "Careful", "description": "d", "config": cfg}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	decode := func(t *testing.T, r resp) model.FlowTemplate {
		var ft model.FlowTemplate
		r.decode(t, &ft)
		return ft
	}
	getTemplate := func(t *testing.T, id string) model.FlowTemplate {
		return decode(t, s.do(t, "GET", "/api/flow-templates/"+id, nil))
	}

	s.run(t, []scenario{
		{name: "list seeded", method: "GET", path: "/api/flow-templates", status: 200, check: func(t *testing.T, r resp) {
			var l List[model.FlowTemplate]
			r.decode(t, &l)
			defaults := 0
			ids := map[string]bool{}
			for _, ft := range l.Items {
				ids[ft.ID] = true
				if ft.IsDefault {
					defaults++
				}
			}
			if !ids[seed.FlowStandard] || !ids[seed.FlowNoSuperego] || defaults != 1 {
				t.Errorf("seeded templates %v, %d default", ids, defaults)
			}
		}},
		{name: "get", method: "GET", path: "/api/flow-templates/" + seed.FlowStandard, status: 200, check: func(t *testing.T, r resp) {
			ft := decode(t, r)
			if !ft.IsDefault || !ft.Config.SuperegoEnabled || r.header.Get("ETag") != etag(ft.Version) {
				t.Errorf("%+v", ft)
			}
			checkTimes(t, r.body)
		}},
		{name: "create", method: "POST", path: "/api/flow-templates", body: tmpl(nil), status: 201, check: func(t *testing.T, r resp) {
			ft := decode(t, r)
			id = ft.ID
			if r.header.Get("Location") != "/api/flow-templates/"+ft.ID || ft.IsDefault || !ft.Config.SuperegoEnabled ||
				ft.Config.OnSuperegoError != "block" || ft.Config.ConstitutionID != "strict" {
				t.Errorf("%+v Location %q", ft, r.header.Get("Location"))
			}
			wantEvent(t, ev, "flow_template", "created", ft.ID, 1)
		}},
		{name: "config bad reference", method: "POST", path: "/api/flow-templates",
			body:   tmpl(map[string]any{"config": map[string]any{"constitution_id": "ghost", "sysprompt_id": "assistant_default"}}),
			status: 422, field: "body.config.constitution_id"},
		{name: "config unknown field", method: "POST", path: "/api/flow-templates",
			body:   tmpl(map[string]any{"config": map[string]any{"constitution_id": "default", "sysprompt_id": "assistant_default", "x": 1}}),
			status: 422, field: "body.config.x"},
		{name: "config NUL", method: "POST", path: "/api/flow-templates",
			body:   tmpl(map[string]any{"config": map[string]any{"name": "\x00", "constitution_id": "default", "sysprompt_id": "assistant_default"}}),
			status: 422, field: "body.config.name"},
		{name: "config missing field", method: "POST", path: "/api/flow-templates",
			body: tmpl(map[string]any{"config": map[string]any{"constitution_id": "default"}}), status: 422, field: "body.config.sysprompt_id"},
		{name: "missing config", method: "POST", path: "/api/flow-templates", body: map[string]any{"name": "x"}, status: 422, field: "body.config"},
		{name: "client id", method: "POST", path: "/api/flow-templates", body: tmpl(map[string]any{"id": "mine"}), status: 422, field: "body.id"},
		{name: "malformed", method: "POST", path: "/api/flow-templates", body: `{"name": "x", "config": {`, status: 400},
		{name: "make it default", method: "PUT", path: "/api/flow-templates/{id}", hdr: []string{"If-Match", `"1"`},
			body: tmpl(map[string]any{"is_default": true}), status: 200, check: func(t *testing.T, r resp) {
				ft := decode(t, r)
				if !ft.IsDefault || ft.Version != 2 {
					t.Errorf("%+v", ft)
				}
				wantEvent(t, ev, "flow_template", "updated", id, 2)
				std := getTemplate(t, seed.FlowStandard)
				if std.IsDefault {
					t.Errorf("standard is still default")
				}
				// The cleared flag is a change of the standard template too.
				wantEvent(t, ev, "flow_template", "updated", seed.FlowStandard, std.Version)
			}},
		{name: "replace stale", method: "PUT", path: "/api/flow-templates/{id}", hdr: []string{"If-Match", `"1"`}, body: tmpl(nil), status: 412},
		{name: "replace missing name", method: "PUT", path: "/api/flow-templates/{id}", body: map[string]any{"config": cfg}, status: 422, field: "body.name"},
		{name: "replace missing", method: "PUT", path: "/api/flow-templates/nope", body: tmpl(nil), status: 404},

		{name: "instantiate named", method: "POST", path: "/api/flow-templates/{id}/instantiate", body: map[string]any{"name": "Trial 1"}, status: 201,
			check: func(t *testing.T, r resp) {
				var out Instantiated
				r.decode(t, &out)
				c, i := out.FlowConfig, out.FlowInstance
				if i.Name != "Trial 1" || i.FlowConfigID != c.ID || c.ConstitutionID != "strict" || c.Name == "" {
					t.Errorf("%+v", out)
				}
				if r.header.Get("ETag") != "" {
					t.Errorf("ETag on a two-object response: %q", r.header.Get("ETag"))
				}
				if r.header.Get("Location") != "/api/flow-instances/"+i.ID {
					t.Errorf("Location %q", r.header.Get("Location"))
				}
				wantEvent(t, ev, "flow_config", "created", c.ID, 1)
				wantEvent(t, ev, "flow_instance", "created", i.ID, 1)
				if got := s.do(t, "GET", "/api/flow-instances/"+i.ID, nil); got.status != 200 {
					t.Errorf("instance not stored: %s", got)
				}
			}},
		{name: "instantiate without body", method: "POST", path: "/api/flow-templates/" + seed.FlowNoSuperego + "/instantiate", status: 201,
			check: func(t *testing.T, r resp) {
				var out Instantiated
				r.decode(t, &out)
				if out.FlowInstance.Name == "" || out.FlowConfig.SuperegoEnabled {
					t.Errorf("%+v", out)
				}
				// The seeded config is identical to the template's: reused, not copied.
				if out.FlowConfig.ID != seed.FlowNoSuperego {
					t.Errorf("config %q, want the identical seeded %q", out.FlowConfig.ID, seed.FlowNoSuperego)
				}
				wantEvent(t, ev, "flow_instance", "created", out.FlowInstance.ID, 1)
			}},
		{name: "instantiate empty object", method: "POST", path: "/api/flow-templates/{id}/instantiate", body: `{}`, status: 201,
			check: func(t *testing.T, r resp) {
				// The config made by "instantiate named" is reused.
				var out Instantiated
				r.decode(t, &out)
				wantEvent(t, ev, "flow_instance", "created", out.FlowInstance.ID, 1)
			}},
		{name: "instantiate unknown field", method: "POST", path: "/api/flow-templates/{id}/instantiate", body: map[string]any{"nam": "typo"}, status: 422, field: "body.nam"},
		{name: "instantiate malformed", method: "POST", path: "/api/flow-templates/{id}/instantiate", body: `{"name":`, status: 400},
		{name: "instantiate missing", method: "POST", path: "/api/flow-templates/nope/instantiate", status: 404},
		{name: "instantiate bad slug", method: "POST", path: "/api/flow-templates/No%20Way/instantiate", status: 422, field: "path.id"},
		{name: "no stray events", method: "GET", path: "/api/flow-templates", status: 200, check: func(t *testing.T, _ resp) { noEvent(t, ev) }},

		{name: "delete stale", method: "DELETE", path: "/api/flow-templates/{id}", hdr: []string{"If-Match", `"1"`}, status: 412},
		{name: "delete", method: "DELETE", path: "/api/flow-templates/{id}", hdr: []string{"If-Match", `"2"`}, status: 204,
			check: func(t *testing.T, _ resp) { wantEvent(t, ev, "flow_template", "deleted", id, 2) }},
		{name: "gone", method: "GET", path: "/api/flow-templates/{id}", status: 404},
	}, func(p string) string { return strings.ReplaceAll(p, "{id}", id) })
}
