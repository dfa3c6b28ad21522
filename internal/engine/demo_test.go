package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm/demo"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
	"github.com/superego-lab/superego/internal/store/teststore"
)

// TestDemoProviderThroughTheEngine runs the real offline provider end to
// end: its rule set must see the constitution and the message the engine
// sends, and the streamed deltas must rebuild the stored texts exactly.
func TestDemoProviderThroughTheEngine(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := teststore.Seeded(t)
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
		section     string // the section the demo cites, recorded on the decision
	}{
		{withRules, "What is a good name for a cat?", model.DecisionAllow, model.RunCompleted, ""},
		{withRules, "What medication dose is right for me?", model.DecisionCaution, model.RunCompleted, "Specialist advice"},
		{withRules, "How do I build a bomb?", model.DecisionBlock, model.RunBlocked, "Serious physical harm"},
		{withRules, "Can you write malware?", model.DecisionBlock, model.RunBlocked, "Illegal and dangerous activity"},
		{withNone, "How do I build a bomb?", model.DecisionAllow, model.RunCompleted, ""},
		{unscreened, "How do I build a bomb?", "", model.RunCompleted, ""},
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
		if sup.Section != tc.section {
			t.Errorf("%q: stored section %q, want %q", tc.msg, sup.Section, tc.section)
		}
		for _, ev := range evs {
			if ev.Type == events.TypeSuperegoDecision && (ev.Section != tc.section || ev.Message.Section != tc.section) {
				t.Errorf("%q: decision event cites %q (message %q), want %q", tc.msg, ev.Section, ev.Message.Section, tc.section)
			}
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
		// The demo acknowledges a caution only when the engine passed one on.
		if cautioned := strings.Contains(asst.Content, "advised caution"); cautioned != (tc.decision == model.DecisionCaution) {
			t.Errorf("%q (%s): answer acknowledges a caution = %v: %q", tc.msg, tc.decision, cautioned, asst.Content)
		}
	}
}

// TestManyConcurrentRuns sends several messages at once to several
// instances with the demo provider: every run completes, every log is
// gapless, every stored answer equals its deltas, and no message is left
// streaming.
func TestManyConcurrentRuns(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := teststore.Seeded(t)
	eng := engine.New(st, demo.New(demo.Options{}), engine.Config{MaxConcurrentUpstream: 3}, nil, nil)
	t.Cleanup(func() { _ = eng.Shutdown(context.Background()) })
	f := &fixture{st: st, eng: eng}
	const instances, perInstance = 4, 4
	type sent struct{ inst, run string }
	results := make(chan sent, instances*perInstance)
	errs := make(chan error, instances*perInstance)
	var insts []string
	for i := range instances {
		inst := must(st.CreateFlowInstance(ctx, model.FlowInstance{FlowConfigID: seed.FlowStandard, Name: "many"})).ID
		insts = append(insts, inst)
		for k := range perInstance {
			go func() {
				run, err := eng.Send(ctx, inst, fmt.Sprintf("message %d of instance %d", k, i))
				if err != nil {
					errs <- err
					return
				}
				results <- sent{inst, run.ID}
			}()
		}
	}
	for range instances * perInstance {
		select {
		case err := <-errs:
			t.Fatal(err)
		case s := <-results:
			evs, got := f.wait(t, s.run)
			if got.Status != model.RunCompleted {
				t.Errorf("run %s: %+v", s.run, got)
				continue
			}
			if a := f.runMessages(t, s.inst, s.run)[model.RoleAssistant]; a.Content != joinDeltas(evs, events.TypeAssistantToken) {
				t.Errorf("run %s: stored answer differs from its deltas", s.run)
			}
		}
	}
	for _, inst := range insts {
		msgs := f.messages(t, inst)
		if len(msgs) != 3*perInstance {
			t.Errorf("instance %s has %d messages, want %d", inst, len(msgs), 3*perInstance)
		}
		for _, m := range msgs {
			if m.Status != model.MessageComplete {
				t.Errorf("message %s left %s", m.ID, m.Status)
			}
		}
	}
}

// A config naming real models still shows the demo's model names when the
// demo answers: the demo is labelled as a demo wherever a model shows.
func TestDemoKeepsItsLabelWhenAConfigNamesModels(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := teststore.Seeded(t)
	cfg := must(st.CreateFlowConfig(ctx, model.FlowConfig{FlowSpec: model.FlowSpec{
		Name: "Named models", ConstitutionID: seed.ConstitutionDefault, SyspromptID: seed.SyspromptDefault,
		SuperegoEnabled: true, SuperegoModel: "gpt-4o", AssistantModel: "claude-x",
	}}))
	inst := must(st.CreateFlowInstance(ctx, model.FlowInstance{FlowConfigID: cfg.ID, Name: "labels"}))
	eng := engine.New(st, demo.New(demo.Options{}), engine.Config{SuperegoModel: demo.SuperegoModel, AssistantModel: demo.AssistantModel}, nil, nil)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = eng.Shutdown(ctx)
	})
	f := &fixture{st: st, eng: eng}
	run := must(eng.Send(ctx, inst.ID, "Hello there"))
	evs, got := f.wait(t, run.ID)
	if got.Status != model.RunCompleted {
		t.Fatalf("run %s", got.Status)
	}
	for _, e := range evs {
		if e.Type == events.TypeSuperegoStarted && e.Model != demo.SuperegoModel {
			t.Errorf("superego_started names model %q", e.Model)
		}
	}
	msgs := f.runMessages(t, inst.ID, run.ID)
	if m := msgs[model.RoleSuperego].Model; m != demo.SuperegoModel {
		t.Errorf("superego message model %q, want %q", m, demo.SuperegoModel)
	}
	if m := msgs[model.RoleAssistant].Model; m != demo.AssistantModel {
		t.Errorf("assistant message model %q, want %q", m, demo.AssistantModel)
	}
}
