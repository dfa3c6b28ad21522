package wsapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// Client frame types (docs/design.md, "The WebSocket").
const (
	TypeSendMessage = "send_message"
	TypeRunParallel = "run_parallel"
	TypeRerun       = "rerun"
	TypeCancel      = "cancel"
	TypeResume      = "resume"
	TypePing        = "ping"
	TypeSubscribe   = "subscribe"
	// follow_eval streams an eval run's finished rows to the socket;
	// unfollow_eval stops that.
	TypeFollowEval   = "follow_eval"
	TypeUnfollowEval = "unfollow_eval"
)

// Server frame types that are not run events (those live in package events).
const (
	TypeError = "error"
	TypePong  = "pong"
)

// Error codes of the error frame. They are part of the protocol: clients
// switch on them, so they never change meaning.
const (
	CodeBadFrame          = "bad_frame"          // not a JSON object, or a binary frame
	CodeUnknownType       = "unknown_type"       // type is not a client frame type
	CodeInvalidField      = "invalid_field"      // unknown, missing, mistyped or out-of-range field
	CodeInvalidRequest    = "invalid_request"    // well-formed but refused by the engine (e.g. rerun of a non-user message)
	CodeNotFound          = "not_found"          // an id that does not exist
	CodeTooManyRuns       = "too_many_runs"      // the socket already follows MaxRunsPerSocket runs
	CodeRateLimited       = "rate_limited"       // the socket sends frames faster than its rate limit
	CodeResumeUnavailable = "resume_unavailable" // the run exists but its event log is gone: reload from REST
	CodeBusy              = "busy"               // the database is saturated: the run was not started; retry shortly
	CodeInternal          = "internal"           // a server fault; details are in the server log only
)

// Limits on client frames the decoder enforces.
const (
	maxRequestID  = 128
	maxNameLength = 200
	// A socket follows the notices of at most this many resource kinds and
	// instances: a page shows a handful (a comparison up to 8 columns).
	maxSubscribedKinds     = 32
	maxSubscribedInstances = 64
)

// Frame is one decoded client frame. Only the fields of its Type are set.
type Frame struct {
	Type      string `json:"type"`
	RequestID string `json:"request_id,omitempty"`

	// send_message
	FlowInstanceID string `json:"flow_instance_id,omitempty"`
	// send_message, run_parallel
	Content string `json:"content,omitempty"`
	// run_parallel
	FlowConfigIDs  []string `json:"flow_config_ids,omitempty"`
	ComparisonName string   `json:"comparison_name,omitempty"`
	ComparisonID   string   `json:"comparison_id,omitempty"`
	// rerun
	MessageID       string  `json:"message_id,omitempty"`
	ConstitutionID  *string `json:"constitution_id,omitempty"`
	SyspromptID     *string `json:"sysprompt_id,omitempty"`
	SuperegoEnabled *bool   `json:"superego_enabled,omitempty"`
	// cancel, resume
	RunID string `json:"run_id,omitempty"`
	// resume, follow_eval
	AfterSeq int64 `json:"after_seq,omitempty"`
	// follow_eval, unfollow_eval
	EvalRunID string `json:"eval_run_id,omitempty"`
	// subscribe: nil when the field was absent (that part of the
	// subscription stays as it was), empty when it was [].
	Resources       []string `json:"resources,omitempty"`
	FlowInstanceIDs []string `json:"flow_instance_ids,omitempty"`
}

// Overrides returns the rerun overrides of a rerun frame.
func (f Frame) Overrides() model.Overrides {
	return model.Overrides{ConstitutionID: f.ConstitutionID, SyspromptID: f.SyspromptID, SuperegoEnabled: f.SuperegoEnabled}
}

// FrameError is why a client frame was refused; it becomes an error frame.
type FrameError struct {
	RequestID string
	Code      string
	Message   string
}

func (e *FrameError) Error() string { return e.Code + ": " + e.Message }

// frameSpec lists, per client frame type, which fields it may carry and
// which it must. request_id is allowed on every frame so a client can
// correlate any error with the frame that caused it.
type frameSpec struct {
	required []string
	optional []string
}

var frameSpecs = map[string]frameSpec{
	TypeSendMessage:  {required: []string{"request_id", "flow_instance_id", "content"}},
	TypeRunParallel:  {required: []string{"request_id", "content"}, optional: []string{"flow_config_ids", "comparison_name", "comparison_id"}},
	TypeRerun:        {required: []string{"request_id", "message_id"}, optional: []string{"constitution_id", "sysprompt_id", "superego_enabled"}},
	TypeCancel:       {required: []string{"run_id"}, optional: []string{"request_id"}},
	TypeResume:       {required: []string{"run_id", "after_seq"}, optional: []string{"request_id"}},
	TypePing:         {optional: []string{"request_id"}},
	TypeSubscribe:    {optional: []string{"request_id", "resources", "flow_instance_ids"}},
	TypeFollowEval:   {required: []string{"eval_run_id"}, optional: []string{"request_id", "after_seq"}},
	TypeUnfollowEval: {required: []string{"eval_run_id"}, optional: []string{"request_id"}},
}

// DecodeFrame parses one client text frame strictly: it must be a JSON
// object with a known type, exactly the fields of that type (no unknown,
// none missing, each of the right JSON type and within its limits). The
// returned error always carries a stable code and, once the frame was
// readable far enough, its request_id.
func DecodeFrame(data []byte) (Frame, *FrameError) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil || raw == nil {
		return Frame{}, &FrameError{Code: CodeBadFrame, Message: "frame is not a JSON object"}
	}
	var f Frame
	// Read request_id first so every later error can carry it.
	if v, ok := raw["request_id"]; ok {
		if err := decodeString(v, &f.RequestID); err != nil || f.RequestID == "" || len(f.RequestID) > maxRequestID {
			return Frame{}, &FrameError{Code: CodeInvalidField, Message: fmt.Sprintf("request_id must be a non-empty string of at most %d bytes", maxRequestID)}
		}
	}
	fail := func(code, format string, args ...any) (Frame, *FrameError) {
		return Frame{}, &FrameError{RequestID: f.RequestID, Code: code, Message: fmt.Sprintf(format, args...)}
	}
	tv, ok := raw["type"]
	if !ok {
		return fail(CodeBadFrame, "frame has no type")
	}
	if err := decodeString(tv, &f.Type); err != nil {
		return fail(CodeBadFrame, "type must be a string")
	}
	spec, ok := frameSpecs[f.Type]
	if !ok {
		return fail(CodeUnknownType, "unknown frame type %q (want one of %s)", truncate(f.Type, 40), strings.Join(frameTypes(), ", "))
	}
	if unknown := unknownFields(raw, spec); len(unknown) > 0 {
		return fail(CodeInvalidField, "unknown field %q for %s", truncate(unknown[0], 40), f.Type)
	}
	for _, name := range spec.required {
		if v, ok := raw[name]; !ok || isNull(v) {
			return fail(CodeInvalidField, "%s requires field %s", f.Type, name)
		}
	}
	for name, v := range raw {
		if name == "type" || name == "request_id" {
			continue
		}
		if err := decodeField(&f, name, v); err != nil {
			return fail(CodeInvalidField, "%s", err.Error())
		}
	}
	if err := validate(&f, raw); err != nil {
		return fail(CodeInvalidField, "%s", err.Error())
	}
	return f, nil
}

// decodeField stores one JSON value in the matching Frame field, with a
// message naming the field when its JSON type is wrong.
func decodeField(f *Frame, name string, v json.RawMessage) error {
	var err error
	switch name {
	case "flow_instance_id":
		err = decodeID(v, &f.FlowInstanceID)
	case "content":
		err = decodeString(v, &f.Content)
	case "flow_config_ids":
		err = decodeStrict(v, &f.FlowConfigIDs)
		if err == nil {
			for _, id := range f.FlowConfigIDs {
				if !model.ValidID(id) {
					return fmt.Errorf("flow_config_ids: %q is not a valid id", truncate(id, 70))
				}
			}
		}
	case "comparison_name":
		err = decodeString(v, &f.ComparisonName)
	case "comparison_id":
		err = decodeID(v, &f.ComparisonID)
	case "message_id":
		err = decodeID(v, &f.MessageID)
	case "constitution_id":
		f.ConstitutionID = new(string)
		err = decodeID(v, f.ConstitutionID)
	case "sysprompt_id":
		f.SyspromptID = new(string)
		err = decodeID(v, f.SyspromptID)
	case "superego_enabled":
		f.SuperegoEnabled = new(bool)
		err = decodeStrict(v, f.SuperegoEnabled)
	case "run_id":
		err = decodeID(v, &f.RunID)
	case "after_seq":
		err = decodeStrict(v, &f.AfterSeq)
	case "eval_run_id":
		err = decodeID(v, &f.EvalRunID)
	case "resources":
		err = decodeList(v, &f.Resources, maxSubscribedKinds, validKind, "a resource kind (lower-case letters and _)")
	case "flow_instance_ids":
		err = decodeList(v, &f.FlowInstanceIDs, maxSubscribedInstances, model.ValidID, "a valid id")
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// validate checks value ranges and the either/or shape of run_parallel.
func validate(f *Frame, raw map[string]json.RawMessage) error {
	switch f.Type {
	case TypeSendMessage, TypeRunParallel:
		if strings.TrimSpace(f.Content) == "" {
			return fmt.Errorf("content must not be empty")
		}
	case TypeResume, TypeFollowEval:
		if f.AfterSeq < 0 {
			return fmt.Errorf("after_seq must be >= 0")
		}
	}
	if f.Type != TypeRunParallel {
		return nil
	}
	_, hasConfigs := raw["flow_config_ids"]
	_, hasComparison := raw["comparison_id"]
	_, hasName := raw["comparison_name"]
	switch {
	case hasConfigs == hasComparison:
		return fmt.Errorf("run_parallel takes either flow_config_ids (to start a comparison) or comparison_id (to continue one)")
	case hasComparison && hasName:
		return fmt.Errorf("comparison_name only applies when starting a comparison with flow_config_ids")
	case hasConfigs && (len(f.FlowConfigIDs) < engine.MinParallelConfigs || len(f.FlowConfigIDs) > engine.MaxParallelConfigs):
		return fmt.Errorf("flow_config_ids must hold %d to %d ids, got %d", engine.MinParallelConfigs, engine.MaxParallelConfigs, len(f.FlowConfigIDs))
	case len(f.ComparisonName) > maxNameLength:
		return fmt.Errorf("comparison_name must be at most %d bytes", maxNameLength)
	}
	return nil
}

func unknownFields(raw map[string]json.RawMessage, spec frameSpec) []string {
	var out []string
	for name := range raw {
		if name == "type" || name == "request_id" || contains(spec.required, name) || contains(spec.optional, name) {
			continue
		}
		out = append(out, name)
	}
	sort.Strings(out) // deterministic message when several are wrong
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// decodeStrict unmarshals v into dst, refusing null (which encoding/json
// would silently accept as "no change").
func decodeStrict(v json.RawMessage, dst any) error {
	if isNull(v) {
		return fmt.Errorf("must not be null")
	}
	if err := json.Unmarshal(v, dst); err != nil {
		if te := (*json.UnmarshalTypeError)(nil); errors.As(err, &te) {
			return fmt.Errorf("must be %s, got %s", jsonKind(dst), te.Value)
		}
		return fmt.Errorf("must be %s", jsonKind(dst))
	}
	return nil
}

// decodeString reads a text field. Text no store can hold (a NUL
// character) is refused here, at the edge, on every store alike.
func decodeString(v json.RawMessage, dst *string) error {
	if err := decodeStrict(v, dst); err != nil {
		return err
	}
	if !store.ValidText(*dst) {
		return fmt.Errorf("must not contain NUL characters")
	}
	return nil
}

// decodeList reads an array of at most limit strings, each accepted by ok,
// without duplicates; the result is never nil, so [] reads as "none".
func decodeList(v json.RawMessage, dst *[]string, limit int, ok func(string) bool, what string) error {
	if err := decodeStrict(v, dst); err != nil {
		return err
	}
	if len(*dst) > limit {
		return fmt.Errorf("must hold at most %d entries, got %d", limit, len(*dst))
	}
	seen := make(map[string]bool, len(*dst))
	out := make([]string, 0, len(*dst))
	for _, s := range *dst {
		if !ok(s) {
			return fmt.Errorf("%q is not %s", truncate(s, 70), what)
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	*dst = out
	return nil
}

// validKind accepts a resource kind's shape. Kinds are not checked against a
// fixed list so that a client may name kinds a newer server announces.
func validKind(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for i, r := range s {
		letter := r >= 'a' && r <= 'z'
		if !letter && (r != '_' || i == 0) {
			return false
		}
	}
	return true
}

// decodeID reads an id field: a string in the shape of every id
// (model.SlugPattern). A well-formed id that does not exist is reported
// later as not_found by whoever looks it up.
func decodeID(v json.RawMessage, dst *string) error {
	if err := decodeStrict(v, dst); err != nil {
		return err
	}
	if !model.ValidID(*dst) {
		return fmt.Errorf("%q is not a valid id", truncate(*dst, 70))
	}
	return nil
}

func jsonKind(dst any) string {
	switch dst.(type) {
	case *string:
		return "a string"
	case *bool:
		return "a boolean"
	case *int64:
		return "an integer"
	case *[]string:
		return "an array of strings"
	}
	return "a valid value"
}

func frameTypes() []string {
	out := make([]string, 0, len(frameSpecs))
	for t := range frameSpecs {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// errorFrame is the server's answer to a refused frame.
type errorFrame struct {
	Type      string    `json:"type"`
	TS        time.Time `json:"ts"`
	RequestID string    `json:"request_id,omitempty"`
	Code      string    `json:"code"`
	Message   string    `json:"message"`
}

// pongFrame answers ping.
type pongFrame struct {
	Type      string    `json:"type"`
	TS        time.Time `json:"ts"`
	RequestID string    `json:"request_id,omitempty"`
}
