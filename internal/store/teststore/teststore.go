// Package teststore opens the store the REST, WebSocket and engine suites
// run on, so that each suite can run unchanged on SQLite and on
// PostgreSQL. SUPEREGO_TEST_STORE=postgres selects a fresh PostgreSQL
// schema on the server named by SUPEREGO_TEST_DATABASE_URL; anything else
// (the default) a fresh SQLite file in a temp dir. `make test` runs those
// suites once per store.
package teststore

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/superego-lab/superego/internal/seed"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/postgres"
	"github.com/superego-lab/superego/internal/store/postgres/pgtest"
	"github.com/superego-lab/superego/internal/store/sqlite"
)

// EnvStore names the variable that selects the store ("sqlite" or
// "postgres").
const EnvStore = "SUPEREGO_TEST_STORE"

// Kind returns the selected store kind. An unknown value fails the test so
// a typo never silently falls back to SQLite.
func Kind(t testing.TB) string {
	t.Helper()
	switch k := os.Getenv(EnvStore); k {
	case "", "sqlite":
		return "sqlite"
	case "postgres":
		return "postgres"
	default:
		t.Fatalf("%s=%q: want sqlite or postgres", EnvStore, k)
		return ""
	}
}

// Open returns a fresh, empty store closed at the end of the test.
func Open(t testing.TB) store.Store {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	var st store.Store
	switch Kind(t) {
	case "postgres":
		if os.Getenv(pgtest.EnvURL) == "" {
			t.Fatalf("%s=postgres needs %s", EnvStore, pgtest.EnvURL)
		}
		pg, err := postgres.Open(ctx, pgtest.SchemaURL(t), postgres.Options{}, quiet)
		if err != nil {
			t.Fatalf("open postgres store: %v", err)
		}
		st = pg
	default:
		lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "superego.db"), quiet)
		if err != nil {
			t.Fatalf("open sqlite store: %v", err)
		}
		st = lite
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// Seeded returns a fresh store holding the first-start seed data.
func Seeded(t testing.TB) store.Store {
	t.Helper()
	st := Open(t)
	if err := seed.Apply(context.Background(), st, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return st
}
