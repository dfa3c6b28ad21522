package evalsql

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/sqlstore"
)

const caseCols = `case_id, position, input, turns, expected, category, note, correction`

func scanCase(r rowScanner) (evals.EvalCase, int64, error) {
	var c evals.EvalCase
	var pos int64
	var turns, expected, correction string
	if err := r.Scan(&c.ID, &pos, &c.Input, &turns, &expected, &c.Category, &c.Note, &correction); err != nil {
		return c, 0, err
	}
	c.Expected = evals.Expected(expected)
	if turns != "" {
		if err := json.Unmarshal([]byte(turns), &c.Turns); err != nil {
			return c, 0, err
		}
	}
	if correction != "" {
		c.Correction = new(evals.EvalCorrection)
		if err := json.Unmarshal([]byte(correction), c.Correction); err != nil {
			return c, 0, err
		}
	}
	return c, pos, nil
}

// encodeCase returns the JSON columns of a case.
func encodeCase(c evals.EvalCase) (turns, correction string, err error) {
	if len(c.Turns) > 0 {
		b, err := json.Marshal(c.Turns)
		if err != nil {
			return "", "", err
		}
		turns = string(b)
	}
	if c.Correction != nil {
		b, err := json.Marshal(c.Correction)
		if err != nil {
			return "", "", err
		}
		correction = string(b)
	}
	return turns, correction, nil
}

// insertCases adds cases at version v, positions after first.
func (d *DB) insertCases(ctx context.Context, tx *sql.Tx, suiteID string, v int, cases []evals.EvalCase, first int64) error {
	stmt, err := tx.PrepareContext(ctx, d.q(`INSERT INTO eval_cases (suite_id, case_id, added_in, removed_in, position, input, turns, expected, category, note, correction)
		VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)`))
	if err != nil {
		return err
	}
	defer func() { _ = stmt.Close() }()
	for i, c := range cases {
		turns, corr, err := encodeCase(c)
		if err != nil {
			return err
		}
		if _, err := stmt.ExecContext(ctx, suiteID, c.ID, v, first+int64(i), c.Input, turns, string(c.Expected), c.Category, c.Note, corr); err != nil {
			return err
		}
	}
	return nil
}

// replaceCases makes cases the suite's case list from version v on. A case
// equal to its current row keeps the row (with its new position); others
// end the old row at v and start a new one.
func (d *DB) replaceCases(ctx context.Context, tx *sql.Tx, suiteID string, v int, cases []evals.EvalCase) error {
	cur, err := d.casesAt(ctx, tx, suiteID, 0)
	if err != nil {
		return err
	}
	old := make(map[string]evals.EvalCase, len(cur))
	for _, c := range cur {
		old[c.ID] = c
	}
	keep := map[string]bool{}
	var fresh []evals.EvalCase
	var freshPos []int64
	for i, c := range cases {
		if o, ok := old[c.ID]; ok && sameCase(o, c) {
			keep[c.ID] = true
			if _, err := tx.ExecContext(ctx, d.q(`UPDATE eval_cases SET position = ? WHERE suite_id = ? AND case_id = ? AND removed_in IS NULL`), i, suiteID, c.ID); err != nil {
				return err
			}
			continue
		}
		fresh, freshPos = append(fresh, c), append(freshPos, int64(i))
	}
	for _, c := range cur {
		if !keep[c.ID] {
			if _, err := tx.ExecContext(ctx, d.q(`UPDATE eval_cases SET removed_in = ? WHERE suite_id = ? AND case_id = ? AND removed_in IS NULL`), v, suiteID, c.ID); err != nil {
				return err
			}
		}
	}
	for i, c := range fresh {
		if err := d.insertCases(ctx, tx, suiteID, v, []evals.EvalCase{c}, freshPos[i]); err != nil {
			return err
		}
	}
	return nil
}

// sameCase compares what a client writes (a correction is kept only when
// the label it produced is unchanged).
func sameCase(a, b evals.EvalCase) bool {
	return a.ID == b.ID && a.Input == b.Input && a.Expected == b.Expected && a.Category == b.Category &&
		a.Note == b.Note && slices.Equal(a.Turns, b.Turns)
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// casesAt returns the cases of version v (0: current) in order.
func (d *DB) casesAt(ctx context.Context, q queryer, suiteID string, v int) ([]evals.EvalCase, error) {
	scan := func(r rowScanner) (evals.EvalCase, error) {
		c, _, err := scanCase(r)
		return c, err
	}
	if v == 0 {
		return sqlstore.QueryAll(ctx, q, scan, d.q(`SELECT `+caseCols+` FROM eval_cases WHERE suite_id = ? AND removed_in IS NULL ORDER BY position, case_id`), suiteID)
	}
	return sqlstore.QueryAll(ctx, q, scan, d.q(`SELECT `+caseCols+` FROM eval_cases WHERE suite_id = ? AND added_in <= ? AND (removed_in IS NULL OR removed_in > ?)
			ORDER BY position, case_id`), suiteID, v, v)
}

// Cases returns every case of version v of a suite (0: the current one).
func (d *DB) Cases(ctx context.Context, suiteID string, v int) ([]evals.EvalCase, error) {
	s, err := d.GetSuite(ctx, suiteID)
	if err != nil {
		return nil, err
	}
	if v > s.Version {
		return nil, fmt.Errorf("version %d of eval suite %q: %w", v, suiteID, store.ErrNotFound)
	}
	return d.casesAt(ctx, d.r, suiteID, v)
}

type caseKey struct {
	Position int64  `json:"p"`
	ID       string `json:"id"`
}

// ListCases pages through the current cases of a suite in order.
func (d *DB) ListCases(ctx context.Context, suiteID string, p store.Page) ([]evals.EvalCase, string, error) {
	if _, err := d.GetSuite(ctx, suiteID); err != nil {
		return nil, "", err
	}
	after := caseKey{Position: -1}
	if _, err := store.DecodeCursor(p.Cursor, &after); err != nil {
		return nil, "", err
	}
	type item struct {
		c   evals.EvalCase
		pos int64
	}
	scan := func(r rowScanner) (item, error) {
		c, pos, err := scanCase(r)
		return item{c, pos}, err
	}
	items, next, err := sqlstore.QueryPage(ctx, d.reader(), scan, p, func(it item) any { return caseKey{Position: it.pos, ID: it.c.ID} },
		`SELECT `+caseCols+` FROM eval_cases WHERE suite_id = ? AND removed_in IS NULL
		AND (position > ? OR (position = ? AND case_id > ?)) ORDER BY position, case_id`,
		suiteID, after.Position, after.Position, after.ID)
	if err != nil {
		return nil, "", err
	}
	cases := make([]evals.EvalCase, len(items))
	for i, it := range items {
		cases[i] = it.c
	}
	return cases, next, nil
}

// CorrectCase changes a case's expected label as a new suite version,
// recording who, when and why; the results of every eval of the suite take
// the new label, so their metrics are recomputed with it. Built-in suites
// accept corrections. A missing case is store.ErrNotFound.
func (d *DB) CorrectCase(ctx context.Context, suiteID, caseID string, to evals.Expected, reason, by string, ifVersion int) (evals.EvalSuite, evals.EvalCase, error) {
	now := d.now()
	var out evals.EvalCase
	err := d.tx(ctx, func(tx *sql.Tx) error {
		s, err := d.lockSuite(ctx, tx, suiteID, ifVersion)
		if err != nil {
			return err
		}
		c, pos, err := scanCase(tx.QueryRowContext(ctx, d.q(`SELECT `+caseCols+` FROM eval_cases WHERE suite_id = ? AND case_id = ? AND removed_in IS NULL`), suiteID, caseID))
		if isNoRows(err) {
			return fmt.Errorf("case %q of eval suite %q: %w", caseID, suiteID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		prev, from := c.Expected, c.Expected
		if c.Correction != nil {
			from = c.Correction.From // keep the dataset's own label as the original
		}
		c.Correction = &evals.EvalCorrection{From: from, Reason: reason, By: by, At: now.UTC().Truncate(time.Microsecond)}
		c.Expected = to
		v := s.Version + 1
		if _, err := tx.ExecContext(ctx, d.q(`UPDATE eval_cases SET removed_in = ? WHERE suite_id = ? AND case_id = ? AND removed_in IS NULL`), v, suiteID, caseID); err != nil {
			return err
		}
		if err := d.insertCases(ctx, tx, suiteID, v, []evals.EvalCase{c}, pos); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, d.q(`UPDATE eval_results SET expected = ? WHERE case_id = ? AND eval_run_id IN (SELECT id FROM eval_runs WHERE suite_id = ?)`),
			string(to), caseID, suiteID); err != nil {
			return err
		}
		counts := s.Counts
		if counts[prev]--; counts[prev] <= 0 {
			delete(counts, prev)
		}
		counts[to]++
		out = c
		return d.bumpSuite(ctx, tx, s, v, s.CaseCount, counts, fmt.Sprintf("case %s: expected %s → %s (%s)", caseID, prev, to, reason), micros(now))
	})
	if err != nil {
		return evals.EvalSuite{}, evals.EvalCase{}, err
	}
	s, err := d.GetSuite(ctx, suiteID)
	return s, out, err
}

// EnsureSuite creates a built-in suite unless a suite with its id exists;
// it reports whether it did.
func (d *DB) EnsureSuite(ctx context.Context, s evals.EvalSuite, cases []evals.EvalCase) (bool, error) {
	if _, err := d.GetSuite(ctx, s.ID); err == nil {
		return false, nil
	} else if !isNotFound(err) {
		return false, err
	}
	if _, err := d.CreateSuite(ctx, s, cases); err != nil {
		if isConflict(err) { // another replica seeded it first
			return false, nil
		}
		return false, err
	}
	return true, nil
}
