package providers

import (
	"context"
	"testing"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/llm/llmtest"
	"github.com/superego-lab/superego/internal/llm/pricing"
)

// Real shapes of the models endpoints, trimmed to two models each.
const (
	openRouterModelsJSON = `{"data":[{"id":"deepseek/deepseek-r1","name":"DeepSeek: R1","pricing":{"prompt":"0.0000004","completion":"0.000002"},"supported_parameters":["include_reasoning","max_tokens","reasoning","seed","temperature","top_p"]},{"id":"openai/gpt-4.1-mini","name":"OpenAI: GPT-4.1 Mini","supported_parameters":["max_tokens","seed","temperature","tools","top_p"]}]}`
	anthropicModelsJSON  = `{"data":[{"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"},{"type":"model","id":"claude-3-5-haiku-20241022","display_name":"Claude Haiku 3.5","created_at":"2024-10-22T00:00:00Z"}],"has_more":false,"first_id":"claude-sonnet-4-5-20250929","last_id":"claude-3-5-haiku-20241022"}`
)

func find(info llm.ModelsInfo, id string) *llm.ModelInfo {
	for i := range info.Models {
		if info.Models[i].ID == id {
			return &info.Models[i]
		}
	}
	return nil
}

func TestModelsFromTheProvidersEndpoints(t *testing.T) {
	t.Parallel()
	or := llmtest.New(t, llmtest.Reply{Body: []byte(openRouterModelsJSON)})
	an := llmtest.New(t, llmtest.Reply{Body: []byte(anthropicModelsJSON)})
	cat, err := Setup(llm.Config{OpenRouterKey: orKey, AnthropicKey: antKey, BaseURL: or.URL + "/api/v1",
		BaseURLs: map[string]string{"anthropic": an.URL + "/v1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cat.Price = pricing.New(cat.Name, nil).Lookup
	info := cat.Models(context.Background(), false)

	if r := or.Request(0); r.Path != "/api/v1/models" || r.Header.Get("Authorization") != "Bearer "+orKey {
		t.Errorf("openrouter asked %s with %q", r.Path, r.Header.Get("Authorization"))
	}
	if r := an.Request(0); r.Path != "/v1/models" || r.Header.Get("X-Api-Key") != antKey || r.Header.Get("Anthropic-Version") == "" {
		t.Errorf("anthropic asked %s", r.Path)
	}
	r1 := find(info, "deepseek/deepseek-r1")
	if r1 == nil || !r1.Reasoning || len(r1.Roles) != 1 || r1.Price == nil || r1.Price.Source != pricing.SourceDefault {
		t.Fatalf("default-provider model %+v", r1)
	}
	if m := find(info, "openai/gpt-4.1-mini"); m == nil || m.Reasoning {
		t.Errorf("listed model %+v", m)
	}
	if m := find(info, "anthropic:claude-sonnet-4-5-20250929"); m == nil || !m.Reasoning || m.Provider != "anthropic" {
		t.Errorf("anthropic model %+v", m)
	}
	if m := find(info, "anthropic:claude-3-5-haiku-20241022"); m == nil || m.Reasoning {
		t.Errorf("anthropic model without thinking %+v", m)
	}
	var listed, ollama bool
	for _, p := range info.Providers {
		switch p.Name {
		case "anthropic":
			listed = p.Listed && p.Available
		case "ollama":
			ollama = !p.Available && p.Error != ""
		}
	}
	if !listed || !ollama {
		t.Errorf("providers %+v", info.Providers)
	}

	// Cached: no new requests; a refresh asks again.
	cat.Models(context.Background(), false)
	if or.Calls() != 1 || an.Calls() != 1 {
		t.Fatalf("cache missed: %d, %d calls", or.Calls(), an.Calls())
	}
	cat.Models(context.Background(), true)
	if or.Calls() != 2 || an.Calls() != 2 {
		t.Fatalf("refresh did not ask again: %d, %d calls", or.Calls(), an.Calls())
	}
}

func TestModelsEndpointDownStillListsDefaults(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t, llmtest.Reply{Status: 401, Body: []byte(`{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`)})
	cat, err := Setup(llm.Config{AnthropicKey: antKey, BaseURL: up.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	info := cat.Models(context.Background(), false)
	if m := find(info, AnthropicSuperegoModel); m == nil {
		t.Fatalf("default model missing: %+v", info.Models)
	}
	p := info.Providers[0]
	if p.Name != "anthropic" || p.Listed || p.ListError == "" || !p.Available {
		t.Fatalf("provider %+v", p)
	}
}
