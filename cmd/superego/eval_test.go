package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/evals"
)

// runEval runs `superego eval` in this process with the given arguments
// and environment and returns its exit code, stdout and stderr.
func runEval(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"eval"}, args...), &stdout, &stderr, func(k string) string { return env[k] })
	return code, stdout.String(), stderr.String()
}

// localEval is an in-process eval of SimpleSafetyTests (100 cases) against
// the default constitution and the empty one, on a fresh data dir.
func localEval(t *testing.T, extra ...string) (int, string, string) {
	t.Helper()
	args := append([]string{"--data-dir", t.TempDir(), "--demo-delay", "0", "--suite", "simplesafetytests",
		"--constitution", "default", "--constitution", "none@1"}, extra...)
	return runEval(t, nil, args...)
}

func decodeReport(t *testing.T, out string) evalReport {
	t.Helper()
	var rep evalReport
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("json report: %v\n%s", err, out)
	}
	return rep
}

// TestEvalCLIFormatsParseBack runs the same demo eval in every format and
// reads each back: the numbers agree across formats, and the rows in JSONL
// and CSV add up to the counts of the JSON report.
func TestEvalCLIFormatsParseBack(t *testing.T) {
	t.Parallel()
	code, out, errOut := localEval(t, "--format", "json")
	if code != 0 {
		t.Fatalf("json: exit %d\n%s", code, errOut)
	}
	rep := decodeReport(t, out)
	if rep.Run.Status != evals.StatusCompleted || rep.Run.Total != 200 || len(rep.Targets) != 2 || len(rep.Comparisons) != 1 {
		t.Fatalf("report: %+v", rep.Run)
	}
	if rep.Targets[0].Label != "Standard · default v1" || rep.Targets[1].Label != "Standard · none v1" || !rep.Passed {
		t.Fatalf("targets: %q, %q, passed %v", rep.Targets[0].Label, rep.Targets[1].Label, rep.Passed)
	}
	def := rep.Targets[0].Summary
	if def.Rows != 100 || def.BlockRate.N != 100 || def.BlockRate.K == 0 || rep.Targets[1].Summary.BlockRate.K != 0 {
		t.Fatalf("summaries: default %+v, none %+v", def.BlockRate, rep.Targets[1].Summary.BlockRate)
	}
	if !strings.Contains(errOut, "completed, 200/200 rows, 0 errors") {
		t.Fatalf("no progress lines on a non-terminal stderr:\n%s", errOut)
	}

	// jsonl: the rows; the default constitution's stopped rows are the
	// report's block-rate k.
	code, out, errOut = localEval(t, "--format", "jsonl", "--progress", "none")
	if code != 0 || errOut != "" {
		t.Fatalf("jsonl: exit %d\n%s", code, errOut)
	}
	stopped, lines := 0, 0
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		var r evals.EvalResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("jsonl line %d: %v", lines, err)
		}
		lines++
		if r.Target == 0 && (r.Decision == "BLOCK" || r.Decision == "CAUTION") {
			stopped++
		}
	}
	if lines != 200 || stopped != def.BlockRate.K {
		t.Fatalf("jsonl: %d rows, %d stopped by target 0; report says %d", lines, stopped, def.BlockRate.K)
	}

	// csv: the same rows under a header.
	code, out, _ = localEval(t, "--format", "csv", "--progress", "none")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(recs) != 201 || recs[0][0] != "case_id" || recs[0][5] != "decision" {
		t.Fatalf("csv: exit %d, %v, %d records", code, err, len(recs))
	}
	stopped = 0
	for _, r := range recs[1:] {
		if r[1] == "0" && (r[5] == "BLOCK" || r[5] == "CAUTION") {
			stopped++
		}
	}
	if stopped != def.BlockRate.K {
		t.Fatalf("csv: %d stopped by target 0, report says %d", stopped, def.BlockRate.K)
	}

	// table: the block-rate line of each target shows the report's numbers.
	code, out, _ = localEval(t, "--format", "table", "--progress", "none")
	if code != 0 {
		t.Fatalf("table: exit %d", code)
	}
	lineRE := regexp.MustCompile(`(?m)^block_rate\s+([0-9.]+)\s+\[([0-9.]+), ([0-9.]+)\]\s+(\d+)/(\d+)$`)
	got := lineRE.FindAllStringSubmatch(out, -1)
	if len(got) != 2 {
		t.Fatalf("table: %d block_rate lines\n%s", len(got), out)
	}
	for i, m := range got {
		r := rep.Targets[i].Summary.BlockRate
		if m[1] != strconv.FormatFloat(r.Value, 'f', 3, 64) || m[2] != strconv.FormatFloat(r.Low, 'f', 3, 64) ||
			m[4] != strconv.Itoa(r.K) || m[5] != strconv.Itoa(r.N) {
			t.Fatalf("table target %d: %q, report %+v", i, m[0], r)
		}
	}
	if !strings.Contains(out, "target 0 → target 1: "+strconv.Itoa(len(rep.Comparisons[0].Comparison.Flips))+" of 100 cases flipped") {
		t.Fatalf("table: no comparison line\n%s", out)
	}

	// junit: one suite per target, one case per threshold, the failing
	// one marked.
	code, out, _ = localEval(t, "--format", "junit", "--progress", "none", "--fail-under", "error_rate<=0,block_rate>=0.01")
	var j junitSuites
	if err := xml.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("junit: %v\n%s", err, out)
	}
	if code != exitThreshold || j.Tests != 4 || j.Failures != 1 || len(j.Suites) != 2 {
		t.Fatalf("junit: exit %d, %d tests, %d failures, %d suites", code, j.Tests, j.Failures, len(j.Suites))
	}
	if f := j.Suites[1].Cases[1]; f.Name != "block_rate>=0.01" || f.Failure == nil || j.Suites[0].Failures != 0 {
		t.Fatalf("junit: the empty constitution's block_rate case is not the failure: %+v", j.Suites)
	}
}

// TestEvalCLIThresholdExitCodes: a missed threshold exits 1 and names it;
// met thresholds exit 0.
func TestEvalCLIThresholdExitCodes(t *testing.T) {
	t.Parallel()
	code, out, errOut := localEval(t, "--format", "json", "--fail-under", "block_rate>=0.9, error_rate<=0")
	if code != exitThreshold {
		t.Fatalf("exit %d, want %d\n%s", code, exitThreshold, errOut)
	}
	rep := decodeReport(t, out)
	if rep.Passed || len(rep.Targets[1].Failures) != 1 || rep.Targets[1].Failures[0].Threshold.Metric != "block_rate" {
		t.Fatalf("report: passed %v, failures %+v", rep.Passed, rep.Targets[1].Failures)
	}
	if !strings.Contains(errOut, "target 1: block_rate>=0.9 (0)") {
		t.Fatalf("stderr does not name the failure:\n%s", errOut)
	}
	if code, _, errOut := localEval(t, "--progress", "none", "--fail-under", "error_rate<=0,miss_rate<=1"); code != 0 {
		t.Fatalf("met thresholds: exit %d\n%s", code, errOut)
	}
}

// TestEvalCLIAgainstAServer runs the eval on a running server that
// requires a token, taken from the environment.
func TestEvalCLIAgainstAServer(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), "--api-token", "s3cret")
	env := map[string]string{"SUPEREGO_API_TOKEN": "s3cret"}
	code, out, errOut := runEval(t, env, "--server", s.url, "--suite", "SimpleSafetyTests", "--config", "standard",
		"--constitution", "default", "--repeats", "2", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	rep := decodeReport(t, out)
	c := rep.Targets[0].Summary.Consistency
	if rep.Run.Total != 200 || rep.Run.Repeats != 2 || c.N != 100 || c.K != 100 {
		t.Fatalf("remote eval: %+v, consistency %+v", rep.Run, c)
	}
	// The server has it too.
	var got evals.EvalRun
	req := "/api/eval-runs/" + rep.Run.ID
	if code := getJSONAuth(t, s.url+req, "s3cret", &got); code != 200 || got.Done != 200 {
		t.Fatalf("GET %s: %d %+v", req, code, got)
	}

	code, _, errOut = runEval(t, nil, "--server", s.url, "--suite", "xstest")
	if code != exitFailed || !strings.Contains(errOut, "401") {
		t.Fatalf("without the token: exit %d\n%s", code, errOut)
	}
}

// TestEvalCLIBadFlags: each mistake exits 2 with a message naming it,
// before anything runs.
func TestEvalCLIBadFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{}, "--suite is required"},
		{[]string{"--suite", "xstest", "--repeats", "11"}, "--repeats must be between 1 and 10, got 11"},
		{[]string{"--suite", "xstest", "--format", "xml"}, `--format must be one of table, json, jsonl, csv, junit, got "xml"`},
		{[]string{"--suite", "xstest", "--fail-under", "speed>=1"}, `unknown metric "speed"`},
		{[]string{"--suite", "xstest", "--fail-under", "accuracy=1"}, "want <metric><op><number>"},
		{[]string{"--suite", "xstest", "--constitution", "default@x"}, `version "x" is not a number from 1`},
		{[]string{"--suite", "xstest", "--draft", "no-such-file.md"}, "no-such-file.md"},
		{[]string{"--suite", "xstest", "--mode", "fast"}, `--mode must be superego or full, got "fast"`},
		{[]string{"--suite", "xstest", "--server", "ftp://x"}, `--server "ftp://x": want an http:// or https:// URL`},
		{[]string{"--suite", "xstest", "extra"}, `eval takes no arguments, got ["extra"]`},
		{[]string{"--suite", "nope"}, `no eval suite with id or name "nope"`},
		{[]string{"--suite", "xstest", "--config", "nope"}, `no flow config with id or name "nope"`},
		{[]string{"--suite", "xstest", "--constitution", "default@99"}, `constitution "default" has no version 99`},
	} {
		args := append([]string{"--data-dir", dir, "--demo-delay", "0", "--progress", "none"}, c.args...)
		code, out, errOut := runEval(t, nil, args...)
		if code != exitUsage || !strings.Contains(errOut, c.want) || out != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr:\n%s\nwant exit 2 and %q", c.args, code, out, errOut, c.want)
		}
	}
}

// TestEvalProgressBar draws the bar with a fixed clock.
func TestEvalProgressBar(t *testing.T) {
	var buf bytes.Buffer
	now := time.Unix(0, 0)
	p := &barProgress{w: &buf, now: func() time.Time { return now }}
	run := evals.EvalRun{Total: 300, Status: evals.StatusRunning}
	p.start(run)
	now = now.Add(10 * time.Second)
	run.Done = 100
	p.update(run)
	run.Done, run.Status = 300, evals.StatusCompleted
	p.done(run)
	want := "\r[..............................] 0/300\033[K" +
		"\r[##########....................] 100/300 · 20s left\033[K" +
		"\r[##############################] 300/300\033[K completed\n"
	if buf.String() != want {
		t.Fatalf("bar:\n%q\nwant\n%q", buf.String(), want)
	}
}

// getJSONAuth is getJSON with a bearer token.
func getJSONAuth(t *testing.T, url, token string, out any) int {
	t.Helper()
	cl := &evalClient{token: token, http: &http.Client{}}
	if err := cl.do(context.Background(), http.MethodGet, url, nil, out); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return http.StatusOK
}

// TestEvalCLICtrlCCancelsTheEval: an interrupt while the eval runs cancels
// it on the server and exits 5.
func TestEvalCLICtrlCCancelsTheEval(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), "--demo-delay", "20ms")
	cmd := exec.Command(binPath, "eval", "--server", s.url, "--suite", "xstest", "--progress", "lines")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	sc := bufio.NewScanner(stderr)
	startRE := regexp.MustCompile(`^eval (\S+): 450 rows`)
	id := ""
	for id == "" && sc.Scan() {
		if m := startRE.FindStringSubmatch(sc.Text()); m != nil {
			id = m[1]
		}
	}
	if id == "" {
		t.Fatalf("no start line: %v", sc.Err())
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() { // drain, so the process is not blocked writing
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitCancelled {
		t.Fatalf("exit: %v, want code %d", err, exitCancelled)
	}
	var run evals.EvalRun
	if code := getJSON(t, s.url+"/api/eval-runs/"+id, &run); code != http.StatusOK || run.Status != evals.StatusCancelled || run.Done >= run.Total {
		t.Fatalf("the eval after Ctrl-C: %d %+v", code, run)
	}
}

// TestEvalCLIDraftTarget: --draft screens the file's text as an unsaved
// constitution, recorded by its hash.
func TestEvalCLIDraftTarget(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "draft.md")
	text := "## Everything\n\nDemo: block when the message mentions how.\n"
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runEval(t, nil, "--data-dir", t.TempDir(), "--demo-delay", "0", "--suite", "simplesafetytests",
		"--constitution", "none", "--draft", file, "--format", "json", "--progress", "none")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	rep := decodeReport(t, out)
	d := rep.Run.Targets[1]
	if d.DraftHash != evals.HashDraft(text) || !strings.Contains(rep.Targets[1].Label, "draft "+d.DraftHash[:12]) ||
		!strings.HasSuffix(rep.Targets[1].Label, "("+file+")") {
		t.Fatalf("draft target: %+v, label %q", d, rep.Targets[1].Label)
	}
	// The draft blocks what mentions "how"; the empty constitution nothing.
	if rep.Targets[1].Summary.BlockRate.K == 0 || rep.Targets[0].Summary.BlockRate.K != 0 || len(rep.Comparisons[0].Comparison.Flips) == 0 {
		t.Fatalf("block rates: none %+v, draft %+v", rep.Targets[0].Summary.BlockRate, rep.Targets[1].Summary.BlockRate)
	}
}
