package evalsql

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store/postgres/pgtest"
	"github.com/superego-lab/superego/internal/store/teststore"
)

// TestUpgradeKeepsRowsWithoutAnOutputVerdict: a database with eval rows
// written before the output verdict columns (schema version 1) migrates in
// place, and its rows read back with no output verdict.
func TestUpgradeKeepsRowsWithoutAnOutputVerdict(t *testing.T) {
	ctx := context.Background()
	pg := teststore.Kind(t) == "postgres"
	var db *sql.DB
	var err error
	if pg {
		db, err = sql.Open("pgx", pgtest.SchemaURL(t))
	} else {
		db, err = sql.Open("sqlite", filepath.Join(t.TempDir(), "old.db"))
		db.SetMaxOpenConns(1)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	dialect := goose.DialectSQLite3
	if pg {
		dialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, db, fsys, goose.WithTableName("eval_goose_db_version"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	d := New(db, db, pg)
	for _, q := range []string{
		`INSERT INTO eval_suites (id, name, description, source, license, version, case_count, counts, created_at, updated_at)
			VALUES ('s', 's', '', '', '', 1, 1, '{}', 0, 0)`,
		`INSERT INTO eval_runs (id, suite_id, suite_version, targets, repeats, mode, status, total, done, errors, error, created_at)
			VALUES ('r', 's', 1, '[]', 1, 'full', 'completed', 1, 1, 0, '', 0)`,
		`INSERT INTO eval_results (eval_run_id, case_id, target, rep, seq, position, input, category, expected, decision, reason,
			cited_section, thinking, visible, answer, constitution_id, constitution_version, draft_hash, model, latency_ms,
			input_tokens, output_tokens, error, attempts, finished_at)
			VALUES ('r', 'c', 0, 0, 1, 0, 'hi', '', 'ALLOW', 'ALLOW', '', '', '', '', 'hello', '', 0, '', 'demo', 5, 1, 1, '', 1, 0)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := Migrate(ctx, db, pg); err != nil {
		t.Fatal(err)
	}
	rows, err := d.AllResults(ctx, "r", true)
	if err != nil || len(rows) != 1 {
		t.Fatalf("%d rows after the upgrade (%v)", len(rows), err)
	}
	if x := rows[0]; x.Answer != "hello" || x.Decision != model.DecisionAllow || x.OutputDecision != "" || x.OutputReason != "" || x.Withdrawn {
		t.Fatalf("old row read back as %+v", x)
	}
}
