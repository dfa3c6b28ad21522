package engine_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/postgres"
	"github.com/superego-lab/superego/internal/store/postgres/pgtest"
)

// paced answers with n one-word deltas, one every `every`, like a model
// streaming at a steady rate.
type paced struct {
	n     int
	every time.Duration
}

func (p paced) Name() string { return "paced" }

func (p paced) Stream(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
	t := time.NewTicker(p.every)
	defer t.Stop()
	for range p.n {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		if err := emit(llm.Event{Kind: llm.KindText, Delta: "tok "}); err != nil {
			return err
		}
	}
	return emit(llm.Event{Kind: llm.KindUsage, Usage: model.Usage{InputTokens: 1, OutputTokens: p.n}})
}

// updateCounter counts message updates (the engine's partial-text writes
// and final saves) on their way to the store.
type updateCounter struct {
	store.Store
	n atomic.Int64
}

func (c *updateCounter) UpdateMessage(ctx context.Context, m model.Message) (model.Message, error) {
	c.n.Add(1)
	return c.Store.UpdateMessage(ctx, m)
}

// BenchmarkReplicated200Runs runs 200 concurrent runs (no superego, 100
// tokens at 20 ms each: 2 s of streaming) through the engine on
// PostgreSQL, with replication (events batched into the database, runs
// leased) and without it (the baseline, same database, same run). It
// reports the wall time of the whole set, the events and INSERTs the
// batcher wrote per second, and the message UPDATEs per second.
func BenchmarkReplicated200Runs(b *testing.B) {
	for _, replicated := range []bool{true, false} {
		name := "single"
		if replicated {
			name = "replicated"
		}
		b.Run(name, func(b *testing.B) { benchReplicated(b, replicated) })
	}
}

func benchReplicated(b *testing.B, replicated bool) {
	const runs = 200
	ctx := context.Background()
	pg, err := postgres.Open(ctx, pgtest.SchemaURL(b), postgres.Options{MaxConns: 10}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = pg.Close() })
	if err := seed.Apply(ctx, pg, nil); err != nil {
		b.Fatal(err)
	}
	st := &updateCounter{Store: pg}
	cfg := engine.Config{MaxConcurrentUpstream: runs}
	var batcher *postgres.Batcher
	if replicated {
		tailer, err := postgres.NewTailer(ctx, pg, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(tailer.Close)
		batcher = postgres.NewBatcher(pg, postgres.BatcherOptions{}, nil)
		b.Cleanup(func() { _ = batcher.Close(ctx) })
		cfg.Replicas = &engine.Replicas{
			Owner: "bench", Leases: pg, Events: batcher, OnCancel: tailer.OnCancel, OnStored: batcher.OnStored,
			Follow: func(runID string, afterSeq int64) engine.EventReader { return tailer.Follow(runID, afterSeq) },
		}
	}
	eng := engine.New(st, paced{n: 100, every: 20 * time.Millisecond}, cfg, nil, nil)
	b.Cleanup(func() { _ = eng.Shutdown(ctx) })

	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		insts := make([]string, runs)
		for i := range insts {
			insts[i] = noSuperegoInstance(b, pg)
		}
		updates0 := st.n.Load()
		var w0, s0 int64
		if batcher != nil {
			w0, s0 = batcher.Written(), batcher.Statements()
		}
		b.StartTimer()
		start := time.Now()
		var wg sync.WaitGroup
		for _, inst := range insts {
			wg.Go(func() {
				run, err := eng.Send(ctx, inst, benchMessage)
				if err != nil {
					b.Error(err)
					return
				}
				// Counted in the text: what arrived before the run's first
				// commit goes out as one delta (early start).
				if _, _, text := drainThen(b, eng, run.ID, nil); strings.Count(text, "tok ") != 100 {
					b.Errorf("%d tokens, want 100", strings.Count(text, "tok "))
				}
			})
		}
		wg.Wait()
		elapsed = time.Since(start)
		b.StopTimer()
		sec := elapsed.Seconds()
		b.ReportMetric(sec, "s/200-runs")
		b.ReportMetric(float64(st.n.Load()-updates0)/sec, "msg-updates/s")
		if batcher != nil {
			b.ReportMetric(float64(batcher.Written()-w0)/sec, "events/s")
			b.ReportMetric(float64(batcher.Statements()-s0)/sec, "inserts/s")
		}
		b.StartTimer()
	}
}
