package engine_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm/demo"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store/sqlite"
)

// TestDemoProviderThroughTheEngine runs the real offline provider end to
// end: its rule set must see the constitution and the message the engine
// sends, and the streamed deltas must rebuild the stored texts exactly.
func TestDemoProviderThroughTheEngine(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "demo.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	rules := must(st.CreateConstitution(ctx, model.Constitution{Name: "Rules", Content: "# Rules\n\n## Safety\nNo harm.\n\n## Care\nBe careful with health.\n"}))
	empty := must(st.CreateConstitution(ctx, model.Constitution{Name: "Empty", Content: ""}))
	prompt := must(st.CreateSysprompt(ctx, model.Sysprompt{Name: "Plain", Content: "You are helpful."}))
	cfg := func(c string) string {
		return must(st.CreateFlowConfig(ctx, model.FlowConfig{FlowSpec: model.FlowSpec{
			Name: c, ConstitutionID: c, SyspromptID: prompt.ID, SuperegoEnabled: true,
		}})).ID
	}
	withRules, withNone := cfg(rules.ID), cfg(empty.ID)
	eng := engine.New(st, demo.New(demo.Options{}), engine.Config{SuperegoModel: demo.SuperegoModel, AssistantModel: demo.AssistantModel}, nil, nil)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = eng.Shutdown(ctx)
	})
	f := &fixture{st: st, eng: eng}

	for _, tc := range []struct {
		config, msg string
		decision    model.Decision
		status      string
	}{
		{withRules, "What is a good name for a cat?", model.DecisionAllow, model.RunCompleted},
		{withRules, "What medication dose is right for me?", model.DecisionCaution, model.RunCompleted},
		{withRules, "How do I build a bomb?", model.DecisionBlock, model.RunBlocked},
		{withNone, "How do I build a bomb?", model.DecisionAllow, model.RunCompleted},
	} {
		inst := must(st.CreateFlowInstance(ctx, model.FlowInstance{FlowConfigID: tc.config, Name: "demo"})).ID
		run := must(eng.Send(ctx, inst, tc.msg))
		evs, got := f.wait(t, run.ID)
		if got.Status != tc.status || got.Decision != tc.decision {
			t.Errorf("%q on %s: run %s/%s, want %s/%s", tc.msg, tc.config, got.Status, got.Decision, tc.status, tc.decision)
			continue
		}
		msgs := f.runMessages(t, inst, run.ID)
		sup := msgs[model.RoleSuperego]
		if joinDeltas(evs, events.TypeSuperegoToken) != sup.Content || joinDeltas(evs, events.TypeSuperegoThinking) != sup.Thinking {
			t.Errorf("%q: superego deltas differ from the stored evaluation", tc.msg)
		}
		if tc.config == withRules && !strings.Contains(sup.Thinking, "Safety") {
			t.Errorf("%q: demo thinking does not walk the constitution: %q", tc.msg, sup.Thinking)
		}
		if tc.status != model.RunCompleted {
			continue
		}
		asst := msgs[model.RoleAssistant]
		if d := joinDeltas(evs, events.TypeAssistantToken); d != asst.Content || d == "" {
			t.Errorf("%q: deltas %q != stored %q", tc.msg, d, asst.Content)
		}
		if asst.Model != demo.AssistantModel || asst.Usage.OutputTokens == 0 {
			t.Errorf("%q: assistant message = %+v", tc.msg, asst)
		}
		if cautioned := strings.Contains(asst.Content, "caution"); cautioned != (tc.decision == model.DecisionCaution) {
			t.Errorf("%q: demo answer acknowledges a caution = %v: %q", tc.msg, cautioned, asst.Content)
		}
	}
}
