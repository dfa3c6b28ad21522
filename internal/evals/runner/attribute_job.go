package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/events"
)

// RunAttribution is the job code of attributions: it explains every item of
// chunk n not finished yet, storing each call as it ends and reporting it
// (attribution_progress). A finished or cancelled attribution makes it
// return at once; a cancel ends the call in flight. It may run any number
// of times, on any process.
func (r *Runner) RunAttribution(ctx context.Context, id string, n int) error {
	a, err := r.db.GetAttribution(ctx, id)
	if err != nil || evals.Finished(a.Status) {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	c := &chunkCtx{cancel: cancel}
	r.track(id, c, true)
	defer r.track(id, c, false)
	if a, err = r.db.GetAttribution(ctx, id); err != nil || evals.Finished(a.Status) {
		return err
	}
	if _, err := r.db.SetAttributionStatus(ctx, id, evals.StatusRunning, "", evals.StatusQueued); err != nil {
		return err
	}
	from, to := n*attributionChunk, (n+1)*attributionChunk
	items, err := r.db.AttributionItems(ctx, id, from, to)
	if err != nil {
		return err
	}
	stored, err := r.db.AttributionCalls(ctx, id, from, to)
	if err != nil {
		return err
	}
	for _, it := range items {
		if it.Finished {
			continue
		}
		req, err := r.ablationRequest(ctx, a, it)
		if err != nil {
			// What the item needs is gone (a deleted message or version):
			// the attribution cannot be finished.
			return r.failAttribution(ctx, a, fmt.Errorf("item %d: %w", it.Item, err))
		}
		req.Done = doneVariants(stored, it.Item)
		req.Background = a.Kind != evals.AttributionMessage
		if err := r.explain(ctx, a, it, req); err != nil {
			if errors.Is(context.Cause(ctx), ErrCancelled) {
				return nil
			}
			return err
		}
	}
	return r.completeAttribution(ctx, id)
}

// explain runs one item's ablation, storing and reporting each call, then
// stores the item's explanation.
func (r *Runner) explain(ctx context.Context, a evals.Attribution, it evals.AttributionItem, req engine.AblationRequest) error {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var storeErr error
	res, err := r.eng.Ablate(ctx, req, func(done, _ int, v engine.AblationVariant) {
		call := evals.AttributionCall{Item: it.Item, Index: done - 1, Kind: v.Kind, SectionID: v.SectionID, Decision: v.Decision,
			Reason: v.Reason, Cited: v.Cited, Thinking: v.Thinking, Visible: v.Visible, Model: v.Model, Usage: v.Usage,
			LatencyMs: v.LatencyMs, Error: v.Error}
		if _, err := r.db.InsertCall(context.WithoutCancel(ctx), a.ID, call); err != nil {
			storeErr = err
			stop(err)
			return
		}
		r.announceCall(ctx, a.ID, call)
	})
	if storeErr != nil {
		return storeErr
	}
	if err != nil {
		return err
	}
	it.Finished, it.Decision, it.Cited, it.CitedID, it.Faithful = true, res.Full.Decision, res.Full.Cited, res.CitedID, res.Faithful
	it.Sections = attributionSections(res.Sections)
	return r.db.FinishItem(context.WithoutCancel(ctx), a.ID, it)
}

// ablationRequest rebuilds what an item's ablation needs: a message's from
// the stored conversation, an eval row's from its run's pinned target and
// its case.
func (r *Runner) ablationRequest(ctx context.Context, a evals.Attribution, it evals.AttributionItem) (engine.AblationRequest, error) {
	if a.Kind == evals.AttributionMessage {
		req, _, err := r.eng.PrepareAblation(ctx, it.Ref, a.Alone)
		return req, err
	}
	run, err := r.db.GetRun(ctx, a.EvalRunID)
	if err != nil {
		return engine.AblationRequest{}, err
	}
	if it.Target < 0 || it.Target >= len(run.Targets) {
		return engine.AblationRequest{}, fmt.Errorf("eval run %s has no target %d", run.ID, it.Target)
	}
	texts, err := r.targetTexts(ctx, run)
	if err != nil {
		return engine.AblationRequest{}, err
	}
	cases, err := r.caseMap(ctx, run)
	if err != nil {
		return engine.AblationRequest{}, err
	}
	return engine.AblationRequest{FlowConfigID: it.FlowConfigID, Constitution: texts[it.Target],
		Earlier: earlierOf(cases[it.Ref]), Input: it.Input, Alone: a.Alone}, nil
}

// doneVariants is an item's stored calls, in order, as far as they run
// without a gap.
func doneVariants(calls []evals.AttributionCall, item int) []engine.AblationVariant {
	var out []engine.AblationVariant
	for _, c := range calls {
		if c.Item != item {
			continue
		}
		if c.Index != len(out) {
			break
		}
		out = append(out, engine.AblationVariant{Kind: c.Kind, SectionID: c.SectionID, Decision: c.Decision, Reason: c.Reason,
			Cited: c.Cited, Thinking: c.Thinking, Visible: c.Visible, Usage: c.Usage, Error: c.Error, Model: c.Model, LatencyMs: c.LatencyMs})
	}
	return out
}

// completeAttribution marks an attribution completed once every item is
// finished.
func (r *Runner) completeAttribution(ctx context.Context, id string) error {
	a, err := r.db.GetAttribution(ctx, id)
	if err != nil || a.ItemsDone < a.Items || evals.Finished(a.Status) {
		return err
	}
	if ok, err := r.db.SetAttributionStatus(ctx, id, evals.StatusCompleted, "", evals.StatusRunning, evals.StatusQueued); err != nil || !ok {
		return err
	}
	a.Status = evals.StatusCompleted
	r.announceAttribution(ctx, a)
	return nil
}

func (r *Runner) failAttribution(ctx context.Context, a evals.Attribution, err error) error {
	if _, serr := r.db.SetAttributionStatus(context.WithoutCancel(ctx), a.ID, evals.StatusFailed, err.Error(), evals.StatusQueued, evals.StatusRunning); serr != nil {
		return serr
	}
	a.Status, a.Error = evals.StatusFailed, err.Error()
	r.announceAttribution(ctx, a)
	return nil
}

// announceCall publishes attribution_progress for a stored call, with the
// attribution's calls done so far.
func (r *Runner) announceCall(ctx context.Context, id string, c evals.AttributionCall) {
	if r.bus == nil {
		return
	}
	a, err := r.db.GetAttribution(context.WithoutCancel(ctx), id)
	if err != nil {
		r.log.Warn("attribution progress", "attribution_id", id, "err", err)
		return
	}
	item := c.Item
	e := events.Event{Type: events.TypeAttributionProgress, TS: time.Now().UTC(), Resource: events.ResourceAttribution, ID: id,
		Status: a.Status, Done: a.Done, Total: a.Total, Item: &item, Variant: c.Kind, SectionID: c.SectionID,
		Decision: c.Decision, Reason: c.Reason, Section: c.Cited}
	r.bus.Publish(context.WithoutCancel(ctx), e)
}

// announceAttribution publishes attribution_finished.
func (r *Runner) announceAttribution(ctx context.Context, a evals.Attribution) {
	if r.bus == nil {
		return
	}
	a2, err := r.db.GetAttribution(context.WithoutCancel(ctx), a.ID)
	if err == nil {
		a.Done, a.Total = a2.Done, a2.Total
	}
	r.bus.Publish(context.WithoutCancel(ctx), events.Event{Type: events.TypeAttributionFinished, TS: time.Now().UTC(),
		Resource: events.ResourceAttribution, ID: a.ID, Status: a.Status, Error: a.Error, Done: a.Done, Total: a.Total})
}
