package postgres_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store/postgres"
	"github.com/superego-lab/superego/internal/store/postgres/pgtest"
)

// BenchmarkBatcher200Runs measures run-event batching under 200 concurrent
// runs: events stored per second and the INSERT statements per second it
// took (one statement per token would make the two equal). "burst" has
// every run add tokens as fast as it can (the ceiling); "paced" has each
// run stream one token per 20ms, as the demo provider does, for 2 seconds.
// "unbatched" is the baseline: the paced load written one statement (and
// transaction) per token.
func BenchmarkBatcher200Runs(b *testing.B) {
	b.Run("burst", func(b *testing.B) { benchBatcher(b, 0, max(b.N/200, 1), false) })
	b.Run("paced", func(b *testing.B) { benchBatcher(b, 20*time.Millisecond, 100, false) })
	b.Run("unbatched", func(b *testing.B) { benchBatcher(b, 20*time.Millisecond, 100, true) })
}

func benchBatcher(b *testing.B, pace time.Duration, perRun int, unbatched bool) {
	const runs = 200
	s, err := postgres.Open(b.Context(), pgtest.SchemaURL(b), postgres.Options{MaxConns: 8}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	ctx := b.Context()
	if _, err := s.CreateFlowConfig(ctx, model.FlowConfig{Meta: model.Meta{ID: "cfg"}, FlowSpec: model.FlowSpec{Name: "cfg"}}); err != nil {
		b.Fatal(err)
	}
	inst, err := s.CreateFlowInstance(ctx, model.FlowInstance{FlowConfigID: "cfg", Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, runs)
	for i := range ids {
		r, err := s.CreateRun(ctx, model.Run{FlowInstanceID: inst.ID, FlowConfigID: "cfg"})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = r.ID
	}
	batcher := postgres.NewBatcher(s, postgres.BatcherOptions{}, nil)
	defer func() { _ = batcher.Close(context.Background()) }()

	var direct atomic.Int64 // events written one statement each
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			var tick <-chan time.Time
			if pace > 0 {
				t := time.NewTicker(pace)
				defer t.Stop()
				tick = t.C
			}
			for seq := 1; seq <= perRun; seq++ {
				if tick != nil {
					<-tick
				}
				e := events.Event{Type: events.TypeAssistantToken, TS: time.Now().UTC(), RunID: id, Seq: int64(seq), Delta: "token "}
				if unbatched {
					if err := s.AppendRunEvents(ctx, []events.Event{e}); err != nil {
						b.Error(err)
						return
					}
					direct.Add(1)
					continue
				}
				if err := batcher.Add(ctx, e); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := batcher.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start).Seconds()
	b.StopTimer()
	written, statements := batcher.Written(), batcher.Statements()
	if unbatched {
		written, statements = direct.Load(), direct.Load()
	}
	b.ReportMetric(float64(written)/elapsed, "events/s")
	b.ReportMetric(float64(statements)/elapsed, "inserts/s")
	b.ReportMetric(float64(written)/float64(max(statements, 1)), "events/insert")
}
