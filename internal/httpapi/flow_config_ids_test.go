package httpapi

import (
	"testing"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
)

// New flow configs get slug ids; instantiating a template reuses an
// identical config instead of adding a copy each time.
func TestFlowConfigSlugsAndReuse(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	create := func(name string) model.FlowConfig {
		r := s.do(t, "POST", "/api/flow-configs", map[string]any{"name": name, "constitution_id": "strict", "sysprompt_id": "assistant_default"})
		if r.status != 201 {
			t.Fatalf("create %q: %s", name, r)
		}
		var c model.FlowConfig
		r.decode(t, &c)
		return c
	}
	if a, b := create("Strict trial"), create("Strict trial"); a.ID != "strict-trial" || b.ID != "strict-trial-2" {
		t.Errorf("ids %q, %q; want strict-trial, strict-trial-2", a.ID, b.ID)
	}
	if c := create("¿¡!"); !model.ValidID(c.ID) {
		t.Errorf("a name without a slug got id %q", c.ID)
	}
	count := func() int {
		var l List[model.FlowConfig]
		s.do(t, "GET", "/api/flow-configs?limit=200", nil).decode(t, &l)
		return len(l.Items)
	}
	instantiate := func(tmpl string) Instantiated {
		r := s.do(t, "POST", "/api/flow-templates/"+tmpl+"/instantiate", nil)
		if r.status != 201 {
			t.Fatalf("instantiate %s: %s", tmpl, r)
		}
		var out Instantiated
		r.decode(t, &out)
		return out
	}
	before := count()
	for i := 0; i < 3; i++ {
		if out := instantiate(seed.FlowStandard); out.FlowConfig.ID != seed.FlowStandard {
			t.Errorf("instantiate %d used config %q, want the identical seeded %q", i, out.FlowConfig.ID, seed.FlowStandard)
		}
	}
	if after := count(); after != before {
		t.Errorf("instantiating the standard template 3 times made %d configs", after-before)
	}

	// A template whose config matches none: one new config with a slug
	// id, reused by the next instantiation.
	r := s.do(t, "POST", "/api/flow-templates", map[string]any{"name": "Lab recipe", "config": map[string]any{
		"name": "Lab recipe config", "constitution_id": "strict", "sysprompt_id": "assistant_default", "assistant_model": "other"}})
	if r.status != 201 {
		t.Fatalf("create template: %s", r)
	}
	var tmpl model.FlowTemplate
	r.decode(t, &tmpl)
	first := instantiate(tmpl.ID)
	if first.FlowConfig.ID != "lab-recipe-config" || first.FlowConfig.AssistantModel != "other" {
		t.Errorf("new config %+v", first.FlowConfig)
	}
	if second := instantiate(tmpl.ID); second.FlowConfig.ID != first.FlowConfig.ID || second.FlowInstance.ID == first.FlowInstance.ID {
		t.Errorf("second instantiation: config %q (want %q reused), instance %q", second.FlowConfig.ID, first.FlowConfig.ID, second.FlowInstance.ID)
	}
	if got := count(); got != before+1 {
		t.Errorf("configs %d, want %d", got, before+1)
	}
}
