package engine

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
)

// flushInterval batches the writes of partial text: often enough that a
// crash loses little, rarely enough that the database is not written once
// per token.
const flushInterval = 250 * time.Millisecond

// call is the outcome of one upstream model call.
type call struct {
	usage      model.Usage
	firstToken time.Duration // from the request (after queueing) to the first delta
	gotToken   bool
	total      time.Duration
}

// stream makes one upstream call under the global concurrency limit,
// passing every event to on and recording metrics.
func (e *Engine) stream(ctx context.Context, req llm.Request, on func(llm.Event)) (call, error) {
	return e.streamAs(ctx, req, on, false)
}

// streamAs is stream for chat (background false) or background work such
// as evals, which waits for chat calls (see slots).
func (e *Engine) streamAs(ctx context.Context, req llm.Request, on func(llm.Event), background bool) (call, error) {
	e.m.queued.Inc()
	if err := e.sem.acquire(ctx, background); err != nil {
		e.m.queued.Dec()
		return call{}, err
	}
	e.m.queued.Dec()
	e.m.inFlight.Inc()
	defer func() {
		e.m.inFlight.Dec()
		e.sem.release(background)
	}()
	var c call
	t0 := e.now()
	err := e.prov.Stream(ctx, req, func(ev llm.Event) error {
		ev.Delta = cleanText(ev.Delta)
		switch ev.Kind {
		case llm.KindReasoning, llm.KindText:
			if !c.gotToken && ev.Delta != "" {
				c.gotToken = true
				c.firstToken = e.now().Sub(t0)
			}
		case llm.KindUsage:
			if ev.Usage.InputTokens > 0 {
				c.usage.InputTokens = ev.Usage.InputTokens
			}
			if ev.Usage.OutputTokens > 0 {
				c.usage.OutputTokens = ev.Usage.OutputTokens
			}
		}
		on(ev)
		// A provider that ignores cancellation is stopped here.
		return context.Cause(ctx)
	})
	c.total = e.now().Sub(t0)
	e.m.upstream(e.prov.Name(), modelLabel(req.Model, e.prov.Name()), c.firstToken, c.gotToken, c.total, c.usage)
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	return c, err
}

// cleanText makes upstream text storable everywhere: PostgreSQL text
// holds neither NUL nor invalid UTF-8, so both become U+FFFD on every
// store alike, and the deltas still add up to exactly the stored text.
func cleanText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	return s
}

// superegoOutcome is the verdict of the superego step.
type superegoOutcome struct {
	decision model.Decision
	reason   string
}

// superegoStep streams the superego's evaluation and stores it. An upstream
// failure or a reply without a decision is an ERROR outcome, not an error;
// only the end of the run's context returns an error.
func (e *Engine) superegoStep(ctx context.Context, j *job, turns []turn) (superegoOutcome, error) {
	req := e.superegoRequest(j, turns)
	c := j.flow.constitution
	mdl := modelLabel(req.Model, e.prov.Name())
	e.emit(j, events.Event{Type: events.TypeSuperegoStarted, ConstitutionID: c.ID, ConstitutionVersion: c.Version, Model: mdl})
	msg, err := e.st.AppendMessage(ctx, model.Message{
		FlowInstanceID:      j.inst.ID,
		RunID:               j.run.ID,
		Role:                model.RoleSuperego,
		ConstitutionID:      c.ID,
		ConstitutionVersion: c.Version,
		Model:               mdl,
		Status:              model.MessageStreaming,
	})
	if err != nil {
		if ctx.Err() != nil {
			return superegoOutcome{}, context.Cause(ctx)
		}
		return superegoOutcome{decision: model.DecisionError, reason: "could not store the evaluation: " + err.Error()}, nil
	}
	j.streaming = msg.ID
	var text, thinking strings.Builder
	pw := e.newPartialWriter(j, &msg)
	res, callErr := e.stream(ctx, req, func(ev llm.Event) {
		switch {
		case ev.Delta == "":
			return
		case ev.Kind == llm.KindReasoning:
			thinking.WriteString(ev.Delta)
			e.emit(j, events.Event{Type: events.TypeSuperegoThinking, Delta: ev.Delta})
		case ev.Kind == llm.KindText:
			text.WriteString(ev.Delta)
			e.emit(j, events.Event{Type: events.TypeSuperegoToken, Delta: ev.Delta})
		default:
			return
		}
		pw.update(text.String(), thinking.String())
	})
	j.usage = j.usage.Add(res.usage)
	msg.Content, msg.Thinking = text.String(), thinking.String()
	msg.Usage = res.usage
	msg.Timings = model.Timings{FirstTokenMs: res.firstToken.Milliseconds(), TotalMs: res.total.Milliseconds()}

	var out superegoOutcome
	switch {
	case ctx.Err() != nil:
		status, why := endStatus(ctx, callErr)
		msg.Status, msg.Error = messageStatus(status), why
		e.saveMessage(j, msg)
		return superegoOutcome{}, context.Cause(ctx)
	case callErr != nil:
		msg.Status, msg.Error = model.MessageFailed, callErr.Error()
		out = superegoOutcome{decision: model.DecisionError, reason: "superego call failed: " + callErr.Error()}
	default:
		msg.Status = model.MessageComplete
		d, reason, ok := ParseDecision(msg.Content)
		if !ok {
			d, reason = model.DecisionError, "the superego's reply has no decision line"
		}
		out = superegoOutcome{decision: d, reason: reason}
	}
	msg.Decision, msg.Reason = out.decision, out.reason
	msg = e.saveMessage(j, msg)
	e.m.decisions.WithLabelValues(string(out.decision), c.ID).Inc()
	e.emit(j, events.Event{Type: events.TypeSuperegoDecision, Decision: out.decision, Reason: out.reason, Message: &msg})
	return out, nil
}

// assistantStep streams the assistant's answer and stores it. Whatever
// ends it, the text received so far is kept with the reason.
func (e *Engine) assistantStep(ctx context.Context, j *job, turns []turn, caution string) error {
	req := e.assistantRequest(j, turns, caution)
	msg, err := e.st.AppendMessage(ctx, model.Message{
		FlowInstanceID: j.inst.ID,
		RunID:          j.run.ID,
		Role:           model.RoleAssistant,
		SyspromptID:    j.flow.sysprompt.ID,
		Model:          modelLabel(req.Model, e.prov.Name()),
		Status:         model.MessageStreaming,
	})
	if err != nil {
		return err
	}
	j.streaming = msg.ID
	var text, thinking strings.Builder
	pw := e.newPartialWriter(j, &msg)
	callStart := e.now()
	res, callErr := e.stream(ctx, req, func(ev llm.Event) {
		switch {
		case ev.Delta == "":
			return
		case ev.Kind == llm.KindReasoning:
			thinking.WriteString(ev.Delta)
		case ev.Kind == llm.KindText:
			if text.Len() == 0 {
				j.timings.FirstTokenMs = e.now().Sub(j.start).Milliseconds()
			}
			text.WriteString(ev.Delta)
			e.emit(j, events.Event{Type: events.TypeAssistantToken, Delta: ev.Delta})
		default:
			return
		}
		pw.update(text.String(), thinking.String())
	})
	j.usage = j.usage.Add(res.usage)
	msg.Content, msg.Thinking = text.String(), thinking.String()
	msg.Usage = res.usage
	msg.Timings = model.Timings{TotalMs: e.now().Sub(callStart).Milliseconds()}
	if res.gotToken {
		msg.Timings.FirstTokenMs = res.firstToken.Milliseconds()
	}
	var stepErr error
	switch {
	case ctx.Err() != nil:
		status, why := endStatus(ctx, callErr)
		msg.Status, msg.Error = messageStatus(status), why
		stepErr = context.Cause(ctx)
	case callErr != nil:
		msg.Status, msg.Error = model.MessageFailed, callErr.Error()
		stepErr = callErr
	default:
		msg.Status = model.MessageComplete
	}
	msg = e.saveMessage(j, msg)
	e.emit(j, events.Event{Type: events.TypeAssistantMessage, Message: &msg})
	return stepErr
}

// saveMessage writes a message's final state; it must succeed even when the
// run was cancelled, so it does not use the run's context.
func (e *Engine) saveMessage(j *job, m model.Message) model.Message {
	j.streaming = ""
	ctx, cancel := e.storeCtx()
	defer cancel()
	saved, err := e.st.UpdateMessage(ctx, m)
	if err != nil {
		e.log.Error("store message", "run_id", j.run.ID, "message_id", m.ID, "err", err)
		return m
	}
	return saved
}

// messageStatus maps a run's end status to its last message's status.
func messageStatus(runStatus string) string {
	switch runStatus {
	case model.RunCancelled:
		return model.MessageCancelled
	case model.RunInterrupted:
		return model.MessageInterrupted
	}
	return model.MessageFailed
}

// modelLabel is the model name recorded and used as a metric label; an
// empty request model means the provider's default.
func modelLabel(requested, provider string) string {
	if requested != "" {
		return requested
	}
	return provider + "-default"
}

// partialWriter stores streaming text at most every flushInterval, so a
// crash leaves the partial text behind without a write per token.
type partialWriter struct {
	e    *Engine
	j    *job
	msg  *model.Message
	last time.Time
}

func (e *Engine) newPartialWriter(j *job, msg *model.Message) *partialWriter {
	return &partialWriter{e: e, j: j, msg: msg, last: e.now()}
}

func (p *partialWriter) update(text, thinking string) {
	now := p.e.now()
	if now.Sub(p.last) < flushInterval {
		return
	}
	p.last = now
	m := *p.msg
	m.Content, m.Thinking = text, thinking
	ctx, cancel := p.e.storeCtx()
	defer cancel()
	if _, err := p.e.st.UpdateMessage(ctx, m); err != nil && !errors.Is(err, context.Canceled) {
		p.e.log.Warn("store partial message", "run_id", p.j.run.ID, "message_id", m.ID, "err", err)
	}
}
