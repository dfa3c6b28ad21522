package httpapi

import (
	"context"
	"errors"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
)

// modelParamsInput is a flow config's generation parameters for one of its
// model calls. Absent fields are not sent, so the provider's default
// applies. The bounds are those every provider shares; what a provider or
// model cannot take at all is refused on save by checkModelParams.
type modelParamsInput struct {
	Temperature *float64 `json:"temperature,omitempty" minimum:"0" maximum:"2" doc:"Sampling temperature (Anthropic: at most 1, and not with extended thinking)."`
	TopP        *float64 `json:"top_p,omitempty" minimum:"0" maximum:"1" doc:"Nucleus sampling (not with Anthropic extended thinking)."`
	MaxTokens   *int     `json:"max_tokens,omitempty" minimum:"1" maximum:"1000000" doc:"Output token limit (sent as max_completion_tokens to OpenAI, max_tokens elsewhere; Anthropic counts thinking in it). An answer cut by it is stored as truncated."`
	Seed        *int64   `json:"seed,omitempty" minimum:"0" maximum:"9007199254740991" doc:"Sampling seed (OpenAI-compatible providers; not Anthropic)."`
	// ReasoningEffort's values are llm.ReasoningEfforts.
	ReasoningEffort string `json:"reasoning_effort,omitempty" enum:"minimal,low,medium,high" doc:"OpenAI-style reasoning effort (OpenAI, Ollama, OpenRouter; not Anthropic)."`
	ThinkingBudget  *int   `json:"thinking_budget,omitempty" minimum:"1024" maximum:"1000000" doc:"Extended-thinking budget in tokens (Anthropic budget_tokens, OpenRouter reasoning.max_tokens), for a model that can reason."`
}

func (in modelParamsInput) params() model.ModelParams {
	return model.ModelParams{Temperature: in.Temperature, TopP: in.TopP, MaxTokens: in.MaxTokens, Seed: in.Seed,
		ReasoningEffort: in.ReasoningEffort, ThinkingBudget: in.ThinkingBudget}
}

// defaultCheckParams checks parameters against the demo-only catalog the
// API describes when no provider catalog is wired (see defaultModels).
func defaultCheckParams(ctx context.Context, ref string, purpose llm.Purpose, p model.ModelParams) error {
	return demoCatalog().CheckParams(ctx, ref, purpose, p)
}

// checkModelParams refuses, with a 422 naming each field, the parameters
// of spec that its models cannot take as far as the server can tell
// before a call (llm.Catalog.CheckParams): loc prefixes the field names
// ("body." or "body.config.").
func (a *API) checkModelParams(ctx context.Context, spec model.FlowSpec, loc string) error {
	check := a.deps.CheckParams
	if check == nil {
		check = defaultCheckParams
	}
	var details []error
	for _, c := range []struct {
		field   string
		ref     string
		purpose llm.Purpose
		params  model.ModelParams
	}{
		{"superego_params", spec.SuperegoModel, llm.PurposeSuperego, spec.SuperegoParams},
		{"assistant_params", spec.AssistantModel, llm.PurposeAssistant, spec.AssistantParams},
	} {
		err := check(ctx, c.ref, c.purpose, c.params)
		if err == nil {
			continue
		}
		d := &huma.ErrorDetail{Location: loc + c.field, Message: err.Error()}
		var pe *llm.ParamError
		if errors.As(err, &pe) {
			d.Location, d.Message = loc+c.field+"."+pe.Field, pe.Why
		}
		details = append(details, d)
	}
	if len(details) > 0 {
		return huma.Error422UnprocessableEntity("validation failed", details...)
	}
	return nil
}
