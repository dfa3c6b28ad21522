package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// RunCols are the columns ScanRun reads, in order.
const RunCols = `id, flow_instance_id, flow_config_id, user_message_id, comparison_id, status, decision, error,
	input_tokens, output_tokens, superego_ms, first_token_ms, total_ms, last_seq, created_at, finished_at,
	wasted_tokens`

// ScanRun reads a row of RunCols.
func ScanRun(sc Scanner) (model.Run, error) {
	var r model.Run
	err := sc.Scan(&r.ID, &r.FlowInstanceID, &r.FlowConfigID, &r.UserMessageID, &r.ComparisonID, &r.Status,
		&r.Decision, &r.Error, &r.Usage.InputTokens, &r.Usage.OutputTokens, &r.Timings.SuperegoMs,
		&r.Timings.FirstTokenMs, &r.Timings.TotalMs, &r.LastSeq, at{&r.CreatedAt}, atOrNil{&r.FinishedAt},
		&r.Usage.WastedTokens)
	return r, err
}

// CreateRun records a new run of an existing instance. ID (when empty) and
// CreatedAt are filled; Status defaults to running.
func (s *Store) CreateRun(ctx context.Context, r model.Run) (model.Run, error) {
	prepareRun(&r)
	err := s.tx(ctx, func(tx db) error {
		if r.FlowInstanceID == "" {
			return &store.RefError{Field: "flow_instance_id"}
		}
		if err := checkRef(ctx, tx, "flow_instances", "flow_instance_id", r.FlowInstanceID); err != nil {
			return err
		}
		return insertRun(ctx, tx, r)
	})
	if err != nil {
		return model.Run{}, err
	}
	return r, nil
}

// StartRun records a new run and appends msgs to its instance's
// conversation, in order, in one transaction: both are stored or neither.
// The run is filled as by CreateRun, the messages as by AppendMessage.
// check (optional) sees the instance as the statement that locks it reads
// it, so it costs no statement of its own.
func (s *Store) StartRun(ctx context.Context, r model.Run, msgs []model.Message, check func(model.FlowInstance) error) (model.Run, []model.Message, error) {
	prepareRun(&r)
	msgs = slices.Clone(msgs)
	prepareMessages(msgs)
	err := s.tx(ctx, func(tx db) error {
		if r.FlowInstanceID == "" {
			return &store.RefError{Field: "flow_instance_id"}
		}
		if err := appendMessages(ctx, tx, r.FlowInstanceID, msgs, check); err != nil {
			return err
		}
		return insertRun(ctx, tx, r)
	})
	if err != nil {
		return model.Run{}, nil, err
	}
	return r, msgs, nil
}

// prepareRun fills what CreateRun fills before its transaction.
func prepareRun(r *model.Run) {
	if r.ID == "" {
		r.ID = model.NewID()
	}
	if r.Status == "" {
		r.Status = model.RunRunning
	}
	r.CreatedAt = now()
	r.FinishedAt = roundTime(r.FinishedAt)
}

func insertRun(ctx context.Context, tx db, r model.Run) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO runs (`+RunCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.FlowInstanceID, r.FlowConfigID, r.UserMessageID, r.ComparisonID, r.Status, string(r.Decision),
		r.Error, r.Usage.InputTokens, r.Usage.OutputTokens, r.Timings.SuperegoMs, r.Timings.FirstTokenMs,
		r.Timings.TotalMs, r.LastSeq, tx.time(r.CreatedAt), tx.nullTime(r.FinishedAt), r.Usage.WastedTokens)
	return tx.s.created(err, "run", r.ID)
}

// GetRun returns one run.
func (s *Store) GetRun(ctx context.Context, id string) (model.Run, error) {
	r, err := ScanRun(s.reader().QueryRowContext(ctx, `SELECT `+RunCols+` FROM runs WHERE id = ?`, id))
	if err != nil {
		return model.Run{}, s.notFound(err, "run", id)
	}
	return r, nil
}

// UpdateRun rewrites a run's progress: status, decision, error, usage,
// timings, last_seq and finished_at. Its ids and created_at stay.
func (s *Store) UpdateRun(ctx context.Context, r model.Run) (model.Run, error) {
	out, _, err := s.updateRun(ctx, r, false)
	return out, err
}

// EndRun stores a run's end while it is still running: the conditional
// UPDATE holds the row (PostgreSQL: its lock; SQLite: the writer), so of a
// replica's end and a sweep's, the first committed wins.
func (s *Store) EndRun(ctx context.Context, r model.Run) (model.Run, error) {
	out, ended, err := s.updateRun(ctx, r, true)
	if err == nil && ended {
		err = fmt.Errorf("run %q already ended (%s): %w", r.ID, out.Status, store.ErrConflict)
	}
	return out, err
}

// runRefCols are the columns of a run updateRun does not write: the
// statement returns only these, the rest is what it wrote.
const runRefCols = `flow_instance_id, flow_config_id, user_message_id, comparison_id, created_at`

// updateRun writes r's progress, only while it is running when
// onlyRunning; ended reports a run found already ended instead (returned
// as stored).
func (s *Store) updateRun(ctx context.Context, r model.Run, onlyRunning bool) (out model.Run, ended bool, err error) {
	err = s.write(ctx, func(w db) error {
		out, ended, err = updateRunIn(ctx, w, r, onlyRunning)
		return err
	})
	if err != nil {
		return model.Run{}, false, s.notFound(err, "run", r.ID)
	}
	return out, ended, nil
}

// updateRunIn is updateRun's write, on w.
func updateRunIn(ctx context.Context, w db, r model.Run, onlyRunning bool) (out model.Run, ended bool, err error) {
	cond := ``
	r.FinishedAt = roundTime(r.FinishedAt)
	args := []any{r.Status, string(r.Decision), r.Error, r.Usage.InputTokens, r.Usage.OutputTokens, r.Usage.WastedTokens,
		r.Timings.SuperegoMs, r.Timings.FirstTokenMs, r.Timings.TotalMs, r.LastSeq, w.nullTime(r.FinishedAt), r.ID}
	if onlyRunning {
		cond = ` AND status = ?`
		args = append(args, model.RunRunning)
	}
	out = r
	err = w.QueryRowContext(ctx,
		`UPDATE runs SET status = ?, decision = ?, error = ?, input_tokens = ?, output_tokens = ?,
		 wasted_tokens = ?, superego_ms = ?, first_token_ms = ?, total_ms = ?, last_seq = ?, finished_at = ?
		 WHERE id = ?`+cond+` RETURNING `+runRefCols, args...,
	).Scan(&out.FlowInstanceID, &out.FlowConfigID, &out.UserMessageID, &out.ComparisonID, at{&out.CreatedAt})
	if onlyRunning && errors.Is(err, sql.ErrNoRows) {
		out, err = ScanRun(w.QueryRowContext(ctx, `SELECT `+RunCols+` FROM runs WHERE id = ?`, r.ID))
		return out, err == nil, err
	}
	return out, false, err
}

// EndRunWithMessage implements store.RunEnder: m's final state and r's
// end (as EndRun stores it) in one write.
func (s *Store) EndRunWithMessage(ctx context.Context, r model.Run, m model.Message) (model.Run, model.Message, error) {
	var (
		run   model.Run
		msg   model.Message
		ended bool
		which string // the write that failed
	)
	err := s.writeEach(ctx, func(tx db) error {
		var err error
		which = "message"
		if msg, err = updateMessage(ctx, tx, m); err != nil {
			return err
		}
		which = "run"
		run, ended, err = updateRunIn(ctx, tx, r, true)
		return err
	})
	switch {
	case err != nil && which == "message":
		return model.Run{}, model.Message{}, s.notFound(err, "message", m.ID)
	case err != nil:
		return model.Run{}, model.Message{}, s.notFound(err, "run", r.ID)
	case ended:
		return run, msg, fmt.Errorf("run %q already ended (%s): %w", r.ID, run.Status, store.ErrConflict)
	}
	return run, msg, nil
}

// InterruptedError is recorded on runs a restart cut short, unless the run
// already carried an error of its own.
const InterruptedError = "the server stopped before the run finished"

// InterruptRunning marks every running run, and the messages it was still
// streaming, as interrupted. Partial text is kept. Called at start-up, when
// no run of this process can be in progress. (The PostgreSQL store, shared
// by replicas, has its own that spares runs other replicas hold.)
func (s *Store) InterruptRunning(ctx context.Context) (int, error) {
	var n int64
	err := s.tx(ctx, func(tx db) error {
		at := tx.time(now())
		_, err := tx.ExecContext(ctx,
			`UPDATE messages SET status = ?, updated_at = ?
			 WHERE status = ? AND run_id IN (SELECT id FROM runs WHERE status = ?)`,
			model.MessageInterrupted, at, model.MessageStreaming, model.RunRunning)
		if err != nil {
			return s.errorf("interrupt messages: %w", err)
		}
		res, err := tx.ExecContext(ctx,
			`UPDATE runs SET status = ?, finished_at = ?, error = CASE WHEN error = '' THEN ? ELSE error END
			 WHERE status = ?`,
			model.RunInterrupted, at, InterruptedError, model.RunRunning)
		if err != nil {
			return s.errorf("interrupt runs: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, err
	}
	return int(n), nil
}
