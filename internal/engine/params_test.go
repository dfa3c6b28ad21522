package engine_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/llm/demo"
	"github.com/superego-lab/superego/internal/llm/llmtest"
	"github.com/superego-lab/superego/internal/llm/providers"
	"github.com/superego-lab/superego/internal/model"
)

func ptr[T any](v T) *T { return &v }

// flowWithParams creates a flow config like flowOn with generation parameters.
func flowWithParams(t *testing.T, f *fixture, superegoModel, assistantModel string, sp, ap model.ModelParams) string {
	t.Helper()
	id := flowOn(t, f, true, superegoModel, assistantModel)
	c := must(f.st.GetFlowConfig(t.Context(), id))
	c.SuperegoParams, c.AssistantParams = sp, ap
	return must(f.st.UpdateFlowConfig(t.Context(), c, c.Version)).ID
}

// rawFields decodes a recorded request body keeping each field's JSON.
func rawFields(t *testing.T, raw []byte) map[string]string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

func TestFlowParamsReachTheWireAndTheMessages(t *testing.T) {
	t.Parallel()
	f, ups := threeFakes(t, llmtest.Fixture(t, "ollama_superego.sse"), llmtest.Fixture(t, "anthropic_answer.sse"), llmtest.Fixture(t, "openai_plain.sse"))
	sp := model.ModelParams{Temperature: ptr(0.2), MaxTokens: ptr(300), Seed: ptr(int64(7))}
	ap := model.ModelParams{MaxTokens: ptr(5000), ThinkingBudget: ptr(3000)}
	inst := f.newInstance(t, flowWithParams(t, f, "ollama:qwen3", "anthropic:claude-sonnet-4-5", sp, ap))
	run := must(f.eng.Send(t.Context(), inst, "How do I bake bread?"))
	if _, got := f.wait(t, run.ID); got.Status != model.RunCompleted {
		t.Fatalf("run %+v", got)
	}
	if ups["openai"].Calls() != 0 {
		t.Errorf("openai called %d times", ups["openai"].Calls())
	}
	o := rawFields(t, ups["ollama"].Request(0).Raw)
	if o["temperature"] != "0.2" || o["max_tokens"] != "300" || o["seed"] != "7" || o["top_p"] != "" {
		t.Errorf("ollama body: temperature %s max_tokens %s seed %s top_p %q", o["temperature"], o["max_tokens"], o["seed"], o["top_p"])
	}
	a := rawFields(t, ups["anthropic"].Request(0).Raw)
	if a["max_tokens"] != "5000" || a["thinking"] != `{"budget_tokens":3000,"type":"enabled"}` || a["temperature"] != "" {
		t.Errorf("anthropic body: max_tokens %s thinking %s temperature %q", a["max_tokens"], a["thinking"], a["temperature"])
	}
	msgs := f.runMessages(t, inst, run.ID)
	if got := model.EncodeParams(msgs[model.RoleSuperego].Params); got != `{"temperature":0.2,"max_tokens":300,"seed":7}` {
		t.Errorf("superego message params %s", got)
	}
	if got := model.EncodeParams(msgs[model.RoleAssistant].Params); got != `{"max_tokens":5000,"thinking_budget":3000}` {
		t.Errorf("assistant message params %s", got)
	}
	if msgs[model.RoleUser].Params != nil {
		t.Errorf("user message has params %+v", msgs[model.RoleUser].Params)
	}
}

func TestParamsTheProviderCannotTakeFailTheRun(t *testing.T) {
	t.Parallel()
	f, ups := threeFakes(t, llmtest.Fixture(t, "ollama_superego.sse"), llmtest.Fixture(t, "anthropic_answer.sse"), llmtest.Fixture(t, "openai_plain.sse"))
	// Saved through the store, as a config written before the server's
	// providers changed would be: REST refuses it (TestFlowConfigParams).
	inst := f.newInstance(t, flowWithParams(t, f, "anthropic:claude-sonnet-4-5", "", model.ModelParams{Temperature: ptr(0.5)}, model.ModelParams{}))
	run := must(f.eng.Send(t.Context(), inst, "How do I bake bread?"))
	_, got := f.wait(t, run.ID)
	if got.Status != model.RunFailed || got.Decision != "" || !containsAll(got.Error, "anthropic", "temperature", "extended thinking") {
		t.Fatalf("run %+v", got)
	}
	if ups["anthropic"].Calls() != 0 {
		t.Errorf("anthropic called %d times with parameters it rejects", ups["anthropic"].Calls())
	}
}

func TestDemoRecordsParamsAndStopsAtMaxTokens(t *testing.T) {
	t.Parallel()
	cat, err := providers.Setup(llm.Config{Provider: "demo"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := providerEngine(t, cat.Provider)
	sp := model.ModelParams{Temperature: ptr(0.0), Seed: ptr(int64(1)), ThinkingBudget: ptr(2048)}
	ap := model.ModelParams{MaxTokens: ptr(6), TopP: ptr(0.5), ReasoningEffort: "low"}
	inst := f.newInstance(t, flowWithParams(t, f, "", "", sp, ap))
	run := must(f.eng.Send(t.Context(), inst, "What is a good name for a cat?"))
	if _, got := f.wait(t, run.ID); got.Status != model.RunCompleted {
		t.Fatalf("run %+v", got)
	}
	msgs := f.runMessages(t, inst, run.ID)
	sup, asst := msgs[model.RoleSuperego], msgs[model.RoleAssistant]
	if model.EncodeParams(sup.Params) != model.EncodeParams(&sp) || sup.Status != model.MessageComplete {
		t.Errorf("superego params %s status %s", model.EncodeParams(sup.Params), sup.Status)
	}
	if model.EncodeParams(asst.Params) != model.EncodeParams(&ap) {
		t.Errorf("assistant params %s", model.EncodeParams(asst.Params))
	}
	if n := len(demo.Pieces(asst.Content)); n != 6 || asst.Status != model.MessageTruncated || !strings.Contains(asst.Error, "max_tokens") {
		t.Errorf("assistant cut at max_tokens 6: %d pieces, status %s, error %q", n, asst.Status, asst.Error)
	}
}

func TestScreeningRecordsParams(t *testing.T) {
	t.Parallel()
	cat, err := providers.Setup(llm.Config{Provider: "demo"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := providerEngine(t, cat.Provider)
	sp := model.ModelParams{Temperature: ptr(0.7)}
	ap := model.ModelParams{MaxTokens: ptr(400)}
	target := must(f.eng.ResolveTarget(t.Context(), flowWithParams(t, f, "", "", sp, ap), nil))
	s := must(f.eng.Screen(t.Context(), target, nil, "What is a good name for a cat?", true))
	if s.Decision != model.DecisionAllow || s.Answer == "" {
		t.Fatalf("screening %+v", s)
	}
	if model.EncodeParams(s.SuperegoParams) != `{"temperature":0.7}` || model.EncodeParams(s.AssistantParams) != `{"max_tokens":400}` {
		t.Errorf("screening params %s %s", model.EncodeParams(s.SuperegoParams), model.EncodeParams(s.AssistantParams))
	}
}
