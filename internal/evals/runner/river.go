package runner

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// riverQueue is the name of River's queue for eval chunks.
const riverQueue = "evals"

// chunkArgs is a River job: one chunk of one eval run. Both fields make it
// unique, so queueing a run's chunks again (Resume) adds none twice.
type chunkArgs struct {
	RunID string `json:"run_id" river:"unique"`
	Chunk int    `json:"chunk" river:"unique"`
}

// Kind implements river.JobArgs.
func (chunkArgs) Kind() string { return "superego_eval_chunk" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (chunkArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: riverQueue, MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// attributionArgs is a River job: one chunk of one attribution.
type attributionArgs struct {
	ID    string `json:"id" river:"unique"`
	Chunk int    `json:"chunk" river:"unique"`
}

// Kind implements river.JobArgs.
func (attributionArgs) Kind() string { return "superego_attribution_chunk" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (attributionArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: riverQueue, MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type attributionWorker struct {
	river.WorkerDefaults[attributionArgs]
	r *Runner
}

// Work runs the chunk; River retries it on an error, and the retry makes
// only the calls not stored yet.
func (w *attributionWorker) Work(ctx context.Context, job *river.Job[attributionArgs]) error {
	return w.r.RunAttribution(ctx, job.Args.ID, job.Args.Chunk)
}

type chunkWorker struct {
	river.WorkerDefaults[chunkArgs]
	r *Runner
}

// Work runs the chunk; River retries it (with its backoff) on an error.
func (w *chunkWorker) Work(ctx context.Context, job *river.Job[chunkArgs]) error {
	return w.r.RunChunk(ctx, job.Args.RunID, job.Args.Chunk)
}

// RiverOptions tunes the River queue.
type RiverOptions struct {
	// JobTimeout bounds one chunk (it is then retried from its first
	// missing row); a chunk still "running" after twice that is taken over
	// by another replica, its own presumed dead.
	JobTimeout time.Duration
	// FetchPoll is how often idle replicas look for jobs besides being
	// notified.
	FetchPoll time.Duration
}

// RiverQueue works chunks through River on PostgreSQL: every replica runs
// a River client on the shared database, so chunks spread over all of them
// and a chunk whose replica died is rescued by another.
type RiverQueue struct {
	client *river.Client[pgx.Tx]
}

// NewRiver migrates River's tables (under an advisory lock, so replicas
// starting together take turns), builds the client and makes it r's queue.
// Start it with Start.
func NewRiver(ctx context.Context, pool *pgxpool.Pool, r *Runner, opts RiverOptions, log *slog.Logger) (*RiverQueue, error) {
	if opts.JobTimeout <= 0 {
		opts.JobTimeout = 10 * time.Minute
	}
	if opts.FetchPoll <= 0 {
		opts.FetchPoll = time.Second
	}
	if err := migrateRiver(ctx, pool); err != nil {
		return nil, err
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &chunkWorker{r: r}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &attributionWorker{r: r}); err != nil {
		return nil, err
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:               map[string]river.QueueConfig{riverQueue: {MaxWorkers: r.Workers()}},
		Workers:              workers,
		JobTimeout:           opts.JobTimeout,
		RescueStuckJobsAfter: 2 * opts.JobTimeout,
		FetchPollInterval:    opts.FetchPoll,
		FetchCooldown:        10 * time.Millisecond,
		Logger:               log,
	})
	if err != nil {
		return nil, fmt.Errorf("river: %w", err)
	}
	q := &RiverQueue{client: client}
	r.SetQueue(q)
	return q, nil
}

// migrateRiver brings River's own tables up to date in the current schema.
func migrateRiver(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return err
	}
	h := fnv.New64a()
	h.Write([]byte("superego river migrations " + schema))
	key := int64(h.Sum64())
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return err
	}
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key) }()
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrate: %w", err)
	}
	return nil
}

// Start starts working jobs.
func (q *RiverQueue) Start(ctx context.Context) error { return q.client.Start(ctx) }

// Stop stops fetching jobs and waits for those running to end; ctx ending
// cancels them (they are resumed elsewhere).
func (q *RiverQueue) Stop(ctx context.Context) error { return q.client.StopAndCancel(ctx) }

// Enqueue implements Queue.
func (q *RiverQueue) Enqueue(ctx context.Context, runID string, n int) error {
	params := make([]river.InsertManyParams, n)
	for i := range n {
		params[i] = river.InsertManyParams{Args: chunkArgs{RunID: runID, Chunk: i}}
	}
	_, err := q.client.InsertMany(ctx, params)
	return err
}

// EnqueueAttribution implements Queue.
func (q *RiverQueue) EnqueueAttribution(ctx context.Context, id string, n int) error {
	params := make([]river.InsertManyParams, n)
	for i := range n {
		params[i] = river.InsertManyParams{Args: attributionArgs{ID: id, Chunk: i}}
	}
	_, err := q.client.InsertMany(ctx, params)
	return err
}
