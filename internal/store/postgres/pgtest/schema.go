package pgtest

import (
	"context"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// shared is the one database that SchemaURL's schemas live in, per test
// process. Creating a database takes about a second on a busy machine and
// a schema a few milliseconds, which matters for suites that want a fresh
// store per sub-test. It is process state on purpose: its life is that of
// the tests using it, counted in users, and the last one out drops it.
var shared struct {
	mu    sync.Mutex
	users int
	admin string
	name  string
	url   string
}

// SchemaURL returns the URL of a fresh, empty schema (set as the session's
// search_path) in a database shared by the process's tests. The store's
// tables, and its migration bookkeeping, are created in that schema, so
// tests do not see each other's data. LISTEN/NOTIFY channels are per
// database, though: tests of cross-replica notification need URL.
// The schema is dropped in t.Cleanup, the database after its last user.
func SchemaURL(t testing.TB) string {
	t.Helper()
	admin := AdminURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	shared.mu.Lock()
	if shared.users == 0 {
		shared.admin, shared.name, shared.url = admin, dbName(t), ""
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			shared.mu.Unlock()
			t.Fatalf("connect to %s (%s): %v", EnvURL, redact(admin), err)
		}
		_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{shared.name}.Sanitize())
		_ = conn.Close(context.Background())
		if err != nil {
			shared.mu.Unlock()
			t.Fatalf("create shared test database: %v", err)
		}
		u, err := url.Parse(admin)
		if err != nil {
			shared.mu.Unlock()
			t.Fatalf("%s must be a postgres:// URL, got %q", EnvURL, redact(admin))
		}
		u.Path = "/" + shared.name
		shared.url = u.String()
	}
	shared.users++
	dbURL := shared.url
	shared.mu.Unlock()

	schema := "t_" + randomSuffix(t)
	t.Cleanup(func() { releaseSchema(t, dbURL, schema) })
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("connect to shared test database: %v", err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("create test schema: %v", err)
	}

	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// releaseSchema drops a test's schema and, after the last user, the
// shared database.
func releaseSchema(t testing.TB, dbURL, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(ctx, dbURL); err != nil {
		t.Errorf("drop test schema %s: %v", schema, err)
	} else {
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
		_ = conn.Close(context.Background())
	}

	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.users--
	if shared.users == 0 {
		drop(t, shared.admin, shared.name)
	}
}
