package postgres

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/store"
)

// BatcherOptions tune a Batcher. Zero values take the defaults.
type BatcherOptions struct {
	// Interval is the longest an event waits before it is written
	// (default 50ms): the lag a tailer on another replica sees.
	Interval time.Duration
	// MaxBatch writes early once this many events wait (default 500).
	MaxBatch int
	// Queue bounds the events waiting to be written (default 10000): the
	// Batcher holds at most Queue unwritten events plus Queue more in its
	// channel. Beyond that, as when the database is away, Add waits,
	// slowing runs down rather than losing their events or growing memory.
	Queue int
}

// Batcher makes run events durable in batches: events from every run of a
// replica are collected and written together, one INSERT per interval
// rather than one per token. A failed write is retried every interval (not
// on every event); writes are idempotent, so nothing is stored twice.
type Batcher struct {
	log    EventLog
	opts   BatcherOptions
	logger *slog.Logger

	in      chan events.Event
	flushes chan chan error
	done    chan struct{}
	stop    context.CancelFunc
	once    sync.Once

	statements atomic.Int64
	written    atomic.Int64
	onStored   atomic.Pointer[func([]events.Event)]
}

// OnStored registers f, called with each batch of events once it is
// stored (on the Batcher's goroutine: f must not block). The engine uses
// it to send a run's events only once they are durable.
func (b *Batcher) OnStored(f func(evs []events.Event)) { b.onStored.Store(&f) }

// NewBatcher starts a Batcher writing to log. Close it to write what is
// left and stop.
func NewBatcher(log EventLog, opts BatcherOptions, logger *slog.Logger) *Batcher {
	if opts.Interval <= 0 {
		opts.Interval = 50 * time.Millisecond
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 500
	}
	if opts.Queue <= 0 {
		opts.Queue = 10000
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Batcher{
		log: log, opts: opts, logger: logger,
		in:      make(chan events.Event, opts.Queue),
		flushes: make(chan chan error),
		done:    make(chan struct{}),
		stop:    cancel,
	}
	go b.loop(ctx)
	return b
}

// ErrBatcherClosed is returned by Add and Flush after Close.
var ErrBatcherClosed = errors.New("postgres: event batcher closed")

// Add queues e (which needs RunID and Seq) for the next batch. It waits
// only when the queue is full.
func (b *Batcher) Add(ctx context.Context, e events.Event) error {
	select {
	case <-b.done:
		return ErrBatcherClosed
	default:
	}
	select {
	case b.in <- e:
		return nil
	case <-b.done:
		return ErrBatcherClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Flush writes everything added before the call and returns when it is
// stored: call it before marking a run finished, so a tailer that sees the
// status also finds every event.
func (b *Batcher) Flush(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case b.flushes <- reply:
	case <-b.done:
		return ErrBatcherClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close writes what is queued (giving up when ctx ends) and stops.
func (b *Batcher) Close(ctx context.Context) error {
	err := b.Flush(ctx)
	b.once.Do(b.stop)
	<-b.done
	if errors.Is(err, ErrBatcherClosed) {
		return nil
	}
	return err
}

// Statements counts the INSERT statements written; Written the events.
// Their ratio is the batching factor.
func (b *Batcher) Statements() int64 { return b.statements.Load() }

// Written counts the events stored.
func (b *Batcher) Written() int64 { return b.written.Load() }

func (b *Batcher) loop(ctx context.Context) {
	defer close(b.done)
	tick := time.NewTicker(b.opts.Interval)
	defer tick.Stop()
	// pending holds at most Queue events: while the database is away the
	// loop stops taking events, the channel fills up and Add waits, so a
	// long outage slows runs down instead of growing memory without bound.
	var pending []events.Event
	failing := false // the last write failed: retry on the tick only
	room := func() int { return b.opts.Queue - len(pending) }
	// take moves up to n queued events to pending, returning how many.
	take := func(n int) int {
		for got := 0; got < n; got++ {
			select {
			case e := <-b.in:
				pending = append(pending, e)
			default:
				return got
			}
		}
		return n
	}
	write := func() error {
		if len(pending) == 0 {
			return nil
		}
		err := b.store(pending)
		if err != nil {
			if !failing {
				b.logger.Warn("run events not yet stored; retrying every interval", "events", len(pending), "err", err)
			}
			failing = true
			return err
		}
		if failing {
			b.logger.Info("run events stored again", "events", len(pending))
		}
		failing = false
		pending = pending[:0]
		return nil
	}
	// writeQueued writes pending and everything queued now (queued
	// events), in as many batches as the bound needs.
	writeQueued := func(queued int) error {
		for {
			n := take(room())
			queued -= n
			if err := write(); err != nil {
				return err
			}
			if queued <= 0 || n == 0 {
				return nil
			}
		}
	}
	for {
		in := b.in
		if room() <= 0 {
			in = nil // full: Add waits until a write succeeds
		}
		select {
		case e := <-in:
			pending = append(pending, e)
			if len(pending) >= b.opts.MaxBatch && !failing {
				take(room())
				_ = write()
			}
		case <-tick.C:
			take(room())
			_ = write()
		case reply := <-b.flushes:
			// Runs finishing together each ask for a flush; one write
			// answers every request already waiting.
			replies := []chan error{reply}
		more:
			for {
				select {
				case r := <-b.flushes:
					replies = append(replies, r)
				default:
					break more
				}
			}
			// Every event added before these calls is pending or queued.
			err := writeQueued(len(b.in))
			for _, r := range replies {
				r <- err
			}
		case <-ctx.Done():
			_ = writeQueued(len(b.in))
			return
		}
	}
}

// store writes one batch. Events of a run that no longer exists (its
// instance was deleted mid-run) would fail every retry of the whole batch,
// so on that error the batch is written run by run and those are dropped.
func (b *Batcher) store(evs []events.Event) error {
	err := b.appendChunks(evs)
	if !errors.Is(err, store.ErrInvalidReference) {
		return err
	}
	byRun := map[string][]events.Event{}
	for _, e := range evs {
		byRun[e.RunID] = append(byRun[e.RunID], e)
	}
	var errs []error
	for id, group := range byRun {
		err := b.append(group)
		if errors.Is(err, store.ErrInvalidReference) {
			b.logger.Warn("run events dropped: the run no longer exists", "run_id", id, "events", len(group))
			continue
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// maxStatement bounds the events of one INSERT, so a backlog after an
// outage is written in statements of reasonable size.
const maxStatement = 2000

func (b *Batcher) appendChunks(evs []events.Event) error {
	for len(evs) > 0 {
		n := min(len(evs), maxStatement)
		if err := b.append(evs[:n]); err != nil {
			return err
		}
		evs = evs[n:]
	}
	return nil
}

func (b *Batcher) append(evs []events.Event) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.log.AppendRunEvents(ctx, evs); err != nil {
		return err
	}
	b.statements.Add(1)
	b.written.Add(int64(len(evs)))
	if f := b.onStored.Load(); f != nil {
		(*f)(evs)
	}
	return nil
}
