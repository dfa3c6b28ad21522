package engine_test

import (
	"context"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// historyReads is the real store, counting its reads of a history.
type historyReads struct {
	store.Store
	n atomic.Int64
}

func (s *historyReads) RecentHistory(ctx context.Context, instanceID string, before, limit int) ([]model.Message, error) {
	s.n.Add(1)
	return s.Store.RecentHistory(ctx, instanceID, before, limit)
}

// historyReadsEnder is historyReads with the store's RunEnder, which the
// embedded store.Store interface would hide.
type historyReadsEnder struct {
	*historyReads
	store.RunEnder
}

// assistantHistories is what each answered assistant request carried, in
// order: role and text of every message.
func assistantHistories(p *scripted) [][]string {
	var out [][]string
	for _, req := range answered(p.requests(llm.PurposeAssistant)) {
		var h []string
		for _, m := range req.Messages {
			h = append(h, m.Role+": "+m.Content)
		}
		out = append(out, h)
	}
	return out
}

// historyFixture is a fixture on a conversation without the superego (its
// runs start early) whose engine counts its history reads, with the
// history cache on (cache > 0) or off.
func historyFixture(t *testing.T, cache int) (*fixture, *historyReads, string) {
	t.Helper()
	p := &scripted{assistant: func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
		// Each answer names the question it answers, so histories differ.
		last := req.Messages[len(req.Messages)-1].Content
		return say("", "Answer to "+last)(ctx, req, emit)
	}}
	f := newFixture(t, p, engine.Config{}, nil)
	reads := &historyReads{Store: f.st}
	e, ok := f.st.(store.RunEnder)
	if !ok {
		t.Fatal("the store does not store an answer with its run's end (store.RunEnder), which keeping a history whole needs")
	}
	f.onStore(t, historyReadsEnder{reads, e}, engine.Config{HistoryCache: cache})
	return f, reads, f.newInstance(t, f.unguarded)
}

// A run's answer, once stored with its run's end, is kept with the rest of
// the conversation's history: the next message's history needs no read,
// and every request carries exactly what it carries with no cache at all.
func TestNextRunsHistoryNeedsNoRead(t *testing.T) {
	t.Parallel()
	questions := []string{"One?", "Two?", "Three?", "Four?"}
	var want [][]string
	for _, cache := range []int{-1, 8} {
		f, reads, inst := historyFixture(t, cache)
		for i, q := range questions {
			before := reads.n.Load()
			if _, run := f.send(t, inst, q); run.Status != model.RunCompleted {
				t.Fatalf("cache %d, run %d: %s %s", cache, i, run.Status, run.Error)
			}
			if n := reads.n.Load() - before; cache > 0 && i > 0 && n != 0 {
				t.Errorf("run %d read the history %d times, want none", i, n)
			}
		}
		got := assistantHistories(f.prov)
		if len(got) != len(questions) {
			t.Fatalf("cache %d: %d assistant requests, want %d", cache, len(got), len(questions))
		}
		if last := got[len(got)-1]; len(last) != 2*len(questions)-1 {
			t.Fatalf("cache %d: last history %q, want every earlier question and answer", cache, last)
		}
		if want == nil {
			want = got
		} else if !reflect.DeepEqual(got, want) {
			t.Errorf("histories with the cache:\n%q\nwithout:\n%q", got, want)
		}
	}
}

// A message added to the conversation other than by a run of this engine
// (here, straight into the store) between two runs is in the second run's
// history: its start finds the conversation's count changed, stores
// nothing and starts again from a read.
func TestMessageAddedBehindTheEngineIsInTheNextHistory(t *testing.T) {
	t.Parallel()
	f, _, inst := historyFixture(t, 8)
	ctx := t.Context()
	if _, run := f.send(t, inst, "One?"); run.Status != model.RunCompleted {
		t.Fatalf("first run: %s %s", run.Status, run.Error)
	}
	if _, err := f.st.AppendMessage(ctx, model.Message{FlowInstanceID: inst, Role: model.RoleAssistant,
		Content: "A note added elsewhere.", Status: model.MessageComplete}); err != nil {
		t.Fatal(err)
	}
	if _, run := f.send(t, inst, "Two?"); run.Status != model.RunCompleted {
		t.Fatalf("second run: %s %s", run.Status, run.Error)
	}
	hs := assistantHistories(f.prov)
	if last := hs[len(hs)-1]; !slices.Contains(last, "assistant: A note added elsewhere.") || last[len(last)-1] != "user: Two?" {
		t.Errorf("second run's history %q, want the note and then the question", last)
	}
	msgs, _, err := f.st.ListMessages(ctx, inst, store.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, m := range msgs {
		roles = append(roles, m.Role+" "+m.Status)
	}
	want := []string{"user complete", "assistant complete", "assistant complete", "user complete", "assistant complete"}
	if !reflect.DeepEqual(roles, want) {
		t.Errorf("conversation %q, want %q (nothing of the start that found it changed)", roles, want)
	}
}

// A conversation the REST API just created (Engine.Remember) is known to be
// empty: its first run started early reads no history, and a message added
// before it is still in that run's history.
func TestRememberedConversationsFirstHistoryNeedsNoRead(t *testing.T) {
	t.Parallel()
	f, reads, _ := historyFixture(t, 8)
	ctx := t.Context()
	for _, noted := range []bool{false, true} {
		inst := must(f.st.CreateFlowInstance(ctx, model.FlowInstance{FlowConfigID: f.unguarded, Name: "New"}))
		f.eng.Remember(inst)
		if noted {
			if _, err := f.st.AppendMessage(ctx, model.Message{FlowInstanceID: inst.ID, Role: model.RoleUser,
				Content: "A question asked elsewhere.", Status: model.MessageComplete}); err != nil {
				t.Fatal(err)
			}
		}
		before := reads.n.Load()
		if _, run := f.send(t, inst.ID, "First?"); run.Status != model.RunCompleted {
			t.Fatalf("first run: %s %s", run.Status, run.Error)
		}
		hs := assistantHistories(f.prov)
		last := hs[len(hs)-1]
		switch n := reads.n.Load() - before; {
		case !noted && (n != 0 || len(last) != 1):
			t.Errorf("first run of an empty conversation: %d history reads, history %q; want none and the question alone", n, last)
		case noted && !slices.Contains(last, "user: A question asked elsewhere."):
			t.Errorf("first run after a message added behind the engine: history %q, want that message", last)
		}
	}
}
