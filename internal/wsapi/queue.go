package wsapi

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/superego-lab/superego/internal/events"
)

// errQueueClosed is returned by push and pop once the socket is closing.
var errQueueClosed = errors.New("send queue closed")

// item is one pending server frame. Run and notification frames are events;
// the others (error, pong) are small structs encoded as they are.
type item struct {
	ev    events.Event
	other any
	// delta accumulates the text of a delta once another merges into it
	// (ev.Delta is then empty); a []byte so that merging thousands of
	// tokens stays linear. A delta nothing merged into keeps its text in
	// ev.Delta, and is encoded without a copy.
	delta []byte
	// noticeKey is "resource/id" for a resource notice, which later notices
	// of the same resource replace while it is pending.
	noticeKey string
}

func (it *item) frameType() string {
	switch f := it.other.(type) {
	case errorFrame:
		return f.Type
	case pongFrame:
		return f.Type
	}
	return it.ev.Type
}

// payload returns the value to encode for this item.
func (it *item) payload() any {
	if it.other != nil {
		return it.other
	}
	if it.delta != nil {
		ev := it.ev
		ev.Delta = string(it.delta)
		return ev
	}
	if it.ev.IsDelta() {
		return it.ev
	}
	return wireEvent(it.ev)
}

// sendQueue is one socket's bounded queue of frames waiting for the writer.
//
// Backpressure is deliberate: when the queue holds limit frames, producers
// (the run followers and the frame reader) wait instead of growing it. Run
// events are never dropped because the engine keeps each run's log in
// memory anyway; a waiting follower simply reads that log later, in bigger
// batches. Text deltas of a run are merged into the run's pending delta of
// the same type (up to mergeMax bytes) so a slow client receives fewer,
// larger frames with exactly the same text. A merged delta carries the seq
// of the last event merged into it, so resuming after it is exact.
//
// If, after filling up, the queue does not give the writer a single frame
// within drainTimeout, onStall is called: the client has stopped reading
// and is disconnected (it can resume).
type sendQueue struct {
	limit        int
	mergeMax     int
	drainTimeout time.Duration
	onStall      func()
	// startWriter is called, with the lock held, when a frame arrives and
	// no writer is running; the writer then runs until the queue is empty.
	// An idle socket thus keeps no writer goroutine.
	startWriter func()
	m           *metrics
	// afterFunc arms the drain timer (time.AfterFunc; a test fires it by hand).
	afterFunc func(time.Duration, func())

	mu        sync.Mutex
	items     []*item
	lastByRun map[string]*item // the newest pending item of each run
	notices   map[string]*item // the pending notice of each resource; nil until one is queued
	space     chan struct{}    // closed and replaced when a slot frees up and someone waits
	waiting   bool             // a producer waits on space
	closed    bool
	writing   bool   // a writer is running
	stallGen  uint64 // guards against a stale stall timer
	stalled   bool
}

func newSendQueue(limit, mergeMax int, drainTimeout time.Duration, onStall, startWriter func(), m *metrics) *sendQueue {
	return &sendQueue{
		limit:        limit,
		mergeMax:     mergeMax,
		drainTimeout: drainTimeout,
		onStall:      onStall,
		startWriter:  startWriter,
		m:            m,
		lastByRun:    make(map[string]*item),
		space:        make(chan struct{}),
		afterFunc:    func(d time.Duration, f func()) { time.AfterFunc(d, f) },
	}
}

// pushEvent queues a run event, merging a delta into the run's pending
// delta of the same type when there is one. It waits while the queue is
// full, until ctx is done.
func (q *sendQueue) pushEvent(ctx context.Context, ev events.Event) error {
	return q.push(ctx, &item{ev: ev}, true)
}

// pushFrame queues a non-event frame (error, pong), waiting while full.
func (q *sendQueue) pushFrame(ctx context.Context, frame any) error {
	return q.push(ctx, &item{other: frame}, true)
}

// offerNotice queues a resource notification without waiting: the bus fan-out
// must never stall on one slow socket. A notice for a resource that already
// has one pending replaces that one's content in place: a notice only says
// "refetch", so the client needs the newest one once. A socket whose queue
// is full misses the notice (counted as dropped); it is far behind and will
// most likely be closed for not draining anyway.
func (q *sendQueue) offerNotice(ev events.Event) bool {
	it := &item{ev: ev, noticeKey: ev.Resource + "/" + ev.ID}
	return q.push(context.Background(), it, false) == nil
}

func (q *sendQueue) push(ctx context.Context, it *item, wait bool) error {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return errQueueClosed
		}
		if q.mergeLocked(it) {
			q.mu.Unlock()
			return nil
		}
		if pending := q.notices[it.noticeKey]; it.noticeKey != "" && pending != nil {
			pending.ev = it.ev
			q.mu.Unlock()
			q.m.coalesced.Inc()
			return nil
		}
		if len(q.items) < q.limit {
			q.items = append(q.items, it)
			switch {
			case it.noticeKey != "":
				if q.notices == nil {
					q.notices = make(map[string]*item)
				}
				q.notices[it.noticeKey] = it
			case it.ev.RunID != "" && it.other == nil:
				q.lastByRun[it.ev.RunID] = it
			}
			if !q.writing && q.startWriter != nil {
				q.writing = true
				q.startWriter()
			}
			n := len(q.items)
			q.mu.Unlock()
			q.m.queued.Inc()
			q.m.observeQueueLen(n)
			return nil
		}
		if !wait {
			q.mu.Unlock()
			q.m.dropped.WithLabelValues("queue_full").Inc()
			return errQueueClosed
		}
		q.armStallLocked()
		q.waiting = true
		space := q.space
		q.mu.Unlock()
		select {
		case <-space:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// mergeLocked appends a delta to its run's pending delta of the same type.
// Only the newest pending item of the run qualifies, so the run's event
// order is kept exactly.
func (q *sendQueue) mergeLocked(it *item) bool {
	if !it.ev.IsDelta() {
		return false
	}
	last := q.lastByRun[it.ev.RunID]
	if last == nil || last.ev.Type != it.ev.Type || len(last.ev.Delta)+len(last.delta)+len(it.ev.Delta) > q.mergeMax {
		return false
	}
	if last.delta == nil {
		last.delta = append(make([]byte, 0, 2*(len(last.ev.Delta)+len(it.ev.Delta))), last.ev.Delta...)
		last.ev.Delta = ""
	}
	last.delta = append(last.delta, it.ev.Delta...)
	last.ev.Seq = it.ev.Seq
	last.ev.TS = it.ev.TS
	q.m.merged.Inc()
	return true
}

// armStallLocked starts the drain timer the first time producers find the
// queue full; next disarms it as soon as the writer takes a frame.
func (q *sendQueue) armStallLocked() {
	if q.stalled || q.drainTimeout <= 0 {
		return
	}
	q.stalled = true
	q.stallGen++
	gen := q.stallGen
	q.afterFunc(q.drainTimeout, func() {
		q.mu.Lock()
		fire := q.stalled && q.stallGen == gen && !q.closed
		q.mu.Unlock()
		if fire {
			q.onStall()
		}
	})
}

// next returns the oldest pending item, or false when the queue is empty
// or closed, in which case the writer must stop: the next push starts a new
// one.
func (q *sendQueue) next() (*item, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || len(q.items) == 0 {
		q.writing = false
		return nil, false
	}
	it := q.items[0]
	q.items[0] = nil
	q.items = q.items[1:]
	if len(q.items) == 0 {
		q.items = q.items[:0:0] // let the backing array go
	}
	// Progress disarms the drain timer: only a client that takes nothing
	// for drainTimeout counts as stalled, not one that is merely behind,
	// such as one reading a long replay over a slow link, which keeps the
	// queue full the whole time.
	q.stalled = false
	if q.lastByRun[it.ev.RunID] == it {
		delete(q.lastByRun, it.ev.RunID)
	}
	if it.noticeKey != "" && q.notices[it.noticeKey] == it {
		delete(q.notices, it.noticeKey)
	}
	if q.waiting {
		close(q.space)
		q.space = make(chan struct{})
		q.waiting = false
	}
	q.m.queued.Dec()
	return it, true
}

// dropRun removes the pending frames of one run (used when a resume
// replaces the socket's follow of it, whose replay sends them again) and
// wakes producers waiting for space.
func (q *sendQueue) dropRun(runID string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	kept := q.items[:0]
	for _, it := range q.items {
		if it.other == nil && it.noticeKey == "" && it.ev.RunID == runID {
			continue
		}
		kept = append(kept, it)
	}
	n := len(q.items) - len(kept)
	clear(q.items[len(kept):])
	q.items = kept
	delete(q.lastByRun, runID)
	if n == 0 {
		return
	}
	q.m.queued.Sub(float64(n))
	q.m.dropped.WithLabelValues("resumed").Add(float64(n))
	if len(q.items) == 0 {
		q.stalled = false
	}
	if q.waiting {
		close(q.space)
		q.space = make(chan struct{})
		q.waiting = false
	}
}

// busy reports whether frames are pending or being written. A closed queue
// is never busy: nothing more will be written, and a writer that stopped on
// a failed write left writing set (it does not come back to next), so a
// shutdown waiting for busy to clear would otherwise wait out its whole
// timeout for a client that is already gone.
func (q *sendQueue) busy() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.writing && !q.closed
}

// close discards what is still pending (the client can resume it) and wakes
// every waiting producer.
func (q *sendQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.closed = true
	n := len(q.items)
	q.items = nil
	q.lastByRun = nil
	q.notices = nil
	close(q.space)
	q.m.queued.Sub(float64(n))
	q.m.dropped.WithLabelValues("socket_closed").Add(float64(n))
}

// len reports how many frames are pending.
func (q *sendQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}
