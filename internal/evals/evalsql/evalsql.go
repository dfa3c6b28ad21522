// Package evalsql stores evaluation suites, eval runs and their results in
// SQL: one implementation for SQLite and PostgreSQL, with the only dialect
// difference (placeholders) handled by rebind. Times are stored as Unix
// microseconds so both databases compare and order them alike.
package evalsql

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the evaluation store. It is safe for concurrent use.
type DB struct {
	w, r *sql.DB // writer and reader pools (the same pool on PostgreSQL)
	pg   bool
	now  func() time.Time

	closers []*sql.DB
}

// New returns a store on w (writes) and r (reads); postgres selects the
// $n placeholder dialect. The schema must be migrated (Migrate).
func New(w, r *sql.DB, postgres bool) *DB {
	if r == nil {
		r = w
	}
	return &DB{w: w, r: r, pg: postgres, now: time.Now}
}

// Migrate brings the evaluation tables up to date. They keep their own
// goose version table so they can be added to a database any release made.
func Migrate(ctx context.Context, db *sql.DB, postgres bool, opts ...goose.ProviderOption) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	dialect := goose.DialectSQLite3
	if postgres {
		dialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, db, fsys, append(opts, goose.WithTableName("eval_goose_db_version"))...)
	if err != nil {
		return fmt.Errorf("evalsql: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("evalsql: migrate: %w", err)
	}
	return nil
}

// q rewrites ? placeholders as $1, $2... on PostgreSQL. Queries are this
// package's own constants, which never hold a literal question mark.
func (d *DB) q(query string) string {
	if !d.pg {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func micros(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func fromNullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// tx runs f in a write transaction, committing when f returns nil.
func (d *DB) tx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// isNoRows reports sql.ErrNoRows.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func isConflict(err error) bool { return errors.Is(err, store.ErrConflict) }

// rowScanner is what the scan functions read from: a row or rows.
type rowScanner = sqlstore.Scanner

// reader is the read pool for the main store's shared query helpers
// (sqlstore.QueryAll, QueryPage), with this store's placeholders.
func (d *DB) reader() sqlstore.Querier { return rebound{d} }

// rebound rewrites a query's placeholders for the database, then runs it
// on the read pool.
type rebound struct{ d *DB }

func (r rebound) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return r.d.r.QueryContext(ctx, r.d.q(query), args...)
}
