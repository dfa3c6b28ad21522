package wsapi

import (
	"context"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// handle serves one request frame (not ping, which the reader answers).
func (s *session) handle(f Frame) {
	switch f.Type {
	case TypeSendMessage:
		s.start(f, 1, func(ctx context.Context) (string, []model.Run, error) {
			run, err := s.h.eng.Send(ctx, f.FlowInstanceID, f.Content)
			return "", []model.Run{run}, err
		})
	case TypeRunParallel:
		if f.ComparisonID != "" {
			// How many columns the comparison has is only known once the
			// engine started them; reserve the most there can be (or the
			// whole limit, if lower: the socket then follows every column,
			// overshooting the limit by at most the difference).
			s.start(f, min(engine.MaxParallelConfigs, s.h.cfg.MaxRunsPerSocket), func(ctx context.Context) (string, []model.Run, error) {
				runs, err := s.h.eng.ContinueComparison(ctx, f.ComparisonID, f.Content)
				return f.ComparisonID, runs, err
			})
			return
		}
		s.start(f, len(f.FlowConfigIDs), func(ctx context.Context) (string, []model.Run, error) {
			return s.h.eng.RunParallel(ctx, f.FlowConfigIDs, f.Content, f.ComparisonName)
		})
	case TypeRerun:
		s.start(f, 1, func(ctx context.Context) (string, []model.Run, error) {
			run, err := s.h.eng.Rerun(ctx, f.MessageID, f.Overrides())
			return "", []model.Run{run}, err
		})
	case TypeCancel:
		if err := s.h.eng.Cancel(s.ctx, f.RunID); err != nil {
			s.sendError(s.engineError(f, err))
			return
		}
		s.accept(f.RequestID, "", []string{f.RunID})
	case TypeResume:
		s.resume(f)
	case TypeFollowEval:
		s.followEval(f)
	case TypeUnfollowEval:
		s.unfollowEval(f)
	}
}

// start reserves follow slots, starts runs in the engine and follows them.
func (s *session) start(f Frame, slots int, run func(context.Context) (string, []model.Run, error)) {
	if !s.reserve(slots) {
		s.sendError(&FrameError{RequestID: f.RequestID, Code: CodeTooManyRuns,
			Message: tooManyRunsMessage(s.h.cfg.MaxRunsPerSocket)})
		return
	}
	comparisonID, runs, err := run(s.ctx)
	if err != nil {
		s.unreserve(slots)
		s.sendError(s.engineError(f, err))
		return
	}
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	// accepted goes first; the followers read each run's log from seq 1,
	// so nothing the runs emitted meanwhile is lost.
	s.accept(f.RequestID, comparisonID, ids)
	s.unreserve(slots - len(runs)) // negative when a comparison had more columns than reserved
	for _, id := range ids {
		sub, err := s.h.eng.Subscribe(s.ctx, id, 0)
		if err != nil {
			s.unreserve(1)
			s.sendError(s.engineError(Frame{RequestID: f.RequestID}, err))
			continue
		}
		s.follow(id, sub, true)
	}
}

// resume follows a run from after_seq. When this socket already follows
// the run, that follow is stopped and its frames still waiting in the send
// queue are dropped before accepted is queued: the replay sends them again,
// so keeping them would duplicate them, and a replayed delta could merge
// into one of them out of order. Frames of the run that arrive before the
// accepted are therefore the old follow's (already on their way); from the
// accepted on, the client gets exactly the events after after_seq.
func (s *session) resume(f Frame) {
	s.mu.Lock()
	// A follow frees its slot just before it queues run_finished, so it
	// may still be pushing while it no longer holds one.
	old, holdsSlot := s.live[f.RunID], s.follows[f.RunID] != nil
	s.mu.Unlock()
	if !holdsSlot && !s.reserve(1) {
		s.sendError(&FrameError{RequestID: f.RequestID, Code: CodeTooManyRuns, Message: tooManyRunsMessage(s.h.cfg.MaxRunsPerSocket)})
		return
	}
	sub, err := s.h.eng.Subscribe(s.ctx, f.RunID, f.AfterSeq)
	if err != nil {
		if !holdsSlot {
			s.unreserve(1)
		}
		s.sendError(s.engineError(f, err))
		return
	}
	if old != nil {
		old.cancel()
		<-old.done // it pushes nothing more, and its slot is free
		s.q.dropRun(f.RunID)
	}
	if holdsSlot && !s.reserve(1) { // the old slot was taken meanwhile
		sub.Close()
		s.sendError(&FrameError{RequestID: f.RequestID, Code: CodeTooManyRuns, Message: tooManyRunsMessage(s.h.cfg.MaxRunsPerSocket)})
		return
	}
	s.accept(f.RequestID, "", []string{f.RunID})
	s.follow(f.RunID, sub, true)
}

func (s *session) accept(requestID, comparisonID string, runIDs []string) {
	_ = s.q.pushEvent(s.ctx, events.Event{Type: events.TypeAccepted, TS: time.Now().UTC(),
		RequestID: requestID, RunIDs: runIDs, ComparisonID: comparisonID})
}

// follow relays sub's events until the run finished or the socket closed.
// reserved says whether a slot was reserved for it.
func (s *session) follow(runID string, sub *engine.Subscription, reserved bool) {
	ctx, cancel := context.WithCancel(s.ctx)
	fl := &follow{cancel: cancel, done: make(chan struct{})}
	s.mu.Lock()
	if old := s.live[runID]; old != nil {
		old.cancel()
	}
	s.follows[runID] = fl
	s.live[runID] = fl
	if reserved {
		s.reserved--
	}
	s.mu.Unlock()

	s.work.Add(1)
	go func() {
		defer s.work.Done()
		defer func() { // last: after release and the final push
			s.mu.Lock()
			if s.live[runID] == fl {
				delete(s.live, runID)
			}
			s.mu.Unlock()
			close(fl.done)
		}()
		defer sub.Close()
		defer cancel()
		// release frees the run's slot; it runs before run_finished is
		// queued, so a client that starts its next run on run_finished
		// never finds the slot still taken.
		release := func() {
			s.mu.Lock()
			if s.follows[runID] == fl {
				delete(s.follows, runID)
			}
			s.mu.Unlock()
		}
		defer release()
		for {
			batch, err := sub.Next(ctx)
			if err != nil {
				if !errors.Is(err, io.EOF) && ctx.Err() == nil {
					s.h.log.Error("following run", "run_id", runID, "err", err)
					s.sendError(&FrameError{Code: CodeInternal, Message: "lost the event stream of run " + runID + "; resume it"})
				}
				return
			}
			for _, ev := range batch {
				if ev.Type == events.TypeRunFinished {
					release()
				}
				if err := s.q.pushEvent(ctx, ev); err != nil {
					return
				}
			}
		}
	}()
}

func (s *session) reserve(n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.follows)+s.reserved+n > s.h.cfg.MaxRunsPerSocket {
		return false
	}
	s.reserved += n
	return true
}

func (s *session) unreserve(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reserved -= n
}

func tooManyRunsMessage(limit int) string {
	return "this socket already follows the most runs it may (" + strconv.Itoa(limit) + "); wait for one to finish"
}

// engineError maps an engine or store error to an error frame. Only the
// messages of expected, client-caused errors are passed on; anything else is
// logged and answered with a generic internal error.
func (s *session) engineError(f Frame, err error) *FrameError {
	fe := &FrameError{RequestID: f.RequestID}
	switch {
	case errors.Is(err, engine.ErrLogUnavailable):
		fe.Code, fe.Message = CodeResumeUnavailable, "the event log of this run is no longer kept; load the run and its messages over REST"
	case errors.Is(err, engine.ErrRunNotFound):
		fe.Code, fe.Message = CodeNotFound, "run not found"
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrInvalidReference):
		fe.Code, fe.Message = CodeNotFound, err.Error()
	case errors.Is(err, engine.ErrInvalid):
		fe.Code, fe.Message = CodeInvalidRequest, err.Error()
	case errors.Is(err, engine.ErrClosed):
		fe.Code, fe.Message = CodeInternal, "the server is shutting down; retry on another connection"
	case errors.Is(err, store.ErrBusy):
		fe.Code, fe.Message = CodeBusy, "the server is saturated and did not start the run; retry in a few seconds ("+err.Error()+")"
	case errors.Is(err, context.Canceled) && s.ctx.Err() != nil:
		fe.Code, fe.Message = CodeInternal, "socket closing"
	default:
		s.h.log.Error("websocket request failed", "type", f.Type, "request_id", f.RequestID, "err", err)
		fe.Code, fe.Message = CodeInternal, "internal error; see the server log"
	}
	return fe
}
