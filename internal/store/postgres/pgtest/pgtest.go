// Package pgtest gives tests a fresh, empty PostgreSQL database on the
// server named by SUPEREGO_TEST_DATABASE_URL, and drops it when the test
// ends. Without that variable the test is skipped on a laptop and fails in
// CI, so a green CI run always means the PostgreSQL suites ran.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable holding the admin connection URL, e.g.
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable. The role must
// be allowed to create and drop databases.
const EnvURL = "SUPEREGO_TEST_DATABASE_URL"

// URL creates a uniquely named database and returns its connection URL. The
// database is dropped (disconnecting any session still on it) in t.Cleanup,
// so register cleanups that close pools after calling URL: they run first.
func URL(t testing.TB) string {
	t.Helper()
	return URLWith(t, "")
}

// URLWith is URL with extra CREATE DATABASE options, e.g. "TEMPLATE
// template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'" to test under a
// collation other than the server default. The options are test code's own
// constants, never user input.
func URLWith(t testing.TB, createOptions string) string {
	t.Helper()
	admin := AdminURL(t)
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL, got %q", EnvURL, redact(admin))
	}

	name := dbName(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to %s (%s): %v", EnvURL, redact(admin), err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" "+createOptions); err != nil {
		t.Fatalf("create test database %s: %v", name, err)
	}
	t.Cleanup(func() { drop(t, admin, name) })

	u.Path = "/" + name
	return u.String()
}

// EnvPrefix names the variable holding the prefix of the databases this
// process creates (default "superego_test_"). CI sets one per run, e.g.
// superego_test_r1234_, so that afterwards it can drop exactly the
// databases its own run left behind and none of another run's.
const EnvPrefix = "SUPEREGO_TEST_DB_PREFIX"

// dbName is a fresh database name under the run's prefix.
func dbName(t testing.TB) string {
	t.Helper()
	prefix := os.Getenv(EnvPrefix)
	if prefix == "" {
		prefix = "superego_test_"
	}
	if !validPrefix(prefix) {
		t.Fatalf("%s=%q: use lower-case letters, digits and _ only", EnvPrefix, prefix)
	}
	return prefix + randomSuffix(t)
}

// validPrefix accepts names that need no quoting in SQL or a LIKE pattern
// (no %), so a cleanup script can match them safely.
func validPrefix(p string) bool {
	for _, r := range p {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return p != "" && len(p) <= 40
}

// AdminURL returns SUPEREGO_TEST_DATABASE_URL, or ends the test: t.Fatal
// when CI is set (a CI run must not pass without PostgreSQL), t.Skip
// otherwise.
func AdminURL(t testing.TB) string {
	t.Helper()
	v := os.Getenv(EnvURL)
	if v != "" {
		return v
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s must be set in CI: the PostgreSQL suites cannot be skipped there", EnvURL)
	}
	t.Skipf("PostgreSQL suite not run: set %s (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)", EnvURL)
	return ""
}

func drop(t testing.TB, admin, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Errorf("drop test database %s: %v", name, err)
		return
	}
	defer func() { _ = conn.Close(context.Background()) }()
	// WITH (FORCE) ends sessions a failed test left behind, which would
	// otherwise make the drop fail and leak the database.
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("drop test database %s: %v", name, err)
	}
}

func randomSuffix(t testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// redact hides a password so a failing test does not print it.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparseable URL>"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return strings.TrimSpace(u.String())
}
