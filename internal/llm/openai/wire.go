package openai

import (
	"encoding/json"

	sdk "github.com/openai/openai-go/v3"
)

// wireBody is the request body params builds, in a plain struct that
// encoding/json writes: the SDK's encoder of its param structs (reflection
// through unions, omitzero and extra fields at every level) took about a
// millisecond for a full history budget (~340 messages, 24 KB), on the
// path to the first token. The SDK still makes the request, with this body
// given as is (option.WithRequestBody, posted to chat/completions without
// the streaming call's own encoding); TestWireBodyIsTheSDKs checks that it
// says what the SDK's own encoding says.
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

// encodeWire encodes p, as the streaming call sends it, without the SDK's
// encoder; ok is false when p holds anything params does not set, which
// the SDK then encodes itself.
func encodeWire(p sdk.ChatCompletionNewParams) (body []byte, ok bool) {
	w := wireBody{Model: p.Model, ReasoningEffort: string(p.ReasoningEffort), Stream: true,
		Messages: make([]wireMessage, 0, len(p.Messages))}
	for _, m := range p.Messages {
		switch {
		case m.OfSystem != nil && len(m.OfSystem.Content.OfArrayOfContentParts) == 0 && !m.OfSystem.Name.Valid():
			w.Messages = append(w.Messages, wireMessage{Role: "system", Content: m.OfSystem.Content.OfString.Value})
		case m.OfUser != nil && len(m.OfUser.Content.OfArrayOfContentParts) == 0 && !m.OfUser.Name.Valid():
			w.Messages = append(w.Messages, wireMessage{Role: "user", Content: m.OfUser.Content.OfString.Value})
		case m.OfAssistant != nil && len(m.OfAssistant.Content.OfArrayOfContentParts) == 0 && !m.OfAssistant.Name.Valid() &&
			len(m.OfAssistant.ToolCalls) == 0 && !m.OfAssistant.Refusal.Valid() && m.OfAssistant.Audio.ID == "":
			w.Messages = append(w.Messages, wireMessage{Role: "assistant", Content: m.OfAssistant.Content.OfString.Value})
		default:
			return nil, false
		}
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
