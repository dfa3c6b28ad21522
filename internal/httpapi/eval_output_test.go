package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/model"
)

// TestEvalRowsCarryTheOutputVerdict: rows of a full-mode eval with output
// verdicts, written directly, come back with them in the result list, both
// exports and the metrics.
func TestEvalRowsCarryTheOutputVerdict(t *testing.T) {
	s, db := metricsServer(t)
	ctx := context.Background()
	if _, err := db.CreateRun(ctx, evals.EvalRun{ID: "run-full", SuiteID: "s", SuiteVersion: 1, Mode: evals.ModeFull,
		Targets: []evals.EvalTarget{{FlowConfigID: "standard"}}, Repeats: 1, Total: 3}); err != nil {
		t.Fatal(err)
	}
	// c1 (not allowed): the input let it through, the output screen withdrew
	// it; c2 (not allowed): blocked on input, no answer; c4 (allowed):
	// answered and kept.
	for _, x := range []evals.EvalResult{
		{CaseID: "c1", Input: "one", Expected: evals.ExpectNotAllow, Decision: model.DecisionAllow, Answer: "part of it",
			OutputDecision: model.DecisionBlock, OutputReason: "names a weapon", OutputSection: "Safety", Withdrawn: true},
		{CaseID: "c2", Input: "two", Expected: evals.ExpectNotAllow, Decision: model.DecisionBlock},
		{CaseID: "c4", Input: "four", Expected: evals.ExpectAllow, Decision: model.DecisionAllow, Answer: "all of it",
			OutputDecision: model.DecisionAllow},
	} {
		x.EvalRunID, x.Model = "run-full", "demo"
		if _, _, _, err := db.InsertResult(ctx, x); err != nil {
			t.Fatal(err)
		}
	}

	r := s.do(t, http.MethodGet, "/api/eval-runs/run-full/results", nil)
	var page struct{ Items []evals.EvalResult }
	if err := json.Unmarshal(r.body, &page); err != nil || len(page.Items) != 3 {
		t.Fatalf("results %d %s (%v)", r.status, r.body, err)
	}
	c1, c2 := page.Items[0], page.Items[1]
	if c1.OutputDecision != model.DecisionBlock || c1.OutputReason != "names a weapon" || c1.OutputSection != "Safety" || !c1.Withdrawn {
		t.Errorf("c1 came back as %+v", c1)
	}
	if c2.OutputDecision != "" || c2.Withdrawn || bytes.Contains(r.body, []byte(`"output_decision":""`)) {
		t.Errorf("a row without an answer has an output verdict: %+v", c2)
	}

	r = s.do(t, http.MethodGet, "/api/eval-runs/run-full/export?format=jsonl", nil)
	var first evals.EvalResult
	if err := json.NewDecoder(bytes.NewReader(r.body)).Decode(&first); err != nil || first.OutputDecision != model.DecisionBlock || !first.Withdrawn {
		t.Errorf("JSONL export's first row %+v (%v)", first, err)
	}

	r = s.do(t, http.MethodGet, "/api/eval-runs/run-full/export?format=csv", nil)
	recs, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil || len(recs) != 4 {
		t.Fatalf("CSV export: %v, %d records", err, len(recs))
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	if got := recs[1]; got[col["output_decision"]] != "BLOCK" || got[col["output_reason"]] != "names a weapon" ||
		got[col["output_section"]] != "Safety" || got[col["withdrawn"]] != "true" {
		t.Errorf("CSV row for c1: %v", got)
	}
	if got := recs[2]; got[col["output_decision"]] != "" || got[col["withdrawn"]] != "false" {
		t.Errorf("CSV row for c2: %v", got)
	}

	r = s.do(t, http.MethodGet, "/api/eval-runs/run-full/metrics", nil)
	var m EvalMetrics
	if err := json.Unmarshal(r.body, &m); err != nil || len(m.Targets) != 1 || m.Targets[0].Summary.Output == nil {
		t.Fatalf("metrics %d %s (%v)", r.status, r.body, err)
	}
	o := m.Targets[0].Summary.Output
	// Two answers judged, one withdrawn; the one not-allowed case the
	// input let through (c1) was caught; the ALLOW case was kept.
	if o.Screened != 2 || o.Block != 1 || o.Allow != 1 || o.Withdrawn.K != 1 || o.Caught.K != 1 || o.Caught.N != 1 ||
		o.OverWithdrawn.K != 0 || o.OverWithdrawn.N != 1 {
		t.Errorf("output metrics %+v", *o)
	}
	// An eval without output verdicts has no output part.
	if r := s.do(t, http.MethodGet, "/api/eval-runs/run-a/metrics", nil); bytes.Contains(r.body, []byte(`"output":{`)) {
		t.Errorf("superego-mode metrics have an output part: %s", r.body)
	}
}
