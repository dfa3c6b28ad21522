// Package postgres is the Store for several replicas sharing one PostgreSQL
// database. The CRUD is sqlstore's, through pgx's database/sql adapter on
// the same pgx pool, with the PostgreSQL dialect: row locks where SQLite's
// single writer needs none (version bumps are single conditional UPDATEs
// or run under a row lock taken at the start of the transaction, and
// reference checks take a KEY SHARE lock on the referenced row, so a
// concurrent delete cannot slip between the check and the insert).
//
// What is PostgreSQL's own lives here: what several replicas need to share
// runs: EventLog (durable run events and run leases, implemented by Store),
// Batcher (writes the events of all of a replica's runs in batches),
// Tailer (follows a run's stored events live from any replica, over
// LISTEN/NOTIFY) and cancel requests between replicas.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"maps"
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
	"github.com/superego-lab/superego/internal/store/sqlstore"
)

// Options tune the connection pool.
type Options struct {
	// MaxConns is the pool size; <= 0 means pgx's default (the larger of 4
	// and the number of CPUs) or the URL's pool_max_conns.
	MaxConns int
	// StatementTimeout aborts any statement running longer; 0 leaves the
	// server's setting. Migrations are not bound by it.
	StatementTimeout time.Duration
}

// Store implements store.Store (and EventLog) on a PostgreSQL database.
type Store struct {
	*sqlstore.Store
	pool *pgxpool.Pool
	log  *slog.Logger
}

var _ store.Store = (*Store)(nil)

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

func isForeignKeyViolation(err error) bool { return pgCode(err) == codeForeignKeyViolation }

// dialect is PostgreSQL's: $n placeholders, timestamptz times, row locks.
// An update keeps the key, so it takes the weaker lock, which still lets
// other transactions add references to the row (their foreign-key checks
// take KEY SHARE); a delete must exclude them.
var dialect = sqlstore.Dialect{
	Name:                  "postgres",
	Numbered:              true,
	Time:                  func(t time.Time) any { return t },
	LockShare:             "FOR KEY SHARE",
	LockUpdate:            "FOR NO KEY UPDATE",
	LockDelete:            "FOR UPDATE",
	XactLock:              "SELECT pg_advisory_xact_lock($1)",
	IsUniqueViolation:     func(err error) bool { return pgCode(err) == codeUniqueViolation },
	IsForeignKeyViolation: isForeignKeyViolation,
	IsInvalidText:         isInvalidText,
}

// isInvalidText reports a text parameter PostgreSQL refused: a NUL
// character or invalid UTF-8 (character_not_in_repertoire), or a character
// the database's encoding lacks (untranslatable_character).
func isInvalidText(err error) bool {
	c := pgCode(err)
	return c == "22021" || c == "22P05"
}

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
	if err := migrate(ctx, cfg, log); err != nil {
		pool.Close()
		return nil, err
	}
	db := stdlib.OpenDBFromPool(pool)
	return &Store{Store: sqlstore.New(db, db, dialect), pool: pool, log: log}, nil
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

// migrationConfig is cfg for the connections that apply migrations: a
// small pool without the statement timeout, which is meant for the
// requests of a running server and must not cut a long migration short.
func migrationConfig(cfg *pgxpool.Config) *pgxpool.Config {
	m := cfg.Copy()
	m.ConnConfig.RuntimeParams = maps.Clone(cfg.ConnConfig.RuntimeParams)
	delete(m.ConnConfig.RuntimeParams, "statement_timeout")
	m.MaxConns = 2 // the session lock's connection and the migrating one
	m.MinConns = 0
	return m
}

// migrate applies the migrations not yet applied, on a pool of its own
// (migrationConfig), holding a PostgreSQL advisory lock so that replicas
// starting together take turns.
func migrate(ctx context.Context, cfg *pgxpool.Config, log *slog.Logger) error {
	pool, err := pgxpool.NewWithConfig(ctx, migrationConfig(cfg))
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	defer pool.Close()
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
	return sqlstore.Migrate(ctx, db, "postgres", log, goose.WithSessionLocker(locker))
}

// Pool exposes the connection pool, for the pgbus event bus to share.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Close closes the database/sql handle, then waits for borrowed
// connections to return and closes the pool.
func (s *Store) Close() error {
	err := s.Store.Close()
	s.pool.Close()
	return err
}

// tx runs fn in a READ COMMITTED transaction on the pgx pool, committing
// when it returns nil, for the replica machinery's batch statements.
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

// now is the current time as the store keeps it: UTC, microseconds (the
// precision of timestamptz), no monotonic reading.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// notFound wraps pgx.ErrNoRows (or an id PostgreSQL cannot hold) as
// store.ErrNotFound.
func notFound(err error, resource, id string) error {
	if errors.Is(err, pgx.ErrNoRows) || isInvalidText(err) {
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
