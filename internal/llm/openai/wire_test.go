package openai

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
)

// TestWireBodyIsTheSDKs: for every kind of request the providers make, the
// body sent (encodeWire) says exactly what the SDK's own encoding of the
// same parameters says, with stream set as the streaming call sets it.
func TestWireBodyIsTheSDKs(t *testing.T) {
	t.Parallel()
	all := model.ModelParams{Temperature: ptr(0.2), TopP: ptr(0.9), MaxTokens: ptr(300), Seed: ptr(int64(7)), ReasoningEffort: "low"}
	long := strings.Repeat("ü <b>&amp;</b> \"quoted\" \\ \n\t\u2028 tab\x01 ", 200)
	reqs := []llm.Request{request(), {Model: "m", Messages: []llm.Message{{Role: model.RoleUser, Content: long}}}}
	big := request()
	for i := range 340 {
		role := model.RoleUser
		if i%2 == 1 {
			role = model.RoleAssistant
		}
		big.Messages = append(big.Messages, llm.Message{Role: role, Content: long[:i]})
	}
	reqs = append(reqs, big, llm.Request{})
	for _, opts := range []Options{OpenAI(testKey), Ollama(), OpenRouter(testKey), {BaseURL: OpenRouterURL, ReasoningEffort: "high", Reasoning: ReasoningOpenRouter}} {
		for _, params := range []model.ModelParams{{}, all, {ThinkingBudget: ptr(4000)}, {Temperature: ptr(1.5), ReasoningEffort: "high"}} {
			for _, reasoning := range []bool{false, true} {
				for _, req := range reqs {
					p, err := New(opts)
					if err != nil {
						t.Fatal(err)
					}
					req.Params, req.Reasoning = params, reasoning
					settings, _ := p.settings(req)
					got, ok := encodeWire(settings, req)
					body, _ := p.params(req)
					if !ok {
						t.Fatalf("%s %+v: not encoded", opts.Name, params)
					}
					want, err := body.MarshalJSON()
					if err != nil {
						t.Fatal(err)
					}
					var g, w map[string]any
					if err := json.Unmarshal(got, &g); err != nil {
						t.Fatal(err)
					}
					if err := json.Unmarshal(want, &w); err != nil {
						t.Fatal(err)
					}
					w["stream"] = true
					if !reflect.DeepEqual(g, w) {
						t.Fatalf("%s %+v reasoning %v:\n sent %s\n SDK  %s", opts.Name, params, reasoning, got, want)
					}
				}
			}
		}
	}
}

// BenchmarkRequestBody encodes the body of a request with a full history
// budget (340 messages, ~24 KB) through the SDK's encoder and as sent.
func BenchmarkRequestBody(b *testing.B) {
	req := request()
	for i := range 340 {
		role := model.RoleUser
		if i%2 == 1 {
			role = model.RoleAssistant
		}
		req.Messages = append(req.Messages, llm.Message{Role: role, Content: strings.Repeat("the keeper lit the lamp ", 3)})
	}
	p, err := New(OpenAI(testKey))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("sdk", func(b *testing.B) {
		for b.Loop() {
			body, _ := p.params(req)
			if _, err := body.MarshalJSON(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sent", func(b *testing.B) {
		for b.Loop() {
			settings, _ := p.settings(req)
			if _, ok := encodeWire(settings, req); !ok {
				b.Fatal("not encoded")
			}
		}
	})
}
