package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/postgres"
	"github.com/superego-lab/superego/internal/store/postgres/pgtest"
)

// TestOptions checks the pool size and statement timeout reach the
// connections, and that the timeout really cancels a long statement.
func TestOptions(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	s, err := postgres.Open(t.Context(), url, postgres.Options{MaxConns: 3, StatementTimeout: 1500 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if got := s.Pool().Config().MaxConns; got != 3 {
		t.Errorf("MaxConns = %d, want 3", got)
	}
	var timeout string
	if err := s.Pool().QueryRow(t.Context(), `SHOW statement_timeout`).Scan(&timeout); err != nil {
		t.Fatal(err)
	}
	if timeout != "1500ms" {
		t.Errorf("statement_timeout = %q, want 1500ms", timeout)
	}
	// pg_sleep(60) against a 1.5 s limit: only the limit can end it.
	_, err = s.Pool().Exec(t.Context(), `SELECT pg_sleep(60)`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" { // query_canceled
		t.Errorf("long statement: %v, want query_canceled", err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("ping after a cancelled statement: %v", err)
	}
}

func TestOpenBadInput(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cases := []struct {
		name, url string
		opts      postgres.Options
		want      string
	}{
		{"unparseable URL keeps its password out of the error", "postgres://u:s3cret@host:notaport/db", postgres.Options{}, "cannot be parsed"},
		{"negative pool size", "postgres://u@127.0.0.1/db", postgres.Options{MaxConns: -1}, "pool size"},
		{"negative timeout", "postgres://u@127.0.0.1/db", postgres.Options{StatementTimeout: -time.Second}, "statement timeout"},
		{"nobody listening", "postgres://postgres@127.0.0.1:1/db?connect_timeout=5", postgres.Options{}, "postgres: connect"},
	}
	for _, c := range cases {
		s, err := postgres.Open(ctx, c.url, c.opts, nil)
		if err == nil {
			_ = s.Close()
			t.Errorf("%s: Open succeeded", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: error %q, want it to mention %q and no password", c.name, err, c.want)
		}
	}
}

// TestConcurrentOpen starts several replicas on one empty database at once:
// the advisory lock makes them migrate in turn, so all succeed and each
// migration is recorded once.
func TestConcurrentOpen(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	const replicas = 4
	stores := make([]*postgres.Store, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() { stores[i], errs[i] = postgres.Open(t.Context(), url, testOptions, nil) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
			continue
		}
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	if t.Failed() {
		return
	}
	var applied, distinct int
	err := stores[0].Pool().QueryRow(t.Context(),
		`SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0`).Scan(&applied, &distinct)
	if err != nil {
		t.Fatal(err)
	}
	if applied == 0 || applied != distinct {
		t.Errorf("goose recorded %d migrations, %d distinct", applied, distinct)
	}
	// Every replica sees the others' writes.
	if _, err := stores[1].CreateSysprompt(t.Context(), model.Sysprompt{Meta: model.Meta{ID: "p"}, Name: "P"}); err != nil {
		t.Fatal(err)
	}
	if _, err := stores[3].GetSysprompt(t.Context(), "p"); err != nil {
		t.Errorf("read on another replica: %v", err)
	}
}

// TestMigrationsIdempotent reopens a database: nothing is re-applied and
// the data stays.
func TestMigrationsIdempotent(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	s := openStore(t, url)
	if _, err := s.CreateSysprompt(t.Context(), model.Sysprompt{Meta: model.Meta{ID: "p"}, Name: "P"}); err != nil {
		t.Fatal(err)
	}
	var before int
	if err := s.Pool().QueryRow(t.Context(), `SELECT count(*) FROM goose_db_version`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s = openStore(t, url)
	var after int
	if err := s.Pool().QueryRow(t.Context(), `SELECT count(*) FROM goose_db_version`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("reopen recorded %d more migrations", after-before)
	}
	if _, err := s.GetSysprompt(t.Context(), "p"); err != nil {
		t.Error(err)
	}
}

// TestSessionTimeZone: a session in another zone still stores and returns
// the same instants, in UTC.
func TestSessionTimeZone(t *testing.T) {
	t.Parallel()
	s := openStore(t, pgtest.URL(t)+"&timezone=Asia/Kathmandu")
	c, err := s.CreateConstitution(t.Context(), model.Constitution{Meta: model.Meta{ID: "c"}, Name: "C"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetConstitution(t.Context(), "c")
	if err != nil {
		t.Fatal(err)
	}
	if got.CreatedAt.Location() != time.UTC || !got.CreatedAt.Equal(c.CreatedAt) {
		t.Errorf("created_at %v (%v), wrote %v", got.CreatedAt, got.CreatedAt.Location(), c.CreatedAt)
	}
}

// TestIDOrderUnderLinguisticCollation: on a database whose default
// collation ignores punctuation, ids still sort bytewise (as SQLite sorts
// them), so lists and cursors page identically on both stores.
func TestIDOrderUnderLinguisticCollation(t *testing.T) {
	t.Parallel()
	url := pgtest.URLWith(t, "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'")
	s := openStore(t, url)
	ids := []string{"ab", "a_c", "a-d", "a0", "a-b"}
	for _, id := range ids {
		if _, err := s.CreateSysprompt(t.Context(), model.Sysprompt{Meta: model.Meta{ID: id}, Name: id}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for p := (store.Page{Limit: 2}); ; {
		items, next, err := s.ListSysprompts(t.Context(), p)
		if err != nil {
			t.Fatal(err)
		}
		for _, sp := range items {
			got = append(got, sp.ID)
		}
		if next == "" {
			break
		}
		p.Cursor = next
	}
	want := "[a-b a-d a0 a_c ab]" // '-' < '0' < '_' < 'b' in bytes
	if fmt.Sprint(got) != want {
		t.Errorf("order %v, want %s", got, want)
	}
}

// TestMigrateUnderATinyStatementTimeout: a fresh schema is migrated in
// full even when every statement of the server may take 1 ms at most.
func TestMigrateUnderATinyStatementTimeout(t *testing.T) {
	t.Parallel()
	url := pgtest.SchemaURL(t)
	s, err := postgres.Open(t.Context(), url, postgres.Options{StatementTimeout: time.Millisecond}, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	// The check reads on a connection of its own: on the store's pool the
	// 1 ms limit would apply to the check too, and a loaded machine can
	// take longer than that for any statement.
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	var n int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&n); err != nil || n < 3 {
		t.Fatalf("applied migrations: %d, %v", n, err)
	}
}
