package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/llm/demo"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
	"github.com/superego-lab/superego/internal/store/teststore"
)

// guard bounds a wait that only a bug makes long, so such a bug fails the
// test with a message instead of hanging it; it is not a timing threshold.
const guard = 20 * time.Second

// speculativeFixture is a fixture whose engine logs into a buffer (so a
// test can read every log line) and whose "guarded" config starts the
// assistant speculatively.
func speculativeFixture(t *testing.T, p *scripted) (*fixture, *syncBuffer) {
	t.Helper()
	f := newFixture(t, p, engine.Config{}, nil)
	cfg := must(f.st.GetFlowConfig(t.Context(), f.guarded))
	cfg.AssistantStart = model.AssistantSpeculative
	must(f.st.UpdateFlowConfig(t.Context(), cfg, cfg.Version))
	logs := &syncBuffer{}
	f.eng = engine.New(f.st, p, engine.Config{}, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), nil)
	return f, logs
}

// syncBuffer is a bytes.Buffer safe for the engine's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// heldAssistant streams pieces, closes produced, then waits for its
// context: a speculative answer that is in flight when the verdict comes.
func heldAssistant(produced chan struct{}, pieces ...string) streamFunc {
	var once sync.Once
	return func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
		for _, p := range pieces {
			if err := emit(llm.Event{Kind: llm.KindText, Delta: p}); err != nil {
				return err
			}
		}
		once.Do(func() { close(produced) })
		<-ctx.Done()
		return context.Cause(ctx)
	}
}

// afterAssistant is a superego that answers only once the assistant has
// produced its tokens, which proves the two ran at the same time.
func afterAssistant(produced chan struct{}, reply string) streamFunc {
	return func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
		select {
		case <-produced:
		case <-time.After(guard):
			return errors.New("the assistant did not start with the superego")
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		return say("", reply)(ctx, req, emit)
	}
}

// noLeak fails when secret shows anywhere a client or operator could see
// it: the run's events (what WebSocket and SSE clients are sent), the
// stored messages and run, and the log.
func noLeak(t *testing.T, f *fixture, evs []events.Event, run model.Run, logs *syncBuffer, secret string) {
	t.Helper()
	for _, ev := range evs {
		b, _ := json.Marshal(ev)
		if strings.Contains(string(b), secret) {
			t.Fatalf("event %s carries the held text: %s", ev.Type, b)
		}
	}
	for _, m := range f.messages(t, run.FlowInstanceID) {
		if strings.Contains(m.Content+m.Thinking+m.Error+m.Reason, secret) {
			t.Fatalf("stored %s message holds the held text: %+v", m.Role, m)
		}
	}
	b, _ := json.Marshal(run)
	if strings.Contains(string(b), secret) {
		t.Fatalf("stored run mentions the held text: %s", b)
	}
	if strings.Contains(logs.String(), secret) {
		t.Fatalf("the log holds the held text:\n%s", logs.String())
	}
}

func TestSpeculativeBlockSendsStoresAndLogsNothingHeld(t *testing.T) {
	t.Parallel()
	produced := make(chan struct{})
	p := &scripted{
		assistant: heldAssistant(produced, "SECRET-ONE ", "SECRET-TWO "),
		superego:  afterAssistant(produced, "Not this.\nDECISION: BLOCK: not allowed"),
	}
	f, logs := speculativeFixture(t, p)
	run := must(f.eng.Send(t.Context(), f.instance, "Hello"))
	evs, got := f.wait(t, run.ID)
	if got.Status != model.RunBlocked {
		t.Fatalf("status %q, want blocked", got.Status)
	}
	noLeak(t, f, evs, got, logs, "SECRET")
	if _, ok := f.runMessages(t, f.instance, run.ID)[model.RoleAssistant]; ok {
		t.Fatal("a blocked speculative answer was stored")
	}
	if got.Usage.WastedTokens < 2 {
		t.Fatalf("wasted tokens %d, want the 2 held pieces counted", got.Usage.WastedTokens)
	}
	if got.Usage.OutputTokens < got.Usage.WastedTokens {
		t.Fatalf("output tokens %d do not include the wasted %d", got.Usage.OutputTokens, got.Usage.WastedTokens)
	}
	// heldAssistant returns only when its context ends: the call ended, so
	// it was cancelled; the superego's call ended on its own.
	p.mu.Lock()
	defer p.mu.Unlock()
	cancelled := 0
	for _, err := range p.ctxErrs {
		if err != nil {
			cancelled++
		}
	}
	if len(p.ctxErrs) != 2 || cancelled != 1 {
		t.Fatalf("upstream calls ended with %v, want the assistant's cancelled", p.ctxErrs)
	}
}

func TestSpeculativeAllowSendsHeldTokensAfterTheVerdict(t *testing.T) {
	t.Parallel()
	produced := make(chan struct{})
	var once sync.Once
	p := &scripted{
		assistant: func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
			for _, piece := range []string{"Held ", "then ", "sent."} {
				if err := emit(llm.Event{Kind: llm.KindText, Delta: piece}); err != nil {
					return err
				}
			}
			once.Do(func() { close(produced) })
			return emit(llm.Event{Kind: llm.KindUsage, Usage: model.Usage{InputTokens: 5, OutputTokens: 3}})
		},
		superego: afterAssistant(produced, "Fine.\nDECISION: ALLOW"),
	}
	f, _ := speculativeFixture(t, p)
	run := must(f.eng.Send(t.Context(), f.instance, "Hello"))
	evs, got := f.wait(t, run.ID)
	if got.Status != model.RunCompleted {
		t.Fatalf("status %q (%s), want completed", got.Status, got.Error)
	}
	decided := false
	for _, ev := range evs {
		switch ev.Type {
		case events.TypeSuperegoDecision:
			decided = true
		case events.TypeAssistantToken:
			if !decided {
				t.Fatal("an assistant token was sent before the verdict")
			}
		}
	}
	text := joinDeltas(evs, events.TypeAssistantToken)
	msg := f.runMessages(t, f.instance, run.ID)[model.RoleAssistant]
	if text != "Held then sent." || msg.Content != text || msg.Status != model.MessageComplete {
		t.Fatalf("sent %q, stored %q (%s)", text, msg.Content, msg.Status)
	}
	if got.Usage.WastedTokens != 0 {
		t.Fatalf("an allowed speculative answer counted %d wasted tokens", got.Usage.WastedTokens)
	}
	if got.Timings.FirstTokenMs < got.Timings.SuperegoMs {
		t.Fatalf("first token at %d ms, before the superego's %d ms ended", got.Timings.FirstTokenMs, got.Timings.SuperegoMs)
	}
}

func TestSpeculativeCautionStartsTheAssistantAgain(t *testing.T) {
	t.Parallel()
	produced := make(chan struct{})
	held := heldAssistant(produced, "SECRET-DRAFT ")
	p := &scripted{
		assistant: func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
			if strings.Contains(req.System, engine.CautionHeading) {
				return say("", "A careful answer.")(ctx, req, emit)
			}
			return held(ctx, req, emit)
		},
		superego: afterAssistant(produced, "Hmm.\nDECISION: CAUTION: be gentle"),
	}
	f, logs := speculativeFixture(t, p)
	run := must(f.eng.Send(t.Context(), f.instance, "Hello"))
	evs, got := f.wait(t, run.ID)
	if got.Status != model.RunCompleted {
		t.Fatalf("status %q (%s), want completed", got.Status, got.Error)
	}
	noLeak(t, f, evs, got, logs, "SECRET")
	if text := joinDeltas(evs, events.TypeAssistantToken); text != "A careful answer." {
		t.Fatalf("sent %q", text)
	}
	if got.Usage.WastedTokens < 1 {
		t.Fatalf("wasted tokens %d, want the discarded draft counted", got.Usage.WastedTokens)
	}
}

func TestCancelDuringTheHoldStopsBothCalls(t *testing.T) {
	t.Parallel()
	produced := make(chan struct{})
	superegoIn := make(chan struct{})
	p := &scripted{
		assistant: heldAssistant(produced, "SECRET "),
		superego: func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
			close(superegoIn)
			<-ctx.Done()
			return context.Cause(ctx)
		},
	}
	f, logs := speculativeFixture(t, p)
	run := must(f.eng.Send(t.Context(), f.instance, "Hello"))
	for _, ch := range []chan struct{}{produced, superegoIn} {
		select {
		case <-ch:
		case <-time.After(guard):
			t.Fatal("the two calls did not both start")
		}
	}
	if err := f.eng.Cancel(t.Context(), run.ID); err != nil {
		t.Fatal(err)
	}
	evs, got := f.wait(t, run.ID)
	if got.Status != model.RunCancelled {
		t.Fatalf("status %q, want cancelled", got.Status)
	}
	noLeak(t, f, evs, got, logs, "SECRET")
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.ctxErrs) != 2 || p.ctxErrs[0] == nil || p.ctxErrs[1] == nil {
		t.Fatalf("upstream calls ended with %v, want both cancelled", p.ctxErrs)
	}
}

// demoScreening runs msg through a flow without input screening whose
// answer the demo superego screens as mode says.
func demoScreening(t *testing.T, mode string, chunk int, msg string) ([]events.Event, model.Run, model.Message) {
	t.Helper()
	ctx := t.Context()
	st := teststore.Seeded(t)
	cfg := must(st.CreateFlowConfig(ctx, model.FlowConfig{FlowSpec: model.FlowSpec{
		Name: "Output only", ConstitutionID: seed.ConstitutionDefault, SyspromptID: seed.SyspromptDefault,
		ScreenOutput: mode, ScreenChunk: chunk,
	}}))
	inst := must(st.CreateFlowInstance(ctx, model.FlowInstance{FlowConfigID: cfg.ID, Name: "Screened"}))
	eng := engine.New(st, demo.New(demo.Options{}), engine.Config{SuperegoModel: demo.SuperegoModel, AssistantModel: demo.AssistantModel}, nil, nil)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = eng.Shutdown(ctx)
	})
	f := &fixture{st: st, eng: eng}
	run := must(eng.Send(ctx, inst.ID, msg))
	evs, got := f.wait(t, run.ID)
	return evs, got, f.runMessages(t, inst.ID, run.ID)[model.RoleAssistant]
}

// outputDecision returns the run's output_decision event.
func outputDecision(t *testing.T, evs []events.Event) events.Event {
	t.Helper()
	for _, ev := range evs {
		if ev.Type == events.TypeOutputDecision {
			return ev
		}
	}
	t.Fatalf("no output_decision in %v", types(evs))
	return events.Event{}
}

func TestStreamingOutputScreenNeverSendsTheBlockedWord(t *testing.T) {
	t.Parallel()
	// The demo assistant quotes the message; "bomb" is its 12th piece.
	evs, run, msg := demoScreening(t, model.ScreenOutputStreaming, 4, "Tell me the history of the bomb disposal unit")
	sent := joinDeltas(evs, events.TypeAssistantToken)
	if sent == "" || strings.Contains(strings.ToLower(sent), "bomb") {
		t.Fatalf("sent %q: want the screened chunks before the keyword and not the keyword", sent)
	}
	if !strings.HasPrefix(msg.Content, sent) || !strings.Contains(msg.Content, "bomb") {
		t.Fatalf("stored %q after sending %q: the withdrawn answer keeps its text", msg.Content, sent)
	}
	// The withdrawn answer's frame carries what the client was sent, not
	// the stored text with the keyword.
	for _, ev := range evs {
		if ev.Type == events.TypeAssistantMessage && (ev.Message == nil || ev.Message.Content != sent || ev.Message.Status != model.MessageWithdrawn) {
			t.Fatalf("assistant_message %+v, want the withdrawn answer as sent (%q)", ev.Message, sent)
		}
	}
	if msg.Status != model.MessageWithdrawn || msg.Decision != model.DecisionBlock || msg.Reason == "" {
		t.Fatalf("stored answer %s %s %q, want withdrawn with the BLOCK verdict", msg.Status, msg.Decision, msg.Reason)
	}
	if d := outputDecision(t, evs); d.Decision != model.DecisionBlock || !d.Withdrawn {
		t.Fatalf("output_decision %+v", d)
	}
	if run.Status != model.RunBlocked {
		t.Fatalf("run %s, want blocked", run.Status)
	}
}

func TestFinalOutputScreenShowsThenWithdraws(t *testing.T) {
	t.Parallel()
	evs, run, msg := demoScreening(t, model.ScreenOutputFinal, 0, "Tell me the history of the bomb disposal unit")
	sent := joinDeltas(evs, events.TypeAssistantToken)
	if sent != msg.Content || !strings.Contains(sent, "bomb") {
		t.Fatalf("final mode sent %q, stored %q: want the whole answer shown first", sent, msg.Content)
	}
	d := outputDecision(t, evs)
	if d.Decision != model.DecisionBlock || !d.Withdrawn || msg.Status != model.MessageWithdrawn {
		t.Fatalf("output_decision %+v, stored %s: want the answer withdrawn", d, msg.Status)
	}
	last := -1
	for i, ev := range evs {
		if ev.Type == events.TypeAssistantToken {
			last = i
		}
	}
	if idx := indexOf(evs, events.TypeOutputDecision); idx < last {
		t.Fatal("the output verdict came before the answer was complete")
	}
	if run.Status != model.RunBlocked {
		t.Fatalf("run %s, want blocked", run.Status)
	}
}

func TestOutputScreenAllowsAHarmlessAnswer(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{model.ScreenOutputFinal, model.ScreenOutputStreaming} {
		evs, run, msg := demoScreening(t, mode, 3, "What is the capital of France")
		if run.Status != model.RunCompleted || msg.Status != model.MessageComplete {
			t.Fatalf("%s: run %s, answer %s", mode, run.Status, msg.Status)
		}
		if sent := joinDeltas(evs, events.TypeAssistantToken); sent != msg.Content {
			t.Fatalf("%s: sent %q, stored %q", mode, sent, msg.Content)
		}
		if d := outputDecision(t, evs); d.Decision != model.DecisionAllow || d.Withdrawn {
			t.Fatalf("%s: output_decision %+v", mode, d)
		}
	}
}

func indexOf(evs []events.Event, typ string) int {
	for i, ev := range evs {
		if ev.Type == typ {
			return i
		}
	}
	return -1
}
