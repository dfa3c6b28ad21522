package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/store/postgres/pgtest"
)

// evalRequest is a demo eval of XSTest with two targets.
var evalRequest = map[string]any{"suite_id": "xstest", "repeats": 1, "targets": []map[string]any{
	{"flow_config_id": "standard"}, {"flow_config_id": "standard", "constitution_id": "none"}}}

// followEval reads GET /api/eval-runs/{id}/events until stop says so or
// the stream ends, and returns the last progress seen.
func followEval(t *testing.T, ctx context.Context, s *server, id string, stop func(evals.EvalRun) bool) evals.EvalRun {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/api/eval-runs/"+id+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var last evals.EvalRun
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			event = v
		}
		if v, ok := strings.CutPrefix(line, "data: "); ok && event == "progress" {
			if err := json.Unmarshal([]byte(v), &last); err != nil {
				t.Fatal(err)
			}
			if stop(last) {
				return last
			}
		}
	}
	return last
}

// checkRows pages through an eval's rows and fails on a missing or
// doubled row.
func checkRows(t *testing.T, s *server, run evals.EvalRun) {
	t.Helper()
	seen := map[string]bool{}
	seqs := map[int64]bool{}
	for cursor := ""; ; {
		var page struct {
			Items      []evals.EvalResult `json:"items"`
			NextCursor string             `json:"next_cursor"`
		}
		if code := getJSON(t, s.url+"/api/eval-runs/"+run.ID+"/results?limit=200&cursor="+cursor, &page); code != http.StatusOK {
			t.Fatalf("results: %d", code)
		}
		for _, x := range page.Items {
			k := fmt.Sprintf("%s/%d/%d", x.CaseID, x.Target, x.Repeat)
			if seen[k] || seqs[x.Seq] {
				t.Fatalf("row %s (seq %d) twice", k, x.Seq)
			}
			seen[k], seqs[x.Seq] = true, true
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(seen) != run.Total {
		t.Fatalf("%d rows, want %d", len(seen), run.Total)
	}
}

// TestEvalSurvivesKill9 kills the server (SIGKILL) mid-eval and starts it
// again on the same SQLite data dir: the eval finishes with every row once.
func TestEvalSurvivesKill9(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute) // safety net only
	defer cancel()
	dir := t.TempDir()
	a := startServer(t, dir, "--demo-delay", "1ms")
	var run evals.EvalRun
	postJSON(t, a.url+"/api/eval-runs", evalRequest, &run)
	mid := followEval(t, ctx, a, run.ID, func(r evals.EvalRun) bool { return r.Done >= 40 })
	if mid.Done < 40 || evals.Finished(mid.Status) {
		t.Fatalf("eval before the kill: %+v", mid)
	}
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-a.exited

	b := startServer(t, dir, "--demo-delay", "0")
	end := followEval(t, ctx, b, run.ID, func(r evals.EvalRun) bool { return evals.Finished(r.Status) })
	if end.Status != evals.StatusCompleted || end.Done != end.Total || end.Total != 900 {
		t.Fatalf("eval after the restart: %+v", end)
	}
	checkRows(t, b, end)
}

// TestEvalFinishesWhenOneReplicaDies runs an eval on two replicas sharing
// PostgreSQL and kills one (SIGKILL) mid-eval: the other finishes it, with
// every row once.
func TestEvalFinishesWhenOneReplicaDies(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute) // safety net only
	defer cancel()
	args := []string{"--database-url", url, "--demo-delay", "1ms", "--eval-job-timeout", "5s"}
	a := startServer(t, t.TempDir(), args...)
	b := startServer(t, t.TempDir(), args...)
	var run evals.EvalRun
	postJSON(t, a.url+"/api/eval-runs", evalRequest, &run)
	mid := followEval(t, ctx, b, run.ID, func(r evals.EvalRun) bool { return r.Done >= 40 })
	if evals.Finished(mid.Status) {
		t.Fatalf("eval finished before the kill: %+v", mid)
	}
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-a.exited
	end := followEval(t, ctx, b, run.ID, func(r evals.EvalRun) bool { return evals.Finished(r.Status) })
	if end.Status != evals.StatusCompleted || end.Done != end.Total {
		t.Fatalf("eval after the kill: %+v\n%s", end, b.log())
	}
	checkRows(t, b, end)
}
