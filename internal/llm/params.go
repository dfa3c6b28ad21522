package llm

import (
	"context"
	"errors"
	"fmt"

	"github.com/superego-lab/superego/internal/model"
)

// ErrUnsupportedParams means a call's generation parameters cannot be sent
// to its provider or model as they are. It is a configuration error (see
// IsConfigError): the run fails with it rather than screening anything.
var ErrUnsupportedParams = errors.New("unsupported model parameters")

// ParamError names the parameter a provider or model cannot take and why.
// It wraps ErrUnsupportedParams.
type ParamError struct {
	// Field is the parameter's JSON name ("thinking_budget").
	Field string
	// Why is a sentence for the user.
	Why string
}

func (e *ParamError) Error() string { return e.Field + ": " + e.Why }

// Unwrap lets errors.Is find ErrUnsupportedParams.
func (e *ParamError) Unwrap() error { return ErrUnsupportedParams }

// Ranges of the generation parameters every provider shares; the REST
// schema states the same bounds.
const (
	MaxTemperature    = 2.0
	MinThinkingBudget = 1024 // Anthropic rejects smaller budgets
)

// ReasoningEfforts are the accepted values of ModelParams.ReasoningEffort.
var ReasoningEfforts = []string{"minimal", "low", "medium", "high"}

// CheckParams reports the first parameter of p that provider cannot take
// as a *ParamError; nil when all can be sent. reasoning says whether the
// call asks for the model's reasoning (the superego's calls do), which on
// Anthropic turns extended thinking on. provider is a provider name; the
// OpenAI-compatible ones differ only in how they take reasoning settings.
func CheckParams(provider string, reasoning bool, p model.ModelParams) error {
	if err := checkRanges(p); err != nil {
		return err
	}
	switch provider {
	case ProviderAnthropic:
		thinking := reasoning || p.ThinkingBudget != nil
		switch {
		case p.Seed != nil:
			return &ParamError{"seed", "Anthropic does not take a seed"}
		case p.ReasoningEffort != "":
			return &ParamError{"reasoning_effort", "Anthropic takes a thinking_budget instead of a reasoning effort"}
		case p.Temperature != nil && *p.Temperature > 1:
			return &ParamError{"temperature", "Anthropic takes a temperature from 0 to 1"}
		case thinking && p.Temperature != nil:
			return &ParamError{"temperature", thinkingWhy(reasoning) + " does not take a temperature"}
		case thinking && p.TopP != nil:
			return &ParamError{"top_p", thinkingWhy(reasoning) + " does not take top_p"}
		case p.ThinkingBudget != nil && p.MaxTokens != nil && *p.MaxTokens <= *p.ThinkingBudget:
			return &ParamError{"max_tokens", "with Anthropic thinking, max_tokens counts the thinking and must exceed thinking_budget"}
		}
	case ProviderOpenAI, ProviderOllama:
		if p.ThinkingBudget != nil {
			return &ParamError{"thinking_budget", provider + " takes a reasoning_effort instead of a thinking budget"}
		}
	case ProviderOpenRouter:
		if p.ThinkingBudget != nil && p.ReasoningEffort != "" {
			return &ParamError{"thinking_budget", "OpenRouter takes either a reasoning effort or a thinking budget (reasoning.max_tokens), not both"}
		}
	}
	return nil
}

// thinkingWhy names what turned Anthropic's extended thinking on.
func thinkingWhy(reasoning bool) string {
	if reasoning {
		return "the superego on Anthropic uses extended thinking, which"
	}
	return "Anthropic extended thinking (thinking_budget)"
}

func checkRanges(p model.ModelParams) error {
	switch {
	case p.Temperature != nil && (*p.Temperature < 0 || *p.Temperature > MaxTemperature):
		return &ParamError{"temperature", fmt.Sprintf("must be between 0 and %g", MaxTemperature)}
	case p.TopP != nil && (*p.TopP < 0 || *p.TopP > 1):
		return &ParamError{"top_p", "must be between 0 and 1"}
	case p.MaxTokens != nil && *p.MaxTokens < 1:
		return &ParamError{"max_tokens", "must be at least 1"}
	case p.Seed != nil && *p.Seed < 0:
		return &ParamError{"seed", "must not be negative"}
	case p.ThinkingBudget != nil && *p.ThinkingBudget < MinThinkingBudget:
		return &ParamError{"thinking_budget", fmt.Sprintf("must be at least %d tokens", MinThinkingBudget)}
	}
	if p.ReasoningEffort != "" {
		for _, e := range ReasoningEfforts {
			if p.ReasoningEffort == e {
				return nil
			}
		}
		return &ParamError{"reasoning_effort", "must be one of minimal, low, medium, high"}
	}
	return nil
}

// CheckParams reports what of p the model reference ref cannot take for a
// call of purpose, as far as the catalog knows before any call: the
// provider's rules (see the package function CheckParams) and, for a
// thinking budget or a reasoning effort, whether the model can reason at
// all — the reasoning flag GET /api/models gives it (the provider's
// listing, cached as there, else the provider's own guess). A listing that
// cannot be had leaves only a model the provider itself says can reason;
// anything else is left to the call. A reasoning effort is checked only
// where the flag is known rather than guessed (see
// Backend.ListsReasoning). An empty ref means the default model for
// purpose. A provider that is not configured is checked by its rules
// only; its runs fail with ErrNotConfigured anyway.
func (c *Catalog) CheckParams(ctx context.Context, ref string, purpose Purpose, p model.ModelParams) error {
	name, m := SplitModel(ref, c.Name)
	if err := CheckParams(name, purpose == PurposeSuperego, p); err != nil {
		return err
	}
	field := "thinking_budget"
	switch {
	case p.ThinkingBudget != nil:
	case p.ReasoningEffort != "":
		field = "reasoning_effort"
	default:
		return nil
	}
	b := c.Backend(name)
	if b == nil && name == c.Name && len(c.Backends) == 0 {
		b = &Backend{Name: c.Name, Demo: c.Demo, SuperegoModel: c.SuperegoModel, AssistantModel: c.AssistantModel}
	}
	if b == nil || (b.Provider == nil && len(c.Backends) > 0) {
		return nil
	}
	if field == "reasoning_effort" && !b.Demo && !b.ListsReasoning {
		return nil
	}
	if m == "" || b.Demo {
		// The demo answers every model reference with its own models.
		m = b.SuperegoModel
		if purpose == PurposeAssistant {
			m = b.AssistantModel
		}
	}
	canReason := b.CanReason
	if canReason == nil && b.Demo {
		canReason = func(m string) bool { return m == c.SuperegoModel }
	}
	reasons := canReason != nil && canReason(m)
	known := b.List == nil
	if !reasons && b.List != nil && ctx != nil {
		l := c.list(ctx, b, false)
		known = l.err == ""
		for _, mi := range l.models {
			if mi.Model == m {
				reasons = mi.Reasoning
			}
		}
	}
	if !reasons && known {
		return &ParamError{field, fmt.Sprintf("%s cannot reason (see the reasoning flag of GET /api/models)", JoinModel(name, m))}
	}
	return nil
}
