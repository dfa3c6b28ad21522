// Package follow streams an eval run's finished rows to a client, in the
// order they were stored, from any replica: it reads the rows after the
// last one sent whenever the bus says the run moved (notices cross
// replicas), and at least once a second in case a notice was dropped.
package follow

import (
	"context"
	"time"

	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/events"
)

// Source reads runs and their rows (evalsql.DB).
type Source interface {
	GetRun(ctx context.Context, id string) (evals.EvalRun, error)
	ResultsSince(ctx context.Context, runID string, seq int64, limit int) ([]evals.EvalResult, error)
}

// batch is how many rows one read returns.
const batch = 200

// poll is the fallback read interval.
const poll = time.Second

// Run calls emit with the run's state and the rows stored after seq after,
// first at once and then whenever rows were added, until the run is
// finished and every row was emitted (nil), emit fails, or ctx ends.
func Run(ctx context.Context, src Source, bus events.Bus, runID string, after int64, emit func(evals.EvalRun, []evals.EvalResult) error) error {
	var notices <-chan events.Event
	if bus != nil {
		ch, unsubscribe := bus.Subscribe(64)
		defer unsubscribe()
		notices = ch
	}
	lastDone := -1
	for {
		run, err := src.GetRun(ctx, runID)
		if err != nil {
			return err
		}
		rows, err := src.ResultsSince(ctx, runID, after, batch)
		if err != nil {
			return err
		}
		if len(rows) > 0 || run.Done != lastDone || evals.Finished(run.Status) {
			if err := emit(run, rows); err != nil {
				return err
			}
		}
		lastDone = run.Done
		if n := len(rows); n > 0 {
			after = rows[n-1].Seq
		}
		if len(rows) == batch {
			continue
		}
		if evals.Finished(run.Status) && after >= int64(run.Done) {
			return nil
		}
		if err := wait(ctx, notices, runID); err != nil {
			return err
		}
	}
}

// wait returns on a notice about the run, after poll, or when ctx ends.
func wait(ctx context.Context, notices <-chan events.Event, runID string) error {
	t := time.NewTimer(poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-t.C:
			return nil
		case e, ok := <-notices:
			if !ok {
				notices = nil
				continue
			}
			if e.Type == events.TypeResourceChanged && e.ID == runID {
				return nil
			}
		}
	}
}
