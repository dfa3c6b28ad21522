package engine_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// barrier releases its callers only once n of them are inside at the same
// time: if the engine ran them one after another, the first would wait
// until its run's context ended and the test would fail.
type barrier struct {
	mu      sync.Mutex
	n       int
	arrived int
	all     chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: n, all: make(chan struct{})} }

func (b *barrier) wait(ctx context.Context) error {
	b.mu.Lock()
	b.arrived++
	if b.arrived == b.n {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("barrier: only %d of %d calls arrived: %w", b.arrived, b.n, ctx.Err())
	}
}

func (f *fixture) config(t *testing.T, name, assistantModel string) string {
	t.Helper()
	return must(f.st.CreateFlowConfig(t.Context(), model.FlowConfig{FlowSpec: model.FlowSpec{
		Name: name, ConstitutionID: f.constitution, SyspromptID: f.sysprompt,
		SuperegoEnabled: true, AssistantModel: assistantModel, OnSuperegoError: model.OnErrorBlock,
	}})).ID
}

func TestParallelRunsConcurrentlyAndIsolatesFailure(t *testing.T) {
	t.Parallel()
	bar := newBarrier(3)
	p := &scripted{
		superego: say("", "DECISION: ALLOW"),
		assistant: func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
			if err := bar.wait(ctx); err != nil {
				return err
			}
			if req.Model == "broken" {
				return errors.New("upstream 500: model crashed")
			}
			return say("", "answer from "+req.Model)(ctx, req, emit)
		},
	}
	// The run timeout only turns a wrongly sequential engine into a failed
	// test instead of a hung one.
	f := newFixture(t, p, engine.Config{MaxConcurrentUpstream: 3, RunTimeout: 20 * time.Second}, nil)
	ids := []string{f.config(t, "Alpha", "alpha"), f.config(t, "Broken", "broken"), f.config(t, "Gamma", "gamma")}
	cmp, runs, err := f.eng.RunParallel(t.Context(), ids, "Same question", "Trial")
	if err != nil {
		t.Fatal(err)
	}
	if cmp == "" || len(runs) != 3 {
		t.Fatalf("comparison %q with %d runs", cmp, len(runs))
	}
	wantStatus := []string{model.RunCompleted, model.RunFailed, model.RunCompleted}
	names := []string{"Trial · Alpha", "Trial · Broken", "Trial · Gamma"}
	for i, r := range runs {
		_, got := f.wait(t, r.ID)
		if got.Status != wantStatus[i] || got.ComparisonID != cmp || got.FlowConfigID != ids[i] {
			t.Errorf("run %d = %+v", i, got)
		}
		inst := must(f.st.GetFlowInstance(t.Context(), r.FlowInstanceID))
		if inst.ComparisonID != cmp || inst.Name != names[i] || inst.FlowConfigID != ids[i] {
			t.Errorf("instance %d = %+v", i, inst)
		}
		msgs := f.runMessages(t, inst.ID, r.ID)
		if msgs[model.RoleUser].Content != "Same question" {
			t.Errorf("instance %d user message = %+v", i, msgs[model.RoleUser])
		}
		if wantStatus[i] == model.RunCompleted && msgs[model.RoleAssistant].Content != "answer from "+[]string{"alpha", "broken", "gamma"}[i] {
			t.Errorf("instance %d answer = %q", i, msgs[model.RoleAssistant].Content)
		}
	}
	listed, _, err := f.st.ListFlowInstances(t.Context(), store.InstanceFilter{ComparisonID: cmp}, store.Page{})
	if err != nil || len(listed) != 3 {
		t.Fatalf("comparison lists %d instances, %v", len(listed), err)
	}

	// A follow-up goes to every instance and sees each one's own history.
	bar2 := newBarrier(3)
	p.assistant = func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
		if err := bar2.wait(ctx); err != nil {
			return err
		}
		return say("", "second answer")(ctx, req, emit)
	}
	more, err := f.eng.ContinueComparison(t.Context(), cmp, "Follow-up")
	if err != nil || len(more) != 3 {
		t.Fatalf("continue = %d runs, %v", len(more), err)
	}
	for i, r := range more {
		if _, got := f.wait(t, r.ID); got.Status != model.RunCompleted || r.FlowInstanceID != runs[i].FlowInstanceID {
			t.Errorf("follow-up %d = %+v", i, got)
		}
	}
	var histories []string
	for _, req := range p.requests(llm.PurposeAssistant)[3:] {
		var parts []string
		for _, m := range req.Messages {
			parts = append(parts, m.Role+":"+m.Content)
		}
		histories = append(histories, strings.Join(parts, "|"))
	}
	slices.Sort(histories)
	want := []string{
		"user:Same question|assistant:answer from alpha|user:Follow-up",
		"user:Same question|assistant:answer from gamma|user:Follow-up",
		"user:Same question|user:Follow-up", // the failed answer is not history
	}
	if !slices.Equal(histories, want) {
		t.Errorf("follow-up histories =\n%s\nwant\n%s", strings.Join(histories, "\n"), strings.Join(want, "\n"))
	}
}

func TestUpstreamLimitQueuesExcessCalls(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	release := make(chan struct{})
	var mu sync.Mutex
	inFlight, maxInFlight := 0, 0
	p := &scripted{assistant: func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
		mu.Lock()
		inFlight++
		maxInFlight = max(maxInFlight, inFlight)
		mu.Unlock()
		defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
		select {
		case <-release:
		case <-ctx.Done():
			return ctx.Err()
		}
		return say("", "ok")(ctx, req, emit)
	}}
	f := newFixture(t, p, engine.Config{MaxConcurrentUpstream: 1}, reg)
	ids := []string{f.unguarded, f.unguarded, f.unguarded}
	_, runs, err := f.eng.RunParallel(t.Context(), ids, "Hi", "")
	if err != nil {
		t.Fatal(err)
	}
	// Wait until one call holds the only slot and the other two queue.
	for {
		g := gather(t, reg)
		if g["superego_upstream_in_flight{}"] == 1 && g["superego_upstream_queued{}"] == 2 {
			break
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("calls never queued: %v", g)
		case <-time.After(time.Millisecond):
		}
	}
	close(release)
	for _, r := range runs {
		if _, got := f.wait(t, r.ID); got.Status != model.RunCompleted {
			t.Errorf("run = %+v", got)
		}
	}
	if maxInFlight != 1 {
		t.Errorf("max concurrent upstream calls = %d, want 1", maxInFlight)
	}
}

func TestRerunForksAndLeavesTheOriginalIntact(t *testing.T) {
	t.Parallel()
	var answers int
	p := &scripted{
		superego: say("", "DECISION: ALLOW"),
		assistant: func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
			answers++
			return say("", fmt.Sprintf("A%d", answers))(ctx, req, emit)
		},
	}
	f := newFixture(t, p, engine.Config{}, nil)
	ctx := t.Context()
	first := must(f.eng.Send(ctx, f.instance, "First"))
	f.wait(t, first.ID)
	second := must(f.eng.Send(ctx, f.instance, "Second"))
	f.wait(t, second.ID)
	origInst := must(f.st.GetFlowInstance(ctx, f.instance))
	origMsgs := f.messages(t, f.instance)

	// Rerun the first message under another constitution.
	alt := f.constitutionAlt
	r1, err := f.eng.Rerun(ctx, first.UserMessageID, model.Overrides{ConstitutionID: &alt})
	if err != nil {
		t.Fatal(err)
	}
	_, got := f.wait(t, r1.ID)
	if got.Status != model.RunCompleted || r1.FlowInstanceID == f.instance {
		t.Fatalf("rerun = %+v", got)
	}
	fork := must(f.st.GetFlowInstance(ctx, r1.FlowInstanceID))
	if fork.ParentInstanceID != f.instance || fork.ForkedFromMessageID != first.UserMessageID ||
		fork.Overrides == nil || *fork.Overrides.ConstitutionID != alt || fork.FlowConfigID != f.guarded {
		t.Errorf("fork = %+v", fork)
	}
	forkMsgs := f.messages(t, fork.ID)
	roles := []string{}
	for _, m := range forkMsgs {
		roles = append(roles, m.Role)
	}
	if !slices.Equal(roles, []string{"user", "superego", "assistant"}) || forkMsgs[0].Content != "First" || forkMsgs[0].ID != r1.UserMessageID {
		t.Errorf("fork messages = %v (user message stored twice?)", roles)
	}
	if s := forkMsgs[1]; s.ConstitutionID != alt || s.ConstitutionVersion != 1 {
		t.Errorf("fork superego used %s v%d", s.ConstitutionID, s.ConstitutionVersion)
	}
	sreq := p.requests(llm.PurposeSuperego)
	if sys := sreq[len(sreq)-1].System; !strings.Contains(sys, "## Brevity") || strings.Contains(sys, "## Honesty") {
		t.Errorf("rerun superego prompt does not carry the override constitution:\n%s", sys)
	}

	// Rerun the second message without the superego and another prompt.
	off := false
	altPrompt := must(f.st.CreateSysprompt(ctx, model.Sysprompt{Name: "Pirate", Content: "Talk like a pirate."})).ID
	calls := len(sreq)
	r2 := must(f.eng.Rerun(ctx, second.UserMessageID, model.Overrides{SuperegoEnabled: &off, SyspromptID: &altPrompt}))
	if _, got := f.wait(t, r2.ID); got.Status != model.RunCompleted || got.Decision != "" {
		t.Fatalf("rerun 2 = %+v", got)
	}
	if n := len(p.requests(llm.PurposeSuperego)); n != calls {
		t.Errorf("superego called in a fork that disabled it")
	}
	areq := p.requests(llm.PurposeAssistant)
	last := areq[len(areq)-1]
	if last.System != "Talk like a pirate." {
		t.Errorf("fork sysprompt = %q", last.System)
	}
	wantHist := []llm.Message{{Role: "user", Content: "First"}, {Role: "assistant", Content: "A1"}, {Role: "user", Content: "Second"}}
	if !slices.Equal(last.Messages, wantHist) {
		t.Errorf("fork history = %+v", last.Messages)
	}

	// A rerun inside that fork keeps its overrides and adds the new one.
	calls = len(p.requests(llm.PurposeSuperego))
	r3 := must(f.eng.Rerun(ctx, r2.UserMessageID, model.Overrides{ConstitutionID: &alt}))
	f.wait(t, r3.ID)
	o3 := must(f.st.GetFlowInstance(ctx, r3.FlowInstanceID)).Overrides
	if o3 == nil || o3.SuperegoEnabled == nil || *o3.SuperegoEnabled || *o3.SyspromptID != altPrompt || *o3.ConstitutionID != alt {
		t.Errorf("nested fork overrides = %+v", o3)
	}
	if n := len(p.requests(llm.PurposeSuperego)); n != calls {
		t.Errorf("nested fork lost the superego override")
	}

	// The original is exactly as it was.
	if now := must(f.st.GetFlowInstance(ctx, f.instance)); !reflect.DeepEqual(now, origInst) {
		t.Errorf("original instance changed:\n%+v\n%+v", now, origInst)
	}
	if now := f.messages(t, f.instance); !reflect.DeepEqual(now, origMsgs) {
		t.Errorf("original messages changed")
	}
}
