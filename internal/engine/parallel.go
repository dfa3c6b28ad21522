package engine

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// RunParallel runs one input through several flow configs at once. Each
// config gets a new flow instance, named after the comparison and the
// config, and all share a new comparison id. Runs are independent: one
// failing does not touch the others. Everything is stored before any run
// starts; if storing fails part-way, the runs already stored are marked
// failed and the error is returned.
func (e *Engine) RunParallel(ctx context.Context, configIDs []string, content, comparisonName string) (string, []model.Run, error) {
	if err := e.checkOpen(); err != nil {
		return "", nil, err
	}
	if n := len(configIDs); n < MinParallelConfigs || n > MaxParallelConfigs {
		return "", nil, fmt.Errorf("%w: a parallel run takes %d to %d flow configs, got %d", ErrInvalid, MinParallelConfigs, MaxParallelConfigs, n)
	}
	if err := validateContent(content); err != nil {
		return "", nil, err
	}
	if n := utf8.RuneCountInString(comparisonName); n > MaxComparisonNameRunes {
		return "", nil, fmt.Errorf("%w: comparison_name is %d characters; the limit is %d", ErrInvalid, n, MaxComparisonNameRunes)
	}
	configs := make([]model.FlowConfig, len(configIDs))
	for i, id := range configIDs {
		c, err := e.st.GetFlowConfig(ctx, id)
		if err != nil {
			return "", nil, err
		}
		configs[i] = c
	}
	comparisonID := model.NewID()
	name := strings.TrimSpace(comparisonName)
	if name == "" {
		name = "Comparison " + e.now().UTC().Format("2006-01-02 15:04")
	}
	runs := make([]*run, 0, len(configs))
	for _, c := range configs {
		inst, err := e.st.CreateFlowInstance(ctx, model.FlowInstance{
			FlowConfigID: c.ID,
			Name:         name + " · " + c.Name,
			ComparisonID: comparisonID,
		})
		if err != nil {
			abandon(runs, err)
			return "", nil, fmt.Errorf("create flow instance for config %q: %w", c.ID, err)
		}
		e.announce(ctx, events.ActionCreated, inst)
		r, err := e.newRun(ctx, inst, content, nil, false)
		if err != nil {
			abandon(runs, err)
			return "", nil, err
		}
		runs = append(runs, r)
	}
	return comparisonID, startAll(runs), nil
}

// ContinueComparison sends a follow-up message to every instance of a
// comparison, each in a run of its own.
func (e *Engine) ContinueComparison(ctx context.Context, comparisonID, content string) ([]model.Run, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	if strings.TrimSpace(comparisonID) == "" {
		return nil, fmt.Errorf("%w: comparison_id is empty", ErrInvalid)
	}
	if err := validateContent(content); err != nil {
		return nil, err
	}
	var insts []model.FlowInstance
	p := store.Page{Limit: 200}
	for {
		page, next, err := e.st.ListFlowInstances(ctx, store.InstanceFilter{ComparisonID: comparisonID}, p)
		if err != nil {
			return nil, fmt.Errorf("list comparison %q: %w", comparisonID, err)
		}
		insts = append(insts, page...)
		if next == "" {
			break
		}
		p.Cursor = next
	}
	if len(insts) == 0 {
		return nil, fmt.Errorf("comparison %q: %w", comparisonID, store.ErrNotFound)
	}
	// Oldest first, so runs come back in the order the comparison was made.
	for i, k := 0, len(insts)-1; i < k; i, k = i+1, k-1 {
		insts[i], insts[k] = insts[k], insts[i]
	}
	runs := make([]*run, 0, len(insts))
	for _, inst := range insts {
		r, err := e.newRun(ctx, inst, content, nil, false)
		if err != nil {
			abandon(runs, err)
			return nil, err
		}
		runs = append(runs, r)
	}
	return startAll(runs), nil
}

// startAll starts every run and returns them as stored at their start.
func startAll(runs []*run) []model.Run {
	out := make([]model.Run, len(runs))
	for i, r := range runs {
		out[i] = r.startRun()
	}
	return out
}

// abandon ends runs that were stored but will not start because their
// group could not be set up completely.
func abandon(runs []*run, cause error) {
	for _, r := range runs {
		r.abandon(cause, model.RunFailed, "parallel run could not start: "+cause.Error())
	}
}
