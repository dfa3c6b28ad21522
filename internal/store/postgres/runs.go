package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

const runCols = `id, flow_instance_id, flow_config_id, user_message_id, comparison_id, status, decision, error,
	input_tokens, output_tokens, superego_ms, first_token_ms, total_ms, last_seq, created_at, finished_at`

func scanRun(row pgx.Row) (model.Run, error) {
	var r model.Run
	err := row.Scan(&r.ID, &r.FlowInstanceID, &r.FlowConfigID, &r.UserMessageID, &r.ComparisonID, &r.Status,
		&r.Decision, &r.Error, &r.Usage.InputTokens, &r.Usage.OutputTokens, &r.Timings.SuperegoMs,
		&r.Timings.FirstTokenMs, &r.Timings.TotalMs, &r.LastSeq, &r.CreatedAt, &r.FinishedAt)
	return r, err
}

// CreateRun records a new run of an existing instance. ID (when empty) and
// CreatedAt are filled; Status defaults to running.
func (s *Store) CreateRun(ctx context.Context, r model.Run) (model.Run, error) {
	if r.ID == "" {
		r.ID = model.NewID()
	}
	if r.Status == "" {
		r.Status = model.RunRunning
	}
	r.CreatedAt = now()
	r.FinishedAt = roundTime(r.FinishedAt)
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if r.FlowInstanceID == "" {
			return &store.RefError{Field: "flow_instance_id"}
		}
		if err := checkRef(ctx, tx, "flow_instances", "flow_instance_id", r.FlowInstanceID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx,
			`INSERT INTO runs (`+runCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			r.ID, r.FlowInstanceID, r.FlowConfigID, r.UserMessageID, r.ComparisonID, r.Status, string(r.Decision),
			r.Error, r.Usage.InputTokens, r.Usage.OutputTokens, r.Timings.SuperegoMs, r.Timings.FirstTokenMs,
			r.Timings.TotalMs, r.LastSeq, r.CreatedAt, nullTime(r.FinishedAt))
		if isUniqueViolation(err) {
			return fmt.Errorf("run %q already exists: %w", r.ID, store.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("postgres: create run: %w", err)
		}
		return nil
	})
	if err != nil {
		return model.Run{}, err
	}
	return r, nil
}

// GetRun returns one run.
func (s *Store) GetRun(ctx context.Context, id string) (model.Run, error) {
	r, err := scanRun(s.pool.QueryRow(ctx, `SELECT `+runCols+` FROM runs WHERE id = $1`, id))
	if err != nil {
		return model.Run{}, notFound(err, "run", id)
	}
	return r, nil
}

// UpdateRun rewrites a run's progress: status, decision, error, usage,
// timings, last_seq and finished_at. Its ids and created_at stay.
func (s *Store) UpdateRun(ctx context.Context, r model.Run) (model.Run, error) {
	out, err := scanRun(s.pool.QueryRow(ctx,
		`UPDATE runs SET status = $1, decision = $2, error = $3, input_tokens = $4, output_tokens = $5,
		 superego_ms = $6, first_token_ms = $7, total_ms = $8, last_seq = $9, finished_at = $10
		 WHERE id = $11 RETURNING `+runCols,
		r.Status, string(r.Decision), r.Error, r.Usage.InputTokens, r.Usage.OutputTokens,
		r.Timings.SuperegoMs, r.Timings.FirstTokenMs, r.Timings.TotalMs, r.LastSeq,
		nullTime(roundTime(r.FinishedAt)), r.ID))
	if err != nil {
		return model.Run{}, notFound(err, "run", r.ID)
	}
	return out, nil
}

// interruptedError is recorded on runs a restart cut short, unless the run
// already carried an error of its own.
const interruptedError = "the server stopped before the run finished"

// InterruptRunning marks every running run, and the messages it was still
// streaming, as interrupted. Partial text is kept, and completed from the
// stored run events when those hold more of it.
//
// Runs holding a live lease (see EventLog) are left alone: on a database
// shared by several replicas they belong to a replica that is still
// running them, and one replica starting up must not end them. Runs
// without a lease are ended, as on SQLite.
func (s *Store) InterruptRunning(ctx context.Context) (int, error) {
	ids, err := s.interrupt(ctx, `(lease_until IS NULL OR lease_until < now())`, interruptedError)
	return len(ids), err
}
