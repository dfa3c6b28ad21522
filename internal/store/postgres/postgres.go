// Package postgres is the Store for several replicas sharing one PostgreSQL
// database, on pgx's connection pool. It keeps the SQLite store's semantics
// exactly (ordering, cursors, errors) and passes the same contract suite.
//
// Concurrency comes from the database rather than from Go: version bumps
// are single conditional UPDATEs or run under a row lock (SELECT … FOR
// UPDATE) taken at the start of the transaction, and reference checks take
// a KEY SHARE lock on the referenced row, so a concurrent delete cannot slip
// between the check and the insert.
//
// Beyond store.Store, the package has what several replicas need to share
// runs: EventLog (durable run events and run leases, implemented by Store),
// Batcher (writes the events of all of a replica's runs in batches) and
// Tailer (follows a run's stored events live from any replica).
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/superego-lab/superego/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tune the connection pool.
type Options struct {
	// MaxConns is the pool size; <= 0 means pgx's default (the larger of 4
	// and the number of CPUs) or the URL's pool_max_conns.
	MaxConns int
	// StatementTimeout aborts any statement running longer; 0 leaves the
	// server's setting.
	StatementTimeout time.Duration
}

// Store implements store.Store on a PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url, checks it is reachable and brings
// the schema up to date. Several processes may call Open at once: an
// advisory lock makes them apply migrations one after another.
func Open(ctx context.Context, url string, opts Options, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, err := poolConfig(url, opts)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := migrate(ctx, pool, log); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool, log: log}, nil
}

// poolConfig parses url and applies opts. pgx's default exec mode caches a
// prepared statement per query text on each connection, so the store's
// fixed queries are parsed and planned once per connection.
func poolConfig(url string, opts Options) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return nil, errors.New("postgres: the database URL cannot be parsed (expected postgres://user@host:port/db?sslmode=…)")
	}
	if opts.MaxConns < 0 || opts.MaxConns > 10000 {
		return nil, fmt.Errorf("postgres: pool size %d out of range", opts.MaxConns)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = int32(opts.MaxConns)
	}
	if opts.StatementTimeout < 0 {
		return nil, fmt.Errorf("postgres: statement timeout %v is negative", opts.StatementTimeout)
	}
	if opts.StatementTimeout > 0 {
		ms := opts.StatementTimeout.Milliseconds()
		if ms == 0 {
			ms = 1 // 0 would mean "no timeout"
		}
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(ms, 10)
	}
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		registerUTC(conn.TypeMap())
		return nil
	}
	return cfg, nil
}

// registerUTC makes timestamptz values scan as UTC times, whatever the
// process's local zone, so both stores return identical values.
func registerUTC(m *pgtype.Map) {
	m.RegisterType(&pgtype.Type{
		Name:  "timestamptz",
		OID:   pgtype.TimestamptzOID,
		Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
	})
}

// migrate applies the embedded migrations not yet applied, holding a
// PostgreSQL advisory lock so that replicas starting together take turns.
func migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	// The lock is per schema: replicas of one deployment share it, while
	// databases holding several schemas (as tests do) migrate them side by
	// side. It is probed every second for up to five minutes.
	var schema *string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	if schema == nil {
		return errors.New("postgres: migrations: no schema to create tables in (check search_path)")
	}
	h := fnv.New64a()
	h.Write([]byte("superego migrations " + *schema))
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64())), lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	defer func() { _ = db.Close() }()
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	for _, r := range results {
		log.Info("applied migration", "version", r.Source.Version, "file", filepath.Base(r.Source.Path), "duration", r.Duration)
	}
	return nil
}

// Pool exposes the connection pool, for the pgbus event bus to share.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Close waits for borrowed connections to return and closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Seeded reports whether the seed data was written once.
func (s *Store) Seeded(ctx context.Context) (bool, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT value FROM meta WHERE key = 'seeded'`).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("postgres: read seeded flag: %w", err)
	}
	return true, nil
}

// MarkSeeded records that the seed data was written.
func (s *Store) MarkSeeded(ctx context.Context) error {
	_, err := s.pool.Exec(ctx,
		`INSERT INTO meta(key, value) VALUES ('seeded', $1) ON CONFLICT(key) DO NOTHING`, fmtTime(now()))
	if err != nil {
		return fmt.Errorf("postgres: mark seeded: %w", err)
	}
	return nil
}

// tx runs fn in a READ COMMITTED transaction, committing when it returns
// nil. Isolation comes from the row locks each write takes, not from
// SERIALIZABLE, so writers never need a retry loop.
func (s *Store) tx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback(ctx)
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// querier is what both the pool and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// now is the current time as the store keeps it: UTC, microseconds (the
// precision of timestamptz), no monotonic reading.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// timeLayout matches the SQLite store's, for the few times kept as text.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// nullTime turns a missing or zero time into NULL.
func nullTime(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.UTC()
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

// nullStr stores "" as NULL, for optional references.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// PostgreSQL error codes the store maps to sentinels.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func isUniqueViolation(err error) bool { return pgCode(err) == codeUniqueViolation }

func isForeignKeyViolation(err error) bool { return pgCode(err) == codeForeignKeyViolation }

// versionMatches is the WHERE fragment for If-Match: ifVersion store.Any
// (0) matches every version. $n is the ifVersion parameter.
func versionMatches(n int) string {
	return fmt.Sprintf("($%d::integer = 0 OR version = $%d::integer)", n, n)
}

// checkWritten turns "no row was updated" into ErrNotFound or
// ErrVersionMismatch, looking the row up inside the same transaction.
func checkWritten(ctx context.Context, tx pgx.Tx, tag pgconn.CommandTag, table, resource, id string, ifVersion int) error {
	if tag.RowsAffected() > 0 {
		return nil
	}
	var v int
	err := tx.QueryRow(ctx, `SELECT version FROM `+table+` WHERE id = $1`, id).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s %q: %w", resource, id, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("postgres: %s %q: %w", resource, id, err)
	}
	return fmt.Errorf("%s %q is at version %d, not %d: %w", resource, id, v, ifVersion, store.ErrVersionMismatch)
}

// Row lock modes for checkVersion. An update keeps the key, so it takes the
// weaker lock, which still lets other transactions add references to the
// row (their foreign-key checks take KEY SHARE); a delete must exclude them.
const (
	forUpdate = "FOR NO KEY UPDATE"
	forDelete = "FOR UPDATE"
)

// checkVersion locks the row (with lock, forUpdate or forDelete) for the
// rest of the transaction and fails with ErrNotFound or ErrVersionMismatch
// unless it exists at ifVersion (or ifVersion is store.Any). The lock makes
// the check and the write that follows atomic against other writers.
func checkVersion(ctx context.Context, tx pgx.Tx, lock, table, resource, id string, ifVersion int) error {
	var v int
	err := tx.QueryRow(ctx, `SELECT version FROM `+table+` WHERE id = $1 `+lock, id).Scan(&v)
	if err != nil {
		return notFound(err, resource, id)
	}
	if ifVersion != store.Any && v != ifVersion {
		return fmt.Errorf("%s %q is at version %d, not %d: %w", resource, id, v, ifVersion, store.ErrVersionMismatch)
	}
	return nil
}

// notFound wraps pgx.ErrNoRows as store.ErrNotFound.
func notFound(err error, resource, id string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s %q: %w", resource, id, store.ErrNotFound)
	}
	return fmt.Errorf("postgres: %s %q: %w", resource, id, err)
}

// collect scans every row with scan and closes rows.
func collect[T any](rows pgx.Rows, scan func(pgx.Row) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
