package postgres_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/store/postgres"
	"github.com/superego-lab/superego/internal/store/postgres/pgtest"
)

// TestBatcherDuringAnOutage: while the database refuses connections the
// batcher keeps at most its queue bound of events (Add then waits, rather
// than memory growing with every token of every run), and once the
// database is back every event is stored, in order, exactly once.
func TestBatcherDuringAnOutage(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.URL(t)
	s := openStore(t, dbURL)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // safety net only
	defer cancel()
	basics(t, s)
	run := newRun(t, s)

	admin, err := pgx.Connect(ctx, pgtest.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = admin.Close(context.Background()) }()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	db := pgx.Identifier{strings.TrimPrefix(u.Path, "/")}.Sanitize()
	allow := func(on bool) {
		t.Helper()
		if _, err := admin.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s ALLOW_CONNECTIONS %t", db, on)); err != nil {
			t.Fatal(err)
		}
		if !on {
			if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`,
				strings.TrimPrefix(u.Path, "/")); err != nil {
				t.Fatal(err)
			}
		}
	}

	const queue, total = 20, 200
	b := postgres.NewBatcher(s, postgres.BatcherOptions{Interval: 10 * time.Millisecond, MaxBatch: 5, Queue: queue}, nil)
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	allow(false)
	var accepted atomic.Int64
	added := make(chan error, 1)
	go func() {
		for seq := int64(1); seq <= total; seq++ {
			if err := b.Add(ctx, token(run.ID, seq, events.TypeAssistantToken, fmt.Sprintf("t%d ", seq))); err != nil {
				added <- err
				return
			}
			accepted.Add(1)
		}
		added <- nil
	}()

	// queue events held, queue more in the channel, then Add waits.
	poll(t, ctx, func() bool { return accepted.Load() >= 2*queue })
	select {
	case err := <-added:
		t.Fatalf("all %d events accepted while the database was away (%v): nothing bounds the batcher", total, err)
	default:
	}
	if n := accepted.Load(); n != 2*queue {
		t.Fatalf("%d events accepted while the database was away, want %d", n, 2*queue)
	}
	if b.Written() != 0 {
		t.Fatalf("%d events written while the database was away", b.Written())
	}

	allow(true)
	if err := <-added; err != nil {
		t.Fatalf("add after the outage: %v", err)
	}
	// A write begun during the outage may still fail; the next succeeds.
	poll(t, ctx, func() bool { return b.Flush(ctx) == nil })
	evs, err := s.ListRunEvents(ctx, run.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for seq := 1; seq <= total; seq++ {
		fmt.Fprintf(&want, "t%d ", seq)
	}
	if got := deltas(t, evs, 0); got != want.String() {
		t.Fatalf("stored %d events %q, want %d", len(evs), got, total)
	}
}

// poll checks cond every 20ms until it holds, failing the test when ctx
// ends first.
func poll(t *testing.T, ctx context.Context, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("condition not met: %v", ctx.Err())
		case <-tick.C:
		}
	}
}
