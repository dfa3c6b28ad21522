package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// DefaultLeaseTTL is how long a replica's claim on its runs lasts without
// renewal when Replicas.LeaseTTL is zero.
const DefaultLeaseTTL = 30 * time.Second

// Replicas connects an engine to the other replicas sharing its database
// (PostgreSQL). Without it (SQLite, one process) run events live only in
// memory and nothing is leased.
type Replicas struct {
	// Owner names this replica on its runs' leases; unique per process.
	Owner string
	// LeaseTTL is how long a run stays claimed without renewal; leases are
	// renewed, and other replicas' expired runs interrupted, every
	// LeaseTTL/3. Zero means DefaultLeaseTTL.
	LeaseTTL time.Duration
	// Leases records which replica runs what (the PostgreSQL store).
	Leases Leases
	// Events makes run events durable in batches (a postgres.Batcher).
	Events EventSink
	// Follow reads a run's stored events after afterSeq, live, whichever
	// replica runs it (a postgres.Tailer's Follow). Subscribe uses it for
	// runs not in this process's memory.
	Follow func(runID string, afterSeq int64) EventReader
	// OnCancel registers the function called with each run id another
	// replica asks to cancel (Leases.RequestCancel); the engine registers
	// its handler once, in New (a postgres.Tailer's OnCancel).
	OnCancel func(handle func(runID string))
	// OnStored registers the function called with each batch of events
	// once Events has stored it (a postgres.Batcher's OnStored). With it,
	// this replica's subscribers are sent a run's events only once they
	// are stored: a client then never sees text that a crash of this
	// process takes back, and what it saw is what the other replicas
	// replay and keep as the interrupted run's partial text. Without it,
	// events are sent as they happen.
	OnStored func(handle func(evs []events.Event))
}

// Leases are the run leases of the shared database.
type Leases interface {
	// ClaimRun records owner as the replica executing a running run.
	ClaimRun(ctx context.Context, runID, owner string, ttl time.Duration) error
	// RenewLeases extends every running run of owner to ttl from now.
	RenewLeases(ctx context.Context, owner string, ttl time.Duration) (int, error)
	// InterruptExpired ends the running runs whose lease ran out, keeping
	// their partial text, and returns their ids.
	InterruptExpired(ctx context.Context) ([]string, error)
	// RequestCancel asks whichever replica executes runID to cancel it.
	RequestCancel(ctx context.Context, runID string) error
	// PruneRunEvents deletes stored run events older than olderThan.
	PruneRunEvents(ctx context.Context, olderThan time.Duration) (int64, error)
	// RunEventStored reports whether a run's stored log still holds the
	// event numbered seq.
	RunEventStored(ctx context.Context, runID string, seq int64) (bool, error)
}

// EventSink stores run events in batches.
type EventSink interface {
	// Add queues one event (with RunID and Seq) for the next batch.
	Add(ctx context.Context, e events.Event) error
	// Flush returns once everything added before it is stored.
	Flush(ctx context.Context) error
}

// EventReader reads one run's stored events from a cursor onwards, with
// the semantics of Subscription.Next (io.EOF after run_finished).
type EventReader interface {
	Next(ctx context.Context) ([]events.Event, error)
}

func (r *Replicas) withDefaults() *Replicas {
	if r == nil {
		return nil
	}
	c := *r
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = DefaultLeaseTTL
	}
	return &c
}

// validate says what a Replicas value lacks.
func (r *Replicas) validate() error {
	switch {
	case r == nil:
		return nil
	case r.Owner == "":
		return errors.New("engine: Replicas.Owner is empty")
	case r.Leases == nil || r.Events == nil || r.Follow == nil || r.OnCancel == nil:
		return errors.New("engine: Replicas needs Leases, Events, Follow and OnCancel")
	}
	return nil
}

// ownership is what a run's life owes to the other processes that may
// share its database. An engine has one: localRuns when it runs alone
// (SQLite, or PostgreSQL without Config.Replicas), where it is all no-ops
// but for start-up recovery, and replicated when replicas share a
// PostgreSQL database, where runs are leased, their events stored, and
// cancels and subscriptions cross between replicas.
type ownership interface {
	// interruptOrphans marks "interrupted" the runs a stopped process left
	// "running", once, at start-up; it returns how many.
	interruptOrphans(ctx context.Context) (int, error)
	// claim records this process as the owner of a new run.
	claim(ctx context.Context, runID string)
	// record hands one run event to the durable log.
	record(ev events.Event)
	// storeEnd records a run's run_finished and returns once the run's
	// whole log is stored, before its end status is.
	storeEnd(ctx context.Context, last events.Event)
	// endedElsewhere returns the stored run when another process has
	// already ended it, so that its end is kept.
	endedElsewhere(ctx context.Context, runID string) (model.Run, bool)
	// cancelElsewhere asks the process executing a running run this one
	// does not hold to cancel it.
	cancelElsewhere(ctx context.Context, r model.Run) error
	// follow subscribes to a run this process does not hold in memory;
	// nil without error means its events are not available anywhere.
	follow(ctx context.Context, r model.Run, afterSeq int64) (*Subscription, error)
	// stop ends any background work (lease renewal); idempotent.
	stop()
}

// localRuns is the ownership of an engine alone with its database: every
// run it knows is its own.
type localRuns struct {
	st store.Runs
}

func (l localRuns) interruptOrphans(ctx context.Context) (int, error) {
	n, err := l.st.InterruptRunning(ctx)
	if err != nil {
		return 0, fmt.Errorf("interrupt running runs: %w", err)
	}
	return n, nil
}

func (localRuns) claim(context.Context, string)                    {}
func (localRuns) record(events.Event)                              {}
func (localRuns) storeEnd(context.Context, events.Event)           {}
func (localRuns) cancelElsewhere(context.Context, model.Run) error { return nil }
func (localRuns) stop()                                            {}

func (localRuns) endedElsewhere(context.Context, string) (model.Run, bool) {
	return model.Run{}, false
}

func (localRuns) follow(context.Context, model.Run, int64) (*Subscription, error) {
	return nil, nil
}

// replicated is the ownership of an engine whose database other replicas
// share (Config.Replicas).
type replicated struct {
	e         *Engine
	rep       *Replicas
	stopOnce  sync.Once
	stopLease chan struct{} // closed by stop to end the lease loop
	leaseDone chan struct{} // closed when the lease loop has ended
}

// newReplicated registers the engine's cancel handler with the other
// replicas and starts the lease loop, which stop ends.
func newReplicated(e *Engine, rep *Replicas) *replicated {
	r := &replicated{e: e, rep: rep, stopLease: make(chan struct{}), leaseDone: make(chan struct{})}
	rep.OnCancel(r.cancelHere)
	if rep.OnStored != nil {
		e.gateLogs = true
		rep.OnStored(r.stored)
	}
	go r.leaseLoop()
	return r
}

func (r *replicated) interruptOrphans(ctx context.Context) (int, error) {
	// Other replicas' runs are not ours to end, not even one created a
	// moment ago and not yet claimed: only expired leases (and runs left
	// unclaimed for long) end, here and in every later sweep.
	ids, err := r.rep.Leases.InterruptExpired(ctx)
	if err != nil {
		return 0, fmt.Errorf("interrupt runs of stopped replicas: %w", err)
	}
	return len(ids), nil
}

// record hands a run event to the durable log. A failure is logged, not
// returned: the run goes on, and the in-memory log still serves this
// replica's subscribers.
func (r *replicated) record(ev events.Event) {
	// The run's own context may be cancelled already (its last events are
	// written after a cancel), so Add gets one of its own; it only waits
	// when the batcher's queue is full.
	ctx, cancel := storeCtx()
	defer cancel()
	if err := r.rep.Events.Add(ctx, ev); err != nil {
		r.e.log.Error("queue run event", "run_id", ev.RunID, "seq", ev.Seq, "err", err)
	}
}

func (r *replicated) storeEnd(ctx context.Context, last events.Event) {
	r.record(last)
	if err := r.rep.Events.Flush(ctx); err != nil {
		r.e.log.Error("store run events", "run_id", last.RunID, "err", err)
	}
}

// claim records this replica as the run's owner. Without a lease the
// other replicas could not tell the run from one whose server died, so a
// failure is logged loudly; the run still goes on. (If it failed because a
// replica starting up had already interrupted the unclaimed run, the next
// sweep's dropLostRuns stops it.)
func (r *replicated) claim(ctx context.Context, runID string) {
	if err := r.rep.Leases.ClaimRun(ctx, runID, r.rep.Owner, r.rep.LeaseTTL); err != nil {
		r.e.log.Error("claim run lease", "run_id", runID, "err", err)
	}
}

// cancelElsewhere relays a cancel to the replica executing a run this one
// does not hold. Only running runs are relayed: a finished one has nothing
// to cancel.
func (r *replicated) cancelElsewhere(ctx context.Context, run model.Run) error {
	if run.Status != model.RunRunning {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	if err := r.rep.Leases.RequestCancel(ctx, run.ID); err != nil {
		return fmt.Errorf("cancel run %q on the replica running it: %w", run.ID, err)
	}
	return nil
}

// stored lets the subscribers of this replica's runs have the events just
// stored (Replicas.OnStored).
func (r *replicated) stored(evs []events.Event) {
	upTo := map[string]int64{}
	for _, ev := range evs {
		upTo[ev.RunID] = max(upTo[ev.RunID], ev.Seq)
	}
	for id, seq := range upTo {
		if l, ok := r.e.logs.get(id); ok {
			l.markDurable(seq)
		}
	}
}

// cancelHere cancels a live run of this replica on another's request;
// requests for runs it does not hold are for other replicas.
func (r *replicated) cancelHere(runID string) {
	r.e.cancelLive(runID, errCancelledByUser)
}

// stop ends the lease loop, once. Runs still going after a timed-out
// Shutdown lose their renewal and are interrupted by the other replicas.
func (r *replicated) stop() {
	r.stopOnce.Do(func() { close(r.stopLease) })
	<-r.leaseDone
}

// leaseLoop renews this replica's leases and interrupts the runs of
// replicas that stopped renewing theirs, every LeaseTTL/3, until stop.
func (r *replicated) leaseLoop() {
	defer close(r.leaseDone)
	tick := time.NewTicker(r.rep.LeaseTTL / 3)
	defer tick.Stop()
	for {
		select {
		case <-r.stopLease:
			return
		case <-tick.C:
			r.sweep()
		}
	}
}

// sweep does one round of the lease loop.
func (r *replicated) sweep() {
	e := r.e
	ctx, cancel := context.WithTimeout(context.Background(), r.rep.LeaseTTL/3)
	defer cancel()
	n, err := r.rep.Leases.RenewLeases(ctx, r.rep.Owner, r.rep.LeaseTTL)
	if err != nil {
		e.log.Warn("renew run leases", "owner", r.rep.Owner, "err", err)
	} else if n < e.activeCount() {
		r.dropLostRuns(ctx)
	}
	ids, err := r.rep.Leases.InterruptExpired(ctx)
	if err != nil {
		e.log.Warn("interrupt runs of stopped replicas", "err", err)
		return
	}
	if len(ids) > 0 {
		e.m.runs.WithLabelValues(model.RunInterrupted).Add(float64(len(ids)))
		e.log.Warn("runs of a stopped replica marked interrupted", "count", len(ids), "run_ids", ids)
	}
	// Stored events are kept as long as the in-memory logs are (a run's
	// oldest event is at most RunTimeout older than its end), and then go,
	// so the table does not grow with every token ever streamed. Runs
	// interrupted above got their text from their events first.
	if n, err := r.rep.Leases.PruneRunEvents(ctx, r.storedLogAge()); err != nil {
		e.log.Warn("prune stored run events", "err", err)
	} else if n > 0 {
		e.log.Debug("pruned stored run events", "count", n)
	}
}

// storedLogAge is the age past which stored run events are pruned: every
// event of a run is then kept for at least LogRetention after it ended, as
// the in-memory log is.
func (r *replicated) storedLogAge() time.Duration {
	return r.e.cfg.RunTimeout + r.e.cfg.LogRetention
}

// storedLogGone reports whether a finished run's stored log no longer holds
// the events after afterSeq (they were pruned), so a subscription can say
// so (ErrLogUnavailable) rather than end without them.
func (r *replicated) storedLogGone(ctx context.Context, run model.Run, afterSeq int64) (bool, error) {
	if !model.Finished(run.Status) || afterSeq >= run.LastSeq {
		return false, nil
	}
	kept, err := r.rep.Leases.RunEventStored(ctx, run.ID, afterSeq+1)
	return !kept, err
}

// dropLostRuns stops the live runs another replica has already ended: when
// this replica could not renew its leases in time (a long database outage,
// a stalled process), the others marked its runs interrupted, and going on
// would only fight over them. (Runs that just finished here also miss from
// the renewal; cancelling those is harmless.)
func (r *replicated) dropLostRuns(ctx context.Context) {
	e := r.e
	e.mu.Lock()
	live := make(map[string]context.CancelCauseFunc, len(e.active))
	for id, cancel := range e.active {
		live[id] = cancel
	}
	e.mu.Unlock()
	for id, cancel := range live {
		run, err := e.st.GetRun(ctx, id)
		if err != nil {
			continue // not stored yet, or the database is away: next sweep
		}
		if model.Finished(run.Status) {
			cancel(errLeaseLost)
		}
	}
}

// endedElsewhere returns the stored run when another replica has already
// ended it (see dropLostRuns), so finish does not overwrite that end.
func (r *replicated) endedElsewhere(ctx context.Context, runID string) (model.Run, bool) {
	run, err := r.e.st.GetRun(ctx, runID)
	if err != nil || !model.Finished(run.Status) {
		return model.Run{}, false
	}
	return run, true
}

// follow reads a run this process does not hold in memory through the
// shared database. A finished run whose stored events were pruned is as
// gone as an evicted in-memory log: follow says so now, not on Next.
func (r *replicated) follow(ctx context.Context, run model.Run, afterSeq int64) (*Subscription, error) {
	gone, err := r.storedLogGone(ctx, run, afterSeq)
	if err != nil || gone {
		return nil, err
	}
	sctx, cancel := context.WithCancel(context.Background())
	return &Subscription{
		remote:       &keptLogReader{r: r, runID: run.ID, afterSeq: afterSeq, src: r.rep.Follow(run.ID, afterSeq)},
		remoteRun:    run.ID,
		closed:       make(chan struct{}),
		remoteCtx:    sctx,
		remoteCancel: cancel,
	}, nil
}

// keptLogReader reads a stored log, first checking it still holds what
// the subscriber asked for: a finished run's events are pruned a while
// after it ended, and then reading it is ErrLogUnavailable, as for a run
// whose in-memory log is gone, rather than an end without its events.
type keptLogReader struct {
	r        *replicated
	runID    string
	afterSeq int64
	checked  bool
	src      EventReader
}

func (k *keptLogReader) Next(ctx context.Context) ([]events.Event, error) {
	if !k.checked {
		run, err := k.r.e.st.GetRun(ctx, k.runID)
		if err != nil {
			return nil, err
		}
		gone, err := k.r.storedLogGone(ctx, run, k.afterSeq)
		if err != nil {
			return nil, err
		}
		if gone {
			return nil, fmt.Errorf("run %q: %w", k.runID, ErrLogUnavailable)
		}
		k.checked = true
	}
	return k.src.Next(ctx)
}

// nextRemote is Next for a subscription read from the database.
func (s *Subscription) nextRemote(ctx context.Context) ([]events.Event, error) {
	if s.remoteCtx.Err() != nil {
		return nil, io.EOF
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.remoteCtx, cancel) // Close ends a blocked Next
	defer stop()
	evs, err := s.remote.Next(rctx)
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return evs, err
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case s.remoteCtx.Err() != nil:
		return nil, io.EOF
	case errors.Is(err, store.ErrNotFound):
		// The run was deleted with its instance while being followed.
		return nil, fmt.Errorf("run %q: %w (%w)", s.remoteRun, ErrRunNotFound, err)
	}
	return nil, err
}
