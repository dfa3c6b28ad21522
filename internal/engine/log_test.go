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
