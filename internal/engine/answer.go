package engine

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
)

// Causes that end an assistant call early without ending the run.
var (
	errDiscarded = errors.New("speculative answer discarded: the verdict was not ALLOW")
	errWithdrawn = errors.New("answer withdrawn by the output screen")
)

// answerCall is one assistant call in flight. What the call produces
// reaches the client and the store only through it:
//   - while it is held (a speculative start waiting for the verdict)
//     nothing is sent, stored or logged; release then sends what is held
//     and goes live, discard cancels the call and counts what it cost;
//   - with streaming output screening, text is sent only once the superego
//     has screened it, so at most one chunk is held back.
type answerCall struct {
	r      *run
	req    llm.Request
	ctx    context.Context // the call's own, a child of the run's
	cancel context.CancelCauseFunc
	done   chan struct{} // closed when the upstream call has returned
	res    call          // set before done is closed
	err    error
	start  time.Time

	mu        sync.Mutex // guards what follows; held while sending
	held      bool
	msg       model.Message // the stored message, once not held
	pw        *partialWriter
	text      strings.Builder
	thinking  strings.Builder
	pieces    int // deltas received
	sent      int // bytes of text sent to the client
	screened  int // bytes of text the output screen allowed (streaming)
	window    int // where the next screened window starts (one chunk of overlap)
	unchecked int // text deltas not yet screened (streaming)
	verdict   *outputVerdict
	storeErr  error
}

// startAnswer starts the assistant call in the background. Unless hold is
// set, its message is stored first (status streaming) and its text goes
// out as it comes; with hold, nothing leaves until release.
func (r *run) startAnswer(ctx context.Context, turns []turn, caution string, hold bool) (*answerCall, error) {
	a := r.newAnswer(ctx, turns, caution, hold)
	if !hold {
		if err := a.store(ctx); err != nil {
			a.cancel(err)
			return nil, err
		}
	}
	a.goUpstream()
	return a, nil
}

// newAnswer prepares an assistant call under ctx without starting it.
func (r *run) newAnswer(ctx context.Context, turns []turn, caution string, hold bool) *answerCall {
	a := &answerCall{r: r, req: r.assistantRequest(turns, caution), done: make(chan struct{}), held: hold}
	a.ctx, a.cancel = context.WithCancelCause(ctx)
	return a
}

// goUpstream makes the call in the background.
func (a *answerCall) goUpstream() {
	a.start = a.r.e.now()
	go func() {
		defer close(a.done)
		a.res, a.err = a.r.e.stream(a.ctx, a.req, a.add)
	}()
}

// message is the assistant's message as it is stored when the call
// starts (status streaming).
func (a *answerCall) message() model.Message {
	r := a.r
	return model.Message{
		FlowInstanceID: r.inst.ID,
		RunID:          r.rec.ID,
		Role:           model.RoleAssistant,
		SyspromptID:    r.flow.sysprompt.ID,
		Model:          modelLabel(a.req.Model, r.e.prov.Name()),
		Status:         model.MessageStreaming,
	}
}

// store appends the assistant's message (status streaming) and makes it
// the run's streaming message.
func (a *answerCall) store(ctx context.Context) error {
	msg, err := a.r.e.st.AppendMessage(ctx, a.message())
	if err != nil {
		return err
	}
	a.adopt(msg)
	return nil
}

// adopt makes msg, as stored, the call's message and the run's streaming
// one; release then stores it no more.
func (a *answerCall) adopt(msg model.Message) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.adoptLocked(msg)
}

func (a *answerCall) adoptLocked(msg model.Message) {
	a.msg = msg
	a.pw = a.r.newPartialWriter(&a.msg)
	a.r.streaming = msg.ID
}

// add takes one event of the upstream call.
func (a *answerCall) add(ev llm.Event) {
	if ev.Delta == "" || (ev.Kind != llm.KindReasoning && ev.Kind != llm.KindText) {
		return
	}
	if a.addText(ev) {
		// The first text went into the run's log, which woke the
		// goroutines that relay it to the sockets; they are queued on this
		// processor. Without a yield this goroutine goes on through the
		// rest of what the upstream sent and, when that was the whole
		// answer, the run's final writes, and the first token waits for
		// all of it whenever no other processor takes them up (a busy
		// machine): 0.1–0.7 ms in a trace at one run.
		runtime.Gosched()
	}
}

// addText adds ev under the call's lock and says whether it sent the
// call's first text.
func (a *answerCall) addText(ev llm.Event) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	before := a.sent
	a.pieces++
	if ev.Kind == llm.KindReasoning {
		a.thinking.WriteString(ev.Delta)
	} else {
		a.text.WriteString(ev.Delta)
		a.unchecked++
	}
	at := a.sendLocked(false)
	if !a.held && a.pw != nil {
		a.pw.update(at, a.text.String()[:a.sent], a.thinking.String())
	}
	return before == 0 && a.sent > 0
}

// release ends the hold of a speculative call: the message is stored and
// what the call produced so far is sent at once, then the rest streams
// live. A store failure cancels the call.
func (a *answerCall) release(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.held {
		return nil
	}
	if a.msg.ID == "" {
		msg, err := a.r.e.st.AppendMessage(ctx, a.message())
		if err != nil {
			a.storeErr = err
			a.cancel(err)
			return err
		}
		a.adoptLocked(msg)
	}
	a.held = false
	a.sendLocked(false)
	if a.sent > 0 {
		// What was held went out at once: store it now rather than with
		// the next delta, which may be long in coming.
		a.pw.flush(a.text.String()[:a.sent], a.thinking.String())
	}
	return nil
}

// discard cancels a held call and waits for it, nothing of it sent or
// stored, and returns what it cost: its usage, all of its output counted
// as wasted (the deltas received when the provider did not report usage
// before it was cancelled).
func (a *answerCall) discard() model.Usage {
	a.cancel(errDiscarded)
	<-a.done
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.res.usage
	if u.OutputTokens < a.pieces {
		u.OutputTokens = a.pieces
	}
	u.WastedTokens = u.OutputTokens
	a.r.e.m.wasted.Add(float64(u.WastedTokens))
	return u
}

// sendLocked sends the text that may go out now: everything received when
// the answer is not screened while streaming, otherwise what the screen
// has allowed, screening the next window first when a chunk is complete
// (or, at the end, whatever is left). It returns the time the text sent
// was stamped with; zero when it sent none.
func (a *answerCall) sendLocked(atEnd bool) time.Time {
	if a.held || a.verdict != nil {
		return time.Time{}
	}
	r := a.r
	limit := a.text.Len()
	if r.flow.screenOutput == model.ScreenOutputStreaming {
		if a.unchecked >= r.flow.screenChunk || (atEnd && a.screened < a.text.Len()) {
			text := a.text.String()
			v := r.screenOutput(a.ctx, text[a.window:], false)
			if v.blocks() {
				a.verdict = &v
				a.cancel(errWithdrawn)
				return time.Time{}
			}
			a.window, a.screened, a.unchecked = a.screened, len(text), 0
		}
		limit = a.screened
	}
	if limit <= a.sent {
		return time.Time{}
	}
	at := r.emitDelta(events.TypeAssistantToken, a.text.String()[a.sent:limit])
	if a.sent == 0 {
		r.timings.FirstTokenMs = at.Sub(r.start).Milliseconds()
	}
	a.sent = limit
	return at
}

// answer waits for the call, screens the answer when the flow says so,
// and stores it. Whatever ends it, the text received so far is kept with
// the reason; an answer the output screen blocked is kept as withdrawn.
func (r *run) answer(ctx context.Context, a *answerCall) error {
	e := r.e
	<-a.done
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.storeErr != nil {
		return a.storeErr
	}
	callErr := a.err
	if callErr == nil && ctx.Err() == nil {
		a.sendLocked(true) // the last chunk of streaming screening
	}
	msg := a.msg
	msg.Content, msg.Thinking = a.text.String(), a.thinking.String()
	msg.Usage, msg.Params = a.res.usage, a.res.params
	msg.Timings = model.Timings{TotalMs: e.now().Sub(a.start).Milliseconds()}
	if a.res.gotToken {
		msg.Timings.FirstTokenMs = a.res.firstToken.Milliseconds()
	}
	r.usage = r.usage.Add(a.res.usage)
	if a.verdict == nil && callErr == nil && ctx.Err() == nil && r.flow.screenOutput == model.ScreenOutputFinal {
		v := r.screenOutput(ctx, msg.Content, true)
		a.verdict = &v
	}
	var stepErr error
	switch {
	case ctx.Err() != nil:
		status, why := endStatus(ctx, callErr)
		msg.Status, msg.Error = messageStatus(status), why
		stepErr = context.Cause(ctx)
	case a.verdict != nil && a.verdict.blocks():
		msg.Status, msg.Decision, msg.Reason, msg.Section = model.MessageWithdrawn, a.verdict.decision, a.verdict.reason, a.verdict.section
		stepErr = errWithdrawn
	case callErr != nil:
		msg.Status, msg.Error = model.MessageFailed, callErr.Error()
		stepErr = callErr
	default:
		msg.Status, msg.Error = endedStatus(a.res.stop)
		if a.verdict != nil {
			msg.Decision, msg.Reason, msg.Section = a.verdict.decision, a.verdict.reason, a.verdict.section
		}
	}
	if r.flow.screenOutput == model.ScreenOutputStreaming && a.verdict == nil && stepErr == nil {
		// Every chunk passed: the verdict on the answer is ALLOW.
		a.verdict = &outputVerdict{decision: model.DecisionAllow}
		msg.Decision = model.DecisionAllow
	}
	if a.verdict != nil {
		r.emit(events.Event{Type: events.TypeOutputDecision, Decision: a.verdict.decision, Reason: a.verdict.reason,
			Section: a.verdict.section, Withdrawn: msg.Status == model.MessageWithdrawn})
	}
	if r.e.endsWithAnswer() {
		// Stored with the run's end, in one write; finish then sends it.
		r.streaming = ""
		r.final = &finalAnswer{msg: msg, sent: a.sent}
		return stepErr
	}
	msg = r.saveMessage(msg)
	r.emitAnswer(msg, a.sent)
	return stepErr
}

// finalAnswer is an answer's final state waiting to be stored with its
// run's end (Engine.endsWithAnswer), and how much of its text the client
// was sent.
type finalAnswer struct {
	msg  model.Message
	sent int
}

// emitAnswer emits assistant_message for msg, as stored, of which sent
// bytes of text went out.
func (r *run) emitAnswer(msg model.Message, sent int) {
	shown := msg
	if msg.Status == model.MessageWithdrawn && r.flow.screenOutput == model.ScreenOutputStreaming {
		// The client gets only what the screen allowed: the frame carries
		// the text it was sent, and none of the answer's reasoning, which
		// was never screened. The store keeps all of it, marked withdrawn.
		shown.Content, shown.Thinking = msg.Content[:sent], ""
	}
	r.emit(events.Event{Type: events.TypeAssistantMessage, Message: &shown})
}
