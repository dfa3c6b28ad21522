package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// TestOpenCreatesDirsAndPragmas checks the connection settings the package
// promises: WAL, foreign keys, busy timeout and NORMAL sync on the writer,
// and a read pool that refuses writes.
func TestOpenCreatesDirsAndPragmas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a", "b", "superego.db")
	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	for _, db := range []struct {
		name string
		q    *sql.DB
	}{{"writer", s.w}, {"reader", s.r}} {
		var mode string
		var fk, busy, sync int
		if err := db.q.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if err := db.q.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if err := db.q.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busy); err != nil {
			t.Fatal(err)
		}
		if err := db.q.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" || fk != 1 || busy != 5000 || sync != 1 {
			t.Errorf("%s: journal_mode=%s foreign_keys=%d busy_timeout=%d synchronous=%d", db.name, mode, fk, busy, sync)
		}
	}
	if _, err := s.r.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES ('x', 'y')`); err == nil {
		t.Error("reader pool accepted a write")
	}
	if s.w.Stats().MaxOpenConnections != 1 {
		t.Errorf("writer MaxOpenConnections = %d, want 1", s.w.Stats().MaxOpenConnections)
	}
	if _, err := s.CreateConstitution(ctx, model.Constitution{Meta: model.Meta{ID: "c"}, Name: "C"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetConstitution(ctx, "c"); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRejectsBadPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "plain-file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"", filepath.Join(dir, "x.db?mode=ro"), filepath.Join(file, "under-a-file.db")} {
		if s, err := Open(context.Background(), p, nil); err == nil {
			_ = s.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

// TestOpenRefusesForeignFile: a file that is not a SQLite database is an
// error at Open, and the file is left exactly as it was.
func TestOpenRefusesForeignFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "notes.db")
	junk := bytes.Repeat([]byte("these are someone's notes, not a database\n"), 200)
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(context.Background(), path, nil); err == nil {
		_ = s.Close()
		t.Fatal("Open succeeded on a file that is not a database")
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, junk) {
		t.Error("Open changed a file that is not a database")
	}
}

// TestMigrationsIdempotent opens the same file twice: the second Open must
// apply nothing and keep the data.
func TestMigrationsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSysprompt(ctx, model.Sysprompt{Meta: model.Meta{ID: "p"}, Name: "P"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.GetSysprompt(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSysprompt(ctx, "q"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing sysprompt: %v", err)
	}
}
