package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// storeTimeout bounds the writes that record how a run ended; they use a
// context of their own because the run's context may already be cancelled.
const storeTimeout = 10 * time.Second

// job is one run between its synchronous start and its end.
type job struct {
	run     model.Run
	inst    model.FlowInstance
	flow    flowSettings
	userMsg model.Message
	log     *runLog
	start   time.Time
	ctx     context.Context // the run's own, owned by the engine
	cancel  context.CancelCauseFunc

	usage     model.Usage
	timings   model.Timings
	decision  model.Decision
	streaming string // id of the message being streamed, if any
	finished  bool
}

// prepare resolves the instance's flow, stores the user message (unless
// existing is given: a fork already holds it) and the run, and opens the
// run's log with run_started. Nothing runs yet.
func (e *Engine) prepare(ctx context.Context, inst model.FlowInstance, content string, existing *model.Message) (*job, error) {
	flow, err := e.resolveFlow(ctx, inst)
	if err != nil {
		return nil, err
	}
	runID := model.NewID()
	var user model.Message
	if existing != nil {
		user = *existing
	} else {
		user, err = e.st.AppendMessage(ctx, model.Message{
			FlowInstanceID: inst.ID,
			RunID:          runID,
			Role:           model.RoleUser,
			Content:        content,
			Status:         model.MessageComplete,
		})
		if err != nil {
			return nil, fmt.Errorf("store user message: %w", err)
		}
	}
	run, err := e.st.CreateRun(ctx, model.Run{
		ID:             runID,
		FlowInstanceID: inst.ID,
		FlowConfigID:   inst.FlowConfigID,
		UserMessageID:  user.ID,
		ComparisonID:   inst.ComparisonID,
		Status:         model.RunRunning,
	})
	if err != nil {
		return nil, fmt.Errorf("store run: %w", err)
	}
	e.claim(ctx, run.ID)
	j := &job{run: run, inst: inst, flow: flow, userMsg: user, log: newRunLog(run.ID), start: e.now()}
	// Registered before the caller learns the id, so a Cancel can never
	// miss a run that has not been launched yet.
	j.ctx, j.cancel = context.WithCancelCause(e.base)
	e.mu.Lock()
	e.active[run.ID] = j.cancel
	e.mu.Unlock()
	e.logs.add(j.log)
	um := user
	e.emit(j, events.Event{Type: events.TypeRunStarted, UserMessage: &um})
	e.announceRun(ctx, events.ActionUpdated, inst, run.ID)
	return j, nil
}

// launch starts j in the background.
func (e *Engine) launch(j *job) {
	e.mu.Lock()
	if e.closing {
		// Shutdown may already be waiting; finish here rather than start a
		// goroutine it would not wait for.
		e.mu.Unlock()
		j.cancel(errShuttingDown)
		e.finish(j, model.RunCancelled, errShuttingDown.Error())
		return
	}
	e.wg.Add(1)
	e.mu.Unlock()
	go func() {
		defer e.wg.Done()
		defer j.cancel(nil)
		e.execute(j.ctx, j)
	}()
}

// emit stamps e with the run's identity and the next seq and appends it to
// the run's log, and to the durable one when replicas share a database.
func (e *Engine) emit(j *job, ev events.Event) events.Event {
	ev = j.log.append(e.stamp(j, ev))
	if e.rep != nil {
		e.addEvent(ev)
	}
	return ev
}

// stamp sets the run's identity and the time on ev.
func (e *Engine) stamp(j *job, ev events.Event) events.Event {
	ev.TS = e.now().UTC()
	ev.RunID = j.run.ID
	ev.FlowInstanceID = j.run.FlowInstanceID
	ev.FlowConfigID = j.run.FlowConfigID
	return ev
}

// execute carries a run from its start to its stored end.
func (e *Engine) execute(ctx context.Context, j *job) {
	ctx, stop := context.WithTimeoutCause(ctx, e.cfg.RunTimeout, fmt.Errorf("run timed out after %s", e.cfg.RunTimeout))
	defer stop()
	defer func() {
		// A provider bug must not take the server down or leave the run
		// hanging in "running".
		if p := recover(); p != nil {
			e.log.Error("run panicked", "run_id", j.run.ID, "panic", p)
			e.failStreaming(j, "internal error")
			e.finish(j, model.RunFailed, "internal error")
		}
	}()
	status, errText := e.steps(ctx, j)
	e.finish(j, status, errText)
}

// steps runs the superego and assistant steps and returns the final status
// and error text.
func (e *Engine) steps(ctx context.Context, j *job) (string, string) {
	unlock, err := e.lockInstance(ctx, j.inst.ID)
	if err != nil {
		return endStatus(ctx, err)
	}
	defer unlock()
	turns, err := e.loadTurns(ctx, j)
	if err != nil {
		if ctx.Err() != nil {
			return endStatus(ctx, err)
		}
		return model.RunFailed, "load conversation: " + err.Error()
	}
	var caution string
	if j.flow.superego {
		t0 := e.now()
		out, err := e.superegoStep(ctx, j, turns)
		j.timings.SuperegoMs = e.now().Sub(t0).Milliseconds()
		if err != nil {
			return endStatus(ctx, err)
		}
		j.decision = out.decision
		switch out.decision {
		case model.DecisionBlock:
			return model.RunBlocked, ""
		case model.DecisionCaution:
			caution = out.reason
		case model.DecisionError:
			if j.flow.onError != model.OnErrorAllow {
				return model.RunBlocked, "superego error: " + out.reason
			}
			e.log.Warn("superego error ignored by policy", "run_id", j.run.ID, "reason", out.reason)
		}
	}
	if err := e.assistantStep(ctx, j, turns, caution); err != nil {
		return endStatus(ctx, err)
	}
	return model.RunCompleted, ""
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

// finish stores the run's end, emits run_finished and closes its log.
func (e *Engine) finish(j *job, status, errText string) {
	if j.finished {
		return // a panic inside finish must not end the log twice
	}
	j.finished = true
	defer func() {
		// Whatever happens above, readers must see the log end and the
		// run must leave the live set.
		e.mu.Lock()
		delete(e.active, j.run.ID)
		e.mu.Unlock()
		e.logs.markFinished(j.log)
	}()
	end := e.now()
	j.timings.TotalMs = end.Sub(j.start).Milliseconds()
	usage, timings := j.usage, j.timings
	j.run.Status = status
	j.run.Decision = j.decision
	j.run.Error = errText
	j.run.Usage = usage
	j.run.Timings = timings
	j.run.LastSeq = j.log.lastSeq() + 1 // run_finished below
	fin := end.UTC()
	j.run.FinishedAt = &fin
	sctx, cancel := e.storeCtx()
	defer cancel()
	last := e.stamp(j, events.Event{Type: events.TypeRunFinished, Status: status, Error: errText, Usage: &usage, Timings: &timings})
	if r, ok := e.endedElsewhere(sctx, j.run.ID); ok {
		// Its stored log already ends with the other replica's
		// run_finished; this replica's readers get the same end.
		e.log.Warn("run ended by another replica; its end is kept", "run_id", r.ID, "status", r.Status)
		j.run = r
		last.Status, last.Error = r.Status, r.Error
		j.log.append(last) // counted by the replica that ended it
		return
	}
	if e.rep != nil {
		// The whole log, run_finished included, is stored before the
		// status says the run ended: a replica that sees the status can
		// then rely on finding every event.
		last.Seq = j.run.LastSeq
		e.addEvent(last)
		if err := e.rep.Events.Flush(sctx); err != nil {
			e.log.Error("store run events", "run_id", j.run.ID, "err", err)
		}
	}
	if r, err := e.st.UpdateRun(sctx, j.run); err != nil {
		e.log.Error("store finished run", "run_id", j.run.ID, "err", err)
	} else {
		j.run = r
	}
	// Appended after the status is stored, so a subscriber here that reads
	// run_finished finds the run ended over REST too.
	j.log.append(last)
	e.m.runs.WithLabelValues(status).Inc()
	e.announceRun(sctx, events.ActionUpdated, j.inst, j.run.ID)
}

// failStreaming marks the message a run was streaming as failed, keeping
// the partial text already stored.
func (e *Engine) failStreaming(j *job, why string) {
	if j.streaming == "" {
		return
	}
	ctx, cancel := e.storeCtx()
	defer cancel()
	m, err := e.st.GetMessage(ctx, j.streaming)
	if err == nil {
		m.Status, m.Error = model.MessageFailed, why
		_, err = e.st.UpdateMessage(ctx, m)
	}
	if err != nil {
		e.log.Error("mark streaming message failed", "run_id", j.run.ID, "message_id", j.streaming, "err", err)
	}
}

// storeCtx is the context for writes that must happen even when the run
// was cancelled.
func (e *Engine) storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), storeTimeout)
}

// lastMessage returns the newest message of an instance.
func (e *Engine) lastMessage(ctx context.Context, instanceID string) (model.Message, error) {
	msgs, err := e.allMessages(ctx, instanceID)
	if err != nil {
		return model.Message{}, err
	}
	if len(msgs) == 0 {
		return model.Message{}, fmt.Errorf("flow instance %q has no messages: %w", instanceID, store.ErrNotFound)
	}
	return msgs[len(msgs)-1], nil
}

// allMessages lists an instance's messages, oldest first, across pages.
func (e *Engine) allMessages(ctx context.Context, instanceID string) ([]model.Message, error) {
	var all []model.Message
	p := store.Page{Limit: 200}
	for {
		msgs, next, err := e.st.ListMessages(ctx, instanceID, p)
		if err != nil {
			return nil, fmt.Errorf("list messages of %q: %w", instanceID, err)
		}
		all = append(all, msgs...)
		if next == "" {
			return all, nil
		}
		p.Cursor = next
	}
}
