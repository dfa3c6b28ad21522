package wsapi

import (
	"reflect"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
)

// The OpenAPI document describes every server → client frame as the Event
// schema: a oneOf discriminated by type, with one member per frame type,
// so that a generated client gets a tagged union (and the error frame its
// code and a string message). The member structs below exist for the
// document only; the wire encodes events.Event through wireEvent and the
// frame structs of codec.go. TestFramesMatchEventSchema validates real
// frames of every type against these schemas, so they cannot drift apart.

// RunEventHead is what every run event carries (in the OpenAPI document;
// exported because Huma flattens only exported embedded structs).
type RunEventHead struct {
	TS             time.Time `json:"ts" doc:"When the server produced the event (UTC)."`
	RunID          string    `json:"run_id" doc:"The run the event belongs to."`
	FlowInstanceID string    `json:"flow_instance_id" doc:"The conversation the run answers in."`
	FlowConfigID   string    `json:"flow_config_id" doc:"The flow config the run follows."`
	Seq            int64     `json:"seq" minimum:"1" doc:"The event's place in the run's log, from 1: resume after it."`
}

type acceptedEvent struct {
	Type         string    `json:"type" enum:"accepted"`
	TS           time.Time `json:"ts" doc:"When the server produced the event (UTC)."`
	RequestID    string    `json:"request_id" doc:"The request_id of the frame this answers."`
	RunIDs       []string  `json:"run_ids" nullable:"false" doc:"The runs started, one per flow config."`
	ComparisonID string    `json:"comparison_id,omitempty" doc:"The comparison of a run_parallel."`
}

type runStartedEvent struct {
	Type string `json:"type" enum:"run_started"`
	RunEventHead
	UserMessage model.Message `json:"user_message" doc:"The stored user message the run answers."`
}

type superegoStartedEvent struct {
	Type string `json:"type" enum:"superego_started"`
	RunEventHead
	ConstitutionID      string `json:"constitution_id"`
	ConstitutionVersion int    `json:"constitution_version" minimum:"1"`
	Model               string `json:"model" doc:"The superego's model."`
}

type superegoThinkingEvent struct {
	Type string `json:"type" enum:"superego_thinking"`
	RunEventHead
	Delta string `json:"delta" doc:"The next piece of the superego's reasoning."`
}

type superegoTokenEvent struct {
	Type string `json:"type" enum:"superego_token"`
	RunEventHead
	Delta string `json:"delta" doc:"The next piece of the superego's answer (its decision line included)."`
}

type superegoDecisionEvent struct {
	Type string `json:"type" enum:"superego_decision"`
	RunEventHead
	Decision model.Decision `json:"decision" enum:"ALLOW,CAUTION,BLOCK,ERROR"`
	Reason   string         `json:"reason" doc:"Why; empty for ALLOW."`
	Section  string         `json:"section" doc:"The constitution section cited; empty for none."`
	Message  model.Message  `json:"message" doc:"The stored superego message."`
}

type assistantTokenEvent struct {
	Type string `json:"type" enum:"assistant_token"`
	RunEventHead
	Delta string `json:"delta" doc:"The next piece of the assistant's answer."`
}

type assistantMessageEvent struct {
	Type string `json:"type" enum:"assistant_message"`
	RunEventHead
	Message model.Message `json:"message" doc:"The stored assistant message, complete."`
}

type outputThinkingEvent struct {
	Type string `json:"type" enum:"output_thinking"`
	RunEventHead
	Delta string `json:"delta" doc:"The next piece of the output screen's reasoning about the answer."`
}

type outputDecisionEvent struct {
	Type string `json:"type" enum:"output_decision"`
	RunEventHead
	Decision  model.Decision `json:"decision" enum:"ALLOW,CAUTION,BLOCK,ERROR"`
	Reason    string         `json:"reason"`
	Section   string         `json:"section"`
	Withdrawn bool           `json:"withdrawn" doc:"The answer is withdrawn: the client hides it."`
}

type runFinishedEvent struct {
	Type string `json:"type" enum:"run_finished"`
	RunEventHead
	Status  string        `json:"status" enum:"completed,blocked,cancelled,failed,interrupted"`
	Error   string        `json:"error" doc:"Why the run failed; empty otherwise."`
	Usage   model.Usage   `json:"usage"`
	Timings model.Timings `json:"timings"`
}

type resourceChangedEvent struct {
	Type     string    `json:"type" enum:"resource_changed"`
	TS       time.Time `json:"ts" doc:"When the server produced the event (UTC)."`
	Resource string    `json:"resource" doc:"The kind: constitution, sysprompt, flow_config, flow_template, flow_instance, eval_suite, eval_run."`
	Action   string    `json:"action" enum:"created,updated,deleted"`
	ID       string    `json:"id" doc:"The resource's id."`
	Version  int       `json:"version" doc:"Its version after the change (0 when it has none)."`
	RunID    string    `json:"run_id,omitempty" doc:"Set when the notice is a run's start or end on the flow instance id."`
	Status   string    `json:"status,omitempty" doc:"An eval run's status."`
	Done     int       `json:"done,omitempty" doc:"An eval run's finished cases."`
	Total    int       `json:"total,omitempty" doc:"An eval run's cases."`
}

type errorEvent struct {
	Type      string    `json:"type" enum:"error"`
	TS        time.Time `json:"ts" doc:"When the server produced the event (UTC)."`
	RequestID string    `json:"request_id,omitempty" doc:"The request_id of the refused frame, when it had one."`
	Code      string    `json:"code" enum:"bad_frame,unknown_type,invalid_field,invalid_request,not_found,too_many_runs,rate_limited,resume_unavailable,busy,internal" doc:"What went wrong; clients switch on it."`
	Message   string    `json:"message" doc:"A sentence for people."`
}

type evalResultEvent struct {
	Type      string           `json:"type" enum:"eval_result"`
	TS        time.Time        `json:"ts" doc:"When the server sent the row (UTC)."`
	EvalRunID string           `json:"eval_run_id" doc:"The followed eval run."`
	Seq       int64            `json:"seq" minimum:"1" doc:"The row's seq: follow again with after_seq set to it to miss nothing."`
	Result    evals.EvalResult `json:"result" doc:"The finished row, as GET /api/eval-runs/{id}/results returns it."`
}

type evalProgressEvent struct {
	Type      string    `json:"type" enum:"eval_progress"`
	TS        time.Time `json:"ts" doc:"When the server produced the event (UTC)."`
	RequestID string    `json:"request_id,omitempty" doc:"The follow_eval's request_id, on the first eval_progress of a follow."`
	EvalRunID string    `json:"eval_run_id" doc:"The followed eval run."`
	Status    string    `json:"status" enum:"queued,running,completed,cancelled,failed" doc:"A finished status ends the follow: no eval_result of it comes after."`
	Done      int       `json:"done" doc:"Rows finished so far, errors included."`
	Total     int       `json:"total" doc:"Rows the eval will have: cases × targets × repeats."`
}

type attributionProgressEvent struct {
	Type      string         `json:"type" enum:"attribution_progress"`
	TS        time.Time      `json:"ts" doc:"When the server produced the event (UTC)."`
	Resource  string         `json:"resource" enum:"attribution" doc:"Always attribution: the kind to subscribe to."`
	ID        string         `json:"id" doc:"The attribution's id."`
	Status    string         `json:"status" enum:"queued,running,completed,cancelled,failed"`
	Done      int            `json:"done" doc:"Superego calls finished so far, over every item."`
	Total     int            `json:"total" doc:"Superego calls planned."`
	Item      int            `json:"item" doc:"The verdict the call explains (0 for a message)."`
	Variant   string         `json:"variant" enum:"full,without,only" doc:"The whole constitution, one section removed, or one section alone."`
	SectionID string         `json:"section_id,omitempty" doc:"The section removed or kept."`
	Decision  model.Decision `json:"decision" enum:"ALLOW,CAUTION,BLOCK,ERROR"`
	Reason    string         `json:"reason,omitempty"`
	Section   string         `json:"section,omitempty" doc:"The heading the call cited."`
}

type attributionFinishedEvent struct {
	Type     string    `json:"type" enum:"attribution_finished"`
	TS       time.Time `json:"ts" doc:"When the server produced the event (UTC)."`
	Resource string    `json:"resource" enum:"attribution" doc:"Always attribution."`
	ID       string    `json:"id" doc:"The attribution's id."`
	Status   string    `json:"status" enum:"completed,cancelled,failed"`
	Error    string    `json:"error,omitempty" doc:"Why it failed, or that it was stopped."`
	Done     int       `json:"done,omitempty" doc:"Superego calls finished."`
	Total    int       `json:"total" doc:"Superego calls planned."`
}

type pongEvent struct {
	Type      string    `json:"type" enum:"pong"`
	TS        time.Time `json:"ts" doc:"When the server produced the event (UTC)."`
	RequestID string    `json:"request_id,omitempty" doc:"The ping's request_id."`
}

// runEventTypes map the run events (the ones SSE carries too) to their
// schema types; otherEventTypes the frames only the WebSocket sends.
var (
	runEventTypes = []struct {
		name string
		t    reflect.Type
	}{
		{events.TypeRunStarted, reflect.TypeFor[runStartedEvent]()},
		{events.TypeSuperegoStarted, reflect.TypeFor[superegoStartedEvent]()},
		{events.TypeSuperegoThinking, reflect.TypeFor[superegoThinkingEvent]()},
		{events.TypeSuperegoToken, reflect.TypeFor[superegoTokenEvent]()},
		{events.TypeSuperegoDecision, reflect.TypeFor[superegoDecisionEvent]()},
		{events.TypeAssistantToken, reflect.TypeFor[assistantTokenEvent]()},
		{events.TypeAssistantMessage, reflect.TypeFor[assistantMessageEvent]()},
		{events.TypeOutputThinking, reflect.TypeFor[outputThinkingEvent]()},
		{events.TypeOutputDecision, reflect.TypeFor[outputDecisionEvent]()},
		{events.TypeRunFinished, reflect.TypeFor[runFinishedEvent]()},
	}
	otherEventTypes = []struct {
		name string
		t    reflect.Type
	}{
		{events.TypeAccepted, reflect.TypeFor[acceptedEvent]()},
		{events.TypeResourceChanged, reflect.TypeFor[resourceChangedEvent]()},
		{events.TypeEvalResult, reflect.TypeFor[evalResultEvent]()},
		{events.TypeEvalProgress, reflect.TypeFor[evalProgressEvent]()},
		{events.TypeAttributionProgress, reflect.TypeFor[attributionProgressEvent]()},
		{events.TypeAttributionFinished, reflect.TypeFor[attributionFinishedEvent]()},
		{TypeError, reflect.TypeFor[errorEvent]()},
		{TypePong, reflect.TypeFor[pongEvent]()},
	}
)

// eventSchemas registers the member schemas and the two unions, Event
// (every server frame) and RunEvent (the run events: what SSE carries),
// and returns a reference to RunEvent.
func eventSchemas(api huma.API) *huma.Schema {
	reg := api.OpenAPI().Components.Schemas
	union := func(name, desc string, members ...[]struct {
		name string
		t    reflect.Type
	}) {
		s := &huma.Schema{Description: desc, Discriminator: &huma.Discriminator{PropertyName: "type", Mapping: map[string]string{}}}
		for _, list := range members {
			for _, m := range list {
				ref := reg.Schema(m.t, true, "")
				s.OneOf = append(s.OneOf, ref)
				s.Discriminator.Mapping[m.name] = ref.Ref
			}
		}
		reg.Map()[name] = s
	}
	union("RunEvent", "One event of a run's log, discriminated by type: what SSE sends as data and the WebSocket "+
		"as a frame.", runEventTypes)
	union("Event", "One server → client frame of the WebSocket (/api/ws), discriminated by type: a run event, "+
		"accepted, resource_changed, eval_result, eval_progress, attribution_progress, attribution_finished, error or pong.", runEventTypes, otherEventTypes)
	return &huma.Schema{Ref: "#/components/schemas/RunEvent"}
}
