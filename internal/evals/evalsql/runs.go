package evalsql

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/sqlstore"
)

const runCols = `id, suite_id, suite_version, targets, repeats, mode, status, total, done, errors, error, created_at, finished_at, case_ids`

func scanRun(r rowScanner) (evals.EvalRun, error) {
	var e evals.EvalRun
	var targets, caseIDs string
	var created int64
	var finished sql.NullInt64
	if err := r.Scan(&e.ID, &e.SuiteID, &e.SuiteVersion, &targets, &e.Repeats, &e.Mode, &e.Status, &e.Total,
		&e.Done, &e.Errors, &e.Error, &created, &finished, &caseIDs); err != nil {
		return e, err
	}
	e.CreatedAt, e.FinishedAt = fromMicros(created), fromNullMicros(finished)
	if caseIDs != "" {
		if err := json.Unmarshal([]byte(caseIDs), &e.CaseIDs); err != nil {
			return e, err
		}
	}
	return e, json.Unmarshal([]byte(targets), &e.Targets)
}

// CreateRun stores a new eval run (queued, nothing done). Its suite must
// exist at SuiteVersion.
func (d *DB) CreateRun(ctx context.Context, e evals.EvalRun) (evals.EvalRun, error) {
	targets, err := json.Marshal(e.Targets)
	if err != nil {
		return e, err
	}
	caseIDs := ""
	if len(e.CaseIDs) > 0 {
		b, err := json.Marshal(e.CaseIDs)
		if err != nil {
			return e, err
		}
		caseIDs = string(b)
	}
	now := d.now()
	_, err = d.w.ExecContext(ctx, d.q(`INSERT INTO eval_runs (`+runCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, '', ?, NULL, ?)`),
		e.ID, e.SuiteID, e.SuiteVersion, string(targets), e.Repeats, e.Mode, evals.StatusQueued, e.Total, micros(now), caseIDs)
	if err != nil {
		return e, err
	}
	return d.GetRun(ctx, e.ID)
}

// GetRun reads one eval run; a missing one is store.ErrNotFound.
func (d *DB) GetRun(ctx context.Context, id string) (evals.EvalRun, error) {
	e, err := scanRun(d.r.QueryRowContext(ctx, d.q(`SELECT `+runCols+` FROM eval_runs WHERE id = ?`), id))
	if isNoRows(err) {
		return e, fmt.Errorf("eval run %q: %w", id, store.ErrNotFound)
	}
	return e, err
}

type runKey struct {
	At int64  `json:"at"`
	ID string `json:"id"`
}

// ListRuns lists eval runs newest first, those of one suite when suiteID
// is set.
func (d *DB) ListRuns(ctx context.Context, suiteID string, p store.Page) ([]evals.EvalRun, string, error) {
	var k runKey
	ok, err := store.DecodeCursor(p.Cursor, &k)
	if err != nil {
		return nil, "", err
	}
	query := `SELECT ` + runCols + ` FROM eval_runs WHERE (? = '' OR suite_id = ?)`
	args := []any{suiteID, suiteID}
	if ok {
		query += ` AND (created_at < ? OR (created_at = ? AND id < ?))`
		args = append(args, k.At, k.At, k.ID)
	}
	query += ` ORDER BY created_at DESC, id DESC`
	return sqlstore.QueryPage(ctx, d.reader(), scanRun, p, func(e evals.EvalRun) any { return runKey{At: micros(e.CreatedAt), ID: e.ID} }, query, args...)
}

// SetStatus moves an eval run to status if it is in one of from; it reports
// whether it did. A terminal status sets finished_at.
func (d *DB) SetStatus(ctx context.Context, id, status, errText string, from ...string) (bool, error) {
	return d.setStatus(ctx, "eval_runs", id, status, errText, from)
}

// setStatus is SetStatus for table (eval_runs or attributions, which share
// status, error and finished_at): a conditional update, so that of two
// processes ending the same job exactly one wins.
func (d *DB) setStatus(ctx context.Context, table, id, status, errText string, from []string) (bool, error) {
	var finished any
	if evals.Finished(status) {
		finished = micros(d.now())
	}
	query := `UPDATE ` + table + ` SET status = ?, error = ?, finished_at = ? WHERE id = ? AND status IN (`
	args := []any{status, errText, finished, id}
	for i, f := range from {
		if i > 0 {
			query += ", "
		}
		query += "?"
		args = append(args, f)
	}
	res, err := d.w.ExecContext(ctx, d.q(query+`)`), args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Unfinished lists the eval runs still queued or running, oldest first:
// after a restart they are continued.
func (d *DB) Unfinished(ctx context.Context) ([]evals.EvalRun, error) {
	return sqlstore.QueryAll(ctx, d.reader(), scanRun, `SELECT `+runCols+` FROM eval_runs WHERE status IN (?, ?) ORDER BY created_at, id`,
		evals.StatusQueued, evals.StatusRunning)
}

// DeleteRun removes an eval run and its results.
func (d *DB) DeleteRun(ctx context.Context, id string) error {
	return d.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, d.q(`DELETE FROM eval_results WHERE eval_run_id = ?`), id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, d.q(`DELETE FROM eval_runs WHERE id = ?`), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("eval run %q: %w", id, store.ErrNotFound)
		}
		return nil
	})
}
