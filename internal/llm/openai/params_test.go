package openai

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/llm/llmtest"
	"github.com/superego-lab/superego/internal/model"
)

func ptr[T any](v T) *T { return &v }

func TestParamsOnTheWire(t *testing.T) {
	t.Parallel()
	all := model.ModelParams{Temperature: ptr(0.2), TopP: ptr(0.9), MaxTokens: ptr(300), Seed: ptr(int64(7)), ReasoningEffort: "low"}
	cases := []struct {
		name      string
		opts      Options
		reasoning bool
		params    model.ModelParams
		// want is the body's fields as JSON; fields not named must be absent.
		want     map[string]string
		wantSent model.ModelParams
	}{
		{name: "openai", opts: OpenAI(testKey), params: all,
			want: map[string]string{"temperature": `0.2`, "top_p": `0.9`, "max_completion_tokens": `300`, "seed": `7`,
				"reasoning_effort": `"low"`},
			wantSent: all},
		{name: "ollama takes max_tokens", opts: Ollama(), params: all,
			want: map[string]string{"temperature": `0.2`, "top_p": `0.9`, "max_tokens": `300`, "seed": `7`,
				"reasoning_effort": `"low"`},
			wantSent: all},
		{name: "openrouter effort in its reasoning object", opts: OpenRouter(testKey), reasoning: true,
			params:   model.ModelParams{Temperature: ptr(1.5), ReasoningEffort: "high"},
			want:     map[string]string{"temperature": `1.5`, "max_tokens": `200`, "reasoning": `{"effort":"high"}`},
			wantSent: model.ModelParams{Temperature: ptr(1.5), MaxTokens: ptr(200), ReasoningEffort: "high"}},
		{name: "openrouter budget as reasoning.max_tokens", opts: OpenRouter(testKey),
			params:   model.ModelParams{ThinkingBudget: ptr(4000)},
			want:     map[string]string{"max_tokens": `200`, "reasoning": `{"max_tokens":4000}`},
			wantSent: model.ModelParams{MaxTokens: ptr(200), ThinkingBudget: ptr(4000)}},
		{name: "nothing set sends nothing", opts: Ollama(), params: model.ModelParams{},
			want:     map[string]string{"max_tokens": `200`},
			wantSent: model.ModelParams{MaxTokens: ptr(200)}},
	}
	keys := []string{"temperature", "top_p", "max_tokens", "max_completion_tokens", "seed", "reasoning_effort", "reasoning"}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "openai_plain.sse")})
			req := request()
			req.Reasoning, req.Params = c.reasoning, c.params
			var got llmtest.Collected
			if err := newProvider(t, c.opts, up).Stream(context.Background(), req, got.Emit); err != nil {
				t.Fatal(err)
			}
			var body map[string]json.RawMessage
			if err := json.Unmarshal(up.Request(0).Raw, &body); err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				if string(body[k]) != c.want[k] {
					t.Errorf("%s = %s, want %q", k, body[k], c.want[k])
				}
			}
			if len(got.Events) == 0 || got.Events[0].Kind != llm.KindParams {
				t.Fatalf("no parameters event first: %+v", got.Events)
			}
			if s := model.EncodeParams(got.Events[0].Params); s != model.EncodeParams(&c.wantSent) {
				t.Errorf("recorded %s, want %s", s, model.EncodeParams(&c.wantSent))
			}
		})
	}
}

func TestUnsupportedParamsAreNotSent(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		opts   Options
		params model.ModelParams
		field  string
	}{
		{"thinking budget on openai", OpenAI(testKey), model.ModelParams{ThinkingBudget: ptr(2000)}, "thinking_budget"},
		{"thinking budget on ollama", Ollama(), model.ModelParams{ThinkingBudget: ptr(2000)}, "thinking_budget"},
		{"budget and effort on openrouter", OpenRouter(testKey), model.ModelParams{ThinkingBudget: ptr(2000), ReasoningEffort: "low"}, "thinking_budget"},
		{"temperature out of range", Ollama(), model.ModelParams{Temperature: ptr(3.0)}, "temperature"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "openai_plain.sse")})
			req := request()
			req.Params = c.params
			err := llm.WithRetry(newProvider(t, c.opts, up), fastRetry(nil)).Stream(context.Background(), req, (&llmtest.Collected{}).Emit)
			var pe *llm.ParamError
			if !errors.As(err, &pe) || pe.Field != c.field || !llm.IsConfigError(err) {
				t.Fatalf("error %v, want a configuration error naming %s", err, c.field)
			}
			if up.Calls() != 0 {
				t.Errorf("%d calls made with parameters the provider cannot take", up.Calls())
			}
		})
	}
}
