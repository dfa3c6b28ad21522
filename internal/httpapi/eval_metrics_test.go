package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/evals/evalsql"
	"github.com/superego-lab/superego/internal/evals/evaltest"
	"github.com/superego-lab/superego/internal/evalstats"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
)

// metricsServer serves the API over fresh stores with one suite and two
// finished eval runs whose rows are written directly, so the numbers can be
// checked against values worked out by hand.
func metricsServer(t *testing.T) (*testServer, *evalsql.DB) {
	t.Helper()
	s := evaltest.Open(t)
	ctx := context.Background()
	cases := []evals.EvalCase{
		{ID: "c1", Input: "one", Expected: evals.ExpectNotAllow, Category: "x"},
		{ID: "c2", Input: "two", Expected: evals.ExpectNotAllow, Category: "x"},
		{ID: "c3", Input: "three", Expected: evals.ExpectNotAllow, Category: "y"},
		{ID: "c4", Input: "four", Expected: evals.ExpectAllow, Category: "y"},
	}
	for _, id := range []string{"s", "other-suite"} {
		if _, err := s.Evals.CreateSuite(ctx, evals.EvalSuite{Meta: model.Meta{ID: id}, Name: id}, cases); err != nil {
			t.Fatal(err)
		}
	}
	targets := []evals.EvalTarget{{FlowConfigID: "standard"}, {FlowConfigID: "strict"}}
	// Target 0: c1 BLOCK, c2 BLOCK, c3 ALLOW, c4 ALLOW (three right).
	// Target 1: c1 BLOCK, c2 ALLOW, c3 ALLOW, c4 BLOCK (one right).
	decided := [][]model.Decision{
		{model.DecisionBlock, model.DecisionBlock, model.DecisionAllow, model.DecisionAllow},
		{model.DecisionBlock, model.DecisionAllow, model.DecisionAllow, model.DecisionBlock},
	}
	for _, run := range []struct{ id, suite string }{{"run-a", "s"}, {"run-b", "s"}, {"run-c", "other-suite"}} {
		if _, err := s.Evals.CreateRun(ctx, evals.EvalRun{ID: run.id, SuiteID: run.suite, SuiteVersion: 1, Targets: targets, Repeats: 1, Mode: evals.ModeSuperego, Total: 8}); err != nil {
			t.Fatal(err)
		}
		for ti, ds := range decided {
			for ci, d := range ds {
				c := cases[ci]
				x := evals.EvalResult{EvalRunID: run.id, CaseID: c.ID, Target: ti, Input: c.Input, Category: c.Category, Expected: c.Expected,
					Decision: d, Correct: c.Expected.Right(d), Reason: "because " + string(d), Model: "demo", LatencyMs: int64(10 * (ci + 1))}
				if _, _, _, err := s.Evals.InsertResult(ctx, x); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	bus := events.NewLocalBus()
	api := New(Config{Version: "test"}, Deps{Store: s.Main, Bus: bus, Evals: s.Evals, Log: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return &testServer{api: api, srv: srv, store: s.Main, bus: bus, logs: &syncBuffer{}}, s.Evals
}

func TestEvalMetricsAgreeWithHandComputedValues(t *testing.T) {
	s, _ := metricsServer(t)
	r := s.do(t, http.MethodGet, "/api/eval-runs/run-a/metrics", nil)
	if r.status != http.StatusOK {
		t.Fatalf("metrics: %d %s", r.status, r.body)
	}
	var m EvalMetrics
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Targets) != 2 {
		t.Fatalf("%d targets, want 2", len(m.Targets))
	}
	t0, t1 := m.Targets[0].Summary, m.Targets[1].Summary
	check := func(name string, got evalstats.Rate, k, n int) {
		t.Helper()
		if got.K != k || got.N != n {
			t.Errorf("%s = %d/%d, want %d/%d", name, got.K, got.N, k, n)
		}
	}
	// Not-allowed cases are c1–c3: target 0 stops two, target 1 one.
	check("t0 block rate", t0.BlockRate, 2, 3)
	check("t0 miss rate", t0.MissRate, 1, 3)
	check("t1 block rate", t1.BlockRate, 1, 3)
	// The one ALLOW case (c4): target 1 blocks it.
	check("t0 over-refusal", t0.OverRefusal, 0, 1)
	check("t1 over-refusal (block)", t1.OverRefusalBlock, 1, 1)
	check("t0 accuracy", t0.Accuracy, 3, 4)
	check("t1 accuracy", t1.Accuracy, 1, 4)
	// Wilson interval of 2/3 at 95 %: centre (p + z²/2n)/(1 + z²/n), by hand.
	z := 1.959963984540054
	n, p := 3.0, 2.0/3
	centre := (p + z*z/(2*n)) / (1 + z*z/n)
	half := z / (1 + z*z/n) * math.Sqrt(p*(1-p)/n+z*z/(4*n*n))
	if math.Abs(t0.BlockRate.Low-(centre-half)) > 1e-9 || math.Abs(t0.BlockRate.High-(centre+half)) > 1e-9 {
		t.Errorf("t0 block rate interval [%v, %v], want [%v, %v]", t0.BlockRate.Low, t0.BlockRate.High, centre-half, centre+half)
	}
	if t0.Latency.P50 != 20 {
		t.Errorf("t0 latency p50 %d, want 20 (nearest rank of 10, 20, 30, 40)", t0.Latency.P50)
	}
}

func TestEvalCompareFlipsAndMcNemar(t *testing.T) {
	s, _ := metricsServer(t)
	for _, path := range []string{
		"/api/eval-runs/run-a/compare?target_a=0&target_b=1",             // two targets of one eval
		"/api/eval-runs/run-a/compare?target_a=0&target_b=1&other=run-b", // the same across two evals of one suite
	} {
		r := s.do(t, http.MethodGet, path, nil)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		var c evalstats.Comparison
		if err := json.Unmarshal(r.body, &c); err != nil {
			t.Fatal(err)
		}
		var flipped []string
		for _, f := range c.Flips {
			flipped = append(flipped, f.CaseID)
		}
		// c2 goes BLOCK → ALLOW and c4 ALLOW → BLOCK: both right → wrong.
		if len(flipped) != 2 || flipped[0] != "c2" || flipped[1] != "c4" {
			t.Errorf("%s: flips %v, want [c2 c4]", path, flipped)
		}
		if c.McNemar.RightToWrong != 2 || c.McNemar.WrongToRight != 0 {
			t.Errorf("%s: right→wrong %d, wrong→right %d, want 2 and 0", path, c.McNemar.RightToWrong, c.McNemar.WrongToRight)
		}
		// Exact two-sided test, b=2, c=0: 2 · P(X ≤ 0), X ~ Bin(2, ½) = 2 · ¼.
		if math.Abs(c.McNemar.P-0.5) > 1e-12 {
			t.Errorf("%s: McNemar p %v, want 0.5", path, c.McNemar.P)
		}
		if c.Cases != 4 {
			t.Errorf("%s: %d cases in both, want 4", path, c.Cases)
		}
	}
}

func TestEvalMetricsBadInput(t *testing.T) {
	s, _ := metricsServer(t)
	for _, tc := range []struct {
		path   string
		status int
		field  string
	}{
		{"/api/eval-runs/nope/metrics", http.StatusNotFound, ""},
		{"/api/eval-runs/nope/compare?target_a=0&target_b=1", http.StatusNotFound, ""},
		{"/api/eval-runs/run-a/compare?target_a=0&target_b=1&other=nope", http.StatusNotFound, ""},
		{"/api/eval-runs/run-a/compare?target_a=5&target_b=1", http.StatusUnprocessableEntity, "query.target_a"},
		{"/api/eval-runs/run-a/compare?target_a=0&target_b=9", http.StatusUnprocessableEntity, "query.target_b"},
		{"/api/eval-runs/run-a/compare?target_a=-1&target_b=0", http.StatusUnprocessableEntity, "query.target_a"},
		{"/api/eval-runs/run-a/compare?target_a=0&target_b=1&other=run-c", http.StatusUnprocessableEntity, "query.other"},
		{"/api/eval-runs/BAD%20ID/metrics", http.StatusUnprocessableEntity, "path.id"},
	} {
		r := s.do(t, http.MethodGet, tc.path, nil)
		if r.status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.path, r.status, r.body, tc.status)
			continue
		}
		if tc.field != "" && !json.Valid(r.body) {
			t.Errorf("%s: not JSON: %s", tc.path, r.body)
		}
		if tc.field != "" && !containsLocation(r.body, tc.field) {
			t.Errorf("%s: the problem does not name %s: %s", tc.path, tc.field, r.body)
		}
	}
}

func containsLocation(body []byte, loc string) bool {
	var p struct {
		Errors []struct {
			Location string `json:"location"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &p) != nil {
		return false
	}
	for _, e := range p.Errors {
		if e.Location == loc {
			return true
		}
	}
	return false
}
