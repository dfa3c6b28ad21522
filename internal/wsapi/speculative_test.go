package wsapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
	"github.com/superego-lab/superego/internal/store"
)

// blockAfterDraft is a provider whose assistant writes a secret draft and
// then waits to be cancelled, and whose superego blocks the message only
// once that draft exists: a speculative answer held when the verdict comes.
type blockAfterDraft struct{ drafted *gate }

func (p blockAfterDraft) Name() string { return "block-after-draft" }

func (p blockAfterDraft) Stream(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
	if req.Purpose == llm.PurposeSuperego {
		select {
		case <-p.drafted.ch:
		case <-time.After(20 * time.Second):
			return errors.New("the assistant did not start with the superego")
		case <-ctx.Done():
			return ctx.Err()
		}
		return emit(llm.Event{Kind: llm.KindText, Delta: "No.\nDECISION: BLOCK: not here"})
	}
	for _, piece := range []string{"SECRET-DRAFT ", "more SECRET "} {
		if err := emit(llm.Event{Kind: llm.KindText, Delta: piece}); err != nil {
			return err
		}
	}
	p.drafted.open()
	<-ctx.Done()
	return ctx.Err()
}

// TestSpeculativeBlockReachesNoClient: with a speculative start and a
// BLOCK, not one held token reaches a WebSocket client or the SSE stream
// of the run, and nothing of it is stored.
func TestSpeculativeBlockReachesNoClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{prov: blockAfterDraft{drafted: newGate()}, mux: withRuns})
	cfg := must(e.st.GetFlowConfig(t.Context(), seed.FlowStandard))
	cfg.AssistantStart = model.AssistantSpeculative
	must(e.st.UpdateFlowConfig(t.Context(), cfg, cfg.Version))

	c := e.dial()
	c.send(sendMessage("s", e.instance, "Hello"))
	runID := c.expect(events.TypeAccepted).RunIDs[0]
	runs, _, _ := c.collect(runID)
	seen := runs[runID]
	checkRun(t, seen, 0)
	if last := seen[len(seen)-1]; last.Type != events.TypeRunFinished || last.Status != model.RunBlocked {
		t.Fatalf("run ended with %s %s, want blocked", last.Type, last.Status)
	}
	for _, s := range readSSE(t, get(t, e.srv.URL+"/api/runs/"+runID+"/events", nil).Body) {
		seen = append(seen, s.data)
	}
	for _, ev := range seen {
		if ev.Type == events.TypeAssistantToken || ev.Type == events.TypeAssistantMessage {
			t.Fatalf("a blocked run sent %s", ev.Type)
		}
		b, _ := json.Marshal(ev)
		if strings.Contains(string(b), "SECRET") {
			t.Fatalf("a client received the held draft: %s", b)
		}
	}
	msgs, _, err := e.st.ListMessages(t.Context(), e.instance, store.Page{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if strings.Contains(m.Content, "SECRET") {
			t.Fatalf("the held draft was stored: %+v", m)
		}
	}
}
