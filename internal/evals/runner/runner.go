// Package runner runs evals: it checks and stores a new eval run, splits it
// into chunks of cases, and has a queue work them off — River on
// PostgreSQL, so an eval spreads over every replica and survives any of
// them dying; an in-process pool on SQLite. A chunk's job code is the same
// on both: it screens every (case, target, repeat) row of its cases that
// is not stored yet, and stores each row once (the table's primary key
// refuses a second), so a restarted or re-delivered chunk never does a
// stored row twice and never loses one.
package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/evals/evalsql"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// Config tunes the runner. Zero fields take defaults.
type Config struct {
	// ChunkCases is how many cases one job covers (every target and
	// repeat of each).
	ChunkCases int
	// Workers is how many chunks this process works on at once.
	Workers int
	// Attempts is how many times a row's upstream call is tried.
	Attempts int
	// Backoff is the wait before the second attempt; it doubles after.
	Backoff time.Duration
	// ProgressEvery spaces the resource_changed notices of one eval run.
	ProgressEvery time.Duration
}

func (c Config) withDefaults() Config {
	if c.ChunkCases <= 0 {
		c.ChunkCases = 10
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.Attempts <= 0 {
		c.Attempts = 3
	}
	if c.Backoff <= 0 {
		c.Backoff = 500 * time.Millisecond
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = 200 * time.Millisecond
	}
	return c
}

// Queue delivers chunks to some process's Runner.RunChunk, at least once.
type Queue interface {
	// Enqueue schedules chunks 0..n-1 of an eval run.
	Enqueue(ctx context.Context, runID string, n int) error
	// EnqueueAttribution schedules chunks 0..n-1 of an attribution.
	EnqueueAttribution(ctx context.Context, id string, n int) error
}

// Runner starts, runs and cancels evals.
type Runner struct {
	db    *evalsql.DB
	st    store.Store
	eng   *engine.Engine
	bus   events.Bus
	log   *slog.Logger
	cfg   Config
	queue Queue

	mu       sync.Mutex
	active   map[string]map[*chunkCtx]struct{} // running chunks by eval run
	changed  chan struct{}                     // closed and replaced when a chunk ends
	progress map[string]time.Time              // last notice per eval run
	cases    map[string][]evals.EvalCase       // "suite@version" → cases
}

type chunkCtx struct{ cancel context.CancelCauseFunc }

// New returns a runner. Set its queue with SetQueue before Start.
func New(db *evalsql.DB, st store.Store, eng *engine.Engine, bus events.Bus, log *slog.Logger, cfg Config) *Runner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Runner{db: db, st: st, eng: eng, bus: bus, log: log, cfg: cfg.withDefaults(),
		active: map[string]map[*chunkCtx]struct{}{}, changed: make(chan struct{}), progress: map[string]time.Time{}, cases: map[string][]evals.EvalCase{}}
}

// SetQueue sets the queue chunks go to.
func (r *Runner) SetQueue(q Queue) { r.queue = q }

// Workers is the configured number of concurrent chunks.
func (r *Runner) Workers() int { return r.cfg.Workers }

// Start checks a request, stores the eval run and queues its chunks. Bad
// input is an *evals.FieldError naming the field.
func (r *Runner) Start(ctx context.Context, req evals.EvalRunRequest) (evals.EvalRun, error) {
	run, err := r.prepare(ctx, req)
	if err != nil {
		return run, err
	}
	if run, err = r.db.CreateRun(ctx, run); err != nil {
		return run, err
	}
	r.announce(ctx, run, events.ActionCreated)
	if err := r.queue.Enqueue(ctx, run.ID, r.chunks(run)); err != nil {
		_, _ = r.db.SetStatus(context.WithoutCancel(ctx), run.ID, evals.StatusFailed, "could not queue: "+err.Error(), evals.StatusQueued)
		return run, err
	}
	return run, nil
}

// prepare validates a request and pins every target's constitution to a
// version, so that a restarted eval screens against the same text.
func (r *Runner) prepare(ctx context.Context, req evals.EvalRunRequest) (evals.EvalRun, error) {
	bad := func(field, format string, args ...any) (evals.EvalRun, error) {
		return evals.EvalRun{}, &evals.FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
	}
	switch {
	case req.Repeats < evals.MinRepeats || req.Repeats > evals.MaxRepeats:
		return bad("repeats", "must be between %d and %d, got %d", evals.MinRepeats, evals.MaxRepeats, req.Repeats)
	case req.Mode != evals.ModeSuperego && req.Mode != evals.ModeFull:
		return bad("mode", "must be superego or full, got %q", req.Mode)
	case len(req.Targets) == 0 || len(req.Targets) > evals.MaxTargets:
		return bad("targets", "give 1 to %d targets, got %d", evals.MaxTargets, len(req.Targets))
	}
	suite, err := r.db.GetSuite(ctx, req.SuiteID)
	if errors.Is(err, store.ErrNotFound) {
		return bad("suite_id", "eval suite %q does not exist", req.SuiteID)
	} else if err != nil {
		return evals.EvalRun{}, err
	}
	if suite.CaseCount == 0 {
		return bad("suite_id", "eval suite %q has no cases", req.SuiteID)
	}
	cases := suite.CaseCount
	caseIDs, err := r.checkCaseIDs(ctx, suite, req.CaseIDs)
	if err != nil {
		return evals.EvalRun{}, err
	}
	if len(caseIDs) > 0 {
		cases = len(caseIDs)
	}
	total := cases * len(req.Targets) * req.Repeats
	if total > evals.MaxRows {
		return bad("repeats", "cases × targets × repeats is %d, more than %d rows", total, evals.MaxRows)
	}
	targets := make([]evals.EvalTarget, len(req.Targets))
	for i, t := range req.Targets {
		if targets[i], err = r.pin(ctx, fmt.Sprintf("targets[%d]", i), t); err != nil {
			return evals.EvalRun{}, err
		}
	}
	return evals.EvalRun{ID: model.NewID(), SuiteID: suite.ID, SuiteVersion: suite.Version, Targets: targets,
		Repeats: req.Repeats, Mode: req.Mode, Total: total, CaseIDs: caseIDs}, nil
}

// checkCaseIDs makes sure each id names a case of the suite's current
// version, once.
func (r *Runner) checkCaseIDs(ctx context.Context, suite evals.EvalSuite, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	cases, err := r.suiteCases(ctx, suite.ID, suite.Version)
	if err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(cases))
	for _, c := range cases {
		known[c.ID] = true
	}
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		field := fmt.Sprintf("case_ids[%d]", i)
		switch {
		case !known[id]:
			return nil, &evals.FieldError{Field: field, Message: fmt.Sprintf("eval suite %q has no case %q", suite.ID, id)}
		case seen[id]:
			return nil, &evals.FieldError{Field: field, Message: fmt.Sprintf("case %q is given twice", id)}
		}
		seen[id] = true
	}
	return ids, nil
}

// pin checks a target's references and fixes its constitution version.
func (r *Runner) pin(ctx context.Context, at string, t evals.EvalTarget) (evals.EvalTarget, error) {
	bad := func(field, format string, args ...any) (evals.EvalTarget, error) {
		return t, &evals.FieldError{Field: at + "." + field, Message: fmt.Sprintf(format, args...)}
	}
	cfg, err := r.st.GetFlowConfig(ctx, t.FlowConfigID)
	if errors.Is(err, store.ErrNotFound) {
		return bad("flow_config_id", "flow config %q does not exist", t.FlowConfigID)
	} else if err != nil {
		return t, err
	}
	switch {
	case t.Draft != "" && t.ConstitutionID != "":
		return bad("draft", "give a draft or a constitution, not both")
	case t.Draft != "":
		if err := evals.ValidateText(at+".draft", t.Draft, 256<<10); err != nil {
			return t, err
		}
		t.DraftHash, t.ConstitutionVersion = evals.HashDraft(t.Draft), 0
		return t, nil
	case t.ConstitutionID == "":
		if !cfg.SuperegoEnabled {
			return t, nil
		}
		t.ConstitutionID = cfg.ConstitutionID
	}
	if t.ConstitutionVersion == 0 {
		c, err := r.st.GetConstitution(ctx, t.ConstitutionID)
		if errors.Is(err, store.ErrNotFound) {
			return bad("constitution_id", "constitution %q does not exist", t.ConstitutionID)
		} else if err != nil {
			return t, err
		}
		t.ConstitutionVersion = c.Version
		return t, nil
	}
	if _, err := r.st.GetConstitutionVersion(ctx, t.ConstitutionID, t.ConstitutionVersion); errors.Is(err, store.ErrNotFound) {
		return bad("constitution_version", "constitution %q has no version %d", t.ConstitutionID, t.ConstitutionVersion)
	} else if err != nil {
		return t, err
	}
	return t, nil
}

// chunks is the number of chunks of an eval run.
func (r *Runner) chunks(run evals.EvalRun) int {
	n := run.Total / (len(run.Targets) * run.Repeats) // cases
	return (n + r.cfg.ChunkCases - 1) / r.cfg.ChunkCases
}

// Cancel stops an eval run: it is marked cancelled, and every process
// working on it hears so and ends its upstream calls at once. Rows already
// stored stay. Cancelling a finished run changes nothing.
func (r *Runner) Cancel(ctx context.Context, id string) (evals.EvalRun, error) {
	if _, err := r.db.SetStatus(ctx, id, evals.StatusCancelled, "cancelled by user", evals.StatusQueued, evals.StatusRunning); err != nil {
		return evals.EvalRun{}, err
	}
	run, err := r.db.GetRun(ctx, id)
	if err != nil {
		return run, err
	}
	r.stopLocal(id)
	r.announce(ctx, run, events.ActionUpdated)
	return run, nil
}

// Follow listens on the bus for eval runs and attributions cancelled by
// other processes and stops their jobs here. It returns when ctx ends.
func (r *Runner) Follow(ctx context.Context) {
	if r.bus == nil {
		return
	}
	ch, unsubscribe := r.bus.Subscribe(256)
	defer unsubscribe()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-ch:
			if !ok {
				return
			}
			cancelled := e.Type == events.TypeResourceChanged && e.Resource == ResourceEvalRun ||
				e.Type == events.TypeAttributionFinished
			if cancelled && e.Status == evals.StatusCancelled {
				r.stopLocal(e.ID)
			}
		}
	}
}

// ErrCancelled is the cause that ends the upstream calls of a cancelled
// eval run.
var ErrCancelled = errors.New("eval run cancelled")

func (r *Runner) stopLocal(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.active[id] {
		c.cancel(ErrCancelled)
	}
}

// ResourceEvalRun is the resource name of eval runs in resource_changed
// events.
const ResourceEvalRun = "eval_run"

// announce publishes an eval run's state (done/total and status).
func (r *Runner) announce(ctx context.Context, run evals.EvalRun, action string) {
	if r.bus == nil {
		return
	}
	e := events.ResourceChanged(ResourceEvalRun, action, run.ID, run.Done)
	e.Status, e.Done, e.Total = run.Status, run.Done, run.Total
	r.bus.Publish(context.WithoutCancel(ctx), e)
}

// Wait returns once no chunk of the eval run is running in this process
// (or ctx ends).
func (r *Runner) Wait(ctx context.Context, runID string) {
	for {
		r.mu.Lock()
		n, ch := len(r.active[runID]), r.changed
		r.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
	}
}
