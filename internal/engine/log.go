package engine

import (
	"context"
	"io"
	"sort"
	"sync"
	"time"
	"unsafe"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
)

// What a finished log holds, so that MaxLogBytes bounds the heap it
// really takes: every slot of the events slice (a whole events.Event, most
// of whose fields a token event leaves empty, for each slot of the slice's
// capacity), plus what each event points to (its text, rounded up the way
// the allocator rounds it, and the messages it carries). The run's ids are
// shared by all its events and counted once, in logOverhead.
// TestLogAccountingMatchesTheHeap compares this with the heap measured
// after a GC.
var (
	eventSlot   = int64(unsafe.Sizeof(events.Event{}))
	messageSize = int64(unsafe.Sizeof(model.Message{}))
	// logOverhead is the runLog, its channel, its map and list entries
	// and the run's ids.
	logOverhead = int64(unsafe.Sizeof(runLog{})) + 96 + 64 + 3*32
)

// maxMergedDelta caps the text one log event gathers by merging deltas.
const maxMergedDelta = 4 << 10

// runLog is the append-only, in-memory event log of one run. Only the run's
// own goroutine appends; any number of subscribers read at their own pace,
// so a slow reader can never hold the run up.
//
// A delta appended while no reader has taken the log's last event yet,
// when that event is a delta of the same type, is merged into it (up to
// maxMergedDelta bytes of text) instead of becoming an event of its own:
// a provider that yields faster than the readers read costs one event per
// burst rather than one per token. Every delta still takes a seq of its
// own, and a merged event carries the seq of the last delta merged into
// it, exactly as the WebSocket's merged frames do: seq may jump forward on
// a delta, and resuming after any seq a reader was given stays exact,
// because the events it was given never change again.
type runLog struct {
	runID string
	// merge allows merging deltas (set before the first append). A gated
	// log never merges: its readers' limit, durable, is a seq, which is
	// then also a count of events.
	merge bool

	mu    sync.Mutex
	evs   []events.Event
	seq   int64 // the seq of the last appended event or delta
	taken int   // evs[:taken] were handed to a reader and never change again
	// tail gathers the text of the last event while deltas merge into it
	// (open); its Delta is set from tail when the event is sealed, before
	// any reader takes it. A buffer so that merging stays linear; reused
	// by the next merge.
	tail     []byte
	tailOpen bool
	bytes    int64 // held through the events' pointers (eventSize), not the slice
	// gated: readers get only the events stored durably (up to durable),
	// until the log is done. Replicas gate their logs, so no client is
	// shown text that dies with this process: what a client saw is then
	// always what the other replicas replay and store (see
	// replicated.stored).
	gated   bool
	durable int64
	done    bool
	doneAt  time.Time
	changed chan struct{} // closed and replaced when there is news for waiters
	waiting bool          // a reader holds changed: close it on the next append
}

func newRunLog(runID string) *runLog {
	return &runLog{runID: runID, changed: make(chan struct{})}
}

// append gives e the next seq, adds it (or merges it into the last event,
// see runLog) and wakes waiting readers.
func (l *runLog) append(e events.Event) events.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	e.Seq = l.seq
	if l.mergeLocked(e) {
		// No reader waits: one that waited would have taken the last event.
		l.evs[len(l.evs)-1].Seq = e.Seq
		return e
	}
	l.sealLocked()
	l.evs = append(l.evs, e)
	l.bytes += eventSize(e)
	if !l.gated {
		l.wakeLocked()
	}
	return e
}

// mergeLocked merges the delta e into the last event when no reader has
// taken that yet and it is a delta of the same type with room left.
func (l *runLog) mergeLocked(e events.Event) bool {
	if !e.IsDelta() {
		return false
	}
	return l.mergeDeltaLocked(e.Type, e.Delta, e.TS)
}

// mergeDelta gives a delta of type typ the next seq and merges it into the
// last event, as append would, and reports whether it could; if not,
// nothing changed and the caller appends it as an event. The run's deltas
// take this way so that a merged one costs no events.Event.
func (l *runLog) mergeDelta(typ, delta string, at time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.mergeDeltaLocked(typ, delta, at) {
		return false
	}
	l.seq++
	l.evs[len(l.evs)-1].Seq = l.seq
	return true
}

// mergeDeltaLocked appends delta to the last event, which takes at as its
// time, when merging is allowed and the last event is an untaken delta of
// type typ with room left. append sets the merged event's seq.
func (l *runLog) mergeDeltaLocked(typ, delta string, at time.Time) bool {
	n := len(l.evs)
	if !l.merge || l.gated || n == 0 || n <= l.taken {
		return false
	}
	last := &l.evs[n-1]
	size := len(last.Delta)
	if l.tailOpen {
		size = len(l.tail)
	}
	if last.Type != typ || size+len(delta) > maxMergedDelta {
		return false
	}
	if !l.tailOpen {
		l.tail = append(l.tail[:0], last.Delta...)
		l.tailOpen = true
	}
	l.tail = append(l.tail, delta...)
	last.TS = at
	return true
}

// sealLocked gives the last event the text merged into it, so that it can
// be read or kept.
func (l *runLog) sealLocked() {
	if !l.tailOpen {
		return
	}
	last := &l.evs[len(l.evs)-1]
	l.bytes += allocSize(len(l.tail)) - allocSize(len(last.Delta))
	last.Delta = string(l.tail)
	l.tail = l.tail[:0]
	l.tailOpen = false
}

// wakeLocked wakes waiting readers. Waking them only when one waits saves
// a channel per token.
func (l *runLog) wakeLocked() {
	if l.waiting {
		close(l.changed)
		l.changed = make(chan struct{})
		l.waiting = false
	}
}

// markDurable records that the events up to seq are stored durably, and
// lets the readers of a gated log have them.
func (l *runLog) markDurable(seq int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if seq > l.durable {
		l.durable = seq
		l.wakeLocked()
	}
}

// readableLocked is how many events readers may have now.
func (l *runLog) readableLocked() int {
	n := len(l.evs)
	if l.gated && !l.done {
		n = min(n, int(l.durable)) // a gated log's seq is its events' count
	}
	return n
}

// positionLocked is the number of events with a seq up to seq.
func (l *runLog) positionLocked(seq int64) int {
	return sort.Search(len(l.evs), func(i int) bool { return l.evs[i].Seq > seq })
}

// finish marks the log complete: readers that have everything get io.EOF.
// The events slice is cut to its length: append leaves up to half of it
// spare, which a finished log would otherwise keep for its retention.
func (l *runLog) finish(at time.Time) {
	l.mu.Lock()
	l.sealLocked()
	l.tail = nil
	if cap(l.evs) > len(l.evs) {
		l.evs = append(make([]events.Event, 0, len(l.evs)), l.evs...)
	}
	l.done = true
	l.doneAt = at
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// startAfter returns where a reader starting after seq starts: the number
// of events with a seq up to seq, which are then fixed, so that no later
// delta merges into an event the reader skips.
func (l *runLog) startAfter(seq int64) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	pos := l.positionLocked(seq)
	if pos > l.taken {
		l.sealLocked()
		l.taken = pos
	}
	return pos
}

// lastSeq returns the seq of the last appended event (0 if none).
func (l *runLog) lastSeq() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seq
}

// size returns the bytes the log holds (see eventSlot).
func (l *runLog) size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return logOverhead + allocSize(cap(l.evs)*int(eventSlot)) + l.bytes
}

// eventSize is what e holds beyond its slot in the slice.
func eventSize(e events.Event) int64 {
	n := allocSize(len(e.Delta)) + allocSize(len(e.Reason)) + allocSize(len(e.Section)) + allocSize(len(e.Error))
	n += messageHeld(e.UserMessage) + messageHeld(e.Message)
	if e.Usage != nil {
		n += allocSize(int(unsafe.Sizeof(model.Usage{})))
	}
	if e.Timings != nil {
		n += allocSize(int(unsafe.Sizeof(model.Timings{})))
	}
	for _, id := range e.RunIDs {
		n += 16 + allocSize(len(id))
	}
	return n
}

func messageHeld(m *model.Message) int64 {
	if m == nil {
		return 0
	}
	n := allocSize(int(messageSize)) + allocSize(len(m.Content)) + allocSize(len(m.Thinking)) + allocSize(len(m.Reason)) +
		allocSize(len(m.ID)) + allocSize(len(m.Section)) + allocSize(len(m.Error))
	if m.Cost != nil {
		n += allocSize(int(unsafe.Sizeof(model.Cost{})))
	}
	return n
}

// allocSize rounds n up roughly as Go's allocator does: small objects to
// their size class (steps of 16 bytes up to 256, then wider), large ones
// to whole pages.
func allocSize(n int) int64 {
	switch {
	case n == 0:
		return 0
	case n <= 8:
		return 8
	case n <= 256:
		return int64((n + 15) &^ 15)
	case n <= 1024:
		return int64((n + 63) &^ 63)
	case n <= 32<<10:
		return int64((n + 511) &^ 511)
	}
	return int64((n + 8191) &^ 8191)
}

// Subscription reads one run's events from a cursor onwards. It is safe for
// use by one goroutine.
type Subscription struct {
	log    *runLog
	pos    int // events of log delivered
	closed chan struct{}
	once   sync.Once

	// A run held by no log of this process is read from the database.
	remote       EventReader
	remoteRun    string
	remoteCtx    context.Context // cancelled by Close
	remoteCancel context.CancelFunc
}

// Next blocks until at least one event after those delivered exists and
// returns all that are available, in seq order. It returns
// ctx.Err() when ctx is done, and io.EOF once the run has finished and every
// event was delivered (or after Close).
func (s *Subscription) Next(ctx context.Context) ([]events.Event, error) {
	if s.remote != nil {
		return s.nextRemote(ctx)
	}
	for {
		l := s.log
		l.mu.Lock()
		if n := l.readableLocked(); n > s.pos {
			l.sealLocked()
			out := make([]events.Event, n-s.pos)
			copy(out, l.evs[s.pos:n])
			s.pos = n
			l.taken = max(l.taken, n)
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

// markFinished moves l to the finished set and enforces the bounds. The
// log is marked done under the store's lock, so that whoever sees this
// run end (its subscribers' io.EOF) and then asks for another log finds
// the bounds already enforced: an older log this one pushed out is gone.
func (s *logStore) markFinished(l *runLog) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l.finish(s.now())
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
