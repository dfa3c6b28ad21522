package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/evals/evalsql"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
)

// RunChunk is the job code: it screens every row of chunk n of an eval run
// that is not stored yet and stores it. A finished or cancelled run makes
// it return at once; the run's cancellation ends it within one upstream
// event. It may run any number of times, on any process.
func (r *Runner) RunChunk(ctx context.Context, runID string, n int) error {
	run, err := r.db.GetRun(ctx, runID)
	if err != nil {
		return err
	}
	if evals.Finished(run.Status) {
		return nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	c := &chunkCtx{cancel: cancel}
	r.track(runID, c, true)
	defer r.track(runID, c, false)
	// A cancel that landed between the read above and track is seen here.
	if run, err = r.db.GetRun(ctx, runID); err != nil || evals.Finished(run.Status) {
		return err
	}
	if ok, err := r.db.SetStatus(ctx, runID, evals.StatusRunning, "", evals.StatusQueued); err != nil {
		return err
	} else if ok {
		run.Status = evals.StatusRunning
		r.announce(ctx, run, events.ActionUpdated)
	}

	cases, err := r.casesOf(ctx, run)
	if err != nil {
		return err
	}
	from := n * r.cfg.ChunkCases
	to := min(from+r.cfg.ChunkCases, len(cases))
	if from >= to {
		return nil
	}
	targets, err := r.resolve(ctx, run)
	if err != nil {
		return r.fail(ctx, run, err)
	}
	done, err := r.db.DoneRows(ctx, runID, int64(from), int64(to))
	if err != nil {
		return err
	}
	for i := from; i < to; i++ {
		for ti := range run.Targets {
			for rep := range run.Repeats {
				if done[evalsql.RowKey{CaseID: cases[i].ID, Target: ti, Repeat: rep}] {
					continue
				}
				x, err := r.row(ctx, run, targets[ti], ti, rep, cases[i], int64(i))
				if err != nil {
					if errors.Is(context.Cause(ctx), ErrCancelled) {
						return nil
					}
					return err
				}
				if err := r.store(ctx, run, x); err != nil {
					return err
				}
			}
		}
	}
	return r.completeIfDone(ctx, runID)
}

// completeIfDone marks a run completed once all its rows are stored, for a
// process that stopped between the last row and its status.
func (r *Runner) completeIfDone(ctx context.Context, runID string) error {
	run, err := r.db.GetRun(ctx, runID)
	if err != nil || run.Done < run.Total || evals.Finished(run.Status) {
		return err
	}
	if ok, err := r.db.SetStatus(ctx, runID, evals.StatusCompleted, "", evals.StatusRunning, evals.StatusQueued); err != nil || !ok {
		return err
	}
	run.Status = evals.StatusCompleted
	r.announce(ctx, run, events.ActionUpdated)
	return nil
}

// track registers a running chunk so Cancel can stop it.
func (r *Runner) track(runID string, c *chunkCtx, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if on {
		if r.active[runID] == nil {
			r.active[runID] = map[*chunkCtx]struct{}{}
		}
		r.active[runID][c] = struct{}{}
		return
	}
	delete(r.active[runID], c)
	if len(r.active[runID]) == 0 {
		delete(r.active, runID)
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

// casesOf returns the cases the run screens: those of the suite version it
// is on (read once per process), only its CaseIDs when it has some, in the
// suite's order.
func (r *Runner) casesOf(ctx context.Context, run evals.EvalRun) ([]evals.EvalCase, error) {
	cases, err := r.suiteCases(ctx, run.SuiteID, run.SuiteVersion)
	if err != nil || len(run.CaseIDs) == 0 {
		return cases, err
	}
	want := make(map[string]bool, len(run.CaseIDs))
	for _, id := range run.CaseIDs {
		want[id] = true
	}
	var out []evals.EvalCase
	for _, c := range cases {
		if want[c.ID] {
			out = append(out, c)
		}
	}
	return out, nil
}

func (r *Runner) suiteCases(ctx context.Context, suiteID string, version int) ([]evals.EvalCase, error) {
	key := fmt.Sprintf("%s@%d", suiteID, version)
	r.mu.Lock()
	cases, ok := r.cases[key]
	r.mu.Unlock()
	if ok {
		return cases, nil
	}
	cases, err := r.db.Cases(ctx, suiteID, version)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.cases[key] = cases
	r.mu.Unlock()
	return cases, nil
}

// resolve loads every target of a run for screening.
func (r *Runner) resolve(ctx context.Context, run evals.EvalRun) ([]*engine.ScreenTarget, error) {
	out := make([]*engine.ScreenTarget, len(run.Targets))
	for i, t := range run.Targets {
		var c *model.Constitution
		switch {
		case t.Draft != "":
			c = &model.Constitution{Content: t.Draft}
		case t.ConstitutionID != "":
			v, err := r.st.GetConstitutionVersion(ctx, t.ConstitutionID, t.ConstitutionVersion)
			if err != nil {
				return nil, fmt.Errorf("target %d: constitution %s@%d: %w", i, t.ConstitutionID, t.ConstitutionVersion, err)
			}
			c = &model.Constitution{Meta: model.Meta{ID: v.ConstitutionID, Version: v.Version}, Name: v.Name, Content: v.Content}
		}
		st, err := r.eng.ResolveTarget(ctx, t.FlowConfigID, c)
		if err != nil {
			return nil, fmt.Errorf("target %d: flow config %s: %w", i, t.FlowConfigID, err)
		}
		out[i] = st
	}
	return out, nil
}

// fail ends a run that cannot go on (a target's config or constitution is
// gone).
func (r *Runner) fail(ctx context.Context, run evals.EvalRun, err error) error {
	if _, serr := r.db.SetStatus(context.WithoutCancel(ctx), run.ID, evals.StatusFailed, err.Error(), evals.StatusQueued, evals.StatusRunning); serr != nil {
		return serr
	}
	run.Status = evals.StatusFailed
	r.announce(ctx, run, events.ActionUpdated)
	return nil
}

// row screens one case for one target and repeat, retrying upstream
// errors with backoff; a row that still fails is an ERROR row. Only the
// end of ctx is an error.
func (r *Runner) row(ctx context.Context, run evals.EvalRun, t *engine.ScreenTarget, ti, rep int, c evals.EvalCase, pos int64) (evals.EvalResult, error) {
	earlier := make([]llm.Message, len(c.Turns))
	for i, tu := range c.Turns {
		earlier[i] = llm.Message{Role: tu.Role, Content: tu.Content}
	}
	x := evals.EvalResult{EvalRunID: run.ID, CaseID: c.ID, Target: ti, Repeat: rep, Position: pos, Input: c.Input,
		Category: c.Category, Expected: c.Expected, DraftHash: run.Targets[ti].DraftHash}
	if x.DraftHash == "" {
		con := t.Constitution()
		x.ConstitutionID, x.ConstitutionVersion = con.ID, con.Version
	}
	wait := r.cfg.Backoff
	for attempt := 1; ; attempt++ {
		s, err := r.eng.Screen(ctx, t, earlier, c.Input, run.Mode == evals.ModeFull)
		x.Attempts = attempt
		if ctx.Err() != nil {
			return x, context.Cause(ctx)
		}
		x.Decision, x.Reason, x.CitedSection, x.Thinking, x.Visible, x.Answer = s.Decision, s.Reason, s.Section, s.Thinking, s.Visible, s.Answer
		x.Model, x.Usage, x.LatencyMs = s.Model, x.Usage.Add(s.Usage), s.Latency.Milliseconds()
		x.SuperegoParams, x.AssistantParams = s.SuperegoParams, s.AssistantParams
		x.OutputDecision, x.OutputReason, x.OutputSection, x.Withdrawn = "", "", "", false
		if o := s.Output; o != nil {
			x.OutputDecision, x.OutputReason, x.OutputSection, x.Withdrawn = o.Decision, o.Reason, o.Section, o.Withdrawn
		}
		if err == nil {
			return x, nil
		}
		if attempt >= r.cfg.Attempts {
			x.Decision, x.Error = model.DecisionError, err.Error()
			return x, nil
		}
		select {
		case <-ctx.Done():
			return x, context.Cause(ctx)
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// store writes a row and reports progress; the last row completes the run.
func (r *Runner) store(ctx context.Context, run evals.EvalRun, x evals.EvalResult) error {
	x.FinishedAt = time.Now()
	_, done, errs, err := r.db.InsertResult(context.WithoutCancel(ctx), x)
	if err != nil {
		return err
	}
	run.Done, run.Errors = done, errs
	if done >= run.Total {
		if ok, err := r.db.SetStatus(context.WithoutCancel(ctx), run.ID, evals.StatusCompleted, "", evals.StatusRunning, evals.StatusQueued); err != nil {
			return err
		} else if ok {
			run.Status = evals.StatusCompleted
			r.announce(ctx, run, events.ActionUpdated)
		}
		return nil
	}
	if r.due(run.ID) {
		r.announce(ctx, run, events.ActionUpdated)
	}
	return nil
}

// due reports whether a progress notice for a run is due now, spacing them
// by ProgressEvery so ten thousand rows do not flood every client.
func (r *Runner) due(runID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if now.Sub(r.progress[runID]) < r.cfg.ProgressEvery {
		return false
	}
	r.progress[runID] = now
	return true
}
