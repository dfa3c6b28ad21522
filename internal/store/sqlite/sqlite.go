// Package sqlite is the default Store: one SQLite file opened through the
// pure-Go modernc.org/sqlite driver, so the binary builds with CGO_ENABLED=0.
// The CRUD itself is sqlstore's; this package opens the file and gives the
// SQLite dialect.
//
// Writes go through a single connection (SQLite admits one writer at a
// time; serialising them in Go avoids SQLITE_BUSY storms) while reads use a
// pool of read-only connections, which WAL lets run beside the writer.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/sqlstore"
)

// Store implements store.Store on one SQLite database file.
type Store struct {
	*sqlstore.Store
	w    *sql.DB // exactly one connection: all writes
	r    *sql.DB // read-only pool
	path string

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// dialect is SQLite's: ? placeholders, times as fixed-width text, no row
// locks (a write transaction holds the database from BEGIN IMMEDIATE),
// statements prepared once and kept (SQLite would parse each query on every
// call), the single writer committing many callers' writes together, and
// rows read by id kept in memory.
var dialect = sqlstore.Dialect{
	Name:        "sqlite",
	Time:        func(t time.Time) any { return t.Format(sqlstore.TimeLayout) },
	Prepare:     true,
	GroupCommit: true,
	SearchQueue: true,
	// This process alone writes the file (it holds the data directory's
	// lock), so rows read by id can be kept in memory exactly.
	Cache: true,
	// The driver's error text is stable ("UNIQUE constraint failed: ..."),
	// and matching it avoids depending on the driver's internal types.
	IsUniqueViolation: func(err error) bool {
		return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
	},
	IsForeignKeyViolation: func(err error) bool {
		return err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
	},
}

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

	if err := sqlstore.Migrate(ctx, w, "sqlite", log); err != nil {
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
	return &Store{Store: sqlstore.New(w, r, dialect), w: w, r: r, path: path}, nil
}

// Close closes both pools; later calls return the first call's result.
// SQLite checkpoints the WAL when the last connection closes.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.Store.Close() })
	return s.closeErr
}
