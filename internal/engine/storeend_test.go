package engine_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// flaky is a store whose final writes fail a few times, as writes do when
// they time out in a saturated writer's queue.
type flaky struct {
	store.Store
	mu               sync.Mutex
	runFails, msgEnd int
}

var errTimedOut = errors.New("write timed out in the queue")

func (f *flaky) failEnd(r model.Run) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	fail := r.Status != model.RunRunning && f.runFails > 0
	if fail {
		f.runFails--
	}
	return fail
}

func (f *flaky) UpdateRun(ctx context.Context, r model.Run) (model.Run, error) {
	if f.failEnd(r) {
		return model.Run{}, errTimedOut
	}
	return f.Store.UpdateRun(ctx, r)
}

func (f *flaky) EndRun(ctx context.Context, r model.Run) (model.Run, error) {
	if f.failEnd(r) {
		return model.Run{}, errTimedOut
	}
	return f.Store.EndRun(ctx, r)
}

func (f *flaky) UpdateMessage(ctx context.Context, m model.Message) (model.Message, error) {
	f.mu.Lock()
	fail := m.Status != model.MessageStreaming && f.msgEnd > 0
	if fail {
		f.msgEnd--
	}
	f.mu.Unlock()
	if fail {
		return model.Message{}, errTimedOut
	}
	return f.Store.UpdateMessage(ctx, m)
}

// TestEndOfRunIsNotGivenUp: the writes that end a run are retried until
// stored, so the stored run and messages say what the client was told.
func TestEndOfRunIsNotGivenUp(t *testing.T) {
	t.Parallel()
	p := &scripted{superego: say("", "DECISION: ALLOW"), assistant: say("", "The answer.")}
	f := newFixture(t, p, engine.Config{}, nil)
	eng := f.onStore(t, &flaky{Store: f.st, runFails: 3, msgEnd: 2}, engine.Config{})
	run, err := eng.Send(t.Context(), f.instance, "A question")
	if err != nil {
		t.Fatal(err)
	}
	evs := untilFinished(t, eng, run.ID)
	last := evs[len(evs)-1]
	// run_finished is sent after the end is stored: read right away,
	// the stored run already agrees with it.
	stored, err := f.st.GetRun(t.Context(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last.Status != model.RunCompleted || stored.Status != last.Status || stored.FinishedAt == nil {
		t.Fatalf("client told %s, stored run %s (finished %v)", last.Status, stored.Status, stored.FinishedAt)
	}
	for _, m := range f.runMessages(t, f.instance, run.ID) {
		if m.Status != model.MessageComplete {
			t.Errorf("%s message stored as %s (%q), want complete", m.Role, m.Status, m.Content)
		}
	}
}

// untilFinished reads runID's log up to run_finished, and not past it: what
// the test then reads from the store is read as the client sees the end.
func untilFinished(t *testing.T, eng *engine.Engine, runID string) []events.Event {
	t.Helper()
	sub, err := eng.Subscribe(t.Context(), runID, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var all []events.Event
	for len(all) == 0 || all[len(all)-1].Type != events.TypeRunFinished {
		evs, err := sub.Next(t.Context())
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		all = append(all, evs...)
	}
	return all
}

// flakyEnder is flaky with the one write that stores an answer with its
// run's end (store.RunEnder), failing as the run's end does.
type flakyEnder struct {
	*flaky
	ends, saves atomic.Int32 // EndRunWithMessage calls; an answer's final UpdateMessage calls
}

func (f *flakyEnder) EndRunWithMessage(ctx context.Context, r model.Run, m model.Message) (model.Run, model.Message, error) {
	f.ends.Add(1)
	if f.failEnd(r) {
		return model.Run{}, model.Message{}, errTimedOut
	}
	return f.Store.(store.RunEnder).EndRunWithMessage(ctx, r, m)
}

func (f *flakyEnder) UpdateMessage(ctx context.Context, m model.Message) (model.Message, error) {
	if m.Role == model.RoleAssistant && m.Status != model.MessageStreaming {
		f.saves.Add(1)
	}
	return f.flaky.UpdateMessage(ctx, m)
}

// TestAnswerIsStoredWithTheRunsEnd: with a store that can, the answer's
// final state and the run's end are one write, retried as one until
// stored; assistant_message, sent once it is stored, carries the stored
// message and comes just before run_finished.
func TestAnswerIsStoredWithTheRunsEnd(t *testing.T) {
	t.Parallel()
	p := &scripted{superego: say("", "DECISION: ALLOW"), assistant: say("", "The answer.")}
	f := newFixture(t, p, engine.Config{}, nil)
	st := &flakyEnder{flaky: &flaky{Store: f.st, runFails: 2}}
	eng := f.onStore(t, st, engine.Config{})
	run, err := eng.Send(t.Context(), f.instance, "A question")
	if err != nil {
		t.Fatal(err)
	}
	all := untilFinished(t, eng, run.ID)
	checkSeq(t, all, 0)
	n := len(all)
	if n < 2 || all[n-2].Type != events.TypeAssistantMessage {
		t.Fatalf("events end %v, want assistant_message then run_finished", types(all[max(n-3, 0):]))
	}
	if all[n-1].Status != model.RunCompleted {
		t.Fatalf("run finished %s (%s)", all[n-1].Status, all[n-1].Error)
	}
	if got := st.ends.Load(); got != 3 {
		t.Errorf("%d writes of the answer with the run's end, want 3 (two failed)", got)
	}
	if got := st.saves.Load(); got != 0 {
		t.Errorf("the answer's final state was also written on its own %d times", got)
	}
	sent := all[n-2].Message
	stored, err := f.st.GetMessage(t.Context(), sent.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != model.MessageComplete || stored.Content != "The answer." || stored.Content != sent.Content ||
		!stored.UpdatedAt.Equal(sent.UpdatedAt) || stored.Position != sent.Position {
		t.Errorf("sent %+v, stored %+v", *sent, stored)
	}
	storedRun, err := f.st.GetRun(t.Context(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if storedRun.Status != model.RunCompleted || storedRun.LastSeq != all[n-1].Seq {
		t.Errorf("stored run %s at seq %d, log ends at %d", storedRun.Status, storedRun.LastSeq, all[n-1].Seq)
	}
}
