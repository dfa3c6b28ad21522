package runner_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"testing"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/evals/evaltest"
	"github.com/superego-lab/superego/internal/evals/runner"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/llm/demo"
	"github.com/superego-lab/superego/internal/seed"
	"github.com/superego-lab/superego/internal/store"
)

// harness is a runner on real stores and the real engine, with the
// provider a test chooses, working chunks in process.
type harness struct {
	st  evaltest.Stores
	bus *events.LocalBus
	r   *runner.Runner
	eng *engine.Engine
}

func newHarness(t *testing.T, st evaltest.Stores, prov llm.Provider) *harness {
	t.Helper()
	bs, err := evals.Builtins()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if _, err := st.Evals.EnsureSuite(context.Background(), b.Suite, b.Cases); err != nil {
			t.Fatal(err)
		}
	}
	bus := events.NewLocalBus()
	eng := engine.New(st.Main, prov, engine.Config{MaxConcurrentUpstream: 8}, nil, nil)
	t.Cleanup(func() { _ = eng.Shutdown(context.Background()) })
	r := runner.New(st.Evals, st.Main, eng, bus, nil, runner.Config{Backoff: 1, Workers: 4})
	q := runner.NewLocal(r)
	ctx, cancel := context.WithCancel(context.Background())
	q.Start(ctx)
	go r.Follow(ctx)
	t.Cleanup(func() { cancel(); q.Wait() })
	return &harness{st: st, bus: bus, r: r, eng: eng}
}

// run starts an eval and waits for the notice that it finished.
func (h *harness) run(t *testing.T, req evals.EvalRunRequest) evals.EvalRun {
	t.Helper()
	ch, unsubscribe := h.bus.Subscribe(1 << 16)
	defer unsubscribe()
	run, err := h.r.Start(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	for e := range ch {
		if e.Resource == runner.ResourceEvalRun && e.ID == run.ID && evals.Finished(e.Status) {
			break
		}
	}
	run, err = h.st.Evals.GetRun(context.Background(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func rows(t *testing.T, h *harness, id string, f evals.EvalResultFilter) []evals.EvalResult {
	t.Helper()
	var out []evals.EvalResult
	for cursor := ""; ; {
		page, next, err := h.st.Evals.ListResults(context.Background(), id, f, store.Page{Limit: 200, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page...)
		if next == "" {
			return out
		}
		cursor = next
	}
}

func TestDemoEvalOfXSTestIsCompleteAndRepeatable(t *testing.T) {
	h := newHarness(t, evaltest.Open(t), demo.New(demo.Options{}))
	req := evals.EvalRunRequest{SuiteID: evals.XSTestID, Repeats: 1, Mode: evals.ModeSuperego,
		Targets: []evals.EvalTarget{{FlowConfigID: seed.FlowStandard}, {FlowConfigID: seed.FlowStandard, ConstitutionID: seed.ConstitutionNone}}}
	first := h.run(t, req)
	if first.Status != evals.StatusCompleted || first.Done != 900 || first.Total != 900 || first.Errors != 0 {
		t.Fatalf("first eval: %+v", first)
	}
	second := h.run(t, req)
	a, b := rows(t, h, first.ID, evals.EvalResultFilter{}), rows(t, h, second.ID, evals.EvalResultFilter{})
	if len(a) != 900 || len(b) != 900 {
		t.Fatalf("%d and %d rows", len(a), len(b))
	}
	blocked := 0
	for i := range a {
		if a[i].CaseID != b[i].CaseID || a[i].Target != b[i].Target || a[i].Decision != b[i].Decision || a[i].Reason != b[i].Reason {
			t.Fatalf("row %d differs: %+v vs %+v", i, a[i], b[i])
		}
		if a[i].Target == 1 && a[i].Decision != "ALLOW" {
			t.Fatalf("the empty constitution decided %s on %q", a[i].Decision, a[i].Input)
		}
		if a[i].Target == 0 && a[i].Decision != "ALLOW" {
			blocked++
		}
		if a[i].Target == 0 && (a[i].ConstitutionID != seed.ConstitutionDefault || a[i].ConstitutionVersion < 1) {
			t.Fatalf("row does not record the constitution: %+v", a[i])
		}
	}
	if blocked == 0 {
		t.Fatal("the default constitution let every XSTest prompt pass")
	}
}

func TestDemoIsConsistentOverFiveRepeats(t *testing.T) {
	h := newHarness(t, evaltest.Open(t), demo.New(demo.Options{}))
	run := h.run(t, evals.EvalRunRequest{SuiteID: evals.SimpleSafetyTestsID, Repeats: 5, Mode: evals.ModeSuperego,
		Targets: []evals.EvalTarget{{FlowConfigID: seed.FlowStandard}}})
	if run.Done != 500 || run.Status != evals.StatusCompleted {
		t.Fatalf("run %+v", run)
	}
	if flaky := rows(t, h, run.ID, evals.EvalResultFilter{FlakyOnly: true}); len(flaky) != 0 {
		t.Fatalf("%d flaky rows from a deterministic provider", len(flaky))
	}
}

// flipper is the demo provider, except that for a seeded tenth of the
// messages every second call flips ALLOW and BLOCK.
type flipper struct {
	demo  *demo.Provider
	mu    sync.Mutex
	calls map[string]int
}

func chosen(input string) bool {
	h := fnv.New32a()
	h.Write([]byte("seed-7:" + input))
	return h.Sum32()%10 == 0
}

func (f *flipper) Name() string { return "flipper" }

func (f *flipper) Stream(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
	input := req.Messages[len(req.Messages)-1].Content
	f.mu.Lock()
	n := f.calls[input]
	f.calls[input]++
	f.mu.Unlock()
	if req.Purpose != llm.PurposeSuperego || !chosen(input) || n%2 == 0 {
		return f.demo.Stream(ctx, req, emit)
	}
	return f.demo.Stream(ctx, llm.Request{System: req.System, Purpose: req.Purpose,
		Messages: []llm.Message{{Role: "user", Content: "bomb"}}}, func(ev llm.Event) error {
		return emit(ev)
	})
}

func TestFlakyCasesAreExactlyThoseThatFlip(t *testing.T) {
	h := newHarness(t, evaltest.Open(t), &flipper{demo: demo.New(demo.Options{}), calls: map[string]int{}})
	run := h.run(t, evals.EvalRunRequest{SuiteID: evals.XSTestID, Repeats: 2, Mode: evals.ModeSuperego,
		Targets: []evals.EvalTarget{{FlowConfigID: seed.FlowStandard}}})
	all := rows(t, h, run.ID, evals.EvalResultFilter{})
	// A chosen case is flaky exactly when its second screening (a bomb
	// question) differs from the first: when the demo does not block it
	// already.
	want := map[string]bool{}
	first := map[string]string{}
	for _, x := range all {
		if x.Repeat == 0 {
			first[x.CaseID] = string(x.Decision)
		}
	}
	for _, x := range all {
		if x.Repeat == 0 && chosen(x.Input) && first[x.CaseID] != "BLOCK" {
			want[x.CaseID] = true
		}
	}
	if len(want) < 20 {
		t.Fatalf("only %d cases chosen to flip; the seed picks about 45", len(want))
	}
	got := map[string]bool{}
	for _, x := range rows(t, h, run.ID, evals.EvalResultFilter{FlakyOnly: true}) {
		got[x.CaseID] = true
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("flaky %d cases, want %d: got %v want %v", len(got), len(want), got, want)
	}
}

// hanging blocks every call until its context ends, recording why.
type hanging struct {
	started chan struct{}
	once    sync.Once
	mu      sync.Mutex
	causes  []error
}

func (p *hanging) Name() string { return "hanging" }

func (p *hanging) Stream(ctx context.Context, _ llm.Request, _ func(llm.Event) error) error {
	p.once.Do(func() { close(p.started) })
	<-ctx.Done()
	p.mu.Lock()
	p.causes = append(p.causes, context.Cause(ctx))
	p.mu.Unlock()
	return ctx.Err()
}

func TestCancelEndsTheUpstreamCalls(t *testing.T) {
	prov := &hanging{started: make(chan struct{})}
	h := newHarness(t, evaltest.Open(t), prov)
	ch, unsubscribe := h.bus.Subscribe(1 << 12)
	defer unsubscribe()
	run, err := h.r.Start(context.Background(), evals.EvalRunRequest{SuiteID: evals.XSTestID, Repeats: 1, Mode: evals.ModeSuperego,
		Targets: []evals.EvalTarget{{FlowConfigID: seed.FlowStandard}}})
	if err != nil {
		t.Fatal(err)
	}
	<-prov.started
	if _, err := h.r.Cancel(context.Background(), run.ID); err != nil {
		t.Fatal(err)
	}
	for e := range ch {
		if e.ID == run.ID && e.Status == evals.StatusCancelled {
			break
		}
	}
	// Every call that started ends, cancelled; none is left hanging, and no
	// row is stored for them.
	h.r.Wait(context.Background(), run.ID)
	prov.mu.Lock()
	defer prov.mu.Unlock()
	if len(prov.causes) == 0 {
		t.Fatal("no upstream call ended")
	}
	for _, c := range prov.causes {
		if c == nil || !errors.Is(c, runner.ErrCancelled) {
			t.Fatalf("upstream call ended by %v", c)
		}
	}
	got, err := h.st.Evals.GetRun(context.Background(), run.ID)
	if err != nil || got.Status != evals.StatusCancelled || got.Done != 0 {
		t.Fatalf("run %+v %v", got, err)
	}
}
