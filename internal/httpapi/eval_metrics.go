package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/evalstats"
)

// The numbers of an eval run, computed on the server by evalstats from the
// stored rows: per target, and between two targets of one eval or of two
// evals of the same suite.
var (
	opEvalMetrics = huma.Operation{
		OperationID: "get-eval-metrics", Method: http.MethodGet, Path: "/api/eval-runs/{id}/metrics",
		Summary: "Get an eval run's metrics", Tags: tagsEvalRuns, Errors: errsRead,
		Description: "Per target: the confusion matrix, block, miss and over-refusal rates, accuracy, precision, recall, " +
			"F1 and Cohen's κ, each rate with its 95 % Wilson interval, per category, consistency over repeats with " +
			"the flaky cases, latency and tokens; for full-mode evals of a config that screens output, the output " +
			"verdicts with the withdrawn, caught-after-input and over-withdrawn rates. Computed from the rows stored so far, so it is partial while the " +
			"eval runs.",
	}
	opEvalCompare = huma.Operation{
		OperationID: "compare-eval-targets", Method: http.MethodGet, Path: "/api/eval-runs/{id}/compare",
		Summary: "Compare two targets of an eval, or of two evals of one suite", Tags: tagsEvalRuns,
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
		Description: "A is target `target_a` of this eval; B is target `target_b` of this eval, or of the eval `other` " +
			"(which must have run on the same suite). The answer: the flip matrix of majority verdicts, every case " +
			"whose majority verdict changed with both reasons, and the exact McNemar test on the right/wrong change.",
	}
)

func (a *API) registerEvalMetrics() {
	huma.Register(a.huma, a.op(opEvalMetrics), a.evalMetrics)
	huma.Register(a.huma, a.op(opEvalCompare), a.evalCompare)
}

// TargetMetrics is the summary of one target of an eval.
type TargetMetrics struct {
	Target  int               `json:"target" doc:"Index into the eval's targets."`
	Summary evalstats.Summary `json:"summary"`
}

// EvalMetrics answers GET /api/eval-runs/{id}/metrics.
type EvalMetrics struct {
	Targets []TargetMetrics `json:"targets"`
}

type evalCompareRequest struct {
	IDParam
	TargetA int    `query:"target_a" minimum:"0" maximum:"7" doc:"Index of target A in this eval."`
	TargetB int    `query:"target_b" minimum:"0" maximum:"7" doc:"Index of target B (in this eval, or in other)."`
	Other   string `query:"other" maxLength:"64" doc:"Another eval run of the same suite that B comes from; empty for this one."`
}

// statRows turns an eval's stored rows into the statistics' input, by target.
func statRows(rows []evals.EvalResult, targets int) [][]evalstats.Row {
	out := make([][]evalstats.Row, targets)
	for _, r := range rows {
		if r.Target < 0 || r.Target >= targets {
			continue
		}
		out[r.Target] = append(out[r.Target], evalstats.Row{
			CaseID: r.CaseID, Category: r.Category, Expected: evalstats.Label(r.Expected), Decision: r.Decision,
			Repeat: r.Repeat, Reason: r.Reason, Model: r.Model, LatencyMs: r.LatencyMs, Usage: r.Usage,
			OutputDecision: r.OutputDecision,
		})
	}
	return out
}

// evalRows reads an eval run and its rows (reasons included, the long texts not).
func (a *API) evalRows(ctx context.Context, id, op string) (evals.EvalRun, [][]evalstats.Row, error) {
	t := target{kind: kindEvalRun, op: op, id: id}
	run, err := a.deps.Evals.GetRun(ctx, id)
	if err != nil {
		return run, nil, a.fail(ctx, t, err)
	}
	rows, err := a.deps.Evals.AllResults(ctx, id, false)
	if err != nil {
		return run, nil, a.fail(ctx, t, err)
	}
	return run, statRows(rows, len(run.Targets)), nil
}

func (a *API) evalMetrics(ctx context.Context, in *IDParam) (*struct{ Body EvalMetrics }, error) {
	_, byTarget, err := a.evalRows(ctx, in.ID, "metrics")
	if err != nil {
		return nil, err
	}
	out := EvalMetrics{Targets: make([]TargetMetrics, len(byTarget))}
	for i, rows := range byTarget {
		out.Targets[i] = TargetMetrics{Target: i, Summary: evalstats.Summarize(rows, evalstats.Options{})}
	}
	return &struct{ Body EvalMetrics }{Body: out}, nil
}

func (a *API) evalCompare(ctx context.Context, in *evalCompareRequest) (*struct{ Body evalstats.Comparison }, error) {
	runA, rowsA, err := a.evalRows(ctx, in.ID, "compare")
	if err != nil {
		return nil, err
	}
	runB, rowsB := runA, rowsA
	if in.Other != "" && in.Other != in.ID {
		if runB, rowsB, err = a.evalRows(ctx, in.Other, "compare"); err != nil {
			return nil, err
		}
		if runB.SuiteID != runA.SuiteID {
			return nil, huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{
				Location: "query.other", Message: "the other eval ran on suite " + runB.SuiteID + ", not " + runA.SuiteID, Value: in.Other})
		}
	}
	if in.TargetA >= len(rowsA) {
		return nil, huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{
			Location: "query.target_a", Message: "this eval has fewer targets", Value: in.TargetA})
	}
	if in.TargetB >= len(rowsB) {
		return nil, huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{
			Location: "query.target_b", Message: "that eval has fewer targets", Value: in.TargetB})
	}
	return &struct{ Body evalstats.Comparison }{Body: evalstats.Compare(rowsA[in.TargetA], rowsB[in.TargetB])}, nil
}
