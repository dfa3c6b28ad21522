// Package sqlite is the default Store: one SQLite file opened through the
// pure-Go modernc.org/sqlite driver, so the binary builds with CGO_ENABLED=0.
//
// Writes go through a single connection (SQLite admits one writer at a
// time; serialising them in Go avoids SQLITE_BUSY storms) while reads use a
// pool of read-only connections, which WAL lets run beside the writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/superego-lab/superego/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store implements store.Store on one SQLite database file.
type Store struct {
	w    *sql.DB // exactly one connection: all writes
	r    *sql.DB // read-only pool
	path string

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path, with its parent
// directories, and brings the schema up to date.
func Open(ctx context.Context, path string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: unusable database path %q", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: create data directory: %w", err)
		}
	}

	// busy_timeout comes first so that the pragmas after it, which may need
	// a lock, wait instead of failing when another connection holds one.
	pragmas := []string{"busy_timeout(5000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(ON)"}
	dsn := func(extra ...string) string {
		q := url.Values{}
		for _, p := range slices.Concat(pragmas, extra) {
			q.Add("_pragma", p)
		}
		return path + "?" + q.Encode()
	}

	// The writer begins IMMEDIATE transactions: every transaction on it is
	// going to write, and taking the lock up front avoids a deferred
	// transaction failing to upgrade when another process holds it.
	w, err := sql.Open("sqlite", dsn()+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	if err := migrate(ctx, w, log); err != nil {
		_ = w.Close()
		return nil, err
	}

	r, err := sql.Open("sqlite", dsn("query_only(1)"))
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("sqlite: open readers: %w", err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	if err := r.PingContext(ctx); err != nil {
		_ = w.Close()
		_ = r.Close()
		return nil, fmt.Errorf("sqlite: open readers: %w", err)
	}
	return &Store{w: w, r: r, path: path}, nil
}

// migrate applies the embedded migrations that are not yet applied.
func migrate(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys)
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	for _, r := range results {
		log.Info("applied migration", "version", r.Source.Version, "file", filepath.Base(r.Source.Path), "duration", r.Duration)
	}
	return nil
}

// Ping checks both connection pools.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return err
	}
	return s.r.PingContext(ctx)
}

// Close closes both pools; later calls return the first call's result.
// SQLite checkpoints the WAL when the last connection closes.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = errors.Join(s.r.Close(), s.w.Close()) })
	return s.closeErr
}

// Seeded reports whether the seed data was written once.
func (s *Store) Seeded(ctx context.Context) (bool, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'seeded'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlite: read seeded flag: %w", err)
	}
	return true, nil
}

// MarkSeeded records that the seed data was written.
func (s *Store) MarkSeeded(ctx context.Context) error {
	_, err := s.w.ExecContext(ctx,
		`INSERT INTO meta(key, value) VALUES ('seeded', ?) ON CONFLICT(key) DO NOTHING`, fmtTime(now()))
	if err != nil {
		return fmt.Errorf("sqlite: mark seeded: %w", err)
	}
	return nil
}

// tx runs fn in a write transaction, committing when it returns nil.
func (s *Store) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// querier is what both *sql.DB and *sql.Tx offer for reads.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// timeLayout is fixed-width so stored times sort as strings. Microseconds
// match PostgreSQL's precision, so both stores return the same values.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// now is the current time as the store keeps it: UTC, microseconds, no
// monotonic reading (so values compare equal after a round trip).
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlite: stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

// nullTime formats an optional time for a nullable column.
func nullTime(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return fmtTime(*t)
}

func parseNullTime(ns sql.NullString) (*time.Time, error) {
	if !ns.Valid {
		return nil, nil
	}
	t, err := parseTime(ns.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// nullStr stores "" as NULL, for optional references.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// isUniqueViolation reports a PRIMARY KEY or UNIQUE constraint failure.
// The driver's error text is stable ("UNIQUE constraint failed: ..."), and
// matching it avoids depending on the driver's internal error types.
func isUniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// versionMatches is the WHERE fragment for If-Match: ifVersion store.Any
// (0) matches every version. It takes the ifVersion argument twice.
const versionMatches = `(? = 0 OR version = ?)`

// checkWritten turns "no row was updated" into ErrNotFound or
// ErrVersionMismatch, looking the row up inside the same transaction.
func checkWritten(ctx context.Context, tx *sql.Tx, res sql.Result, table, resource, id string, ifVersion int) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: %s %q: %w", resource, id, err)
	}
	if n > 0 {
		return nil
	}
	var v int
	err = tx.QueryRowContext(ctx, `SELECT version FROM `+table+` WHERE id = ?`, id).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %q: %w", resource, id, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("sqlite: %s %q: %w", resource, id, err)
	}
	return fmt.Errorf("%s %q is at version %d, not %d: %w", resource, id, v, ifVersion, store.ErrVersionMismatch)
}

// checkVersion fails with ErrNotFound or ErrVersionMismatch unless the row
// exists at ifVersion (or ifVersion is store.Any). Called inside a write
// transaction, whose lock is held from BEGIN IMMEDIATE, the check and the
// write that follows are atomic.
func checkVersion(ctx context.Context, tx *sql.Tx, table, resource, id string, ifVersion int) error {
	var v int
	err := tx.QueryRowContext(ctx, `SELECT version FROM `+table+` WHERE id = ?`, id).Scan(&v)
	if err != nil {
		return notFound(err, resource, id)
	}
	if ifVersion != store.Any && v != ifVersion {
		return fmt.Errorf("%s %q is at version %d, not %d: %w", resource, id, v, ifVersion, store.ErrVersionMismatch)
	}
	return nil
}

// notFound wraps sql.ErrNoRows as store.ErrNotFound.
func notFound(err error, resource, id string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %q: %w", resource, id, store.ErrNotFound)
	}
	return fmt.Errorf("sqlite: %s %q: %w", resource, id, err)
}

// roundTime brings a caller's optional time to the stored precision, so the
// value returned by a write equals the one a later read returns.
func roundTime(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	r := t.UTC().Truncate(time.Microsecond)
	return &r
}
