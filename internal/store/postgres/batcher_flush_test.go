package postgres_test

import (
	"sync"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store/postgres"
	"github.com/superego-lab/superego/internal/store/postgres/pgtest"
)

// TestBatcherConcurrentFlushes: runs finishing together each add their
// last event and flush; whichever write answers a Flush, the caller's
// event is stored when it returns.
func TestBatcherConcurrentFlushes(t *testing.T) {
	t.Parallel()
	s := openStore(t, pgtest.SchemaURL(t))
	ctx := t.Context()
	basics(t, s)
	const nRuns = 40
	runs := make([]model.Run, nRuns)
	for i := range runs {
		runs[i] = newRun(t, s)
	}
	b := postgres.NewBatcher(s, postgres.BatcherOptions{Interval: time.Hour}, nil)
	t.Cleanup(func() { _ = b.Close(ctx) })
	var wg sync.WaitGroup
	for _, r := range runs {
		wg.Go(func() {
			for seq := int64(1); seq <= 3; seq++ {
				if err := b.Add(ctx, token(r.ID, seq, events.TypeAssistantToken, "x")); err != nil {
					t.Error(err)
					return
				}
				if err := b.Flush(ctx); err != nil {
					t.Error(err)
					return
				}
				evs, err := s.ListRunEvents(ctx, r.ID, 0, 0)
				if err != nil {
					t.Error(err)
					return
				}
				if int64(len(evs)) != seq {
					t.Errorf("run %s: %d events stored after flushing event %d", r.ID, len(evs), seq)
					return
				}
			}
		})
	}
	wg.Wait()
	if b.Written() != nRuns*3 {
		t.Errorf("written %d, want %d", b.Written(), nRuns*3)
	}
}
