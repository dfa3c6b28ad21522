// Package llm defines the Provider interface every language-model backend
// implements (OpenAI-compatible, Anthropic, the offline demo) and the types
// they stream. Sub-packages hold the implementations; providers.Setup picks
// one from configuration, and WithRetry (retry.go) adds retries before the
// first event plus first-token and idle timeouts around any of them.
package llm

import (
	"context"

	"github.com/superego-lab/superego/internal/model"
)

// Purpose tells a provider which step of a run a request is for. Real
// providers ignore it; the offline demo uses it to pick its rule set.
type Purpose string

// Purposes of a request.
const (
	PurposeSuperego  Purpose = "superego"
	PurposeAssistant Purpose = "assistant"
)

// CautionHeading introduces the superego's caution in the assistant's
// system prompt. The engine writes it; a provider (the demo) looks for this
// exact line, not the bare word "caution", which ordinary prompts contain.
const CautionHeading = "## CAUTION FROM THE SUPEREGO"

// Message is one turn of the conversation sent to a model.
type Message struct {
	Role    string // model.RoleUser or model.RoleAssistant
	Content string
}

// Request is one streamed chat completion.
type Request struct {
	Model     string
	System    string
	Messages  []Message
	MaxTokens int
	// Reasoning asks the model to stream its reasoning when it can
	// (OpenRouter reasoning, Anthropic extended thinking).
	Reasoning bool
	Purpose   Purpose
	// Params are the flow config's generation parameters for this call;
	// MaxTokens above is the engine's own limit, used when Params sets none.
	Params model.ModelParams
}

// Kind says what a stream event carries.
type Kind int

// Kinds of stream event.
const (
	KindReasoning Kind = iota + 1 // Delta is reasoning/thinking text
	KindText                      // Delta is visible answer text
	KindUsage                     // Usage is set
	KindStop                      // Stop is set: why the model stopped
	KindParams                    // Params is set: what the call sends
)

// Event is one item of a provider's stream. A provider emits at most one
// KindStop and one KindUsage event per call, after the text; the usage
// event is also emitted when the call fails or is cancelled after the
// provider reported usage (those tokens are billed), so consumers add up
// the usage events of all attempts.
type Event struct {
	Kind  Kind
	Delta string
	Usage model.Usage
	// Stop is the provider's stop reason as it sent it (Anthropic's
	// stop_reason, OpenAI's finish_reason): "end_turn", "stop",
	// "max_tokens", "length", "refusal", "content_filter", ...
	Stop string
	// Params are the generation parameters a call puts on the wire,
	// defaults the provider must send included. A provider emits them once
	// per attempt, before the request, so that a failed call records them
	// too; like usage and stop events they do not end the retry window.
	Params *model.ModelParams
}

// Cut reports whether a stop reason means the answer was cut short rather
// than finished: by the output token limit, the context window, or the
// provider's content filter or refusal.
func Cut(stop string) bool {
	switch stop {
	case "max_tokens", "length", "model_context_window_exceeded", "refusal", "content_filter":
		return true
	}
	return false
}

// Provider streams chat completions. Stream calls emit for every event in
// order and returns nil when the stream ended normally; an error from emit
// stops the stream and is returned. Cancelling ctx must close the upstream
// request at once. Errors must never contain credentials.
type Provider interface {
	// Name identifies the provider ("openai", "openrouter", "anthropic",
	// "demo").
	Name() string
	Stream(ctx context.Context, req Request, emit func(Event) error) error
}
