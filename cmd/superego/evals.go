package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/evals/evalsql"
	"github.com/superego-lab/superego/internal/evals/runner"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/postgres"
)

// evalService is the evaluation part of a server: its store, the runner,
// and how to stop its workers.
type evalService struct {
	db     *evalsql.DB
	runner *runner.Runner
	// stop ends the workers (chunks in progress are resumed by the next
	// process or another replica); call it before the engine shuts down.
	stop func()
}

// openEvals opens the evaluation tables on the server's database, seeds
// the built-in suites and starts the eval workers: River on PostgreSQL, so
// evals spread over the replicas and survive any of them dying, and an
// in-process pool on SQLite (see README, "Evaluating a constitution").
func openEvals(ctx context.Context, c config, st store.Store, eng *engine.Engine, bus events.Bus, log *slog.Logger) (*evalService, error) {
	var db *evalsql.DB
	var err error
	pg, onPG := st.(*postgres.Store)
	if onPG {
		db, err = evalsql.OpenPostgres(ctx, pg.Pool())
	} else {
		db, err = evalsql.OpenSQLite(ctx, filepath.Join(c.DataDir, "superego.db"))
	}
	if err != nil {
		return nil, fmt.Errorf("eval store: %w", err)
	}
	if err := seedSuites(ctx, db, log); err != nil {
		_ = db.Close()
		return nil, err
	}
	r := runner.New(db, st, eng, bus, log, runner.Config{Workers: c.EvalWorkers})
	wctx, cancel := context.WithCancel(context.Background())
	go r.Follow(wctx)
	svc := &evalService{db: db, runner: r}
	if onPG {
		q, err := runner.NewRiver(ctx, pg.Pool(), r, runner.RiverOptions{JobTimeout: c.EvalJobTimeout}, log)
		if err == nil {
			err = q.Start(wctx)
		}
		if err != nil {
			cancel()
			_ = db.Close()
			return nil, fmt.Errorf("eval queue: %w", err)
		}
		svc.stop = func() {
			sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer scancel()
			_ = q.Stop(sctx)
			cancel()
			_ = db.Close()
		}
	} else {
		q := runner.NewLocal(r)
		q.Start(wctx)
		svc.stop = func() {
			cancel()
			q.Wait()
			_ = db.Close()
		}
	}
	if n, err := r.Resume(ctx); err != nil {
		svc.stop()
		return nil, fmt.Errorf("resume evals: %w", err)
	} else if n > 0 {
		log.Info("continuing unfinished evals", "count", n)
	}
	return svc, nil
}

// seedSuites creates the built-in suites that are missing.
func seedSuites(ctx context.Context, db *evalsql.DB, log *slog.Logger) error {
	bs, err := evals.Builtins()
	if err != nil {
		return err
	}
	for _, b := range bs {
		created, err := db.EnsureSuite(ctx, b.Suite, b.Cases)
		if err != nil {
			return fmt.Errorf("seed eval suite %s: %w", b.Suite.ID, err)
		}
		if created {
			log.Info("seeded built-in eval suite", "id", b.Suite.ID, "cases", len(b.Cases))
		}
	}
	return nil
}
