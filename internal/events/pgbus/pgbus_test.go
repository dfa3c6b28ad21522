package pgbus

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/store/postgres/pgtest"
)

// waitLimit only keeps a broken test from hanging; passing runs never come
// near it.
const waitLimit = 30 * time.Second

// newPool opens a pool on url, as one replica would, closed when t ends.
func newPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// newBus starts a Bus on its own pool; listened receives a value each time
// its listener (re)subscribes.
func newBus(t *testing.T, url string) (*Bus, chan struct{}) {
	t.Helper()
	listened := make(chan struct{}, 8)
	b, err := start(t.Context(), newPool(t, url), false, nil, func() { listened <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	<-listened // the first subscription happened before start returned
	return b, listened
}

func subscribe(t *testing.T, b *Bus) <-chan events.Event {
	t.Helper()
	ch, unsub := b.Subscribe(16)
	t.Cleanup(unsub)
	return ch
}

// next returns the next event on ch.
func next(t *testing.T, what string, ch <-chan events.Event) events.Event {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatalf("%s: subscription closed", what)
		}
		return e
	case <-time.After(waitLimit):
		t.Fatalf("%s: no event", what)
	}
	return events.Event{}
}

// expect fails unless the next event on ch is a resource_changed for id.
func expect(t *testing.T, what string, ch <-chan events.Event, id string, version int) {
	t.Helper()
	e := next(t, what, ch)
	if e.Type != events.TypeResourceChanged || e.ID != id || e.Version != version || e.Resource != "constitutions" {
		t.Fatalf("%s: got %+v, want resource_changed constitutions/%s v%d", what, e, id, version)
	}
}

func TestAcrossBuses(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	a, _ := newBus(t, url)
	b, _ := newBus(t, url)
	subA, subB := subscribe(t, a), subscribe(t, b)
	subB2 := subscribe(t, b)

	sent := events.ResourceChanged("constitutions", events.ActionUpdated, "house-rules", 7)
	sent.TS = sent.TS.Truncate(time.Microsecond)
	a.Publish(t.Context(), sent)
	for name, ch := range map[string]<-chan events.Event{"publisher": subA, "other replica": subB, "second subscriber": subB2} {
		got := next(t, name, ch)
		same := got.Type == sent.Type && got.TS.Equal(sent.TS) && got.ID == sent.ID &&
			got.Version == sent.Version && got.Action == sent.Action && got.Resource == sent.Resource
		if !same {
			t.Errorf("%s received %+v, want %+v", name, got, sent)
		}
	}

	// Exactly once: the next thing every subscriber sees is the next event,
	// not a second copy of the first, whichever replica publishes.
	b.Publish(t.Context(), events.ResourceChanged("constitutions", events.ActionDeleted, "from-b", 2))
	a.Publish(t.Context(), events.ResourceChanged("constitutions", events.ActionCreated, "from-a", 1))
	for name, ch := range map[string]<-chan events.Event{"publisher": subA, "other replica": subB, "second subscriber": subB2} {
		expect(t, name+" first", ch, "from-b", 2)
		expect(t, name+" second", ch, "from-a", 1)
	}
}

func TestPublishAfterRequestEnds(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	a, _ := newBus(t, url)
	b, _ := newBus(t, url)
	sub := subscribe(t, b)
	// The write committed; the client hanging up must not stop the news.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	a.Publish(ctx, events.ResourceChanged("constitutions", events.ActionCreated, "late", 1))
	expect(t, "after cancelled request", sub, "late", 1)
	if a.Failed() != 0 {
		t.Errorf("Failed = %d", a.Failed())
	}
}

func TestReconnect(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	a, listened := newBus(t, url)
	b, _ := newBus(t, url)
	sub := subscribe(t, a)

	// Cut every listener connection, as a database restart or a network
	// failure would.
	admin := newPool(t, url)
	var n int
	err := admin.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = 'superego-pgbus'`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("terminated %d listener connections, want 2", n)
	}
	select {
	case <-listened:
	case <-time.After(waitLimit):
		t.Fatal("listener did not resubscribe")
	}
	if a.Reconnects() != 1 {
		t.Errorf("Reconnects = %d, want 1", a.Reconnects())
	}
	b.Publish(t.Context(), events.ResourceChanged("constitutions", events.ActionUpdated, "after-outage", 3))
	expect(t, "after reconnect", sub, "after-outage", 3)
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	a, _ := newBus(t, url)
	b, _ := newBus(t, url)
	subA, subB := subscribe(t, a), subscribe(t, b)

	// A foreign NOTIFY on the channel that is not an event is skipped.
	if _, err := newPool(t, url).Exec(t.Context(), `SELECT pg_notify($1, 'not json')`, Channel); err != nil {
		t.Fatal(err)
	}
	// An event too large for NOTIFY reaches the publisher's subscribers
	// only, and is counted.
	big := events.ResourceChanged("constitutions", events.ActionUpdated, "big", 2)
	big.Error = strings.Repeat("x", maxPayload)
	a.Publish(t.Context(), big)
	if got := next(t, "oversized, publisher", subA); got.ID != "big" {
		t.Fatalf("publisher got %+v, want the oversized event", got)
	}
	if a.Failed() != 1 {
		t.Errorf("Failed = %d, want 1", a.Failed())
	}
	// Both buses still work, and the other replica's next event is this
	// marker: it saw neither the garbage nor the oversized event.
	a.Publish(t.Context(), events.ResourceChanged("constitutions", events.ActionCreated, "marker", 1))
	expect(t, "other replica", subB, "marker", 1)
	expect(t, "publisher", subA, "marker", 1)
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()
	// Port 1 on loopback refuses connections at once.
	_, err := Open(ctx, "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5", nil)
	if err == nil {
		t.Fatal("Open succeeded without a database")
	}
	if !strings.Contains(err.Error(), "pgbus: listen") {
		t.Errorf("error %q does not say what failed", err)
	}
	if _, err := Open(ctx, "postgres://%zz", nil); err == nil || strings.Contains(err.Error(), "%zz") {
		t.Errorf("bad URL: error %v", err)
	}
}

func TestOpenAndClose(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	b, err := Open(t.Context(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	sub := subscribe(t, b)
	b.Publish(t.Context(), events.ResourceChanged("sysprompts", events.ActionCreated, "p", 1))
	if e := next(t, "own pool", sub); e.ID != "p" {
		t.Fatalf("got %+v", e)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
