package engine

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
)

// ScreenTarget is a flow config resolved once for many screenings (an
// eval's target): its models, system prompt and the constitution to screen
// against.
type ScreenTarget struct {
	flow flowSettings
}

// Constitution is the constitution the target screens against.
func (t *ScreenTarget) Constitution() model.Constitution { return t.flow.constitution }

// Model is the superego model the target's screenings record.
func (t *ScreenTarget) Model(e *Engine) string {
	return modelLabel(t.flow.superegoModel, e.prov.Name())
}

// ResolveTarget loads a flow config for screenings. constitution, when not
// nil, replaces the config's (a saved version, or a draft with an empty
// ID), and turns the superego on.
func (e *Engine) ResolveTarget(ctx context.Context, flowConfigID string, constitution *model.Constitution) (*ScreenTarget, error) {
	var inst model.FlowInstance
	inst.FlowConfigID = flowConfigID
	if constitution != nil {
		// Load the config without its own constitution, then use the given
		// one: a draft has no id to load.
		on := false
		inst.Overrides = &model.Overrides{SuperegoEnabled: &on}
	}
	f, err := e.resolveFlow(ctx, inst)
	if err != nil {
		return nil, err
	}
	if constitution != nil {
		f.superego, f.constitution = true, *constitution
	}
	return &ScreenTarget{flow: f}, nil
}

// Screening is the outcome of one screened message.
type Screening struct {
	Decision model.Decision
	Reason   string
	// Section is the constitution section the superego cited, "" when
	// none or one the constitution does not have.
	Section  string
	Thinking string
	// Visible is the superego's visible reply.
	Visible string
	// Answer is the assistant's answer (full screenings the superego let
	// pass).
	Answer string
	// Output is the output screen's verdict on the answer, when the flow
	// config screens output and there was an answer; nil otherwise.
	Output  *OutputVerdict
	Model   string
	Usage   model.Usage
	Latency time.Duration
	// SuperegoParams and AssistantParams are the generation parameters the
	// two calls sent (nil for a call not made or that reported none).
	SuperegoParams  *model.ModelParams
	AssistantParams *model.ModelParams
}

// ErrUpstream wraps a failed model call; the caller may retry.
var ErrUpstream = errors.New("upstream call failed")

// Screen has the target's superego judge input after the earlier turns
// (alternating user and assistant messages, oldest first) and, when full,
// the assistant answer what it let pass, and the output screen judge that
// answer as the flow config says (final, or window by window as it
// streams, stopping it at a BLOCK). Nothing is stored. It runs as
// background work: chat calls get upstream slots first. A failed call is
// an error wrapping ErrUpstream; a reply without a decision is an ERROR
// screening, not an error.
func (e *Engine) Screen(ctx context.Context, t *ScreenTarget, earlier []llm.Message, input string, full bool) (Screening, error) {
	j := &run{e: e, flow: t.flow, userMsg: model.Message{Role: model.RoleUser, Content: input}}
	turns := screenTurns(earlier)
	out := Screening{Decision: model.DecisionAllow, Model: t.Model(e)}
	if t.flow.superego {
		var text, thinking strings.Builder
		c, err := e.streamAs(ctx, j.superegoRequest(turns), collect(&text, &thinking), true)
		out.Usage, out.Latency, out.SuperegoParams = c.usage, c.total, c.params
		out.Thinking, out.Visible = thinking.String(), text.String()
		if err != nil {
			if ctx.Err() != nil {
				return out, context.Cause(ctx)
			}
			return out, errors.Join(ErrUpstream, err)
		}
		d, reason, ok := ParseDecision(out.Visible)
		if !ok {
			d, reason = model.DecisionError, "the superego's reply has no decision line"
		}
		out.Decision, out.Reason = d, reason
		if ok {
			out.Section = ParseSection(out.Visible, t.flow.constitution.Content)
		}
	} else {
		out.Reason = "the flow config has no superego"
	}
	j.decision = out.Decision
	if !full || out.Decision == model.DecisionBlock || (out.Decision == model.DecisionError && t.flow.onError != model.OnErrorAllow) {
		return out, nil
	}
	caution := ""
	if out.Decision == model.DecisionCaution {
		caution = out.Reason
	}
	var answer, ignored strings.Builder
	gather := collect(&answer, &ignored)
	callCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	w := &windowScreen{j: j, chunk: t.flow.screenChunk}
	on := gather
	if t.flow.screenOutput == model.ScreenOutputStreaming {
		on = func(ev llm.Event) {
			gather(ev)
			w.add(callCtx, ev, stop)
		}
	}
	c, err := e.streamAs(callCtx, j.assistantRequest(turns, caution), on, true)
	out.Usage, out.Latency, out.AssistantParams = out.Usage.Add(c.usage), out.Latency+c.total, c.params
	out.Answer = answer.String()
	withdrawn := ctx.Err() == nil && errors.Is(context.Cause(callCtx), errWithdrawn)
	if err != nil && !withdrawn {
		if ctx.Err() != nil {
			return out, context.Cause(ctx)
		}
		return out, errors.Join(ErrUpstream, err)
	}
	if t.flow.screenOutput == model.ScreenOutputOff {
		return out, nil
	}
	// Calls after the answer take a background slot of their own, and
	// their time counts in the row's latency (a streaming window's call
	// is already inside the answer's).
	var spent time.Duration
	after := func(ctx context.Context, req llm.Request, on func(llm.Event)) (call, error) {
		c, err := e.streamAs(ctx, req, on, true)
		spent += c.total
		return c, err
	}
	v := w.finish(ctx, t.flow.screenOutput, out.Answer, after)
	out.Usage, out.Latency = out.Usage.Add(j.usage), out.Latency+spent
	if ctx.Err() != nil {
		return out, context.Cause(ctx)
	}
	out.Output = &OutputVerdict{Decision: v.decision, Reason: v.reason, Section: v.section, Withdrawn: v.blocks()}
	return out, nil
}

// OutputVerdict is the output screen's verdict on a screened answer.
type OutputVerdict struct {
	Decision model.Decision
	Reason   string
	Section  string
	// Withdrawn is true when the verdict withdraws the answer (a live run
	// would have marked it withdrawn).
	Withdrawn bool
}

// windowScreen screens an answer the way a live run with streaming output
// screening does: each time screenChunk text pieces have come, the text
// from the previous window's start (one chunk of overlap) is judged, and
// a BLOCK stops the answer there.
type windowScreen struct {
	j         *run
	chunk     int
	text      strings.Builder
	unchecked int // text pieces not yet screened
	window    int // where the next window starts
	screened  int // bytes the screen has allowed
	verdict   *outputVerdict
}

// add takes one event of the answer; it is called inside the answer's
// upstream slot, so the window's call goes straight upstream as a live
// run's does.
func (w *windowScreen) add(ctx context.Context, ev llm.Event, stop context.CancelCauseFunc) {
	if ev.Kind != llm.KindText || ev.Delta == "" || w.verdict != nil {
		return
	}
	w.text.WriteString(ev.Delta)
	if w.unchecked++; w.unchecked < w.chunk {
		return
	}
	if w.check(ctx, w.j.e.callUpstream) {
		stop(errWithdrawn)
	}
}

// check judges the current window and reports whether it withdraws the
// answer.
func (w *windowScreen) check(ctx context.Context, call upstreamCall) bool {
	text := w.text.String()
	v := w.j.judgeOutput(ctx, text[w.window:], call, func(string) {})
	if v.blocks() {
		w.verdict = &v
		return true
	}
	w.window, w.screened, w.unchecked = w.screened, len(text), 0
	return false
}

// finish returns the verdict on the whole answer: in final mode one call
// on all of it; in streaming mode the window that withdrew it, else the
// last, shorter window's, else ALLOW (every window passed).
func (w *windowScreen) finish(ctx context.Context, mode, answer string, call upstreamCall) outputVerdict {
	if mode == model.ScreenOutputFinal {
		return w.j.judgeOutput(ctx, answer, call, func(string) {})
	}
	if w.verdict == nil && w.screened < w.text.Len() {
		w.check(ctx, call)
	}
	if w.verdict != nil {
		return *w.verdict
	}
	return outputVerdict{decision: model.DecisionAllow}
}

// collect gathers a stream's visible text and reasoning.
func collect(text, thinking *strings.Builder) func(llm.Event) {
	return func(ev llm.Event) {
		switch ev.Kind {
		case llm.KindText:
			text.WriteString(ev.Delta)
		case llm.KindReasoning:
			thinking.WriteString(ev.Delta)
		}
	}
}

// screenTurns pairs earlier messages into turns: each user message with
// the assistant message after it, if any.
func screenTurns(earlier []llm.Message) []turn {
	var turns []turn
	for _, m := range earlier {
		switch m.Role {
		case model.RoleUser:
			turns = append(turns, turn{user: histMessage{role: model.RoleUser, content: m.Content}})
		case model.RoleAssistant:
			if n := len(turns); n > 0 && turns[n-1].assistant == nil {
				turns[n-1].assistant = &histMessage{role: model.RoleAssistant, content: m.Content, status: model.MessageComplete}
			}
		}
	}
	return turns
}
