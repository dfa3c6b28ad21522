package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/evalstats"
	"github.com/superego-lab/superego/internal/httpapi"
)

// Exit codes of `superego eval` (README "Evaluating a constitution"): a CI
// step can tell a failed threshold from a broken run.
const (
	exitThreshold = 1 // the eval ran, and some target missed a --fail-under threshold
	exitUsage     = 2 // bad flags, or a suite, config or constitution that does not exist
	// exitFailed (4): the eval could not start, run or finish; exitCancelled (5): cancelled.
)

// evalFormats are the output formats of `superego eval`.
var evalFormats = []string{"table", "json", "jsonl", "csv", "junit"}

// evalOptions are the flags of `superego eval` besides the server config.
type evalOptions struct {
	suite      string
	config     string
	targets    []targetFlag
	repeats    int
	mode       string
	format     string
	failUnder  string
	server     string
	progress   string
	thresholds []evalstats.Threshold
}

// targetFlag is one --constitution or --draft, in command-line order.
type targetFlag struct {
	constitution string // id or name
	version      int    // 0: the current one
	draftFile    string
	draft        string
}

func (t targetFlag) String() string {
	if t.draftFile != "" {
		return "draft " + t.draftFile
	}
	if t.version > 0 {
		return t.constitution + "@" + strconv.Itoa(t.version)
	}
	return t.constitution
}

// cmdEval runs an eval suite against one or more constitutions and reports
// the numbers, failing with exitThreshold when a target misses a threshold.
func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	err := evalMain(ctx, args, stdout, stderr, getenv)
	var exit *exitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp), errors.As(err, &exit):
		return err
	case ctx.Err() != nil:
		return &exitError{exitCancelled, "cancelled"}
	}
	// Everything else is a run that could not be had: never code 1,
	// which a CI step reads as "the constitution got worse".
	return &exitError{exitFailed, err.Error()}
}

func evalMain(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var o evalOptions
	c, rest, err := parseConfig("eval", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&o.suite, "suite", "", "eval suite id or name, e.g. xstest (required)")
		fs.StringVar(&o.config, "config", "standard", "flow config id or name whose superego is tested")
		fs.Func("constitution", "a target: constitution id or name, optionally @version (repeat for several; default: the config's own)", func(s string) error {
			t, err := parseTargetFlag(s)
			o.targets = append(o.targets, t)
			return err
		})
		fs.Func("draft", "a target: a file whose text is screened as an unsaved constitution draft (repeatable)", func(s string) error {
			b, err := os.ReadFile(s)
			if err != nil {
				return err
			}
			o.targets = append(o.targets, targetFlag{draftFile: s, draft: string(b)})
			return nil
		})
		fs.IntVar(&o.repeats, "repeats", 1, "times each case is screened per target (1-10)")
		fs.StringVar(&o.mode, "mode", evals.ModeSuperego, "superego (the verdict only) or full (the assistant answers too)")
		fs.StringVar(&o.format, "format", "table", "output: "+strings.Join(evalFormats, ", "))
		fs.StringVar(&o.failUnder, "fail-under", "", "thresholds every target must meet, e.g. 'over_refusal<=0.05,block_rate>=0.9'; exit code 1 otherwise")
		fs.StringVar(&o.server, "server", "", "URL of a running server (token from SUPEREGO_API_TOKEN); default: run in this process on the data dir")
		fs.StringVar(&o.progress, "progress", "auto", "progress on stderr: auto (a bar on a terminal, lines otherwise), bar, lines or none")
	})
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitError{exitUsage, err.Error()}
	}
	if err := o.check(rest); err != nil {
		return &exitError{exitUsage, err.Error()}
	}

	client, closeClient, err := connectEval(ctx, c, o.server, stderr)
	if err != nil {
		return err
	}
	defer closeClient()
	rep, err := runEvalReport(ctx, client, o, newProgress(o.progress, stderr))
	if err != nil {
		return err
	}
	if err := writeEvalReport(ctx, stdout, client, o.format, rep); err != nil {
		return err
	}
	if failed := rep.failures(); len(failed) > 0 {
		return &exitError{exitThreshold, "threshold not met: " + strings.Join(failed, "; ")}
	}
	return nil
}

// parseTargetFlag reads "default" or "default@4".
func parseTargetFlag(s string) (targetFlag, error) {
	ref, ver, has := strings.Cut(strings.TrimSpace(s), "@")
	t := targetFlag{constitution: ref}
	if ref == "" {
		return t, errors.New("want a constitution id or name, optionally @version")
	}
	if has {
		n, err := strconv.Atoi(ver)
		if err != nil || n < 1 {
			return t, fmt.Errorf("version %q is not a number from 1", ver)
		}
		t.version = n
	}
	return t, nil
}

// check validates the options and parses the thresholds.
func (o *evalOptions) check(rest []string) error {
	switch {
	case len(rest) > 0:
		return fmt.Errorf("eval takes no arguments, got %q", rest)
	case o.suite == "":
		return errors.New("--suite is required, e.g. --suite xstest")
	case o.config == "":
		return errors.New("--config must name a flow config")
	case o.repeats < evals.MinRepeats || o.repeats > evals.MaxRepeats:
		return fmt.Errorf("--repeats must be between %d and %d, got %d", evals.MinRepeats, evals.MaxRepeats, o.repeats)
	case o.mode != evals.ModeSuperego && o.mode != evals.ModeFull:
		return fmt.Errorf("--mode must be superego or full, got %q", o.mode)
	case !contains(evalFormats, o.format):
		return fmt.Errorf("--format must be one of %s, got %q", strings.Join(evalFormats, ", "), o.format)
	case !contains([]string{"auto", "bar", "lines", "none"}, o.progress):
		return fmt.Errorf("--progress must be auto, bar, lines or none, got %q", o.progress)
	case len(o.targets) > evals.MaxTargets:
		return fmt.Errorf("at most %d targets (--constitution and --draft), got %d", evals.MaxTargets, len(o.targets))
	}
	if o.server != "" {
		u, err := url.Parse(o.server)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--server %q: want an http:// or https:// URL", o.server)
		}
	}
	ts, err := evalstats.ParseThresholds(o.failUnder)
	if err != nil {
		return fmt.Errorf("--fail-under: %w", err)
	}
	o.thresholds = ts
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// connectEval returns a client for a running server, or serves the API
// in this process on the data dir (or database) and returns a client for
// it; closeClient stops whatever was started.
func connectEval(ctx context.Context, c config, server string, stderr io.Writer) (*evalClient, func(), error) {
	if server != "" {
		return &evalClient{base: strings.TrimRight(server, "/"), token: c.APIToken, http: &http.Client{}}, func() {}, nil
	}
	c.LogLevel = "warn"
	log, err := newLogger(c, stderr)
	if err != nil {
		return nil, nil, err
	}
	unlock, err := lockDataDir(c)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (to evaluate on a running server, pass --server)", err)
	}
	// The handler is reached only through in-memory pipes, so it needs
	// no token.
	c.APIToken = ""
	a, err := newApp(ctx, c, log, prometheus.NewRegistry())
	if err != nil {
		unlock()
		return nil, nil, err
	}
	ln := newPipeListener()
	baseCtx, cancelBase := context.WithCancel(context.Background())
	srv := &http.Server{Handler: a.handler, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return baseCtx },
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() { _ = srv.Serve(ln) }()
	stop := func() {
		cancelBase()
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		a.ws.Close()
		a.evals.stop()
		_ = a.engine.Shutdown(sctx)
		a.stopBus()
		a.stopReplicas()
		_ = a.store.Close()
		unlock()
	}
	// The host must be a loopback name: the API's host guard refuses
	// others before any handler.
	return &evalClient{base: "http://127.0.0.1", http: &http.Client{Transport: &http.Transport{DialContext: ln.dial}}}, stop, nil
}

// evalReport is what `superego eval` found: the run, the numbers per
// target, each later target against the first, and the thresholds.
type evalReport struct {
	Run         evals.EvalRun         `json:"eval_run"`
	Suite       string                `json:"suite"`
	Targets     []targetReport        `json:"targets"`
	Comparisons []comparisonReport    `json:"comparisons"`
	Thresholds  []evalstats.Threshold `json:"thresholds"`
	Passed      bool                  `json:"passed"`
}

type targetReport struct {
	Target   int                 `json:"target"`
	Label    string              `json:"label"`
	Summary  evalstats.Summary   `json:"summary"`
	Failures []evalstats.Failure `json:"failures"`
}

type comparisonReport struct {
	A          int                  `json:"a"`
	B          int                  `json:"b"`
	Comparison evalstats.Comparison `json:"comparison"`
}

// failures describes each missed threshold, e.g. "target 1: over_refusal<=0.05 (0.12)".
func (r evalReport) failures() []string {
	var out []string
	for _, t := range r.Targets {
		for _, f := range t.Failures {
			out = append(out, fmt.Sprintf("target %d: %s (%s)", t.Target, f.Threshold, actual(f)))
		}
	}
	return out
}

func actual(f evalstats.Failure) string {
	if !f.Defined {
		return "undefined"
	}
	return strconv.FormatFloat(f.Actual, 'g', 4, 64)
}

// runEvalReport resolves the references, starts the eval, follows it to
// the end and reads its numbers. Ctrl-C cancels the eval on the server.
func runEvalReport(ctx context.Context, cl *evalClient, o evalOptions, p progress) (evalReport, error) {
	var rep evalReport
	suite, err := cl.resolve(ctx, "/api/eval-suites", "eval suite", o.suite)
	if err != nil {
		return rep, err
	}
	cfg, err := cl.resolve(ctx, "/api/flow-configs", "flow config", o.config)
	if err != nil {
		return rep, err
	}
	req := evals.EvalRunRequest{SuiteID: suite.ID, Repeats: o.repeats, Mode: o.mode}
	for _, t := range o.targets {
		et := evals.EvalTarget{FlowConfigID: cfg.ID, Draft: t.draft}
		if t.draftFile == "" {
			k, err := cl.resolve(ctx, "/api/constitutions", "constitution", t.constitution)
			if err != nil {
				return rep, err
			}
			et.ConstitutionID, et.ConstitutionVersion = k.ID, t.version
		}
		req.Targets = append(req.Targets, et)
	}
	if len(req.Targets) == 0 {
		req.Targets = []evals.EvalTarget{{FlowConfigID: cfg.ID}}
	}
	var run evals.EvalRun
	if err := cl.do(ctx, http.MethodPost, "/api/eval-runs", req, &run); err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.Status < 500 {
			return rep, &exitError{exitUsage, "the eval was refused: " + err.Error()}
		}
		return rep, err
	}
	p.start(run)
	end, err := cl.follow(ctx, run.ID, p.update)
	if err != nil {
		if ctx.Err() != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_ = cl.do(cctx, http.MethodPost, "/api/eval-runs/"+run.ID+"/cancel", nil, nil)
			cancel()
			p.done(end)
			return rep, &exitError{exitCancelled, "cancelled eval " + run.ID}
		}
		return rep, err
	}
	p.done(end)
	switch end.Status {
	case evals.StatusCompleted:
	case evals.StatusCancelled:
		return rep, &exitError{exitCancelled, "eval " + run.ID + " was cancelled: " + end.Error}
	default:
		return rep, &exitError{exitFailed, fmt.Sprintf("eval %s ended %s: %s", run.ID, end.Status, end.Error)}
	}
	return readReport(ctx, cl, end, suite, cfg, o)
}

// readReport reads the numbers of a finished eval and checks the thresholds.
func readReport(ctx context.Context, cl *evalClient, run evals.EvalRun, suite, cfg named, o evalOptions) (evalReport, error) {
	rep := evalReport{Run: run, Suite: fmt.Sprintf("%s v%d", suite.ID, run.SuiteVersion), Thresholds: o.thresholds, Passed: true}
	if rep.Thresholds == nil {
		rep.Thresholds = []evalstats.Threshold{}
	}
	var m httpapi.EvalMetrics
	if err := cl.do(ctx, http.MethodGet, "/api/eval-runs/"+run.ID+"/metrics", nil, &m); err != nil {
		return rep, err
	}
	for i, t := range m.Targets {
		label := targetLabel(cfg.Name, run.Targets[t.Target])
		if i < len(o.targets) && o.targets[i].draftFile != "" {
			label += " (" + o.targets[i].draftFile + ")"
		}
		f := evalstats.Check(t.Summary, o.thresholds)
		if f == nil {
			f = []evalstats.Failure{}
		}
		rep.Passed = rep.Passed && len(f) == 0
		rep.Targets = append(rep.Targets, targetReport{Target: t.Target, Label: label, Summary: t.Summary, Failures: f})
	}
	rep.Comparisons = []comparisonReport{}
	for b := 1; b < len(run.Targets); b++ {
		var cmp evalstats.Comparison
		q := fmt.Sprintf("/api/eval-runs/%s/compare?target_a=0&target_b=%d", run.ID, b)
		if err := cl.do(ctx, http.MethodGet, q, nil, &cmp); err != nil {
			return rep, err
		}
		rep.Comparisons = append(rep.Comparisons, comparisonReport{A: 0, B: b, Comparison: cmp})
	}
	return rep, nil
}

// targetLabel names a target: its config and pinned constitution or draft.
func targetLabel(config string, t evals.EvalTarget) string {
	switch {
	case t.DraftHash != "":
		return fmt.Sprintf("%s · draft %.12s", config, t.DraftHash)
	case t.ConstitutionID != "":
		return fmt.Sprintf("%s · %s v%d", config, t.ConstitutionID, t.ConstitutionVersion)
	}
	return config + " · no superego"
}
