package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/llm/providers"
	"github.com/superego-lab/superego/internal/model"
)

// paramsServer serves the API with the parameter checks of a catalog that
// has the demo as default and Anthropic, OpenRouter and Ollama beside it.
// Anthropic and OpenRouter are fakes of their models endpoints (checking a
// thinking budget reads the listing, as GET /api/models does); Ollama is
// not listening, and is checked by its rules only.
func paramsServer(t *testing.T) *testServer {
	t.Helper()
	anthropicModels := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/models" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"data":[{"id":"claude-sonnet-4-5"},{"id":"claude-3-5-haiku-latest"}]}`))
	}))
	t.Cleanup(anthropicModels.Close)
	// OpenRouter says which models take reasoning; neither name is one the
	// server would guess from.
	openrouterModels := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/models" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"data":[{"id":"anthropic/claude-sonnet-4.5","supported_parameters":["reasoning","temperature"]},` +
			`{"id":"openai/gpt-4.1-mini","supported_parameters":["temperature","seed"]}]}`))
	}))
	t.Cleanup(openrouterModels.Close)
	// OpenAI's listing says nothing of reasoning.
	openaiModels := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/models" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"data":[{"id":"o4-mini"},{"id":"gpt-4.1-mini"}]}`))
	}))
	t.Cleanup(openaiModels.Close)
	cat, err := providers.Setup(llm.Config{Provider: "demo", AnthropicKey: "sk-ant-test-0123456789", OpenRouterKey: "sk-or-test-0123456789",
		OpenAIKey: "sk-test-0123456789",
		BaseURLs: map[string]string{"ollama": "http://127.0.0.1:9/v1", "anthropic": anthropicModels.URL, "openrouter": openrouterModels.URL + "/v1",
			"openai": openaiModels.URL + "/v1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	st := openTestStore(t)
	api := New(Config{Version: "test"}, Deps{Store: st, Bus: events.NewLocalBus(), CheckParams: cat.CheckParams,
		Log: slog.New(slog.NewTextHandler(logs, nil))})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return &testServer{api: api, srv: srv, store: st, logs: logs}
}

func TestFlowConfigParams(t *testing.T) {
	t.Parallel()
	s := paramsServer(t)
	cfg := func(extra map[string]any) map[string]any {
		m := map[string]any{"name": "Tuned", "constitution_id": "default", "sysprompt_id": "assistant_default"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	var id string
	s.run(t, []scenario{
		{name: "create with parameters", method: "POST", path: "/api/flow-configs", status: 201,
			body: cfg(map[string]any{
				"superego_model":   "ollama:qwen3",
				"superego_params":  map[string]any{"temperature": 0.2, "top_p": 0.9, "max_tokens": 300, "seed": 7, "reasoning_effort": "low"},
				"assistant_model":  "anthropic:claude-sonnet-4-5",
				"assistant_params": map[string]any{"max_tokens": 5000, "thinking_budget": 3000},
			}),
			check: func(t *testing.T, r resp) {
				var c model.FlowConfig
				r.decode(t, &c)
				id = c.ID
				sp, ap := c.SuperegoParams, c.AssistantParams
				if sp.Temperature == nil || *sp.Temperature != 0.2 || *sp.TopP != 0.9 || *sp.MaxTokens != 300 || *sp.Seed != 7 ||
					sp.ReasoningEffort != "low" || sp.ThinkingBudget != nil {
					t.Errorf("superego params %s", r.body)
				}
				if ap.MaxTokens == nil || *ap.MaxTokens != 5000 || *ap.ThinkingBudget != 3000 || ap.Temperature != nil {
					t.Errorf("assistant params %s", r.body)
				}
			}},
		{name: "read back", method: "GET", path: "/api/flow-configs/{id}", status: 200, check: func(t *testing.T, r resp) {
			var c model.FlowConfig
			r.decode(t, &c)
			if c.SuperegoParams.Seed == nil || *c.SuperegoParams.Seed != 7 || c.AssistantParams.ThinkingBudget == nil {
				t.Errorf("stored params %s", r.body)
			}
		}},
		// Every wrong one below is refused and leaves the config as it was.
		{name: "temperature above 2", method: "PUT", path: "/api/flow-configs/{id}", status: 422, field: "body.superego_params.temperature",
			body: cfg(map[string]any{"superego_params": map[string]any{"temperature": 2.5}})},
		{name: "negative top_p", method: "PUT", path: "/api/flow-configs/{id}", status: 422, field: "body.assistant_params.top_p",
			body: cfg(map[string]any{"assistant_params": map[string]any{"top_p": -0.1}})},
		{name: "zero max_tokens", method: "PUT", path: "/api/flow-configs/{id}", status: 422, field: "body.assistant_params.max_tokens",
			body: cfg(map[string]any{"assistant_params": map[string]any{"max_tokens": 0}})},
		{name: "negative seed", method: "PUT", path: "/api/flow-configs/{id}", status: 422, field: "body.superego_params.seed",
			body: cfg(map[string]any{"superego_params": map[string]any{"seed": -1}})},
		{name: "unknown effort", method: "PUT", path: "/api/flow-configs/{id}", status: 422, field: "body.superego_params.reasoning_effort",
			body: cfg(map[string]any{"superego_params": map[string]any{"reasoning_effort": "extreme"}})},
		{name: "budget under 1024", method: "PUT", path: "/api/flow-configs/{id}", status: 422, field: "body.assistant_params.thinking_budget",
			body: cfg(map[string]any{"assistant_model": "anthropic:claude-sonnet-4-5", "assistant_params": map[string]any{"thinking_budget": 100}})},
		{name: "temperature as text", method: "PUT", path: "/api/flow-configs/{id}", status: 422, field: "body.superego_params.temperature",
			body: cfg(map[string]any{"superego_params": map[string]any{"temperature": "hot"}})},
		{name: "misspelt parameter", method: "PUT", path: "/api/flow-configs/{id}", status: 422, field: "body.superego_params.temprature",
			body: cfg(map[string]any{"superego_params": map[string]any{"temprature": 0.5}})},
		{name: "budget on the demo assistant, which cannot reason", method: "PUT", path: "/api/flow-configs/{id}", status: 422,
			field: "body.assistant_params.thinking_budget",
			body:  cfg(map[string]any{"assistant_params": map[string]any{"thinking_budget": 2000}})},
		{name: "budget on a Claude that cannot think", method: "PUT", path: "/api/flow-configs/{id}", status: 422,
			field: "body.assistant_params.thinking_budget",
			body:  cfg(map[string]any{"assistant_model": "anthropic:claude-3-5-haiku-latest", "assistant_params": map[string]any{"thinking_budget": 2000}})},
		{name: "temperature with the Anthropic superego's thinking", method: "PUT", path: "/api/flow-configs/{id}", status: 422,
			field: "body.superego_params.temperature",
			body:  cfg(map[string]any{"superego_model": "anthropic:claude-sonnet-4-5", "superego_params": map[string]any{"temperature": 0.5}})},
		{name: "top_p with an Anthropic thinking budget", method: "PUT", path: "/api/flow-configs/{id}", status: 422,
			field: "body.assistant_params.top_p",
			body: cfg(map[string]any{"assistant_model": "anthropic:claude-sonnet-4-5",
				"assistant_params": map[string]any{"thinking_budget": 2000, "top_p": 0.5}})},
		{name: "Anthropic temperature above 1", method: "PUT", path: "/api/flow-configs/{id}", status: 422,
			field: "body.assistant_params.temperature",
			body:  cfg(map[string]any{"assistant_model": "anthropic:claude-sonnet-4-5", "assistant_params": map[string]any{"temperature": 1.5}})},
		{name: "Anthropic seed", method: "PUT", path: "/api/flow-configs/{id}", status: 422, field: "body.assistant_params.seed",
			body: cfg(map[string]any{"assistant_model": "anthropic:claude-sonnet-4-5", "assistant_params": map[string]any{"seed": 1}})},
		{name: "Anthropic reasoning effort", method: "PUT", path: "/api/flow-configs/{id}", status: 422,
			field: "body.superego_params.reasoning_effort",
			body:  cfg(map[string]any{"superego_model": "anthropic:claude-sonnet-4-5", "superego_params": map[string]any{"reasoning_effort": "high"}})},
		{name: "Anthropic max_tokens not above the budget", method: "PUT", path: "/api/flow-configs/{id}", status: 422,
			field: "body.assistant_params.max_tokens",
			body: cfg(map[string]any{"assistant_model": "anthropic:claude-sonnet-4-5",
				"assistant_params": map[string]any{"thinking_budget": 2000, "max_tokens": 2000}})},
		{name: "budget on an OpenRouter model listed without reasoning", method: "PUT", path: "/api/flow-configs/{id}", status: 422,
			field: "body.assistant_params.thinking_budget",
			body:  cfg(map[string]any{"assistant_model": "openrouter:openai/gpt-4.1-mini", "assistant_params": map[string]any{"thinking_budget": 2000}})},
		{name: "thinking budget on Ollama", method: "PUT", path: "/api/flow-configs/{id}", status: 422,
			field: "body.superego_params.thinking_budget",
			body:  cfg(map[string]any{"superego_model": "ollama:qwen3", "superego_params": map[string]any{"thinking_budget": 2000}})},
		{name: "effort on an OpenRouter model listed without reasoning", method: "PUT", path: "/api/flow-configs/{id}", status: 422,
			field: "body.superego_params.reasoning_effort",
			body:  cfg(map[string]any{"superego_model": "openrouter:openai/gpt-4.1-mini", "superego_params": map[string]any{"reasoning_effort": "low"}})},
		{name: "effort on the demo assistant, which cannot reason", method: "PUT", path: "/api/flow-configs/{id}", status: 422,
			field: "body.assistant_params.reasoning_effort",
			body:  cfg(map[string]any{"assistant_params": map[string]any{"reasoning_effort": "high"}})},
		{name: "unchanged after the refusals", method: "GET", path: "/api/flow-configs/{id}", status: 200, check: func(t *testing.T, r resp) {
			var c model.FlowConfig
			r.decode(t, &c)
			if c.Version != 1 || c.SuperegoModel != "ollama:qwen3" || c.SuperegoParams.Temperature == nil || *c.SuperegoParams.Temperature != 0.2 {
				t.Errorf("a refused write changed the config: %s", r.body)
			}
		}},
		{name: "budget on an OpenRouter model listed with reasoning", method: "POST", path: "/api/flow-configs", status: 201,
			body: cfg(map[string]any{"name": "Routed", "assistant_model": "openrouter:anthropic/claude-sonnet-4.5",
				"assistant_params": map[string]any{"thinking_budget": 2000, "temperature": 1.5}})},
		{name: "effort on an OpenRouter model listed with reasoning", method: "POST", path: "/api/flow-configs", status: 201,
			body: cfg(map[string]any{"name": "Routed effort", "superego_model": "openrouter:anthropic/claude-sonnet-4.5",
				"superego_params": map[string]any{"reasoning_effort": "high"}})},
		// OpenAI's listing does not say which models reason, and its
		// o-series take an effort without streaming any reasoning.
		{name: "effort on an OpenAI model the listing does not describe", method: "POST", path: "/api/flow-configs", status: 201,
			body: cfg(map[string]any{"name": "OpenAI effort", "assistant_model": "openai:o4-mini",
				"assistant_params": map[string]any{"reasoning_effort": "medium"}})},
		{name: "effort on the demo superego, which reasons", method: "POST", path: "/api/flow-configs", status: 201,
			body: cfg(map[string]any{"name": "Demo effort", "superego_params": map[string]any{"reasoning_effort": "minimal"}})},
		{name: "create refused too", method: "POST", path: "/api/flow-configs", status: 422, field: "body.assistant_params.thinking_budget",
			body: cfg(map[string]any{"name": "Refused", "assistant_params": map[string]any{"thinking_budget": 2000}})},
		{name: "replace without parameters clears them", method: "PUT", path: "/api/flow-configs/{id}", status: 200, body: cfg(nil),
			hdr: []string{"If-Match", `"1"`},
			check: func(t *testing.T, r resp) {
				var c model.FlowConfig
				r.decode(t, &c)
				if !c.SuperegoParams.IsZero() || !c.AssistantParams.IsZero() {
					t.Errorf("parameters kept: %s", r.body)
				}
			}},
		{name: "template with a budget the demo assistant cannot use", method: "POST", path: "/api/flow-templates", status: 422,
			field: "body.config.assistant_params.thinking_budget",
			body: map[string]any{"name": "Tmpl", "config": map[string]any{"constitution_id": "default", "sysprompt_id": "assistant_default",
				"assistant_params": map[string]any{"thinking_budget": 2000}}}},
		{name: "template keeps its parameters", method: "POST", path: "/api/flow-templates", status: 201,
			body: map[string]any{"name": "Tmpl", "config": map[string]any{"constitution_id": "default", "sysprompt_id": "assistant_default",
				"superego_params": map[string]any{"thinking_budget": 2000, "max_tokens": 4000}}},
			check: func(t *testing.T, r resp) {
				var ft model.FlowTemplate
				r.decode(t, &ft)
				got := s.do(t, "GET", "/api/flow-templates/"+ft.ID, nil)
				got.decode(t, &ft)
				if p := ft.Config.SuperegoParams; p.ThinkingBudget == nil || *p.ThinkingBudget != 2000 || *p.MaxTokens != 4000 {
					t.Errorf("template params %s", got.body)
				}
				// Instantiating twice reuses the config made the first time:
				// parameters compare by value.
				var first, second Instantiated
				s.do(t, "POST", "/api/flow-templates/"+ft.ID+"/instantiate", nil).decode(t, &first)
				s.do(t, "POST", "/api/flow-templates/"+ft.ID+"/instantiate", nil).decode(t, &second)
				if p := first.FlowConfig.SuperegoParams; p.ThinkingBudget == nil || *p.ThinkingBudget != 2000 {
					t.Errorf("instantiated config params %+v", first.FlowConfig.SuperegoParams)
				}
				if first.FlowConfig.ID == "" || second.FlowConfig.ID != first.FlowConfig.ID {
					t.Errorf("instantiated configs %q then %q, want the same one reused", first.FlowConfig.ID, second.FlowConfig.ID)
				}
			}},
	}, func(p string) string { return strings.ReplaceAll(p, "{id}", id) })
}

// TestEvalExportsCarryTheParamsSent: the parameters each call of a row
// sent come back in the result list and both exports.
func TestEvalExportsCarryTheParamsSent(t *testing.T) {
	s, db := metricsServer(t)
	ctx := context.Background()
	if _, err := db.CreateRun(ctx, evals.EvalRun{ID: "run-params", SuiteID: "s", SuiteVersion: 1, Mode: evals.ModeFull,
		Targets: []evals.EvalTarget{{FlowConfigID: "standard"}}, Repeats: 1, Total: 2}); err != nil {
		t.Fatal(err)
	}
	temp, maxTok := 0.3, 6
	for _, x := range []evals.EvalResult{
		{CaseID: "c1", Input: "one", Expected: evals.ExpectAllow, Decision: model.DecisionAllow,
			SuperegoParams: &model.ModelParams{Temperature: &temp}, AssistantParams: &model.ModelParams{MaxTokens: &maxTok}},
		{CaseID: "c2", Input: "two", Expected: evals.ExpectAllow, Decision: model.DecisionAllow},
	} {
		x.EvalRunID, x.Model = "run-params", "demo"
		if _, _, _, err := db.InsertResult(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	r := s.do(t, http.MethodGet, "/api/eval-runs/run-params/results", nil)
	if !bytes.Contains(r.body, []byte(`"superego_params":{"temperature":0.3}`)) || !bytes.Contains(r.body, []byte(`"assistant_params":{"max_tokens":6}`)) {
		t.Errorf("results %s", r.body)
	}
	r = s.do(t, http.MethodGet, "/api/eval-runs/run-params/export?format=jsonl", nil)
	var first evals.EvalResult
	if err := json.NewDecoder(bytes.NewReader(r.body)).Decode(&first); err != nil || first.SuperegoParams == nil || *first.SuperegoParams.Temperature != 0.3 {
		t.Errorf("JSONL export's first row %+v (%v)", first, err)
	}
	r = s.do(t, http.MethodGet, "/api/eval-runs/run-params/export?format=csv", nil)
	recs, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil || len(recs) != 3 {
		t.Fatalf("CSV export: %v, %d records", err, len(recs))
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	if got := recs[1]; got[col["superego_params"]] != `{"temperature":0.3}` || got[col["assistant_params"]] != `{"max_tokens":6}` {
		t.Errorf("CSV row for c1: %v", got)
	}
	if got := recs[2]; got[col["superego_params"]] != "" || got[col["assistant_params"]] != "" {
		t.Errorf("CSV row for c2 without parameters: %v", got)
	}
}
