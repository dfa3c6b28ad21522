package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"testing/fstest"
	"text/template"

	"github.com/pressly/goose/v3"
)

// migrations is the one migration tree. Each file is a text/template over
// schemaTypes, so a statement is written once and only what must differ
// between the databases is spelled per dialect ({{if .Postgres}}).
//
//go:embed migrations/*.sql
var migrations embed.FS

// schemaTypes are the values the migration templates use.
type schemaTypes struct {
	Postgres                          bool
	ID, Text, Int, BigInt, Bool, Time string
	False                             string
	Strict                            string // table option
}

func typesFor(dialect string) (schemaTypes, goose.Dialect, error) {
	switch dialect {
	case "sqlite":
		return schemaTypes{ID: "TEXT", Text: "TEXT", Int: "INTEGER", BigInt: "INTEGER", Bool: "INTEGER",
			Time: "TEXT", False: "0", Strict: " STRICT"}, goose.DialectSQLite3, nil
	case "postgres":
		return schemaTypes{Postgres: true, ID: `text COLLATE "C"`, Text: "text", Int: "integer", BigInt: "bigint",
			Bool: "boolean", Time: "timestamptz", False: "false"}, goose.DialectPostgres, nil
	}
	return schemaTypes{}, "", fmt.Errorf("sqlstore: no migrations for dialect %q", dialect)
}

// Migrations returns the migration files rendered for a dialect ("sqlite"
// or "postgres"), as goose reads them.
func Migrations(dialect string) (fs.FS, error) {
	types, _, err := typesFor(dialect)
	if err != nil {
		return nil, err
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	out := fstest.MapFS{}
	for _, name := range files {
		t, err := template.ParseFS(migrations, name)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: migration %s: %w", name, err)
		}
		var b bytes.Buffer
		if err := t.Execute(&b, types); err != nil {
			return nil, fmt.Errorf("sqlstore: migration %s: %w", name, err)
		}
		out[filepath.Base(name)] = &fstest.MapFile{Data: b.Bytes(), Mode: 0o444}
	}
	return out, nil
}

// Migrate applies the migrations db has not applied yet. opts are goose's
// (PostgreSQL passes a session locker so that replicas take turns).
func Migrate(ctx context.Context, db *sql.DB, dialect string, log *slog.Logger, opts ...goose.ProviderOption) error {
	_, gd, err := typesFor(dialect)
	if err != nil {
		return err
	}
	fsys, err := Migrations(dialect)
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(gd, db, fsys, opts...)
	if err != nil {
		return fmt.Errorf("%s: migrations: %w", dialect, err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("%s: migrate: %w", dialect, err)
	}
	for _, r := range results {
		log.Info("applied migration", "version", r.Source.Version, "file", filepath.Base(r.Source.Path), "duration", r.Duration)
	}
	return nil
}
