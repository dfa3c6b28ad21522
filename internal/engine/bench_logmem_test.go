package engine_test

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/llm/demo"
	"github.com/superego-lab/superego/internal/seed"
	"github.com/superego-lab/superego/internal/store/sqlite"
)

// logHeapCap is MaxLogBytes in BenchmarkEventLogHeap: small enough that
// 800 demo runs overflow it several times.
const logHeapCap = 16 << 20

// heapAfterRuns runs n demo turns (superego + assistant, each in a new
// instance) through an engine keeping at most maxLogs finished logs and
// logHeapCap bytes of them, and returns how much the heap grew, measured
// after a GC before and after.
func heapAfterRuns(b *testing.B, n, maxLogs int) float64 {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	if err := seed.Apply(ctx, st, nil); err != nil {
		b.Fatal(err)
	}
	eng := engine.New(st, demo.New(demo.Options{}), engine.Config{SuperegoModel: demo.SuperegoModel,
		AssistantModel: demo.AssistantModel, LogRetention: time.Hour, MaxLogs: maxLogs, MaxLogBytes: logHeapCap}, nil, nil)
	defer func() { _ = eng.Shutdown(context.Background()) }()
	insts := make([]string, n)
	for i := range insts {
		insts[i] = instanceOn(b, st, seed.FlowStandard)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, inst := range insts {
		run, err := eng.Send(ctx, inst, benchMessage)
		if err != nil {
			b.Fatal(err)
		}
		drain(b, eng, run.ID)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(eng)
	return float64(after.HeapAlloc) - float64(before.HeapAlloc)
}

// BenchmarkEventLogHeap shows that the finished runs' event logs stay
// within MaxLogBytes: 800 demo runs with a 16 MiB cap (and no count
// bound), beside the same 800 runs keeping one log (the baseline: what
// the rest of the engine and the store keep). The difference is the logs'
// heap, after a GC.
func BenchmarkEventLogHeap(b *testing.B) {
	const runs = 800
	var held, base float64
	for b.Loop() {
		base = heapAfterRuns(b, runs, 1)
		held = heapAfterRuns(b, runs, 1<<20)
	}
	b.ReportMetric(held/(1<<20), "heap-MiB")
	b.ReportMetric(base/(1<<20), "baseline-heap-MiB")
	b.ReportMetric((held-base)/(1<<20), "logs-MiB")
	b.ReportMetric(float64(logHeapCap)/(1<<20), "cap-MiB")
}
