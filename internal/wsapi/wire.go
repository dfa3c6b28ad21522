package wsapi

import (
	"time"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
)

// events.Event leaves empty fields out of its JSON, which suits most frame
// types: their fields are never empty. A few types have fields that are
// legitimately empty and that docs/design.md ("The WebSocket") still names, so a client
// may read them without checking for their presence: an ALLOW decision's
// reason and a successful run's error. wireEvent gives those types a shape
// of their own in which every field of their table row is present (an empty
// string when it does not apply); the others are sent as they are. Inside
// timings, a step that did not run (no superego, no assistant token) stays
// left out, as everywhere in the API: a zero would read as "took 0 ms". The
// WebSocket and the SSE stream both encode through wireEvent.

// runHead is the part every run event shares.
type runHead struct {
	Type           string    `json:"type"`
	TS             time.Time `json:"ts"`
	RunID          string    `json:"run_id"`
	FlowInstanceID string    `json:"flow_instance_id"`
	FlowConfigID   string    `json:"flow_config_id"`
	Seq            int64     `json:"seq"`
}

type decisionFrame struct {
	runHead
	Decision model.Decision `json:"decision"`
	Reason   string         `json:"reason"`
	Section  string         `json:"section"`
	Message  *model.Message `json:"message"`
}

// outputDecisionFrame is the output screen's verdict on the answer.
type outputDecisionFrame struct {
	runHead
	Decision  model.Decision `json:"decision"`
	Reason    string         `json:"reason"`
	Section   string         `json:"section"`
	Withdrawn bool           `json:"withdrawn"`
}

type finishedFrame struct {
	runHead
	Status  string        `json:"status"`
	Error   string        `json:"error"`
	Usage   model.Usage   `json:"usage"`
	Timings model.Timings `json:"timings"`
}

type resourceFrame struct {
	Type     string    `json:"type"`
	TS       time.Time `json:"ts"`
	Resource string    `json:"resource"`
	Action   string    `json:"action"`
	ID       string    `json:"id"`
	Version  int       `json:"version"`
	// RunID names the run whose start or end this notice announces on
	// instance ID; empty for every other notice.
	RunID string `json:"run_id,omitempty"`
	// An eval_run's notices also say how far it is.
	Status string `json:"status,omitempty"`
	Done   int    `json:"done,omitempty"`
	Total  int    `json:"total,omitempty"`
}

// acceptedFrame always carries run_ids: an unfollow_eval is answered with
// none ([]), which events.Event would leave out.
type acceptedFrame struct {
	Type         string    `json:"type"`
	TS           time.Time `json:"ts"`
	RequestID    string    `json:"request_id"`
	RunIDs       []string  `json:"run_ids"`
	ComparisonID string    `json:"comparison_id,omitempty"`
}

// evalProgressFrame says how far a followed eval run is; done and total
// are present even when 0.
type evalProgressFrame struct {
	Type      string    `json:"type"`
	TS        time.Time `json:"ts"`
	RequestID string    `json:"request_id,omitempty"`
	EvalRunID string    `json:"eval_run_id"`
	Status    string    `json:"status"`
	Done      int       `json:"done"`
	Total     int       `json:"total"`
}

// wireEvent returns the value to encode for ev (see above).
func wireEvent(ev events.Event) any {
	head := runHead{Type: ev.Type, TS: ev.TS, RunID: ev.RunID, FlowInstanceID: ev.FlowInstanceID,
		FlowConfigID: ev.FlowConfigID, Seq: ev.Seq}
	switch ev.Type {
	case events.TypeSuperegoDecision:
		return decisionFrame{runHead: head, Decision: ev.Decision, Reason: ev.Reason, Section: ev.Section, Message: ev.Message}
	case events.TypeOutputDecision:
		return outputDecisionFrame{runHead: head, Decision: ev.Decision, Reason: ev.Reason, Section: ev.Section, Withdrawn: ev.Withdrawn}
	case events.TypeRunFinished:
		f := finishedFrame{runHead: head, Status: ev.Status, Error: ev.Error}
		if ev.Usage != nil {
			f.Usage = *ev.Usage
		}
		if ev.Timings != nil {
			f.Timings = *ev.Timings
		}
		return f
	case events.TypeAccepted:
		ids := ev.RunIDs
		if ids == nil {
			ids = []string{}
		}
		return acceptedFrame{Type: ev.Type, TS: ev.TS, RequestID: ev.RequestID, RunIDs: ids, ComparisonID: ev.ComparisonID}
	case events.TypeEvalProgress:
		return evalProgressFrame{Type: ev.Type, TS: ev.TS, RequestID: ev.RequestID, EvalRunID: ev.EvalRunID,
			Status: ev.Status, Done: ev.Done, Total: ev.Total}
	case events.TypeAttributionProgress:
		f := attributionProgressEvent{Type: ev.Type, TS: ev.TS, Resource: ev.Resource, ID: ev.ID, Status: ev.Status, Done: ev.Done,
			Total: ev.Total, Variant: ev.Variant, SectionID: ev.SectionID, Decision: ev.Decision, Reason: ev.Reason, Section: ev.Section}
		if ev.Item != nil {
			f.Item = *ev.Item
		}
		return f
	case events.TypeAttributionFinished:
		return attributionFinishedEvent{Type: ev.Type, TS: ev.TS, Resource: ev.Resource, ID: ev.ID, Status: ev.Status, Error: ev.Error,
			Done: ev.Done, Total: ev.Total}
	case events.TypeResourceChanged:
		return resourceFrame{Type: ev.Type, TS: ev.TS, Resource: ev.Resource, Action: ev.Action, ID: ev.ID, Version: ev.Version,
			RunID: ev.RunID, Status: ev.Status, Done: ev.Done, Total: ev.Total}
	}
	return ev
}
