// Package evaltest opens, for tests, the main store and the evaluation
// store on one database: a fresh SQLite file, or a fresh PostgreSQL schema
// when SUPEREGO_TEST_STORE=postgres (as the REST, WebSocket and engine
// suites choose theirs), so every eval suite runs on both stores.
package evaltest

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/superego-lab/superego/internal/evals/evalsql"
	"github.com/superego-lab/superego/internal/seed"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/postgres"
	"github.com/superego-lab/superego/internal/store/postgres/pgtest"
	"github.com/superego-lab/superego/internal/store/sqlite"
	"github.com/superego-lab/superego/internal/store/teststore"
)

// Stores is a main store and the evaluation store on the same database.
type Stores struct {
	Main  store.Store
	Evals *evalsql.DB
	// Pool is the PostgreSQL pool (nil on SQLite), for River.
	Pool *postgres.Store
	// Path is the SQLite file ("" on PostgreSQL).
	Path string
}

// Open returns fresh, seeded stores closed at the end of the test.
func Open(t testing.TB) Stores {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	var s Stores
	if teststore.Kind(t) == "postgres" {
		pg, err := postgres.Open(ctx, pgtest.SchemaURL(t), postgres.Options{}, quiet)
		if err != nil {
			t.Fatalf("open postgres store: %v", err)
		}
		s.Main, s.Pool = pg, pg
		if s.Evals, err = evalsql.OpenPostgres(ctx, pg.Pool()); err != nil {
			t.Fatalf("open eval store: %v", err)
		}
	} else {
		s.Path = filepath.Join(t.TempDir(), "superego.db")
		lite, err := sqlite.Open(ctx, s.Path, quiet)
		if err != nil {
			t.Fatalf("open sqlite store: %v", err)
		}
		s.Main = lite
		if s.Evals, err = evalsql.OpenSQLite(ctx, s.Path); err != nil {
			t.Fatalf("open eval store: %v", err)
		}
	}
	t.Cleanup(func() {
		_ = s.Evals.Close()
		_ = s.Main.Close()
	})
	if err := seed.Apply(ctx, s.Main, quiet); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return s
}
