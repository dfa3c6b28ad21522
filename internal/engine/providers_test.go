package engine_test

import (
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/llm/llmtest"
	"github.com/superego-lab/superego/internal/llm/providers"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
)

// threeFakes are fake Ollama, Anthropic and OpenAI upstreams behind one
// catalog whose default provider is the demo.
func threeFakes(t *testing.T, ollamaReply, anthropicReply, openaiReply []byte) (*fixture, map[string]*llmtest.Upstream) {
	t.Helper()
	ups := map[string]*llmtest.Upstream{
		"ollama":    llmtest.New(t, llmtest.Reply{Body: ollamaReply}),
		"anthropic": llmtest.New(t, llmtest.Reply{Body: anthropicReply}),
		"openai":    llmtest.New(t, llmtest.Reply{Body: openaiReply}),
	}
	cat, err := providers.Setup(llm.Config{Provider: "demo", AnthropicKey: "sk-ant-test-0123456789", OpenAIKey: "sk-test-0123456789",
		BaseURLs: map[string]string{"ollama": ups["ollama"].URL + "/v1", "anthropic": ups["anthropic"].URL, "openai": ups["openai"].URL + "/v1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return providerEngine(t, cat.Provider), ups
}

// flowOn creates a flow config like the seeded standard one with the given
// models and superego switch.
func flowOn(t *testing.T, f *fixture, superego bool, superegoModel, assistantModel string) string {
	t.Helper()
	std := must(f.st.GetFlowConfig(t.Context(), seed.FlowStandard))
	spec := std.FlowSpec
	spec.Name = "on " + superegoModel + " and " + assistantModel
	spec.SuperegoEnabled, spec.SuperegoModel, spec.AssistantModel = superego, superegoModel, assistantModel
	return must(f.st.CreateFlowConfig(t.Context(), model.FlowConfig{FlowSpec: spec})).ID
}

func TestSuperegoAndAssistantOnDifferentProviders(t *testing.T) {
	t.Parallel()
	f, ups := threeFakes(t, llmtest.Fixture(t, "ollama_superego.sse"), llmtest.Fixture(t, "anthropic_answer.sse"), llmtest.Fixture(t, "openai_plain.sse"))
	cfg := flowOn(t, f, true, "ollama:qwen3", "anthropic:claude-sonnet-4-5")
	inst := f.newInstance(t, cfg)
	run := must(f.eng.Send(t.Context(), inst, "How do I bake bread?"))
	_, got := f.wait(t, run.ID)
	if got.Status != model.RunCompleted || got.Decision != model.DecisionAllow {
		t.Fatalf("run %+v", got)
	}
	if ups["ollama"].Calls() != 1 || ups["anthropic"].Calls() != 1 || ups["openai"].Calls() != 0 {
		t.Fatalf("calls: ollama %d anthropic %d openai %d", ups["ollama"].Calls(), ups["anthropic"].Calls(), ups["openai"].Calls())
	}
	o, a := ups["ollama"].Request(0), ups["anthropic"].Request(0)
	if o.Path != "/v1/chat/completions" || o.Body["model"] != "qwen3" {
		t.Errorf("ollama got %s %v", o.Path, o.Body["model"])
	}
	if a.Path != "/v1/messages" || a.Body["model"] != "claude-sonnet-4-5" {
		t.Errorf("anthropic got %s %v", a.Path, a.Body["model"])
	}
	msgs := f.runMessages(t, inst, run.ID)
	sup, asst := msgs[model.RoleSuperego], msgs[model.RoleAssistant]
	if sup.Model != "ollama:qwen3" || sup.Thinking != "\nThe user asks about bread.\n" || sup.Usage.InputTokens != 150 {
		t.Errorf("superego message model %q thinking %q usage %+v", sup.Model, sup.Thinking, sup.Usage)
	}
	if asst.Model != "anthropic:claude-sonnet-4-5" || asst.Content != "Mix flour, water, salt and yeast." || asst.Usage.InputTokens != 40 {
		t.Errorf("assistant message model %q content %q usage %+v", asst.Model, asst.Content, asst.Usage)
	}
}

func TestCompareAcrossThreeProviders(t *testing.T) {
	t.Parallel()
	f, ups := threeFakes(t, llmtest.Fixture(t, "ollama_superego.sse"), llmtest.Fixture(t, "anthropic_answer.sse"), llmtest.Fixture(t, "openai_plain.sse"))
	cfgs := []string{
		flowOn(t, f, false, "", "ollama:qwen3"),
		flowOn(t, f, false, "", "anthropic:claude-sonnet-4-5"),
		flowOn(t, f, false, "", "openai:gpt-4.1-mini"),
	}
	_, runs, err := f.eng.RunParallel(t.Context(), cfgs, "How do I bake bread?", "three vendors")
	if err != nil {
		t.Fatal(err)
	}
	answers := map[string]string{}
	for _, r := range runs {
		_, got := f.wait(t, r.ID)
		if got.Status != model.RunCompleted {
			t.Fatalf("run %+v", got)
		}
		asst := f.runMessages(t, r.FlowInstanceID, r.ID)[model.RoleAssistant]
		answers[asst.Model] = asst.Content
	}
	want := map[string]string{
		"ollama:qwen3":                "Harmless.\n\nDECISION: ALLOW",
		"anthropic:claude-sonnet-4-5": "Mix flour, water, salt and yeast.",
		"openai:gpt-4.1-mini":         "The capital of France is Paris.",
	}
	for m, w := range want {
		if answers[m] != w {
			t.Errorf("%s answered %q, want %q", m, answers[m], w)
		}
	}
	for name, up := range ups {
		if up.Calls() != 1 {
			t.Errorf("%s got %d calls, want 1", name, up.Calls())
		}
	}
}

func TestUnconfiguredProviderFailsOnlyItsRuns(t *testing.T) {
	t.Parallel()
	// OpenRouter has no key: its run fails naming it, the demo's runs go on.
	cat, err := providers.Setup(llm.Config{Provider: "demo"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := providerEngine(t, cat.Provider)
	bad := f.newInstance(t, flowOn(t, f, true, "openrouter:deepseek/deepseek-r1", ""))
	run := must(f.eng.Send(t.Context(), bad, "Hello"))
	_, got := f.wait(t, run.ID)
	if got.Status != model.RunFailed || got.Decision != "" || !containsAll(got.Error, "openrouter", "OPENROUTER_API_KEY") {
		t.Fatalf("run on an unconfigured provider: %+v", got)
	}
	good := f.newInstance(t, seed.FlowStandard)
	run = must(f.eng.Send(t.Context(), good, "What is a good name for a cat?"))
	if _, got = f.wait(t, run.ID); got.Status != model.RunCompleted {
		t.Fatalf("demo run %+v", got)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
