package postgres

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
)

// tailPoll is how often a follower re-reads even without a notification:
// the safety net for notifications lost while the listener reconnected.
const tailPoll = 2 * time.Second

// Tailer lets any replica follow a run's stored events live, whichever
// replica executes it. One listener connection per process wakes the
// followers of the runs that AppendRunEvents reports, and hears the cancel
// requests of RequestCancel.
type Tailer struct {
	s   *Store
	log *slog.Logger

	mu       sync.Mutex
	waiters  map[string]map[chan struct{}]struct{}
	onCancel func(runID string) // see OnCancel

	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// NewTailer starts the listener; it returns once notifications are heard.
func NewTailer(ctx context.Context, s *Store, log *slog.Logger) (*Tailer, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	lctx, cancel := context.WithCancel(context.Background())
	t := &Tailer{s: s, log: log, waiters: map[string]map[chan struct{}]struct{}{}, cancel: cancel, done: make(chan struct{})}

	ready := make(chan struct{})
	firstErr := make(chan error, 1)
	var readyOnce sync.Once
	connCfg := s.pool.Config().ConnConfig.Copy()
	connCfg.RuntimeParams["application_name"] = "superego-tail"
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, connCfg) },
		LogError: func(ctx context.Context, err error) {
			if ctx.Err() != nil {
				return
			}
			select {
			case <-ready:
				log.Warn("run event tailer: listener", "err", err)
			default:
				select {
				case firstErr <- err:
				default:
				}
			}
		},
		ReconnectDelay: time.Second,
	}
	l.Handle(RunEventsChannel, tailHandler{t: t, listening: func() {
		readyOnce.Do(func() { close(ready) })
		t.wakeAll() // anything may have happened while disconnected
	}})
	l.Handle(RunCancelChannel, pgxlisten.HandlerFunc(func(_ context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
		t.cancelRequested(strings.TrimSpace(n.Payload))
		return nil
	}))
	go func() {
		defer close(t.done)
		_ = l.Listen(lctx)
	}()
	select {
	case <-ready:
		return t, nil
	case err := <-firstErr:
		t.Close()
		return nil, fmt.Errorf("postgres: run event tailer: %w", err)
	case <-ctx.Done():
		t.Close()
		return nil, fmt.Errorf("postgres: run event tailer: %w", ctx.Err())
	}
}

type tailHandler struct {
	t         *Tailer
	listening func()
}

func (h tailHandler) HandleNotification(_ context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	for _, id := range strings.Fields(n.Payload) {
		h.t.wake(id)
	}
	return nil
}

func (h tailHandler) HandleBacklog(context.Context, string, *pgx.Conn) error {
	h.listening()
	return nil
}

func (t *Tailer) wake(runID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for ch := range t.waiters[runID] {
		close(ch)
	}
	delete(t.waiters, runID)
}

func (t *Tailer) wakeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, set := range t.waiters {
		for ch := range set {
			close(ch)
		}
		delete(t.waiters, id)
	}
}

// register returns a channel closed at the next notification for runID.
func (t *Tailer) register(runID string) chan struct{} {
	ch := make(chan struct{})
	t.mu.Lock()
	if t.waiters[runID] == nil {
		t.waiters[runID] = map[chan struct{}]struct{}{}
	}
	t.waiters[runID][ch] = struct{}{}
	t.mu.Unlock()
	return ch
}

func (t *Tailer) unregister(runID string, ch chan struct{}) {
	t.mu.Lock()
	if set := t.waiters[runID]; set != nil {
		delete(set, ch)
		if len(set) == 0 {
			delete(t.waiters, runID)
		}
	}
	t.mu.Unlock()
}

// Close stops the listener. Followers still waiting fall back to polling.
func (t *Tailer) Close() {
	t.once.Do(func() {
		t.cancel()
		<-t.done
	})
}

// Follower reads one run's stored events from a cursor onwards, like the
// engine's in-memory Subscription. It is for one goroutine.
type Follower struct {
	t        *Tailer
	runID    string
	cursor   int64
	finished bool
}

// Follow starts reading runID's events after seq afterSeq.
func (t *Tailer) Follow(runID string, afterSeq int64) *Follower {
	return &Follower{t: t, runID: runID, cursor: afterSeq}
}

// Next blocks until at least one event after the cursor is stored and
// returns those available, in seq order. It returns io.EOF after the run's
// run_finished event was delivered (or when the run has ended and nothing
// more is stored), store.ErrNotFound for an unknown run, and ctx.Err()
// when ctx ends.
func (f *Follower) Next(ctx context.Context) ([]events.Event, error) {
	for {
		if f.finished {
			return nil, io.EOF
		}
		// Register before reading, so an append committed in between still
		// wakes this wait.
		wake := f.t.register(f.runID)
		evs, err := f.t.s.ListRunEvents(ctx, f.runID, f.cursor, 0)
		if err != nil {
			f.t.unregister(f.runID, wake)
			return nil, err
		}
		if len(evs) > 0 {
			f.t.unregister(f.runID, wake)
			f.cursor = evs[len(evs)-1].Seq
			if evs[len(evs)-1].Type == events.TypeRunFinished {
				f.finished = true
			}
			return evs, nil
		}
		run, err := f.t.s.GetRun(ctx, f.runID)
		if err != nil {
			f.t.unregister(f.runID, wake)
			return nil, err
		}
		if model.Finished(run.Status) {
			// Its last events were flushed before the status changed; read
			// once more in case they landed between the two queries.
			f.t.unregister(f.runID, wake)
			evs, err := f.t.s.ListRunEvents(ctx, f.runID, f.cursor, 0)
			if err != nil {
				return nil, err
			}
			if len(evs) == 0 {
				f.finished = true
				return nil, io.EOF
			}
			f.cursor = evs[len(evs)-1].Seq
			f.finished = evs[len(evs)-1].Type == events.TypeRunFinished
			return evs, nil
		}
		poll := time.NewTimer(tailPoll)
		select {
		case <-wake:
		case <-poll.C:
		case <-ctx.Done():
		}
		poll.Stop()
		f.t.unregister(f.runID, wake)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}
