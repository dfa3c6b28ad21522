package openai

import (
	"encoding/json"

	sdk "github.com/openai/openai-go/v3"

	"github.com/superego-lab/superego/internal/llm"
)

// wireBody is the request body that settings and the request's messages
// make, in a plain struct that encoding/json writes: the SDK's encoder of
// its param structs (reflection through unions, omitzero and extra fields
// at every level) took about a millisecond for a full history budget (~340
// messages, 24 KB), on the path to the first token. The SDK still makes
// the request, with this body given as is (option.WithRequestBody, posted
// to chat/completions without the streaming call's own encoding);
// TestWireBodyIsTheSDKs checks that it says what the SDK's own encoding
// says.
type wireBody struct {
	Messages            []wireMessage     `json:"messages,omitempty"`
	Model               string            `json:"model,omitempty"`
	MaxCompletionTokens *int64            `json:"max_completion_tokens,omitempty"`
	MaxTokens           *int64            `json:"max_tokens,omitempty"`
	ReasoningEffort     string            `json:"reasoning_effort,omitempty"`
	Seed                *int64            `json:"seed,omitempty"`
	StreamOptions       wireStreamOptions `json:"stream_options"`
	Temperature         *float64          `json:"temperature,omitempty"`
	TopP                *float64          `json:"top_p,omitempty"`
	Reasoning           any               `json:"reasoning,omitempty"`
	Stream              bool              `json:"stream"`
}

type wireMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type wireStreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// encodeWire encodes p (settings: no messages) with req's system prompt
// and messages, as the streaming call sends them, without the SDK's
// encoder and without building the SDK's message params (unions of every
// kind of message, for each one of a full history budget); ok is false
// when p holds anything settings does not set, which the SDK then encodes
// itself.
func encodeWire(p sdk.ChatCompletionNewParams, req llm.Request) (body []byte, ok bool) {
	if len(p.Messages) > 0 {
		return nil, false
	}
	w := wireBody{Model: p.Model, ReasoningEffort: string(p.ReasoningEffort), Stream: true,
		Messages: make([]wireMessage, 0, len(req.Messages)+1)}
	if req.System != "" {
		w.Messages = append(w.Messages, wireMessage{Role: "system", Content: req.System})
	}
	for _, m := range req.Messages {
		w.Messages = append(w.Messages, wireMessage{Role: wireRole(m), Content: m.Content})
	}
	if !p.StreamOptions.IncludeUsage.Valid() || !p.StreamOptions.IncludeUsage.Value {
		return nil, false
	}
	w.StreamOptions.IncludeUsage = true
	if p.MaxCompletionTokens.Valid() {
		w.MaxCompletionTokens = &p.MaxCompletionTokens.Value
	}
	if p.MaxTokens.Valid() {
		w.MaxTokens = &p.MaxTokens.Value
	}
	if p.Seed.Valid() {
		w.Seed = &p.Seed.Value
	}
	if p.Temperature.Valid() {
		w.Temperature = &p.Temperature.Value
	}
	if p.TopP.Valid() {
		w.TopP = &p.TopP.Value
	}
	for k, v := range p.ExtraFields() {
		if k != "reasoning" {
			return nil, false
		}
		w.Reasoning = v
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, false
	}
	return b, true
}
