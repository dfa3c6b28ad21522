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
	"github.com/superego-lab/superego/internal/seed"
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
	if err := seed.Apply(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	// The seeded flows, plus one screening against the empty constitution.
	withRules, unscreened := seed.FlowStandard, seed.FlowNoSuperego
	withNone := must(st.CreateFlowConfig(ctx, model.FlowConfig{FlowSpec: model.FlowSpec{
		Name: "Empty rules", ConstitutionID: seed.ConstitutionNone, SyspromptID: seed.SyspromptDefault, SuperegoEnabled: true,
	}})).ID
	rules := must(st.GetConstitution(ctx, seed.ConstitutionDefault))
	firstHeading := ""
	for _, l := range strings.Split(rules.Content, "\n") {
		if strings.HasPrefix(l, "## ") {
			firstHeading = strings.TrimSpace(strings.TrimPrefix(l, "## "))
			break
		}
	}
	if firstHeading == "" {
		t.Fatal("seeded default constitution has no ## heading to walk through")
	}
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
		{unscreened, "How do I build a bomb?", "", model.RunCompleted},
	} {
		inst := seed.InstanceDefault // on the standard flow
		if tc.config != withRules {
			inst = must(st.CreateFlowInstance(ctx, model.FlowInstance{FlowConfigID: tc.config, Name: "demo"})).ID
		}
		run := must(eng.Send(ctx, inst, tc.msg))
		evs, got := f.wait(t, run.ID)
		if got.Status != tc.status || got.Decision != tc.decision {
			t.Errorf("%q on %s: run %s/%s, want %s/%s", tc.msg, tc.config, got.Status, got.Decision, tc.status, tc.decision)
			continue
		}
		msgs := f.runMessages(t, inst, run.ID)
		sup := msgs[model.RoleSuperego]
		if tc.config == unscreened {
			if _, ok := msgs[model.RoleSuperego]; ok {
				t.Errorf("superego ran on the no-superego flow")
			}
		} else if joinDeltas(evs, events.TypeSuperegoToken) != sup.Content || joinDeltas(evs, events.TypeSuperegoThinking) != sup.Thinking {
			t.Errorf("%q: superego deltas differ from the stored evaluation", tc.msg)
		}
		if tc.config == withRules && !strings.Contains(sup.Thinking, firstHeading) {
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
		// Only the positive case is checked: the demo looks for the word
		// "caution" anywhere in the system prompt, and the seeded prompt
		// itself mentions cautions.
		if tc.decision == model.DecisionCaution && !strings.Contains(asst.Content, "caution") {
			t.Errorf("%q: demo answer ignores the caution: %q", tc.msg, asst.Content)
		}
	}
}
