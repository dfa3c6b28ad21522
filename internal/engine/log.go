package engine

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/superego-lab/superego/internal/events"
)

// eventOverhead is a rough per-event cost in bytes beyond its text, used
// only to bound the memory held by finished logs.
const eventOverhead = 160

// runLog is the append-only, in-memory event log of one run. Only the run's
// own goroutine appends; any number of subscribers read at their own pace,
// so a slow reader can never hold the run up.
type runLog struct {
	runID string

	mu      sync.Mutex
	evs     []events.Event
	bytes   int64
	done    bool
	doneAt  time.Time
	changed chan struct{} // closed and replaced when there is news for waiters
	waiting bool          // a reader holds changed: close it on the next append
}

func newRunLog(runID string) *runLog {
	return &runLog{runID: runID, changed: make(chan struct{})}
}

// append gives e the next seq, adds it and wakes waiting readers.
func (l *runLog) append(e events.Event) events.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.Seq = int64(len(l.evs)) + 1
	l.evs = append(l.evs, e)
	l.bytes += eventSize(e)
	// Waking readers only when one waits saves a channel per token.
	if l.waiting {
		close(l.changed)
		l.changed = make(chan struct{})
		l.waiting = false
	}
	return e
}

// finish marks the log complete: readers that have everything get io.EOF.
func (l *runLog) finish(at time.Time) {
	l.mu.Lock()
	l.done = true
	l.doneAt = at
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// lastSeq returns the seq of the last appended event (0 if none).
func (l *runLog) lastSeq() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(len(l.evs))
}

func (l *runLog) size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bytes
}

func eventSize(e events.Event) int64 {
	n := int64(eventOverhead + len(e.Delta) + len(e.Reason) + len(e.Error))
	if e.UserMessage != nil {
		n += int64(len(e.UserMessage.Content))
	}
	if e.Message != nil {
		n += int64(len(e.Message.Content) + len(e.Message.Thinking) + len(e.Message.Reason))
	}
	return n
}

// Subscription reads one run's events from a cursor onwards. It is safe for
// use by one goroutine.
type Subscription struct {
	log    *runLog
	cursor int64 // seq of the last delivered event
	closed chan struct{}
	once   sync.Once

	// A run held by no log of this process is read from the database.
	remote       EventReader
	remoteRun    string
	remoteCtx    context.Context // cancelled by Close
	remoteCancel context.CancelFunc
}

// Next blocks until at least one event after the cursor exists and returns
// all that are available, in seq order, advancing the cursor. It returns
// ctx.Err() when ctx is done, and io.EOF once the run has finished and every
// event was delivered (or after Close).
func (s *Subscription) Next(ctx context.Context) ([]events.Event, error) {
	if s.remote != nil {
		return s.nextRemote(ctx)
	}
	for {
		l := s.log
		l.mu.Lock()
		if n := int64(len(l.evs)); n > s.cursor {
			out := make([]events.Event, n-s.cursor)
			copy(out, l.evs[s.cursor:])
			s.cursor = n
			l.mu.Unlock()
			return out, nil
		}
		done, changed := l.done, l.changed
		l.waiting = true
		l.mu.Unlock()
		if done {
			return nil, io.EOF
		}
		select {
		case <-changed:
		case <-s.closed:
			return nil, io.EOF
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Close ends the subscription; a blocked Next returns io.EOF.
func (s *Subscription) Close() {
	s.once.Do(func() {
		close(s.closed)
		if s.remoteCancel != nil {
			s.remoteCancel()
		}
	})
}

// logStore keeps the logs of live runs and, bounded by count and bytes, of
// finished ones. Finished logs stay at least retention long unless the
// bounds force the oldest out first.
type logStore struct {
	retention time.Duration
	maxLogs   int
	maxBytes  int64
	now       func() time.Time

	mu       sync.Mutex
	logs     map[string]*runLog
	finished []*runLog // in finishing order, oldest first
	finBytes int64
}

func newLogStore(retention time.Duration, maxLogs int, maxBytes int64, now func() time.Time) *logStore {
	return &logStore{retention: retention, maxLogs: maxLogs, maxBytes: maxBytes, now: now, logs: make(map[string]*runLog)}
}

// add registers the log of a new run.
func (s *logStore) add(l *runLog) {
	s.mu.Lock()
	s.logs[l.runID] = l
	s.mu.Unlock()
}

// get returns a retained log, expiring old ones first.
func (s *logStore) get(runID string) (*runLog, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.evictLocked()
	l, ok := s.logs[runID]
	return l, ok
}

// markFinished moves l to the finished set and enforces the bounds.
func (s *logStore) markFinished(l *runLog) {
	l.finish(s.now())
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finished = append(s.finished, l)
	s.finBytes += l.size()
	s.evictLocked()
}

// evictLocked drops finished logs that are past retention or over the
// count and byte bounds, oldest first.
func (s *logStore) evictLocked() {
	now := s.now()
	for len(s.finished) > 0 {
		old := s.finished[0]
		expired := now.Sub(old.doneAt) >= s.retention
		over := len(s.finished) > s.maxLogs || s.finBytes > s.maxBytes
		if !expired && !over {
			return
		}
		s.finished[0] = nil
		s.finished = s.finished[1:]
		s.finBytes -= old.size()
		delete(s.logs, old.runID)
	}
}

// count returns how many logs are held (live and finished).
func (s *logStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.logs)
}
