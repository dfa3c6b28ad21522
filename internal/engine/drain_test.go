package engine_test

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// pauseUntil streams first, signals ready, waits for release, then streams
// rest: a model in the middle of an answer.
func pauseUntil(ready chan<- struct{}, release <-chan struct{}, first, rest string) streamFunc {
	return func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
		if err := emit(llm.Event{Kind: llm.KindText, Delta: first}); err != nil {
			return err
		}
		close(ready)
		select {
		case <-release:
		case <-ctx.Done():
			return ctx.Err()
		}
		return emit(llm.Event{Kind: llm.KindText, Delta: rest})
	}
}

// A restart drains: runs in flight finish whole while new ones are refused.
func TestDrainLetsRunsFinishAndRefusesNewOnes(t *testing.T) {
	t.Parallel()
	ready, release := make(chan struct{}), make(chan struct{})
	p := &scripted{superego: say("", "DECISION: ALLOW"), assistant: pauseUntil(ready, release, "Half", " and the rest.")}
	f := newFixture(t, p, engine.Config{}, nil)
	ctx := t.Context()
	run := must(f.eng.Send(ctx, f.instance, "Hi"))
	<-ready

	drained := make(chan error, 1)
	go func() { drained <- f.eng.Drain(ctx) }()
	// Once draining, new runs are refused. Probe with an unknown instance:
	// before Drain begins that is ErrNotFound, after it ErrClosed, and no
	// probe ever starts a run.
	for {
		_, err := f.eng.Send(ctx, "no-such-instance", "again")
		if errors.Is(err, engine.ErrClosed) {
			break
		}
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("probe send: %v", err)
		}
		runtime.Gosched()
	}
	select {
	case err := <-drained:
		t.Fatalf("Drain returned (%v) while a run was still streaming", err)
	default:
	}
	close(release)
	if err := <-drained; err != nil {
		t.Fatal(err)
	}
	r := must(f.eng.Run(ctx, run.ID))
	if r.Status != model.RunCompleted {
		t.Fatalf("drained run ended %s (%s)", r.Status, r.Error)
	}
	if a := f.runMessages(t, f.instance, run.ID)[model.RoleAssistant]; a.Content != "Half and the rest." || a.Status != model.MessageComplete {
		t.Fatalf("assistant message after drain = %+v", a)
	}
}

// A drain that runs out of time says so; Shutdown then cancels the rest.
func TestDrainGivesUpWithItsContext(t *testing.T) {
	t.Parallel()
	ready := make(chan struct{})
	p := &scripted{superego: say("", "DECISION: ALLOW"), assistant: hangAfter(ready, "so ")}
	f := newFixture(t, p, engine.Config{}, nil)
	run := must(f.eng.Send(t.Context(), f.instance, "Hi"))
	<-ready
	expired, cancel := context.WithCancel(t.Context())
	cancel()
	if err := f.eng.Drain(expired); !errors.Is(err, context.Canceled) {
		t.Fatalf("Drain with a done context: %v", err)
	}
	if err := f.eng.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if r := must(f.eng.Run(t.Context(), run.ID)); r.Status != model.RunCancelled {
		t.Fatalf("run after shutdown: %s", r.Status)
	}
}
