package engine

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

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
	stop       string // the provider's stop reason, when it gave one
	// params are the generation parameters the provider reported sending
	// (its last attempt's); nil when it reported none.
	params *model.ModelParams
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
	defer e.sem.release(background)
	return e.callUpstream(ctx, req, on)
}

// callUpstream makes one upstream call without taking a slot: stream
// takes one around it, and the output screen, which runs inside the
// assistant call's slot, calls it directly (waiting for a second slot
// there could wait forever with a limit of one).
func (e *Engine) callUpstream(ctx context.Context, req llm.Request, on func(llm.Event)) (call, error) {
	e.m.inFlight.Inc()
	defer e.m.inFlight.Dec()
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
			// One per attempt, failed ones included: all are billed.
			c.usage = c.usage.Add(ev.Usage)
		case llm.KindStop:
			c.stop = ev.Stop
		case llm.KindParams:
			if ev.Params != nil && !ev.Params.IsZero() {
				p := *ev.Params
				c.params = &p
			}
		}
		on(ev)
		// A provider that ignores cancellation is stopped here. (Done is
		// read without a lock; Cause would take the context's per token.)
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		default:
			return nil
		}
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

// endedStatus is the status of a message whose stream ended normally:
// truncated, with the stop reason as its error, when the provider cut it.
func endedStatus(stop string) (status, why string) {
	if llm.Cut(stop) {
		return model.MessageTruncated, "cut short by the provider (" + stop + ")"
	}
	return model.MessageComplete, ""
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
	r    *run
	msg  *model.Message
	last time.Time
}

func (r *run) newPartialWriter(msg *model.Message) *partialWriter {
	return &partialWriter{r: r, msg: msg, last: r.e.now()}
}

// update stores text and thinking when flushInterval has passed since the
// last write; now is the caller's reading of the engine's clock (the one
// it stamped the delta with), zero to have update read it.
func (p *partialWriter) update(now time.Time, text, thinking string) {
	if now.IsZero() {
		now = p.r.e.now()
	}
	if now.Sub(p.last) < flushInterval {
		return
	}
	p.last = now
	p.write(text, thinking)
}

// flush stores text and thinking now.
func (p *partialWriter) flush(text, thinking string) {
	p.last = p.r.e.now()
	p.write(text, thinking)
}

func (p *partialWriter) write(text, thinking string) {
	e := p.r.e
	m := *p.msg
	m.Content, m.Thinking = text, thinking
	ctx, cancel := storeCtx()
	defer cancel()
	if _, err := e.st.UpdateMessage(ctx, m); err != nil && !errors.Is(err, context.Canceled) {
		e.log.Warn("store partial message", "run_id", p.r.rec.ID, "message_id", m.ID, "err", err)
	}
}

// storeTimeout bounds the writes that record how a run ended; they use a
// context of their own because the run's context may already be cancelled.
const storeTimeout = 10 * time.Second

// storeCtx is the context for writes that must happen even when the run
// was cancelled.
func storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), storeTimeout)
}
