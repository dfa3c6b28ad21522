package providers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/llm/llmtest"
	"github.com/superego-lab/superego/internal/model"
)

const (
	orKey  = "sk-or-v1-ORKEYORKEYORKEY0123"
	oaKey  = "sk-proj-OAKEYOAKEYOAKEY4567"
	antKey = "sk-ant-api03-ANTKEYANTKEY89ab"
)

func TestChoose(t *testing.T) {
	t.Parallel()
	cases := []struct {
		cfg  llm.Config
		want string
	}{
		{llm.Config{}, "demo"},
		{llm.Config{OpenRouterKey: orKey, OpenAIKey: oaKey, AnthropicKey: antKey}, "openrouter"},
		{llm.Config{OpenAIKey: oaKey, AnthropicKey: antKey}, "openai"},
		{llm.Config{AnthropicKey: antKey}, "anthropic"},
		{llm.Config{BaseURL: "http://localhost:11434/v1"}, "openai"},
		{llm.Config{Provider: " Anthropic ", OpenRouterKey: orKey, AnthropicKey: antKey}, "anthropic"},
		{llm.Config{Provider: "demo", OpenAIKey: oaKey}, "demo"},
	}
	for _, c := range cases {
		if got := Choose(c.cfg); got != c.want {
			t.Errorf("Choose(%+v) = %q, want %q", c.cfg, got, c.want)
		}
	}
}

func TestSetupDefaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		cfg                    llm.Config
		name, superego, assist string
		baseURL                string
		demo                   bool
	}{
		{llm.Config{}, "demo", "demo-superego", "demo-assistant", "", true},
		{llm.Config{OpenRouterKey: orKey}, "openrouter", OpenRouterSuperegoModel, OpenRouterAssistantModel, "https://openrouter.ai/api/v1", false},
		{llm.Config{OpenAIKey: oaKey}, "openai", OpenAISuperegoModel, OpenAIAssistantModel, "https://api.openai.com/v1", false},
		{llm.Config{AnthropicKey: antKey}, "anthropic", AnthropicSuperegoModel, AnthropicAssistantModel, "https://api.anthropic.com", false},
		{llm.Config{Provider: "ollama"}, "ollama", OllamaSuperegoModel, OllamaAssistantModel, "http://localhost:11434/v1", false},
		{llm.Config{BaseURL: "http://127.0.0.1:8080/v1"}, "openai", OllamaSuperegoModel, OllamaAssistantModel, "http://127.0.0.1:8080/v1", false},
		{llm.Config{OpenAIKey: oaKey, SuperegoModel: "o4-mini", AssistantModel: "gpt-4.1"}, "openai", "o4-mini", "gpt-4.1", "https://api.openai.com/v1", false},
		// The demo keeps its labelled names even when models are given.
		{llm.Config{Provider: "demo", SuperegoModel: "gpt-4.1"}, "demo", "demo-superego", "demo-assistant", "", true},
	}
	for _, c := range cases {
		cat, err := Setup(c.cfg, nil)
		if err != nil {
			t.Fatalf("Setup(%+v): %v", c.cfg, err)
		}
		if cat.Name != c.name || cat.Provider.Name() != c.name || cat.SuperegoModel != c.superego ||
			cat.AssistantModel != c.assist || cat.Demo != c.demo || cat.BaseURL != c.baseURL {
			t.Errorf("Setup(%+v) = %+v", c.cfg, cat)
		}
	}
}

func TestSetupErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]llm.Config{
		"unknown provider":       {Provider: "gemini", OpenAIKey: oaKey},
		"openai without key":     {Provider: "openai", AnthropicKey: antKey},
		"openrouter without key": {Provider: "openrouter", OpenAIKey: oaKey},
		"anthropic without key":  {Provider: "anthropic", OpenRouterKey: orKey},
		"bad base url":           {Provider: "ollama", BaseURL: "localhost:11434"},
		"bad anthropic base url": {AnthropicKey: antKey, BaseURL: "::nope"},
	}
	for name, cfg := range cases {
		_, err := Setup(cfg, nil)
		if err == nil {
			t.Errorf("%s: Setup succeeded", name)
			continue
		}
		for _, k := range []string{orKey, oaKey, antKey} {
			if strings.Contains(err.Error(), k) {
				t.Errorf("%s: error leaks a key: %v", name, err)
			}
		}
	}
	_, err := Setup(llm.Config{Provider: "gemini"}, nil)
	if err == nil || !strings.Contains(err.Error(), "gemini") || !strings.Contains(err.Error(), "openrouter") {
		t.Errorf("unknown provider error should name it and the valid ones: %v", err)
	}
}

func TestInfoJSONAndNoKeys(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cat, err := Setup(llm.Config{OpenRouterKey: orKey, OpenAIKey: oaKey, AnthropicKey: antKey,
		AssistantModel: "openai/gpt-4.1"}, log)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(cat.Info())
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got["provider"] != "openrouter" || got["demo"] != false ||
		got["default_superego_model"] != OpenRouterSuperegoModel || got["default_assistant_model"] != "openai/gpt-4.1" {
		t.Errorf("info %s", raw)
	}
	// The default provider's two models first, then the other
	// configured providers' (the demo is always there), qualified.
	models, _ := got["models"].([]any)
	if len(models) != 6 || models[2].(map[string]any)["id"] != "demo:demo-superego" ||
		models[5].(map[string]any)["id"] != "anthropic:claude-sonnet-4-5" {
		t.Fatalf("models %s", raw)
	}
	first := models[0].(map[string]any)
	if first["id"] != OpenRouterSuperegoModel || first["provider"] != "openrouter" || first["demo"] != false {
		t.Errorf("first model %v", first)
	}
	if roles, _ := first["roles"].([]any); len(roles) != 1 || roles[0] != "superego" {
		t.Errorf("roles %v", first["roles"])
	}
	if !strings.Contains(logs.String(), "model provider ready") {
		t.Errorf("no start-up log line: %s", logs.String())
	}
	for _, k := range []string{orKey, oaKey, antKey} {
		if strings.Contains(string(raw), k) || strings.Contains(logs.String(), k) {
			t.Errorf("a key leaked into info or logs")
		}
	}

	demoCat, _ := Setup(llm.Config{}, nil)
	info := demoCat.Info()
	if !info.Demo || len(info.Models) != 2 || !info.Models[0].Demo || info.Models[1].ID != "demo-assistant" {
		t.Errorf("demo info %+v", info)
	}
}

func TestInfoSharedModel(t *testing.T) {
	t.Parallel()
	cat, err := Setup(llm.Config{AnthropicKey: antKey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	info := cat.Info()
	var own []llm.ModelInfo
	for _, m := range info.Models {
		if m.Provider == "anthropic" {
			own = append(own, m)
		}
	}
	if len(own) != 1 || len(own[0].Roles) != 2 || own[0].ID != "claude-sonnet-4-5" || !own[0].Reasoning {
		t.Fatalf("one model serving both roles should be listed once with both roles: %+v", info.Models)
	}
}

// TestSetupEndToEnd streams through a catalog built by Setup against a fake
// OpenRouter: the provider is wrapped with retries, sends the configured
// headers and reasoning request, and reports retries through OnRetry.
func TestSetupEndToEnd(t *testing.T) {
	t.Parallel()
	sse, err := os.ReadFile(filepath.Join("..", "openai", "testdata", "openrouter_reasoning.sse"))
	if err != nil {
		t.Fatal(err)
	}
	up := llmtest.New(t,
		llmtest.Reply{Status: 503, Header: map[string]string{"Retry-After": "0"}, Body: []byte(`{"error":{"message":"busy","code":503}}`)},
		llmtest.Reply{Body: sse},
	)
	var retries atomic.Int32
	cat, err := Setup(llm.Config{OpenRouterKey: orKey, BaseURL: up.URL + "/api/v1", MaxAttempts: 2, RetryBaseDelay: time.Millisecond,
		ExtraHeaders: map[string]string{"X-Title": "Superego test"}, FirstTokenTimeout: time.Minute,
		OnRetry: func(p string) {
			if p == "openrouter" {
				retries.Add(1)
			}
		}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got llmtest.Collected
	err = cat.Provider.Stream(context.Background(), llm.Request{Model: cat.SuperegoModel, Reasoning: true,
		Purpose: llm.PurposeSuperego, Messages: []llm.Message{{Role: model.RoleUser, Content: "hi"}}}, got.Emit)
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if retries.Load() != 1 || up.Calls() != 2 || got.Reasoning == "" || got.Text == "" {
		t.Fatalf("retries %d calls %d got %+v", retries.Load(), up.Calls(), got)
	}
	rec := up.Request(1)
	if rec.Header.Get("X-Title") != "Superego test" || rec.Header.Get("Authorization") != "Bearer "+orKey {
		t.Errorf("headers %v", rec.Header)
	}
	if rec.Body["model"] != OpenRouterSuperegoModel || rec.Body["reasoning"] == nil {
		t.Errorf("body %s", rec.Raw)
	}

	// With attempts exhausted the error carries status and message.
	up2 := llmtest.New(t, llmtest.Reply{Status: 503, Body: []byte(`{"error":{"message":"busy","code":503}}`)})
	cat2, _ := Setup(llm.Config{OpenRouterKey: orKey, BaseURL: up2.URL, MaxAttempts: 1}, nil)
	err = cat2.Provider.Stream(context.Background(), llm.Request{Model: "m"}, (&llmtest.Collected{}).Emit)
	var ue *llm.UpstreamError
	if !errors.As(err, &ue) || ue.Status != 503 || ue.Message != "busy" || strings.Contains(err.Error(), orKey) {
		t.Fatalf("err %v", err)
	}
}

// TestKeysStayOutOfRetryLogsAndErrors: an upstream that echoes the key in
// its error messages (as gateways and proxies do) must not get it into the
// retry log lines or the final error, for either SDK-based provider.
func TestKeysStayOutOfRetryLogsAndErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, key string
		cfg       func(base string) llm.Config
		body      string
	}{
		{"openrouter", orKey, func(base string) llm.Config { return llm.Config{OpenRouterKey: orKey, BaseURL: base + "/api/v1"} },
			`{"error":{"message":"upstream refused key ` + orKey + ` (Bearer ` + orKey + `)","code":503}}`},
		{"anthropic", antKey, func(base string) llm.Config { return llm.Config{AnthropicKey: antKey, BaseURL: base} },
			`{"type":"error","error":{"type":"api_error","message":"bad x-api-key: ` + antKey + `"}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			up := llmtest.New(t, llmtest.Reply{Status: 503, Header: map[string]string{"Retry-After": "0"}, Body: []byte(c.body)})
			var logs bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			cfg := c.cfg(up.URL)
			cfg.MaxAttempts, cfg.RetryBaseDelay = 2, time.Millisecond
			cat, err := Setup(cfg, log)
			if err != nil {
				t.Fatal(err)
			}
			err = cat.Provider.Stream(context.Background(), llm.Request{Model: "m", Messages: []llm.Message{{Role: model.RoleUser, Content: "hi"}}},
				(&llmtest.Collected{}).Emit)
			if err == nil || up.Calls() != 2 {
				t.Fatalf("err %v after %d calls, want a failure after a retry", err, up.Calls())
			}
			if !strings.Contains(logs.String(), "retrying upstream call") {
				t.Fatalf("no retry log line: %s", logs.String())
			}
			if !strings.Contains(err.Error(), "[redacted]") {
				t.Errorf("the provider's message should still be shown, with the key redacted: %v", err)
			}
			if strings.Contains(logs.String(), c.key) || strings.Contains(err.Error(), c.key) {
				t.Fatalf("the key leaked:\nerror: %v\nlogs: %s", err, logs.String())
			}
		})
	}
}
