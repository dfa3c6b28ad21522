package httpapi

import (
	"testing"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
)

// TestCreateFlowInstanceWithOverrides: a new conversation may screen
// against another constitution than its config's (an eval row opened in
// chat under its target); an override naming nothing that exists is a 422
// naming it, and nothing is created.
func TestCreateFlowInstanceWithOverrides(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	off := false
	s.run(t, []scenario{
		{name: "constitution override", method: "POST", path: "/api/flow-instances",
			body: map[string]any{"flow_config_id": seed.FlowStandard, "name": "Eval case", "overrides": map[string]any{
				"constitution_id": seed.ConstitutionStrict, "superego_enabled": true}}, status: 201,
			check: func(t *testing.T, r resp) {
				var i model.FlowInstance
				r.decode(t, &i)
				if i.Overrides == nil || i.Overrides.ConstitutionID == nil || *i.Overrides.ConstitutionID != seed.ConstitutionStrict ||
					i.Overrides.SyspromptID != nil || i.Overrides.SuperegoEnabled == nil || !*i.Overrides.SuperegoEnabled {
					t.Fatalf("created %s", r.body)
				}
				var got model.FlowInstance
				s.do(t, "GET", "/api/flow-instances/"+i.ID, nil).decode(t, &got)
				if got.Overrides == nil || *got.Overrides.ConstitutionID != seed.ConstitutionStrict {
					t.Fatalf("read back %+v", got.Overrides)
				}
			}},
		{name: "superego off", method: "POST", path: "/api/flow-instances",
			body: map[string]any{"flow_config_id": seed.FlowStandard, "name": "Plain", "overrides": map[string]any{"superego_enabled": off}}, status: 201},
		{name: "empty overrides are none", method: "POST", path: "/api/flow-instances",
			body: map[string]any{"flow_config_id": seed.FlowStandard, "name": "No overrides", "overrides": map[string]any{}}, status: 201,
			check: func(t *testing.T, r resp) {
				var i model.FlowInstance
				r.decode(t, &i)
				if i.Overrides != nil {
					t.Fatalf("created %s", r.body)
				}
			}},
		{name: "unknown constitution", method: "POST", path: "/api/flow-instances",
			body:   map[string]any{"flow_config_id": seed.FlowStandard, "name": "Bad", "overrides": map[string]any{"constitution_id": "nosuch"}},
			status: 422, field: "body.overrides.constitution_id"},
		{name: "unknown sysprompt", method: "POST", path: "/api/flow-instances",
			body:   map[string]any{"flow_config_id": seed.FlowStandard, "name": "Bad", "overrides": map[string]any{"sysprompt_id": "nosuch"}},
			status: 422, field: "body.overrides.sysprompt_id"},
		{name: "unknown override field", method: "POST", path: "/api/flow-instances",
			body:   map[string]any{"flow_config_id": seed.FlowStandard, "name": "Bad", "overrides": map[string]any{"model": "x"}},
			status: 422, field: "body.overrides.model"},
		{name: "nothing half-created", method: "GET", path: "/api/flow-instances", status: 200, check: func(t *testing.T, r resp) {
			var l List[model.FlowInstance]
			r.decode(t, &l)
			if len(l.Items) != 4 { // the seeded one and the three created above
				t.Fatalf("%d instances: %s", len(l.Items), r.body)
			}
		}},
	})
}
