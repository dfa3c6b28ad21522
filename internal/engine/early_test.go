package engine_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// startGate is the real store, except that StartRun — the transaction
// that stores a run with its first messages — waits for the test: it
// hands over the run it was asked to store and stores it (nil) or fails
// with what the test sends.
type startGate struct {
	store.Store
	asked   chan model.Run
	proceed chan error
}

func (g *startGate) StartRun(ctx context.Context, r model.Run, msgs []model.Message, check func(model.FlowInstance) error) (model.Run, []model.Message, error) {
	g.asked <- r
	if err := <-g.proceed; err != nil {
		return model.Run{}, nil, err
	}
	return g.Store.StartRun(ctx, r, msgs, check)
}

// earlyEngine is an engine on a gated store whose assistant says answer
// (a flow without superego), then — with stall — waits for the end of its
// call. streamed is closed once the answer is out, and the engine's
// notices go to the returned channel.
func earlyEngine(t *testing.T, answer string, stall bool) (*fixture, *startGate, *engine.Engine, <-chan events.Event, chan struct{}) {
	t.Helper()
	streamed := make(chan struct{})
	var once sync.Once
	p := &scripted{assistant: func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
		err := say("", answer)(ctx, req, emit)
		once.Do(func() { close(streamed) })
		if stall {
			<-ctx.Done()
			return context.Cause(ctx)
		}
		return err
	}}
	f := newFixture(t, p, engine.Config{}, nil)
	g := &startGate{Store: f.st, asked: make(chan model.Run), proceed: make(chan error)}
	bus := events.NewLocalBus()
	ch, unsubscribe := bus.Subscribe(64)
	t.Cleanup(unsubscribe)
	return f, g, f.onStore(t, g, engine.Config{Bus: bus}), ch, streamed
}

type sent struct {
	run model.Run
	err error
}

// The assistant's call starts beside the run's first writes, but nothing
// of the run reaches anyone until they are stored: not the reply to Send
// (the run's id), not a notice, not its log, not a token. Once stored, its
// log starts with run_started, and the tokens the upstream sent meanwhile
// follow it.
func TestEarlyStartReleasesNothingBeforeItsWritesAreStored(t *testing.T) {
	t.Parallel()
	f, g, eng, notices, streamed := earlyEngine(t, "Held until stored.", false)
	ctx := t.Context()
	inst := f.newInstance(t, f.unguarded)
	done := make(chan sent, 1)
	go func() {
		r, err := eng.Send(ctx, inst, "Hello")
		done <- sent{r, err}
	}()
	asked := <-g.asked
	<-streamed // the whole answer came while the writes wait
	select {
	case s := <-done:
		t.Fatalf("Send returned before its writes were stored: %+v, %v", s.run, s.err)
	default:
	}
	if n := instanceNotices(notices); len(n) > 0 {
		t.Fatalf("notices before the run was stored: %v", n)
	}
	if _, err := eng.Subscribe(ctx, asked.ID, 0); !errors.Is(err, engine.ErrRunNotFound) {
		t.Fatalf("subscribe before the run was stored: %v, want ErrRunNotFound", err)
	}

	g.proceed <- nil
	s := <-done
	if s.err != nil || s.run.ID != asked.ID {
		t.Fatalf("Send: %+v, %v; want run %s", s.run, s.err, asked.ID)
	}
	evs, run := f.wait(t, s.run.ID)
	if evs[0].Type != events.TypeRunStarted {
		t.Fatalf("log starts with %v, want run_started first", types(evs))
	}
	if got := joinDeltas(evs, events.TypeAssistantToken); got != "Held until stored." || run.Status != model.RunCompleted {
		t.Fatalf("run %s sent %q; want completed with the whole answer", run.Status, got)
	}
	msgs := f.runMessages(t, inst, run.ID)
	if msgs[model.RoleUser].Content != "Hello" || msgs[model.RoleAssistant].Content != "Held until stored." ||
		msgs[model.RoleAssistant].Status != model.MessageComplete {
		t.Fatalf("stored messages: %+v", msgs)
	}
	if n := only("updated", instanceNotices(notices)); len(n) != 2 {
		t.Errorf("notices of the run: %v, want its start and end", n)
	}
}

// A run whose writes never get stored (the database failed, or the server
// died before the commit) leaves nothing: Send fails, no notice went out,
// the upstream call is cancelled, and the database holds neither the
// message nor a run — which no client could have known of.
func TestEarlyStartWhoseWritesFailLeavesNothing(t *testing.T) {
	t.Parallel()
	f, g, eng, notices, streamed := earlyEngine(t, "Never shown.", true)
	ctx := t.Context()
	inst := f.newInstance(t, f.unguarded)
	done := make(chan sent, 1)
	go func() {
		r, err := eng.Send(ctx, inst, "Hello")
		done <- sent{r, err}
	}()
	asked := <-g.asked
	<-streamed
	lost := errors.New("disk gone")
	g.proceed <- lost
	s := <-done
	if !errors.Is(s.err, lost) {
		t.Fatalf("Send: %+v, %v; want the store's error", s.run, s.err)
	}
	if n := instanceNotices(notices); len(n) > 0 {
		t.Errorf("notices of a run never stored: %v", n)
	}
	if _, err := eng.Subscribe(ctx, asked.ID, 0); !errors.Is(err, engine.ErrRunNotFound) {
		t.Errorf("subscribe to a run never stored: %v, want ErrRunNotFound", err)
	}
	if msgs := f.messages(t, inst); len(msgs) != 0 {
		t.Errorf("stored messages of a run never stored: %+v", msgs)
	}
	p := f.prov
	p.mu.Lock()
	errs := append([]error(nil), p.ctxErrs...)
	p.mu.Unlock()
	if len(errs) != 1 || errs[0] == nil {
		t.Errorf("upstream calls ended with %v, want one, cancelled", errs)
	}
	// The instance is free again: the next message runs.
	go func() {
		r, err := eng.Send(ctx, inst, "Again")
		done <- sent{r, err}
	}()
	<-g.asked
	g.proceed <- nil
	if s := <-done; s.err != nil {
		t.Fatalf("Send after a failed start: %v", s.err)
	}
}
