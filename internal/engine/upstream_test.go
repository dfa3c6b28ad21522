package engine_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm/llmtest"
	"github.com/superego-lab/superego/internal/llm/openai"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/sqlite"
)

// upstreamEngine is an engine on a seeded store talking to a fake
// OpenAI-compatible upstream through the real openai provider.
func upstreamEngine(t testing.TB, replies ...llmtest.Reply) (*engine.Engine, *llmtest.Upstream, *sqlite.Store) {
	t.Helper()
	ctx := context.Background()
	up := llmtest.New(t, replies...)
	prov, err := openai.New(openai.Options{BaseURL: up.URL + "/v1"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "up.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := seed.Apply(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	eng := engine.New(st, prov, engine.Config{SuperegoModel: "gpt-4.1-mini", AssistantModel: "gpt-4.1-mini"}, nil, nil)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = eng.Shutdown(ctx)
	})
	return eng, up, st
}

// noSuperegoInstance returns a new instance on the seeded flow without a
// superego, so the upstream is only asked for the answer.
func noSuperegoInstance(t testing.TB, st store.Store) string {
	return instanceOn(t, st, seed.FlowNoSuperego)
}

// instanceOn returns a new instance on a flow config.
func instanceOn(t testing.TB, st store.Store, configID string) string {
	t.Helper()
	inst, err := st.CreateFlowInstance(context.Background(), model.FlowInstance{FlowConfigID: configID, Name: "bench"})
	if err != nil {
		t.Fatal(err)
	}
	return inst.ID
}

func TestUpstreamAnswerThroughTheEngine(t *testing.T) {
	t.Parallel()
	eng, up, st := upstreamEngine(t, llmtest.Reply{Body: llmtest.Fixture(t, "openai_stream.sse")})
	inst := noSuperegoInstance(t, st)
	run := must(eng.Send(t.Context(), inst, "What is the capital of France?"))
	f := &fixture{st: st, eng: eng}
	evs, got := f.wait(t, run.ID)
	asst := f.runMessages(t, inst, run.ID)[model.RoleAssistant]
	if got.Status != model.RunCompleted || asst.Content != "The capital of France is Paris." {
		t.Fatalf("run %+v, answer %q", got, asst.Content)
	}
	if d := joinDeltas(evs, events.TypeAssistantToken); d != asst.Content {
		t.Errorf("deltas %q != stored %q", d, asst.Content)
	}
	if asst.Usage != (model.Usage{InputTokens: 24, OutputTokens: 7}) || got.Usage != asst.Usage {
		t.Errorf("usage: message %+v, run %+v", asst.Usage, got.Usage)
	}
	body := up.Request(0).Body
	if body["model"] != "gpt-4.1-mini" {
		t.Errorf("upstream asked for model %v", body["model"])
	}
}

// TestCancelClosesTheUpstreamConnection: cancelling a run mid-answer must
// reach the fake upstream as a closed connection, not just stop reading.
func TestCancelClosesTheUpstreamConnection(t *testing.T) {
	t.Parallel()
	eng, up, st := upstreamEngine(t, llmtest.Reply{Body: llmtest.Fixture(t, "openai_partial.sse"), Hang: true})
	inst := noSuperegoInstance(t, st)
	run := must(eng.Send(t.Context(), inst, "What is the capital of France?"))
	sub := must(eng.Subscribe(t.Context(), run.ID, 0))
	defer sub.Close()
	var text string
	for text != "The capital" {
		evs, err := sub.Next(t.Context())
		if err != nil {
			t.Fatalf("stream ended before the partial answer: %v (text %q)", err, text)
		}
		text += joinDeltas(evs, events.TypeAssistantToken)
	}
	if err := eng.Cancel(t.Context(), run.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case <-up.ClientGone:
	case <-t.Context().Done():
		t.Fatal("the upstream never saw its client go away")
	}
	for {
		if _, err := sub.Next(t.Context()); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	got := must(eng.Run(t.Context(), run.ID))
	f := &fixture{st: st, eng: eng}
	asst := f.runMessages(t, inst, run.ID)[model.RoleAssistant]
	if got.Status != model.RunCancelled || asst.Content != "The capital" || asst.Status != model.MessageCancelled {
		t.Errorf("run %+v, answer %+v", got, asst)
	}
}
