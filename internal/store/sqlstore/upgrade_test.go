package sqlstore_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/postgres"
	"github.com/superego-lab/superego/internal/store/postgres/pgtest"
	"github.com/superego-lab/superego/internal/store/sqlite"
)

// makeRelease builds a PostgreSQL schema the way the release before the
// shared SQL store did: its own migration files (kept in
// testdata/release/postgres) and rows as it wrote them (data.sql).
// testdata/release/superego.db is the SQLite file that release made, with
// the same rows: its migration file (commit b100b7c,
// internal/store/sqlite/migrations) applied by goose, then data.sql.
func makeRelease(t *testing.T, driver, dsn, dir string, gd goose.Dialect) {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	p, err := goose.NewProvider(gd, db, os.DirFS(filepath.Join("testdata", "release", dir)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(t.Context()); err != nil {
		t.Fatalf("release migrations: %v", err)
	}
	data, err := os.ReadFile(filepath.Join("testdata", "release", "data.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), string(data)); err != nil {
		t.Fatalf("release data: %v", err)
	}
}

// TestUpgradeSQLite opens a SQLite file made by the previous release and
// reads everything back.
func TestUpgradeSQLite(t *testing.T) {
	t.Parallel()
	path := releaseFile(t)
	s, err := sqlite.Open(t.Context(), path, nil)
	if err != nil {
		t.Fatalf("open the release's database: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	checkRelease(t, s)
}

// TestUpgradePostgres opens a PostgreSQL schema made by the previous
// release and reads everything back.
func TestUpgradePostgres(t *testing.T) {
	url := pgtest.SchemaURL(t)
	makeRelease(t, "pgx", url, "postgres", goose.DialectPostgres)
	s, err := postgres.Open(t.Context(), url, postgres.Options{}, nil)
	if err != nil {
		t.Fatalf("open the release's schema: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	checkRelease(t, s)
}

// releaseFile copies the release's SQLite file to a temp dir.
func releaseFile(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "release", "superego.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "superego.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func tsp(s string) *time.Time { t := ts(s); return &t }

func ptr[T any](v T) *T { return &v }

// checkRelease reads back every row of testdata/release/data.sql through
// the store, then writes to the upgraded database.
func checkRelease(t *testing.T, s store.Store) {
	t.Helper()
	ctx := t.Context()
	all := store.Page{Limit: 200}

	seeded, err := s.Seeded(ctx)
	if err != nil || !seeded {
		t.Errorf("Seeded = %v, %v; want true", seeded, err)
	}
	cons, _, err := s.ListConstitutions(ctx, all)
	check(t, "constitutions", cons, err, []model.Constitution{
		{Meta: model.Meta{ID: "c1", CreatedAt: ts("2025-01-02T03:04:05.123456Z"), UpdatedAt: ts("2025-01-03T04:05:06.654321Z"), Version: 2},
			Name: "Rules", Description: "house rules", Content: "v2 text"},
		{Meta: model.Meta{ID: "none", CreatedAt: ts("2025-01-02T03:04:05.000001Z"), UpdatedAt: ts("2025-01-02T03:04:05.000001Z"), Version: 1},
			Name: "None", Protected: true},
	})
	versions, _, err := s.ListConstitutionVersions(ctx, "c1", all)
	check(t, "constitution versions", versions, err, []model.ConstitutionVersion{
		{ConstitutionID: "c1", Version: 1, Name: "Rules", Description: "house rules", Content: "v1 text", CreatedAt: ts("2025-01-02T03:04:05.123456Z")},
		{ConstitutionID: "c1", Version: 2, Name: "Rules", Description: "house rules", Content: "v2 text", CreatedAt: ts("2025-01-03T04:05:06.654321Z")},
	})
	prompts, _, err := s.ListSysprompts(ctx, all)
	check(t, "sysprompts", prompts, err, []model.Sysprompt{
		{Meta: model.Meta{ID: "p1", CreatedAt: ts("2025-01-02T03:04:05Z"), UpdatedAt: ts("2025-01-02T03:04:05Z"), Version: 1},
			Name: "Brief", Content: "Be brief."},
	})
	configs, _, err := s.ListFlowConfigs(ctx, all)
	check(t, "flow configs", configs, err, []model.FlowConfig{
		{Meta: model.Meta{ID: "f1", CreatedAt: ts("2025-01-02T03:04:05Z"), UpdatedAt: ts("2025-01-04T00:00:00Z"), Version: 3},
			FlowSpec: model.FlowSpec{Name: "Guarded", Description: "with rules", ConstitutionID: "c1", SyspromptID: "p1",
				SuperegoEnabled: true, SuperegoModel: "sm", AssistantModel: "am", OnSuperegoError: "block"}},
		{Meta: model.Meta{ID: "f2", CreatedAt: ts("2025-01-02T03:04:05Z"), UpdatedAt: ts("2025-01-02T03:04:05Z"), Version: 1},
			FlowSpec: model.FlowSpec{Name: "Bare"}},
	})
	templates, _, err := s.ListFlowTemplates(ctx, all)
	check(t, "flow templates", templates, err, []model.FlowTemplate{
		{Meta: model.Meta{ID: "t1", CreatedAt: ts("2025-01-02T03:04:05Z"), UpdatedAt: ts("2025-01-02T05:00:00Z"), Version: 2},
			Name: "Start", Description: "the default", IsDefault: true,
			Config: model.FlowSpec{Name: "cfg", Description: "cfg desc", ConstitutionID: "c1", SuperegoEnabled: true,
				SuperegoModel: "sm", AssistantModel: "am", OnSuperegoError: "allow"}},
	})
	instances, _, err := s.ListFlowInstances(ctx, store.InstanceFilter{}, all)
	check(t, "flow instances", instances, err, []model.FlowInstance{
		{Meta: model.Meta{ID: "i2", CreatedAt: ts("2025-01-06T00:00:00Z"), UpdatedAt: ts("2025-01-06T00:00:01Z"), Version: 2},
			FlowConfigID: "f2", Name: "Chat (fork)", MessageCount: 1, LastMessageAt: tsp("2025-01-05T00:00:01Z"),
			ParentInstanceID: "i1", ForkedFromMessageID: "m1", ComparisonID: "cmp",
			Overrides: &model.Overrides{ConstitutionID: ptr("none"), SuperegoEnabled: ptr(false)}},
		{Meta: model.Meta{ID: "i1", CreatedAt: ts("2025-01-05T00:00:00Z"), UpdatedAt: ts("2025-01-05T00:00:00Z"), Version: 1},
			FlowConfigID: "f1", Name: "Chat", Description: "first", MessageCount: 3, LastMessageAt: tsp("2025-01-05T00:00:03Z")},
	})
	r1, err := s.GetRun(ctx, "r1")
	check(t, "run r1", r1, err, model.Run{ID: "r1", FlowInstanceID: "i1", FlowConfigID: "f1", UserMessageID: "m1",
		Status: model.RunCompleted, Decision: model.DecisionAllow, Usage: model.Usage{InputTokens: 6, OutputTokens: 8},
		Timings: model.Timings{SuperegoMs: 5, FirstTokenMs: 7, TotalMs: 30}, LastSeq: 12,
		CreatedAt: ts("2025-01-05T00:00:01Z"), FinishedAt: tsp("2025-01-05T00:00:03Z")})
	r2, err := s.GetRun(ctx, "r2")
	check(t, "run r2", r2, err, model.Run{ID: "r2", FlowInstanceID: "i2", FlowConfigID: "f2", UserMessageID: "m4",
		ComparisonID: "cmp", Status: model.RunInterrupted, Error: "the server stopped", LastSeq: 2,
		CreatedAt: ts("2025-01-06T00:00:02Z")})
	msgs, _, err := s.ListMessages(ctx, "i1", all)
	check(t, "messages of i1", msgs, err, []model.Message{
		{ID: "m1", FlowInstanceID: "i1", RunID: "r1", Position: 1, Role: model.RoleUser, Content: "hi",
			Status: model.MessageComplete, CreatedAt: ts("2025-01-05T00:00:01Z"), UpdatedAt: ts("2025-01-05T00:00:01Z")},
		{ID: "m2", FlowInstanceID: "i1", RunID: "r1", Position: 2, Role: model.RoleSuperego, Content: "ALLOW",
			Decision: model.DecisionAllow, Reason: "fine", Thinking: "mulling", ConstitutionID: "c1", ConstitutionVersion: 2,
			Model: "sm", Usage: model.Usage{InputTokens: 1, OutputTokens: 2}, Timings: model.Timings{SuperegoMs: 5, TotalMs: 5},
			Status: model.MessageComplete, CreatedAt: ts("2025-01-05T00:00:02Z"), UpdatedAt: ts("2025-01-05T00:00:02.5Z")},
		{ID: "m3", FlowInstanceID: "i1", RunID: "r1", Position: 3, Role: model.RoleAssistant, Content: "hello",
			SyspromptID: "p1", Model: "am", Usage: model.Usage{InputTokens: 5, OutputTokens: 6},
			Timings: model.Timings{FirstTokenMs: 7, TotalMs: 25},
			Status:  model.MessageComplete, CreatedAt: ts("2025-01-05T00:00:03Z"), UpdatedAt: ts("2025-01-05T00:00:03Z")},
	})
	m4, err := s.GetMessage(ctx, "m4")
	check(t, "message m4", m4, err, model.Message{ID: "m4", FlowInstanceID: "i2", Position: 1, Role: model.RoleUser,
		Content: "hi", Status: model.MessageInterrupted, Error: "cut",
		CreatedAt: ts("2025-01-05T00:00:01Z"), UpdatedAt: ts("2025-01-06T00:00:02Z")})

	// The upgraded database takes writes where the release left off.
	m, err := s.AppendMessage(ctx, model.Message{FlowInstanceID: "i1", Role: model.RoleUser, Content: "again"})
	if err != nil || m.Position != 4 {
		t.Errorf("append after upgrade: position %d, %v; want 4", m.Position, err)
	}
	c, err := s.UpdateConstitution(ctx, model.Constitution{Meta: model.Meta{ID: "c1"}, Name: "Rules", Content: "v3"}, 2)
	if err != nil || c.Version != 3 {
		t.Errorf("update after upgrade: version %d, %v; want 3", c.Version, err)
	}
	if err := s.DeleteConstitution(ctx, "none", store.Any); err == nil {
		t.Error("the release's protected constitution was deleted")
	}
}

func check[T any](t *testing.T, what string, got T, err error, want T) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

// TestSchemaMatchesRelease: a database made by the release's per-database
// files and then upgraded by the one migration tree has the same tables,
// columns, indexes and constraints as a new one, so upgraded and new
// databases behave alike (also once migrations after the release exist).
func TestSchemaMatchesRelease(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		old, fresh := releaseFile(t), filepath.Join(t.TempDir(), "new.db")
		for _, path := range []string{old, fresh} {
			s, err := sqlite.Open(t.Context(), path, nil)
			if err != nil {
				t.Fatal(err)
			}
			_ = s.Close()
		}
		const q = `SELECT m.type || ' ' || m.name || ' ' || coalesce(
		             (SELECT group_concat(c.name || ':' || c.type || ':' || c."notnull" || ':' || coalesce(c.dflt_value, '') || ':' || c.pk, ',')
		              FROM pragma_table_info(m.name) c), '') || ' ' ||
		           coalesce((SELECT group_concat(f."table" || '.' || f."to" || ':' || f.on_delete, ',') FROM pragma_foreign_key_list(m.name) f), '') || ' ' ||
		           coalesce((SELECT l.strict FROM pragma_table_list(m.name) l), '') || ' ' ||
		           CASE WHEN m.type = 'index' THEN coalesce(m.sql, '') ELSE '' END
		           FROM sqlite_master m WHERE m.name NOT LIKE 'goose%' AND m.name NOT LIKE 'sqlite%' ORDER BY m.type, m.name`
		if a, b := describe(t, "sqlite", old, q), describe(t, "sqlite", fresh, q); !reflect.DeepEqual(a, b) {
			t.Errorf("schemas differ:\nrelease:\n%s\nnew:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
		}
	})
	t.Run("postgres", func(t *testing.T) {
		old, fresh := pgtest.SchemaURL(t), pgtest.SchemaURL(t)
		makeRelease(t, "pgx", old, "postgres", goose.DialectPostgres)
		for _, url := range []string{old, fresh} {
			s, err := postgres.Open(t.Context(), url, postgres.Options{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			_ = s.Close()
		}
		const q = `SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' ||
		             coalesce(column_default, '') || ' ' || coalesce(collation_name, '')
		           FROM information_schema.columns WHERE table_schema = current_schema() AND table_name NOT LIKE 'goose%'
		           UNION ALL
		           SELECT 'index ' || replace(indexdef, schemaname || '.', '') FROM pg_indexes
		           WHERE schemaname = current_schema() AND tablename NOT LIKE 'goose%'
		           UNION ALL
		           SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
		           FROM pg_constraint WHERE connamespace = current_schema()::regnamespace AND conrelid::regclass::text NOT LIKE 'goose%'
		           ORDER BY 1`
		if a, b := describe(t, "pgx", old, q), describe(t, "pgx", fresh, q); !reflect.DeepEqual(a, b) {
			t.Errorf("schemas differ:\nrelease:\n%s\nnew:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
		}
	})
}

func describe(t *testing.T, driver, dsn, query string) []string {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	rows, err := db.QueryContext(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		out = append(out, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 10 {
		t.Fatalf("describe found only %d schema objects", len(out))
	}
	return out
}
