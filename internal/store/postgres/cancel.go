package postgres

import (
	"context"
	"fmt"
)

// RunCancelChannel carries cancel requests between replicas: the payload
// is the id of a run to cancel. Only the replica executing the run acts on
// it; the others find no such live run and ignore it.
const RunCancelChannel = "superego_run_cancel"

// RequestCancel asks whichever replica executes runID to cancel it. It is
// fire-and-forget: the run's log, followed through any replica, shows the
// outcome (run_finished with status cancelled, unless it ended first).
func (s *Store) RequestCancel(ctx context.Context, runID string) error {
	if _, err := s.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, RunCancelChannel, runID); err != nil {
		return fmt.Errorf("postgres: request cancel: %w", err)
	}
	return nil
}

// OnCancel sets the function called with the run id of each cancel request
// any replica sends (RequestCancel). Set it before runs start; a later call
// replaces the earlier function.
func (t *Tailer) OnCancel(f func(runID string)) {
	t.mu.Lock()
	t.onCancel = f
	t.mu.Unlock()
}

func (t *Tailer) cancelRequested(runID string) {
	t.mu.Lock()
	f := t.onCancel
	t.mu.Unlock()
	if f != nil && runID != "" {
		f(runID)
	}
}
