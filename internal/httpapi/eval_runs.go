package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/model"
)

// The eval run operations: what each one is, then which method serves it.
var (
	tagsEvalRuns = []string{"Eval runs"}

	opStartEvalRun = huma.Operation{
		OperationID: "start-eval-run", Method: http.MethodPost, Path: "/api/eval-runs",
		Summary: "Start an eval run", Tags: tagsEvalRuns, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
		Description: "Screens every case of the suite's current version against every target, `repeats` times, as a " +
			"durable background job: one result row per case × target × repeat. Evals share the upstream limit with " +
			"chat and yield to it. Progress: resource_changed notices (resource eval_run, with done and total) on the " +
			"WebSocket, and GET /api/eval-runs/{id}/events.",
	}
	opListEvalRuns = huma.Operation{
		OperationID: "list-eval-runs", Method: http.MethodGet, Path: "/api/eval-runs",
		Summary: "List eval runs", Tags: tagsEvalRuns, Errors: []int{http.StatusUnprocessableEntity},
		Description: "Newest first; `suite_id` keeps one suite's.",
	}
	opGetEvalRun = huma.Operation{
		OperationID: "get-eval-run", Method: http.MethodGet, Path: "/api/eval-runs/{id}",
		Summary: "Get an eval run", Tags: tagsEvalRuns, Errors: errsRead,
		Description: "Its targets (constitution versions pinned at start), status, and done/total rows.",
	}
	opCancelEvalRun = huma.Operation{
		OperationID: "cancel-eval-run", Method: http.MethodPost, Path: "/api/eval-runs/{id}/cancel",
		Summary: "Cancel an eval run", Tags: tagsEvalRuns, Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
		Description: "Stops its upstream calls on every replica at once; rows already finished stay. Cancelling a finished run changes nothing.",
	}
	opListEvalResults = huma.Operation{
		OperationID: "list-eval-results", Method: http.MethodGet, Path: "/api/eval-runs/{id}/results",
		Summary: "List an eval run's result rows", Tags: tagsEvalRuns, Errors: errsRead,
		Description: "In case order, then target, then repeat. Filters combine; wrong and flaky use the labels as they are now.",
	}
	opExportEvalResults = huma.Operation{
		OperationID: "export-eval-results", Method: http.MethodGet, Path: "/api/eval-runs/{id}/export",
		Summary: "Export an eval run's result rows", Tags: tagsEvalRuns, Errors: errsRead,
		Description: "Every row as JSONL (the objects the results list returns) or CSV.",
	}
)

func (a *API) registerEvalRuns() {
	huma.Register(a.huma, a.op(opStartEvalRun), a.startEvalRun)
	huma.Register(a.huma, a.op(opListEvalRuns), a.listEvalRuns)
	huma.Register(a.huma, a.op(opGetEvalRun), a.getEvalRun)
	huma.Register(a.huma, a.op(opCancelEvalRun), a.cancelEvalRun)
	huma.Register(a.huma, a.op(opListEvalResults), a.listEvalResults)
	huma.Register(a.huma, withBody(a.op(opExportEvalResults), "The rows", "application/x-ndjson", "text/csv"), a.exportEvalResults)
	a.registerEvalRunEvents()
	a.registerEvalMetrics()
}

// EvalRunner starts and cancels eval runs (runner.Runner).
type EvalRunner interface {
	Start(ctx context.Context, req evals.EvalRunRequest) (evals.EvalRun, error)
	Cancel(ctx context.Context, id string) (evals.EvalRun, error)
}

// kindEvalRun names eval runs in errors and metrics.
const kindEvalRun = "eval run"

// Requests of the eval run operations.
type (
	evalRunStartRequest struct {
		Body evals.EvalRunRequest
	}
	evalRunListRequest struct {
		PageParams
		SuiteID string `query:"suite_id" maxLength:"64" doc:"Only this suite's eval runs."`
	}
	evalRunIDRequest   struct{ IDParam }
	evalResultsRequest struct {
		IDParam
		PageParams
		Target    int    `query:"target" minimum:"-1" maximum:"7" default:"-1" doc:"Only this target (index); -1 for all."`
		Decision  string `query:"decision" enum:"ALLOW,CAUTION,BLOCK,ERROR" doc:"Only rows with this decision."`
		Category  string `query:"category" maxLength:"200" doc:"Only this category."`
		WrongOnly bool   `query:"wrong_only" doc:"Only rows whose decision is not right for the label."`
		FlakyOnly bool   `query:"flaky_only" doc:"Only rows of cases whose repeats disagree (per target)."`
	}
)

func evalRunOut(r evals.EvalRun) evals.EvalRun {
	r.CreatedAt, r.FinishedAt = utc(r.CreatedAt), utcPtr(r.FinishedAt)
	return r
}

func (a *API) startEvalRun(ctx context.Context, in *evalRunStartRequest) (*createdOutput[evals.EvalRun], error) {
	if a.deps.EvalRuns == nil {
		return nil, huma.Error503ServiceUnavailable("this server runs no evals")
	}
	req := in.Body
	if req.Repeats == 0 {
		req.Repeats = 1
	}
	if req.Mode == "" {
		req.Mode = evals.ModeSuperego
	}
	for i, t := range req.Targets {
		if strings.ContainsRune(t.Draft, 0) {
			return nil, huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{
				Location: "body.targets[" + strconv.Itoa(i) + "].draft", Message: "must not contain NUL characters"})
		}
	}
	run, err := a.deps.EvalRuns.Start(ctx, req)
	if err != nil {
		var fe *evals.FieldError
		if errors.As(err, &fe) {
			return nil, huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{Location: "body." + fe.Field, Message: fe.Message})
		}
		return nil, a.fail(ctx, target{kind: kindEvalRun, op: "create"}, err)
	}
	return &createdOutput[evals.EvalRun]{ETag: etag(max(run.Done, 1)), Location: "/api/eval-runs/" + run.ID, Body: evalRunOut(run)}, nil
}

func (a *API) listEvalRuns(ctx context.Context, in *evalRunListRequest) (*listOutput[evals.EvalRun], error) {
	items, next, err := a.deps.Evals.ListRuns(ctx, in.SuiteID, in.page())
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindEvalRun, op: "list"}, err)
	}
	for i := range items {
		items[i] = evalRunOut(items[i])
	}
	return newList(items, next), nil
}

func (a *API) getEvalRun(ctx context.Context, in *evalRunIDRequest) (*struct{ Body evals.EvalRun }, error) {
	run, err := a.deps.Evals.GetRun(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindEvalRun, op: "get", id: in.ID}, err)
	}
	return &struct{ Body evals.EvalRun }{Body: evalRunOut(run)}, nil
}

func (a *API) cancelEvalRun(ctx context.Context, in *evalRunIDRequest) (*struct{ Body evals.EvalRun }, error) {
	if a.deps.EvalRuns == nil {
		return nil, huma.Error503ServiceUnavailable("this server runs no evals")
	}
	run, err := a.deps.EvalRuns.Cancel(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindEvalRun, op: "cancel", id: in.ID}, err)
	}
	return &struct{ Body evals.EvalRun }{Body: evalRunOut(run)}, nil
}

func (in *evalResultsRequest) filter() evals.EvalResultFilter {
	f := evals.EvalResultFilter{Decision: model.Decision(in.Decision), Category: in.Category, WrongOnly: in.WrongOnly, FlakyOnly: in.FlakyOnly}
	if in.Target >= 0 {
		t := in.Target
		f.Target = &t
	}
	return f
}

func (a *API) listEvalResults(ctx context.Context, in *evalResultsRequest) (*listOutput[evals.EvalResult], error) {
	t := target{kind: kindEvalRun, op: "list results", id: in.ID}
	if _, err := a.deps.Evals.GetRun(ctx, in.ID); err != nil {
		return nil, a.fail(ctx, t, err)
	}
	items, next, err := a.deps.Evals.ListResults(ctx, in.ID, in.filter(), in.page())
	if err != nil {
		return nil, a.fail(ctx, t, err)
	}
	for i := range items {
		items[i].FinishedAt = utc(items[i].FinishedAt)
	}
	return newList(items, next), nil
}

// resultCSVHeader is the header of a results CSV export. The params
// columns hold the parameters each call sent as JSON ("" for none).
var resultCSVHeader = []string{"case_id", "target", "repeat", "category", "expected", "decision", "correct", "reason",
	"cited_section", "output_decision", "output_reason", "output_section", "withdrawn", "constitution_id", "constitution_version", "draft_hash", "model", "superego_params", "assistant_params", "latency_ms", "input_tokens",
	"output_tokens", "error", "attempts", "input"}

func (a *API) exportEvalResults(ctx context.Context, in *exportRequest) (*exportOutput, error) {
	t := target{kind: kindEvalRun, op: "export", id: in.ID}
	if _, err := a.deps.Evals.GetRun(ctx, in.ID); err != nil {
		return nil, a.fail(ctx, t, err)
	}
	rows, err := a.deps.Evals.AllResults(ctx, in.ID, true)
	if err != nil {
		return nil, a.fail(ctx, t, err)
	}
	var buf bytes.Buffer
	out := &exportOutput{ContentType: "application/x-ndjson", ContentDisposition: `attachment; filename="eval-` + in.ID + `.jsonl"`}
	if in.Format == evals.FormatCSV {
		out.ContentType, out.ContentDisposition = "text/csv; charset=utf-8", `attachment; filename="eval-`+in.ID+`.csv"`
		err = writeResultsCSV(&buf, rows)
	} else {
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		for i := range rows {
			rows[i].FinishedAt = utc(rows[i].FinishedAt)
			if err = enc.Encode(rows[i]); err != nil {
				break
			}
		}
	}
	if err != nil {
		return nil, a.fail(ctx, t, err)
	}
	out.Body = buf.Bytes()
	return out, nil
}

func writeResultsCSV(buf *bytes.Buffer, rows []evals.EvalResult) error {
	w := csv.NewWriter(buf)
	if err := w.Write(resultCSVHeader); err != nil {
		return err
	}
	itoa := strconv.Itoa
	for _, x := range rows {
		if err := w.Write([]string{x.CaseID, itoa(x.Target), itoa(x.Repeat), x.Category, string(x.Expected), string(x.Decision),
			strconv.FormatBool(x.Correct), x.Reason, x.CitedSection, string(x.OutputDecision), x.OutputReason, x.OutputSection,
			strconv.FormatBool(x.Withdrawn), x.ConstitutionID, itoa(x.ConstitutionVersion), x.DraftHash,
			x.Model, model.EncodeParams(x.SuperegoParams), model.EncodeParams(x.AssistantParams), strconv.FormatInt(x.LatencyMs, 10), itoa(x.Usage.InputTokens), itoa(x.Usage.OutputTokens), x.Error,
			itoa(x.Attempts), x.Input}); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}
