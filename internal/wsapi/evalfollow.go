package wsapi

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/superego-lab/superego/internal/evals"
	evalfollow "github.com/superego-lab/superego/internal/evals/follow"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/store"
)

// EvalSource reads eval runs and their rows (evalsql.DB).
type EvalSource = evalfollow.Source

// MaxEvalFollows bounds the eval runs one socket follows at once.
const MaxEvalFollows = 8

// evalFollows are the eval runs each socket follows, so a second
// follow_eval of the same run is refused (its rows would come twice,
// interleaved) and unfollow_eval can stop one.
type evalFollows struct {
	mu     sync.Mutex
	bySock map[*session]map[string]*evalFollow
}

// evalFollow is one follow, told apart from a later one of the same run by
// pointer.
type evalFollow struct{ cancel context.CancelFunc }

// add registers a follow; it fails when the socket already follows the run
// or as many runs as it may.
func (e *evalFollows) add(s *session, id string, fl *evalFollow) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.bySock == nil {
		e.bySock = map[*session]map[string]*evalFollow{}
	}
	m := e.bySock[s]
	switch {
	case m[id] != nil:
		return "this socket already follows eval run " + id + "; unfollow_eval it first", false
	case len(m) >= MaxEvalFollows:
		return "this socket already follows as many eval runs as it may", false
	case m == nil:
		m = map[string]*evalFollow{}
		e.bySock[s] = m
	}
	m[id] = fl
	return "", true
}

// remove unregisters the follow of run id, or only fl when fl is not nil,
// and returns what it removed.
func (e *evalFollows) remove(s *session, id string, fl *evalFollow) *evalFollow {
	e.mu.Lock()
	defer e.mu.Unlock()
	cur := e.bySock[s][id]
	if cur == nil || (fl != nil && cur != fl) {
		return nil
	}
	delete(e.bySock[s], id)
	if len(e.bySock[s]) == 0 {
		delete(e.bySock, s)
	}
	return cur
}

// followEval streams an eval run's finished rows to the socket, from after
// after_seq, in the order they were stored, on whichever replica they were
// stored: an eval_result per row and an eval_progress after each batch
// (the first carries the request_id, the last a finished status). The
// follow ends after that last eval_progress, on unfollow_eval, or when the
// socket closes. It runs in the request's own goroutine; the send queue's
// backpressure paces its reads.
func (s *session) followEval(f Frame) {
	src := s.h.cfg.Evals
	if src == nil {
		s.sendError(&FrameError{RequestID: f.RequestID, Code: CodeNotFound, Message: "this server runs no evals"})
		return
	}
	if _, err := src.GetRun(s.ctx, f.EvalRunID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.sendError(&FrameError{RequestID: f.RequestID, Code: CodeNotFound, Message: "eval run " + f.EvalRunID + " not found"})
		} else {
			s.sendError(s.engineError(f, err))
		}
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	fl := &evalFollow{cancel: cancel}
	if msg, ok := s.h.evals.add(s, f.EvalRunID, fl); !ok {
		s.sendError(&FrameError{RequestID: f.RequestID, Code: CodeInvalidRequest, Message: msg})
		return
	}
	defer s.h.evals.remove(s, f.EvalRunID, fl)
	requestID := f.RequestID
	err := evalfollow.Run(ctx, src, s.h.bus, f.EvalRunID, f.AfterSeq, func(run evals.EvalRun, rows []evals.EvalResult) error {
		if err := ctx.Err(); err != nil { // unfollowed while reading
			return err
		}
		now := time.Now().UTC()
		for i := range rows {
			r := rows[i]
			r.FinishedAt = r.FinishedAt.UTC()
			if err := s.q.pushEvent(ctx, events.Event{Type: events.TypeEvalResult, TS: now, EvalRunID: run.ID, Seq: r.Seq, Result: &r}); err != nil {
				return err
			}
		}
		ev := events.Event{Type: events.TypeEvalProgress, TS: now, RequestID: requestID, EvalRunID: run.ID,
			Status: run.Status, Done: run.Done, Total: run.Total}
		requestID = ""
		return s.q.pushEvent(ctx, ev)
	})
	if err != nil && ctx.Err() == nil && !errors.Is(err, errQueueClosed) {
		s.h.log.Error("following eval run", "eval_run_id", f.EvalRunID, "err", err)
		s.sendError(&FrameError{RequestID: f.RequestID, Code: CodeInternal,
			Message: "lost the rows of eval run " + f.EvalRunID + "; follow it again with after_seq"})
	}
}

// unfollowEval stops a follow of this socket. Frames already queued still
// arrive; unfollowing a run the socket does not follow is not an error.
func (s *session) unfollowEval(f Frame) {
	if fl := s.h.evals.remove(s, f.EvalRunID, nil); fl != nil {
		fl.cancel()
	}
	if f.RequestID != "" {
		s.accept(f.RequestID, "", nil)
	}
}
