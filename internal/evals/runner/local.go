package runner

import (
	"context"
	"sync"
	"time"
)

// LocalQueue works chunks in this process with a fixed number of workers.
// It is the queue on SQLite, where one process owns the database: the
// eval's durable state is its result rows, so Resume after a restart
// queues every chunk of the unfinished runs again and each skips the rows
// already stored.
type LocalQueue struct {
	r *Runner

	mu      sync.Mutex
	cond    *sync.Cond
	pending []chunkJob
	closed  bool
	wg      sync.WaitGroup
}

type chunkJob struct {
	runID string // or the attribution's id
	n     int
	tries int
	// attribution: the job is RunAttribution's, not RunChunk's.
	attribution bool
}

// NewLocal returns a local queue for r and makes it r's queue.
func NewLocal(r *Runner) *LocalQueue {
	q := &LocalQueue{r: r}
	q.cond = sync.NewCond(&q.mu)
	r.SetQueue(q)
	return q
}

// Start runs the workers until Stop; chunks in progress then end at their
// next upstream event and are resumed by the next process.
func (q *LocalQueue) Start(ctx context.Context) {
	for range q.r.Workers() {
		q.wg.Add(1)
		go q.work(ctx)
	}
	go func() {
		<-ctx.Done()
		q.mu.Lock()
		q.closed = true
		q.cond.Broadcast()
		q.mu.Unlock()
	}()
}

// Wait returns when every worker has ended (after ctx of Start ended).
func (q *LocalQueue) Wait() { q.wg.Wait() }

// Enqueue implements Queue.
func (q *LocalQueue) Enqueue(_ context.Context, runID string, n int) error {
	return q.add(runID, n, false)
}

// EnqueueAttribution implements Queue.
func (q *LocalQueue) EnqueueAttribution(_ context.Context, id string, n int) error {
	return q.add(id, n, true)
}

func (q *LocalQueue) add(id string, n int, attribution bool) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range n {
		q.pending = append(q.pending, chunkJob{runID: id, n: i, attribution: attribution})
	}
	q.cond.Broadcast()
	return nil
}

func (q *LocalQueue) work(ctx context.Context) {
	defer q.wg.Done()
	for {
		q.mu.Lock()
		for len(q.pending) == 0 && !q.closed {
			q.cond.Wait()
		}
		if q.closed {
			q.mu.Unlock()
			return
		}
		j := q.pending[0]
		q.pending = q.pending[1:]
		q.mu.Unlock()
		run := q.r.RunChunk
		if j.attribution {
			run = q.r.RunAttribution
		}
		if err := run(ctx, j.runID, j.n); err != nil && ctx.Err() == nil {
			q.retry(ctx, j, err)
		}
	}
}

// retry puts a failed chunk (a database error) back after a pause, a few
// times, then marks its run failed.
func (q *LocalQueue) retry(ctx context.Context, j chunkJob, err error) {
	q.r.log.Warn("eval chunk failed", "eval_run_id", j.runID, "chunk", j.n, "try", j.tries+1, "err", err)
	if j.tries >= 4 {
		if j.attribution {
			if a, gerr := q.r.db.GetAttribution(ctx, j.runID); gerr == nil {
				_ = q.r.failAttribution(ctx, a, err)
			}
		} else if run, gerr := q.r.db.GetRun(ctx, j.runID); gerr == nil {
			_ = q.r.fail(ctx, run, err)
		}
		return
	}
	j.tries++
	time.AfterFunc(time.Duration(j.tries)*time.Second, func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		q.pending = append(q.pending, j)
		q.cond.Broadcast()
	})
}

// Resume queues again every chunk of the eval runs and attributions an
// earlier process left unfinished. It returns how many it resumed.
func (r *Runner) Resume(ctx context.Context) (int, error) {
	runs, err := r.db.Unfinished(ctx)
	if err != nil {
		return 0, err
	}
	for _, run := range runs {
		if err := r.queue.Enqueue(ctx, run.ID, r.chunks(run)); err != nil {
			return 0, err
		}
	}
	atts, err := r.db.UnfinishedAttributions(ctx)
	if err != nil {
		return 0, err
	}
	for _, a := range atts {
		if err := r.queue.EnqueueAttribution(ctx, a.ID, chunksOf(a.Items)); err != nil {
			return 0, err
		}
	}
	return len(runs) + len(atts), nil
}
