package postgres_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/postgres"
	"github.com/superego-lab/superego/internal/store/postgres/pgtest"
)

// TestBatcher: events of many runs added at once are all stored, in far
// fewer statements than events; events of a vanished run are dropped
// without holding up the rest; a closed batcher refuses more.
func TestBatcher(t *testing.T) {
	t.Parallel()
	s := openStore(t, pgtest.SchemaURL(t))
	ctx := t.Context()
	basics(t, s)
	const nRuns, perRun = 20, 50
	runs := make([]model.Run, nRuns)
	for i := range runs {
		runs[i] = newRun(t, s)
	}
	// The interval never fires: only the size bound and Flush write, so
	// the statement count is exact arithmetic, not timing.
	b := postgres.NewBatcher(s, postgres.BatcherOptions{Interval: time.Hour, MaxBatch: 100}, nil)
	var wg sync.WaitGroup
	for _, r := range runs {
		wg.Go(func() {
			for seq := int64(1); seq <= perRun; seq++ {
				if err := b.Add(ctx, token(r.ID, seq, events.TypeAssistantToken, fmt.Sprint(seq%10))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if b.Written() != nRuns*perRun {
		t.Errorf("written %d events, want %d", b.Written(), nRuns*perRun)
	}
	if max := int64(nRuns * perRun / 100); b.Statements() > max {
		t.Errorf("%d statements for %d events, want at most %d", b.Statements(), b.Written(), max)
	}
	for _, r := range runs {
		evs, err := s.ListRunEvents(ctx, r.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != perRun {
			t.Fatalf("run %s: %d events stored, want %d", r.ID, len(evs), perRun)
		}
		deltas(t, evs, 0)
	}

	// Events of a run deleted mid-flight are dropped; the rest still land.
	gone := newRun(t, s)
	kept := newRun(t, s)
	if err := s.DeleteFlowInstance(ctx, gone.FlowInstanceID, store.Any); err != nil {
		t.Fatal(err)
	}
	for _, e := range []events.Event{token(gone.ID, 1, events.TypeAssistantToken, "x"), token(kept.ID, 1, events.TypeAssistantToken, "y")} {
		if err := b.Add(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	if evs, _ := s.ListRunEvents(ctx, kept.ID, 0, 0); len(evs) != 1 {
		t.Errorf("kept run has %d events", len(evs))
	}
	if err := b.Add(ctx, token(kept.ID, 2, events.TypeAssistantToken, "z")); !errors.Is(err, postgres.ErrBatcherClosed) {
		t.Errorf("add after close: %v", err)
	}
	if err := b.Close(ctx); err != nil {
		t.Errorf("second close: %v", err)
	}
}
