// Package model holds Superego's domain types: the five REST resources, the
// messages and runs the engine writes, and the superego's decision type.
// It depends on nothing else in the project so every layer can share it.
package model

import (
	"encoding/json"
	"fmt"
	"time"
)

// Meta is carried by every stored object. Version starts at 1 and grows by
// one on every change; it doubles as the ETag.
type Meta struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int       `json:"version"`
}

// Constitution is the Markdown text of values and rules the superego screens
// against. Protected ones (default, none) cannot be deleted.
type Constitution struct {
	Meta
	Name        string `json:"name"`
	Description string `json:"description"`
	Content     string `json:"content"`
	Protected   bool   `json:"protected"`
}

// ConstitutionVersion is one kept revision of a constitution's text.
type ConstitutionVersion struct {
	ConstitutionID string    `json:"constitution_id"`
	Version        int       `json:"version"`
	Name           string    `json:"name"`
	Description    string    `json:"description"`
	Content        string    `json:"content"`
	CreatedAt      time.Time `json:"created_at"`
}

// Sysprompt is a system prompt given to the assistant.
type Sysprompt struct {
	Meta
	Name      string `json:"name"`
	Content   string `json:"content"`
	Protected bool   `json:"protected"`
}

// Superego error policies: what a run does when no decision can be parsed.
const (
	OnErrorBlock = "block"
	OnErrorAllow = "allow"
)

// FlowSpec is the writable part of a flow config; flow templates embed it.
type FlowSpec struct {
	Name            string `json:"name"`
	Description     string `json:"description"`
	ConstitutionID  string `json:"constitution_id"`
	SyspromptID     string `json:"sysprompt_id"`
	SuperegoEnabled bool   `json:"superego_enabled"`
	SuperegoModel   string `json:"superego_model"`
	AssistantModel  string `json:"assistant_model"`
	OnSuperegoError string `json:"on_superego_error"`
	// AssistantStart, ScreenOutput and ScreenChunk: see the constants of
	// the same names (docs/design.md, "A run").
	AssistantStart string `json:"assistant_start"`
	ScreenOutput   string `json:"screen_output"`
	ScreenChunk    int    `json:"screen_chunk"`
	// SuperegoParams and AssistantParams tune the two model calls; an
	// empty one leaves every parameter at the provider's default.
	SuperegoParams  ModelParams `json:"superego_params"`
	AssistantParams ModelParams `json:"assistant_params"`
}

// ModelParams are the generation parameters of a model call. A nil or
// empty field is not sent, so the provider's default applies. Which
// provider takes which parameter is in llm.CheckParams (README,
// "Providers").
type ModelParams struct {
	Temperature *float64 `json:"temperature,omitempty"`
	TopP        *float64 `json:"top_p,omitempty"`
	// MaxTokens bounds the output (Anthropic: thinking included).
	MaxTokens *int   `json:"max_tokens,omitempty"`
	Seed      *int64 `json:"seed,omitempty"`
	// ReasoningEffort is OpenAI-style: "minimal", "low", "medium", "high".
	ReasoningEffort string `json:"reasoning_effort,omitempty"`
	// ThinkingBudget is Anthropic's extended-thinking budget_tokens
	// (OpenRouter: reasoning.max_tokens).
	ThinkingBudget *int `json:"thinking_budget,omitempty"`
}

// IsZero reports whether no parameter is set.
func (p ModelParams) IsZero() bool {
	return p.Temperature == nil && p.TopP == nil && p.MaxTokens == nil && p.Seed == nil &&
		p.ReasoningEffort == "" && p.ThinkingBudget == nil
}

// Clone returns p with parameters of its own, so that a change through
// one of its pointers does not reach p.
func (p ModelParams) Clone() ModelParams {
	p.Temperature = clonePtr(p.Temperature)
	p.TopP = clonePtr(p.TopP)
	p.MaxTokens = clonePtr(p.MaxTokens)
	p.Seed = clonePtr(p.Seed)
	p.ThinkingBudget = clonePtr(p.ThinkingBudget)
	return p
}

// Clone returns s with generation parameters of its own (ModelParams.Clone).
func (s FlowSpec) Clone() FlowSpec {
	s.SuperegoParams = s.SuperegoParams.Clone()
	s.AssistantParams = s.AssistantParams.Clone()
	return s
}

func clonePtr[T any](v *T) *T {
	if v == nil {
		return nil
	}
	c := *v
	return &c
}

// When the assistant call of a run starts (FlowSpec.AssistantStart).
const (
	// AssistantAfterVerdict starts it once the superego has allowed the
	// message (the default).
	AssistantAfterVerdict = "after_verdict"
	// AssistantSpeculative starts it with the superego; its output is held
	// on the server until the verdict and thrown away unless it is ALLOW.
	AssistantSpeculative = "speculative"
)

// Whether and how the superego screens the assistant's answer
// (FlowSpec.ScreenOutput).
const (
	ScreenOutputOff       = "off"
	ScreenOutputFinal     = "final"     // once the answer is complete
	ScreenOutputStreaming = "streaming" // every ScreenChunk tokens, before they are sent
	// DefaultScreenChunk is the chunk of streaming output screening when
	// FlowSpec.ScreenChunk is zero.
	DefaultScreenChunk = 40
)

// FlowConfig combines a constitution, a system prompt and model choices.
type FlowConfig struct {
	Meta
	FlowSpec
}

// FlowTemplate is a reusable recipe for a flow config.
type FlowTemplate struct {
	Meta
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Config      FlowSpec `json:"config"`
	IsDefault   bool     `json:"is_default"`
}

// Overrides records what a fork (rerun) changed relative to its config.
// Nil fields mean "as the config says".
type Overrides struct {
	ConstitutionID  *string `json:"constitution_id,omitempty"`
	SyspromptID     *string `json:"sysprompt_id,omitempty"`
	SuperegoEnabled *bool   `json:"superego_enabled,omitempty"`
}

// IsZero reports whether no override is set.
func (o Overrides) IsZero() bool {
	return o.ConstitutionID == nil && o.SyspromptID == nil && o.SuperegoEnabled == nil
}

// FlowInstance is one conversation with a flow config.
type FlowInstance struct {
	Meta
	FlowConfigID        string     `json:"flow_config_id"`
	Name                string     `json:"name"`
	Description         string     `json:"description"`
	MessageCount        int        `json:"message_count"`
	LastMessageAt       *time.Time `json:"last_message_at"`
	ParentInstanceID    string     `json:"parent_instance_id,omitempty"`
	ForkedFromMessageID string     `json:"forked_from_message_id,omitempty"`
	Overrides           *Overrides `json:"overrides,omitempty"`
	ComparisonID        string     `json:"comparison_id,omitempty"`
}

// Message roles.
const (
	RoleUser      = "user"
	RoleSuperego  = "superego"
	RoleAssistant = "assistant"
)

// Decision is the superego's verdict on a user message.
type Decision string

// The decisions a superego step can end in.
const (
	DecisionAllow   Decision = "ALLOW"
	DecisionCaution Decision = "CAUTION"
	DecisionBlock   Decision = "BLOCK"
	DecisionError   Decision = "ERROR"
)

// Message statuses.
const (
	MessageComplete    = "complete"
	MessageStreaming   = "streaming"
	MessageCancelled   = "cancelled"
	MessageFailed      = "failed"
	MessageInterrupted = "interrupted"
	// MessageWithdrawn: an answer the output screen blocked; it keeps its
	// text and the verdict (Decision, Reason) but is shown as withdrawn.
	MessageWithdrawn = "withdrawn"
	// MessageTruncated is a message the provider cut short (its output
	// token limit, context window, content filter or a refusal); Error
	// names the provider's stop reason.
	MessageTruncated = "truncated"
)

// Usage counts tokens of one model call.
type Usage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
	// WastedTokens are output tokens of a speculative assistant call that
	// was thrown away (the verdict was not ALLOW); they are part of
	// OutputTokens too.
	WastedTokens int `json:"wasted_tokens,omitempty"`
}

// Add returns the sum of two usages.
func (u Usage) Add(o Usage) Usage {
	return Usage{InputTokens: u.InputTokens + o.InputTokens, OutputTokens: u.OutputTokens + o.OutputTokens,
		WastedTokens: u.WastedTokens + o.WastedTokens}
}

// Cost is what a model call cost in US dollars at its configured price.
// It is computed when read, not stored, so a corrected price applies to
// past runs too.
type Cost struct {
	USD float64 `json:"usd"`
	// Source of the price: "configured" (--prices), "default" (built-in
	// list price, may be outdated), "demo" (nominal) or "local" (self-hosted).
	Source string `json:"source"`
}

// Timings of a message or run in milliseconds.
type Timings struct {
	SuperegoMs   int64 `json:"superego_ms,omitempty"`
	FirstTokenMs int64 `json:"first_token_ms,omitempty"`
	TotalMs      int64 `json:"total_ms"` // always sent: 0 is a time too (a run blocked within a millisecond)
}

// Message is one turn part of a conversation: the user's text, the
// superego's evaluation or the assistant's answer.
type Message struct {
	ID                  string   `json:"id"`
	FlowInstanceID      string   `json:"flow_instance_id"`
	RunID               string   `json:"run_id,omitempty"`
	Position            int      `json:"position"`
	Role                string   `json:"role"`
	Content             string   `json:"content"`
	Decision            Decision `json:"decision,omitempty"`
	Reason              string   `json:"reason,omitempty"`
	Section             string   `json:"section,omitempty"` // heading of the constitution section the superego cited; "" for none
	Thinking            string   `json:"thinking,omitempty"`
	ConstitutionID      string   `json:"constitution_id,omitempty"`
	ConstitutionVersion int      `json:"constitution_version,omitempty"`
	SyspromptID         string   `json:"sysprompt_id,omitempty"`
	Model               string   `json:"model,omitempty"`
	// Params are the generation parameters the provider was sent for this
	// message, provider defaults it needs filled in (Anthropic's
	// max_tokens); nil for user messages and calls never made.
	Params    *ModelParams `json:"params,omitempty"`
	Usage     Usage        `json:"usage"`
	Cost      *Cost        `json:"cost,omitempty"`
	Timings   Timings      `json:"timings"`
	Status    string       `json:"status"`
	Error     string       `json:"error,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
}

// Run statuses.
const (
	RunRunning     = "running"
	RunCompleted   = "completed"
	RunBlocked     = "blocked"
	RunCancelled   = "cancelled"
	RunFailed      = "failed"
	RunInterrupted = "interrupted"
)

// Run is one execution of a flow on one user message.
type Run struct {
	ID             string     `json:"id"`
	FlowInstanceID string     `json:"flow_instance_id"`
	FlowConfigID   string     `json:"flow_config_id"`
	UserMessageID  string     `json:"user_message_id"`
	ComparisonID   string     `json:"comparison_id,omitempty"`
	Status         string     `json:"status"`
	Decision       Decision   `json:"decision,omitempty"`
	Error          string     `json:"error,omitempty"`
	Usage          Usage      `json:"usage"`
	Timings        Timings    `json:"timings"`
	LastSeq        int64      `json:"last_seq"`
	CreatedAt      time.Time  `json:"created_at"`
	FinishedAt     *time.Time `json:"finished_at"`
}

// Finished reports whether a run status is terminal.
func Finished(status string) bool { return status != RunRunning && status != "" }

// SearchHit is one result of a full-text search.
type SearchHit struct {
	// Kind is "message", "conversation" or "constitution".
	Kind string `json:"kind"`
	// ID is the message's, the flow instance's or the constitution's id.
	ID string `json:"id"`
	// FlowInstanceID is the conversation a message or conversation hit is in.
	FlowInstanceID string `json:"flow_instance_id,omitempty"`
	// ComparisonID is set when that conversation is a comparison's column.
	ComparisonID string `json:"comparison_id,omitempty"`
	// Title names the conversation or the constitution.
	Title string `json:"title"`
	// Role is a message's role.
	Role string `json:"role,omitempty"`
	// Snippet is the text around the first word found.
	Snippet string `json:"snippet"`
}

// EncodeParams is how the stores keep generation parameters: JSON text,
// "" for none set (nil or empty).
func EncodeParams(p *ModelParams) string {
	if p == nil || p.IsZero() {
		return ""
	}
	b, err := json.Marshal(p)
	if err != nil {
		// A struct of numbers and a string always marshals.
		panic(err)
	}
	return string(b)
}

// DecodeParams reads what EncodeParams wrote: nil for "".
func DecodeParams(s string) (*ModelParams, error) {
	if s == "" {
		return nil, nil
	}
	var p ModelParams
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil, fmt.Errorf("stored model parameters: %w", err)
	}
	return &p, nil
}
