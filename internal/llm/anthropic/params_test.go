package anthropic

import (
	"context"
	"errors"
	"testing"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/llm/llmtest"
	"github.com/superego-lab/superego/internal/model"
)

func ptr[T any](v T) *T { return &v }

// sentParams returns the parameters event of a stream, failing when there
// is none or it does not come first.
func sentParams(t *testing.T, got *llmtest.Collected) model.ModelParams {
	t.Helper()
	if len(got.Events) == 0 || got.Events[0].Kind != llm.KindParams || got.Events[0].Params == nil {
		t.Fatalf("the first event is not the parameters sent: %+v", got.Events)
	}
	return *got.Events[0].Params
}

func TestParamsOnTheWire(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		reasoning bool
		params    model.ModelParams
		// want is the body's fields: absent keys must be absent.
		want     map[string]any
		wantSent model.ModelParams
	}{
		{name: "budget and max_tokens", params: model.ModelParams{MaxTokens: ptr(5000), ThinkingBudget: ptr(3000)},
			want:     map[string]any{"max_tokens": float64(5000), "thinking": map[string]any{"type": "enabled", "budget_tokens": float64(3000)}},
			wantSent: model.ModelParams{MaxTokens: ptr(5000), ThinkingBudget: ptr(3000)}},
		{name: "sampling without thinking", params: model.ModelParams{Temperature: ptr(0.3), TopP: ptr(0.8), MaxTokens: ptr(700)},
			want:     map[string]any{"max_tokens": float64(700), "temperature": 0.3, "top_p": 0.8},
			wantSent: model.ModelParams{Temperature: ptr(0.3), TopP: ptr(0.8), MaxTokens: ptr(700)}},
		{name: "defaults are sent and recorded", params: model.ModelParams{},
			want:     map[string]any{"max_tokens": float64(DefaultMaxTokens)},
			wantSent: model.ModelParams{MaxTokens: ptr(DefaultMaxTokens)}},
		{name: "reasoning with the default budget raises a small max_tokens", reasoning: true, params: model.ModelParams{MaxTokens: ptr(1000)},
			want:     map[string]any{"max_tokens": float64(2500), "thinking": map[string]any{"type": "enabled", "budget_tokens": float64(1500)}},
			wantSent: model.ModelParams{MaxTokens: ptr(2500), ThinkingBudget: ptr(1500)}},
		{name: "a budget turns thinking on without reasoning asked", params: model.ModelParams{ThinkingBudget: ptr(2048)},
			want:     map[string]any{"max_tokens": float64(DefaultMaxTokens), "thinking": map[string]any{"type": "enabled", "budget_tokens": float64(2048)}},
			wantSent: model.ModelParams{MaxTokens: ptr(DefaultMaxTokens), ThinkingBudget: ptr(2048)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "thinking_text_usage.sse")})
			req := request(c.reasoning)
			req.Params = c.params
			var got llmtest.Collected
			if err := newProvider(t, up).Stream(context.Background(), req, got.Emit); err != nil {
				t.Fatal(err)
			}
			b := up.Request(0).Body
			for _, k := range []string{"max_tokens", "thinking", "temperature", "top_p", "seed", "reasoning_effort"} {
				if !equalJSON(b[k], c.want[k]) {
					t.Errorf("%s = %v, want %v", k, b[k], c.want[k])
				}
			}
			if sent := sentParams(t, &got); model.EncodeParams(&sent) != model.EncodeParams(&c.wantSent) {
				t.Errorf("recorded %s, want %s", model.EncodeParams(&sent), model.EncodeParams(&c.wantSent))
			}
		})
	}
}

// equalJSON compares decoded JSON values (maps of one level are enough here).
func equalJSON(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok || bok {
		if !aok || !bok || len(am) != len(bm) {
			return false
		}
		for k := range am {
			if am[k] != bm[k] {
				return false
			}
		}
		return true
	}
	return a == b
}

func TestUnsupportedParamsAreNotSent(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name      string
		reasoning bool
		params    model.ModelParams
		field     string
	}{
		{"temperature with the superego's thinking", true, model.ModelParams{Temperature: ptr(0.5)}, "temperature"},
		{"top_p with a budget", false, model.ModelParams{ThinkingBudget: ptr(2000), TopP: ptr(0.5)}, "top_p"},
		{"seed", false, model.ModelParams{Seed: ptr(int64(3))}, "seed"},
		{"reasoning effort", false, model.ModelParams{ReasoningEffort: "high"}, "reasoning_effort"},
		{"max_tokens under the budget", false, model.ModelParams{ThinkingBudget: ptr(2000), MaxTokens: ptr(1500)}, "max_tokens"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "thinking_text_usage.sse")})
			req := request(c.reasoning)
			req.Params = c.params
			err := llm.WithRetry(newProvider(t, up), fastRetry()).Stream(context.Background(), req, (&llmtest.Collected{}).Emit)
			var pe *llm.ParamError
			if !errors.As(err, &pe) || pe.Field != c.field || !llm.IsConfigError(err) {
				t.Fatalf("error %v, want a configuration error naming %s", err, c.field)
			}
			if up.Calls() != 0 {
				t.Errorf("%d calls made with parameters Anthropic rejects", up.Calls())
			}
		})
	}
}
