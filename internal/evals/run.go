package evals

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/superego-lab/superego/internal/model"
)

// Eval modes.
const (
	// ModeSuperego asks for the verdict only: one superego call per row.
	ModeSuperego = "superego"
	// ModeFull also has the assistant answer what the superego lets pass.
	ModeFull = "full"
)

// Eval run statuses.
const (
	StatusQueued    = "queued"
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusCancelled = "cancelled"
	StatusFailed    = "failed"
)

// Limits of one eval run.
const (
	MinRepeats = 1
	MaxRepeats = 10
	MaxTargets = 8
	// MaxRows bounds case × target × repeat.
	MaxRows = 200000
)

// Finished reports whether an eval status is terminal.
func Finished(status string) bool {
	return status == StatusCompleted || status == StatusCancelled || status == StatusFailed
}

// EvalTarget is one thing under test: a flow config, optionally with another
// constitution (a saved version) or an unsaved draft text in its place.
type EvalTarget struct {
	FlowConfigID        string `json:"flow_config_id" minLength:"1" maxLength:"64" doc:"The flow config whose superego (and assistant, in full mode) is used."`
	ConstitutionID      string `json:"constitution_id,omitempty" maxLength:"64" doc:"Screen against this constitution instead of the config's."`
	ConstitutionVersion int    `json:"constitution_version,omitempty" minimum:"0" doc:"A saved version of the constitution; 0 means its version when the eval starts."`
	Draft               string `json:"draft,omitempty" maxLength:"262144" doc:"An unsaved constitution text to screen against instead; results record its hash."`
	DraftHash           string `json:"draft_hash,omitempty" readOnly:"true" doc:"SHA-256 of the draft text (hex), set by the server."`
}

// HashDraft is how a draft is recorded: the hex SHA-256 of its text.
func HashDraft(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// EvalRun is one eval: every case of a suite version against every target,
// repeats times.
type EvalRun struct {
	ID           string       `json:"id"`
	SuiteID      string       `json:"suite_id"`
	SuiteVersion int          `json:"suite_version" doc:"The suite version the eval runs on."`
	Targets      []EvalTarget `json:"targets"`
	Repeats      int          `json:"repeats"`
	Mode         string       `json:"mode" enum:"superego,full"`
	CaseIDs      []string     `json:"case_ids,omitempty" doc:"The cases this eval runs, when only some of the suite's (a rerun of one row)."`
	Status       string       `json:"status" enum:"queued,running,completed,cancelled,failed"`
	Total        int          `json:"total" doc:"Rows the eval will have: cases × targets × repeats."`
	Done         int          `json:"done" doc:"Rows finished so far, errors included."`
	Errors       int          `json:"errors" doc:"Rows that ended in an error after retries."`
	Error        string       `json:"error,omitempty"`
	CreatedAt    time.Time    `json:"created_at"`
	FinishedAt   *time.Time   `json:"finished_at"`
}

// EvalResult is one row of an eval: one case, one target, one repeat.
type EvalResult struct {
	EvalRunID           string             `json:"eval_run_id"`
	CaseID              string             `json:"case_id"`
	Target              int                `json:"target" doc:"Index into the eval's targets."`
	Repeat              int                `json:"repeat" doc:"0-based repeat number."`
	Seq                 int64              `json:"seq" doc:"Order in which the eval's rows were stored, from 1."`
	Position            int64              `json:"-"`
	Input               string             `json:"input"`
	Category            string             `json:"category"`
	Expected            Expected           `json:"expected" doc:"The case's label now (corrections included)."`
	Decision            model.Decision     `json:"decision" doc:"ALLOW, CAUTION, BLOCK, or ERROR when no verdict could be had."`
	Correct             bool               `json:"correct"`
	Reason              string             `json:"reason"`
	CitedSection        string             `json:"cited_section"`
	Thinking            string             `json:"thinking"`
	Visible             string             `json:"visible" doc:"The superego's visible reply."`
	Answer              string             `json:"answer,omitempty" doc:"The assistant's answer (full mode)."`
	OutputDecision      model.Decision     `json:"output_decision,omitempty" enum:"ALLOW,CAUTION,BLOCK,ERROR" doc:"The output screen's verdict on the answer (full mode, when the target's flow config screens output and there was an answer)."`
	OutputReason        string             `json:"output_reason,omitempty" doc:"The output verdict's reason."`
	OutputSection       string             `json:"output_section,omitempty" doc:"The constitution section the output verdict cited."`
	Withdrawn           bool               `json:"withdrawn,omitempty" doc:"The output verdict withdrew the answer (BLOCK, or ERROR under the block policy); in streaming mode the answer stops where it was withdrawn."`
	ConstitutionID      string             `json:"constitution_id,omitempty"`
	ConstitutionVersion int                `json:"constitution_version,omitempty"`
	DraftHash           string             `json:"draft_hash,omitempty"`
	Model               string             `json:"model"`
	SuperegoParams      *model.ModelParams `json:"superego_params,omitempty" doc:"Generation parameters the superego call sent (the flow config's, with provider defaults it must send); absent when none."`
	AssistantParams     *model.ModelParams `json:"assistant_params,omitempty" doc:"Generation parameters the assistant call sent (full mode)."`
	LatencyMs           int64              `json:"latency_ms"`
	Usage               model.Usage        `json:"usage"`
	Error               string             `json:"error,omitempty"`
	Attempts            int                `json:"attempts"`
	FinishedAt          time.Time          `json:"finished_at"`
}

// EvalResultFilter narrows a results page.
type EvalResultFilter struct {
	Target   *int
	Decision model.Decision
	Category string
	// WrongOnly keeps rows whose decision is not right for the label.
	WrongOnly bool
	// FlakyOnly keeps rows of (case, target) pairs whose repeats disagree.
	FlakyOnly bool
}

// EvalRunRequest asks for a new eval run.
type EvalRunRequest struct {
	SuiteID string       `json:"suite_id" minLength:"1" maxLength:"64" doc:"The suite to run (its current version)."`
	Targets []EvalTarget `json:"targets" minItems:"1" maxItems:"8" doc:"What to test: 1 to 8 targets."`
	Repeats int          `json:"repeats,omitempty" minimum:"1" maximum:"10" default:"1" doc:"How many times each case is screened per target."`
	Mode    string       `json:"mode,omitempty" enum:"superego,full" default:"superego" doc:"superego: the verdict only; full: the assistant answers too."`
	CaseIDs []string     `json:"case_ids,omitempty" maxItems:"1000" doc:"Only these cases of the suite, e.g. one row's case to rerun it under another target; every case when empty."`
}

// Withdraws reports whether an output verdict withdraws the answer: BLOCK,
// or ERROR (stored only when the flow config's error policy blocks; under
// "allow" an output screen error is recorded as ALLOW, as in chat).
func Withdraws(d model.Decision) bool {
	return d == model.DecisionBlock || d == model.DecisionError
}
