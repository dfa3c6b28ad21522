package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store/postgres"
	"github.com/superego-lab/superego/internal/store/postgres/pgtest"
)

// TestReplicaDeathKeepsOneText: a replica dies mid-answer with deltas in
// its memory that it had not stored yet. The text its own client was sent
// (then resumed on the other replica, as a client does), the text the
// other replica replays, and the interrupted answer stored must be one
// and the same. (Before, the client had been sent the unstored deltas
// too, and the stored answer was whichever of the message row and the
// stored deltas was longer.)
func TestReplicaDeathKeepsOneText(t *testing.T) {
	t.Parallel()
	url := pgtest.SchemaURL(t)
	const ttl = time.Second // short, as the test waits it out
	first, rest, release := make(chan struct{}), make(chan struct{}), make(chan struct{})
	answer := func(ctx context.Context, _ llm.Request, emit func(llm.Event) error) error {
		for i, part := range [][]string{{"Once ", "upon ", "a "}, {"time ", "there ", "was "}} {
			for _, d := range part {
				if err := emit(llm.Event{Kind: llm.KindText, Delta: d}); err != nil {
					return err
				}
			}
			if i == 0 {
				close(first)
				select {
				case <-release:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
		close(rest)
		<-ctx.Done()
		return ctx.Err()
	}
	// a stores events only when flushed: the test decides what is stored
	// when a dies.
	a := newReplicaWith(t, url, "replica-a", ttl, &scripted{superego: say("fine", "DECISION: ALLOW"), assistant: answer},
		postgres.BatcherOptions{Interval: time.Hour, MaxBatch: 1 << 20})
	b := newReplica(t, url, "replica-b", ttl, idle())
	inst := seeded(t, a.st)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // safety net only
	defer cancel()

	run := must(a.eng.Send(ctx, inst, "Tell me a story."))
	client := must(a.eng.Subscribe(ctx, run.ID, 0))
	defer client.Close()
	<-first
	if err := a.batcher.Flush(ctx); err != nil { // everything up to "a " is stored
		t.Fatal(err)
	}
	close(release)
	<-rest // three more deltas are in a's memory, not stored

	// What a's client can have by now, and then a dies: nothing it does
	// reaches the database any more.
	seen := available(t, client)
	a.tailer.Close()
	_ = a.st.Close()
	if len(seen) == 0 {
		t.Fatal("a's client was sent nothing")
	}

	// The client reconnects to b and resumes after its last event.
	resumed := readUntil(t, ctx, must(b.eng.Subscribe(ctx, run.ID, seen[len(seen)-1].Seq)), never)
	replay := readUntil(t, ctx, must(b.eng.Subscribe(ctx, run.ID, 0)), never)
	if last := replay[len(replay)-1]; last.Type != events.TypeRunFinished || last.Status != model.RunInterrupted {
		t.Fatalf("replay on b ends with %s %s, want run_finished interrupted", last.Type, last.Status)
	}
	stored := lastMessage(t, b.st, inst)
	clientText := joinDeltas(seen, events.TypeAssistantToken) + joinDeltas(resumed, events.TypeAssistantToken)
	replayText := joinDeltas(replay, events.TypeAssistantToken)
	if stored.Status != model.MessageInterrupted || clientText != replayText || replayText != stored.Content {
		t.Fatalf("client saw %q, b replays %q, stored %q (%s): want one text", clientText, replayText, stored.Content, stored.Status)
	}
	if stored.Content != "Once upon a " {
		t.Fatalf("stored %q, want exactly the deltas stored before the death", stored.Content)
	}
}

// available returns the events sub has now, without waiting for more.
func available(t *testing.T, sub *engine.Subscription) []events.Event {
	t.Helper()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	var all []events.Event
	for {
		evs, err := sub.Next(done)
		if errors.Is(err, context.Canceled) {
			return all
		}
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		all = append(all, evs...)
	}
}
