package engine

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/sqlite"
)

// stalled streams its deltas, then signals and waits for cancellation,
// like an upstream in the middle of a long answer.
type stalled struct {
	deltas []string
	ready  chan struct{}
}

func (s *stalled) Name() string { return "stalled" }

func (s *stalled) Stream(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
	for _, d := range s.deltas {
		if err := emit(llm.Event{Kind: llm.KindText, Delta: d}); err != nil {
			return err
		}
	}
	close(s.ready)
	<-ctx.Done()
	return ctx.Err()
}

// TestPartialTextIsStoredWhileStreaming checks the batched writes: with a
// clock that moves 50ms per reading, the answer must reach the store
// while the upstream is still streaming — what a crash would leave — but
// not once per token.
func TestPartialTextIsStoredWhileStreaming(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := seed.Apply(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	deltas := strings.Fields(strings.Repeat("word ", 30))
	for i := range deltas {
		deltas[i] += " "
	}
	prov := &stalled{deltas: deltas, ready: make(chan struct{})}
	cs := &countingStore{Store: st, wrote: make(chan struct{})}
	e := New(cs, prov, Config{}, nil, nil)
	c := &clock{t: time.Unix(0, 0)}
	e.now = func() time.Time { c.add(50 * time.Millisecond); return c.now() }
	t.Cleanup(func() { _ = e.Shutdown(context.Background()) })

	inst, err := st.CreateFlowInstance(ctx, model.FlowInstance{FlowConfigID: seed.FlowNoSuperego, Name: "partial"})
	if err != nil {
		t.Fatal(err)
	}
	run, err := e.Send(ctx, inst.ID, "hello")
	if err != nil {
		t.Fatal(err)
	}
	<-prov.ready
	// The call starts before the run is stored and what it streams before
	// then is held: the first partial write may come only when the run
	// releases it. The upstream is still streaming (stalled) either way.
	<-cs.wrote
	msgs, _, err := st.ListMessages(ctx, inst.ID, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	answer := msgs[len(msgs)-1]
	full := strings.Join(deltas, "")
	if answer.Role != model.RoleAssistant || answer.Status != model.MessageStreaming ||
		answer.Content == "" || !strings.HasPrefix(full, answer.Content) {
		t.Fatalf("no partial answer stored while streaming: %+v", answer)
	}
	if n := cs.updates.Load(); n == 0 || n > int64(len(deltas)/2) {
		t.Errorf("%d partial writes for %d deltas: not batched", n, len(deltas))
	}
	if err := e.Cancel(t.Context(), run.ID); err != nil {
		t.Fatal(err)
	}
}

// countingStore is the real store, counting message updates.
type countingStore struct {
	store.Store
	updates atomic.Int64
	wrote   chan struct{} // closed after the first update is stored
	once    sync.Once
}

func (s *countingStore) UpdateMessage(ctx context.Context, m model.Message) (model.Message, error) {
	s.updates.Add(1)
	out, err := s.Store.UpdateMessage(ctx, m)
	if err == nil {
		s.once.Do(func() { close(s.wrote) })
	}
	return out, err
}
