package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/events/pgbus"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/postgres"
)

// openPostgres opens the PostgreSQL store at --database-url with the pool
// size and statement timeout flags, applying pending migrations (several
// replicas starting together take turns on an advisory lock).
func openPostgres(ctx context.Context, c config, log *slog.Logger) (store.Store, error) {
	st, err := postgres.Open(ctx, c.DatabaseURL, postgres.Options{
		MaxConns:         c.DBMaxConns,
		StatementTimeout: c.DBStatementTimeout,
	}, log)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// openBus returns the bus resource_changed events travel on: in-process for
// SQLite, LISTEN/NOTIFY for PostgreSQL so that every replica's WebSocket
// clients hear every replica's writes. Call stop before closing the store.
func openBus(ctx context.Context, st store.Store, log *slog.Logger) (bus events.Bus, stop func(), err error) {
	pg, ok := st.(*postgres.Store)
	if !ok {
		return events.NewLocalBus(), func() {}, nil
	}
	b, err := pgbus.New(ctx, pg.Pool(), log)
	if err != nil {
		return nil, nil, fmt.Errorf("event bus: %w", err)
	}
	return b, func() { _ = b.Close() }, nil
}
