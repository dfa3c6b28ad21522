package engine_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/llm/anthropic"
	"github.com/superego-lab/superego/internal/llm/llmtest"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
	"github.com/superego-lab/superego/internal/store/sqlite"
)

// providerEngine is an engine on a seeded SQLite store calling prov.
func providerEngine(t *testing.T, prov llm.Provider) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "edges.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := seed.Apply(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	eng := engine.New(st, prov, engine.Config{SuperegoModel: "claude-test", AssistantModel: "claude-test"}, nil, nil)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = eng.Shutdown(ctx)
	})
	return &fixture{st: st, eng: eng}
}

// anthropicEngine talks to a fake Anthropic Messages upstream.
func anthropicEngine(t *testing.T, replies ...llmtest.Reply) (*fixture, *llmtest.Upstream) {
	t.Helper()
	up := llmtest.New(t, replies...)
	p, err := anthropic.New(anthropic.Options{BaseURL: up.URL, APIKey: "sk-ant-test-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	return providerEngine(t, llm.WithRetry(p, llm.RetryOptions{MaxAttempts: 1})), up
}

func TestCutAnswerIsMarkedTruncated(t *testing.T) {
	t.Parallel()
	eng, _, st := upstreamEngine(t, llmtest.Reply{Body: llmtest.Fixture(t, "openai_length.sse")})
	f := &fixture{st: st, eng: eng}
	inst := noSuperegoInstance(t, st)
	run := must(eng.Send(t.Context(), inst, "How do I bake bread?"))
	evs, got := f.wait(t, run.ID)
	asst := f.runMessages(t, inst, run.ID)[model.RoleAssistant]
	if asst.Status != model.MessageTruncated || !strings.Contains(asst.Error, "length") {
		t.Fatalf("stored answer: status %q error %q", asst.Status, asst.Error)
	}
	if asst.Content != "Here are the firststeps: 1. Preheat the oven to" || asst.Usage != (model.Usage{InputTokens: 31, OutputTokens: 12}) {
		t.Errorf("content %q usage %+v", asst.Content, asst.Usage)
	}
	var frame *model.Message
	for _, e := range evs {
		if e.Type == events.TypeAssistantMessage {
			frame = e.Message
		}
	}
	if frame == nil || frame.Status != model.MessageTruncated {
		t.Errorf("assistant_message frame %+v", frame)
	}
	// The run itself completed: the model answered, only not in full.
	if got.Status != model.RunCompleted {
		t.Errorf("run %+v", got)
	}
}

func TestCutSuperegoReplyIsAnErrorWithTheReason(t *testing.T) {
	t.Parallel()
	f, up := anthropicEngine(t, llmtest.Reply{Body: llmtest.Fixture(t, "anthropic_max_tokens.sse")})
	inst := f.newInstance(t, seed.FlowStandard)
	run := must(f.eng.Send(t.Context(), inst, "What household chemicals react?"))
	_, got := f.wait(t, run.ID)
	sup := f.runMessages(t, inst, run.ID)[model.RoleSuperego]
	if sup.Decision != model.DecisionError || !strings.Contains(sup.Reason, "max_tokens") || !strings.Contains(sup.Reason, "decision line") {
		t.Fatalf("superego decision %q reason %q", sup.Decision, sup.Reason)
	}
	if sup.Status != model.MessageTruncated || sup.Usage.InputTokens != 472 {
		t.Errorf("superego message status %q usage %+v", sup.Status, sup.Usage)
	}
	if got.Status != model.RunBlocked || got.Decision != model.DecisionError || up.Calls() != 1 {
		t.Errorf("run %+v after %d calls", got, up.Calls())
	}
}

func TestBadKeyFailsTheRunInsteadOfBlocking(t *testing.T) {
	t.Parallel()
	f, _ := anthropicEngine(t, llmtest.Reply{Status: 401, Body: llmtest.Fixture(t, "anthropic_401.json")})
	inst := f.newInstance(t, seed.FlowStandard)
	run := must(f.eng.Send(t.Context(), inst, "Hello"))
	evs, got := f.wait(t, run.ID)
	if got.Status != model.RunFailed || !strings.Contains(got.Error, "401") || !strings.Contains(got.Error, "invalid x-api-key") {
		t.Fatalf("run status %q error %q", got.Status, got.Error)
	}
	if got.Decision != "" {
		t.Errorf("decision %q: a provider error is no verdict on the message", got.Decision)
	}
	last := evs[len(evs)-1]
	if last.Status != model.RunFailed || last.Error != got.Error {
		t.Errorf("run_finished %+v", last)
	}
	sup := f.runMessages(t, inst, run.ID)[model.RoleSuperego]
	if sup.Status != model.MessageFailed || sup.Decision != "" {
		t.Errorf("superego message %+v", sup)
	}
}

func TestUsageOfAFailedAnswerIsKept(t *testing.T) {
	t.Parallel()
	f, _ := anthropicEngine(t, llmtest.Reply{Body: llmtest.Fixture(t, "anthropic_overloaded_midstream.sse")})
	inst := f.newInstance(t, seed.FlowNoSuperego)
	run := must(f.eng.Send(t.Context(), inst, "Tell me a story"))
	_, got := f.wait(t, run.ID)
	asst := f.runMessages(t, inst, run.ID)[model.RoleAssistant]
	if asst.Status != model.MessageFailed || asst.Content != "Sure," {
		t.Fatalf("answer %+v", asst)
	}
	want := model.Usage{InputTokens: 25, OutputTokens: 1}
	if asst.Usage != want || got.Usage != want {
		t.Errorf("usage: message %+v run %+v, want %+v", asst.Usage, got.Usage, want)
	}
}
