package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/superego-lab/superego/internal/engine"
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

// openReplicas connects the engine to the other replicas sharing a
// PostgreSQL database: a batcher that makes run events durable, a tailer
// that follows runs executed elsewhere, and run leases under an owner id
// unique to this process. On SQLite it returns nil (one process, nothing to
// share). Call stop after the engine has shut down and before closing the
// store: it writes the events still queued.
func openReplicas(ctx context.Context, st store.Store, lease time.Duration, log *slog.Logger) (rep *engine.Replicas, stop func(), err error) {
	pg, ok := st.(*postgres.Store)
	if !ok {
		return nil, func() {}, nil
	}
	tailer, err := postgres.NewTailer(ctx, pg, log)
	if err != nil {
		return nil, nil, err
	}
	batcher := postgres.NewBatcher(pg, postgres.BatcherOptions{}, log)
	owner, err := replicaID()
	if err != nil {
		tailer.Close()
		_ = batcher.Close(ctx)
		return nil, nil, err
	}
	log.Info("replica", "owner", owner, "run_lease", lease)
	stop = func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := batcher.Close(cctx); err != nil {
			log.Warn("store queued run events", "err", err)
		}
		tailer.Close()
	}
	return &engine.Replicas{
		Owner:    owner,
		LeaseTTL: lease,
		Leases:   pg,
		Events:   batcher,
		Follow:   func(runID string, afterSeq int64) engine.EventReader { return tailer.Follow(runID, afterSeq) },
		OnCancel: tailer.OnCancel,
		OnStored: batcher.OnStored,
	}, stop, nil
}

// replicaID names this process on its runs' leases: readable in the
// database (host and pid) and unique even when a pid is reused.
func replicaID() (string, error) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("replica id: %w", err)
	}
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b)), nil
}
