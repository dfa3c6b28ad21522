// Package events defines the events Superego streams to clients (run events
// and resource notifications) and the fan-out bus that carries
// resource_changed notifications from REST writes to every WebSocket client.
package events

import (
	"time"

	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/model"
)

// Event types. Names and fields follow docs/design.md, "The WebSocket", exactly.
const (
	TypeAccepted         = "accepted"
	TypeRunStarted       = "run_started"
	TypeSuperegoStarted  = "superego_started"
	TypeSuperegoThinking = "superego_thinking"
	TypeSuperegoToken    = "superego_token"
	TypeSuperegoDecision = "superego_decision"
	TypeAssistantToken   = "assistant_token"
	TypeAssistantMessage = "assistant_message"
	// The output screen (FlowSpec.ScreenOutput): the superego's reasoning
	// about the answer, streamed, and its verdict on the answer.
	TypeOutputThinking  = "output_thinking"
	TypeOutputDecision  = "output_decision"
	TypeRunFinished     = "run_finished"
	TypeResourceChanged = "resource_changed"
	// An attribution ("Why this verdict?") in progress: one frame per
	// finished superego call, then one when it ends (ID is the
	// attribution's, Resource "attribution"; Done/Total count calls).
	TypeAttributionProgress = "attribution_progress"
	TypeAttributionFinished = "attribution_finished"
	// A socket that follows an eval run (follow_eval) gets one eval_result
	// per finished row, and eval_progress after each batch of rows.
	TypeEvalResult   = "eval_result"
	TypeEvalProgress = "eval_progress"
)

// ResourceAttribution is the Resource of attribution frames, the kind a
// socket subscribes to for them.
const ResourceAttribution = "attribution"

// Resource change actions.
const (
	ActionCreated = "created"
	ActionUpdated = "updated"
	ActionDeleted = "deleted"
)

// Event is one server → client event. Only the fields of its type are set;
// the rest are omitted from JSON.
type Event struct {
	Type string    `json:"type"`
	TS   time.Time `json:"ts"`

	// Run events.
	RunID          string `json:"run_id,omitempty"`
	FlowInstanceID string `json:"flow_instance_id,omitempty"`
	FlowConfigID   string `json:"flow_config_id,omitempty"`
	Seq            int64  `json:"seq,omitempty"`

	// accepted
	RequestID    string   `json:"request_id,omitempty"`
	RunIDs       []string `json:"run_ids,omitempty"`
	ComparisonID string   `json:"comparison_id,omitempty"`

	// run_started
	UserMessage *model.Message `json:"user_message,omitempty"`

	// superego_started
	ConstitutionID      string `json:"constitution_id,omitempty"`
	ConstitutionVersion int    `json:"constitution_version,omitempty"`
	Model               string `json:"model,omitempty"`

	// superego_thinking, superego_token, assistant_token
	Delta string `json:"delta,omitempty"`

	// superego_decision (with Message), assistant_message (Message),
	// output_decision (Withdrawn: the answer is withdrawn)
	Decision  model.Decision `json:"decision,omitempty"`
	Reason    string         `json:"reason,omitempty"`
	Section   string         `json:"section,omitempty"`
	Message   *model.Message `json:"message,omitempty"`
	Withdrawn bool           `json:"withdrawn,omitempty"`

	// run_finished
	Status  string         `json:"status,omitempty"`
	Error   string         `json:"error,omitempty"`
	Usage   *model.Usage   `json:"usage,omitempty"`
	Timings *model.Timings `json:"timings,omitempty"`

	// resource_changed (ID is the resource's id; Version its new version)
	Resource string `json:"resource,omitempty"`
	Action   string `json:"action,omitempty"`
	ID       string `json:"id,omitempty"`
	Version  int    `json:"version,omitempty"`
	// resource_changed of an eval_run also says how far it is (with Status).
	Done  int `json:"done,omitempty"`
	Total int `json:"total,omitempty"`

	// attribution_progress: the call that finished — its item (the
	// verdict explained, from 0), its variant (full, without, only) and
	// the section removed or kept; Decision, Reason and Section (the
	// heading cited) are its verdict. attribution_finished has Status and
	// Error.
	Item      *int   `json:"item,omitempty"`
	Variant   string `json:"variant,omitempty"`
	SectionID string `json:"section_id,omitempty"`
	// eval_result (Seq is the row's seq) and eval_progress (with Status,
	// Done, Total, and RequestID on the first one of a follow).
	EvalRunID string            `json:"eval_run_id,omitempty"`
	Result    *evals.EvalResult `json:"result,omitempty"`
}

// IsDelta reports whether e is a streamed text delta, which a slow consumer
// may merge with its neighbours of the same run and type.
func (e Event) IsDelta() bool {
	switch e.Type {
	case TypeSuperegoThinking, TypeSuperegoToken, TypeAssistantToken, TypeOutputThinking:
		return true
	}
	return false
}

// ResourceChanged builds a resource_changed event.
func ResourceChanged(resource, action, id string, version int) Event {
	return Event{Type: TypeResourceChanged, TS: time.Now().UTC(), Resource: resource, Action: action, ID: id, Version: version}
}
