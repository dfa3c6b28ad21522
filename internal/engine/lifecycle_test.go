package engine_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// hangAfter streams the given text deltas, signals ready, then waits until
// its context ends, like an upstream mid-answer.
func hangAfter(ready chan<- struct{}, deltas ...string) streamFunc {
	return func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
		for _, d := range deltas {
			if err := emit(llm.Event{Kind: llm.KindText, Delta: d}); err != nil {
				return err
			}
		}
		close(ready)
		<-ctx.Done()
		return ctx.Err()
	}
}

func TestCancelMidAnswerKeepsPartialText(t *testing.T) {
	t.Parallel()
	ready := make(chan struct{})
	p := &scripted{superego: say("", "DECISION: ALLOW"), assistant: hangAfter(ready, "Once ", "upon ", "a ")}
	f := newFixture(t, p, engine.Config{}, nil)
	run := must(f.eng.Send(t.Context(), f.instance, "Tell me a story"))
	<-ready
	if err := f.eng.Cancel(t.Context(), run.ID); err != nil {
		t.Fatal(err)
	}
	evs, got := f.wait(t, run.ID)
	if got.Status != model.RunCancelled || got.Error != "cancelled by user" {
		t.Fatalf("run = %+v", got)
	}
	asst := f.runMessages(t, f.instance, run.ID)[model.RoleAssistant]
	if asst.Content != "Once upon a " || asst.Status != model.MessageCancelled || asst.Error != "cancelled by user" {
		t.Errorf("assistant message = %+v", asst)
	}
	if d := joinDeltas(evs, events.TypeAssistantToken); d != asst.Content {
		t.Errorf("deltas %q != stored %q", d, asst.Content)
	}
	// The upstream call saw its context cancelled.
	p.mu.Lock()
	last := p.ctxErrs[len(p.ctxErrs)-1]
	p.mu.Unlock()
	if !errors.Is(last, context.Canceled) {
		t.Errorf("upstream context error = %v, want context.Canceled", last)
	}
	// Cancelling a finished run is a no-op; an unknown one is not found.
	if err := f.eng.Cancel(t.Context(), run.ID); err != nil {
		t.Errorf("cancel finished run: %v", err)
	}
	if err := f.eng.Cancel(t.Context(), "no-such-run"); !errors.Is(err, engine.ErrRunNotFound) {
		t.Errorf("cancel unknown run: %v", err)
	}
}

func TestCancelDuringSuperego(t *testing.T) {
	t.Parallel()
	ready := make(chan struct{})
	p := &scripted{
		superego: func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
			if err := emit(llm.Event{Kind: llm.KindReasoning, Delta: "Let me think"}); err != nil {
				return err
			}
			return hangAfter(ready)(ctx, req, emit)
		},
		assistant: say("", "never"),
	}
	f := newFixture(t, p, engine.Config{}, nil)
	run := must(f.eng.Send(t.Context(), f.instance, "Hi"))
	<-ready
	must(0, f.eng.Cancel(t.Context(), run.ID))
	_, got := f.wait(t, run.ID)
	if got.Status != model.RunCancelled || len(p.requests(llm.PurposeAssistant)) != 0 {
		t.Fatalf("run = %+v, assistant calls %d", got, len(p.requests(llm.PurposeAssistant)))
	}
	sup := f.runMessages(t, f.instance, run.ID)[model.RoleSuperego]
	if sup.Status != model.MessageCancelled || sup.Thinking != "Let me think" {
		t.Errorf("superego message = %+v", sup)
	}
}

func TestRunTimeoutFails(t *testing.T) {
	t.Parallel()
	p := &scripted{superego: hangAfter(make(chan struct{}), "DECISION:"), assistant: hangAfter(make(chan struct{}), "Partial ")}
	f := newFixture(t, p, engine.Config{RunTimeout: 50 * time.Millisecond}, nil)
	run := must(f.eng.Send(t.Context(), f.instance, "Hi"))
	_, got := f.wait(t, run.ID)
	if got.Status != model.RunFailed || !strings.Contains(got.Error, "timed out") {
		t.Fatalf("run = %+v", got)
	}
	// Whichever step the timeout cut short, nothing is left streaming and
	// the reason is on the message.
	for role, m := range f.runMessages(t, f.instance, run.ID) {
		if role != model.RoleUser && (m.Status != model.MessageFailed || !strings.Contains(m.Error, "timed out")) {
			t.Errorf("%s message = %+v", role, m)
		}
	}
}

func TestAssistantFailureKeepsPartialTextAndReason(t *testing.T) {
	t.Parallel()
	p := &scripted{
		superego: say("", "DECISION: ALLOW"),
		assistant: func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
			_ = emit(llm.Event{Kind: llm.KindText, Delta: "Half an "})
			return errors.New("openai: upstream stream ended before it was complete")
		},
	}
	f := newFixture(t, p, engine.Config{}, nil)
	run := must(f.eng.Send(t.Context(), f.instance, "Hi"))
	evs, got := f.wait(t, run.ID)
	if got.Status != model.RunFailed || !strings.Contains(got.Error, "ended before") {
		t.Fatalf("run = %+v", got)
	}
	a := f.runMessages(t, f.instance, run.ID)[model.RoleAssistant]
	if a.Content != "Half an " || a.Status != model.MessageFailed || !strings.Contains(a.Error, "ended before") {
		t.Errorf("assistant message = %+v", a)
	}
	if evs[len(evs)-2].Type != events.TypeAssistantMessage || evs[len(evs)-2].Message.Status != model.MessageFailed {
		t.Errorf("failed answer not announced: %v", types(evs))
	}
}

func TestProviderPanicFailsTheRun(t *testing.T) {
	t.Parallel()
	p := &scripted{superego: func(context.Context, llm.Request, func(llm.Event) error) error { panic("provider bug") }}
	f := newFixture(t, p, engine.Config{}, nil)
	run := must(f.eng.Send(t.Context(), f.instance, "Hi"))
	_, got := f.wait(t, run.ID)
	if got.Status != model.RunFailed || got.Error != "internal error" {
		t.Fatalf("run = %+v", got)
	}
	if s := f.runMessages(t, f.instance, run.ID)[model.RoleSuperego]; s.Status != model.MessageFailed {
		t.Errorf("superego message left %q after the panic", s.Status)
	}
}

func TestSubscribeFromSeqReturnsExactlyTheRest(t *testing.T) {
	t.Parallel()
	p := &scripted{superego: say("a b c", "fine\nDECISION: ALLOW"), assistant: say("", "one two three four")}
	f := newFixture(t, p, engine.Config{}, nil)
	run := must(f.eng.Send(t.Context(), f.instance, "Hi"))
	all, _ := f.wait(t, run.ID)
	n := len(all)
	last := all[n-1].Seq
	// The seqs a client can have been given: each event's (a merged delta
	// carries its last delta's, so seqs may jump on deltas).
	for _, after := range []int64{0, all[0].Seq, all[n/2].Seq, all[n-2].Seq, last} {
		sub := must(f.eng.Subscribe(t.Context(), run.ID, after))
		var got []events.Event
		for {
			evs, err := sub.Next(t.Context())
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, evs...)
		}
		sub.Close()
		var want []events.Event
		for _, ev := range all {
			if ev.Seq > after {
				want = append(want, ev)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("after %d: got %d events, want %d", after, len(got), len(want))
		}
		for i := range got {
			if got[i].Seq != want[i].Seq || got[i].Type != want[i].Type || got[i].Delta != want[i].Delta {
				t.Fatalf("after %d: event %d = %+v, want %+v", after, i, got[i], want[i])
			}
		}
	}
	// Past the last event no client can be: refused rather than followed
	// by nothing at all.
	if _, err := f.eng.Subscribe(t.Context(), run.ID, last+1); !errors.Is(err, engine.ErrInvalid) {
		t.Errorf("subscribe past the end: %v", err)
	}
	if _, err := f.eng.Subscribe(t.Context(), "no-such-run", 0); !errors.Is(err, engine.ErrRunNotFound) {
		t.Errorf("subscribe unknown: %v", err)
	}
}

func TestSubscribeLiveAndClose(t *testing.T) {
	t.Parallel()
	ready := make(chan struct{})
	p := &scripted{superego: say("", "DECISION: ALLOW"), assistant: hangAfter(ready, "x ")}
	f := newFixture(t, p, engine.Config{}, nil)
	run := must(f.eng.Send(t.Context(), f.instance, "Hi"))
	<-ready
	sub := must(f.eng.Subscribe(t.Context(), run.ID, 0))
	first, err := sub.Next(t.Context())
	if err != nil || len(first) == 0 || first[0].Seq != 1 {
		t.Fatalf("first batch = %v, %v", first, err)
	}
	// A reader waiting for more gets io.EOF when closed, and ctx errors pass through.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := sub.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("next on cancelled ctx: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := sub.Next(t.Context()); done <- err }()
	sub.Close()
	if err := <-done; !errors.Is(err, io.EOF) {
		t.Errorf("next after close: %v", err)
	}
	must(0, f.eng.Cancel(t.Context(), run.ID))
	f.wait(t, run.ID)
}

func TestEvictedLogIsUnavailable(t *testing.T) {
	t.Parallel()
	p := &scripted{superego: say("", "DECISION: ALLOW"), assistant: say("", "ok")}
	f := newFixture(t, p, engine.Config{MaxLogs: 1}, nil)
	first := must(f.eng.Send(t.Context(), f.instance, "one"))
	f.wait(t, first.ID)
	second := must(f.eng.Send(t.Context(), f.instance, "two"))
	f.wait(t, second.ID)
	if _, err := f.eng.Subscribe(t.Context(), first.ID, 0); !errors.Is(err, engine.ErrLogUnavailable) {
		t.Errorf("subscribe evicted run: %v, want ErrLogUnavailable", err)
	}
	if r, err := f.eng.Run(t.Context(), first.ID); err != nil || r.Status != model.RunCompleted {
		t.Errorf("evicted run still readable from the store: %+v %v", r, err)
	}
}

func TestRecoverMarksRunningAsInterrupted(t *testing.T) {
	t.Parallel()
	f := newFixture(t, &scripted{}, engine.Config{}, nil)
	ctx := t.Context()
	// What a crashed process leaves behind: a running run, a streaming answer.
	user := must(f.st.AppendMessage(ctx, model.Message{FlowInstanceID: f.instance, Role: model.RoleUser, Content: "Hi", RunID: "crashed"}))
	must(f.st.CreateRun(ctx, model.Run{ID: "crashed", FlowInstanceID: f.instance, FlowConfigID: f.guarded, UserMessageID: user.ID, Status: model.RunRunning}))
	must(f.st.AppendMessage(ctx, model.Message{FlowInstanceID: f.instance, Role: model.RoleAssistant, Content: "Half", RunID: "crashed", Status: model.MessageStreaming}))

	restarted := engine.New(f.st, &scripted{}, engine.Config{}, nil, nil)
	n, err := restarted.Recover(ctx)
	if err != nil || n != 1 {
		t.Fatalf("recover = %d, %v", n, err)
	}
	r := must(restarted.Run(ctx, "crashed"))
	if r.Status != model.RunInterrupted {
		t.Errorf("run status = %s", r.Status)
	}
	a := f.runMessages(t, f.instance, "crashed")[model.RoleAssistant]
	if a.Status != model.MessageInterrupted || a.Content != "Half" {
		t.Errorf("assistant message = %+v", a)
	}
	if _, err := restarted.Subscribe(ctx, "crashed", 0); !errors.Is(err, engine.ErrLogUnavailable) {
		t.Errorf("subscribe to a run of an earlier process: %v", err)
	}
}

func TestShutdownCancelsRunsAndRefusesNewOnes(t *testing.T) {
	t.Parallel()
	ready := make(chan struct{})
	p := &scripted{superego: say("", "DECISION: ALLOW"), assistant: hangAfter(ready, "so ")}
	f := newFixture(t, p, engine.Config{}, nil)
	run := must(f.eng.Send(t.Context(), f.instance, "Hi"))
	<-ready
	sub := must(f.eng.Subscribe(t.Context(), run.ID, 0))
	if err := f.eng.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Shutdown returned only after the run was stored.
	r := must(f.eng.Run(t.Context(), run.ID))
	if r.Status != model.RunCancelled || r.Error != "server shutting down" {
		t.Errorf("run = %+v", r)
	}
	var last events.Event
	for {
		evs, err := sub.Next(t.Context())
		if err != nil {
			break
		}
		last = evs[len(evs)-1]
	}
	if last.Type != events.TypeRunFinished || last.Status != model.RunCancelled {
		t.Errorf("last event = %+v", last)
	}
	if _, err := f.eng.Send(t.Context(), f.instance, "again"); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("send after shutdown: %v", err)
	}
}

func TestBadInputsAreRefusedAndStoreNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, &scripted{superego: say("", "DECISION: ALLOW"), assistant: say("", "ok")}, engine.Config{}, nil)
	ctx := t.Context()
	for _, tc := range []struct {
		name    string
		content string
	}{{"empty", ""}, {"blank", " \n\t"}, {"invalid utf-8", "bad \xff byte"}, {"NUL", "a\x00b"}, {"too long", strings.Repeat("a", engine.MaxContentBytes+1)}} {
		if _, err := f.eng.Send(ctx, f.instance, tc.content); !errors.Is(err, engine.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", tc.name, err)
		}
	}
	if _, err := f.eng.Send(ctx, "no-such-instance", "hi"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown instance: %v", err)
	}
	if n := len(f.messages(t, f.instance)); n != 0 {
		t.Errorf("%d messages stored by refused sends", n)
	}
	if _, _, err := f.eng.RunParallel(ctx, []string{f.guarded}, "hi", ""); !errors.Is(err, engine.ErrInvalid) {
		t.Errorf("one config: %v", err)
	}
	if _, _, err := f.eng.RunParallel(ctx, make([]string, 9), "hi", ""); !errors.Is(err, engine.ErrInvalid) {
		t.Errorf("nine configs: %v", err)
	}
	if _, _, err := f.eng.RunParallel(ctx, []string{f.guarded, f.lenient}, "hi", strings.Repeat("n", 121)); !errors.Is(err, engine.ErrInvalid) {
		t.Errorf("long comparison name: %v", err)
	}
	if _, _, err := f.eng.RunParallel(ctx, []string{f.guarded, f.lenient}, "", ""); !errors.Is(err, engine.ErrInvalid) {
		t.Errorf("parallel with empty content: %v", err)
	}
	if _, _, err := f.eng.RunParallel(ctx, []string{f.guarded, "missing"}, "hi", ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing config: %v", err)
	}
	all, _, err := f.st.ListFlowInstances(ctx, store.InstanceFilter{}, store.Page{})
	if err != nil || len(all) != 2 { // the seeded session and the fixture's
		t.Errorf("refused parallel runs created instances: %d %v", len(all), err)
	}
	if _, err := f.eng.ContinueComparison(ctx, "", "hi"); !errors.Is(err, engine.ErrInvalid) {
		t.Errorf("empty comparison id: %v", err)
	}
	if _, err := f.eng.ContinueComparison(ctx, "no-such-comparison", "hi"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown comparison: %v", err)
	}
	if _, err := f.eng.Rerun(ctx, "no-such-message", model.Overrides{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown message: %v", err)
	}
	run := must(f.eng.Send(ctx, f.instance, "hi"))
	f.wait(t, run.ID)
	asst := f.runMessages(t, f.instance, run.ID)[model.RoleAssistant]
	if _, err := f.eng.Rerun(ctx, asst.ID, model.Overrides{}); !errors.Is(err, engine.ErrInvalid) {
		t.Errorf("rerun of an assistant message: %v", err)
	}
	missing := "missing"
	_, err = f.eng.Rerun(ctx, run.UserMessageID, model.Overrides{ConstitutionID: &missing})
	if !errors.Is(err, engine.ErrInvalid) || !errors.Is(err, store.ErrInvalidReference) {
		t.Errorf("rerun with a missing constitution: %v", err)
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	p := &scripted{superego: say("", "DECISION: BLOCK: no"), assistant: say("", "ok")}
	f := newFixture(t, p, engine.Config{SuperegoModel: "judge"}, reg)
	run := must(f.eng.Send(t.Context(), f.instance, "Hi"))
	f.wait(t, run.ID)
	f.eng.CountRetry("scripted")
	got := gather(t, reg)
	for series, want := range map[string]float64{
		`superego_decisions_total{constitution="test-rules",decision="BLOCK"}`:           1,
		`superego_runs_total{status="blocked"}`:                                          1,
		`superego_upstream_retries_total{provider="scripted"}`:                           1,
		`superego_tokens_total{direction="in",model="judge",provider="scripted"}`:        10,
		`superego_upstream_duration_seconds_count{model="judge",provider="scripted"}`:    1,
		`superego_upstream_first_token_seconds_count{model="judge",provider="scripted"}`: 1,
	} {
		if got[series] != want {
			t.Errorf("%s = %v, want %v", series, got[series], want)
		}
	}
}

// gather flattens a registry into "name{label="v",...}" → value, with
// histograms as their _count.
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, fam := range fams {
		for _, m := range fam.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			key := "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.GetCounter() != nil:
				out[fam.GetName()+key] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[fam.GetName()+key] = m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				out[fam.GetName()+"_count"+key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

// TestMetricModelLabelsBounded: a flow config may name any model, and
// every label value is a series kept for the process's life; only
// configured models are counted by name, others as "other".
func TestMetricModelLabelsBounded(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	p := &scripted{superego: say("", "DECISION: ALLOW"), assistant: say("", "ok")}
	f := newFixture(t, p, engine.Config{SuperegoModel: "judge", AssistantModel: "writer", MetricModels: []string{"catalogued"}}, reg)
	cfg := must(f.st.CreateFlowConfig(t.Context(), model.FlowConfig{FlowSpec: model.FlowSpec{
		Name: "Typed models", ConstitutionID: f.constitution, SyspromptID: f.sysprompt, SuperegoEnabled: true,
		OnSuperegoError: model.OnErrorBlock, SuperegoModel: "typed-by-a-user-1", AssistantModel: "catalogued",
	}}))
	run := must(f.eng.Send(t.Context(), f.newInstance(t, cfg.ID), "Hi"))
	f.wait(t, run.ID)
	got := gather(t, reg)
	for series, want := range map[string]float64{
		`superego_upstream_duration_seconds_count{model="other",provider="scripted"}`:      1,
		`superego_upstream_duration_seconds_count{model="catalogued",provider="scripted"}`: 1,
	} {
		if got[series] != want {
			t.Errorf("%s = %v, want %v", series, got[series], want)
		}
	}
	for series := range got {
		if strings.Contains(series, "typed-by-a-user") {
			t.Errorf("user-typed model name became a label: %s", series)
		}
	}
}
