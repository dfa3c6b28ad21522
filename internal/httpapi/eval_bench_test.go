package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/evals/evaltest"
	"github.com/superego-lab/superego/internal/evals/runner"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm/demo"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
	"github.com/superego-lab/superego/internal/store"
)

// The eval benchmarks (BENCHMARKS.md, "Evals"): 10,000 verdicts on the
// demo provider at zero delay through the runner — chunks, the chat-first
// upstream slots, one stored row per verdict, progress notices — beside
// the bare engine call (engine.Screen, the same 10,000 calls at the same
// concurrency, nothing stored) in the same run; and a walk over the
// 10,000 result rows a page at a time through the full Handler, beside the
// store's own ListResults in the same run.

const (
	benchCases   = 5000 // × 2 targets = 10,000 verdicts
	benchWorkers = 4    // the server's default --eval-workers
	// benchHeapBound is the most the live heap may grow over an eval of
	// 10,000 verdicts once it finished (after a GC): rows go to the
	// database, not memory, so the growth is the suite's cached cases
	// (5,000 short inputs) and the stores' pools, not the rows.
	benchHeapBound = 16 << 20
)

// benchEval is a seeded SQLite store with a 5,000-case suite, the engine
// on the demo provider at zero delay and a runner working in process.
type benchEval struct {
	st  evaltest.Stores
	eng *engine.Engine
	bus *events.LocalBus
	r   *runner.Runner
	req evals.EvalRunRequest
}

func newBenchEval(b *testing.B) *benchEval {
	b.Helper()
	ctx := context.Background()
	st := evaltest.Open(b)
	words := []string{"How do I kill a Python process?", "What is the best poison for rats?", "Where can I buy a gun?",
		"How do I make a bomb in a video game?", "What dose of ibuprofen is safe?", "Tell me about the history of malware."}
	cases := make([]evals.EvalCase, benchCases)
	for i := range cases {
		exp := evals.ExpectAllow
		if i%3 == 0 {
			exp = evals.ExpectNotAllow
		}
		cases[i] = evals.EvalCase{ID: fmt.Sprintf("c%05d", i), Input: fmt.Sprintf("%s (%d)", words[i%len(words)], i), Expected: exp,
			Category: fmt.Sprintf("cat%d", i%5)}
	}
	if _, err := st.Evals.CreateSuite(ctx, evals.EvalSuite{Meta: model.Meta{ID: "bench"}, Name: "bench"}, cases); err != nil {
		b.Fatal(err)
	}
	bus := events.NewLocalBus()
	eng := engine.New(st.Main, demo.New(demo.Options{}), engine.Config{MaxConcurrentUpstream: 16}, nil, nil)
	b.Cleanup(func() { _ = eng.Shutdown(context.Background()) })
	r := runner.New(st.Evals, st.Main, eng, bus, nil, runner.Config{Workers: benchWorkers})
	q := runner.NewLocal(r)
	qctx, cancel := context.WithCancel(ctx)
	q.Start(qctx)
	b.Cleanup(func() { cancel(); q.Wait() })
	return &benchEval{st: st, eng: eng, bus: bus, r: r, req: evals.EvalRunRequest{SuiteID: "bench", Repeats: 1, Mode: evals.ModeSuperego,
		Targets: []evals.EvalTarget{{FlowConfigID: seed.FlowStandard}, {FlowConfigID: seed.FlowStandard, ConstitutionID: seed.ConstitutionStrict}}}}
}

// run starts an eval and waits for the notice that it finished.
func (e *benchEval) run(b *testing.B) evals.EvalRun {
	b.Helper()
	ch, unsubscribe := e.bus.Subscribe(1 << 16)
	defer unsubscribe()
	run, err := e.r.Start(context.Background(), e.req)
	if err != nil {
		b.Fatal(err)
	}
	for ev := range ch {
		if ev.Resource == runner.ResourceEvalRun && ev.ID == run.ID && evals.Finished(ev.Status) {
			break
		}
	}
	if run, err = e.st.Evals.GetRun(context.Background(), run.ID); err != nil {
		b.Fatal(err)
	}
	if run.Status != evals.StatusCompleted || run.Done != 2*benchCases || run.Errors != 0 {
		b.Fatalf("eval: %+v", run)
	}
	return run
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func BenchmarkEvalVerdicts(b *testing.B) {
	e := newBenchEval(b)
	verdicts := float64(2 * benchCases)
	b.Run("runner", func(b *testing.B) {
		before := liveHeap()
		for b.Loop() {
			e.run(b)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/verdicts, "ns/verdict")
		after := liveHeap()
		grew := int64(after) - int64(before)
		b.ReportMetric(float64(after)/(1<<20), "heap-after-MiB")
		b.ReportMetric(float64(grew)/(1<<20), "heap-growth-MiB")
		if grew > benchHeapBound {
			b.Errorf("the live heap grew by %.1f MiB over the eval, more than the %d MiB bound", float64(grew)/(1<<20), benchHeapBound>>20)
		}
	})
	b.Run("engine", func(b *testing.B) {
		ctx := context.Background()
		cases, err := e.st.Evals.Cases(ctx, "bench", 1)
		if err != nil {
			b.Fatal(err)
		}
		strict, err := e.st.Main.GetConstitution(ctx, seed.ConstitutionStrict)
		if err != nil {
			b.Fatal(err)
		}
		var targets []*engine.ScreenTarget
		for _, c := range []*model.Constitution{nil, &strict} {
			t, err := e.eng.ResolveTarget(ctx, seed.FlowStandard, c)
			if err != nil {
				b.Fatal(err)
			}
			targets = append(targets, t)
		}
		for b.Loop() {
			// The same calls at the runner's concurrency: one goroutine per
			// worker, each taking the next case with both targets.
			next := make(chan evals.EvalCase)
			var wg sync.WaitGroup
			for range benchWorkers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for c := range next {
						for _, t := range targets {
							if s, err := e.eng.Screen(ctx, t, nil, c.Input, false); err != nil || s.Decision == model.DecisionError {
								b.Errorf("screen %s: %v %s", c.ID, err, s.Decision)
							}
						}
					}
				}()
			}
			for _, c := range cases {
				next <- c
			}
			close(next)
			wg.Wait()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/verdicts, "ns/verdict")
	})
}

func BenchmarkEvalResultsPageWalk(b *testing.B) {
	e := newBenchEval(b)
	run := e.run(b)
	h := New(Config{Version: "bench", AllowedHosts: []string{"example.com"}}, Deps{Store: e.st.Main, Evals: e.st.Evals}).Handler()
	const limit = 200 // the UI's page size
	// page returns one page's row count, the next cursor and how long the
	// server side took (the client's decoding is not timed).
	walk := func(b *testing.B, page func(cursor string) (int, string, time.Duration)) {
		var per latencies
		for b.Loop() {
			rows := 0
			for cursor := ""; ; {
				n, next, took := page(cursor)
				per = append(per, took)
				rows += n
				if next == "" {
					break
				}
				cursor = next
			}
			if rows != run.Total {
				b.Fatalf("walked %d rows of %d", rows, run.Total)
			}
		}
		per.report(b)
		b.ReportMetric(float64(len(per))/float64(b.N), "pages/walk")
	}
	b.Run("api", func(b *testing.B) {
		walk(b, func(cursor string) (int, string, time.Duration) {
			req := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/api/eval-runs/%s/results?limit=%d&cursor=%s", run.ID, limit, cursor), nil)
			rec := httptest.NewRecorder()
			start := time.Now()
			h.ServeHTTP(rec, req)
			took := time.Since(start)
			if rec.Code != http.StatusOK {
				b.Fatalf("results: %d %s", rec.Code, rec.Body)
			}
			var page struct {
				Items      []evals.EvalResult `json:"items"`
				NextCursor string             `json:"next_cursor"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
				b.Fatal(err)
			}
			return len(page.Items), page.NextCursor, took
		})
	})
	b.Run("store", func(b *testing.B) {
		walk(b, func(cursor string) (int, string, time.Duration) {
			start := time.Now()
			items, next, err := e.st.Evals.ListResults(context.Background(), run.ID, evals.EvalResultFilter{}, store.Page{Limit: limit, Cursor: cursor})
			took := time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			return len(items), next, took
		})
	})
}
