// Package sqlstore is the one implementation of store.Store in SQL, shared
// by the SQLite and PostgreSQL stores through database/sql. What the two
// databases do differently (placeholders, how a time is stored, row locks,
// error codes, column types in migrations) is a Dialect, given by the
// package that opens the database; everything else is written once here.
//
// A Store has a writer and a reader handle. On SQLite they are separate
// pools (one writer connection, several read-only ones); on PostgreSQL both
// are the same pool.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/superego-lab/superego/internal/store"
)

// Dialect is what differs between the databases the store runs on.
type Dialect struct {
	// Name prefixes error messages and selects the migrations' types
	// ("sqlite" or "postgres").
	Name string
	// Numbered means placeholders are $1, $2, … (PostgreSQL); queries are
	// written with ? and rewritten once per query text.
	Numbered bool
	// Time encodes a time as a parameter (SQLite keeps fixed-width text).
	Time func(time.Time) any
	// Row locks appended to a SELECT inside a write transaction: Share keeps
	// a referenced row from being deleted, Update locks a row to be changed
	// (its key stays), Delete one to be deleted. Empty on SQLite, whose
	// write transactions hold the whole database from BEGIN IMMEDIATE.
	LockShare, LockUpdate, LockDelete string
	// XactLock, when set, takes a transaction-scoped lock on the int64 key
	// given as its one parameter.
	XactLock string
	// Prepare: the store prepares each query text once per connection and
	// keeps it (SQLite; pgx keeps such a cache of its own).
	Prepare bool
	// GroupCommit: writes go through one connection, which commits the
	// writes of many callers together (SQLite's single writer).
	GroupCommit bool
	// SearchQueue: the schema queues messages for search and the writer
	// indexes them just before each commit (SQLite, migration 00009).
	SearchQueue bool
	// Cache: rows of the cached tables are kept in memory by id (see
	// cache.go). Only for a database this process alone writes (SQLite).
	Cache bool
	// IsUniqueViolation and IsForeignKeyViolation classify driver errors;
	// IsInvalidText (optional) reports a parameter the database cannot
	// hold as text (PostgreSQL: NUL characters, invalid UTF-8), so a
	// lookup by such an id finds nothing instead of failing.
	IsUniqueViolation     func(error) bool
	IsForeignKeyViolation func(error) bool
	IsInvalidText         func(error) bool
}

// Store implements store.Store on database/sql.
type Store struct {
	w, r  *sql.DB
	d     Dialect
	binds sync.Map // query text with ? → with $n, for Numbered dialects
	stmts sync.Map // stmtKey → *sql.Stmt, with Prepare
	later sync.Map // stmtKey → true: to prepare once the writer is free
	group *group   // with GroupCommit
	cache *caches  // with Cache
}

var _ store.Store = (*Store)(nil)

// New returns a store writing through w and reading through r (which may be
// the same pool). The schema must be migrated (Migrate).
func New(w, r *sql.DB, d Dialect) *Store {
	s := &Store{w: w, r: r, d: d}
	if d.GroupCommit {
		s.group = newGroup(s)
	}
	if d.Cache {
		s.cache = newCaches()
	}
	return s
}

// Busy reports store.ErrBusy (wrapped, with the reason) when writes queue
// for the database so long that new work should be refused for now. The
// writes of work already under way are never refused.
func (s *Store) Busy() error {
	if s.group == nil {
		return nil
	}
	return s.group.busy()
}

// LocalReads reports whether reads go to a database file on this machine
// (SQLite), which no network can leave hanging, so that a caller may read
// without a cancellable context: with one, every statement costs two
// goroutines (the driver's interrupt watch and database/sql's).
func (s *Store) LocalReads() bool { return s.d.Name == "sqlite" }

// Ping checks both handles.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return err
	}
	return s.r.PingContext(ctx)
}

// Close finishes the writes handed in, then closes the reader and the
// writer.
func (s *Store) Close() error {
	if s.group != nil {
		s.group.close()
	}
	s.closeStatements()
	if s.r == s.w {
		return s.w.Close()
	}
	return errors.Join(s.r.Close(), s.w.Close())
}

// Seeded reports whether the seed data was written once.
func (s *Store) Seeded(ctx context.Context) (bool, error) {
	var v string
	err := s.reader().QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'seeded'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, s.errorf("read seeded flag: %w", err)
	}
	return true, nil
}

// MarkSeeded records that the seed data was written.
func (s *Store) MarkSeeded(ctx context.Context) error {
	err := s.write(ctx, func(w db) error {
		_, err := w.ExecContext(ctx,
			`INSERT INTO meta(key, value) VALUES ('seeded', ?) ON CONFLICT(key) DO NOTHING`, now().Format(TimeLayout))
		return err
	})
	if err != nil {
		return s.errorf("mark seeded: %w", err)
	}
	return nil
}

// errorf formats an unexpected database error, prefixed with the dialect.
func (s *Store) errorf(format string, args ...any) error {
	return fmt.Errorf(s.d.Name+": "+format, args...)
}

// bind rewrites ? placeholders as $1, $2, … for numbered dialects. The
// queries are the package's own constants, with no ? inside literals.
func (s *Store) bind(query string) string {
	if !s.d.Numbered {
		return query
	}
	if b, ok := s.binds.Load(query); ok {
		return b.(string)
	}
	var b strings.Builder
	n := 0
	for _, part := range strings.SplitAfter(query, "?") {
		if strings.HasSuffix(part, "?") {
			n++
			b.WriteString(part[:len(part)-1] + "$" + strconv.Itoa(n))
		} else {
			b.WriteString(part)
		}
	}
	s.binds.Store(query, b.String())
	return b.String()
}

// now is the current time as the store keeps it: UTC, microseconds (the
// precision of PostgreSQL's timestamptz), no monotonic reading, so values
// compare equal after a round trip.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// roundTime brings a caller's optional time to the stored precision, so the
// value returned by a write equals the one a later read returns.
func roundTime(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	r := t.UTC().Truncate(time.Microsecond)
	return &r
}

// nullStr stores "" as NULL, for optional references.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// versionError reports a row found at another version than the caller's.
func versionError(resource, id string, have, want int) error {
	return fmt.Errorf("%s %q is at version %d, not %d: %w", resource, id, have, want, store.ErrVersionMismatch)
}

// checkVersion locks the row (lock is a Dialect lock) for the rest of the
// transaction and fails with ErrNotFound or ErrVersionMismatch unless it
// exists at ifVersion (or ifVersion is store.Any), so the check and the
// write that follows are atomic against other writers.
func checkVersion(ctx context.Context, tx db, lock, table, resource, id string, ifVersion int) error {
	var v int
	err := tx.QueryRowContext(ctx, `SELECT version FROM `+table+` WHERE id = ? `+lock, id).Scan(&v)
	if err != nil {
		return tx.s.notFound(err, resource, id)
	}
	if ifVersion != store.Any && v != ifVersion {
		return versionError(resource, id, v, ifVersion)
	}
	return nil
}

// invalidText reports err is about a parameter the database cannot hold.
func (s *Store) invalidText(err error) bool {
	return s.d.IsInvalidText != nil && s.d.IsInvalidText(err)
}

// notFound wraps sql.ErrNoRows (or an id the database cannot even hold)
// as store.ErrNotFound.
func (s *Store) notFound(err error, resource, id string) error {
	if errors.Is(err, sql.ErrNoRows) || s.invalidText(err) {
		return fmt.Errorf("%s %q: %w", resource, id, store.ErrNotFound)
	}
	return s.errorf("%s %q: %w", resource, id, err)
}

// created maps a failed INSERT: a duplicate key is ErrConflict.
func (s *Store) created(err error, resource, id string) error {
	if err == nil {
		return nil
	}
	if s.d.IsUniqueViolation(err) {
		return fmt.Errorf("%s %q already exists: %w", resource, id, store.ErrConflict)
	}
	return s.errorf("create %s: %w", resource, err)
}
