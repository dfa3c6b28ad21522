package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
)

func TestAllowStoresEverythingAndStreamsInOrder(t *testing.T) {
	t.Parallel()
	p := &scripted{
		superego:  say("Checking honesty.\nNothing wrong.", "The request is harmless.\n**DECISION: ALLOW**"),
		assistant: say("", "Paris is the capital of France."),
	}
	f := newFixture(t, p, engine.Config{SuperegoModel: "judge-1", AssistantModel: "talker-1"}, nil)
	run, err := f.eng.Send(t.Context(), f.instance, "What is the capital of France?")
	if err != nil {
		t.Fatal(err)
	}
	if run.ID == "" || run.Status != model.RunRunning || run.UserMessageID == "" {
		t.Fatalf("returned run = %+v", run)
	}
	evs, got := f.wait(t, run.ID)

	want := []string{"run_started", "superego_started", "superego_thinking*", "superego_token*", "superego_decision",
		"assistant_token*", "assistant_message", "run_finished"}
	if !slices.Equal(types(evs), want) {
		t.Fatalf("event types = %v, want %v", types(evs), want)
	}
	if got.Status != model.RunCompleted || got.Decision != model.DecisionAllow || got.Error != "" {
		t.Fatalf("run = %+v", got)
	}
	if got.Usage.InputTokens != 20 || got.Usage.OutputTokens == 0 || got.FinishedAt == nil {
		t.Errorf("run usage/finish = %+v %v", got.Usage, got.FinishedAt)
	}

	msgs := f.runMessages(t, f.instance, run.ID)
	user, sup, asst := msgs[model.RoleUser], msgs[model.RoleSuperego], msgs[model.RoleAssistant]
	if user.Content != "What is the capital of France?" || user.ID != run.UserMessageID {
		t.Errorf("user message = %+v", user)
	}
	if user.Position >= sup.Position || sup.Position >= asst.Position {
		t.Errorf("positions user %d superego %d assistant %d", user.Position, sup.Position, asst.Position)
	}
	if sup.Decision != model.DecisionAllow || sup.Thinking != "Checking honesty.\nNothing wrong." ||
		sup.Content != "The request is harmless.\n**DECISION: ALLOW**" || sup.Status != model.MessageComplete {
		t.Errorf("superego message = %+v", sup)
	}
	if sup.ConstitutionID != f.constitution || sup.ConstitutionVersion != 2 || sup.Model != "judge-1" || sup.Usage.InputTokens != 10 {
		t.Errorf("superego message provenance = %q v%d model %q usage %+v", sup.ConstitutionID, sup.ConstitutionVersion, sup.Model, sup.Usage)
	}
	if asst.Content != "Paris is the capital of France." || asst.Status != model.MessageComplete ||
		asst.Model != "talker-1" || asst.SyspromptID != f.sysprompt || asst.Usage.OutputTokens == 0 {
		t.Errorf("assistant message = %+v", asst)
	}
	if got := joinDeltas(evs, events.TypeAssistantToken); got != asst.Content {
		t.Errorf("assistant deltas %q != stored %q", got, asst.Content)
	}
	if got := joinDeltas(evs, events.TypeSuperegoThinking); got != sup.Thinking {
		t.Errorf("thinking deltas %q != stored %q", got, sup.Thinking)
	}

	// What the models were told.
	sreq := p.requests(llm.PurposeSuperego)
	if len(sreq) != 1 {
		t.Fatalf("superego calls = %d", len(sreq))
	}
	if !strings.Contains(sreq[0].System, engine.ConstitutionHeading+"\n\n"+strings.TrimSpace(constitutionText)) ||
		!strings.Contains(sreq[0].System, "## Kindness") || sreq[0].Model != "judge-1" || !sreq[0].Reasoning {
		t.Errorf("superego request = %+v", sreq[0])
	}
	if n := len(sreq[0].Messages); n != 1 || sreq[0].Messages[0].Content != "What is the capital of France?" {
		t.Errorf("superego messages = %+v", sreq[0].Messages)
	}
	areq := p.requests(llm.PurposeAssistant)
	if len(areq) != 1 || areq[0].System != syspromptText || areq[0].Model != "talker-1" {
		t.Fatalf("assistant request = %+v", areq)
	}

	// Events carry the stored messages and the started details.
	for _, e := range evs {
		switch e.Type {
		case events.TypeRunStarted:
			if e.UserMessage == nil || e.UserMessage.ID != user.ID {
				t.Errorf("run_started = %+v", e)
			}
		case events.TypeSuperegoStarted:
			if e.ConstitutionID != f.constitution || e.ConstitutionVersion != 2 || e.Model != "judge-1" {
				t.Errorf("superego_started = %+v", e)
			}
		case events.TypeSuperegoDecision:
			if e.Decision != model.DecisionAllow || e.Message == nil || e.Message.ID != sup.ID {
				t.Errorf("superego_decision = %+v", e)
			}
		case events.TypeAssistantMessage:
			if e.Message == nil || e.Message.Content != asst.Content || e.Message.Status != model.MessageComplete {
				t.Errorf("assistant_message = %+v", e.Message)
			}
		case events.TypeRunFinished:
			if e.Status != model.RunCompleted || e.Usage == nil || e.Timings == nil || *e.Usage != got.Usage {
				t.Errorf("run_finished = %+v", e)
			}
		}
	}
}

func TestCautionReachesTheAssistant(t *testing.T) {
	t.Parallel()
	p := &scripted{
		superego:  say("", "Medical topic.\nDECISION: CAUTION: do not give exact doses"),
		assistant: say("", "Please ask a doctor."),
	}
	f := newFixture(t, p, engine.Config{}, nil)
	run := must(f.eng.Send(t.Context(), f.instance, "How much should I take?"))
	evs, got := f.wait(t, run.ID)
	if got.Status != model.RunCompleted || got.Decision != model.DecisionCaution {
		t.Fatalf("run = %+v", got)
	}
	areq := p.requests(llm.PurposeAssistant)
	if len(areq) != 1 {
		t.Fatalf("assistant calls = %d", len(areq))
	}
	sys := areq[0].System
	if !strings.HasPrefix(sys, syspromptText) || !strings.Contains(sys, "do not give exact doses") {
		t.Errorf("assistant system prompt lacks the caution:\n%s", sys)
	}
	var dec events.Event
	for _, e := range evs {
		if e.Type == events.TypeSuperegoDecision {
			dec = e
		}
	}
	if dec.Decision != model.DecisionCaution || dec.Reason != "do not give exact doses" || dec.Message.Reason != dec.Reason {
		t.Errorf("decision event = %+v", dec)
	}
}

func TestBlockSkipsTheAssistant(t *testing.T) {
	t.Parallel()
	p := &scripted{
		superego:  say("This asks for harm.", "I cannot allow this.\nDECISION: BLOCK: asks for instructions to hurt someone"),
		assistant: say("", "should never be said"),
	}
	f := newFixture(t, p, engine.Config{}, nil)
	run := must(f.eng.Send(t.Context(), f.instance, "Tell me how to hurt someone"))
	evs, got := f.wait(t, run.ID)
	if got.Status != model.RunBlocked || got.Decision != model.DecisionBlock {
		t.Fatalf("run = %+v", got)
	}
	if n := len(p.requests(llm.PurposeAssistant)); n != 0 {
		t.Fatalf("assistant was called %d times", n)
	}
	msgs := f.runMessages(t, f.instance, run.ID)
	if _, ok := msgs[model.RoleAssistant]; ok {
		t.Error("a blocked run stored an assistant message")
	}
	if s := msgs[model.RoleSuperego]; s.Reason != "asks for instructions to hurt someone" || s.Decision != model.DecisionBlock {
		t.Errorf("superego message = %+v", s)
	}
	want := []string{"run_started", "superego_started", "superego_thinking*", "superego_token*", "superego_decision", "run_finished"}
	if !slices.Equal(types(evs), want) {
		t.Errorf("event types = %v", types(evs))
	}
}

func TestSuperegoErrorFollowsPolicy(t *testing.T) {
	t.Parallel()
	noDecision := say("", "I would rather block this, but I will not say so properly.")
	upstreamDown := func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
		return errors.New("upstream 503: overloaded")
	}
	for _, tc := range []struct {
		name       string
		superego   streamFunc
		lenient    bool
		wantStatus string
		wantCalled int
		wantMsg    string // superego message status
	}{
		{"no decision, fail closed", noDecision, false, model.RunBlocked, 0, model.MessageComplete},
		{"no decision, allow", noDecision, true, model.RunCompleted, 1, model.MessageComplete},
		{"upstream failure, fail closed", upstreamDown, false, model.RunBlocked, 0, model.MessageFailed},
		{"upstream failure, allow", upstreamDown, true, model.RunCompleted, 1, model.MessageFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &scripted{superego: tc.superego, assistant: say("", "An answer.")}
			f := newFixture(t, p, engine.Config{}, nil)
			inst := f.instance
			if tc.lenient {
				inst = f.newInstance(t, f.lenient)
			}
			run := must(f.eng.Send(t.Context(), inst, "Hello"))
			_, got := f.wait(t, run.ID)
			if got.Status != tc.wantStatus || got.Decision != model.DecisionError {
				t.Fatalf("run = %+v", got)
			}
			if tc.wantStatus == model.RunBlocked && !strings.Contains(got.Error, "superego") {
				t.Errorf("blocked run error %q does not say why", got.Error)
			}
			if n := len(p.requests(llm.PurposeAssistant)); n != tc.wantCalled {
				t.Errorf("assistant calls = %d, want %d", n, tc.wantCalled)
			}
			sup := f.runMessages(t, inst, run.ID)[model.RoleSuperego]
			if sup.Decision != model.DecisionError || sup.Reason == "" || sup.Status != tc.wantMsg {
				t.Errorf("superego message = %+v", sup)
			}
		})
	}
}

func TestSuperegoDisabledAndOverrides(t *testing.T) {
	t.Parallel()
	p := &scripted{superego: say("", "DECISION: BLOCK: never"), assistant: say("", "Straight answer.")}
	f := newFixture(t, p, engine.Config{}, nil)
	inst := f.newInstance(t, f.unguarded)
	run := must(f.eng.Send(t.Context(), inst, "Anything"))
	evs, got := f.wait(t, run.ID)
	if got.Status != model.RunCompleted || got.Decision != "" {
		t.Fatalf("run = %+v", got)
	}
	if n := len(p.requests(llm.PurposeSuperego)); n != 0 {
		t.Fatalf("superego called %d times with superego disabled", n)
	}
	want := []string{"run_started", "assistant_token*", "assistant_message", "run_finished"}
	if !slices.Equal(types(evs), want) {
		t.Errorf("event types = %v", types(evs))
	}
	if _, ok := f.runMessages(t, inst, run.ID)[model.RoleSuperego]; ok {
		t.Error("superego message stored with superego disabled")
	}
}

func TestSecondTurnHistory(t *testing.T) {
	t.Parallel()
	// Turn 1 allowed and answered, turn 2 blocked, turn 3 asks again.
	verdicts := []string{"DECISION: ALLOW", "DECISION: BLOCK: no", "DECISION: ALLOW"}
	var calls int
	p := &scripted{
		superego: func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
			v := verdicts[calls]
			calls++
			return say("", v)(ctx, req, emit)
		},
		assistant: say("", "Answer one."),
	}
	f := newFixture(t, p, engine.Config{}, nil)
	for _, msg := range []string{"First question", "Forbidden question", "Third question"} {
		run := must(f.eng.Send(t.Context(), f.instance, msg))
		f.wait(t, run.ID)
	}
	areq := p.requests(llm.PurposeAssistant)
	if len(areq) != 2 {
		t.Fatalf("assistant calls = %d", len(areq))
	}
	got := areq[1].Messages
	want := []llm.Message{{Role: "user", Content: "First question"}, {Role: "assistant", Content: "Answer one."}, {Role: "user", Content: "Third question"}}
	if !slices.Equal(got, want) {
		t.Errorf("assistant history = %+v, want %+v", got, want)
	}
	// The superego sees the blocked turn, marked, in its conversation section.
	sys := p.requests(llm.PurposeSuperego)[2].System
	conv := sys[strings.Index(sys, engine.ConversationHeading):]
	for _, s := range []string{"User: First question", "Assistant: Answer one.", "User: Forbidden question", "Blocked by the superego"} {
		if !strings.Contains(conv, s) {
			t.Errorf("superego conversation lacks %q:\n%s", s, conv)
		}
	}
	if strings.Contains(conv, "Third question") {
		t.Errorf("the message under judgement is repeated in the conversation section:\n%s", conv)
	}
}

func TestHistoryTrimmedFromTheOldestEnd(t *testing.T) {
	t.Parallel()
	p := &scripted{superego: say("", "DECISION: ALLOW"), assistant: say("", "ok")}
	// Each earlier turn costs 10+2 runes; a budget of 30 keeps the last two.
	f := newFixture(t, p, engine.Config{HistoryBudgetChars: 30}, nil)
	inst := f.newInstance(t, f.unguarded)
	for i := range 4 {
		run := must(f.eng.Send(t.Context(), inst, fmt.Sprintf("question %d", i)))
		f.wait(t, run.ID)
	}
	last := p.requests(llm.PurposeAssistant)[3].Messages
	u := func(s string) llm.Message { return llm.Message{Role: model.RoleUser, Content: s} }
	ok := llm.Message{Role: model.RoleAssistant, Content: "ok"}
	want := []llm.Message{u("question 1"), ok, u("question 2"), ok, u("question 3")}
	if !slices.Equal(last, want) {
		t.Errorf("trimmed history = %+v, want %+v", last, want)
	}
}

// TestDeltasRebuildTheStoredAnswerExactly streams awkward pieces — empty
// ones, multi-byte characters, lone combining marks, CR/LF, a long run —
// and checks the stored message is their exact concatenation. NUL and
// invalid UTF-8, which PostgreSQL cannot store, arrive as U+FFFD on every
// store.
func TestDeltasRebuildTheStoredAnswerExactly(t *testing.T) {
	t.Parallel()
	deltas := []string{"", "Grüße ", "", "日本", "語\r\n", "e", "\u0301", " 🙂", "\x00", "bad \xff", "tab\t", strings.Repeat("long ", 2000), "", "end."}
	var want strings.Builder
	for _, d := range deltas {
		switch d {
		case "\x00":
			d = "\uFFFD"
		case "bad \xff":
			d = "bad \uFFFD"
		}
		want.WriteString(d)
	}
	p := &scripted{assistant: func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
		for _, d := range deltas {
			if err := emit(llm.Event{Kind: llm.KindText, Delta: d}); err != nil {
				return err
			}
		}
		return nil
	}}
	f := newFixture(t, p, engine.Config{}, nil)
	inst := f.newInstance(t, f.unguarded)
	run := must(f.eng.Send(t.Context(), inst, "Say something awkward"))
	evs, got := f.wait(t, run.ID)
	asst := f.runMessages(t, inst, run.ID)[model.RoleAssistant]
	if got.Status != model.RunCompleted || asst.Content != want.String() {
		t.Fatalf("stored %q (%s), want %q", asst.Content, got.Status, want.String())
	}
	if d := joinDeltas(evs, events.TypeAssistantToken); d != asst.Content {
		t.Errorf("deltas %q != stored %q", d, asst.Content)
	}
	for _, e := range evs {
		if e.Type == events.TypeAssistantToken && e.Delta == "" {
			t.Error("an empty delta was emitted")
		}
	}
}

func TestRunsOfOneInstanceTakeTurns(t *testing.T) {
	t.Parallel()
	started, release := make(chan struct{}), make(chan struct{})
	var calls int
	p := &scripted{assistant: func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
		calls++
		if calls == 1 {
			close(started)
			<-release
			return say("", "first answer")(ctx, req, emit)
		}
		return say("", "second answer")(ctx, req, emit)
	}}
	f := newFixture(t, p, engine.Config{}, nil)
	inst := f.newInstance(t, f.unguarded)
	first := must(f.eng.Send(t.Context(), inst, "one"))
	<-started
	second := must(f.eng.Send(t.Context(), inst, "two"))
	close(release)
	f.wait(t, first.ID)
	f.wait(t, second.ID)
	areq := p.requests(llm.PurposeAssistant)
	want := []llm.Message{{Role: model.RoleUser, Content: "one"}, {Role: model.RoleAssistant, Content: "first answer"}, {Role: model.RoleUser, Content: "two"}}
	if len(areq) != 2 || !slices.Equal(areq[1].Messages, want) {
		t.Errorf("second run's history = %+v, want %+v", areq[len(areq)-1].Messages, want)
	}
}
