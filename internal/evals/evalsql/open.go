package evalsql

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	"hash/fnv"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// OpenSQLite opens the evaluation tables in the SQLite file at path (the
// main store's file), migrated. Like the main store it writes through one
// connection and reads through a pool.
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(ON)"} {
		q.Add("_pragma", p)
	}
	w, err := sql.Open("sqlite", path+"?"+q.Encode()+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("evalsql: open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	if err := Migrate(ctx, w, false); err != nil {
		_ = w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		_ = w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(4)
	d := New(w, r, false)
	d.closers = []*sql.DB{w, r}
	return d, nil
}

// OpenPostgres opens the evaluation tables on the main store's
// PostgreSQL pool, migrated under an advisory lock per schema so replicas
// starting together take turns.
func OpenPostgres(ctx context.Context, pool *pgxpool.Pool) (*DB, error) {
	db := stdlib.OpenDBFromPool(pool)
	var schema *string
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("evalsql: current schema: %w", err)
	}
	if schema == nil {
		_ = db.Close()
		return nil, fmt.Errorf("evalsql: no schema to create tables in (check search_path)")
	}
	h := fnv.New64a()
	h.Write([]byte("superego eval migrations " + *schema))
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64())), lock.WithLockTimeout(1, 300))
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := Migrate(ctx, db, true, goose.WithSessionLocker(locker)); err != nil {
		_ = db.Close()
		return nil, err
	}
	d := New(db, db, true)
	d.closers = []*sql.DB{db}
	return d, nil
}

// Close closes the pools Open* opened (none for a DB made by New).
func (d *DB) Close() error {
	var first error
	for _, c := range d.closers {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
