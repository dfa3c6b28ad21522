package engine_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// instanceReads is the real store, counting the reads of flow instances
// and the runs' starts.
type instanceReads struct {
	store.Store
	n      atomic.Int64
	starts atomic.Int64
}

func (s *instanceReads) GetFlowInstance(ctx context.Context, id string) (model.FlowInstance, error) {
	s.n.Add(1)
	return s.Store.GetFlowInstance(ctx, id)
}

func (s *instanceReads) StartRun(ctx context.Context, r model.Run, msgs []model.Message, check func(model.FlowInstance) error) (model.Run, []model.Message, error) {
	s.starts.Add(1)
	return s.Store.StartRun(ctx, r, msgs, check)
}

// cacheFixture is a fixture whose engine counts its instance reads.
func cacheFixture(t *testing.T) (*fixture, *instanceReads) {
	t.Helper()
	p := &scripted{superego: say("Fine.", "DECISION: ALLOW"), assistant: say("", "Answer.")}
	f := newFixture(t, p, engine.Config{}, nil)
	reads := &instanceReads{Store: f.st}
	f.onStore(t, reads, engine.Config{})
	return f, reads
}

func (f *fixture) send(t *testing.T, inst, content string) ([]events.Event, model.Run) {
	t.Helper()
	r, err := f.eng.Send(t.Context(), inst, content)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	return f.wait(t, r.ID)
}

// The next message of a conversation starts without reading its
// instance again.
func TestInstanceReadOncePerConversation(t *testing.T) {
	t.Parallel()
	f, reads := cacheFixture(t)
	inst := f.newInstance(t, f.unguarded)
	for i := range 3 {
		if _, run := f.send(t, inst, "Hello"); run.Status != model.RunCompleted {
			t.Fatalf("run %d: %s %s", i, run.Status, run.Error)
		}
	}
	if n := reads.n.Load(); n != 1 {
		t.Errorf("%d reads of the instance for three messages, want 1", n)
	}
}

// A conversation's first message starts from the instance as its creation
// returned it (Remember), without reading it: the instance the store
// returned is the one its run's start finds stored, so the run is stored
// at the first try, on SQLite and PostgreSQL alike.
func TestRememberedInstanceStartsItsFirstRunWithoutARead(t *testing.T) {
	t.Parallel()
	f, reads := cacheFixture(t)
	for _, config := range []string{f.unguarded, f.guarded} {
		inst := must(f.st.CreateFlowInstance(t.Context(), model.FlowInstance{FlowConfigID: config, Name: "New"}))
		f.eng.Remember(inst)
		reads.n.Store(0)
		reads.starts.Store(0)
		if _, run := f.send(t, inst.ID, "Hello"); run.Status != model.RunCompleted {
			t.Fatalf("run: %s %s", run.Status, run.Error)
		}
		if n, starts := reads.n.Load(), reads.starts.Load(); n != 0 || starts != 1 {
			t.Errorf("config %s: %d reads of the instance and %d starts of the run, want 0 and 1", config, n, starts)
		}
	}
}

// An instance moved to another flow config after its last run runs its
// next message on the new config — here one with the superego on, which a
// run started from the instance as it was would skip.
func TestInstanceEditedSinceItsLastRunRunsAsStored(t *testing.T) {
	t.Parallel()
	f, _ := cacheFixture(t)
	ctx := t.Context()
	inst := f.newInstance(t, f.unguarded)
	if _, run := f.send(t, inst, "Hello"); run.FlowConfigID != f.unguarded || run.Decision != "" {
		t.Fatalf("first run: config %s, decision %q", run.FlowConfigID, run.Decision)
	}
	cur := must(f.st.GetFlowInstance(ctx, inst))
	cur.FlowConfigID = f.guarded
	if _, err := f.st.UpdateFlowInstance(ctx, cur, cur.Version); err != nil {
		t.Fatal(err)
	}
	evs, run := f.send(t, inst, "Again")
	if run.Status != model.RunCompleted || run.FlowConfigID != f.guarded || run.Decision != model.DecisionAllow {
		t.Fatalf("run after the edit: %s, config %s, decision %q; want completed on %s with the superego's ALLOW",
			run.Status, run.FlowConfigID, run.Decision, f.guarded)
	}
	if got := len(f.prov.requests(llm.PurposeSuperego)); got != 1 {
		t.Errorf("%d superego calls, want 1", got)
	}
	// The log is the guarded run's alone: nothing of a start on the old
	// config reached it.
	want := []string{events.TypeRunStarted, events.TypeSuperegoStarted}
	if got := types(evs); len(got) < 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("log %v, want it to start with %v", got, want)
	}
	if n := len(f.userMessages(t, inst)); n != 2 {
		t.Errorf("%d user messages stored, want 2", n)
	}
}

// An instance deleted and imported again under the same id (the same
// version and creation time, another flow config) since its last run runs
// on what was imported; one deleted is not found.
func TestInstanceDeletedOrImportedAgain(t *testing.T) {
	t.Parallel()
	f, _ := cacheFixture(t)
	ctx := t.Context()
	inst := f.newInstance(t, f.unguarded)
	f.send(t, inst, "Hello")
	again := must(f.st.GetFlowInstance(ctx, inst))
	if err := f.st.DeleteFlowInstance(ctx, inst, store.Any); err != nil {
		t.Fatal(err)
	}
	again.FlowConfigID, again.MessageCount, again.LastMessageAt = f.guarded, 0, nil
	if _, err := f.st.ImportConversation(ctx, again, nil); err != nil {
		t.Fatal(err)
	}
	if _, run := f.send(t, inst, "Back"); run.FlowConfigID != f.guarded || run.Decision != model.DecisionAllow {
		t.Fatalf("run on the imported instance: config %s, decision %q; want %s with the superego",
			run.FlowConfigID, run.Decision, f.guarded)
	}
	if err := f.st.DeleteFlowInstance(ctx, inst, store.Any); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eng.Send(ctx, inst, "Anyone?"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("send to a deleted instance: %v, want not found", err)
	}
}

func (f *fixture) userMessages(t *testing.T, inst string) []model.Message {
	t.Helper()
	var users []model.Message
	for _, m := range f.messages(t, inst) {
		if m.Role == model.RoleUser {
			users = append(users, m)
		}
	}
	return users
}
