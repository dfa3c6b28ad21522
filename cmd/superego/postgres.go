package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/superego-lab/superego/internal/store"
)

// openPostgres will open the PostgreSQL store once it exists; until then a
// postgres:// URL is refused clearly rather than silently using SQLite.
func openPostgres(_ context.Context, _ config, _ *slog.Logger) (store.Store, error) {
	return nil, errors.New("PostgreSQL is not supported by this build yet; leave --database-url empty to use SQLite")
}
