package evalsql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/sqlstore"
)

const resultCols = `eval_run_id, case_id, target, rep, seq, position, input, category, expected, decision, reason, cited_section,
	thinking, visible, answer, constitution_id, constitution_version, draft_hash, model, latency_ms, input_tokens,
	output_tokens, error, attempts, finished_at, output_decision, output_reason, output_section,
	superego_params, assistant_params`

// lightCols are resultCols with the long texts left empty, for metrics.
const lightCols = `eval_run_id, case_id, target, rep, seq, position, input, category, expected, decision, reason, cited_section,
	'', '', '', constitution_id, constitution_version, draft_hash, model, latency_ms, input_tokens,
	output_tokens, error, attempts, finished_at, output_decision, output_reason, output_section,
	superego_params, assistant_params`

func scanResult(r rowScanner) (evals.EvalResult, error) {
	var x evals.EvalResult
	var expected, decision, output, sparams, aparams string
	var at int64
	if err := r.Scan(&x.EvalRunID, &x.CaseID, &x.Target, &x.Repeat, &x.Seq, &x.Position, &x.Input, &x.Category, &expected,
		&decision, &x.Reason, &x.CitedSection, &x.Thinking, &x.Visible, &x.Answer, &x.ConstitutionID,
		&x.ConstitutionVersion, &x.DraftHash, &x.Model, &x.LatencyMs, &x.Usage.InputTokens, &x.Usage.OutputTokens,
		&x.Error, &x.Attempts, &at, &output, &x.OutputReason, &x.OutputSection, &sparams, &aparams); err != nil {
		return x, err
	}
	var err error
	if x.SuperegoParams, err = model.DecodeParams(sparams); err != nil {
		return x, err
	}
	if x.AssistantParams, err = model.DecodeParams(aparams); err != nil {
		return x, err
	}
	x.Expected, x.Decision, x.OutputDecision = evals.Expected(expected), model.Decision(decision), model.Decision(output)
	x.Withdrawn = evals.Withdraws(x.OutputDecision)
	x.Correct = x.Expected.Right(x.Decision)
	x.FinishedAt = fromMicros(at)
	return x, nil
}

// InsertResult stores one finished row and counts it on its eval run, in
// one transaction; the row's seq is the run's new done count. A row already
// stored (a job delivered twice, or resumed after a crash) is left as it
// was: inserted is false and nothing is counted. done and errs are the
// run's counts after the write.
func (d *DB) InsertResult(ctx context.Context, x evals.EvalResult) (inserted bool, done, errs int, err error) {
	isErr := 0
	if x.Decision == model.DecisionError {
		isErr = 1
	}
	errDuplicate := errors.New("row already stored")
	err = d.tx(ctx, func(tx *sql.Tx) error {
		// Counting first takes the run's row lock, which orders concurrent
		// writers of one run and so makes seq gapless and unique.
		if err := tx.QueryRowContext(ctx, d.q(`UPDATE eval_runs SET done = done + 1, errors = errors + ? WHERE id = ? RETURNING done, errors`),
			isErr, x.EvalRunID).Scan(&done, &errs); err != nil {
			if isNoRows(err) {
				return fmt.Errorf("eval run %q: %w", x.EvalRunID, store.ErrNotFound)
			}
			return err
		}
		res, err := tx.ExecContext(ctx, d.q(`INSERT INTO eval_results (`+resultCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (eval_run_id, case_id, target, rep) DO NOTHING`),
			x.EvalRunID, x.CaseID, x.Target, x.Repeat, done, x.Position, x.Input, x.Category, string(x.Expected),
			string(x.Decision), x.Reason, x.CitedSection, x.Thinking, x.Visible, x.Answer, x.ConstitutionID,
			x.ConstitutionVersion, x.DraftHash, x.Model, x.LatencyMs, x.Usage.InputTokens, x.Usage.OutputTokens,
			x.Error, x.Attempts, micros(x.FinishedAt), string(x.OutputDecision), x.OutputReason, x.OutputSection,
			model.EncodeParams(x.SuperegoParams), model.EncodeParams(x.AssistantParams))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errDuplicate
		}
		inserted = true
		return nil
	})
	if errors.Is(err, errDuplicate) {
		run, err := d.GetRun(ctx, x.EvalRunID)
		return false, run.Done, run.Errors, err
	}
	return inserted, done, errs, err
}

// ResultsSince returns up to limit rows of a run stored after seq, in
// the order they were stored.
func (d *DB) ResultsSince(ctx context.Context, runID string, seq int64, limit int) ([]evals.EvalResult, error) {
	return sqlstore.QueryAll(ctx, d.reader(), scanResult, `SELECT `+resultCols+` FROM eval_results WHERE eval_run_id = ? AND seq > ? ORDER BY seq LIMIT ?`, runID, seq, limit)
}

// RowKey names one row of an eval.
type RowKey struct {
	CaseID         string
	Target, Repeat int
}

// DoneRows returns the rows of an eval already stored for the cases at
// positions from..to-1.
func (d *DB) DoneRows(ctx context.Context, runID string, from, to int64) (map[RowKey]bool, error) {
	rows, err := d.r.QueryContext(ctx, d.q(`SELECT case_id, target, rep FROM eval_results WHERE eval_run_id = ? AND position >= ? AND position < ?`), runID, from, to)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	out := map[RowKey]bool{}
	for rows.Next() {
		var k RowKey
		if err := rows.Scan(&k.CaseID, &k.Target, &k.Repeat); err != nil {
			return nil, err
		}
		out[k] = true
	}
	return out, rows.Err()
}

// wrongSQL is true for a row whose decision is not right for its label
// (evals.Expected.Right in SQL).
const wrongSQL = `NOT ((r.expected = 'ALLOW' AND r.decision = 'ALLOW') OR (r.expected = 'CAUTION' AND r.decision = 'CAUTION')
	OR (r.expected = 'BLOCK' AND r.decision = 'BLOCK') OR (r.expected = 'NOT_ALLOW' AND r.decision IN ('CAUTION', 'BLOCK')))`

// flakySQL is true for a row of a (case, target) whose repeats disagree.
const flakySQL = `EXISTS (SELECT 1 FROM eval_results o WHERE o.eval_run_id = r.eval_run_id AND o.case_id = r.case_id
	AND o.target = r.target AND o.decision <> r.decision)`

type resultKey struct {
	Position int64  `json:"p"`
	CaseID   string `json:"c"`
	Target   int    `json:"t"`
	Repeat   int    `json:"r"`
}

// ListResults pages through an eval's rows in case order, then target,
// then repeat, keeping those f selects.
func (d *DB) ListResults(ctx context.Context, runID string, f evals.EvalResultFilter, p store.Page) ([]evals.EvalResult, string, error) {
	var k resultKey
	after, err := store.DecodeCursor(p.Cursor, &k)
	if err != nil {
		return nil, "", err
	}
	var where []string
	args := []any{runID}
	if after {
		where = append(where, `(r.position > ? OR (r.position = ? AND (r.case_id > ? OR (r.case_id = ? AND (r.target > ? OR (r.target = ? AND r.rep > ?))))))`)
		args = append(args, k.Position, k.Position, k.CaseID, k.CaseID, k.Target, k.Target, k.Repeat)
	}
	if f.Target != nil {
		where, args = append(where, `r.target = ?`), append(args, *f.Target)
	}
	if f.Decision != "" {
		where, args = append(where, `r.decision = ?`), append(args, string(f.Decision))
	}
	if f.Category != "" {
		where, args = append(where, `r.category = ?`), append(args, f.Category)
	}
	if f.WrongOnly {
		where = append(where, wrongSQL)
	}
	if f.FlakyOnly {
		where = append(where, flakySQL)
	}
	query := `SELECT ` + prefixed(resultCols) + ` FROM eval_results r WHERE r.eval_run_id = ?`
	for _, w := range where {
		query += " AND " + w
	}
	query += ` ORDER BY r.position, r.case_id, r.target, r.rep`
	return sqlstore.QueryPage(ctx, d.reader(), scanResult, p, func(x evals.EvalResult) any {
		return resultKey{Position: x.Position, CaseID: x.CaseID, Target: x.Target, Repeat: x.Repeat}
	}, query, args...)
}

// AllResults returns every row of an eval in order; with texts false the
// thinking, visible reply and answer are left empty (metrics need none).
func (d *DB) AllResults(ctx context.Context, runID string, texts bool) ([]evals.EvalResult, error) {
	cols := lightCols
	if texts {
		cols = resultCols
	}
	out, err := sqlstore.QueryAll(ctx, d.reader(), scanResult, `SELECT `+cols+` FROM eval_results WHERE eval_run_id = ? ORDER BY position, case_id, target, rep`, runID)
	if err != nil {
		return nil, fmt.Errorf("eval run %q results: %w", runID, err)
	}
	return out, nil
}

// prefixed qualifies a column list with the alias r.
func prefixed(cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = "r." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
