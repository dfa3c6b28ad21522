package wsapi

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/events"
)

func tok(run string, seq int64, typ, delta string) events.Event {
	return events.Event{Type: typ, RunID: run, Seq: seq, Delta: delta, TS: time.Unix(seq, 0)}
}

func drain(t *testing.T, q *sendQueue) []events.Event {
	t.Helper()
	var out []events.Event
	for {
		it, ok := q.next()
		if !ok {
			return out
		}
		out = append(out, it.payload().(events.Event))
	}
}

func TestQueueMergesPendingDeltasOfOneRunAndType(t *testing.T) {
	t.Parallel()
	m := newMetrics(nil)
	q := newSendQueue(16, 1<<10, 0, nil, nil, m)
	ctx := context.Background()
	for _, ev := range []events.Event{
		tok("a", 1, events.TypeRunStarted, ""),
		tok("a", 2, events.TypeAssistantToken, "Hel"),
		tok("b", 1, events.TypeAssistantToken, "x"),
		tok("a", 3, events.TypeAssistantToken, "lo"), // merges into a/2 across b's frame
		tok("a", 4, events.TypeSuperegoToken, "!"),   // another type: no merge
		tok("a", 5, events.TypeSuperegoToken, "?"),   // merges into a/4
		tok("a", 6, events.TypeAssistantMessage, ""),
		tok("a", 7, events.TypeAssistantToken, "late"), // after a lifecycle event: no merge
	} {
		if err := q.pushEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	got := drain(t, q)
	want := []struct {
		run   string
		seq   int64
		delta string
	}{{"a", 1, ""}, {"a", 3, "Hello"}, {"b", 1, "x"}, {"a", 5, "!?"}, {"a", 6, ""}, {"a", 7, "late"}}
	if len(got) != len(want) {
		t.Fatalf("got %d frames: %+v", len(got), got)
	}
	for i, w := range want {
		if got[i].RunID != w.run || got[i].Seq != w.seq || got[i].Delta != w.delta {
			t.Fatalf("frame %d = %s/%d %q, want %s/%d %q", i, got[i].RunID, got[i].Seq, got[i].Delta, w.run, w.seq, w.delta)
		}
	}
	if got[1].TS != time.Unix(3, 0) {
		t.Fatalf("a merged delta carries the last event's time, got %v", got[1].TS)
	}
	// Once popped, a delta is not merged into anymore.
	_ = q.pushEvent(ctx, tok("a", 8, events.TypeAssistantToken, "x"))
	if got := drain(t, q); len(got) != 1 || got[0].Seq != 8 || got[0].Delta != "x" {
		t.Fatalf("after pop: %+v", got)
	}
}

// A writer that stops on a failed write never calls next again; once the
// session closes the queue, the queue must not count as busy, or a server
// shutting down waits its whole write timeout for a socket already gone.
func TestClosedQueueIsNotBusy(t *testing.T) {
	t.Parallel()
	q := newSendQueue(2, 4, time.Minute, func() {}, func() {}, newMetrics(nil))
	if err := q.pushEvent(context.Background(), tok("a", 0, events.TypeRunStarted, "")); err != nil {
		t.Fatal(err)
	}
	if !q.busy() {
		t.Fatal("a queue with a frame and a writer started is not busy")
	}
	q.close()
	if q.busy() {
		t.Fatal("a closed queue whose writer died on a failed write still counts as busy")
	}
}

// A client that keeps taking frames is never stalled, even when the queue
// never empties (a long replay over a slow link); one that takes nothing
// after the queue filled is.
func TestQueueStallNeedsNoProgress(t *testing.T) {
	t.Parallel()
	stalls := 0
	q := newSendQueue(2, 4, time.Minute, func() { stalls++ }, nil, newMetrics(nil))
	var timers []func()
	q.afterFunc = func(_ time.Duration, f func()) { timers = append(timers, f) }
	ctx := context.Background()
	_ = q.pushEvent(ctx, tok("a", 0, events.TypeRunStarted, ""))
	_ = q.pushEvent(ctx, tok("a", 1, events.TypeSuperegoStarted, ""))
	// The producer finds the queue full and waits: the drain timer is armed.
	pushed := make(chan error)
	go func() { pushed <- q.pushEvent(ctx, tok("a", 2, events.TypeSuperegoDecision, "")) }()
	waitUntil(t, func() bool { q.mu.Lock(); defer q.mu.Unlock(); return q.waiting })
	if len(timers) != 1 {
		t.Fatalf("%d drain timers armed, want 1", len(timers))
	}
	// The writer takes one frame; the waiting producer refills the queue,
	// so it is never empty, but the client made progress.
	if _, ok := q.next(); !ok {
		t.Fatal("nothing to take")
	}
	if err := <-pushed; err != nil {
		t.Fatal(err)
	}
	timers[0]()
	if stalls != 0 {
		t.Fatal("a client that took a frame was closed as stalled")
	}
	// Full again and nothing taken: the next timer fires.
	go func() { pushed <- q.pushEvent(ctx, tok("a", 3, events.TypeRunFinished, "")) }()
	waitUntil(t, func() bool { q.mu.Lock(); defer q.mu.Unlock(); return q.waiting })
	timers[len(timers)-1]()
	if stalls != 1 {
		t.Fatalf("a client that took nothing: %d stalls, want 1", stalls)
	}
	q.close()
	if err := <-pushed; !errors.Is(err, errQueueClosed) {
		t.Fatalf("the waiting push after close: %v", err)
	}
}

// waitUntil polls cond, yielding between tries, until it holds.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		if t.Context().Err() != nil {
			t.Fatal("condition never held")
		}
		runtime.Gosched()
	}
}

func TestQueueMergeLimitAndBackpressure(t *testing.T) {
	t.Parallel()
	stalled := make(chan struct{})
	q := newSendQueue(2, 4, time.Millisecond, func() { close(stalled) }, nil, newMetrics(nil))
	ctx := context.Background()
	_ = q.pushEvent(ctx, tok("a", 1, events.TypeAssistantToken, "abc"))
	_ = q.pushEvent(ctx, tok("a", 2, events.TypeAssistantToken, "d"))  // 4 bytes: fits
	_ = q.pushEvent(ctx, tok("a", 3, events.TypeAssistantToken, "ef")) // would be 6: new frame
	if q.len() != 2 {
		t.Fatalf("len %d", q.len())
	}
	// Full, and the pending delta is at its limit: the next push waits.
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- q.pushEvent(wctx, tok("a", 4, events.TypeRunFinished, "")) }()
	<-stalled // the drain timer fired because the queue stayed full
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("blocked push returned %v", err)
	}
	// Popping makes room; a notice is refused while full, not waited for.
	q2 := newSendQueue(1, 4, 0, nil, nil, newMetrics(nil))
	_ = q2.pushEvent(ctx, tok("a", 1, events.TypeRunStarted, ""))
	if q2.offerNotice(events.ResourceChanged("constitutions", "updated", "x", 2)) {
		t.Fatal("notice accepted by a full queue")
	}
	q2.close()
	if err := q2.pushEvent(ctx, tok("a", 2, events.TypeRunFinished, "")); !errors.Is(err, errQueueClosed) {
		t.Fatalf("push after close: %v", err)
	}
	if _, ok := q2.next(); ok {
		t.Fatal("next after close returned an item")
	}
}

// Pending notices of one resource fold into one, which keeps its place and
// takes the newest content; notices are not frames of the run they name.
func TestQueueCoalescesNotices(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	q := newSendQueue(8, 64, 0, nil, nil, newMetrics(nil))
	runNotice := func(id, run string) events.Event {
		ev := events.ResourceChanged("flow_instance", events.ActionUpdated, id, 1)
		ev.RunID = run
		return ev
	}
	_ = q.pushEvent(ctx, tok("r1", 1, events.TypeAssistantToken, "a"))
	q.offerNotice(runNotice("i1", "r1"))
	q.offerNotice(events.ResourceChanged("constitution", events.ActionUpdated, "c", 2))
	_ = q.pushEvent(ctx, tok("r1", 2, events.TypeAssistantToken, "b"))
	q.offerNotice(runNotice("i1", "r2"))
	q.offerNotice(events.ResourceChanged("constitution", events.ActionDeleted, "c", 3))
	q.dropRun("r1") // a resume of r1 drops its frames, not the notices naming it
	var got []string
	for q.len() > 0 {
		it, _ := q.next()
		got = append(got, it.ev.Type+" "+it.ev.ID+" "+it.ev.Action+" "+it.ev.RunID)
	}
	want := []string{"resource_changed i1 updated r2", "resource_changed c deleted "}
	if !slices.Equal(got, want) {
		t.Fatalf("queue held %q, want %q", got, want)
	}
	// Once written, a notice of the same resource is queued anew.
	q.offerNotice(runNotice("i1", "r3"))
	if it, _ := q.next(); it == nil || it.ev.RunID != "r3" {
		t.Fatalf("a notice after the pending one was written: %+v", it)
	}
}
