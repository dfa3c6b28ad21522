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

const suiteCols = `id, name, description, source, license, builtin, version, case_count, counts, created_at, updated_at`

func scanSuite(r rowScanner) (evals.EvalSuite, error) {
	var s evals.EvalSuite
	var builtin int
	var counts string
	var created, updated int64
	if err := r.Scan(&s.ID, &s.Name, &s.Description, &s.Source, &s.License, &builtin, &s.Version,
		&s.CaseCount, &counts, &created, &updated); err != nil {
		return s, err
	}
	s.Builtin = builtin != 0
	s.CreatedAt, s.UpdatedAt = fromMicros(created), fromMicros(updated)
	if err := json.Unmarshal([]byte(counts), &s.Counts); err != nil {
		return s, fmt.Errorf("evalsql: suite %s counts: %w", s.ID, err)
	}
	return s, nil
}

// ListSuites lists suites by id.
func (d *DB) ListSuites(ctx context.Context, p store.Page) ([]evals.EvalSuite, string, error) {
	after, _, err := store.DecodeIDCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	return sqlstore.QueryPage(ctx, d.reader(), scanSuite, p, func(s evals.EvalSuite) any { return store.IDKey{ID: s.ID} },
		`SELECT `+suiteCols+` FROM eval_suites WHERE id > ? ORDER BY id`, after)
}

// GetSuite reads one suite; a missing one is store.ErrNotFound.
func (d *DB) GetSuite(ctx context.Context, id string) (evals.EvalSuite, error) {
	return d.getSuite(ctx, d.r, id)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (d *DB) getSuite(ctx context.Context, q querier, id string) (evals.EvalSuite, error) {
	s, err := scanSuite(q.QueryRowContext(ctx, d.q(`SELECT `+suiteCols+` FROM eval_suites WHERE id = ?`), id))
	if isNoRows(err) {
		return s, fmt.Errorf("eval suite %q: %w", id, store.ErrNotFound)
	}
	return s, err
}

// CreateSuite stores a new suite at version 1 with its cases. A taken id is
// store.ErrConflict.
func (d *DB) CreateSuite(ctx context.Context, s evals.EvalSuite, cases []evals.EvalCase) (evals.EvalSuite, error) {
	now := micros(d.now())
	counts, err := json.Marshal(evals.CountExpected(cases))
	if err != nil {
		return s, err
	}
	err = d.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`INSERT INTO eval_suites (`+suiteCols+`) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
			s.ID, s.Name, s.Description, s.Source, s.License, boolInt(s.Builtin), len(cases), string(counts), now, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("eval suite %q already exists: %w", s.ID, store.ErrConflict)
		}
		if err := d.insertVersion(ctx, tx, s.ID, 1, s.Name, s.Description, "created", len(cases), now); err != nil {
			return err
		}
		return d.insertCases(ctx, tx, s.ID, 1, cases, 0)
	})
	if err != nil {
		return s, err
	}
	return d.GetSuite(ctx, s.ID)
}

// UpdateSuite replaces name, description, source and license and, when
// cases is not nil, the whole case list, as a new version. Cases that did
// not change keep their stored row; changed or dropped ones end at the new
// version. Built-in suites are store.ErrConflict.
func (d *DB) UpdateSuite(ctx context.Context, s evals.EvalSuite, cases []evals.EvalCase, change string, ifVersion int) (evals.EvalSuite, error) {
	now := micros(d.now())
	err := d.tx(ctx, func(tx *sql.Tx) error {
		cur, err := d.lockSuite(ctx, tx, s.ID, ifVersion)
		if err != nil {
			return err
		}
		if cur.Builtin {
			return fmt.Errorf("eval suite %q is built in and read-only (only labels can be corrected): %w", s.ID, store.ErrConflict)
		}
		v := cur.Version + 1
		count, counts := cur.CaseCount, cur.Counts
		if cases != nil {
			if err := d.replaceCases(ctx, tx, s.ID, v, cases); err != nil {
				return err
			}
			count, counts = len(cases), evals.CountExpected(cases)
		}
		return d.bumpSuite(ctx, tx, s, v, count, counts, change, now)
	})
	if err != nil {
		return evals.EvalSuite{}, err
	}
	return d.GetSuite(ctx, s.ID)
}

// bumpSuite writes a suite's row at version v and records the version.
func (d *DB) bumpSuite(ctx context.Context, tx *sql.Tx, s evals.EvalSuite, v, count int, counts map[evals.Expected]int, change string, now int64) error {
	cj, err := json.Marshal(counts)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, d.q(`UPDATE eval_suites SET name = ?, description = ?, source = ?, license = ?,
		version = ?, case_count = ?, counts = ?, updated_at = ? WHERE id = ?`),
		s.Name, s.Description, s.Source, s.License, v, count, string(cj), now, s.ID); err != nil {
		return err
	}
	return d.insertVersion(ctx, tx, s.ID, v, s.Name, s.Description, change, count, now)
}

// lockSuite reads a suite inside a write transaction and checks ifVersion.
func (d *DB) lockSuite(ctx context.Context, tx *sql.Tx, id string, ifVersion int) (evals.EvalSuite, error) {
	lock := ""
	if d.pg {
		lock = " FOR UPDATE"
	}
	s, err := scanSuite(tx.QueryRowContext(ctx, d.q(`SELECT `+suiteCols+` FROM eval_suites WHERE id = ?`+lock), id))
	if isNoRows(err) {
		return s, fmt.Errorf("eval suite %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return s, err
	}
	if ifVersion != store.Any && ifVersion != s.Version {
		return s, fmt.Errorf("eval suite %q is at version %d: %w", id, s.Version, store.ErrVersionMismatch)
	}
	return s, nil
}

// DeleteSuite removes a suite with its cases and versions. Built-in suites,
// and suites that eval runs ran on, are store.ErrConflict.
func (d *DB) DeleteSuite(ctx context.Context, id string, ifVersion int) error {
	return d.tx(ctx, func(tx *sql.Tx) error {
		cur, err := d.lockSuite(ctx, tx, id, ifVersion)
		if err != nil {
			return err
		}
		if cur.Builtin {
			return fmt.Errorf("eval suite %q is built in and cannot be deleted: %w", id, store.ErrConflict)
		}
		runs, err := sqlstore.QueryAll(ctx, tx, func(r rowScanner) (string, error) {
			var run string
			err := r.Scan(&run)
			return "eval-run:" + run, err
		}, d.q(`SELECT id FROM eval_runs WHERE suite_id = ? ORDER BY id LIMIT 5`), id)
		if err != nil {
			return err
		}
		if len(runs) > 0 {
			return &store.InUseError{Resource: "eval suite", ID: id, RefBy: runs}
		}
		for _, stmt := range []string{
			`DELETE FROM eval_cases WHERE suite_id = ?`,
			`DELETE FROM eval_suite_versions WHERE suite_id = ?`,
			`DELETE FROM eval_suites WHERE id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, d.q(stmt), id); err != nil {
				return err
			}
		}
		return nil
	})
}

func (d *DB) insertVersion(ctx context.Context, tx *sql.Tx, id string, v int, name, desc, change string, count int, now int64) error {
	_, err := tx.ExecContext(ctx, d.q(`INSERT INTO eval_suite_versions (suite_id, version, name, description, change, case_count, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`), id, v, name, desc, change, count, now)
	return err
}

// ListSuiteVersions lists a suite's versions, oldest first.
func (d *DB) ListSuiteVersions(ctx context.Context, id string, p store.Page) ([]evals.EvalSuiteVersion, string, error) {
	if _, err := d.GetSuite(ctx, id); err != nil {
		return nil, "", err
	}
	var after struct {
		Version int `json:"version"`
	}
	if _, err := store.DecodeCursor(p.Cursor, &after); err != nil {
		return nil, "", err
	}
	scan := func(r rowScanner) (evals.EvalSuiteVersion, error) {
		var v evals.EvalSuiteVersion
		var at int64
		err := r.Scan(&v.SuiteID, &v.Version, &v.Name, &v.Description, &v.Change, &v.CaseCount, &at)
		v.CreatedAt = fromMicros(at)
		return v, err
	}
	return sqlstore.QueryPage(ctx, d.reader(), scan, p, func(v evals.EvalSuiteVersion) any {
		return struct {
			Version int `json:"version"`
		}{v.Version}
	}, `SELECT suite_id, version, name, description, change, case_count, created_at
		FROM eval_suite_versions WHERE suite_id = ? AND version > ? ORDER BY version`, id, after.Version)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
