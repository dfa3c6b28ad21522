package engine

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/events"
)

// clock is a settable time source for retention tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func finishedLog(s *logStore, id string, deltas ...string) *runLog {
	l := newRunLog(id)
	s.add(l)
	for _, d := range deltas {
		l.append(events.Event{Type: events.TypeAssistantToken, Delta: d})
	}
	s.markFinished(l)
	return l
}

func TestLogRetentionKeepsFinishedLogsForTheRetentionTime(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := newLogStore(10*time.Minute, 100, 1<<20, c.now)
	finishedLog(s, "a", "x")
	c.add(5 * time.Minute)
	finishedLog(s, "b", "y")
	c.add(5*time.Minute - time.Nanosecond)
	if _, ok := s.get("a"); !ok {
		t.Fatal("log a evicted before its retention passed")
	}
	c.add(time.Nanosecond)
	if _, ok := s.get("a"); ok {
		t.Fatal("log a kept past its retention")
	}
	if _, ok := s.get("b"); !ok {
		t.Fatal("log b evicted early")
	}
}

func TestLogBoundsEvictOldestFinishedFirst(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Unix(0, 0)}
	// Room for three finished logs of one 1000-byte event each.
	one := newRunLog("one")
	one.append(events.Event{Type: events.TypeAssistantToken, Delta: strings.Repeat("x", 1000)})
	one.finish(c.now())
	s := newLogStore(time.Hour, 100, 3*one.size(), c.now)
	live := newRunLog("live")
	s.add(live)
	live.append(events.Event{Type: events.TypeAssistantToken, Delta: strings.Repeat("z", 5000)})
	for _, id := range []string{"a", "b", "c", "d"} {
		finishedLog(s, id, strings.Repeat("x", 1000))
	}
	for id, want := range map[string]bool{"live": true, "a": false, "b": true, "c": true, "d": true} {
		if _, ok := s.get(id); ok != want {
			t.Errorf("log %s kept = %v, want %v", id, ok, want)
		}
	}
	s2 := newLogStore(time.Hour, 2, 1<<30, c.now)
	for _, id := range []string{"a", "b", "c"} {
		finishedLog(s2, id)
	}
	if _, ok := s2.get("a"); ok || s2.count() != 2 {
		t.Errorf("count bound not enforced: %d logs", s2.count())
	}
}

func TestSubscriberKeepsReadingAnEvictedLog(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Unix(0, 0)}
	s := newLogStore(time.Minute, 1, 1<<20, c.now)
	l := newRunLog("a")
	s.add(l)
	sub := &Subscription{log: l, closed: make(chan struct{})}
	l.append(events.Event{Type: events.TypeRunStarted})
	s.markFinished(l)
	finishedLog(s, "b")
	if _, ok := s.get("a"); ok {
		t.Fatal("a not evicted")
	}
	evs, err := sub.Next(context.Background())
	if err != nil || len(evs) != 1 || evs[0].Seq != 1 {
		t.Fatalf("next = %v, %v", evs, err)
	}
	if _, err := sub.Next(context.Background()); !errors.Is(err, io.EOF) {
		t.Fatalf("next at end = %v", err)
	}
}

func delta(typ, text string) events.Event { return events.Event{Type: typ, Delta: text} }

// heldBytes is what l's events hold by eventSize, to compare with its count.
func heldBytes(l *runLog) int64 {
	var n int64
	for _, e := range l.evs {
		n += eventSize(e)
	}
	return n
}

func TestDeltasNoReaderTookMergeIntoOneEvent(t *testing.T) {
	t.Parallel()
	l := newRunLog("m")
	l.merge = true
	l.append(events.Event{Type: events.TypeSuperegoStarted})
	for _, d := range []string{"a", "b", "c"} {
		l.append(delta(events.TypeSuperegoThinking, d))
	}
	l.append(delta(events.TypeSuperegoToken, "x"))
	l.append(delta(events.TypeSuperegoToken, "y"))
	l.append(events.Event{Type: events.TypeSuperegoDecision})
	l.append(delta(events.TypeAssistantToken, "z"))
	sub := &Subscription{log: l, closed: make(chan struct{})}
	got, err := sub.Next(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		typ, delta string
		seq        int64
	}{
		{events.TypeSuperegoStarted, "", 1}, {events.TypeSuperegoThinking, "abc", 4},
		{events.TypeSuperegoToken, "xy", 6}, {events.TypeSuperegoDecision, "", 7}, {events.TypeAssistantToken, "z", 8},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Type != w.typ || got[i].Delta != w.delta || got[i].Seq != w.seq {
			t.Errorf("event %d = %s %q seq %d, want %s %q seq %d", i, got[i].Type, got[i].Delta, got[i].Seq, w.typ, w.delta, w.seq)
		}
	}
	// What the reader took never changes: the next delta is an event of
	// its own, and the deltas after it merge into that one.
	l.append(delta(events.TypeAssistantToken, "1"))
	l.append(delta(events.TypeAssistantToken, "2"))
	if got[4].Delta != "z" || l.evs[4].Delta != "z" || l.evs[4].Seq != 8 {
		t.Errorf("a delta merged into an event a reader had taken: %+v", l.evs[4])
	}
	more, err := sub.Next(t.Context())
	if err != nil || len(more) != 1 || more[0].Delta != "12" || more[0].Seq != 10 {
		t.Fatalf("next = %+v, %v; want one delta \"12\" seq 10", more, err)
	}
	if l.lastSeq() != 10 {
		t.Errorf("last seq = %d, want 10", l.lastSeq())
	}
	l.finish(time.Now())
	if b := heldBytes(l); l.bytes != b {
		t.Errorf("log counts %d bytes, its events hold %d", l.bytes, b)
	}
}

func TestResumingAfterAMergedDeltaIsExact(t *testing.T) {
	t.Parallel()
	l := newRunLog("r")
	l.merge = true
	for _, d := range []string{"a", "b", "c", "d"} {
		l.append(delta(events.TypeAssistantToken, d))
	}
	first := &Subscription{log: l, pos: l.startAfter(0), closed: make(chan struct{})}
	evs, _ := first.Next(t.Context())
	if len(evs) != 1 || evs[0].Delta != "abcd" || evs[0].Seq != 4 {
		t.Fatalf("first read = %+v", evs)
	}
	l.append(delta(events.TypeAssistantToken, "e"))
	l.append(delta(events.TypeAssistantToken, "f"))
	// A resume after the seq of the last delta it was given gets the rest
	// exactly; one after the last seq of all gets only what comes later,
	// never text merged into an event it skipped.
	rest := &Subscription{log: l, pos: l.startAfter(4), closed: make(chan struct{})}
	tail := &Subscription{log: l, pos: l.startAfter(l.lastSeq()), closed: make(chan struct{})}
	l.append(delta(events.TypeAssistantToken, "g"))
	l.finish(time.Now())
	var text strings.Builder
	for _, s := range []*Subscription{rest, tail} {
		text.Reset()
		for {
			evs, err := s.Next(t.Context())
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				text.WriteString(e.Delta)
			}
		}
		want := map[*Subscription]string{rest: "efg", tail: "g"}[s]
		if text.String() != want {
			t.Errorf("resumed text = %q, want %q", text.String(), want)
		}
	}
}

func TestMergingStopsAtItsCapAndWhereNotAllowed(t *testing.T) {
	t.Parallel()
	piece := strings.Repeat("x", 1000)
	l := newRunLog("cap")
	l.merge = true
	for range 9 {
		l.append(delta(events.TypeAssistantToken, piece))
	}
	l.finish(time.Now())
	if len(l.evs) != 3 || len(l.evs[0].Delta) != 4000 || len(l.evs[2].Delta) != 1000 || l.evs[2].Seq != 9 {
		t.Errorf("9 deltas of 1000 bytes made %d events", len(l.evs))
	}
	if b := heldBytes(l); l.bytes != b {
		t.Errorf("log counts %d bytes, its events hold %d", l.bytes, b)
	}
	for _, name := range []string{"no merge", "gated"} {
		l := newRunLog(name)
		l.merge = name == "gated"
		l.gated = name == "gated"
		for range 3 {
			l.append(delta(events.TypeAssistantToken, "x"))
		}
		if len(l.evs) != 3 {
			t.Errorf("%s: 3 deltas made %d events", name, len(l.evs))
		}
	}
}

// TestMergeDeltaIsAppendWithoutAnEvent: deltas that take the run's fast
// way (mergeDelta, else append) leave the log exactly as append alone
// does, with readers taking events at the same points.
func TestMergeDeltaIsAppendWithoutAnEvent(t *testing.T) {
	t.Parallel()
	steps := []events.Event{
		{Type: events.TypeSuperegoStarted}, delta(events.TypeSuperegoThinking, "a"), delta(events.TypeSuperegoThinking, "b"),
		{Type: "read"}, delta(events.TypeSuperegoThinking, "c"), delta(events.TypeSuperegoThinking, "d"),
		delta(events.TypeSuperegoToken, "e"), {Type: events.TypeSuperegoDecision}, delta(events.TypeAssistantToken, strings.Repeat("f", 4000)),
		delta(events.TypeAssistantToken, strings.Repeat("g", 200)), delta(events.TypeAssistantToken, "h"), {Type: "read"},
		delta(events.TypeAssistantToken, "i"),
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	build := func(fast bool) (*runLog, []events.Event) {
		l := newRunLog("x")
		l.merge = true
		sub := &Subscription{log: l, closed: make(chan struct{})}
		for i, e := range steps {
			e.TS = at.Add(time.Duration(i))
			switch {
			case e.Type == "read":
				if _, err := sub.Next(t.Context()); err != nil {
					t.Fatal(err)
				}
			case fast && e.IsDelta() && l.mergeDelta(e.Type, e.Delta, e.TS):
			default:
				l.append(e)
			}
		}
		l.finish(at)
		return l, l.evs
	}
	slow, want := build(false)
	fast, got := build(true)
	if len(got) != len(want) || slow.lastSeq() != fast.lastSeq() || slow.bytes != fast.bytes {
		t.Fatalf("fast way: %d events, last seq %d, %d bytes; append: %d, %d, %d",
			len(got), fast.lastSeq(), fast.bytes, len(want), slow.lastSeq(), slow.bytes)
	}
	for i := range got {
		if got[i].Type != want[i].Type || got[i].Delta != want[i].Delta || got[i].Seq != want[i].Seq || !got[i].TS.Equal(want[i].TS) {
			t.Errorf("event %d: fast way %s %q seq %d, append %s %q seq %d", i, got[i].Type, got[i].Delta, got[i].Seq, want[i].Type, want[i].Delta, want[i].Seq)
		}
	}
	if len(got) != 8 {
		t.Errorf("%d events, want 8 (merged where no reader took the last one, up to the cap)", len(got))
	}
}
