package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/superego-lab/superego/internal/constitution"
	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// Attributions ("Why this verdict?", docs/design.md) run on the same queue
// as eval chunks: a job is a range of an attribution's items, and every
// superego call is stored as it ends, so a re-delivered or resumed job
// makes only the calls not stored yet (engine.AblationRequest.Done).

// attributionChunk is how many items one attribution job covers.
const attributionChunk = 5

// ErrNotFinished: attributing an eval that is still running (a conflict
// with its state: answered 409).
var ErrNotFinished = fmt.Errorf("the eval run has not finished; attribute it once it has: %w", store.ErrConflict)

// attributionSections turns engine section effects into stored ones.
func attributionSections(in []engine.SectionEffect) []evals.AttributionSection {
	out := make([]evals.AttributionSection, len(in))
	for i, s := range in {
		out[i] = evals.AttributionSection{ID: s.ID, Heading: s.Heading, Necessary: s.Necessary, Sufficient: s.Sufficient, Effect: s.Effect}
	}
	return out
}

// PlanMessage is the plan for explaining one stored superego message.
// Errors: store.ErrNotFound for an unknown message, *evals.FieldError for
// one that is not a decision or whose constitution has no sections.
func (r *Runner) PlanMessage(ctx context.Context, messageID string, alone bool) (evals.AttributionPlan, evals.AttributionItem, error) {
	req, plan, err := r.eng.PrepareAblation(ctx, messageID, alone)
	if err != nil {
		return evals.AttributionPlan{}, evals.AttributionItem{}, messageError(err)
	}
	in, m, err := r.eng.EstimateAblation(ctx, req)
	if err != nil {
		return evals.AttributionPlan{}, evals.AttributionItem{}, err
	}
	p := evals.AttributionPlan{Kind: evals.AttributionMessage, Alone: alone, Items: 1, Calls: plan.Calls,
		ConstitutionID: plan.ConstitutionID, ConstitutionVersion: plan.ConstitutionVersion,
		Models: []evals.PlanModel{{Model: m, Calls: plan.Calls, InputTokens: in, OutputTokens: plan.Calls * engine.AblationOutputTokens}}}
	for _, s := range plan.Sections {
		p.Sections = append(p.Sections, evals.AttributionSection{ID: s.ID, Heading: s.Heading})
	}
	item := evals.AttributionItem{Ref: messageID, Input: req.Input, FlowConfigID: req.FlowConfigID,
		ConstitutionID: plan.ConstitutionID, ConstitutionVersion: plan.ConstitutionVersion, Calls: plan.Calls}
	return p, item, nil
}

// StartMessage stores and queues the attribution of one superego message.
func (r *Runner) StartMessage(ctx context.Context, messageID string, alone bool) (evals.Attribution, error) {
	_, item, err := r.PlanMessage(ctx, messageID, alone)
	if err != nil {
		return evals.Attribution{}, err
	}
	return r.startAttribution(ctx, evals.Attribution{ID: model.NewID(), Kind: evals.AttributionMessage, MessageID: messageID, Alone: alone},
		[]evals.AttributionItem{item})
}

// PlanEval is the plan for explaining every CAUTION and BLOCK row of a
// finished eval run — or only the row row, whatever its verdict, when row
// is set — with the items it would store. Errors: store.ErrNotFound,
// ErrNotFinished, *evals.FieldError (too many rows, no such row).
func (r *Runner) PlanEval(ctx context.Context, evalRunID string, alone bool, row *evals.RowRef) (evals.AttributionPlan, []evals.AttributionItem, error) {
	run, err := r.db.GetRun(ctx, evalRunID)
	if err != nil {
		return evals.AttributionPlan{}, nil, err
	}
	if !evals.Finished(run.Status) {
		return evals.AttributionPlan{}, nil, fmt.Errorf("eval run %q is %s: %w", run.ID, run.Status, ErrNotFinished)
	}
	texts, err := r.targetTexts(ctx, run)
	if err != nil {
		return evals.AttributionPlan{}, nil, err
	}
	cases, err := r.caseMap(ctx, run)
	if err != nil {
		return evals.AttributionPlan{}, nil, err
	}
	p := evals.AttributionPlan{Kind: evals.AttributionEval, Alone: alone}
	if row != nil {
		p.Kind = evals.AttributionRow
	}
	var items []evals.AttributionItem
	models := map[string]*evals.PlanModel{}
	var order []string
	for cursor := ""; ; {
		page, next, err := r.db.ListResults(ctx, run.ID, evals.EvalResultFilter{}, store.Page{Limit: 500, Cursor: cursor})
		if err != nil {
			return p, nil, err
		}
		for _, x := range page {
			if row != nil {
				if x.CaseID != row.CaseID || x.Target != row.Target || x.Repeat != row.Repeat || x.Decision == model.DecisionError {
					continue
				}
			} else if x.Decision != model.DecisionCaution && x.Decision != model.DecisionBlock {
				continue
			}
			text := texts[x.Target]
			secs := constitution.Sections(text.Content)
			if len(secs) == 0 {
				p.Skipped++
				continue
			}
			calls := engine.AblationCalls(len(secs), alone)
			req := engine.AblationRequest{FlowConfigID: run.Targets[x.Target].FlowConfigID, Constitution: text,
				Earlier: earlierOf(cases[x.CaseID]), Input: x.Input, Alone: alone}
			in, m, err := r.eng.EstimateAblation(ctx, req)
			if err != nil {
				return p, nil, err
			}
			pm := models[m]
			if pm == nil {
				pm = &evals.PlanModel{Model: m}
				models[m] = pm
				order = append(order, m)
			}
			pm.Calls += calls
			pm.InputTokens += in
			pm.OutputTokens += calls * engine.AblationOutputTokens
			p.Calls += calls
			items = append(items, evals.AttributionItem{Ref: x.CaseID, Target: x.Target, Repeat: x.Repeat, Category: x.Category,
				Input: x.Input, FlowConfigID: req.FlowConfigID, ConstitutionID: text.ID, ConstitutionVersion: text.Version,
				DraftHash: run.Targets[x.Target].DraftHash, Calls: calls})
		}
		if x := countErrors(page); x > 0 && row == nil {
			p.Skipped += x
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if row != nil && len(items) == 0 && p.Skipped == 0 {
		return p, nil, &evals.FieldError{Field: "case_id", Message: fmt.Sprintf("the eval has no row %s (target %d, repeat %d) with a verdict", row.CaseID, row.Target, row.Repeat)}
	}
	if len(items) > evals.MaxAttributionItems {
		return p, nil, &evals.FieldError{Field: "id", Message: fmt.Sprintf("the eval has %d rows to explain, more than %d", len(items), evals.MaxAttributionItems)}
	}
	p.Items = len(items)
	p.Models = []evals.PlanModel{}
	for _, m := range order {
		p.Models = append(p.Models, *models[m])
	}
	return p, items, nil
}

func countErrors(rows []evals.EvalResult) int {
	n := 0
	for _, x := range rows {
		if x.Decision == model.DecisionError {
			n++
		}
	}
	return n
}

// StartEval stores and queues the attribution of a finished eval run (of
// its row row only, when set).
func (r *Runner) StartEval(ctx context.Context, evalRunID string, alone bool, row *evals.RowRef) (evals.Attribution, error) {
	_, items, err := r.PlanEval(ctx, evalRunID, alone, row)
	if err != nil {
		return evals.Attribution{}, err
	}
	if len(items) == 0 {
		return evals.Attribution{}, &evals.FieldError{Field: "id", Message: "the eval has no row to explain (CAUTION or BLOCK, with a sectioned constitution)"}
	}
	kind := evals.AttributionEval
	if row != nil {
		kind = evals.AttributionRow
	}
	return r.startAttribution(ctx, evals.Attribution{ID: model.NewID(), Kind: kind, EvalRunID: evalRunID, Alone: alone}, items)
}

func (r *Runner) startAttribution(ctx context.Context, a evals.Attribution, items []evals.AttributionItem) (evals.Attribution, error) {
	a, err := r.db.CreateAttribution(ctx, a, items)
	if err != nil {
		return a, err
	}
	if err := r.queue.EnqueueAttribution(ctx, a.ID, chunksOf(len(items))); err != nil {
		_, _ = r.db.SetAttributionStatus(context.WithoutCancel(ctx), a.ID, evals.StatusFailed, "could not queue: "+err.Error(), evals.StatusQueued)
		return a, err
	}
	return a, nil
}

func chunksOf(items int) int { return (items + attributionChunk - 1) / attributionChunk }

// CancelAttribution stops an attribution: marked cancelled, its calls in
// flight end at once on every process (attribution_finished on the bus),
// the calls stored stay.
func (r *Runner) CancelAttribution(ctx context.Context, id string) (evals.Attribution, error) {
	if _, err := r.db.SetAttributionStatus(ctx, id, evals.StatusCancelled, "cancelled by user", evals.StatusQueued, evals.StatusRunning); err != nil {
		return evals.Attribution{}, err
	}
	a, err := r.db.GetAttribution(ctx, id)
	if err != nil {
		return a, err
	}
	r.stopLocal(id)
	if a.Status == evals.StatusCancelled {
		r.announceAttribution(ctx, a)
	}
	return a, nil
}

// targetTexts loads the constitution text of every target of a run, as
// pinned at its start (a draft has no id or version).
func (r *Runner) targetTexts(ctx context.Context, run evals.EvalRun) ([]model.Constitution, error) {
	out := make([]model.Constitution, len(run.Targets))
	for i, t := range run.Targets {
		switch {
		case t.Draft != "":
			out[i] = model.Constitution{Content: t.Draft}
		case t.ConstitutionID != "":
			v, err := r.st.GetConstitutionVersion(ctx, t.ConstitutionID, t.ConstitutionVersion)
			if err != nil {
				return nil, fmt.Errorf("target %d: constitution %s@%d: %w", i, t.ConstitutionID, t.ConstitutionVersion, err)
			}
			out[i] = model.Constitution{Meta: model.Meta{ID: v.ConstitutionID, Version: v.Version}, Content: v.Content}
		}
	}
	return out, nil
}

func (r *Runner) caseMap(ctx context.Context, run evals.EvalRun) (map[string]evals.EvalCase, error) {
	cases, err := r.casesOf(ctx, run)
	if err != nil {
		return nil, err
	}
	out := make(map[string]evals.EvalCase, len(cases))
	for _, c := range cases {
		out[c.ID] = c
	}
	return out, nil
}

func earlierOf(c evals.EvalCase) []llm.Message {
	out := make([]llm.Message, len(c.Turns))
	for i, t := range c.Turns {
		out[i] = llm.Message{Role: t.Role, Content: t.Content}
	}
	return out
}

// messageError turns the engine's reasons a message cannot be explained
// into the errors the API answers with.
func messageError(err error) error {
	switch {
	case errors.Is(err, engine.ErrRunNotFound):
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	case errors.Is(err, engine.ErrNotADecision):
		return &evals.FieldError{Field: "id", Message: "must be a superego message with a decision"}
	case errors.Is(err, engine.ErrNoSections):
		return &evals.FieldError{Field: "id", Message: "its constitution has no Markdown heading, so no section to remove"}
	}
	return err
}
