package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// run is one run of a flow, from the moment it is stored to its stored
// end. This file is its life, in the order it is lived: newRun stores the
// user message and the run, start hands it to a goroutine, execute and
// steps carry it through the superego (screen) and the assistant (answer),
// and finish stores how it ended. Every event goes through emit, into the
// run's log and — on a shared database — to the other replicas (the
// Engine's ownership).
type run struct {
	e       *Engine
	rec     model.Run // the stored run, updated as it goes
	inst    model.FlowInstance
	flow    flowSettings
	userMsg model.Message
	log     *runLog
	start   time.Time
	ctx     context.Context // the run's own, owned by the engine, with its timeout
	cancel  context.CancelCauseFunc
	stop    context.CancelFunc // releases ctx's timer

	// early is the assistant call started beside the run's first writes
	// (see newRun), with the instance's lock and the history it was built
	// from; nil when the run starts the usual way.
	early *earlyStart
	// hist is the reader the run's history came from, when the engine
	// keeps histories: a run started early keeps the conversation's
	// history whole after its end (historyCache.feed).
	hist *historyReader

	usage     model.Usage
	timings   model.Timings
	decision  model.Decision
	streaming string // id of the message being streamed, if any
	finished  bool

	// final is the answer stored with the run's end, when it is (see
	// Engine.endsWithAnswer); unlock then lets go of the instance's lock
	// once that is stored.
	final  *finalAnswer
	unlock func()
}

// earlyStart is what a run started early holds until its goroutine takes
// over: the instance lock, the turns read under it and the held call.
type earlyStart struct {
	unlock func()
	turns  []turn
	call   *answerCall
}

// newRun resolves the instance's flow, stores the user message (unless
// existing is given: a fork already holds it) and the run in one
// transaction, and opens the run's log with run_started. Nothing runs yet.
//
// With early set, a run whose first upstream call is the assistant's (no
// superego, no streaming output screen) and whose instance has no run
// under way starts that call before its writes:
// the history is read and the request sent while the user message, the
// run and the assistant's message are stored, in one transaction, so the
// upstream's latency hides the writes. The call is held (answerCall):
// nothing of the run — no event, no notice, not its id — reaches anyone
// until the transaction has committed, so a crash before it leaves nothing
// any client saw, and one after it a stored run that a restart marks
// interrupted. If the writes fail, the call is cancelled and the error
// returned, as when they fail before a call.
func (e *Engine) newRun(ctx context.Context, inst model.FlowInstance, content string, existing *model.Message, early bool) (*run, error) {
	// Admission: a store whose writer is saturated refuses new runs
	// (store.ErrBusy) before their writes could queue past a deadline;
	// the writes of runs under way go on.
	if a, ok := e.st.(store.Admission); ok {
		if err := a.Busy(); err != nil {
			return nil, err
		}
	}
	flow, err := e.resolveFlow(ctx, inst)
	if err != nil {
		return nil, err
	}
	runID := model.NewID()
	var msgs []model.Message
	user := model.Message{
		ID:             model.NewID(),
		FlowInstanceID: inst.ID,
		RunID:          runID,
		Role:           model.RoleUser,
		Content:        content,
		Status:         model.MessageComplete,
	}
	if existing != nil {
		user = *existing
	} else {
		msgs = append(msgs, user)
	}
	r := &run{e: e, inst: inst, flow: flow, userMsg: user, log: newRunLog(runID), start: e.now()}
	r.rec = model.Run{
		ID:             runID,
		FlowInstanceID: inst.ID,
		FlowConfigID:   inst.FlowConfigID,
		UserMessageID:  user.ID,
		ComparisonID:   inst.ComparisonID,
		Status:         model.RunRunning,
	}
	r.log.gated = e.gateLogs
	// Merged deltas stay in this process: a replica's durable log holds
	// every delta as it came.
	_, r.log.merge = e.own.(localRuns)
	base, cancel := context.WithCancelCause(e.base)
	timeout := e.cfg.RunTimeout
	r.ctx, r.stop = context.WithTimeoutCause(base, timeout, fmt.Errorf("run timed out after %s", timeout))
	r.cancel = cancel
	// Streaming output screening screens the text chunk by chunk as it
	// arrives, which text held until the commit would not be.
	if early && !flow.superego && flow.screenOutput != model.ScreenOutputStreaming {
		if unlock, ok := e.tryLockInstance(inst.ID); ok {
			es, err := r.startEarly(ctx, unlock)
			if err != nil {
				r.cancel(err)
				r.stop()
				return nil, err
			}
			r.early = es
			msgs = append(msgs, es.call.message())
		}
	}
	// Stored only if the instance is still the one the run was started
	// from (it may come from the instance cache), and its conversation
	// still the one the history of a run started early came from.
	count := 0
	var (
		rec    model.Run
		stored []model.Message
	)
	write := func() {
		rec, stored, err = e.st.StartRun(ctx, r.rec, msgs, func(cur model.FlowInstance) error {
			if !sameInstance(inst, cur) {
				return &staleInstance{cur: cur}
			}
			if r.early != nil && r.hist != nil {
				if err := r.hist.check(cur.MessageCount, len(msgs)); err != nil {
					return err
				}
			}
			count = cur.MessageCount
			return nil
		})
	}
	if r.early != nil {
		// The writes go to a goroutine started before the call's, which is
		// then the next to run on this processor: the request goes out
		// first, and the writes, which the upstream's latency hides, take
		// another processor or follow it. The other way round the call
		// waited for this goroutine to block on the commit and then for
		// the store's writer it woke (in a trace at one run, p50 ~0.1 ms
		// to ~0.35 ms).
		written := make(chan struct{})
		go func() {
			defer close(written)
			write()
		}()
		r.early.call.goUpstream()
		<-written
	} else {
		write()
	}
	if err != nil {
		r.dropEarly(err)
		return nil, fmt.Errorf("store run: %w", err)
	}
	r.rec = rec
	if existing == nil {
		r.userMsg = stored[0]
	}
	if r.early != nil {
		r.early.call.adopt(stored[len(stored)-1])
		if r.hist != nil {
			r.hist.started(stored[0].Position, count)
		}
	}
	e.own.claim(ctx, rec.ID)
	// Registered before the caller learns the id, so a Cancel can never
	// miss a run that has not been started yet.
	e.mu.Lock()
	e.active[rec.ID] = r.cancel
	e.mu.Unlock()
	e.logs.add(r.log)
	um := r.userMsg
	r.emit(events.Event{Type: events.TypeRunStarted, UserMessage: &um})
	e.announceRun(ctx, events.ActionUpdated, inst, rec.ID)
	return r, nil
}

// startEarly reads the history under the instance lock and prepares the
// assistant's call, held; newRun starts it beside the run's writes.
func (r *run) startEarly(ctx context.Context, unlock func()) (*earlyStart, error) {
	if r.e.localReads {
		// Not cancellable: each statement of a cancellable read starts two
		// goroutines, each a wakeup of another processor, on the path to
		// the request (in a trace at one run, frame to request on the wire
		// p50 ~1.13 → ~0.96 ms). A local read is short and cannot hang.
		ctx = context.WithoutCancel(ctx)
	}
	turns, err := r.loadTurns(ctx, true)
	if err != nil {
		unlock()
		return nil, err
	}
	a := r.newAnswer(r.ctx, turns, "", true)
	return &earlyStart{unlock: unlock, turns: turns, call: a}, nil
}

// dropEarly ends what newRun set up for a run whose writes failed: the
// early call is cancelled (its cost counted as wasted) and the lock freed.
func (r *run) dropEarly(cause error) {
	r.cancel(cause)
	if es := r.early; es != nil {
		r.usage = r.usage.Add(es.call.discard())
		es.unlock()
		r.early = nil
	}
	r.stop()
}

// startRun runs r in the background and returns the run as stored at its
// start (the goroutine owns r from then on).
func (r *run) startRun() model.Run {
	rec := r.rec
	e := r.e
	e.mu.Lock()
	if e.closing {
		// Shutdown may already be waiting; finish here rather than start a
		// goroutine it would not wait for.
		e.mu.Unlock()
		r.abandon(errShuttingDown, model.RunCancelled, errShuttingDown.Error())
		return rec
	}
	e.wg.Add(1)
	e.mu.Unlock()
	go func() {
		defer e.wg.Done()
		defer r.stop()
		defer r.cancel(nil)
		r.execute(r.ctx)
	}()
	return rec
}

// abandon ends a stored run that will not be started: an early call is
// cancelled and its stored message ends with the run.
func (r *run) abandon(cause error, status, errText string) {
	r.cancel(cause)
	if es := r.early; es != nil {
		r.usage = r.usage.Add(es.call.discard())
		if r.streaming != "" {
			r.failStreaming(errText, messageStatus(status))
		}
		es.unlock() // after the message's end is stored: see historyCache
		r.early = nil
	}
	r.stop()
	r.finish(status, errText)
}

// execute carries the run from its start to its stored end.
func (r *run) execute(ctx context.Context) {
	defer func() {
		// A provider bug must not take the server down or leave the run
		// hanging in "running".
		if p := recover(); p != nil {
			r.e.log.Error("run panicked", "run_id", r.rec.ID, "panic", p)
			r.failStreaming("internal error", model.MessageFailed)
			r.finish(model.RunFailed, "internal error")
		}
	}()
	status, errText := r.steps(ctx)
	r.finish(status, errText)
}

// steps waits for the instance's previous run, reads the conversation,
// runs the superego and then the assistant — at once, when the flow
// starts the assistant speculatively, its output held until the verdict —
// and returns the final status and error text. A run started early has
// done the first two already and has its assistant call under way.
func (r *run) steps(ctx context.Context) (string, string) {
	var (
		turns  []turn
		spec   *answerCall
		unlock func()
		err    error
	)
	early := r.early
	if early != nil {
		r.early = nil
		unlock, turns, spec = early.unlock, early.turns, early.call
	} else if unlock, err = r.e.lockInstance(ctx, r.inst.ID); err != nil {
		return endStatus(ctx, err)
	}
	defer func() {
		// An answer stored with the run's end holds the lock until then:
		// every message's final state is stored before its run lets go
		// of the instance (see historyCache).
		if r.final != nil {
			r.unlock = unlock
		} else {
			unlock()
		}
	}()
	if early == nil {
		if turns, err = r.loadTurns(ctx, false); err != nil {
			if ctx.Err() != nil {
				return endStatus(ctx, err)
			}
			return model.RunFailed, "load conversation: " + err.Error()
		}
	}
	if spec == nil && r.flow.speculative {
		if spec, err = r.startAnswer(ctx, turns, "", true); err != nil {
			return endStatus(ctx, err)
		}
	}
	caution, status, errText := r.verdict(ctx, turns)
	if spec != nil && (status != "" || r.decision == model.DecisionCaution) {
		// Not ALLOW: what the speculative call produced is never shown;
		// a caution starts the assistant again with it.
		r.usage = r.usage.Add(spec.discard())
		spec = nil
	}
	if status != "" {
		return status, errText
	}
	if spec != nil {
		err = spec.release(ctx)
	} else {
		spec, err = r.startAnswer(ctx, turns, caution, false)
	}
	if err == nil {
		err = r.answer(ctx, spec)
	}
	switch {
	case errors.Is(err, errWithdrawn):
		return model.RunBlocked, errWithdrawn.Error()
	case err != nil:
		return endStatus(ctx, err)
	}
	return model.RunCompleted, ""
}

// verdict runs the superego step when the flow has one and says what
// follows: a caution for the assistant, or the status (and error text)
// that ends the run here; all empty means ALLOW.
func (r *run) verdict(ctx context.Context, turns []turn) (caution, status, errText string) {
	if !r.flow.superego {
		return "", "", ""
	}
	t0 := r.e.now()
	out, err := r.screen(ctx, turns)
	r.timings.SuperegoMs = r.e.now().Sub(t0).Milliseconds()
	if err != nil {
		status, errText = endStatus(ctx, err)
		return "", status, errText
	}
	r.decision = out.decision
	switch out.decision {
	case model.DecisionBlock:
		return "", model.RunBlocked, ""
	case model.DecisionCaution:
		return out.reason, "", ""
	case model.DecisionError:
		if r.flow.onError != model.OnErrorAllow {
			return "", model.RunBlocked, "superego error: " + out.reason
		}
		r.e.log.Warn("superego error ignored by policy", "run_id", r.rec.ID, "reason", out.reason)
	}
	return "", "", ""
}

// superegoOutcome is the verdict of the superego step.
type superegoOutcome struct {
	decision model.Decision
	reason   string
	section  string // heading of the section the superego cited, or ""
}

// screen streams the superego's evaluation of the user's message and
// stores it. An upstream failure or a reply without a decision is an
// ERROR outcome, not an error; only the end of the run's context returns
// an error.
func (r *run) screen(ctx context.Context, turns []turn) (superegoOutcome, error) {
	e := r.e
	req := r.superegoRequest(turns)
	c := r.flow.constitution
	mdl := modelLabel(req.Model, e.prov.Name())
	r.emit(events.Event{Type: events.TypeSuperegoStarted, ConstitutionID: c.ID, ConstitutionVersion: c.Version, Model: mdl})
	msg, err := e.st.AppendMessage(ctx, model.Message{
		FlowInstanceID:      r.inst.ID,
		RunID:               r.rec.ID,
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
	r.streaming = msg.ID
	var text, thinking strings.Builder
	var at time.Time
	pw := r.newPartialWriter(&msg)
	res, callErr := e.stream(ctx, req, func(ev llm.Event) {
		switch {
		case ev.Delta == "":
			return
		case ev.Kind == llm.KindReasoning:
			thinking.WriteString(ev.Delta)
			at = r.emitDelta(events.TypeSuperegoThinking, ev.Delta)
		case ev.Kind == llm.KindText:
			text.WriteString(ev.Delta)
			at = r.emitDelta(events.TypeSuperegoToken, ev.Delta)
		default:
			return
		}
		pw.update(at, text.String(), thinking.String())
	})
	r.usage = r.usage.Add(res.usage)
	msg.Content, msg.Thinking = text.String(), thinking.String()
	msg.Usage, msg.Params = res.usage, res.params
	msg.Timings = model.Timings{FirstTokenMs: res.firstToken.Milliseconds(), TotalMs: res.total.Milliseconds()}

	var out superegoOutcome
	switch {
	case ctx.Err() != nil:
		status, why := endStatus(ctx, callErr)
		msg.Status, msg.Error = messageStatus(status), why
		r.saveMessage(msg)
		return superegoOutcome{}, context.Cause(ctx)
	case callErr != nil && llm.IsConfigError(callErr):
		// A bad key or model says nothing about the message: the run
		// fails with the provider's error instead of a superego ERROR.
		msg.Status, msg.Error = model.MessageFailed, callErr.Error()
		r.saveMessage(msg)
		return superegoOutcome{}, callErr
	case callErr != nil:
		msg.Status, msg.Error = model.MessageFailed, callErr.Error()
		out = superegoOutcome{decision: model.DecisionError, reason: "superego call failed: " + callErr.Error()}
	default:
		msg.Status, msg.Error = endedStatus(res.stop)
		d, reason, ok := ParseDecision(msg.Content)
		switch {
		case !ok && msg.Status == model.MessageTruncated:
			d, reason = model.DecisionError, "the superego's reply was "+msg.Error+" before its decision line"
		case !ok:
			d, reason = model.DecisionError, NoDecisionReason(msg.Content)
		}
		out = superegoOutcome{decision: d, reason: reason, section: ParseSection(msg.Content, c.Content)}
	}
	msg.Decision, msg.Reason, msg.Section = out.decision, out.reason, out.section
	msg = r.saveMessage(msg)
	e.m.decision(out.decision, c.ID)
	r.emit(events.Event{Type: events.TypeSuperegoDecision, Decision: out.decision, Reason: out.reason, Section: out.section, Message: &msg})
	return out, nil
}

// finish stores the run's end, emits run_finished and closes its log.
func (r *run) finish(status, errText string) {
	if r.finished {
		return // a panic inside finish must not end the log twice
	}
	r.finished = true
	e := r.e
	defer func() {
		// Whatever happens above, readers must see the log end and the
		// run must leave the live set, and the instance be let go.
		e.mu.Lock()
		delete(e.active, r.rec.ID)
		e.mu.Unlock()
		e.logs.markFinished(r.log)
		if r.unlock != nil {
			r.unlock()
			r.unlock = nil
		}
	}()
	final := r.final
	r.final = nil
	end := e.now()
	r.timings.TotalMs = end.Sub(r.start).Milliseconds()
	usage, timings := r.usage, r.timings
	r.rec.Status = status
	r.rec.Decision = r.decision
	r.rec.Error = errText
	r.rec.Usage = usage
	r.rec.Timings = timings
	r.rec.LastSeq = r.log.lastSeq() + 1 // run_finished below
	if final != nil {
		r.rec.LastSeq++ // assistant_message before it
	}
	fin := end.UTC()
	r.rec.FinishedAt = &fin
	sctx, cancel := storeCtx()
	defer cancel()
	last := r.stamp(events.Event{Type: events.TypeRunFinished, Status: status, Error: errText, Usage: &usage, Timings: &timings}, r.e.now())
	if other, ok := e.own.endedElsewhere(sctx, r.rec.ID); ok {
		// Its stored log already ends with the other replica's
		// run_finished; this replica's readers get the same end.
		e.log.Warn("run ended by another replica; its end is kept", "run_id", other.ID, "status", other.Status)
		r.rec = other
		last.Status, last.Error = other.Status, other.Error
		r.log.append(last) // counted by the replica that ended it
		return
	}
	// The whole log, run_finished included, is stored before the status
	// says the run ended: a replica that sees the status can then rely on
	// finding every event.
	last.Seq = r.rec.LastSeq
	e.own.storeEnd(sctx, last)
	endedBy := ""
	var answer model.Message
	if final != nil {
		answer = final.msg
	}
	err := e.storeEnd(r.rec.ID, "store finished run", func(ctx context.Context) error {
		// Conditional on the run still running: a sweep that ended it
		// after this replica's lease lapsed keeps its end.
		var stored model.Run
		var err error
		if final != nil {
			var saved model.Message
			stored, saved, err = e.st.(store.RunEnder).EndRunWithMessage(ctx, r.rec, final.msg)
			if err == nil || errors.Is(err, store.ErrConflict) {
				answer = saved
			}
		} else {
			stored, err = e.st.EndRun(ctx, r.rec)
		}
		switch {
		case errors.Is(err, store.ErrConflict):
			endedBy, err = stored.Status, nil
			r.rec = stored
		case err == nil:
			r.rec = stored
		}
		return err
	})
	switch {
	case endedBy != "":
		e.log.Warn("run ended elsewhere while it finished here; that end is kept", "run_id", r.rec.ID, "status", endedBy)
		last.Status, last.Error = r.rec.Status, r.rec.Error
	case err != nil:
		// Never stored: the client is told the run failed, and why,
		// rather than an end the database does not hold.
		last.Status, last.Error = model.RunFailed, "the end of the run could not be stored: "+err.Error()
	case final != nil && r.hist != nil && r.hist.whole:
		// Before the instance is let go (the deferred unlock): the next
		// run's history needs no read.
		e.hist.feed(r.hist, answer, r.userMsg)
	}
	if final != nil {
		// Sent once stored — or, like an answer saved on its own
		// (saveMessage), once the store has given up on it — and before
		// run_finished.
		r.emitAnswer(answer, final.sent)
	}
	// Appended after the status is stored, so a subscriber here that reads
	// run_finished finds the run ended over REST too.
	r.log.append(last)
	e.m.runs.WithLabelValues(status).Inc()
	e.announceRun(sctx, events.ActionUpdated, r.inst, r.rec.ID)
}

// endsWithAnswer reports whether a run's answer is stored with the run's
// end, in one write (store.RunEnder), rather than on its own before it.
// Only without replicas: with them, the replicas' log must hold
// assistant_message before run_finished, which is stored before the run's
// end, and assistant_message may not be sent before its message is stored.
func (e *Engine) endsWithAnswer() bool {
	if _, ok := e.own.(localRuns); !ok {
		return false
	}
	_, ok := e.st.(store.RunEnder)
	return ok
}

// emit stamps ev with the run's identity and the next seq and appends it
// to the run's log, and hands it to the replicas' durable one.
func (r *run) emit(ev events.Event) events.Event {
	return r.emitAt(ev, r.e.now())
}

// emitAt is emit with the time read already.
func (r *run) emitAt(ev events.Event, now time.Time) events.Event {
	ev = r.log.append(r.stamp(ev, now))
	r.e.own.record(ev)
	return ev
}

// emitDelta emits a streamed text delta of type typ: merged into the
// log's last event when it can be (see runLog), without building an event,
// or else as an event of its own. Merged deltas stay in this process's
// log, which only a run without replicas merges. It returns the time it
// stamped the delta with, which the caller's partial writer reuses: one
// clock reading per token instead of one for each.
func (r *run) emitDelta(typ, delta string) time.Time {
	now := r.e.now()
	if !r.log.mergeDelta(typ, delta, now.UTC()) {
		r.emitAt(events.Event{Type: typ, Delta: delta}, now)
	}
	return now
}

// stamp sets the run's identity and the time now on ev.
func (r *run) stamp(ev events.Event, now time.Time) events.Event {
	ev.TS = now.UTC()
	ev.RunID = r.rec.ID
	ev.FlowInstanceID = r.rec.FlowInstanceID
	ev.FlowConfigID = r.rec.FlowConfigID
	return ev
}

// failStreaming ends the message the run was streaming with status
// (failed, or cancelled), keeping the partial text already stored.
func (r *run) failStreaming(why, status string) {
	if r.streaming == "" {
		return
	}
	ctx, cancel := storeCtx()
	defer cancel()
	st := r.e.st
	m, err := st.GetMessage(ctx, r.streaming)
	if err == nil {
		m.Status, m.Error = status, why
		_, err = st.UpdateMessage(ctx, m)
	}
	if err != nil {
		r.e.log.Error("mark streaming message failed", "run_id", r.rec.ID, "message_id", r.streaming, "err", err)
	}
}

// saveMessage writes a message's final state; it must succeed even when the
// run was cancelled, so it does not use the run's context.
func (r *run) saveMessage(m model.Message) model.Message {
	r.streaming = ""
	saved := m
	err := r.e.storeEnd(r.rec.ID, "store message", func(ctx context.Context) error {
		var err error
		saved, err = r.e.st.UpdateMessage(ctx, m)
		return err
	})
	if err != nil {
		return m
	}
	return saved
}

// Retrying the writes that end a run: from endRetryFirst, doubling up to
// endRetryMax between tries, for endRetryFor in all.
const (
	endRetryFirst = 50 * time.Millisecond
	endRetryMax   = 5 * time.Second
	endRetryFor   = 2 * time.Minute
)

// storeEnd makes a write that records how a run ended (its messages' and
// its own final state), retrying while it fails: under load a write can
// time out in the queue, and giving up would leave the run "running" while
// its client was told it ended. A missing row (the instance was deleted)
// is not retried. It returns the last error when the write never got
// through.
func (e *Engine) storeEnd(runID, what string, write func(ctx context.Context) error) error {
	wait := endRetryFirst
	deadline := time.Now().Add(endRetryFor)
	for {
		ctx, cancel := storeCtx()
		err := write(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if errors.Is(err, store.ErrNotFound) || !time.Now().Before(deadline) {
			e.log.Error(what, "run_id", runID, "err", err)
			return err
		}
		e.log.Warn(what+"; retrying", "run_id", runID, "err", err, "in", wait)
		time.Sleep(wait)
		wait = min(2*wait, endRetryMax)
	}
}

// endStatus maps the error that ended a run to its status: cancelled when
// a user or shutdown cancelled it, interrupted when another replica took
// it over, failed otherwise (including timeouts).
func endStatus(ctx context.Context, err error) (string, string) {
	if cause := context.Cause(ctx); cause != nil {
		if errors.Is(cause, errCancelledByUser) || errors.Is(cause, errShuttingDown) {
			return model.RunCancelled, cause.Error()
		}
		if errors.Is(cause, errLeaseLost) {
			return model.RunInterrupted, cause.Error()
		}
		return model.RunFailed, cause.Error()
	}
	return model.RunFailed, err.Error()
}
